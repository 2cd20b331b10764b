#!/usr/bin/python3
"""Model-check the shootdown and IPI-queue protocols with SPIN.

    test/model/run-models.py [--build DIR] [-j JOBS] [--list] [NAME...]

Every entry of CHECKS below is one KTAP test: a Promela model under
test/model/ compiled with a set of -D flags.  A "verified" entry must
finish an exhaustive search with 0 errors (and without hitting the depth
or memory limit, which would make the search incomplete); a
"counterexample" entry is a mutant that mirrors a real mistake and must
make SPIN report an error.  For a mutant the error trail is replayed and
its "MSC:" printf lines (which name the CPU and the C function each step
models) are printed as a short trace.  NAME arguments select entries by
name (or all entries of a model).  -j runs JOBS checks at once (default
2).  Output is KTAP version 1 ending in "N passed, N failed".

Everything generated (pan.c, pan, trails) lives in build/model/NAME/.
"""

import concurrent.futures
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODELS = os.path.join(TOP, "test", "model")

# pan: exhaustive safety search (assertions, invalid end states).  MEMLIM
# bounds memory (MiB); -m bounds the depth, and hitting it counts as a
# failure for a model that must verify.
PAN_CFLAGS = ["-O2", "-w", "-DSAFETY", "-DCOLLAPSE", "-DMEMLIM=2048",
              "-DVECTORSZ=2048"]
PAN_DEPTH = 20000
TRACE_LINES = 40

# (name, model file, -D flags, expected result)
CHECKS = [
    ("pmap_active", "pmap_active.pml", [], "verified"),
    ("pmap_active/CLEAR_BEFORE_CR3", "pmap_active.pml",
     ["MUTANT_CLEAR_BEFORE_CR3"], "counterexample"),
    ("pmap_active/CR3_BEFORE_SET", "pmap_active.pml",
     ["MUTANT_CR3_BEFORE_SET"], "counterexample"),
    ("pmap_active/SNAPSHOT_FIRST", "pmap_active.pml",
     ["MUTANT_SNAPSHOT_FIRST"], "counterexample"),
    ("pmap_active/KERNEL_CR3_FLUSH", "pmap_active.pml",
     ["MUTANT_KERNEL_CR3_FLUSH"], "counterexample"),
    ("pmap_active/NOWAIT", "pmap_active.pml", ["MUTANT_NOWAIT"],
     "counterexample"),
    ("idle_defer", "idle_defer.pml", [], "verified"),
    ("idle_defer/NO_RECHECK", "idle_defer.pml", ["MUTANT_NO_RECHECK"],
     "counterexample"),
    ("idle_defer/WAKE_ORDER", "idle_defer.pml", ["MUTANT_WAKE_ORDER"],
     "counterexample"),
    ("idle_defer/PLAIN_STORE", "idle_defer.pml", ["MUTANT_PLAIN_STORE"],
     "counterexample"),
    ("idle_defer/NO_TRAP_WAKEUP", "idle_defer.pml",
     ["MUTANT_NO_TRAP_WAKEUP"], "counterexample"),
    ("flight_free", "flight_free.pml", [], "verified"),
    ("flight_free/FREE_BEFORE_ACK", "flight_free.pml",
     ["MUTANT_FREE_BEFORE_ACK"], "counterexample"),
    ("flight_free/ACK_BEFORE_FLUSH", "flight_free.pml",
     ["MUTANT_ACK_BEFORE_FLUSH"], "counterexample"),
    ("flight_free/PENDMASK_LAST", "flight_free.pml",
     ["MUTANT_PENDMASK_LAST"],
     "counterexample"),
    ("flight_free/DONE_ON_GEN_EQUAL", "flight_free.pml",
     ["MUTANT_DONE_ON_GEN_EQUAL"], "counterexample"),
    ("flight_free/NO_PDE_INVAL", "flight_free.pml", ["MUTANT_NO_PDE_INVAL"],
     "counterexample"),
    ("ipiq", "ipiq.pml", [], "verified"),
    ("ipiq/SAFETY_DRAIN", "ipiq.pml", ["SAFETY_DRAIN"], "verified"),
    ("ipiq/FIFO2", "ipiq.pml", ["FIFOSZ=2", "NMSG=2"], "verified"),
    ("ipiq/NO_FENCE", "ipiq.pml", ["MUTANT_NO_FENCE"], "counterexample"),
    # The safety drain bounds every lost wakeup (the tick looks at both
    # masks); looking at gd_ipimask alone, as the code first did, leaves a
    # lost full-FIFO IPI with only passive messages queued unrecovered.
    ("ipiq/NO_FENCE+SAFETY_DRAIN", "ipiq.pml",
     ["MUTANT_NO_FENCE", "SAFETY_DRAIN"], "verified"),
    ("ipiq/NO_FENCE+SAFETY_DRAIN+TICK_ACTIVE_ONLY", "ipiq.pml",
     ["MUTANT_NO_FENCE", "SAFETY_DRAIN", "MUTANT_TICK_ACTIVE_ONLY"],
     "counterexample"),
    ("ipiq/ANNOUNCE_FIRST", "ipiq.pml", ["MUTANT_ANNOUNCE_FIRST"],
     "counterexample"),
    ("ipiq/NO_REREAD", "ipiq.pml", ["MUTANT_NO_REREAD"], "counterexample"),
    ("ipiq/PASSIVE_SHARED", "ipiq.pml", ["MUTANT_PASSIVE_SHARED"],
     "counterexample"),
    ("ipiq/FULL_SPIN", "ipiq.pml", ["MUTANT_FULL_SPIN", "SAFETY_DRAIN"],
     "counterexample"),
    ("ipiq/UNHOLD_NODRAIN", "ipiq.pml", ["MUTANT_UNHOLD_NODRAIN"],
     "counterexample"),
    # pmap.inval=sync: two initiators waiting on each other (section 11
    # "Delivery variants"); without the poll they deadlock.
    ("spin_preempt", "spin_preempt.pml", [], "verified"),
    ("spin_preempt/COUNT_LATE", "spin_preempt.pml", ["MUTANT_COUNT_LATE"],
     "counterexample"),
    ("spin_preempt/UNCOUNT_EARLY", "spin_preempt.pml",
     ["MUTANT_UNCOUNT_EARLY"], "counterexample"),
    ("sync_wait", "sync_wait.pml", [], "verified"),
    ("sync_wait/NO_POLL", "sync_wait.pml", ["MUTANT_NO_POLL"],
     "counterexample"),
]


