#!/usr/bin/python3
"""ktap.py - the one place that reads a kernel's serial log and judges a boot.

Every runner (test/run-qemu.sh, test/run-bochs.sh, and through them
test/boot-tests.sh, test/bochs-tests.sh, test/bench.sh, test/scale-tests.sh)
uses this module for three things, so that they cannot disagree:

  cleaning   clean_line(): what GRUB's terminal code and the serial line
             leave in a log (carriage returns, ANSI escape sequences, other
             control characters, trailing blanks) is removed;
  parsing    parse_closing(): the closing line "N passed, N failed"
             (", N skipped" optional) alone on a line; Scan: the kernel's
             KTAP, its last closing line, the first "panic:" line, and the
             last serial lines for the failure report;
  verdict    judge() and counts(): whether the boot passed, and the boot's
             own closing line.

The rule (both emulators): a boot passes only if the emulator ended the
way a finished kernel ends it (QEMU: exit status 33 from isa-debug-exit;
Bochs: the guest's request on the shutdown port 0x8900, because Bochs exits
1 whatever happened) AND the kernel's closing line says 0 failed AND no
"panic:" line was seen.  A timeout, a triple fault (QEMU exits 0 under
-no-reboot), a panic, a missing closing line all fail, and the report
shows the last serial lines.  A failed boot counts as one failure of its
own on top of the in-kernel failures its closing line reports (the boot's
"not ok" line is a test result too); an expected failure that happened as
expected counts 1 passed, 0 failed.

Command line (the shell runners call it as /usr/bin/python3 test/lib/ktap.py):

  ktap.py scan [--log FILE] --state FILE [--expect-line RE]
               [--break-site SITE] [--t0-us MICROSECONDS]
      Read raw serial output on stdin as it arrives; append each cleaned
      line to --log; print it as part of a nested KTAP subtest (indented
      two spaces; lines that are not the kernel's KTAP become "# "
      diagnostics); at the end write what the verdict needs to --state
      (JSON).  --t0-us (microseconds since the epoch when the emulator
      started) makes the state hold boot-to-first-line and
      boot-to-online times.
  ktap.py verdict --runner qemu|bochs --state FILE --status N
                  --name NAME [--index N] [--expect pass|fail]
                  [--expect-line RE] [--break-site SITE] [--timeout S]
                  [--stderr FILE] [--bochs-log FILE] [--also-log FILE]
                  [--diag TEXT]...
      Print "ok N NAME" or "not ok N NAME # reason", the diagnostics (the
      --diag lines, timings, and on failure the last 40 serial lines and
      the emulator's stderr), and as the last line the boot's closing
      line.  Exit status 0 if ok, 1 if not.
  ktap.py check-re RE
      Exit 2 with a message if RE is not a usable --expect-line pattern.
  ktap.py closing LINE
      Print "P F S" if LINE is a closing line; exit 1 if it is not.

Patterns given as --expect-line are POSIX extended regular expressions
(the runners' documented interface); the bracket classes such as
[[:space:]] are translated, the rest of ERE is Python syntax too.
"""

import argparse
import collections
import json
import re
import sys
import time

# The closing line of a test part (kept in step with test/lib/ktap.sh,
# which test/lib/ktap_test.py checks against the same cases).
CLOSING_RE = re.compile(r"^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$")
# Lines that belong to a KTAP stream when re-emitted as a nested subtest.
KTAP_RE = re.compile(
    r"^(KTAP version [0-9]+|TAP version [0-9]+|[0-9]+\.\.[0-9]+|(not )?ok [0-9]+|#|\s)"
)
ONLINE_RE = re.compile(r"smp: all [0-9]+ CPUs online")
# Not the kernel yet: blank lines and GRUB's own messages.
GRUB_RE = re.compile(
    r"^\s*$|^\s*Booting `|GNU GRUB|Welcome to GRUB|^error: |Press any key"
)
# CSI sequences (ESC [ params letter), then any other two-byte escape,
# then every remaining control character (C0 and DEL).
CSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z@]")
ESC_RE = re.compile(r"\x1b.?", re.S)
CNTRL_RE = re.compile(r"[\x00-\x1f\x7f]")

