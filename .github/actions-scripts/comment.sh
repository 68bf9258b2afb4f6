#!/usr/bin/env bash
# Post cprlint's report as a pull-request comment, or update the one posted before: the
# first comment by the same author whose body starts with the report's marker line. One
# comment per pull request, however many pushes. Uses the GitHub CLI, which every
# GitHub-hosted runner has.
#
# Environment: GH_TOKEN, REPO (owner/name), PR (the pull request's number), MARKDOWN (the
# report; empty when the check produced none), RUNNER_TEMP.
set -euo pipefail
: "${GH_TOKEN:?}" "${REPO:?}" "${PR?}" "${MARKDOWN?}" "${RUNNER_TEMP:?}"

marker='<!-- cprlint:report -->'

first_line=""
if [[ -n "${MARKDOWN}" && -s "${MARKDOWN}" ]]; then
  IFS= read -r first_line <"${MARKDOWN}" || true
fi
if [[ "${first_line}" != "${marker}" ]]; then
  echo "cprlint: no pull-request report to post"
  exit 0
fi
if [[ ! "${PR}" =~ ^[0-9]+$ ]]; then
  echo "cprlint: not a pull request, no comment posted" >&2
  exit 0
fi

# The comment's author: the token's user for a personal token; GITHUB_TOKEN may not read
# /user, and comments with it are by github-actions[bot]. Only that author's comment is
# updated, so that nobody else's comment starting with the marker is overwritten.
author="$(gh api user --jq .login 2>/dev/null || true)"
author="${author:-github-actions[bot]}"

listing="$(gh api --paginate "repos/${REPO}/issues/${PR}/comments" \
  --jq '.[] | select(.body | startswith("<!-- cprlint:report -->")) | "\(.id)\t\(.user.login)"')"
comment_id=""
while IFS=$'\t' read -r id login; do
  if [[ -z "${comment_id}" && "${login}" == "${author}" && "${id}" =~ ^[0-9]+$ ]]; then
    comment_id="${id}"
  fi
done <<<"${listing}"

# The body as JSON, built by Python: no shell quoting or gh type guessing touches the text.
payload="${RUNNER_TEMP}/cprlint-comment.json"
python -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as handle:
    body = handle.read()
with open(sys.argv[2], "w", encoding="utf-8") as handle:
    json.dump({"body": body}, handle)
' "${MARKDOWN}" "${payload}"

if [[ -n "${comment_id}" ]]; then
  gh api --method PATCH "repos/${REPO}/issues/comments/${comment_id}" --input "${payload}" --silent
  echo "cprlint: updated the report comment ${comment_id} on #${PR}"
else
  gh api --method POST "repos/${REPO}/issues/${PR}/comments" --input "${payload}" --silent
  echo "cprlint: posted the report comment on #${PR}"
fi
