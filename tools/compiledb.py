#!/usr/bin/python3
"""Write compile_commands.json (for clangd) at the top of the tree.

  tools/compiledb.py [KERNCONF]          (make compiledb)

One entry per kernel source (.c and .S under sys/, host tests excluded)
with exactly the command the Makefile runs for KERNCONF (default
GENERIC), and one per host test source (*_htest.c, test/host/*.c) with
the flags test/host/run-host-tests.sh builds it with.  Nothing is
repeated here: the kernel's flags come from the Makefile itself (`make
print-compiledb`, its variables after the shell's quote removal), the host
tests' from run-host-tests.sh (HTEST_PRINT_COMMANDS=1).
"""

import json
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_vars(kernconf):
    out = subprocess.run(["make", "-s", "--no-print-directory", "KERNCONF=" + kernconf,
                          "print-compiledb"], cwd=TOP, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("compiledb: make print-compiledb failed:\n" + out.stderr)
    v = {}
    for line in out.stdout.splitlines():
        name, _, val = line.partition(" ")
        v.setdefault(name, []).append(val)
    return v


def kernel_entries(v):
    cc, build = v["CC"][0], v["BUILD"][0]
    entries = []
    for src in v.get("SRCS_C", []):
        args = [cc] + v["CFLAGS"] + ["-c", src, "-o", "%s/%s.o" % (build, src[:-2])]
        entries.append((src, args))
    for src in v.get("SRCS_S", []):
        args = [cc] + v["CFLAGS"] + v["ASFLAGS"] + ["-c", src, "-o",
                                                    "%s/%s.o" % (build, src[:-2])]
        entries.append((src, args))
    return entries


def host_entries():
    env = dict(os.environ, HTEST_PRINT_COMMANDS="1")
    out = subprocess.run(["test/host/run-host-tests.sh"], cwd=TOP, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("compiledb: run-host-tests.sh failed:\n" + out.stderr)
    entries, seen = [], set()
    srcs, args = None, None

    def flush():
        for s in srcs or []:
            # The host tests and their support file; the kernel sources
            # they link keep their kernel entry.
            if (s.endswith("_htest.c") or s.startswith("test/host/")) and s not in seen:
                seen.add(s)
                entries.append((s, args + ["-c", s, "-o", "build/host/%s.o"
                                           % os.path.basename(s)[:-2]]))

    for line in out.stdout.splitlines():
        if line.startswith("@ "):
            flush()
            srcs, args = line[2:].split(), []
        elif srcs is not None:
            args.append(line)
    flush()
    return entries


def main():
    kernconf = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("KERNCONF", "GENERIC")
    entries = kernel_entries(make_vars(kernconf)) + host_entries()
    db = [{"directory": TOP, "file": src, "arguments": args} for src, args in entries]
    path = os.path.join(TOP, "compile_commands.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(db, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("compiledb: %s: %d entries (KERNCONF=%s)" % (path, len(db), kernconf))
    return 0


if __name__ == "__main__":
    sys.exit(main())
