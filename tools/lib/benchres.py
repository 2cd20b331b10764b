"""benchres.py - read and check benchmark results (test/bench.sh's output).

A results file (results.json) has one flat JSON object per line: the
kernel's BENCH line (name cpus k pages mode unit median min max runs, in
any order) plus "machine" (qemu-tcg, qemu-icount).  Linux's numbers are
never typed in anywhere: reference() derives them from the results of
`make bench-vs-linux` (Linux 6.1 booted in the same QEMU machine,
tools/bench-vs-linux.py), when that has been run.
"""

import json
import os

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINUX_RESULTS = os.environ.get("BENCH_LINUX_RESULTS") or os.path.join(
    TOP, "build", "bench-vs-linux", "results.json")

STR_FIELDS = ("name", "mode", "unit")
INT_FIELDS = ("cpus", "k", "pages", "runs")
NUM_FIELDS = ("median", "min", "max")
# What identifies one measurement across files.
KEY_FIELDS = ("name", "cpus", "k", "pages", "mode")


def check(obj):
    """None if obj is a complete BENCH object, else what is wrong with it."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    for f in STR_FIELDS:
        if not isinstance(obj.get(f), str) or not obj[f]:
            return "field %s: want a non-empty string" % f
    for f in INT_FIELDS:
        v = obj.get(f)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            return "field %s: want a whole number" % f
    for f in NUM_FIELDS:
        v = obj.get(f)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            return "field %s: want a number" % f
    return None


def parse_bench_line(line):
    """(object, None) for a good "BENCH {...}" line, (None, why) otherwise."""
    try:
        obj = json.loads(line[len("BENCH "):])
    except ValueError as e:
        return None, "not JSON: %s" % e
    why = check(obj)
    return (None, why) if why else (obj, None)


def load(path):
    """The measurements of a results file, in file order; bad lines are errors."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                raise ValueError("%s:%d: not JSON: %s" % (path, n, e))
            why = check(obj)
            if why:
                raise ValueError("%s:%d: %s" % (path, n, why))
            rows.append(obj)
    return rows


def key(row):
    return tuple(row[f] for f in KEY_FIELDS)


def num(v):
    """A value as the kernel wrote it; "-" for a missing one."""
    if v is None or v == "":
        return "-"
    return str(v)


def reference(name):
    """A Linux curve measured by make bench-vs-linux, or None if it has not
    been run.  "linux_madvise_marginal": Linux's shootdown_1page marginal
    cost t(k) - t(0) per k (median over its boots) at the largest -smp
    measured, as {"title", "points_ns": {k: ns}}."""
    if name != "linux_madvise_marginal":
        raise KeyError(name)
    try:
        with open(LINUX_RESULTS, encoding="utf-8") as f:
            rows = [json.loads(l) for l in f if l.strip()]
    except (OSError, ValueError):
        return None
    rows = [r for r in rows if r.get("kernel") == "linux" and r.get("name") == "shootdown_1page"
            and r.get("machine") == "qemu-tcg"]
    if not rows:
        return None
    smp = max(r["smp"] for r in rows)
    boots = {}
    for r in rows:
        if r["smp"] == smp:
            boots.setdefault(r["pair"], {})[r["k"]] = r["median"]
    marg = {}
    for b in boots.values():
        for k, v in b.items():
            if k > 0 and 0 in b:
                marg.setdefault(k, []).append(v - b[0])
    pts = {str(k): sorted(v)[len(v) // 2] for k, v in sorted(marg.items())}
    version = rows[0].get("kernel_version", "Linux")
    return {"title": "%s madvise marginal (make bench-vs-linux, -smp %d)" % (version, smp),
            "points_ns": pts}
