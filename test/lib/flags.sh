# flags.sh - option parsing shared by the test runners (sourced, not run).
#
# Options are "--opt VALUE" or "--opt=VALUE".  In the caller's loop:
#
#     while [[ $# -gt 0 ]]; do
#         flag_begin "$1"
#         case $opt in
#         --name) need "$@"; name=$val ;;
#         ...
#         esac
#         shift "$shift_by"
#     done
#
# flag_begin splits "--opt=VALUE"; need() puts the value in $val and how
# many arguments the option used in $shift_by, or exits 2 with a message
# naming $flags_prog (set it to the script's name) when it is missing.
# shellcheck shell=bash

flag_begin() {
	opt=$1
	val=""
	has_val=0
	shift_by=1
	if [[ $opt == --*=* ]]; then
		val=${opt#*=}
		opt=${opt%%=*}
		has_val=1
	fi
}

# shellcheck disable=SC2034 # val and shift_by are for the caller
need() {
	if [[ $has_val -eq 1 ]]; then
		shift_by=1
	elif [[ $# -ge 2 ]]; then
		val=$2
		shift_by=2
	else
		echo "${flags_prog:-test}: $opt needs a value" >&2
		exit 2
	fi
}
