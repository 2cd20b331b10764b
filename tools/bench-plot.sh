#!/usr/bin/env bash
# Plot benchmark results (PNG, gnuplot).
#
#   tools/bench-plot.sh [-o OUTDIR] RESULTS.json...
#
# Reads results.json files of test/bench.sh (several may be given, e.g.
# `make bench` and `make bench-scale` output; for a measurement present
# in more than one, the later file wins) and writes one PNG per entry of
# the plot table below into OUTDIR (default docs/img).  Each point is a
# median with min..max error bars.  A plot whose benchmarks have no
# results is skipped with a note, so plots of benchmarks that do not
# exist yet can be listed already.
#
# Needs gnuplot (tools/deps.sh plot installs gnuplot-nox).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
outdir=$top/docs/img

usage() {
	echo "usage: $0 [-o OUTDIR] RESULTS.json..." >&2
	exit 2
}
while getopts o: opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $# -ge 1 ]] || usage
for f in "$@"; do
	[[ -f $f ]] || { echo "bench-plot: no such file: $f" >&2; exit 2; }
done
command -v gnuplot >/dev/null 2>&1 ||
	{ echo "bench-plot: gnuplot missing: run tools/deps.sh plot" >&2; exit 1; }
mkdir -p "$outdir"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# pngcairo draws antialiased text; plain png (libgd) is the fallback that
# every gnuplot build has.
if gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
	terminal='pngcairo size 900,560 font "sans,10"'
else
	terminal='png size 900,560'
fi

# One merged table, tab separated: name mode cpus k pages machine median
# min max unit.  The later file wins for a repeated key, which is why the
# files are read in order and the last line per key kept.
awk "$(cat "$top/tools/lib/json-field.awk")"'
{
	if (field($0, "name") == "")
		next
	m = field($0, "machine")
	key = field($0, "name") "\t" field($0, "mode") "\t" field($0, "cpus") \
	    "\t" field($0, "k") "\t" field($0, "pages") "\t" (m == "" ? "-" : m)
	if (!(key in row))
		order[++n] = key
	row[key] = field($0, "median") "\t" field($0, "min") "\t" \
	    field($0, "max") "\t" field($0, "unit")
}
END {
	for (i = 1; i <= n; i++)
		print order[i] "\t" row[order[i]]
}' "$@" >"$tmp/all.tsv"

