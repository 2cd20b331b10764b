#!/usr/bin/python3
"""Drive the in-kernel debug console (console=interactive) through QEMU's
serial port and check its answers; KTAP, one test per check.

  test/run-console.py            (make test-console)

Environment: CONSOLE_ELF (default build/$KERNCONF/kernel.elf, KERNCONF
defaulting to GENERIC), CONSOLE_SMP (default 8), CONSOLE_TIMEOUT (seconds
for the whole run, default 120; each answer gets 20 s).

QEMU's COM1 is a pair of FIFOs (-chardev pipe: PATH.in is what the guest
reads, PATH.out what it writes); pexpect reads PATH.out and copies
everything the kernel writes to the log (build/test-logs/console.log).
A command is typed only after the prompt "db> " has come, and its answer
is the text up to the next prompt (the echo included).  The last check is
`poweroff`, which must end QEMU with exit status 33.

Output: KTAP version 1, the plan, "ok N name" / "not ok N name # why"
(with the answer as diagnostics on failure), and as the last line
"N passed, N failed".  Exit status 0 iff nothing failed; 2 on a setup
error (no kernel).
"""

import os
import re
import subprocess
import sys
import tempfile
import time

import pexpect
import pexpect.fdpexpect

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPT = "db> "
ANSWER_S = 20
CMDLINE = "test=none console=interactive"