# QEMU's isa-debug-exit: the kernel writes 0x10 (pass) or 0x11 (fail),
# QEMU exits (value << 1) | 1.
QEMU_PASS = 33
QEMU_FAIL = 35
# timeout(1): 124 when it stopped the command, 137 when it had to kill it.
TIMEOUT_STATUSES = (124, 137)
TAIL_LINES = 40


def clean_line(raw):
    """One serial line without escapes, control characters or trailing blanks."""
    s = raw.replace("\t", " ")
    s = CSI_RE.sub("", s)
    s = ESC_RE.sub("", s)
    s = CNTRL_RE.sub("", s)
    return s.rstrip()


def parse_closing(line):
    """(passed, failed, skipped) of a closing line, or None for any other line."""
    m = CLOSING_RE.match(line)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(4) or 0)


def format_closing(p, f, s=0):
    if s > 0:
        return "%d passed, %d failed, %d skipped" % (p, f, s)
    return "%d passed, %d failed" % (p, f)


_POSIX_CLASSES = {
    "[:space:]": r"\s",
    "[:blank:]": r" \t",
    "[:digit:]": "0-9",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:alpha:]": "A-Za-z",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:alnum:]": "0-9A-Za-z",
    "[:punct:]": r"!-/:-@\[-`{-~",
}


def compile_ere(pattern):
    """A POSIX ERE as the runners document it, compiled for Python's re."""
    for k, v in _POSIX_CLASSES.items():
        pattern = pattern.replace(k, v)
    return re.compile(pattern)


class Scan:
    """What a serial log says, line by line.

    feed() takes one raw line and returns the cleaned line (None for a
    line that cleans to nothing) and how to re-emit it in the nested
    subtest.  The kernel's KTAP begins at its "KTAP version" line and ends
    at its closing line; what follows (statistics, shutdown messages) is
    diagnostics, and so is the kernel's closing line itself, so that it
    cannot be mistaken for the runner's.
    """

    def __init__(self, expect_line=None, break_site=None, t0=None):
        self.expect_re = compile_ere(expect_line) if expect_line else None
        self.break_line = (
            "debug: magic breakpoint '%s'" % break_site if break_site else None
        )
        self.t0 = t0
        self.closing = None  # the kernel's last closing line
        self.panic = None  # the first "panic:" line
        self.expect_seen = False  # whether --expect-line matched
        self.break_seen = False  # whether the magic breakpoint was reported
        self.t_first = None  # seconds to the first kernel line
        self.t_online = None  # seconds to "smp: all N CPUs online"
        self.nlines = 0
        self.tail = collections.deque(maxlen=TAIL_LINES)
        self.ktap_state = 0  # 0 before the kernel's KTAP, 1 in it, 2 after

    def feed(self, raw, now=None):
        line = clean_line(raw)
        if not line:
            return None, None
        self.nlines += 1
        self.tail.append(line)
        if self.t0 is not None and now is not None:
            if self.t_first is None and not GRUB_RE.search(line):
                self.t_first = now - self.t0
            if self.t_online is None and ONLINE_RE.search(line):
                self.t_online = now - self.t0
        if CLOSING_RE.match(line):
            self.closing = line
            self.ktap_state = 2
        if self.panic is None and line.startswith("panic:"):
            self.panic = line
        if self.expect_re is not None and self.expect_re.search(line):
            self.expect_seen = True
        if self.break_line is not None and line == self.break_line:
            self.break_seen = True
        if self.ktap_state == 0 and line.startswith("KTAP version"):
            self.ktap_state = 1
        if self.ktap_state == 1 and KTAP_RE.match(line):
            return line, "  " + line
        return line, "  # " + line

    def state(self):
        return {
            "closing": self.closing,
            "panic": self.panic,
            "expect_seen": self.expect_seen,
            "break_seen": self.break_seen,
            "t_first": self.t_first,
            "t_online": self.t_online,
            "nlines": self.nlines,
            "tail": list(self.tail),
        }