nplots=0
# plot FILE XFIELD TITLE XLABEL YLABEL YDIV SCALE SERIES...
#   FILE    OUTDIR/FILE.png
#   XFIELD  the x axis: cpus (the -smp of the boot), k or pages
#   YDIV    the medians are divided by this (1000: ns to us)
#   SCALE   lin, logx (x base 2: CPU counts double), logy, or loglog
#   SERIES  NAME or NAME/MODE, a benchmark result name as in results.json,
#           optionally followed by @FIELD=VALUE filters (cpus, k, pages,
#           machine), e.g. ipi_avoided/idle@k=1.  @k=others keeps the
#           rows whose k is every other CPU (k = cpus - 1) and merges
#           them into one curve.  Or a reference curve that is no
#           result: ref:TITLE:X=Y,X=Y... (Y in the results' unit, before
#           YDIV), drawn dashed without error bars.
# Rows of one series that differ in a field other than XFIELD (another
# machine, another k) become separate curves, labelled with that field,
# except fields given as @FIELD=* ("any"): use that for a k that grows
# with the machine (k=all resolves to the CPU count), so the rows of
# all -smp values make one curve.
plot() {
	local file=$1 xfield=$2 title=$3 xlabel=$4 ylabel=$5 ydiv=$6 scale=$7
	shift 7
	local series curves=0 spec=$tmp/$file.plot labels=$tmp/$file.labels

	rm -f "$tmp/$file".*.dat "$labels"
	for series in "$@"; do
		if [[ $series == ref:* ]]; then
			# A reference curve: "R" marks it for the plot command.
			local rest=${series#ref:} pt
			curves=$((curves + 1))
			for pt in ${rest#*:}; do
				awk -v x="${pt%%=*}" -v y="${pt#*=}" -v d="$ydiv" \
				    'BEGIN { printf "%s %.6g %.6g %.6g\n", x, y / d, y / d, y / d }'
			done >"$tmp/$file.$curves.dat"
			printf '%s\tR%s\n' "$curves" "${rest%%:*}" >>"$labels"
			continue
		fi
		# Select the rows, group them into curves, one .dat per curve
		# (x median min max) and one label line per curve.
		awk -F'\t' -v series="$series" -v xfield="$xfield" \
		    -v ydiv="$ydiv" -v prefix="$tmp/$file" -v start="$curves" '
		BEGIN {
			col["cpus"] = 3; col["k"] = 4; col["pages"] = 5
			col["machine"] = 6
			nf = split(series, parts, "@")
			split(parts[1], nm, "/")
			for (i = 2; i <= nf; i++) {
				split(parts[i], kv, "=")
				if (kv[2] == "*")
					any[col[kv[1]]] = 1
				else if (kv[1] == "k" && kv[2] == "others")
					others = any[4] = 1
				else
					want[col[kv[1]]] = kv[2]
			}
		}
		$1 != nm[1] { next }
		nm[2] != "" && $2 != nm[2] { next }
		{
			for (c in want)
				if ($c != want[c])
					next
			if (others && $4 != $3 - 1)
				next
			# The curve: every key field except x.
			curve = $1 "/" $2
			for (c = 3; c <= 6; c++)
				if (c != col[xfield])
					curve = curve "\t" (c in any ? "*" : $c)
			if (!(curve in id)) {
				id[curve] = start + (++ncurves)
				names[ncurves] = curve
			}
			printf "%s %.6g %.6g %.6g\n", $col[xfield], $7 / ydiv,
			    $8 / ydiv, $9 / ydiv >> (prefix "." id[curve] ".dat")
		}
		END {
			for (i = 1; i <= ncurves; i++)
				print start + i "\t" names[i]
		}' "$tmp/all.tsv" >>"$labels"
		curves=$(wc -l <"$labels")
	done
	# Reference curves alone are no plot.
	if [[ $(grep -cv $'^[0-9]*\tR' "$labels" || true) -eq 0 ]]; then
		echo "bench-plot: $file: no results for $*; skipped"
		return 0
	fi

	# Label each curve with its name and only the fields that vary
	# between curves (one machine everywhere is not worth a label).
	awk -F'\t' -v xfield="$xfield" '
	BEGIN {
		# The label columns: the key fields except x, in order.
		nk = split("cpus k pages machine", keys, " ")
		c = 3
		for (i = 1; i <= nk; i++)
			if (keys[i] != xfield)
				fname[c++] = keys[i]
	}
	{
		n++; idx[n] = $1; nm[n] = $2
		for (c = 3; c <= NF; c++) {
			val[n, c] = $c
			if (n > 1 && $c != val[1, c])
				varies[c] = 1
		}
		nfields = NF
	}
	END {
		for (i = 1; i <= n; i++) {
			label = nm[i]
			sub(/\/-$/, "", label)
			for (c = 3; c <= nfields; c++)
				if (c in varies)
					label = label " " fname[c] "=" \
					    (val[i, c] == "*" ? "all" : val[i, c])
			print idx[i] "\t" label
		}
	}' "$labels" >"$labels.final"

	{
		echo "set terminal $terminal"
		# Result names have underscores: no subscripts, please.
		echo "set termoption noenhanced"
		echo "set output '$outdir/$file.png'"
		echo "set title \"$title\""
		echo "set xlabel \"$xlabel\""
		echo "set ylabel \"$ylabel\""
		echo "set grid"
		echo "set key top left"
		echo "set yrange [0:*]"
		case $scale in
		logx) echo "set logscale x 2" ;;
		logy) echo "set logscale y; set yrange [*:*]" ;;
		loglog) echo "set logscale y; set yrange [*:*]; set logscale x 2" ;;
		esac
		# Tics at the measured x values only (CPU counts are few).
		cut -d' ' -f1 "$tmp/$file".*.dat | sort -nu |
			awk '{ t = t (NR > 1 ? ", " : "") "\"" $1 "\" " $1 }
			     END { print "set xtics (" t ")" }'
		echo "set offsets graph 0.05, graph 0.05, graph 0.05, 0"
		local sep="plot "
		while IFS=$'\t' read -r i label; do
			sort -n "$tmp/$file.$i.dat" >"$tmp/$file.$i.sorted"
			if [[ $label == R* ]]; then
				printf "%s'%s' using 1:2 with linespoints lw 2 dt 2 lc rgb 'black' title \"%s\"" \
				    "$sep" "$tmp/$file.$i.sorted" "${label#R}"
			else
				printf "%s'%s' using 1:2:3:4 with yerrorlines lw 2 title \"%s\"" \
				    "$sep" "$tmp/$file.$i.sorted" "$label"
			fi
			sep=", \\"$'\n'"     "
		done <"$labels.final"
		echo
	} >"$spec"
	gnuplot "$spec"
	echo "bench-plot: $outdir/$file.png ($curves curves)"
	nplots=$((nplots + 1))
}

