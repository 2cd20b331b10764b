#!/usr/bin/python3
"""This kernel and Linux 6.1 side by side: the same static user programs
(test/user/tlbbench.c, test/user/tlbstress.c) booted on both, with the
same QEMU machine, CPU model, memory and -smp; only how the kernel is
loaded differs (our ISO with the programs as multiboot2 modules; Linux's
vmlinuz with -kernel and an initramfs whose init, test/linux/init.c,
starts them).  Every boot goes through test/run-qemu.sh, one at a time,
and is judged by test/lib/ktap.py.

  tools/bench-vs-linux.py [bench] [--pairs N] [--smp "2 8"] [--mode tcg|icount]
        [--runs R] [--ms MS] [--variants "a b"] [--variant-opt KEY]
        [--linux-only] [--elf ELF] [--out DIR] [--plot-dir DIR]
      Alternate boots, ours then Linux, N pairs at each -smp; per pair the
      ratio ours / Linux of every benchmark; the table (min, median, max
      of the ratios), the goals of docs/PERFORMANCE.md met or missed,
      OUT/results.json (one BENCH object per line, plus kernel,
      kernel_version, variant, pair, smp, machine) and PNG plots with both
      kernels on the same axes.  --variants boots our kernel once per
      variant in each pair with KEY=variant added to its command line.
      --linux-only: Linux boots only (make bench-linux).
  tools/bench-vs-linux.py table RESULTS.json
      The ratio table and goals of an earlier run.
  tools/bench-vs-linux.py stress [--elf ELF] [--smp "2 8"] [--seconds S]
        [--linux-only] [--extra-opts "pmap.bug=..."] [--expect pass|fail]
      tlbstress on both kernels (our kernel: --extra-opts added).
  tools/bench-vs-linux.py mutants [--bugs "no_remote ..."] [--smp 4] [--seconds S]
      tlbstress on our kernel under each user-pmap row of the mutation
      matrix (pmap.bug=): each boot must fail with tlbstress violations.
  tools/bench-vs-linux.py smoke
      make test's part: one Linux -smp 2 boot running tlbstress for 3 s
      and one tlbbench point (must pass), one boot of tlbstress
      --selftest (must fail).  KTAP, closing "N passed, N failed".

The Linux kernel's exact Debian version (tools/linux-kernel.sh) is
recorded in every result.  Numbers are reported, never judged: the exit
status says whether the boots ran and their output parsed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tools", "lib"))
import benchres  # noqa: E402

USER = os.path.join(TOP, "build", "user")
LINUX_DIR = os.path.join(TOP, "build", "linux")
INIT = os.path.join(LINUX_DIR, "init")
MEM = "512M"

# Goals of issue 13 at -smp 2 (docs/PERFORMANCE.md): (name, k, what is
# compared, the bound on ours / Linux, "max" or "min").
GOALS = [
    ("tlb_flush2", 1, "throughput", 2.0, "min"),
    ("tlb_flush2", 2, "throughput", 2.0, "min"),
    ("shootdown_1page", 1, "marginal", 0.5, "max"),
    ("null_syscall", 0, "value", 1.0, "max"),
    ("demand_zero_fault", 0, "value", 0.5, "max"),
    ("thread_create_join", 0, "value", 1.0, "max"),
]


def linux_kernel():
    """(vmlinuz path, "package version") from tools/linux-kernel.sh."""
    out = subprocess.run([os.path.join(TOP, "tools", "linux-kernel.sh")],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    info = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
    return info["vmlinuz"], info["version"]


def initramfs(progs, out):
    subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tools", "linux-initramfs.py"),
                    "-o", out, INIT] + [os.path.join(USER, p) for p in progs], check=True)
    return out


def our_version():
    try:
        rev = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout.strip()
    except OSError:
        rev = ""
    return "pcoherence " + (rev or "unknown")


def boot(name, log, smp, mode, timeout, ours=None, linux=None, expect="pass",
         expect_line=None):
    """One boot through test/run-qemu.sh.
    ours = (elf, cmdline, [modules]); linux = (vmlinuz, initrd, append);
    expect_line: an ERE some serial line must match (run-qemu.sh).
    Returns (passed, the log's lines)."""
    cmd = [os.path.join(TOP, "test", "run-qemu.sh"),
           "--name", name, "--log", log, "--smp", str(smp), "--mem", MEM,
           "--machine", "q35", "--cpu", "max", "--timeout", str(timeout),
           "--expect", expect]
    if expect_line:
        cmd += ["--expect-line", expect_line]
    if mode == "icount":
        cmd.append("--icount")
    if ours:
        elf, cmdline, modules = ours
        cmd += ["--elf", elf, "--cmdline", cmdline,
                "--modules", " ".join(os.path.join(USER, m) for m in modules)]
    else:
        vmlinuz, initrd, append = linux
        cmd += ["--kernel", vmlinuz, "--initrd", initrd, "--append", append]
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    report = r.stdout.splitlines()
    with open(os.path.splitext(log)[0] + ".txt", "w", encoding="utf-8") as f:
        f.write(r.stdout)
    verdict = next((l for l in report if l.startswith(("ok ", "not ok "))), "not ok # no verdict")
    print("# %s: %s (%.0f s)" % (name, verdict, time.time() - t0), flush=True)
    if r.returncode != 0:
        for l in report[-20:]:
            print("# | " + l)
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    return r.returncode == 0, lines


def linux_append(run, timeout):
    # quiet + loglevel: the kernel's own messages stay off the serial log;
    # pcohrun/pcohtimeout reach init as environment variables.
    return "console=ttyS0 quiet loglevel=1 panic=-1 pcohrun=%s pcohtimeout=%d" % (run, timeout)


def our_cmdline(run, timeout, extra=""):
    # test=none: no in-kernel suites, only the programs (user.timeout
    # bounds them as pcohtimeout does on Linux).
    return ("test=none run=%s user.timeout=%d %s" % (run, timeout, extra)).strip()


def bench_lines(lines):
    rows, bad = [], 0
    for l in lines:
        l = l.strip()
        if not l.startswith("BENCH "):
            continue
        obj, why = benchres.parse_bench_line(l)
        if obj is None:
            print("# unparsable BENCH line (%s): %s" % (why, l))
            bad += 1
        else:
            rows.append(obj)
    return rows, bad


# ---------------------------------------------------------------- tables

def med(xs):
    return statistics.median(xs) if xs else None


def fmt(v, unit=""):
    if v is None:
        return "-"
    if unit == "pages/s":
        return "%.0f" % v
    if abs(v) >= 100000:
        return "%.0fus" % (v / 1000)
    return "%.0fns" % v if unit == "ns" else "%.3g" % v


def measurements(rows):
    """{(smp, machine, variant, pair, kernel): {(name, k, pages): row}}"""
    m = {}
    for r in rows:
        key = (r["smp"], r["machine"], r.get("variant", ""), r["pair"], r["kernel"])
        m.setdefault(key, {})[(r["name"], r["k"], r["pages"])] = r
    return m


def value(boot_rows, name, k, pages, what):
    """One boot's number for a comparison: the median, or the marginal
    cost median(k) - median(k=0)."""
    r = boot_rows.get((name, k, pages))
    if r is None:
        return None
    if what == "marginal":
        base = boot_rows.get((name, 0, pages))
        return None if base is None else r["median"] - base["median"]
    return r["median"]


def comparisons(rows):
    """Every comparable quantity: name, k, pages, what, unit."""
    seen = []
    for r in rows:
        what = "throughput" if r["unit"].endswith("/s") else "value"
        c = (r["name"], r["k"], r["pages"], what, r["unit"])
        if c not in seen:
            seen.append(c)
        if r["name"].startswith("shootdown_") and r["k"] > 0:
            c = (r["name"], r["k"], r["pages"], "marginal", r["unit"])
            if c not in seen:
                seen.append(c)
    return sorted(seen)


def ratio_table(rows):
    """Print the ratio table; return {(smp, machine, variant, name, k, what): median ratio}."""
    m = measurements(rows)
    groups = sorted({(s, mc, v) for (s, mc, v, p, k) in m if k == "pcoherence"})
    out = {}
    row = "# %-20s %3s %5s %-10s %12s %12s  %-24s %6s %6s %6s"
    for smp, mach, var in groups:
        pairs = sorted({p for (s, mc, v, p, k) in m if (s, mc, v) == (smp, mach, var)})
        lin_key = lambda p: (smp, mach, "", p, "linux")  # noqa: E731
        print("# -smp %d, %s%s: ours / Linux per pair (lower is better for ns, "
              "higher for /s)" % (smp, mach, ", variant " + var if var else ""))
        print(row % ("benchmark", "k", "pages", "what", "ours med", "Linux med",
                     "ratio per pair", "min", "median", "max"))
        for name, k, pages, what, unit in comparisons(rows):
            ours_v, lin_v, ratios = [], [], []
            for p in pairs:
                o = value(m.get((smp, mach, var, p, "pcoherence"), {}), name, k, pages, what)
                l = value(m.get(lin_key(p), {}), name, k, pages, what)
                if o is not None:
                    ours_v.append(o)
                if l is not None:
                    lin_v.append(l)
                if o is not None and l is not None and l > 0:
                    ratios.append(o / l)
            if not ours_v and not lin_v:
                continue
            per = " ".join("%.2f" % x for x in ratios) or "-"
            print(row % (name, k, pages, what, fmt(med(ours_v), unit), fmt(med(lin_v), unit),
                         per[:24], "%.2f" % min(ratios) if ratios else "-",
                         "%.2f" % med(ratios) if ratios else "-",
                         "%.2f" % max(ratios) if ratios else "-"))
            if ratios:
                out[smp, mach, var, name, k, what] = med(ratios)
    return out


def goals(ratios):
    runs = sorted({(s, mc, v) for (s, mc, v, *_r) in ratios if s == 2})
    if not runs:
        return  # the goals are stated at -smp 2 only
    print("# goals at -smp 2 (median ratio over the pairs; issue 13)")
    for smp, mach, var in runs:
        for name, k, what, bound, kind in GOALS:
            r = ratios.get((smp, mach, var, name, k, what))
            if r is None:
                state = "not measured"
            else:
                ok = r >= bound if kind == "min" else r <= bound
                state = "%s (%.2f)" % ("met" if ok else "MISSED", r)
            print("# %-10s %-8s %-20s k=%d %-10s ours/Linux %s %.1f: %s" % (
                mach, var or "-", name, k, what, ">=" if kind == "min" else "<=", bound, state))


def linux_table(rows):
    row = "# %-20s %3s %3s %5s %-8s %14s %14s %14s"
    print(row % ("benchmark", "smp", "k", "pages", "machine", "median", "min", "max"))
    keyf = lambda r: (r["name"], r["smp"], r["k"], r["pages"], r["machine"])  # noqa: E731
    by = {}
    for r in rows:
        by.setdefault(keyf(r), []).append(r)
    for key in sorted(by):
        rs = by[key]
        u = rs[0]["unit"]
        print(row % (key[0], key[1], key[2], key[3], key[4],
                     fmt(med([r["median"] for r in rs]), u),
                     fmt(min(r["min"] for r in rs), u), fmt(max(r["max"] for r in rs), u)))


def plots(rows, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("# no matplotlib (tools/deps.sh plot): no plots")
        return []
    made = []
    m = measurements(rows)
    kinds = sorted({(k[4], k[2]) for k in m})  # (kernel, variant)
    for smp, mach in sorted({(k[0], k[1]) for k in m}):
        for name, what, ylabel, fname in (
                ("tlb_flush2", "throughput", "pages per second (all threads)", "tlb_flush2"),
                ("shootdown_1page", "marginal", "marginal cost t(k) - t(0), us", "shootdown_1page"),
                ("shootdown_512pages", "marginal", "marginal cost t(k) - t(0), us", "shootdown_512pages")):
            fig, ax = plt.subplots(figsize=(6, 4))
            drew = False
            for kern, var in kinds:
                xs, ys, lo, hi = [], [], [], []
                ks = sorted({r["k"] for r in rows if r["name"] == name and r["smp"] == smp})
                for k in ks:
                    if what == "marginal" and k == 0:
                        continue
                    vals = [value(b, name, k, 1 if name.endswith("1page") else (512 if "512" in name else 256), what)
                            for key, b in m.items()
                            if key[0] == smp and key[1] == mach and key[4] == kern and key[2] == var]
                    vals = [v for v in vals if v is not None]
                    if not vals:
                        continue
                    scale = 1 if what == "throughput" else 1e-3
                    xs.append(k)
                    ys.append(med(vals) * scale)
                    lo.append((med(vals) - min(vals)) * scale)
                    hi.append((max(vals) - med(vals)) * scale)
                if xs:
                    label = kern + (" " + var if var else "")
                    ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=label)
                    drew = True
            if not drew:
                plt.close(fig)
                continue
            ax.set_xlabel("threads" if what == "throughput" else "k (remote CPUs spinning)")
            ax.set_ylabel(ylabel)
            ax.set_title("%s, -smp %d, %s (median; bars: min..max over boots)" % (name, smp, mach),
                         fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.legend()
            path = os.path.join(outdir, "vs-linux-%s-smp%d-%s.png" % (fname, smp, mach))
            fig.tight_layout()
            fig.savefig(path, dpi=90)
            plt.close(fig)
            made.append(path)
    return made


# ---------------------------------------------------------------- commands

def cmd_bench(a):
    os.makedirs(a.out, exist_ok=True)
    smps = [int(x) for x in a.smp.replace(",", " ").split()]
    variants = a.variants.split() or [""]
    machine = "qemu-icount" if a.mode == "icount" else "qemu-tcg"
    vmlinuz, lversion = linux_kernel()
    initrd = initramfs(["tlbbench"], os.path.join(a.out, "initramfs.cpio"))
    run = "tlbbench:%d:%d" % (a.runs, a.ms)
    timeout = a.timeout
    results = os.path.join(a.out, "results.json")
    tmp = results + ".tmp"
    rows, failed, nboot = [], 0, 0
    ours_ver = our_version()
    print("KTAP version 1")
    print("# linux: %s; ours: %s; %s, -smp %s, %d pairs, tlbbench %d runs x %d ms" % (
        lversion, ours_ver, machine, a.smp, a.pairs, a.runs, a.ms))
    with open(os.path.join(a.out, "machine.txt"), "w") as f:
        f.write("date: %s\nhost: %s\nqemu: %s\nlinux: %s\nours: %s\nmachine: %s\n" % (
            time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), " ".join(os.uname()),
            subprocess.run(["qemu-system-x86_64", "--version"], stdout=subprocess.PIPE,
                           text=True).stdout.splitlines()[0], lversion, ours_ver, machine))
    for smp in smps:
        for pair in range(1, a.pairs + 1):
            boots = []
            if not a.linux_only:
                for var in variants:
                    opt = "%s=%s" % (a.variant_opt, var) if var else ""
                    boots.append(("pcoherence", var, dict(ours=(a.elf, our_cmdline(run, timeout, opt),
                                                                 ["tlbbench"]))))
            boots.append(("linux", "", dict(linux=(vmlinuz, initrd, linux_append(run, timeout)))))
            for kern, var, how in boots:
                nboot += 1
                name = "vs-%s%s-smp%d-pair%d" % (kern, "-" + var if var else "", smp, pair)
                log = os.path.join(a.out, name + ".log")
                ok, lines = boot(name, log, smp, a.mode, timeout + 120, **how)
                got, bad = bench_lines(lines)
                if not ok or bad or not got:
                    failed += 1
                    print("not ok %d %s # %s" % (nboot, name, "boot failed" if not ok else
                                                 "%d BENCH lines, %d bad" % (len(got), bad)))
                else:
                    print("ok %d %s # %d results" % (nboot, name, len(got)))
                for r in got:
                    r.update(kernel=kern, variant=var, pair=pair, smp=smp, machine=machine,
                             kernel_version=lversion if kern == "linux" else ours_ver)
                    rows.append(r)
                with open(tmp, "w") as f:
                    for r in rows:
                        f.write(json.dumps(r, separators=(",", ":")) + "\n")
    os.replace(tmp, results)
    print("1..%d" % nboot)
    print("# results: %s" % results)
    report(rows, a.linux_only, a.out, a.plot_dir)
    print("%d passed, %d failed" % (nboot - failed, failed))
    return 1 if failed else 0


def report(rows, linux_only, outdir, plot_dir=None):
    linux_rows = [r for r in rows if r["kernel"] == "linux"]
    if linux_rows:
        print("# Linux %s" % linux_rows[0].get("kernel_version", ""))
        linux_table(linux_rows)
    if not linux_only:
        goals(ratio_table(rows))
    for p in plots(rows, plot_dir or outdir):
        print("# plot: %s" % p)


def cmd_table(a):
    rows = []
    with open(a.results, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    report(rows, False, os.path.dirname(os.path.abspath(a.results)), a.plot_dir)
    return 0


def cmd_stress(a):
    os.makedirs(a.out, exist_ok=True)
    smps = [int(x) for x in a.smp.replace(",", " ").split()]
    vmlinuz, lversion = linux_kernel()
    secs = a.seconds
    run = "tlbstress:%s:%d%s" % (secs, a.seed, ":--selftest" if a.selftest else "")
    initrd = initramfs(["tlbstress"], os.path.join(a.out, "initramfs-stress.cpio"))
    timeout = int(secs) * 4 + 60
    print("KTAP version 1")
    print("# linux: %s" % lversion)
    n = failed = 0
    for smp in smps:
        boots = [] if a.linux_only else [
            ("pcoherence", dict(ours=(a.elf, our_cmdline(run, timeout, a.extra_opts), ["tlbstress"])))]
        if not a.extra_opts:
            boots.append(("linux", dict(linux=(vmlinuz, initrd, linux_append(run, timeout)))))
        for kern, how in boots:
            n += 1
            name = "stress-%s-smp%d" % (kern, smp)
            ok, lines = boot(name, os.path.join(a.out, name + ".log"), smp, "tcg",
                             timeout + 120, expect=a.expect, **how)
            for l in lines:
                if "violation" in l or l.lstrip().startswith(("# total", "# scenario")) \
                        or "changes," in l:
                    print("# %s" % l.strip())
            print("%s %d %s" % ("ok" if ok else "not ok", n, name))
            failed += not ok
    print("1..%d" % n)
    print("%d passed, %d failed" % (n - failed, failed))
    return 1 if failed else 0


# The mutation matrix's rows that break a user pmap's shootdowns
# (test/mutants.py has them all; full_noop_kernel and full_cr3 only touch
# kernel mappings, which no user program can see).
USER_BUGS = ["no_remote", "no_wait", "no_local", "full_noop_user", "pt_noinval",
             "pt_early_free", "protect_noinval", "idle_noflush", "active_early"]


def cmd_mutants(a):
    """tlbstress on our kernel under each pmap.bug= row: must fail.

    Plain (GENERIC): only through tlbstress's own checks (a violation line
    or a SIGSEGV kill), not a kernel panic -- what the hardware path of a
    user program shows under TCG.  With --tlbsan (conf/TLBSAN, tlbsan=1)
    tlbstress is the workload and the TLB sanitizer also judges every
    shootdown it causes by the SDM's rules, so the mistakes TCG hides
    (no paging-structure cache, eager TLB drops) fail too; the table says
    which check saw each row first."""
    out = os.path.join(TOP, "build", "stress-mutants" + ("-tlbsan" if a.tlbsan else ""))
    os.makedirs(out, exist_ok=True)
    bugs = a.bugs.split() if a.bugs else USER_BUGS
    elf = a.elf or os.path.join(TOP, "build", "TLBSAN" if a.tlbsan else "GENERIC",
                                "kernel.elf")
    if not os.path.isfile(elf):
        sys.exit("bench-vs-linux: no kernel %s (run make%s)" %
                 (elf, " KERNCONF=TLBSAN" if a.tlbsan else ""))
    run = "tlbstress:%s:%d" % (a.seconds, a.seed)
    extra = "tlbsan=1 " if a.tlbsan else ""
    print("KTAP version 1")
    print("# tlbstress mutation matrix: -smp %d, %s, %s%s" %
          (a.smp, run, extra, elf))
    print("1..%d" % len(bugs))
    failed = 0
    rows = []
    for i, bug in enumerate(bugs, 1):
        name = "tlbstress-%sbug-%s" % ("tlbsan-" if a.tlbsan else "", bug)
        ok, lines = boot(name, os.path.join(out, name + ".log"), a.smp, "tcg", 300,
                         expect="fail",
                         expect_line=("tlbsan: VIOLATION|# violation:" if a.tlbsan
                                      else None),
                         ours=(elf, our_cmdline(run, 120, extra + "pmap.bug=" + bug),
                               ["tlbstress"]))
        viol = [l.strip() for l in lines if "# violation:" in l]
        san = [l.strip() for l in lines if "tlbsan: VIOLATION" in l]
        failing = [l.strip().split()[3] for l in lines
                   if l.strip().startswith("not ok") and len(l.strip().split()) > 3
                   and l.startswith("    ")]
        by = "tlbstress" if viol else "tlbsan" if (san and a.tlbsan) else ""
        caught = ok and bool(by)
        rows.append((bug, ("caught by " + by) if caught else
                     ("failed, not by tlbstress" if ok else "PASSED"),
                     ",".join(failing) or (san[0][:60] if san else "")))
        why = ("" if caught else " # no violation seen" if ok else
               " # the boot did not end in a reported failure (%d violation lines)" % len(viol))
        print("%s %d %s%s" % ("ok" if caught else "not ok", i, name, why))
        for l in (viol or san)[:2]:
            print("# " + l[:200])
        failed += not caught
    print("# %-16s %-26s %s" % ("pmap.bug", "result", "failing scenarios / first check"))
    for bug, st, sc in rows:
        print("# %-16s %-26s %s" % (bug, st, sc or "-"))
    print("%d passed, %d failed" % (len(bugs) - failed, failed))
    return 1 if failed else 0


def cmd_smoke(a):
    out = os.path.join(TOP, "build", "test-linux")
    os.makedirs(out, exist_ok=True)
    vmlinuz, lversion = linux_kernel()
    initrd = initramfs(["tlbstress", "tlbbench"], os.path.join(out, "initramfs.cpio"))
    print("KTAP version 1")
    print("1..2")
    print("# linux: %s" % lversion)
    ok1, lines = boot("linux-smoke", os.path.join(out, "linux-smoke.log"), 2, "tcg", 240,
                      linux=(vmlinuz, initrd,
                             linux_append("tlbstress:3:1,tlbbench:1:20:null_syscall", 120)))
    got, bad = bench_lines(lines)
    why = "" if ok1 else "boot failed"
    if ok1 and (bad or len(got) != 1):
        why = "%d BENCH lines, %d unparsable (want 1)" % (len(got), bad)
    print(("ok 1 linux-smoke" if not why else "not ok 1 linux-smoke # " + why))
    ok2, lines = boot("linux-selftest", os.path.join(out, "linux-selftest.log"), 2, "tcg", 240,
                      expect="fail",
                      linux=(vmlinuz, initrd, linux_append("tlbstress:1:1:--selftest", 120)))
    # The self-test must have failed because tlbstress counted violations.
    if ok2 and not any("violation" in l and "changes" not in l for l in lines):
        ok2 = False
        print("# linux-selftest: failed, but no violation line")
    print("%s 2 linux-selftest" % ("ok" if ok2 else "not ok"))
    f = (not ok1 or bool(why)) + (not ok2)
    print("%d passed, %d failed" % (2 - f, f))
    return 1 if f else 0


def main():
    argv = sys.argv[1:]
    if not argv or argv[0].startswith("-"):
        argv = ["bench"] + argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--pairs", type=int, default=3)
    b.add_argument("--smp", default="2 8")
    b.add_argument("--mode", choices=("tcg", "icount"), default="tcg")
    b.add_argument("--runs", type=int, default=5)
    b.add_argument("--ms", type=int, default=100)
    b.add_argument("--variants", default="")
    b.add_argument("--variant-opt", default="pmap.inval")
    b.add_argument("--linux-only", action="store_true")
    b.add_argument("--elf", default=os.path.join(TOP, "build", "GENERIC", "kernel.elf"))
    b.add_argument("--out", default=os.path.join(TOP, "build", "bench-vs-linux"))
    b.add_argument("--plot-dir")
    b.add_argument("--timeout", type=int, default=400)
    t = sub.add_parser("table")
    t.add_argument("results")
    t.add_argument("--plot-dir")
    s = sub.add_parser("stress")
    s.add_argument("--elf", default=os.path.join(TOP, "build", "GENERIC", "kernel.elf"))
    s.add_argument("--smp", default="2 8")
    s.add_argument("--seconds", default="8")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--selftest", action="store_true")
    s.add_argument("--linux-only", action="store_true")
    s.add_argument("--extra-opts", default="")
    s.add_argument("--expect", choices=("pass", "fail"), default="pass")
    s.add_argument("--out", default=os.path.join(TOP, "build", "stress-vs-linux"))
    sub.add_parser("smoke")
    mu = sub.add_parser("mutants")
    mu.add_argument("--elf", default="",
                    help="default build/GENERIC (build/TLBSAN with --tlbsan)")
    mu.add_argument("--tlbsan", action="store_true",
                    help="conf/TLBSAN with tlbsan=1: the sanitizer judges too")
    mu.add_argument("--smp", type=int, default=4)
    mu.add_argument("--seconds", default="4")
    mu.add_argument("--seed", type=int, default=1)
    mu.add_argument("--bugs", default="")
    a = ap.parse_args(argv)
    if a.cmd == "bench":
        if a.pairs < 1 or a.runs < 1 or a.runs > 31 or a.ms < 1:
            ap.error("--pairs >= 1, --runs 1..31, --ms >= 1")
        if not a.linux_only and not os.path.isfile(a.elf):
            ap.error("no kernel %s (run make)" % a.elf)
    for p in ("tlbbench", "tlbstress"):
        if not os.path.isfile(os.path.join(USER, p)) or not os.path.isfile(INIT):
            sys.exit("bench-vs-linux: build/user/%s or build/linux/init missing "
                     "(make linux-progs)" % p)
    return {"bench": cmd_bench, "table": cmd_table, "stress": cmd_stress,
            "smoke": cmd_smoke, "mutants": cmd_mutants}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