def run(cmd, cwd, timeout=600):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.returncode, p.stdout


def num(pattern, text, conv=int):
    m = re.search(pattern, text)
    return conv(m.group(1)) if m else None


def trace(text):
    """The MSC lines of a replayed trail and the violation, shortened."""
    steps = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("MSC: "):
            steps.append(s[5:])
        elif "assertion violated" in s or "invalid end state" in s:
            steps.append("=> " + re.sub(r"^spin: \S+ ", "", s))
        elif s.startswith("spin: text of failed assertion"):
            steps.append("   " + s[len("spin: text of failed "):])
    # An empty pass of lwkt_process_ipiq prints four steps: show one.
    empty = ["lwkt_process_ipiq: draining = 1",
             "lwkt_process_ipiq: take mask -> 0",
             "lwkt_process_ipiq: draining = 0",
             "lwkt_process_ipiq: mask empty, done"]
    out = []
    i = 0
    while i < len(steps):
        cpu = steps[i].split(" ", 1)[0]
        if [x.split(" ", 1)[-1] for x in steps[i:i + 4]] == empty and \
                all(x.startswith(cpu + " ") for x in steps[i:i + 4]):
            out.append(cpu + " lwkt_process_ipiq: nothing announced")
            i += 4
        else:
            out.append(steps[i])
            i += 1
    steps = out
    if len(steps) > TRACE_LINES:
        cut = len(steps) - TRACE_LINES + 1
        steps = ["... (%d earlier steps)" % cut] + steps[cut:]
    return steps


