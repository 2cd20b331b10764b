#!/usr/bin/python3
"""Compare two benchmark result files side by side.

  tools/bench-compare.py A.json B.json

A and B are results.json files of test/bench.sh (one JSON object per
line).  Measurements are matched on their key name + cpus + k + pages +
mode; for each key present in either file one row shows A's and B's
median and the ratio B/A.  Whether a ratio is good depends on the unit:
for "ns" below 1 means B is faster, for "msgs/s" and the ratios above 1
means B does better.  The last column says "~" when each median lies
inside the other run's min..max - the difference is within the noise of
the runs - and is empty otherwise.  If a file holds the same key twice
(e.g. results of two machines), the later line wins; a note says when A
and B come from different machines (qemu-tcg, qemu-icount).

Exit status: 0, or 2 on a usage error (a missing or malformed file).
This reports, it does not judge: no ratio makes it fail.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchres  # noqa: E402

ROW = "%-18s %4s %4s %5s %-5s %-7s %12s %12s %8s%s"


def main(argv):
    if len(argv) != 2:
        print("usage: bench-compare.py A.json B.json", file=sys.stderr)
        return 2
    sides = []
    for path in argv:
        if not os.path.isfile(path):
            print("bench-compare: no such file: %s" % path, file=sys.stderr)
            return 2
        try:
            sides.append(benchres.load(path))
        except ValueError as e:
            print("bench-compare: %s" % e, file=sys.stderr)
            return 2
    order, unit, vals, machines = [], {}, ({}, {}), ([], [])
    for side, rows in enumerate(sides):
        for r in rows:
            k = benchres.key(r)
            if k not in unit:
                order.append(k)
            unit[k] = r["unit"]
            vals[side][k] = r
            m = r.get("machine", "")
            if m not in machines[side]:
                machines[side].append(m)
    print("A: %s (%s)" % (argv[0], ",".join(machines[0])))
    print("B: %s (%s)" % (argv[1], ",".join(machines[1])))
    if machines[0] != machines[1]:
        print("note: A and B were measured on different machines")
    print((ROW % ("name", "cpus", "k", "pages", "mode", "unit", "A median",
                  "B median", "B/A", "")).rstrip())
    # One benchmark sits together: name, mode, k, pages, cpus.
    for k in sorted(order, key=lambda k: (k[0], k[4], k[2], k[3], k[1])):
        a, b = vals[0].get(k), vals[1].get(k)
        ratio, noise = "-", ""
        if a and b:
            if a["median"] > 0:
                ratio = "%.3f" % (b["median"] / a["median"])
            if (a["min"] <= b["median"] <= a["max"]
                    and b["min"] <= a["median"] <= b["max"]):
                noise = " ~"
        print(ROW % (k[0], k[1], k[2], k[3], k[4], unit[k],
                     benchres.num(a["median"]) if a else "-",
                     benchres.num(b["median"]) if b else "-", ratio, noise))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
