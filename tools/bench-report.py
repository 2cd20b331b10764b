#!/usr/bin/python3
"""Collect and tabulate benchmark results; the parsing half of test/bench.sh.

  tools/bench-report.py collect --log SERIAL.log --report RUN.txt
                        --status N --machine M --name NAME --index N
                        --append RESULTS.json
      One benchmark boot: take the BENCH lines of its serial log, check
      each (every field present and of the right kind, in any order), add
      "machine" and append them to RESULTS.json; print "ok N NAME" or
      "not ok N NAME # why" and diagnostics.  The boot passes when
      test/run-qemu.sh passed it (status 0), the log has "bench: done",
      and at least one BENCH line was produced and none was unparsable.
      Exit status 0 if ok, 1 if not.
  tools/bench-report.py table RESULTS.json
      The results as "# " lines (KTAP diagnostics), one row per
      measurement, then the shootdown summary: per machine size and mode
      the marginal cost of the remote CPUs, and for one page its ratio to
      Linux's measured by make bench-vs-linux (if run); sync vs async
      throughput; per-CPU window vs kenter+kremove.

Nothing here judges the numbers themselves.
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchres  # noqa: E402


def cmd_collect(a):
    got = bad = 0
    done = False
    out = []
    try:
        with open(a.log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("BENCH "):
            obj, why = benchres.parse_bench_line(line)
            if obj is None:
                print("# %s: unparsable (%s): %s" % (a.name, why, line))
                bad += 1
                continue
            obj["machine"] = a.machine
            out.append(json.dumps(obj, separators=(",", ":")))
            got += 1
        elif line.startswith("bench: done"):
            done = True
    with open(a.append, "a", encoding="utf-8") as f:
        for o in out:
            f.write(o + "\n")
    why = ""
    if a.status != 0:
        # A failed benchmark explains itself better than the harness's
        # generic reason does.
        why = next((l for l in lines if re.match(r"^bench: .* failed: ", l)), "")
        if not why:
            try:
                with open(a.report, encoding="utf-8", errors="replace") as f:
                    for l in f:
                        m = re.match(r"^not ok [0-9]+ \S+ # (.*)", l)
                        if m:
                            why = m.group(1)
                            break
            except OSError:
                pass
        why = why or "test/run-qemu.sh exited %d" % a.status
    elif not done:
        why = "no 'bench: done' line"
    elif got == 0:
        why = "no BENCH results"
    elif bad:
        why = "%d unparsable BENCH lines" % bad
    if not why:
        print("ok %d %s" % (a.index, a.name))
    else:
        print("not ok %d %s # %s" % (a.index, a.name, why))
        # The end of the serial log says what happened.
        for l in lines[-15:]:
            print("# | " + l)
    print("# %s: %d results; log %s" % (a.name, got, a.log))
    return 0 if not why else 1


ROW = "# %-18s %4s %4s %5s %-5s %12s %12s %12s %-7s %s"


def us(ns):
    return "-" if ns is None else "%.1f" % (ns / 1000)


def table(rows):
    print(ROW % ("name", "cpus", "k", "pages", "mode", "median", "min", "max",
                 "unit", "machine"))
    # One benchmark's -smp values sit together.
    for r in sorted(rows, key=lambda r: (r["name"], r["mode"], r["k"], r["cpus"])):
        print(ROW % (r["name"], r["cpus"], r["k"], r["pages"], r["mode"],
                     benchres.num(r["median"]), benchres.num(r["min"]),
                     benchres.num(r["max"]), r["unit"], r.get("machine", "-")))


def shootdown_summary(rows):
    if not any(re.match(r"shootdown|window_|kenter_", r["name"]) for r in rows):
        return
    ref = benchres.reference("linux_madvise_marginal")
    linux = {int(k): v for k, v in ref["points_ns"].items()} if ref else {}
    med, lo, hi = {}, {}, {}
    groups, thr, win = [], [], []
    for r in rows:
        n, c, m, k = r["name"], r["cpus"], r["mode"], r["k"]
        med[n, c, m, k], lo[n, c, m, k], hi[n, c, m, k] = r["median"], r["min"], r["max"]
        if n in ("shootdown_1page", "shootdown_512pages") and (n, c, m) not in groups:
            groups.append((n, c, m))
        if n == "shootdown_throughput_sync" and (c, k) not in thr:
            thr.append((c, k))
        if n == "window_zero_page" and (c, m) not in win:
            win.append((c, m))
    fmt = "# %-18s %4s %-4s %3s %10s %10s %10s %10s %14s"
    if groups:
        print("# shootdown latency (us per operation; marginal = median(k) - "
              "median(k=0); ratio vs Linux = marginal / Linux's marginal as "
              "measured by make bench-vs-linux, when it has been run)")
        print(fmt % ("name", "cpus", "mode", "k", "median", "min", "max", "marginal",
                     "ratio vs Linux"))
    for n, c, m in groups:
        base = med.get((n, c, m, 0))
        for k in sorted(kk for (nn, cc, mm, kk) in med if (nn, cc, mm) == (n, c, m)):
            v = med[n, c, m, k]
            marg = "-" if base is None else us(v - base)
            ratio = "-"
            if base is not None and n == "shootdown_1page" and k in linux:
                ratio = "%.3f" % ((v - base) / linux[k])
            print(fmt % (n, c, m, k, us(v), us(lo[n, c, m, k]), us(hi[n, c, m, k]),
                         marg, ratio))
    if thr:
        print("# %-28s %4s %3s %12s %12s %8s" % ("shootdown throughput (pages/s)",
                                                  "cpus", "k", "sync", "async", "async/sync"))
    for c, k in thr:
        sy = med.get(("shootdown_throughput_sync", c, "busy", k))
        asy = med.get(("shootdown_throughput_async", c, "busy", k))
        ratio = "%.1f" % (asy / sy) if sy and asy is not None else "-"
        print("# %-28s %4s %3s %12s %12s %8s" % ("", c, k, benchres.num(sy),
                                                  benchres.num(asy), ratio))
    wfmt = "# %-28s %4s %-7s %10s %10s %7s %10s %10s %7s"
    if win:
        print(wfmt % ("window vs kenter (us/page)", "cpus", "mode", "win zero",
                      "kent zero", "ratio", "win copy", "kent copy", "ratio"))
    for c, m in win:
        g = lambda n: med.get((n, c, m, c - 1))  # noqa: E731
        wz, kz = g("window_zero_page"), g("kenter_zero_page")
        wc, kc = g("window_copy_page"), g("kenter_copy_page")
        rz = "%.1f" % (kz / wz) if wz and kz is not None else "-"
        rc = "%.1f" % (kc / wc) if wc and kc is not None else "-"
        print(wfmt % ("", c, m, us(wz), us(kz), rz, us(wc), us(kc), rc))


def cmd_table(a):
    try:
        rows = benchres.load(a.results)
    except (OSError, ValueError) as e:
        print("bench-report: %s" % e, file=sys.stderr)
        return 2
    print("# results: %s (%d measurements)" % (a.results, len(rows)))
    table(rows)
    shootdown_summary(rows)
    return 0


def main():
    ap = argparse.ArgumentParser(prog="bench-report.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--log", required=True)
    c.add_argument("--report", required=True)
    c.add_argument("--status", type=int, required=True)
    c.add_argument("--machine", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--index", type=int, default=1)
    c.add_argument("--append", required=True)
    c.set_defaults(fn=cmd_collect)
    t = sub.add_parser("table")
    t.add_argument("results")
    t.set_defaults(fn=cmd_table)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
