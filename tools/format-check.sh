#!/usr/bin/env bash
# format-check.sh: every C file must be as clang-format (with the
# project's .clang-format) would write it.  KTAP, one test per file that
# differs, and a closing "N passed, N failed" line (one pass per file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(find sys test tools -name '*.[ch]' | sort)
echo "KTAP version 1"
echo "1..${#files[@]}"
pass=0 fail=0 n=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "not ok $n $f # not clang-formatted: run make format"
	fi
done
echo "# $pass of ${#files[@]} files formatted"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
