#!/usr/bin/env bash
# Exchanges the job's GitHub OIDC token for a short-lived Pulumi Cloud access token of the type asked
# for, masks it, and publishes it as the step output `token`. Needs `permissions: id-token: write` and
# ORGANIZATION (the Pulumi organization).
#   pulumi-oidc-token.sh organization          deploy jobs only (their subject is environment:<env>)
#   pulumi-oidc-token.sh team team:<name>      PR previews: the team's stack permissions, nothing more
#   pulumi-oidc-token.sh personal user:<login>
# The request (https://www.pulumi.com/docs/reference/cloud-rest-api/oauth-token-exchange):
# requested_token_type urn:pulumi:token-type:access_token:<type>; scope empty (or admin) for organization,
# team:<name> for team, user:<login> for personal. Pulumi's issuer policy for GitHub decides which
# subject may get which token (docs/identities.md).
set -euo pipefail
: "${ORGANIZATION:?ORGANIZATION (the Pulumi organization) is required}"
type="${1:-}"
scope="${2:-}"
case "$type" in
  organization) [ -z "$scope" ] || { echo "pulumi-oidc-token: an organization token takes no scope (got \"$scope\")" >&2; exit 2; } ;;
  team) [[ "$scope" =~ ^team:[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "pulumi-oidc-token: a team token needs the scope team:<name> (got \"$scope\"; set the repository variable PULUMI_PREVIEW_TEAM)" >&2; exit 2; } ;;
  personal) [[ "$scope" =~ ^user:[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { echo "pulumi-oidc-token: a personal token needs the scope user:<login> (got \"$scope\")" >&2; exit 2; } ;;
  *) echo "usage: pulumi-oidc-token.sh organization | team team:<name> | personal user:<login> (got \"$type\")" >&2; exit 2 ;;
esac
scope_args=()
[ -z "$scope" ] || scope_args=(--data-urlencode "scope=${scope}")
github_token=$(curl -fsS -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
  "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=urn:pulumi:org:${ORGANIZATION}" | jq -r .value)
pulumi_token=$(curl -fsS -X POST https://api.pulumi.com/api/oauth/token \
  --data-urlencode "audience=urn:pulumi:org:${ORGANIZATION}" \
  --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" \
  --data-urlencode "subject_token_type=urn:ietf:params:oauth:token-type:id_token" \
  --data-urlencode "requested_token_type=urn:pulumi:token-type:access_token:${type}" \
  "${scope_args[@]}" \
  --data-urlencode "subject_token=${github_token}" | jq -r .access_token)
[ -n "$pulumi_token" ] && [ "$pulumi_token" != null ] || { echo "pulumi-oidc-token: Pulumi Cloud returned no ${type} token" >&2; exit 1; }
echo "::add-mask::${pulumi_token}"
echo "token=${pulumi_token}" >> "$GITHUB_OUTPUT"
