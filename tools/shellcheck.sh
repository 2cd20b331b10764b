#!/usr/bin/env bash
# tools/shellcheck.sh: every shell script of the tree through shellcheck.  KTAP,
# one test per script, and a closing "N passed, N failed" line.
#
#   tools/shellcheck.sh [FILE...]        (make shellcheck; part of make test)
#
# The scripts: every file git tracks (every file under the tree, build/
# and .git/ aside, outside a git checkout) whose first line is a sh or
# bash shebang, and every *.sh file (the sourced libraries have no
# shebang; they say "# shellcheck shell=bash").  shellcheck runs from the
# top of the tree with -x, so "# shellcheck source=test/lib/..." lines
# are followed; a script fails on any finding, style notes included.  A
# finding that is wrong for a line is silenced there with
# "# shellcheck disable=SCnnnn # why", never for a whole file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v shellcheck >/dev/null 2>&1 ||
	{ echo "shellcheck: not installed (tools/deps.sh shellcheck)" >&2; exit 2; }

is_shell() {
	local first
	[[ $1 == *.sh ]] && return 0
	IFS= read -r first <"$1" 2>/dev/null || return 1
	[[ $first =~ ^\#!.*(/|[[:space:]])(ba)?sh([[:space:]]|$) ]]
}

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files and new ones not ignored: what a commit would hold.
		mapfile -t all < <(git ls-files --cached --others --exclude-standard | sort -u)
	else
		mapfile -t all < <(find . -path ./build -prune -o -path ./.git -prune \
			-o -type f -print | sed 's|^\./||' | sort)
	fi
	for f in "${all[@]}"; do
		[[ -f $f ]] && is_shell "$f" && files+=("$f")
	done
fi

echo "KTAP version 1"
echo "1..${#files[@]}"
pass=0 fail=0 n=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$(shellcheck -x -f gcc "$f" 2>&1); then
		echo "ok $n $f"
		pass=$((pass + 1))
	else
		echo "not ok $n $f # $(grep -c . <<<"$out") finding(s)"
		while IFS= read -r line; do
			echo "# | $line"
		done <<<"$out"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
