#!/usr/bin/env bash
# Boot the kernel with bench= at several -smp values and collect results.
#
#   test/bench.sh
#
# Environment (all optional):
#   BENCH_SMP      -smp values, blank or comma separated (default "2 8")
#   BENCH_LIST     the bench= value: all, or name,name (default all)
#   BENCH_RUNS     bench.runs=: measured runs per point (default 7)
#   BENCH_ARGS     more kernel command-line words, e.g. "bench.k=1,2,4"
#   BENCH_MODE     tcg (default: multi-threaded TCG, machine "qemu-tcg")
#                  or icount (-icount shift=4,sleep=off: deterministic,
#                  single-threaded, machine "qemu-icount")
#   BENCH_OUT      output directory (default build/bench)
#   BENCH_ELF      kernel (default build/$KERNCONF/kernel.elf)
#   BENCH_TIMEOUT  seconds per boot (default 600)
#   BENCH_MACHINE  QEMU machine (default q35)
#
# The boots are this script's; tools/bench-report.py parses the logs,
# writes results.json and prints the tables.
#
# Output, in BENCH_OUT:
#   results.json       one JSON object per line per measurement: the
#                      kernel's BENCH line (name cpus k pages mode unit
#                      median min max runs) plus "machine"
#   serial-smpN.log    each boot's serial log (test/run-qemu.sh's log)
#   run-smpN.txt       test/run-qemu.sh's own report of each boot
#   machine.txt        host, CPU model, QEMU version, load, kernel commit
# and on stdout KTAP: one test per boot, the results table as "# "
# lines, and the closing "N passed, N failed".
#
# A boot passes when it ran to the kernel's "bench: done" line, QEMU
# reported success, and at least one BENCH line was produced and parsed.
# Nothing here judges the numbers themselves: performance is reported,
# never pass/fail.  Boots run one after another, because on a 2-core host
# two QEMUs at once would measure each other.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

smp_list=${BENCH_SMP:-2 8}
bench_list=${BENCH_LIST:-all}
runs=${BENCH_RUNS:-7}
extra_args=${BENCH_ARGS:-}
mode=${BENCH_MODE:-tcg}
out=${BENCH_OUT:-build/bench}
elf=${BENCH_ELF:-build/${KERNCONF:-GENERIC}/kernel.elf}
timeout_s=${BENCH_TIMEOUT:-600}
qmachine=${BENCH_MACHINE:-q35}

case $mode in
tcg) machine=qemu-tcg icount=() ;;
icount) machine=qemu-icount icount=(--icount) ;;
*)
	echo "bench: BENCH_MODE must be tcg or icount, not '$mode'" >&2
	exit 2
	;;
esac
[[ $runs =~ ^[0-9]+$ && $runs -ge 1 ]] ||
	{ echo "bench: BENCH_RUNS must be a positive number" >&2; exit 2; }
[[ -f $elf ]] || { echo "bench: no kernel $elf (run make)" >&2; exit 2; }
read -ra smps <<<"${smp_list//,/ }"
[[ ${#smps[@]} -gt 0 ]] || { echo "bench: BENCH_SMP is empty" >&2; exit 2; }
for n in "${smps[@]}"; do
	[[ $n =~ ^[0-9]+$ && $n -ge 1 ]] ||
		{ echo "bench: bad -smp value '$n'" >&2; exit 2; }
done

mkdir -p "$out"
results=$out/results.json
# Build the new results beside the old and rename at the end, so an
# interrupted run leaves the previous results.json intact.
tmp_results=$(mktemp "$out/.results.XXXXXX")
trap 'rm -f "$tmp_results"' EXIT

# What the numbers were measured on: the docs quote this file.
{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -srm), nproc $(nproc)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "qemu: $(qemu-system-x86_64 --version | head -n 1)"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)," \
		"other QEMUs running: $(pgrep -c qemu-system || true)"
	echo "kernel: $elf, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- sys 2>/dev/null || echo ' + uncommitted changes')"
	echo "machine: $machine, -M $qmachine, smp: ${smps[*]}"
	echo "cmdline: bench=$bench_list bench.runs=$runs${extra_args:+ $extra_args}"
} >"$out/machine.txt"

# The parsing and reporting half (BENCH lines, results.json, the tables).
bench_report=(/usr/bin/python3 "$top/tools/bench-report.py")

echo "KTAP version 1"
echo "1..${#smps[@]}"
# Other work on the host steals the vCPUs' host cores and skews TCG
# numbers by orders of magnitude; say so next to the results.
read -r load1 _ </proc/loadavg
if [[ ${load1%.*} -ge $(nproc) ]]; then
	echo "# warning: host load average $load1 on $(nproc) cores: expect noisy numbers"
fi
others=$(pgrep -c qemu-system || true)
if [[ $others -gt 0 ]]; then
	echo "# warning: $others other QEMU processes are running: expect noisy numbers"
fi
passed=0 failed=0 index=0
for n in "${smps[@]}"; do
	index=$((index + 1))
	name=bench-smp$n
	log=$out/serial-smp$n.log
	report=$out/run-smp$n.txt
	# Per-CPU allocations grow with the CPU count; 512M covers -smp 32.
	mem=$((n > 32 ? 256 + 8 * n : 512))M
	cmdline="bench=$bench_list bench.runs=$runs${extra_args:+ $extra_args}"
	echo "# $name: booting -smp $n ($machine): $cmdline"
	# Other load on the host skews a boot's numbers; record it per boot.
	echo "$name: load average $(cut -d' ' -f1-3 /proc/loadavg)," \
		"other QEMUs running: $(pgrep -c qemu-system || true)" \
		>>"$out/machine.txt"
	start=$SECONDS
	qstatus=0
	test/run-qemu.sh --name "$name" --elf "$elf" --cmdline "$cmdline" \
		--machine "$qmachine" --smp "$n" --mem "$mem" \
		--timeout "$timeout_s" --log "$log" "${icount[@]}" \
		>"$report" 2>&1 || qstatus=$?
	echo "$name: after: load average $(cut -d' ' -f1-3 /proc/loadavg)," \
		"other QEMUs running: $(pgrep -c qemu-system || true)" \
		>>"$out/machine.txt"

	# Collect: BENCH lines of the log, each checked, "machine" appended;
	# the boot's KTAP result line.
	if "${bench_report[@]}" collect --log "$log" --report "$report" \
		--status "$qstatus" --machine "$machine" --name "$name" \
		--index "$index" --append "$tmp_results"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	echo "# $name: $((SECONDS - start)) s"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)," \
	"other QEMUs running: $(pgrep -c qemu-system || true)" >>"$out/machine.txt"

mv -f "$tmp_results" "$results"
trap - EXIT
# The table, one row per measurement, and the shootdown summary
# (marginal cost of the remote CPUs, ratio to Linux's as measured by make
# bench-vs-linux; docs/PERFORMANCE.md section 5), as "# " lines.
if ! "${bench_report[@]}" table "$results"; then
	echo "# bench: $results does not parse: counted as a failure"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
