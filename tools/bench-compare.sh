#!/usr/bin/env bash
# Compare two benchmark result files side by side.
#
#   tools/bench-compare.sh A.json B.json
#
# A and B are results.json files of test/bench.sh (one JSON object per
# line).  Measurements are matched on their key name + cpus + k + pages +
# mode; for each key present in either file one row shows A's and B's
# median and the ratio B/A.  Whether a ratio is good depends on the unit:
# for "ns" below 1 means B is faster, for "msgs/s" and the ratios above 1
# means B does better.  The last column says "~" when each median lies
# inside the other run's min..max - the difference is within the noise
# of the runs - and is empty otherwise.  If a file holds the same key
# twice (e.g. results of two machines), the later line wins; a note says
# when A and B come from different machines (qemu-tcg, qemu-icount).
#
# Exit status: 0, or 2 on a usage error (a missing file).  This reports,
# it does not judge: no ratio makes it fail.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 A.json B.json" >&2
	exit 2
fi
for f in "$1" "$2"; do
	[[ -f $f ]] || { echo "bench-compare: no such file: $f" >&2; exit 2; }
done

# awk, not jq: CI machines have awk for sure.  The kernel writes flat
# objects with simple values, which field() reads regardless of order.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
awk -v afile="$1" -v bfile="$2" "$(cat "$top/tools/lib/json-field.awk")"'
# A key missing from one side shows as "-".
function show(v) {
	if (v == "")
		return "-"
	return v
}
{
	if (field($0, "name") == "")
		next
	key = field($0, "name") SUBSEP field($0, "cpus") SUBSEP \
	    field($0, "k") SUBSEP field($0, "pages") SUBSEP field($0, "mode")
	# NR == FNR only while reading the first file (even if B is A).
	side = (NR == FNR) ? "a" : "b"
	if (!(key in seen)) {
		seen[key] = 1
		order[++n] = key
	}
	med[side, key] = field($0, "median")
	lo[side, key] = field($0, "min")
	hi[side, key] = field($0, "max")
	unit[key] = field($0, "unit")
	m = field($0, "machine")
	if (!((side, m) in hasmach)) {
		hasmach[side, m] = 1
		mach[side] = mach[side] (mach[side] == "" ? "" : ",") m
	}
}
END {
	printf "A: %s (%s)\nB: %s (%s)\n", afile, mach["a"], bfile, mach["b"]
	if (mach["a"] != mach["b"])
		print "note: A and B were measured on different machines"
	printf "%-18s %4s %4s %5s %-5s %-7s %12s %12s %8s\n", "name", "cpus",
	    "k", "pages", "mode", "unit", "A median", "B median", "B/A"
	# Rows sorted so one benchmark sits together; the header first.
	fflush()
	sorter = "sort -k1,1 -k5,5 -k3,3n -k4,4n -k2,2n"
	for (i = 1; i <= n; i++) {
		key = order[i]
		split(key, kf, SUBSEP)
		a = med["a", key]
		b = med["b", key]
		ratio = "-"
		noise = ""
		if (a != "" && b != "") {
			if (a + 0 > 0)
				ratio = sprintf("%.3f", b / a)
			if (b + 0 >= lo["a", key] + 0 && b + 0 <= hi["a", key] + 0 &&
			    a + 0 >= lo["b", key] + 0 && a + 0 <= hi["b", key] + 0)
				noise = " ~"
		}
		printf "%-18s %4s %4s %5s %-5s %-7s %12s %12s %8s%s\n", kf[1],
		    kf[2], kf[3], kf[4], kf[5], unit[key], show(a), show(b),
		    ratio, noise | sorter
	}
	close(sorter)
}' "$1" "$2"