def judge(
    runner,
    state,
    status,
    expect="pass",
    expect_line=None,
    break_site=None,
    timeout_s=None,
    stderr_first=None,
    bochs_shutdown=False,
    bochs_why=None,
):
    """The reason the run is not as expected, or "" when it is.

    runner: "qemu" or "bochs".  state: Scan.state().  status: the exit
    status of `timeout EMULATOR ...`.  stderr_first: the first line of
    the emulator's stderr, if any.  bochs_shutdown: Bochs's log says the
    guest asked for the shutdown; bochs_why: Bochs's last error line.
    """
    closing = state.get("closing")
    counts = parse_closing(closing) if closing else None
    k_fail = counts[1] if counts else 0
    panic = state.get("panic")
    timed_out = status in TIMEOUT_STATUSES
    tmo = "timeout after %s s" % (timeout_s if timeout_s is not None else "?")
    reason = ""
    if runner == "qemu" and expect == "fail":
        if timed_out:
            reason = tmo + " (expected a reported failure)"
        elif status == 0:
            reason = "triple fault or reset (QEMU exit status 0), expected a reported failure"
        elif status == 1 and stderr_first:
            reason = "QEMU failed: " + stderr_first
        elif status == QEMU_PASS:
            reason = "kernel reported success, expected failure"
        elif status != QEMU_FAIL:
            reason = "unexpected exit status %d" % status
        elif expect_line:
            if not state.get("expect_seen"):
                reason = "no line matched /%s/" % expect_line
        elif k_fail == 0:
            reason = "exit status 35 but no closing line with failures"
        return reason
    if runner == "qemu":
        if timed_out:
            reason = tmo
        elif status == 0:
            reason = "triple fault or reset (QEMU exit status 0)"
        elif panic:
            reason = panic
        elif status == 1 and stderr_first:
            reason = "QEMU failed: " + stderr_first
        elif counts is None:
            reason = "missing closing line 'N passed, N failed' (QEMU exit status %d)" % status
        elif k_fail != 0:
            reason = "%d in-kernel test(s) failed" % k_fail
        elif status == QEMU_FAIL:
            reason = "kernel reported failure (QEMU exit status 35) but 0 tests failed"
        elif status != QEMU_PASS:
            reason = "unexpected exit status %d" % status
        elif expect_line and not state.get("expect_seen"):
            reason = "no line matched /%s/" % expect_line
    elif runner == "bochs":
        if timed_out:
            reason = tmo
        elif panic:
            reason = panic
        elif not state.get("nlines"):
            reason = "no serial output (Bochs exit status %d)" % status
        elif break_site and not state.get("break_seen"):
            reason = "magic breakpoint '%s' never reached" % break_site
        elif not break_site and counts is None:
            reason = "missing closing line 'N passed, N failed'"
        elif k_fail != 0:
            reason = "%d in-kernel test(s) failed" % k_fail
        elif not break_site and not bochs_shutdown:
            # Bochs exits 1 on the shutdown request and on its own
            # panics alike: its log tells them apart.
            reason = "Bochs ended without the guest's shutdown request (exit status %d%s)" % (
                status,
                ": " + bochs_why if bochs_why else "",
            )
    else:
        raise ValueError("unknown runner %r" % runner)
    # A panic also explains a timeout or a triple fault that followed it.
    if reason and panic and reason != panic:
        reason += " after " + panic
    return reason


def counts(state, reason, expect="pass", break_site=None):
    """The boot's own closing-line counts (passed, failed, skipped)."""
    if expect == "fail":
        return (0, 1, 0) if reason else (1, 0, 0)
    closing = state.get("closing")
    p, f, s = parse_closing(closing) if closing else (0, 0, 0)
    if reason:
        f += 1
    elif break_site:
        p += 1  # a --break run counts the stop itself as one test
    return p, f, s


def _secs(x):
    return "%.2f" % x


def cmd_scan(args):
    scan = Scan(args.expect_line, args.break_site,
                args.t0_us / 1e6 if args.t0_us is not None else None)
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    out = sys.stdout
    # Read the raw bytes: readline() returns as soon as a line is complete,
    # so each line is stamped when it arrives.
    for raw in iter(sys.stdin.buffer.readline, b""):
        now = time.time()
        line, emit = scan.feed(raw.decode("utf-8", "replace"), now)
        if line is None:
            continue
        if log:
            log.write(line + "\n")
            log.flush()
        out.write(emit + "\n")
        out.flush()
    if log:
        log.close()
    with open(args.state, "w", encoding="utf-8") as f:
        json.dump(scan.state(), f)
    return 0


