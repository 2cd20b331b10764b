#!/usr/bin/env bash
# Run every test part and sum their results into one closing line.
#
#   test/run-all.sh [PART...]      (default: host boot)
#
# A PART is "host" (make test-host: host tests under sanitizers), "boot"
# (test/boot-tests.sh: QEMU boots), or NAME=COMMAND for anything else that
# follows the same convention (e.g. 'fmt=make format-check' would need
# to print a closing line).
#
# The convention: a part prints KTAP and, as its last unindented closing
# line, its own total "N passed, N failed" (", N skipped" optional).
# run-all.sh shows each part as a nested KTAP subtest (indented two
# spaces, the part's closing lines turned into "# " diagnostics so they are
# not mistaken for the overall result) and ends with exactly one closing
# line summing all parts.  A part that printed no closing line, or exited
# nonzero while counting no failure, adds one failure of its own: the sum
# must never look clean when something did not run.
#
# Exit status 0 iff the final line says 0 failed (which implies every part
# ran and exited 0).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(host boot)

# The command behind each part (printed in the log, then run by bash -c).
part_command() {
	case $1 in
	host) echo "${MAKE:-make} --no-print-directory -s test-host" ;;
	boot) echo "test/boot-tests.sh" ;;
	*=*) echo "${1#*=}" ;;
	*)
		echo "run-all: unknown part '$1' (host, boot or NAME=COMMAND)" >&2
		return 1
		;;
	esac
}

# Check every part name before running anything long.
for part in "${parts[@]}"; do
	part_command "$part" >/dev/null || exit 2
done

closing_re='^(([A-Za-z0-9_.-]+): )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
# shellcheck source=test/lib/ktap.sh
source "$top/test/lib/ktap.sh"
start=$SECONDS

echo "KTAP version 1"
echo "1..${#parts[@]}"
n=0
for part in "${parts[@]}"; do
	n=$((n + 1))
	name=${part%%=*}
	cmd=$(part_command "$part")
	part_start=$SECONDS
	echo "  # $name: $cmd"

	last="" # the part's last closing line
	status=0
	while IFS= read -r line; do
		if [[ $line =~ $closing_re ]]; then
			last=$line
			echo "  # part total: $line"
		else
			printf '  %s\n' "$line"
		fi
	done < <(bash -c "$cmd" 2>&1 </dev/null)
	# $! is the process substitution: the part's exit status.
	wait "$!" || status=$?

	p=0 f=0 s=0 why=""
	# A part may name itself ("name: N passed, ..."): parse past that.
	if [[ $last =~ $closing_re ]] && ktap_parse "${last##*: }"; then
		p=$ktap_p f=$ktap_f s=$ktap_s
		if [[ $status -ne 0 && $f -eq 0 ]]; then
			f=1
			why="exited $status but counted no failure"
		elif [[ $f -ne 0 ]]; then
			why="$f failed"
		fi
	else
		f=1
		why="printed no closing line (exit status $status)"
	fi
	ktap_add "$p" "$f" "$s"
	if [[ -z $why ]]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name # $why"
	fi
	echo "# $name: $p passed, $f failed, $s skipped in $((SECONDS - part_start)) s"
done

echo "# run-all: ${#parts[@]} parts in $((SECONDS - start)) s"
ktap_total
