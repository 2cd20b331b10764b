#!/usr/bin/env bash
# make bench-variants: the shootdown benchmarks of every TLB-shootdown
# delivery variant (pmap.inval=ipiq|thread|sync, sys/platform/pc64/
# pmap_inval.c) on the SAME kernel binary, booted alternately.
#
#   test/bench-variants.sh
#
# Environment (all optional):
#   VARIANT_PAIRS  rounds; each boots every variant once (default 3).  The
#                  order alternates (ipiq thread sync, then sync thread
#                  ipiq, ...) so a drift of the host's load during the
#                  run does not always favour the same variant.
#   VARIANTS       the pmap.inval= values, first is the baseline the
#                  ratios divide by (default "ipiq thread sync")
#   BENCH_SMP      -smp values (default "2 8")
#   BENCH_LIST     bench= (default shootdown_1page: modes busy, idle and
#                  crit - remote readers in long critical sections)
#   BENCH_RUNS     bench.runs= (default 5)
#   BENCH_ARGS     more kernel options (default "bench.shootdown_k=1,all
#                  bench.crit_us=100")
#   BENCH_OUT      output directory (default build/bench-variants)
#   BENCH_ELF      the kernel (default build/$KERNCONF/kernel.elf)
#
# Each boot is one test/bench.sh run into $BENCH_OUT/pairP/VARIANT/
# (results.json, serial logs, machine.txt).  Output: KTAP, one test per
# round and variant (the test/bench.sh verdict: the benchmarks ran and
# their results parsed), tools/bench-variants.py's table as "# " lines
# (per variant the median over the rounds of each measurement's median,
# and each variant's ratio to the baseline, min/median/max over the
# rounds), then "N passed, N failed".  Numbers never decide pass or fail.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

pairs=${VARIANT_PAIRS:-3}
read -ra variants <<<"${VARIANTS:-ipiq thread sync}"
smp=${BENCH_SMP:-2 8}
list=${BENCH_LIST:-shootdown_1page}
runs=${BENCH_RUNS:-5}
args=${BENCH_ARGS:-bench.shootdown_k=0,1,all bench.crit_us=100}
out=${BENCH_OUT:-build/bench-variants}
elf=${BENCH_ELF:-build/${KERNCONF:-GENERIC}/kernel.elf}

[[ $pairs =~ ^[0-9]+$ && $pairs -ge 1 ]] ||
	{ echo "bench-variants: VARIANT_PAIRS must be a positive number" >&2; exit 2; }
[[ ${#variants[@]} -ge 1 ]] ||
	{ echo "bench-variants: VARIANTS is empty" >&2; exit 2; }
for v in "${variants[@]}"; do
	case $v in
	ipiq | thread | sync) ;;
	*)
		echo "bench-variants: unknown variant '$v' (ipiq, thread, sync)" >&2
		exit 2
		;;
	esac
done
[[ -f $elf ]] || { echo "bench-variants: no kernel $elf (run make)" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"
echo "KTAP version 1"
echo "1..$((pairs * ${#variants[@]}))"
echo "# bench-variants: $pairs rounds of ${variants[*]}, -smp $smp," \
	"bench=$list bench.runs=$runs $args, kernel $elf"
n=0 passed=0 failed=0
for ((p = 1; p <= pairs; p++)); do
	order=("${variants[@]}")
	if ((p % 2 == 0)); then
		order=()
		for ((i = ${#variants[@]} - 1; i >= 0; i--)); do
			order+=("${variants[i]}")
		done
	fi
	for v in "${order[@]}"; do
		n=$((n + 1))
		dir=$out/pair$p/$v
		mkdir -p "$dir"
		status=0
		BENCH_OUT=$dir BENCH_SMP=$smp BENCH_LIST=$list BENCH_RUNS=$runs \
			BENCH_ARGS="$args pmap.inval=$v" BENCH_ELF=$elf \
			test/bench.sh >"$dir/bench.txt" 2>&1 || status=$?
		if [[ $status -eq 0 ]] && grep -q "pmap.inval=$v)" "$dir"/serial-smp*.log; then
			echo "ok $n round$p-$v"
			passed=$((passed + 1))
		else
			echo "not ok $n round$p-$v # test/bench.sh exit $status (see $dir/bench.txt)"
			grep -E '^(not ok|# \|)' "$dir/bench.txt" | tail -n 15 | sed 's/^/# /' || true
			failed=$((failed + 1))
		fi
	done
done
if ! /usr/bin/python3 tools/bench-variants.py --dir "$out" --pairs "$pairs" \
	--variants "${variants[*]}" | sed 's/^/# /'; then
	echo "# bench-variants: the results do not parse: counted as a failure"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
