#!/usr/bin/env bash
# Exchanges the job's GitHub OIDC token for a short-lived Pulumi Cloud organization token, masks it,
# and publishes it as the step output `token`. Needs `permissions: id-token: write` and ORGANIZATION.
set -euo pipefail
: "${ORGANIZATION:?ORGANIZATION (the Pulumi organization) is required}"
github_token=$(curl -fsS -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
  "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=urn:pulumi:org:${ORGANIZATION}" | jq -r .value)
pulumi_token=$(curl -fsS -X POST https://api.pulumi.com/api/oauth/token \
  --data-urlencode "audience=urn:pulumi:org:${ORGANIZATION}" \
  --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" \
  --data-urlencode "subject_token_type=urn:ietf:params:oauth:token-type:id_token" \
  --data-urlencode "requested_token_type=urn:pulumi:token-type:access_token:organization" \
  --data-urlencode "subject_token=${github_token}" | jq -r .access_token)
echo "::add-mask::${pulumi_token}"
echo "token=${pulumi_token}" >> "$GITHUB_OUTPUT"
