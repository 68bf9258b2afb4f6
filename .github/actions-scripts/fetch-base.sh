#!/usr/bin/env bash
# Make the base commit available to `cprlint check --base`, and hand its full SHA to the
# next step as the output `sha`. actions/checkout clones one commit deep by default, so the
# base is often missing: then fetch that one commit (depth 1; cprlint reads only its tree).
# An empty BASE (not a pull request, and no `base` input) gives an empty `sha`: the check
# then runs without a base.
#
# Environment: INPUT_PATH (the project, inside the checkout), BASE, GITHUB_OUTPUT.
set -euo pipefail
: "${INPUT_PATH:?}" "${BASE?}" "${GITHUB_OUTPUT:?}"

if [[ -z "${BASE}" ]]; then
  echo "cprlint: no base commit (not a pull request, and no 'base' input): checking without --base"
  echo "sha=" >>"${GITHUB_OUTPUT}"
  exit 0
fi

resolve() {
  git -C "${INPUT_PATH}" rev-parse --verify --quiet --end-of-options "$1^{commit}"
}

if ! sha="$(resolve "${BASE}")"; then
  # Fetch only a commit SHA or a ref name: nothing git could read as an option or a
  # refspec that writes a local ref.
  if [[ "${BASE}" == [-+]* ]] || ! git check-ref-format --allow-onelevel "${BASE}" 2>/dev/null; then
    echo "cprlint: the 'base' input is neither a commit SHA nor a ref name" >&2
    exit 2
  fi
  echo "cprlint: fetching the base commit from origin"
  git -C "${INPUT_PATH}" fetch --no-tags --depth=1 origin -- "${BASE}"
  # A SHA resolves once fetched; a branch name arrives only as FETCH_HEAD.
  sha="$(resolve "${BASE}" || resolve FETCH_HEAD)"
fi

echo "sha=${sha}" >>"${GITHUB_OUTPUT}"
