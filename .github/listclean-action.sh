#!/usr/bin/env bash
# The steps of listclean's GitHub Action (action.yml at the repository's root), kept in a script
# so that they run, and are tested, outside GitHub too:
#
#   listclean-action.sh install   make a virtual environment in $RUNNER_TEMP, install listclean
#                                 into it from $GITHUB_ACTION_PATH (the action's own checkout, so
#                                 no package registry has to publish it), and write
#                                 listclean=PATH to $GITHUB_OUTPUT
#   listclean-action.sh check     run `listclean check --format github … -- FILES`: one annotation
#                                 per rule code, the row equation last, and a line in the job
#                                 summary ($GITHUB_STEP_SUMMARY)
#
# action.yml hands the inputs over in the environment (never pasted into a script):
#   INPUT_PYTHON   the interpreter for the virtual environment (default python3; 3.11 or later)
#   INPUT_FILES    export files or glob patterns (** spans folders), separated by spaces or new
#                  lines; quote a name that holds spaces ("May list.csv")
#   INPUT_POLICY, INPUT_CHANNEL, INPUT_FAIL_ON   --policy, --channel, --fail-on (empty: not given,
#                  so the project's listclean.toml, else listclean's default, decides)
#   INPUT_ARGS     more options of `listclean check`, quoted as in a shell
#   LISTCLEAN      the listclean to run (default: the one on PATH)
# The check step exits with listclean's status: 0 nothing at or above --fail-on, 1 findings at or
# above it, 2 a usage or input error (patterns that match no file at all are one; a pattern that
# matches nothing beside others that do is a warning).
set -euo pipefail

fail() {  # an error annotation on the run, and exit status 2 (a usage error)
  echo "::error title=listclean::$*"
  exit 2
}

words() {  # $1 split into words as a shell would (quotes, backslashes), running nothing; NUL-separated
  [ -z "${1//[[:space:]]/}" ] || printf '%s' "$1" | xargs printf '%s\0'
}

expand() {  # the files glob pattern $1 names, NUL-separated, in order; status 1 when none
  local IFS=
  shopt -s globstar nullglob
  # shellcheck disable=SC2206  # globbing on purpose; IFS is empty, so no word splitting
  local matches=($1)
  [ ${#matches[@]} -gt 0 ] && printf '%s\0' "${matches[@]}"
}

install_listclean() {
  local python="${INPUT_PYTHON:-python3}" venv="${RUNNER_TEMP:?}/listclean-venv"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    fail "listclean needs Python 3.11 or later, and '$python' is not one (or is not there):" \
         "run actions/setup-python before this action, or name another interpreter in its python input"
  fi
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${GITHUB_ACTION_PATH:?}"
  echo "listclean $("$venv/bin/python" -c 'from importlib.metadata import version; print(version("listclean"))')" \
       "installed in $venv from $GITHUB_ACTION_PATH"
  echo "listclean=$venv/bin/listclean" >>"${GITHUB_OUTPUT:-/dev/null}"
}

run_check() {
  local pattern file status=0
  scratch="$(mktemp)" output="$(mktemp)"
  trap 'rm -f "$scratch" "$output"' EXIT
  local -a patterns=() files=() extra=() found=()
  local -A seen=()

  words "${INPUT_FILES:-}" >"$scratch" || fail "cannot read the files input (an unmatched quote?)"
  mapfile -d '' -t patterns <"$scratch"
  [ ${#patterns[@]} -gt 0 ] || fail "no files to check: give the files input, e.g. exports/*.csv"
  for pattern in "${patterns[@]}"; do
    if [[ $pattern == *[*?[]* ]]; then
      found=()
      if expand "$pattern" >"$scratch"; then mapfile -d '' -t found <"$scratch"
      else echo "::warning title=listclean::no file matches $pattern"
      fi
    else
      found=("$pattern")  # a plain name: listclean says so if it is not there
    fi
    for file in "${found[@]}"; do  # a file named twice is read once
      [ -n "${seen[$file]:-}" ] || files+=("$file")
      seen[$file]=1
    done
  done
  [ ${#files[@]} -gt 0 ] || fail "no file matches ${patterns[*]}"
  words "${INPUT_ARGS:-}" >"$scratch" || fail "cannot read the args input (an unmatched quote?)"
  mapfile -d '' -t extra <"$scratch"

  local -a command=("${LISTCLEAN:-listclean}" check --format github)
  if [ -n "${INPUT_POLICY:-}" ]; then command+=(--policy "$INPUT_POLICY"); fi
  if [ -n "${INPUT_CHANNEL:-}" ]; then command+=(--channel "$INPUT_CHANNEL"); fi
  if [ -n "${INPUT_FAIL_ON:-}" ]; then command+=(--fail-on "$INPUT_FAIL_ON"); fi
  command+=("${extra[@]}" -- "${files[@]}")
  echo "listclean check$(printf ' %q' "${command[@]:2}")"
  "${command[@]}" >"$output" || status=$?
  cat "$output"

  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$status" -le 1 ]; then
    {
      echo "### listclean check"
      echo
      echo '```'
      echo "${files[*]}"
      tail -n 1 "$output"
      echo '```'
      echo
      if [ "$status" -eq 0 ]; then echo "Nothing at or above --fail-on."
      else echo "Findings at or above --fail-on: see the annotations (\`listclean rule CODE\` explains a code)."
      fi
    } >>"$GITHUB_STEP_SUMMARY"
  fi
  return "$status"
}

case "${1:-}" in
  install) install_listclean ;;
  check) run_check ;;
  *) echo "usage: $0 install|check" >&2; exit 2 ;;
esac
