#!/usr/bin/env bash
# Posts a deploy's Slack message: what happened, the version, each service's image digest and the
# run link. Everything arrives through the environment (never interpolated into the script):
#   SLACK_WEBHOOK_URL  incoming-webhook URL (a secret); empty: the message is printed, not sent
#   HEADLINE           first line, e.g. "Release v5.3.25-5e15f0a to dev succeeded in 312s by alice"
#   VERSION            the release deployed
#   OUTPUTS            `pulumi stack output --json` of the stack (imageDigests, or images as repo@sha256:...)
#   DETAILS            optional further lines (PR link, job results)
#   RUN_URL            the workflow run
set -euo pipefail
payload=$(jq -n \
  --arg headline "${HEADLINE:?HEADLINE is required}" \
  --arg version "${VERSION:-}" \
  --arg outputs "${OUTPUTS:-}" \
  --arg details "${DETAILS:-}" \
  --arg run "${RUN_URL:?RUN_URL is required}" '
  # imageDigests (service -> sha256:...) when the stack exports it; else the digest of each
  # digest-pinned ref in images (service -> <repo>@sha256:...).
  (try ($outputs | fromjson) catch {}) as $o
  | (if ($o | type) == "object" then $o else {} end) as $o
  | (($o.imageDigests // null) // (($o.images // {}) | with_entries(select(.value | type == "string") | .value |= (split("@")[1] // "")))) as $d
  | ($d | to_entries | map(select(.value != "")) | map("• \(.key) `\(.value)`")) as $lines
  | {text: ([$headline, "Version: `\(if $version == "" then "unknown" else $version end)`"]
      + (if $details == "" then [] else [$details] end)
      + (if ($lines | length) == 0 then ["Digests: none in the stack outputs"] else ["Digests:"] + $lines end)
      + ["Run: \($run)"] | join("\n"))}')
if [ -z "${SLACK_WEBHOOK_URL:-}" ]; then
  echo "no SLACK_WEBHOOK_URL: not sent"
  printf '%s\n' "$payload"
  exit 0
fi
printf '%s' "$payload" | curl -fsS -X POST -H 'Content-Type: application/json' --data @- "$SLACK_WEBHOOK_URL"
