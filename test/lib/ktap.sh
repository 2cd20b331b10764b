# ktap.sh - the closing line "N passed, N failed[, N skipped]" that every
# test part prints, shared by the shell scripts that sum parts (sourced).
# Its Python twin, test/lib/ktap.py, cleans serial logs and judges boots
# for the runners; test/lib/ktap_test.py checks that both accept exactly
# the same closing lines.
#
#   ktap_parse LINE      sets ktap_p ktap_f ktap_s from a closing line;
#                        returns 1 (and sets nothing) for any other line
#   ktap_add P F S       adds to the running total
#   ktap_total           prints the total's closing line; its status is 0
#                        iff nothing failed
# shellcheck shell=bash

ktap_closing_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
ktap_pass=0
ktap_fail=0
ktap_skip=0

# shellcheck disable=SC2034 # ktap_p, ktap_f, ktap_s are for the caller
ktap_parse() {
	[[ $1 =~ $ktap_closing_re ]] || return 1
	ktap_p=${BASH_REMATCH[1]}
	ktap_f=${BASH_REMATCH[2]}
	ktap_s=${BASH_REMATCH[4]:-0}
}

ktap_add() {
	ktap_pass=$((ktap_pass + $1))
	ktap_fail=$((ktap_fail + $2))
	ktap_skip=$((ktap_skip + ${3:-0}))
}

ktap_total() {
	if [[ $ktap_skip -gt 0 ]]; then
		echo "$ktap_pass passed, $ktap_fail failed, $ktap_skip skipped"
	else
		echo "$ktap_pass passed, $ktap_fail failed"
	fi
	[[ $ktap_fail -eq 0 ]]
}
