#!/usr/bin/python3
"""mutants.py - the shootdown mutation matrix: prove the checks catch bugs.

Each row boots the kernel with pmap.bug=NAME, one classic shootdown mistake
(sys/platform/pc64/pmap_bug.c), under a short version of the default
workload: the pmap test suites and every stress scenario, with the TLB
sanitizer on (tlbsan=1) because QEMU's software TLB hides several of the
mistakes.  A row passes when the kernel reports a failure (QEMU exit 35 or a
panic) and some check named it; the table says which check caught it first
and how long after the mistake was armed.  The row "none" (no mistake, same
workload, sanitizer on) must pass.  A row that nothing catches is a finding:
it is reported as "not ok ... NOT CAUGHT", never dropped.

With --emulator-only the same rows run without the sanitizer, to show which
mistakes the emulator alone lets through (those rows may pass; they are
reported, not judged).

With --inval VARIANT every row also boots with pmap.inval=VARIANT (ipiq,
thread or sync: how shootdowns reach their targets, pmap_inval.c), so each
delivery variant is shown to honour every injected mistake's check; a comma
list (--inval thread,sync) runs the whole matrix once per variant, in one
KTAP stream.

Usage: test/mutants.py [--elf ELF] [--smp N] [--seconds S] [--timeout S]
                       [--only a,b] [--emulator-only] [--inval V] [--list]
Output: KTAP version 1, the table, and the closing "N passed, N failed".
"""

import argparse
import os
import re
import selectors
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "test", "lib"))
import ktap  # noqa: E402  (the one serial-log cleaner)

# The mistakes, in pmap_bug.c's order; "none" is the control row.
MUTANTS = [
    "none",
    "no_remote",
    "no_wait",
    "no_local",
    "full_noop_user",
    "full_noop_kernel",
    "full_cr3",
    "pt_noinval",
    "pt_early_free",
    "protect_noinval",
    "idle_noflush",
    "active_early",
    "no_serve",
]

# pmap.inval= values (pmap_inval.c); "" leaves the kernel's default.
INVAL_VARIANTS = ["", "ipiq", "thread", "sync"]

# Which check a failure line comes from, first match wins.
CATCHERS = [
    (re.compile(r"tlbsan: VIOLATION"), "tlbsan"),
    (re.compile(r"stress: .*(stale read|write to a read-only|fault on a "
                r"mapped|slow shootdown)"), "stress"),
    (re.compile(r"^\s*not ok [0-9]+ (\S+)"), "ktest"),
    (re.compile(r"stuck|watchdog"), "watchdog"),
    (re.compile(r"panic:"), "panic"),
]
ARMED_RE = re.compile(r"pmap\.bug: INJECTING|KTAP version 1")


