#!/usr/bin/python3
"""Host tests of test/lib/ktap.py: crafted serial logs in, verdicts out.

Each case feeds a serial log (with GRUB's escapes and carriage returns
where a real one has them) and an emulator exit status through the same
code the runners use (Scan, judge, counts, and the scan/verdict command
line), and checks the verdict and the counts.  test/lib/ktap.sh's
closing-line parser is run on the same lines as ktap.py's: the shell
summers and the Python runners must agree on what a closing line is.

Output: KTAP version 1, one "ok N name" per case, and "N passed, N failed".
Exit status 0 iff every case passed.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ktap  # noqa: E402

GRUB = "\x1b[2J\x1b[H\x1b[0;30;47mWelcome to GRUB!\r\n\x1b[0mBooting `pcoherence'\r\n"
PASSING = GRUB + (
    "pcoherence: booting\r\n"
    "smp: all 4 CPUs online\n"
    "KTAP version 1\n"
    "1..2\n"
    "ok 1 smp\n"
    "ok 2 pmap # SKIP no NX\n"
    "2 passed, 0 failed, 1 skipped\n"
)
FAILING = GRUB + (
    "KTAP version 1\n1..2\nok 1 smp\n"
    "    # pmap_enter: pmap.c:12: expected 1 == 3\n"
    "not ok 2 pmap\n"
    "1 passed, 1 failed\n"
)
PANIC = GRUB + (
    "KTAP version 1\n1..2\nok 1 smp\n"
    "panic: ipiq: cpu 1 stuck (queue 0>1 windex 7 rindex 3)\n"
    "cpu 0: thread \"main\"\n"
)
NO_CLOSING = GRUB + "KTAP version 1\n1..2\nok 1 smp\nok 2 pmap\n"
TRAILING = PASSING + (
    "per-CPU counters:\n"
    "   cpu  ipi-sent\n"
    "     0         5\n"
    "3 passed, 0 failed trailing words\n"
    "\x1b[0m\r\n"
)


def scan(text, **kw):
    s = ktap.Scan(**kw)
    emitted = []
    for raw in text.splitlines(keepends=True):
        _, e = s.feed(raw, now=None)
        if e is not None:
            emitted.append(e)
    return s.state(), emitted


cases = []


def case(fn):
    cases.append(fn)
    return fn


def expect_eq(what, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


@case
def clean_strips_escapes_and_cr():
    expect_eq("csi", ktap.clean_line("\x1b[0;30;47mWelcome\x1b[?25l\r\n"), "Welcome")
    expect_eq("esc", ktap.clean_line("\x1bcok 1 x \t \r"), "ok 1 x")
    expect_eq("ctrl", ktap.clean_line("a\x00b\x07c\x7f"), "abc")
    expect_eq("tab", ktap.clean_line("a\tb"), "a b")
    expect_eq("blank", ktap.clean_line("\x1b[2J\r\n"), "")


@case
def closing_line_forms():
    expect_eq("plain", ktap.parse_closing("3 passed, 0 failed"), (3, 0, 0))
    expect_eq("skip", ktap.parse_closing("3 passed, 1 failed, 2 skipped"), (3, 1, 2))
    for bad in ("3 passed, 0 failed trailing", "# 3 passed, 0 failed",
                "  3 passed, 0 failed", "3 passed,0 failed", "passed, failed",
                "3 passed, 0 failed, skipped", ""):
        expect_eq(repr(bad), ktap.parse_closing(bad), None)


@case
def shell_parser_agrees():
    lines = ["3 passed, 0 failed", "3 passed, 1 failed, 2 skipped",
             "3 passed, 0 failed trailing", "# 3 passed, 0 failed",
             "0 passed, 0 failed", "12 passed, 3 failed, 0 skipped", "x"]
    script = ('source "$1"; shift; for l in "$@"; do '
              'if ktap_parse "$l"; then echo "$ktap_p $ktap_f $ktap_s"; '
              'else echo none; fi; done')
    out = subprocess.run(["bash", "-c", script, "ktap", os.path.join(HERE, "ktap.sh")] + lines,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    for line, sh in zip(lines, out):
        py = ktap.parse_closing(line)
        expect_eq(repr(line), sh, "none" if py is None else "%d %d %d" % py)


@case
def qemu_pass():
    st, emitted = scan(PASSING)
    expect_eq("reason", ktap.judge("qemu", st, 33), "")
    expect_eq("counts", ktap.counts(st, ""), (2, 0, 1))
    # The kernel's KTAP is nested; its closing line and GRUB are diagnostics.
    expect_eq("nested", "  ok 1 smp" in emitted, True)
    expect_eq("closing hidden", "  # 2 passed, 0 failed, 1 skipped" in emitted, True)
    expect_eq("grub", emitted[0], "  # Welcome to GRUB!")


@case
def qemu_failing_tests():
    st, _ = scan(FAILING)
    expect_eq("reason", ktap.judge("qemu", st, 35), "1 in-kernel test(s) failed")
    expect_eq("counts", ktap.counts(st, "x"), (1, 2, 0))


@case
def qemu_pass_status_with_failures_fails():
    st, _ = scan(FAILING)
    expect_eq("reason", ktap.judge("qemu", st, 33), "1 in-kernel test(s) failed")


@case
def qemu_panic():
    st, _ = scan(PANIC)
    r = ktap.judge("qemu", st, 35)
    expect_eq("reason", r, "panic: ipiq: cpu 1 stuck (queue 0>1 windex 7 rindex 3)")
    expect_eq("counts", ktap.counts(st, r), (0, 1, 0))
    # A panic after the closing line still fails the boot.
    st, _ = scan(PASSING + "panic: late\n")
    expect_eq("late panic", ktap.judge("qemu", st, 35), "panic: late")


@case
def qemu_missing_closing():
    st, _ = scan(NO_CLOSING)
    expect_eq("reason", ktap.judge("qemu", st, 33),
              "missing closing line 'N passed, N failed' (QEMU exit status 33)")


@case
def qemu_trailing_garbage():
    # The last closing line counts; a line with words after it is not one.
    st, emitted = scan(TRAILING)
    expect_eq("closing", st["closing"], "2 passed, 0 failed, 1 skipped")
    expect_eq("reason", ktap.judge("qemu", st, 33), "")
    expect_eq("after closing is diagnostics", "  #      0         5" in emitted, True)


@case
def qemu_triple_fault_exit_0():
    st, _ = scan(PASSING)
    expect_eq("reason", ktap.judge("qemu", st, 0),
              "triple fault or reset (QEMU exit status 0)")
    st, _ = scan(PANIC)
    expect_eq("after panic", ktap.judge("qemu", st, 0),
              "triple fault or reset (QEMU exit status 0) after panic: ipiq: cpu 1 stuck "
              "(queue 0>1 windex 7 rindex 3)")


@case
def qemu_timeout():
    st, _ = scan(NO_CLOSING)
    for status in (124, 137):
        expect_eq("reason", ktap.judge("qemu", st, status, timeout_s=9), "timeout after 9 s")


@case
def qemu_fail_status_without_failures():
    st, _ = scan(PASSING)
    expect_eq("reason", ktap.judge("qemu", st, 35),
              "kernel reported failure (QEMU exit status 35) but 0 tests failed")
    expect_eq("odd status", ktap.judge("qemu", st, 3), "unexpected exit status 3")
    expect_eq("qemu error", ktap.judge("qemu", st, 1, stderr_first="qemu: bad -smp"),
              "QEMU failed: qemu: bad -smp")


@case
def qemu_expect_line():
    st, _ = scan(PASSING, expect_line="smp: all [[:digit:]]+ CPUs")
    expect_eq("seen", ktap.judge("qemu", st, 33, expect_line="x"), "")
    st, _ = scan(PASSING, expect_line="nowhere")
    expect_eq("unseen", ktap.judge("qemu", st, 33, expect_line="nowhere"),
              "no line matched /nowhere/")


@case
def qemu_expect_fail():
    st, _ = scan(FAILING)
    r = ktap.judge("qemu", st, 35, expect="fail")
    expect_eq("as expected", r, "")
    expect_eq("counts", ktap.counts(st, r, expect="fail"), (1, 0, 0))
    st, _ = scan(PASSING)
    r = ktap.judge("qemu", st, 33, expect="fail")
    expect_eq("passed instead", r, "kernel reported success, expected failure")
    expect_eq("counts", ktap.counts(st, r, expect="fail"), (0, 1, 0))
    st, _ = scan(PASSING)
    expect_eq("35 without failures", ktap.judge("qemu", st, 35, expect="fail"),
              "exit status 35 but no closing line with failures")
    st, _ = scan(PANIC)
    expect_eq("triple fault", ktap.judge("qemu", st, 0, expect="fail"),
              "triple fault or reset (QEMU exit status 0), expected a reported failure")
    st, _ = scan(PANIC, expect_line="stuck")
    expect_eq("panic line", ktap.judge("qemu", st, 35, expect="fail", expect_line="stuck"), "")


@case
def bochs_pass_needs_shutdown():
    st, _ = scan(PASSING)
    expect_eq("shutdown", ktap.judge("bochs", st, 1, bochs_shutdown=True), "")
    expect_eq("no shutdown", ktap.judge("bochs", st, 1, bochs_why="triple fault"),
              "Bochs ended without the guest's shutdown request (exit status 1: triple fault)")


@case
def bochs_failing_counts_like_qemu():
    st, _ = scan(FAILING)
    r = ktap.judge("bochs", st, 1, bochs_shutdown=True)
    expect_eq("reason", r, "1 in-kernel test(s) failed")
    # The same rule as QEMU's: in-kernel failures plus the boot's own.
    expect_eq("counts", ktap.counts(st, r), (1, 2, 0))


@case
def bochs_panic_missing_timeout_empty():
    st, _ = scan(PANIC)
    expect_eq("panic", ktap.judge("bochs", st, 1, bochs_shutdown=True),
              "panic: ipiq: cpu 1 stuck (queue 0>1 windex 7 rindex 3)")
    st, _ = scan(NO_CLOSING)
    expect_eq("missing", ktap.judge("bochs", st, 1, bochs_shutdown=True),
              "missing closing line 'N passed, N failed'")
    expect_eq("timeout", ktap.judge("bochs", st, 124, timeout_s=5), "timeout after 5 s")
    st, _ = scan("")
    expect_eq("empty", ktap.judge("bochs", st, 1), "no serial output (Bochs exit status 1)")


@case
def bochs_break():
    text = GRUB + "smp: all 4 CPUs online\ndebug: magic breakpoint 'smp'\n"
    st, _ = scan(text, break_site="smp")
    r = ktap.judge("bochs", st, 0, break_site="smp")
    expect_eq("reached", r, "")
    expect_eq("counts", ktap.counts(st, r, break_site="smp"), (1, 0, 0))
    st, _ = scan(text, break_site="test")
    expect_eq("not reached", ktap.judge("bochs", st, 0, break_site="test"),
              "magic breakpoint 'test' never reached")


@case
def command_line_end_to_end():
    # The runners' path: raw bytes through `scan`, then `verdict`.
    with tempfile.TemporaryDirectory() as d:
        state, log = os.path.join(d, "state"), os.path.join(d, "log")

        def run(text, status, *extra):
            subprocess.run([sys.executable, os.path.join(HERE, "ktap.py"), "scan",
                            "--log", log, "--state", state],
                           input=text.encode(), capture_output=True, check=True)
            return subprocess.run([sys.executable, os.path.join(HERE, "ktap.py"),
                                   "verdict", "--runner", "qemu", "--state", state,
                                   "--status", str(status), "--name", "b", "--index", "4"]
                                  + list(extra), capture_output=True, text=True)

        r = run(PASSING, 33)
        out = r.stdout.splitlines()
        expect_eq("rc", r.returncode, 0)
        expect_eq("result", out[0], "ok 4 b")
        expect_eq("closing", out[-1], "2 passed, 0 failed, 1 skipped")
        with open(log) as f:
            expect_eq("log cleaned", "\x1b" in f.read(), False)
        with open(state) as f:
            expect_eq("state", json.load(f)["closing"], "2 passed, 0 failed, 1 skipped")
        r = run(PANIC, 0)
        out = r.stdout.splitlines()
        expect_eq("rc", r.returncode, 1)
        expect_eq("result", out[0].startswith("not ok 4 b # triple fault"), True)
        expect_eq("tail shown", "# | cpu 0: thread \"main\"" in out, True)
        expect_eq("closing", out[-1], "0 passed, 1 failed")


def main():
    print("KTAP version 1")
    print("1..%d" % len(cases))
    failed = 0
    for n, fn in enumerate(cases, 1):
        try:
            fn()
            print("ok %d %s" % (n, fn.__name__))
        except Exception as e:  # any exception is this case's failure
            failed += 1
            print("not ok %d %s # %s" % (n, fn.__name__, e))
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
