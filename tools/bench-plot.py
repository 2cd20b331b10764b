#!/usr/bin/python3
"""Plot benchmark results (PNG, matplotlib).

  tools/bench-plot.py [-o OUTDIR] RESULTS.json...

Reads results.json files of test/bench.sh (several may be given, e.g.
`make bench` and `make bench-scale` output; for a measurement present in
more than one, the later file wins) and writes one PNG per entry of the
plot table below into OUTDIR (default docs/img).  Each point is a median
with min..max error bars.  A plot whose benchmarks have no results is
skipped with a note, so plots of benchmarks that do not exist yet can be
listed already.  Reference curves (numbers that are not our
measurements) come from make bench-vs-linux's results (benchres.reference).

Needs python3-matplotlib (tools/deps.sh plot).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchres  # noqa: E402

# The fields that, with name and mode, identify a point; a series groups
# its rows into curves by the ones that are not the x axis.
CURVE_FIELDS = ("cpus", "k", "pages", "machine")

# ---------------------------------------------------------------------
# The plot table.  Add an entry to add a plot.
#   file     OUTDIR/FILE.png
#   x        the x axis: cpus (the -smp of the boot), k or pages
#   ydiv     the medians are divided by this (1000: ns to us)
#   scale    lin, logx (x base 2: CPU counts double), logy, or loglog
#   series   NAME or NAME/MODE, a benchmark result name as in results.json,
#            optionally followed by @FIELD=VALUE filters (cpus, k, pages,
#            machine), e.g. ipi_avoided/idle@k=1.  @k=others keeps the
#            rows whose k is every other CPU (k = cpus - 1) and merges
#            them into one curve; @FIELD=* ("any") merges the rows of
#            every value of FIELD into one curve (for a k that grows with
#            the machine).  Or ref:NAME, an entry of
#            benchres.reference (Linux measured by make bench-vs-linux)
#            drawn dashed without error bars.
# Rows of one series that differ in a field other than x (another
# machine, another k) become separate curves, labelled with that field.
PLOTS = [
    dict(file="ipi-msgs-vs-cpus", x="cpus",
         title="LWKT IPI-queue messages per second, every CPU to every CPU",
         xlabel="CPUs (-smp)", ylabel="messages/s (median, min..max)", ydiv=1,
         scale="logx", series=["ipi_all_to_all/busy@k=*"]),
    dict(file="ipi-rtt-vs-cpus", x="cpus", title="Round trip CPU 0 <-> CPU 1",
         xlabel="CPUs (-smp)", ylabel="round trip, us (median, min..max)", ydiv=1000,
         scale="loglog",
         series=["ipi_pingpong/busy", "ipi_pingpong/idle", "lwkt_domsg/block"]),
    dict(file="ipi-avoided-vs-cpus", x="cpus",
         title="Share of IPI-queue sends that needed no hardware IPI (all CPUs to one)",
         xlabel="CPUs (-smp)", ylabel="avoided / sent (median, min..max)", ydiv=1,
         scale="logx", series=["ipi_avoided/idle@k=*", "ipi_avoided/busy@k=*"]),
    # TLB shootdowns (sys/vm/pmap_bench.c), with Linux's marginal cost on
    # the same QEMU configuration (docs/PERFORMANCE.md section 5).
    dict(file="shootdown-vs-remote", x="k",
         title="TLB shootdown: unmap + remap + touch vs remote CPUs on the pmap (-smp 8)",
         xlabel="remote CPUs in the address space (k)",
         ylabel="latency per operation, us (median, min..max; log)", ydiv=1000,
         scale="logy",
         series=["shootdown_1page/busy@cpus=8", "shootdown_1page/idle@cpus=8",
                 "shootdown_512pages/busy@cpus=8", "shootdown_512pages/idle@cpus=8",
                 "ref:linux_madvise_marginal"]),
    dict(file="shootdown-vs-cpus", x="cpus",
         title="TLB shootdown latency vs machine size, remote CPUs = all others",
         xlabel="CPUs (-smp)", ylabel="latency per operation, us (median, min..max; log)",
         ydiv=1000, scale="loglog",
         series=["shootdown_1page/busy@k=others", "shootdown_1page/idle@k=others",
                 "shootdown_512pages/busy@k=others", "shootdown_512pages/idle@k=others",
                 "shootdown_1page/busy@k=0"]),
    dict(file="shootdown-rate-vs-cpus", x="cpus",
         title="Single-page shootdowns and invalidation messages per second, "
               "all other CPUs busy",
         xlabel="CPUs (-smp)", ylabel="per second (median, min..max; log)", ydiv=1,
         scale="loglog",
         series=["shootdown_throughput_sync/busy@k=others",
                 "shootdown_throughput_async/busy@k=others",
                 "shootdown_msgs_sync/busy@k=others", "shootdown_msgs_async/busy@k=others"]),
]
# ---------------------------------------------------------------------


def merged(paths):
    """Every measurement of the files; the later file wins for a repeated key."""
    rows = {}
    for p in paths:
        for r in benchres.load(p):
            r.setdefault("machine", "-")
            rows[benchres.key(r) + (r["machine"],)] = r
    return list(rows.values())


def parse_series(spec):
    head, *filters = spec.split("@")
    name, _, mode = head.partition("/")
    want, anyf, others = {}, set(), False
    for f in filters:
        field, _, value = f.partition("=")
        if field not in CURVE_FIELDS:
            raise ValueError("series %s: no field %s" % (spec, field))
        if value == "*":
            anyf.add(field)
        elif field == "k" and value == "others":
            others = True
            anyf.add("k")
        else:
            want[field] = value
    return name, mode, want, anyf, others


def curves_of(rows, spec, xfield):
    """{curve key: [(x, median, min, max)]} for one series, in row order."""
    name, mode, want, anyf, others = parse_series(spec)
    curves = {}
    for r in rows:
        if r["name"] != name or (mode and r["mode"] != mode):
            continue
        if any(str(r[f]) != v for f, v in want.items()):
            continue
        if others and r["k"] != r["cpus"] - 1:
            continue
        key = ("%s/%s" % (r["name"], r["mode"]),) + tuple(
            ("*" if f in anyf else str(r[f])) for f in CURVE_FIELDS if f != xfield)
        curves.setdefault(key, []).append((r[xfield], r["median"], r["min"], r["max"]))
    return curves


def matplotlib_ticker():
    import matplotlib.ticker
    return matplotlib.ticker


def plot(plt, rows, p, outdir):
    xfield, ydiv = p["x"], p["ydiv"]
    results, refs = [], []
    for spec in p["series"]:
        if spec.startswith("ref:"):
            ref = benchres.reference(spec[4:])
            if ref is None:
                print("bench-plot: %s: no make bench-vs-linux results; no Linux curve"
                      % p["file"])
                continue
            pts = sorted((float(x), y) for x, y in ref["points_ns"].items())
            refs.append((ref["title"], pts))
        else:
            results.extend(curves_of(rows, spec, xfield).items())
    if not results:
        print("bench-plot: %s: no results for %s; skipped" % (p["file"], " ".join(p["series"])))
        return False
    # Label each curve with its name and only the fields that vary between
    # curves (one machine everywhere is not worth a label).
    names = [f for f in CURVE_FIELDS if f != xfield]
    varies = [i for i in range(len(names))
              if len({k[1 + i] for k, _ in results}) > 1]
    fig, ax = plt.subplots(figsize=(9, 5.6), dpi=100)
    xs = set()
    for key, pts in results:
        pts.sort()
        label = key[0] + "".join(
            " %s=%s" % (names[i], "all" if key[1 + i] == "*" else key[1 + i]) for i in varies)
        x = [a for a, _, _, _ in pts]
        med = [b / ydiv for _, b, _, _ in pts]
        lo = [(b - c) / ydiv for _, b, c, _ in pts]
        hi = [(d - b) / ydiv for _, b, _, d in pts]
        ax.errorbar(x, med, yerr=[lo, hi], marker="o", linewidth=2, capsize=3, label=label)
        xs.update(x)
    for title, pts in refs:
        ax.plot([a for a, _ in pts], [b / ydiv for _, b in pts], linestyle="--",
                marker="o", linewidth=2, color="black", label=title)
        xs.update(a for a, _ in pts)
    scale = p["scale"]
    if scale in ("logx", "loglog"):
        ax.set_xscale("log", base=2)
    if scale in ("logy", "loglog"):
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    # Ticks at the measured x values only (CPU counts are few).
    ticks = sorted(xs)
    ax.set_xticks(ticks)
    ax.set_xticklabels(["%g" % t for t in ticks])
    ax.xaxis.set_minor_locator(matplotlib_ticker().NullLocator())
    ax.set_title(p["title"])
    ax.set_xlabel(p["xlabel"])
    ax.set_ylabel(p["ylabel"])
    ax.grid(True)
    ax.margins(x=0.05)
    ax.legend(loc="upper left")
    fig.tight_layout()
    out = os.path.join(outdir, p["file"] + ".png")
    fig.savefig(out)
    plt.close(fig)
    print("bench-plot: %s (%d curves)" % (out, len(results) + len(refs)))
    return True


def main():
    ap = argparse.ArgumentParser(prog="bench-plot.py",
                                 description="Plot benchmark results (PNG).")
    ap.add_argument("-o", dest="outdir", default=os.path.join(benchres.TOP, "docs", "img"))
    ap.add_argument("results", nargs="+")
    a = ap.parse_args()
    for f in a.results:
        if not os.path.isfile(f):
            print("bench-plot: no such file: %s" % f, file=sys.stderr)
            return 2
    try:
        rows = merged(a.results)
    except ValueError as e:
        print("bench-plot: %s" % e, file=sys.stderr)
        return 2
    try:
        import matplotlib
    except ImportError:
        print("bench-plot: matplotlib missing: run tools/deps.sh plot", file=sys.stderr)
        return 1
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    os.makedirs(a.outdir, exist_ok=True)
    n = sum(plot(plt, rows, p, a.outdir) for p in PLOTS)
    print("bench-plot: %d plots in %s" % (n, a.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