def _first_line(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    return line.rstrip("\n")
    except OSError:
        pass
    return None


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def bochs_log_facts(path):
    """(shutdown requested?, the last PANIC/ERROR line's message) of a Bochs log."""
    text = _read(path)
    shutdown = "Shutdown port: shutdown requested" in text
    why = None
    for line in text.splitlines():
        if re.match(r"^[0-9]+[pe]\[", line):
            why = line.split("]", 1)[1].replace(">>PANIC<< ", "").strip()
    return shutdown, why


def cmd_verdict(args):
    with open(args.state, encoding="utf-8") as f:
        state = json.load(f)
    if args.also_log and args.break_site and not state.get("break_seen"):
        # The last bytes before a stop may still sit in the emulated UART
        # when a script quits at the breakpoint; Bochs's port 0xE9 copy
        # is written at once.
        if ("debug: magic breakpoint '%s'" % args.break_site) in _read(args.also_log):
            state["break_seen"] = True
    stderr_first = _first_line(args.stderr) if args.stderr else None
    shutdown, bochs_why = (False, None)
    if args.bochs_log:
        shutdown, bochs_why = bochs_log_facts(args.bochs_log)
    reason = judge(
        args.runner, state, args.status, args.expect, args.expect_line,
        args.break_site, args.timeout, stderr_first, shutdown, bochs_why,
    )
    name = args.name
    print(("ok %d %s" % (args.index, name)) if not reason
          else ("not ok %d %s # %s" % (args.index, name, reason)))
    if state.get("t_first") is not None:
        print("# %s: boot-to-first-line %s s" % (name, _secs(state["t_first"])))
    if state.get("t_online") is not None:
        print("# %s: boot-to-online %s s" % (name, _secs(state["t_online"])))
    for d in args.diag:
        print("# %s: %s" % (name, d))
    if bochs_why:
        print("# %s: Bochs stopped: %s" % (name, bochs_why))
    if args.expect == "fail" and not reason:
        seen = ("line /%s/ seen, " % args.expect_line) if args.expect_line else ""
        print("# %s: failed as expected (%s%s)"
              % (name, seen, state.get("closing") or "no closing line"))
    if reason:
        print("# %s: last serial lines:" % name)
        for line in state.get("tail", []):
            print("# | " + line)
        if args.stderr:
            err = _read(args.stderr).splitlines()
            if err:
                print("# %s: %s stderr:" % (name, args.runner))
                for line in err[:20]:
                    print("# | " + line)
    print(format_closing(*counts(state, reason, args.expect, args.break_site)))
    return 0 if not reason else 1


def cmd_check_re(args):
    try:
        compile_ere(args.pattern)
    except re.error as e:
        print("bad --expect-line regex: %s (%s)" % (args.pattern, e), file=sys.stderr)
        return 2
    return 0


def cmd_closing(args):
    c = parse_closing(args.line)
    if c is None:
        return 1
    print("%d %d %d" % c)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ktap.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scan")
    s.add_argument("--log")
    s.add_argument("--state", required=True)
    s.add_argument("--expect-line")
    s.add_argument("--break-site")
    s.add_argument("--t0-us", type=int)
    s.set_defaults(fn=cmd_scan)
    v = sub.add_parser("verdict")
    v.add_argument("--runner", choices=("qemu", "bochs"), required=True)
    v.add_argument("--state", required=True)
    v.add_argument("--status", type=int, required=True)
    v.add_argument("--name", required=True)
    v.add_argument("--index", type=int, default=1)
    v.add_argument("--expect", choices=("pass", "fail"), default="pass")
    v.add_argument("--expect-line")
    v.add_argument("--break-site")
    v.add_argument("--timeout", type=int)
    v.add_argument("--stderr")
    v.add_argument("--bochs-log")
    v.add_argument("--also-log")
    v.add_argument("--diag", action="append", default=[])
    v.set_defaults(fn=cmd_verdict)
    c = sub.add_parser("check-re")
    c.add_argument("pattern")
    c.set_defaults(fn=cmd_check_re)
    c = sub.add_parser("closing")
    c.add_argument("line")
    c.set_defaults(fn=cmd_closing)
    args = ap.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
