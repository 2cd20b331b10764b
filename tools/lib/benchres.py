"""benchres.py - read and check benchmark results (test/bench.sh's output).

A results file (results.json) has one flat JSON object per line: the
kernel's BENCH line (name cpus k pages mode unit median min max runs, in
any order) plus "machine" (qemu-tcg, qemu-icount).  Reference numbers
that are not our measurements (e.g. Linux's) live in
docs/bench-reference.json, never in the scripts.
"""

import json
import os

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(TOP, "docs", "bench-reference.json")

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
    """One entry of docs/bench-reference.json."""
    with open(REFERENCE, encoding="utf-8") as f:
        return json.load(f)[name]