def build_iso(elf, cmdline, name):
    out = os.path.join(os.path.dirname(elf), "test-iso", name + ".iso")
    env = dict(os.environ, ISO_CACHE_DIR=os.path.join(os.path.dirname(elf),
                                                       ".iso-cache"))
    subprocess.run([os.path.join(TOP, "tools", "mkiso.sh"), elf, cmdline, out],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return out


def boot(iso, smp, timeout, log_path):
    """Run QEMU; return (exit status or None on timeout, [(t, line)])."""
    cmd = ["qemu-system-x86_64", "-M", "q35", "-cpu", "max", "-smp", str(smp),
           "-m", "512M", "-cdrom", iso, "-boot", "d", "-no-reboot",
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-net", "none"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    lines, buf, status = [], b"", None
    with open(log_path, "w", encoding="utf-8") as log:
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                p.kill()
                p.wait()
                break
            if not sel.select(timeout=min(left, 1.0)):
                if p.poll() is not None:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                status = p.wait()
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = ktap.clean_line(raw.decode("utf-8", "replace"))
                lines.append((time.monotonic() - t0, line))
                log.write(line + "\n")
    return status, lines


def detect(lines):
    """(check, line, seconds after arming) of the first failure, or None."""
    armed = None
    for t, line in lines:
        if armed is None and ARMED_RE.search(line):
            armed = t
        for rx, name in CATCHERS:
            m = rx.search(line)
            if m:
                what = name if name != "ktest" else "ktest " + m.group(1)
                return what, line.strip(), t - (armed if armed else 0.0)
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elf", default=os.path.join(TOP, "build", "GENERIC",
                                                  "kernel.elf"))
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=1,
                    help="stress seconds per scenario")
    ap.add_argument("--timeout", type=int, default=180)
    ap.add_argument("--only", default="")
    ap.add_argument("--emulator-only", action="store_true")
    ap.add_argument("--inval", default="",
                    help="add pmap.inval=VARIANT to every row (a comma "
                    "list: the matrix once per variant)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args(argv)
    rows = MUTANTS
    if a.list:
        print("\n".join(rows))
        return 0
    if a.only:
        want = a.only.split(",")
        bad = [w for w in want if w not in MUTANTS]
        if bad:
            print("mutants: unknown row(s) %s; have: %s" %
                  (", ".join(bad), ", ".join(MUTANTS)), file=sys.stderr)
            return 2
        rows = [r for r in MUTANTS if r in want]
    invals = a.inval.split(",") if a.inval else [""]
    bad = [v for v in invals if v not in INVAL_VARIANTS]
    if bad:
        print("mutants: unknown pmap.inval variant(s) %s; have: %s" %
              (", ".join(bad), ", ".join(INVAL_VARIANTS[1:])),
              file=sys.stderr)
        return 2
    rows = [(v, r) for v in invals for r in rows]
    if not os.path.exists(a.elf):
        print("mutants: no kernel %s (run make first)" % a.elf,
              file=sys.stderr)
        return 2
    san = "tlbsan=0" if a.emulator_only else "tlbsan=1"
    logdir = os.path.join(TOP, "build", "test-logs")
    os.makedirs(logdir, exist_ok=True)
    print("KTAP version 1")
    print("# mutation matrix: -smp %d, %s, test=pmap,pmapmp,inval stress=all "
          "stress.seconds=%d%s" % (a.smp, san, a.seconds,
                                   " pmap.inval=" + a.inval if a.inval
                                   else ""))
    print("1..%d" % len(rows))
    table, passed, failed = [], 0, 0
    for i, (variant, name) in enumerate(rows, 1):
        inval = " pmap.inval=" + variant if variant else ""
        label = (variant + ":" if len(invals) > 1 else "") + name
        tag = (("emu-" if a.emulator_only else "mut-") +
               (variant + "-" if variant else "") + name)
        cmdline = ("test=pmap,pmapmp,inval stress=all stress.seconds=%d %s "
                   "pmap.bug=%s%s" % (a.seconds, san, name, inval))
        iso = build_iso(a.elf, cmdline, tag)
        t_start = time.monotonic()
        status, lines = boot(iso, a.smp, a.timeout,
                             os.path.join(logdir, tag + ".log"))
        wall = time.monotonic() - t_start
        found = detect(lines)
        closing = None
        for _, line in lines:
            c = ktap.parse_closing(line.strip())
            if c is not None:
                closing = c
        clean = status == 33 and closing is not None and closing[1] == 0
        if name == "none":
            ok = clean
            verdict = "passes" if ok else "FAILED (status %s)" % status
            check, when = "-", "-"
        else:
            caught = not clean and found is not None
            ok = caught or a.emulator_only
            verdict = "caught" if caught else "NOT CAUGHT"
            check = found[0] if found else "-"
            when = "%.1f s" % found[2] if found else "-"
        table.append((label, verdict, check, when, "%.0f s" % wall))
        line = "%s %d %s" % ("ok" if ok else "not ok", i, label)
        if not ok:
            line += " # " + verdict
        print(line)
        if found and name != "none":
            print("  # first: %s" % found[1][:150])
        if not ok:
            for _, l in lines[-20:]:
                print("  # | " + l)
        passed += ok
        failed += not ok
    print("# %-17s %-11s %-34s %-9s %s" % ("mutant", "result", "caught by",
                                         "after", "wall"))
    for row in table:
        print("# %-17s %-11s %-34s %-9s %s" % row)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
