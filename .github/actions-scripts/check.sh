#!/usr/bin/env bash
# Run `cprlint check` against the base commit and hand its results to the workflow:
# annotations on the diff (stdout), the pull-request comment in the job summary, and the
# step outputs cost_per_resolution, verdict, sarif, markdown and exit_code.
# The step itself never fails on findings: cprlint's exit code is an output, and the
# action's last step exits with it, after the comment has been posted.
#
# Environment: INPUT_PATH, BASE (a commit, or empty: no comparison), FAIL_ON,
# RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -euo pipefail
: "${INPUT_PATH:?}" "${BASE?}" "${FAIL_ON:?}" "${RUNNER_TEMP:?}" "${GITHUB_OUTPUT:?}"
: "${GITHUB_STEP_SUMMARY:?}"

sarif="${RUNNER_TEMP}/cprlint.sarif"
markdown="${RUNNER_TEMP}/cprlint.md"
json="${RUNNER_TEMP}/cprlint.json"
# A report left by an earlier run in the same job must not pass for this run's.
rm -f -- "${sarif}" "${markdown}" "${json}"

args=(
  check
  --fail-on "${FAIL_ON}"
  --format github
  --format "sarif:${sarif}"
  --format "markdown:${markdown}"
  --format "json:${json}"
)
if [[ -n "${BASE}" ]]; then
  args+=(--base "${BASE}")
fi

# Under GitHub Actions cprlint appends its report to the job summary by itself; here this
# script does, once, so that the summary also says when cprlint could not run at all.
status=0
GITHUB_STEP_SUMMARY="" cprlint "${args[@]}" -- "${INPUT_PATH}" || status=$?

case "${status}" in
  0) verdict=pass ;;
  1) verdict=fail ;;
  *) verdict=error ;;
esac

# The JSON number as written (9 decimals), never re-rounded through a float; empty when
# there is no report or no resolved conversation (null).
cost_per_resolution=""
if [[ -s "${json}" ]]; then
  cost_per_resolution="$(python -c '
import decimal, json, sys
with open(sys.argv[1], encoding="utf-8") as handle:
    value = json.load(handle, parse_float=decimal.Decimal)["summary"]["cost_per_resolution"]
print("" if value is None else format(value, "f"))
' "${json}")"
fi

if [[ -s "${markdown}" ]]; then
  cat -- "${markdown}" >>"${GITHUB_STEP_SUMMARY}"
else
  printf '### cprlint could not run (exit code %s)\n\nSee the log of the cprlint step.\n' \
    "${status}" >>"${GITHUB_STEP_SUMMARY}"
fi

if [[ ! -s "${sarif}" ]]; then
  sarif=""
fi
if [[ ! -s "${markdown}" ]]; then
  markdown=""
fi
{
  echo "cost_per_resolution=${cost_per_resolution}"
  echo "verdict=${verdict}"
  echo "sarif=${sarif}"
  echo "markdown=${markdown}"
  echo "exit_code=${status}"
} >>"${GITHUB_OUTPUT}"