# ---------------------------------------------------------------------
# The plot table.  Add a line to add a plot; series are benchmark result
# names (see docs/PERFORMANCE.md).
plot ipi-msgs-vs-cpus cpus "LWKT IPI-queue messages per second, every CPU to every CPU" \
	"CPUs (-smp)" "messages/s (median, min..max)" 1 logx \
	ipi_all_to_all/busy@k=*
plot ipi-rtt-vs-cpus cpus "Round trip CPU 0 <-> CPU 1" \
	"CPUs (-smp)" "round trip, us (median, min..max)" 1000 loglog \
	ipi_pingpong/busy ipi_pingpong/idle lwkt_domsg/block
plot ipi-avoided-vs-cpus cpus "Share of IPI-queue sends that needed no hardware IPI (all CPUs to one)" \
	"CPUs (-smp)" "avoided / sent (median, min..max)" 1 logx \
	ipi_avoided/idle@k=* ipi_avoided/busy@k=*
# TLB shootdowns (sys/vm/pmap_bench.c).  The Linux 6.1 reference is the
# marginal cost of madvise(MADV_DONTNEED) on the same QEMU configuration
# (docs/PERFORMANCE.md section 5); the midpoints of its ranges, in ns.
linux_ref='ref:Linux 6.1 madvise marginal (QEMU -smp 8):1=5000 2=4500000 4=14500000 7=34500000'
plot shootdown-vs-remote k "TLB shootdown: unmap + remap + touch vs remote CPUs on the pmap (-smp 8)" \
	"remote CPUs in the address space (k)" "latency per operation, us (median, min..max; log)" 1000 logy \
	shootdown_1page/busy@cpus=8 shootdown_1page/idle@cpus=8 \
	shootdown_512pages/busy@cpus=8 shootdown_512pages/idle@cpus=8 "$linux_ref"
plot shootdown-vs-cpus cpus "TLB shootdown latency vs machine size, remote CPUs = all others" \
	"CPUs (-smp)" "latency per operation, us (median, min..max; log)" 1000 loglog \
	shootdown_1page/busy@k=others shootdown_1page/idle@k=others \
	shootdown_512pages/busy@k=others shootdown_512pages/idle@k=others \
	shootdown_1page/busy@k=0
plot shootdown-rate-vs-cpus cpus "Single-page shootdowns and invalidation messages per second, all other CPUs busy" \
	"CPUs (-smp)" "per second (median, min..max; log)" 1 loglog \
	shootdown_throughput_sync/busy@k=others shootdown_throughput_async/busy@k=others \
	shootdown_msgs_sync/busy@k=others shootdown_msgs_async/busy@k=others
# ---------------------------------------------------------------------

echo "bench-plot: $nplots plots in $outdir"
