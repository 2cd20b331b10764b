#!/usr/bin/python3
"""Tabulate make bench-variants: one kernel, every pmap.inval= variant.

  tools/bench-variants.py --dir DIR --pairs N --variants "ipiq thread sync"

DIR/pairP/VARIANT/results.json are test/bench.sh result files, one per
round P (1..N) and variant, all of the same kernel binary booted with
pmap.inval=VARIANT.  For every measurement (name, cpus, k, pages, mode)
one row gives, per variant, the median over the rounds of that round's
median, and for every variant after the first (the baseline) its ratio to
the baseline: per round variant median / baseline median of the SAME
round, shown as min/median/max over the rounds.  For ns a ratio below 1
means the variant is faster.  A measurement missing from a round shows
as "-" and leaves that round out of the ratios.

Exit status: 0, or 2 when a result file is missing or does not parse.
This reports, it does not judge.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import benchres  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("--variants", required=True)
    a = ap.parse_args(argv)
    variants = a.variants.split()
    # vals[variant][key] = [median of round 1, ...] (None: missing)
    vals = {v: {} for v in variants}
    order, unit = [], {}
    for p in range(1, a.pairs + 1):
        for v in variants:
            path = os.path.join(a.dir, "pair%d" % p, v, "results.json")
            if not os.path.isfile(path):
                print("bench-variants: no results %s" % path)
                return 2
            try:
                rows = benchres.load(path)
            except ValueError as e:
                print("bench-variants: %s" % e)
                return 2
            for r in rows:
                k = benchres.key(r)
                if k not in unit:
                    order.append(k)
                    unit[k] = r["unit"]
                vals[v].setdefault(k, [None] * a.pairs)[p - 1] = r["median"]
    base = variants[0]
    head = "%-24s %4s %3s %-5s %-4s" % ("measurement", "cpus", "k", "mode",
                                         "unit")
    for v in variants:
        head += " %10s" % v
    for v in variants[1:]:
        head += " %22s" % ("%s/%s min/med/max" % (v, base))
    print(head)
    for k in sorted(order, key=lambda k: (k[0], k[1], k[4], k[2], k[3])):
        line = "%-24s %4s %3s %-5s %-4s" % (k[0], k[1], k[2], k[4], unit[k])
        for v in variants:
            got = [x for x in vals[v].get(k, []) if x is not None]
            line += " %10s" % (benchres.num(round(statistics.median(got)))
                               if got else "-")
        for v in variants[1:]:
            rs = []
            for p in range(a.pairs):
                b = vals[base].get(k, [None] * a.pairs)[p]
                x = vals[v].get(k, [None] * a.pairs)[p]
                if b and x is not None:
                    rs.append(x / b)
            line += " %22s" % ("%.2f/%.2f/%.2f" % (
                min(rs), statistics.median(rs), max(rs)) if rs else "-")
        print(line)
    print("(%d rounds; medians of the rounds' medians; ratios per round, "
          "variant / %s of the same round)" % (a.pairs, base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
