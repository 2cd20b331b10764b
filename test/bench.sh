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

# A BENCH line must carry every field, each of the right kind; field
# order is free so another kernel's output parses as well.
str_fields=(name mode unit)
int_fields=(cpus k pages runs)
num_fields=(median min max)
valid_json() {
	local f
	for f in "${str_fields[@]}"; do
		[[ $1 =~ \"$f\":\"[^\"]+\" ]] || return 1
	done
	for f in "${int_fields[@]}"; do
		[[ $1 =~ \"$f\":[0-9]+[,}] ]] || return 1
	done
	for f in "${num_fields[@]}"; do
		[[ $1 =~ \"$f\":[0-9]+(\.[0-9]+)?[,}] ]] || return 1
	done
	[[ $1 =~ ^\{.*\}$ ]]
}

# shootdown_summary RESULTS: "# " lines.  For shootdown_1page and _512pages
# per machine size and mode: k, median, min, max, marginal = median(k) -
# median(k = 0) and, for one page, marginal / Linux's marginal.  Linux 6.1,
# madvise(MADV_DONTNEED) of a touched page with busy threads on k other
# CPUs, QEMU -smp 8 TCG on this host: about 5 us (k=1), 3-6 ms (2),
# 13-16 ms (4), 30-39 ms (7); the midpoints are used.  Then sync vs async
# throughput and per-CPU window vs kenter+kremove.
shootdown_summary() {
	grep -Eq '"name":"(shootdown|window_|kenter_)' "$1" || return 0
	awk "$(cat "$top/tools/lib/json-field.awk")"'
	function us(ns) { return sprintf("%.1f", ns / 1000) }
	BEGIN {
		linux[1] = 5000; linux[2] = 4500000; linux[4] = 14500000
		linux[7] = 34500000
	}
	{
		n = field($0, "name"); c = field($0, "cpus"); k = field($0, "k")
		m = field($0, "mode")
		med[n, c, m, k] = field($0, "median")
		lo[n, c, m, k] = field($0, "min"); hi[n, c, m, k] = field($0, "max")
		if (n ~ /^shootdown_(1page|512pages)$/ && !((n, c, m) in grp)) {
			grp[n, c, m] = 1; order[++ng] = n SUBSEP c SUBSEP m
		}
		if (!((n, c, m, k) in seenk)) { seenk[n, c, m, k] = 1; ks[n, c, m] = ks[n, c, m] " " k }
		if (n == "shootdown_throughput_sync" && !((c, k) in thr)) {
			thr[c, k] = 1; thro[++nt] = c SUBSEP k
		}
		if (n == "window_zero_page" && !((c, m) in win)) {
			win[c, m] = 1; wino[++nw] = c SUBSEP m
		}
	}
	END {
		if (ng > 0) {
			printf "# shootdown latency (us per operation; marginal = median(k) - median(k=0); ratio vs Linux = marginal / Linux marginal)\n"
			printf "# %-18s %4s %-4s %3s %10s %10s %10s %10s %14s\n", "name", "cpus", "mode", "k", "median", "min", "max", "marginal", "ratio vs Linux"
		}
		for (g = 1; g <= ng; g++) {
			split(order[g], a, SUBSEP); n = a[1]; c = a[2]; m = a[3]
			nk = split(ks[n, c, m], kl, " ")
			for (i = 1; i <= nk; i++)
				for (j = i + 1; j <= nk; j++)
					if (kl[j] + 0 < kl[i] + 0) { t = kl[i]; kl[i] = kl[j]; kl[j] = t }
			for (i = 1; i <= nk; i++) {
				k = kl[i]
				base = ((n, c, m, 0) in med) ? med[n, c, m, 0] : ""
				marg = base == "" ? "-" : us(med[n, c, m, k] - base)
				ratio = "-"
				if (base != "" && n == "shootdown_1page" && (k in linux))
					ratio = sprintf("%.3f", (med[n, c, m, k] - base) / linux[k])
				printf "# %-18s %4s %-4s %3s %10s %10s %10s %10s %14s\n", n, c, m, k, us(med[n, c, m, k]), us(lo[n, c, m, k]), us(hi[n, c, m, k]), marg, ratio
			}
		}
		if (nt > 0)
			printf "# %-28s %4s %3s %12s %12s %8s\n", "shootdown throughput (pages/s)", "cpus", "k", "sync", "async", "async/sync"
		for (i = 1; i <= nt; i++) {
			split(thro[i], a, SUBSEP); c = a[1]; k = a[2]
			sy = med["shootdown_throughput_sync", c, "busy", k]
			as = med["shootdown_throughput_async", c, "busy", k]
			printf "# %-28s %4s %3s %12s %12s %8s\n", "", c, k, sy, as, (sy > 0 && as != "") ? sprintf("%.1f", as / sy) : "-"
		}
		if (nw > 0)
			printf "# %-28s %4s %-7s %10s %10s %7s %10s %10s %7s\n", "window vs kenter (us/page)", "cpus", "mode", "win zero", "kent zero", "ratio", "win copy", "kent copy", "ratio"
		for (i = 1; i <= nw; i++) {
			split(wino[i], a, SUBSEP); c = a[1]; m = a[2]
			wz = med["window_zero_page", c, m, c - 1]; kz = med["kenter_zero_page", c, m, c - 1]
			wc = med["window_copy_page", c, m, c - 1]; kc = med["kenter_copy_page", c, m, c - 1]
			printf "# %-28s %4s %-7s %10s %10s %7s %10s %10s %7s\n", "", c, m, us(wz), us(kz), (wz > 0 ? sprintf("%.1f", kz / wz) : "-"), us(wc), us(kc), (wc > 0 ? sprintf("%.1f", kc / wc) : "-")
		}
	}' "$1"
}

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

	# Collect: BENCH lines of the log, each checked, "machine" appended.
	got=0 bad=0 done_seen=0
	while IFS= read -r line; do
		if [[ $line == "BENCH "* ]]; then
			json=${line#BENCH }
			if valid_json "$json"; then
				printf '%s,"machine":"%s"}\n' "${json%\}}" \
					"$machine" >>"$tmp_results"
				got=$((got + 1))
			else
				echo "# $name: unparsable: $line"
				bad=$((bad + 1))
			fi
		elif [[ $line == "bench: done"* ]]; then
			done_seen=1
		fi
	done <"$log"

	why=""
	if [[ $qstatus -ne 0 ]]; then
		# A failed benchmark run explains itself better than the
		# harness's generic reason does.
		why=$(grep -m1 '^bench: .* failed: ' "$log" || true)
		[[ -n $why ]] || why=$(grep -m1 '^not ok' "$report" |
			sed 's/^not ok [0-9]* [^ ]* # //')
		why=${why:-test/run-qemu.sh exited $qstatus}
	elif [[ $done_seen -eq 0 ]]; then
		why="no 'bench: done' line"
	elif [[ $got -eq 0 ]]; then
		why="no BENCH results"
	elif [[ $bad -ne 0 ]]; then
		why="$bad unparsable BENCH lines"
	fi
	if [[ -z $why ]]; then
		echo "ok $index $name"
		passed=$((passed + 1))
	else
		echo "not ok $index $name # $why"
		failed=$((failed + 1))
		# The end of the serial log says what happened.
		tail -n 15 "$log" | sed 's/^/# | /'
	fi
	echo "# $name: $got results in $((SECONDS - start)) s; log $log"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)," \
	"other QEMUs running: $(pgrep -c qemu-system || true)" >>"$out/machine.txt"

mv -f "$tmp_results" "$results"
trap - EXIT
echo "# results: $results ($(wc -l <"$results") measurements)"

# The table: one row per measurement as "# " lines (KTAP diagnostics),
# sorted so one benchmark's -smp values sit together.
printf '# %-18s %4s %4s %5s %-5s %12s %12s %12s %-7s %s\n' name cpus k pages \
	mode median min max unit machine
awk "$(cat "$top/tools/lib/json-field.awk")"'
{
	printf "# %-18s %4s %4s %5s %-5s %12s %12s %12s %-7s %s\n",
	    field($0, "name"), field($0, "cpus"), field($0, "k"),
	    field($0, "pages"), field($0, "mode"), field($0, "median"),
	    field($0, "min"), field($0, "max"), field($0, "unit"),
	    field($0, "machine")
}' "$results" | sort -k2,2 -k6,6 -k4,4n -k3,3n

# The shootdown summary: marginal cost of the remote CPUs and the ratio to
# Linux 6.1 on the same QEMU configuration (docs/PERFORMANCE.md section 5).
shootdown_summary "$results"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
