#!/usr/bin/env bash
# The Bochs runs `make test-bochs` does, summed into one closing line.
#
#   test/bochs-tests.sh [NAME...]
#
# Environment: BOCHS_CPUS (default 4), BOCHS_TIMEOUT (seconds per run,
# default 180), BOCHS_PERCPU_SITE (default smp), BOCHS_JOBS (runs at once,
# default: the number of host CPUs, at most 3), KERNCONF.
#
# Runs (each one KTAP test, numbered in this order):
#   bochs-xapic    test=all on BOCHS_CPUS CPUs, xAPIC    (test/run-bochs.sh)
#   bochs-x2apic   test=all on BOCHS_CPUS CPUs, x2APIC   (test/run-bochs.sh)
#   bochs-percpu   per-CPU layout through Bochs's debugger at the
#                  magic breakpoint BOCHS_PERCPU_SITE   (test/bochs-percpu.sh)
#
# Bochs is single-threaded, so unlike QEMU boots the runs do go in
# parallel: two at a time on a 2-core machine halves the wall time.  Each
# run's output is collected in build/bochs/NAME.ktap and printed in order
# once it has finished, so the KTAP is the same whatever the timing.
#
# Output: KTAP version 1, the plan, each run's output (its nested subtest
# and "ok N NAME" line, with the run's own closing line turned into a
# "# " diagnostic), then the sum of all runs as "N passed, N failed".
# A run that printed no closing line or exited nonzero while counting no
# failure adds a failure.  Exit status 0 iff the sum says 0 failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cpus=${BOCHS_CPUS:-4}
timeout_s=${BOCHS_TIMEOUT:-180}
site=${BOCHS_PERCPU_SITE:-smp}
ncpu=$(nproc 2>/dev/null || echo 2)
jobs=${BOCHS_JOBS:-$((ncpu < 3 ? ncpu : 3))}

names=()
cmds=()
run() { # run NAME COMMAND...
	names+=("$1")
	shift
	cmds+=("$(printf '%q ' "$@")")
}
run bochs-xapic "$top/test/run-bochs.sh" --cpus "$cpus" --apic xapic \
	--cmdline "test=all" --timeout "$timeout_s"
run bochs-x2apic "$top/test/run-bochs.sh" --cpus "$cpus" --apic x2apic \
	--cmdline "test=all" --timeout "$timeout_s"
run bochs-percpu "$top/test/bochs-percpu.sh" --cpus "$cpus" --site "$site" \
	--timeout "$timeout_s"

selected=()
if [[ $# -eq 0 ]]; then
	selected=("${!names[@]}")
else
	for w in "$@"; do
		found=""
		for i in "${!names[@]}"; do
			[[ ${names[i]} != "$w" ]] || found=$i
		done
		[[ -n $found ]] || {
			echo "bochs-tests: no run '$w'; have: ${names[*]}" >&2
			exit 2
		}
		selected+=("$found")
	done
fi

out=$top/build/bochs
mkdir -p "$out"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		[[ -z $p ]] || kill "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Start every run, at most $jobs at a time.  Run k writes NAME.ktap and
# NAME.status.
start=$SECONDS
k=0
for i in "${selected[@]}"; do
	k=$((k + 1))
	while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
		wait -n || true
	done
	n=${names[i]}
	rm -f "$out/$n.ktap" "$out/$n.status"
	(
		st=0
		bash -c "${cmds[i]} --name $n --index $k" >"$out/$n.ktap" 2>&1 </dev/null || st=$?
		echo "$st" >"$out/$n.status"
	) &
	pids+=("$!")
done
wait || true
pids=()

# shellcheck source=test/lib/ktap.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/ktap.sh"
echo "KTAP version 1"
echo "1..${#selected[@]}"
k=0
for i in "${selected[@]}"; do
	k=$((k + 1))
	n=${names[i]}
	last=""
	result=""
	while IFS= read -r line || [[ -n $line ]]; do
		if [[ $line =~ $ktap_closing_re ]]; then
			last=$line
			echo "# $n: $line"
		else
			printf '%s\n' "$line"
			[[ ! $line =~ ^(not\ )?ok\ [0-9]+\  ]] || result=$line
		fi
	done <"$out/$n.ktap"
	st=$(cat "$out/$n.status" 2>/dev/null || echo 1)
	p=0 f=1 s=0
	if ktap_parse "$last"; then
		p=$ktap_p f=$ktap_f s=$ktap_s
		[[ $st -eq 0 || $f -ne 0 ]] || f=1
	fi
	# Every run must say ok/not ok for itself; if it died first, say it.
	[[ -n $result ]] || echo "not ok $k $n # exited $st without a result"
	ktap_add "$p" "$f" "$s"
done
echo "# bochs-tests: ${#selected[@]} runs, $jobs at a time, in $((SECONDS - start)) s"
ktap_total