def check(name, model, defs, expect, build):
    """Returns (ok, summary line, diagnostic lines)."""
    work = os.path.join(build, name.replace("/", "-"))
    os.makedirs(work, exist_ok=True)
    src = os.path.join(MODELS, model)
    dflags = ["-D" + d for d in defs]
    t0 = time.time()
    rc, out = run(["spin"] + dflags + ["-a", src], work)
    if rc != 0:
        return False, "spin -a failed", out.splitlines()[-10:]
    cflags = list(PAN_CFLAGS)
    if expect == "counterexample":
        cflags[0] = "-O1"  # small searches: compiling dominates
    rc, out = run(["gcc"] + cflags + ["-o", "pan", "pan.c"], work)
    if rc != 0:
        return False, "gcc pan.c failed", out.splitlines()[-10:]
    trail = os.path.basename(src) + ".trail"
    if os.path.exists(os.path.join(work, trail)):
        os.unlink(os.path.join(work, trail))
    rc, out = run(["./pan", "-m%d" % PAN_DEPTH], work)
    secs = time.time() - t0
    errors = num(r"errors: (\d+)", out)
    states = num(r"(\d+) states, stored", out)
    pan_s = num(r"elapsed time ([\d.e+]+) seconds", out, float)
    incomplete = ("max search depth too small" in out
                  or "Search not completed" in out
                  or "out of memory" in out)
    stats = "%s states, %.2f s search, %.1f s total" % (
        states, pan_s if pan_s is not None else -1.0, secs)
    if errors is None:
        return False, "pan did not finish: " + stats, out.splitlines()[-10:]
    if expect == "verified":
        if errors == 0 and not incomplete:
            return True, "verified, " + stats, []
        diag = ["search incomplete (depth or memory limit)"] if incomplete \
            else []
        if errors:
            rc, rep = run(["spin", "-t", "-k", trail] + dflags + [src], work)
            diag += ["unexpected counterexample:"] + trace(rep)
        return False, "NOT verified, " + stats, diag
    if errors == 0:
        return False, "mutant NOT caught (no counterexample), " + stats, []
    rc, rep = run(["spin", "-t", "-k", trail] + dflags + [src], work)
    return True, "counterexample, " + stats, trace(rep)


def main(argv):
    build = os.path.join(TOP, "build", "model")
    jobs = 2
    names = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--build" and args:
            build = os.path.abspath(args.pop(0))
        elif a == "-j" and args and args[0].isdigit() and int(args[0]) > 0:
            jobs = int(args.pop(0))
        elif a == "--list":
            for c in CHECKS:
                print("%-40s %s" % (c[0], c[3]))
            return 0
        elif a.startswith("-"):
            print(__doc__.strip(), file=sys.stderr)
            return 2
        else:
            names.append(a)
    checks = [c for c in CHECKS
              if not names or c[0] in names or c[0].split("/")[0] in names]
    unknown = [n for n in names
               if not any(n in (c[0], c[0].split("/")[0]) for c in CHECKS)]
    if unknown:
        print("run-models: unknown check(s): %s (see --list)" %
              " ".join(unknown), file=sys.stderr)
        return 2
    try:
        run(["spin", "-V"], TOP)
    except FileNotFoundError:
        print("run-models: spin is not installed (tools/deps.sh model)",
              file=sys.stderr)
        return 2
    print("KTAP version 1")
    print("1..%d" % len(checks))
    npass = nfail = 0
    t0 = time.time()

    def one(c):
        name, model, defs, expect = c
        try:
            return check(name, model, defs, expect, build)
        except subprocess.TimeoutExpired:
            return False, "timed out", []

    # Checks run JOBS at a time (each is one process); results are printed
    # in order.
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one, c) for c in checks]
        for i, (c, f) in enumerate(zip(checks, futures), 1):
            ok, summary, diag = f.result()
            print("# %s: %s" % (c[0], summary))
            for line in diag:
                print("#   " + line)
            print("%s %d %s" % ("ok" if ok else "not ok", i, c[0]))
            sys.stdout.flush()
            if ok:
                npass += 1
            else:
                nfail += 1
    print("# model checking took %.1f s" % (time.time() - t0))
    print("%d passed, %d failed" % (npass, nfail))
    return 0 if nfail == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