class Console:
    def __init__(self, elf, smp, timeout_s, log):
        self.elf, self.smp, self.log_path = elf, smp, log
        self.deadline = time.monotonic() + timeout_s
        self.results = []  # "ok N name" lines and their diagnostics
        self.npass = self.nfail = 0
        self.answer = ""

    def result(self, name, ok, why=""):
        n = self.npass + self.nfail + 1
        if ok:
            self.results.append("ok %d %s" % (n, name))
            self.npass += 1
        else:
            self.results.append("not ok %d %s # %s" % (n, name, why))
            self.nfail += 1
            # The answer that failed, as diagnostics.
            self.results.extend("# | " + l for l in self.answer.splitlines())

    def wait_prompt(self):
        """True once the next prompt has come; self.answer is the text before it."""
        t = min(ANSWER_S, max(0.1, self.deadline - time.monotonic()))
        try:
            self.ser.expect_exact(PROMPT, timeout=t)
            self.answer = self.ser.before.replace("\r", "")
            return True
        except (pexpect.TIMEOUT, pexpect.EOF):
            tail = (self.ser.before or "").replace("\r", "").splitlines()[-20:]
            self.answer = "\n".join(["(no prompt within %d s)" % ANSWER_S] + tail)
            return False

    def ask(self, text):
        """Type text (bytes allowed) and a return; wait for the answer."""
        data = text if isinstance(text, bytes) else text.encode()
        os.write(self.fd_in, data + b"\r")
        return self.wait_prompt()

    def check(self, name, text, *res):
        """Every regular expression must match some line of the answer."""
        if not self.ask(text):
            self.result(name, False, "no answer")
            return
        for r in res:
            if not re.search(r, self.answer, re.M):
                self.result(name, False, "no line matched /%s/" % r)
                return
        self.result(name, True)

    def run(self):
        iso = os.path.join(os.path.dirname(self.elf), "test-iso", "console.iso")
        env = dict(os.environ, ISO_CACHE_DIR=os.path.join(os.path.dirname(self.elf), ".iso-cache"))
        if subprocess.run([os.path.join(TOP, "tools", "mkiso.sh"), self.elf, CMDLINE, iso],
                          env=env).returncode != 0:
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            ser = os.path.join(tmp, "ser")
            os.mkfifo(ser + ".in")
            os.mkfifo(ser + ".out")
            self.qemu = ["qemu-system-x86_64", "-M", "q35", "-cpu", "max", "-smp", str(self.smp),
                         "-m", "512M", "-cdrom", iso, "-boot", "d", "-no-reboot",
                         "-display", "none", "-monitor", "none",
                         "-chardev", "pipe,id=ser0,path=" + ser, "-serial", "chardev:ser0",
                         "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-net", "none"]
            with open(os.path.join(tmp, "qemu.out"), "wb") as qout:
                q = subprocess.Popen(self.qemu, stdin=subprocess.DEVNULL, stdout=qout,
                                     stderr=subprocess.STDOUT)
            # Opened read-write, so that neither side blocks on open.
            self.fd_in = os.open(ser + ".in", os.O_RDWR)
            fd_out = os.open(ser + ".out", os.O_RDWR)
            with open(self.log_path, "w", encoding="utf-8", errors="replace") as log:
                self.ser = pexpect.fdpexpect.fdspawn(fd_out, encoding="utf-8",
                                                     codec_errors="replace", logfile=log)
                try:
                    status = self.session(q)
                finally:
                    if q.poll() is None:
                        q.kill()
                        q.wait()
                    os.close(self.fd_in)
                    os.close(fd_out)
        self.report(status)
        return 0 if self.nfail == 0 else 1

    def session(self, q):
        smp = self.smp
        if self.wait_prompt():
            self.answer = ""
            self.result("console-prompt", True)
        else:
            self.result("console-prompt", False, "no 'db> ' prompt within %d s" % ANSWER_S)
        if self.nfail == 0:
            self.checks(smp)
        # poweroff: QEMU must exit 33 (isa-debug-exit, success).
        os.write(self.fd_in, b"poweroff\r")
        try:
            status = q.wait(timeout=max(1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            status = None
        try:
            # Whatever the kernel said last, into the log.
            self.ser.expect(pexpect.EOF, timeout=0.2)
        except pexpect.TIMEOUT:
            pass
        self.answer = "\n".join((self.ser.before or "").replace("\r", "").splitlines()[-5:])
        if status == 33:
            self.result("poweroff", True)
        else:
            self.result("poweroff", False, "QEMU exit status %s, want 33"
                        % ("(timeout)" if status is None else status))
        return status

    def checks(self, smp):
        check = self.check
        check("help", "help", r"^commands:", r"^  help ", r"^  cpus ", r"^  threads ",
              r"^  counters ", r"^  pmap VA ", r"^  ipiq ", r"^  stress NAME SECONDS ",
              r"^  bench ", r"^  break ", r"^  poweroff ")
        if self.ask("cpus"):
            rows = len(re.findall(r"^ +[0-9]+ +[0-9]+ +yes ", self.answer, re.M))
            ok = re.search(r"^%d CPUs online" % smp, self.answer, re.M) and rows == smp
            self.result("cpus", ok, "want %d CPUs online and %d rows, got %d rows"
                        % (smp, smp, rows))
        else:
            self.result("cpus", False, "no answer")
        check("threads", "threads", r"^cpu 0: ", r"^cpu %d: " % (smp - 1),
              r"^  main +pri +[0-9]+ +running", r"^  idle1 ", r"^  pmapd1 +pri +16 +blocked")
        self.result("threads-all-answer", "did not answer" not in self.answer,
                    "a CPU did not answer")
        check("counters", "counters", r"^per-CPU counters:", r"shootdown",
              r"^ +%d +[0-9]+" % (smp - 1))
        # A kernel text address: executable, read-only at the last level.
        nm = subprocess.run(["nm", self.elf], capture_output=True, text=True).stdout
        text = next((l.split()[0] for l in nm.splitlines()
                     if l.split()[2:3] == ["hammer_time"]), "0")
        last_re = r"^  (PTE|PDE|PDPE) +0x[0-9a-f]+ V RO( [A-Z]+)* X$"

        def pa_line():
            return "\n".join(l for l in self.answer.splitlines() if "-> pa" in l)

        check("pmap-text", "pmap 0x" + text, r"^walk 0x%s:" % text, last_re, r"-> pa 0x")
        pa0 = pa_line()
        check("pmap-no-0x", "pmap " + text, r"^walk 0x%s:" % text, last_re)
        pa1 = pa_line()
        self.result("pmap-same-walk", bool(pa0) and pa0 == pa1, "'%s' vs '%s'" % (pa0, pa1))
        check("pmap-unmapped", "pmap 0x1000", r"-> not mapped")
        check("pmap-bad-hex", "pmap 0xfoo", r"not a hex address", r"^usage: pmap VA")
        check("pmap-noncanonical", "pmap 0x0000800000000000", r"not a canonical")
        check("pmap-no-arg", "pmap", r"^usage: pmap VA")
        check("bad-command", "frobnicate now", r"unknown command 'frobnicate'",
              r"usage: COMMAND")
        check("bad-args", "cpus 1 2", r"^usage: cpus$")
        check("stress-bad-seconds", "stress x 0", r"^usage: stress NAME SECONDS")
        check("long-line", "x" * 400, r"^line too long")
        # Control bytes, an arrow key's escape sequence, backspaces: "help".
        check("control-chars", b"h\x01\x02e\x1b[Alx\x08p", r"^commands:")
        check("ctrl-u", b"garbage\x15help", r"^commands:")
        check("ipiq", "ipiq", r"^ +src>dst +windex +rindex +xindex",
              r"^ +[0-9]+>[0-9]+ +[0-9]+ ", r"^[1-9][0-9]* CPU pairs? with traffic")
        check("stress-unknown", "stress none 1", r"^stress: no scenario 'none'")
        check("stress", "stress kernel 1", r"^stress: kernel 1 s: passed")
        check("bench-list", "bench", r"^benchmarks:", r"^  ipi_pingpong ")
        check("bench-unknown", "bench nosuch", r"^bench: no benchmark 'nosuch'")
        check("break", "break", r"magic breakpoint 'console'")
        check("still-alive", "cpus", r"^%d CPUs online" % smp)

    def report(self, status):
        print("KTAP version 1")
        print("1..%d" % (self.npass + self.nfail))
        print("# run-console: " + " ".join(self.qemu))
        print("# cmdline: %s; log %s" % (CMDLINE, self.log_path))
        for r in self.results:
            print(r)
        print("%d passed, %d failed" % (self.npass, self.nfail))


def main():
    elf = os.environ.get("CONSOLE_ELF") or os.path.join(
        TOP, "build", os.environ.get("KERNCONF") or "GENERIC", "kernel.elf")
    try:
        smp = int(os.environ.get("CONSOLE_SMP", "8"))
        timeout_s = int(os.environ.get("CONSOLE_TIMEOUT", "120"))
    except ValueError:
        print("run-console: CONSOLE_SMP and CONSOLE_TIMEOUT take whole numbers",
              file=sys.stderr)
        return 2
    if not os.path.isfile(elf):
        print("run-console: no kernel at %s (run make first)" % elf, file=sys.stderr)
        return 2
    log = os.path.join(TOP, "build", "test-logs", "console.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    return Console(elf, smp, timeout_s, log).run()


if __name__ == "__main__":
    sys.exit(main())
