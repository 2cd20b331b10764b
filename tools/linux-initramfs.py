#!/usr/bin/python3
"""Write the Linux peer boot's initramfs: a newc cpio archive (what the
Linux kernel unpacks as its first root file system) holding /init (the
static musl test/linux/init.c), the /dev/console device node (so init
starts with the console as fds 0-2) and each user program as /NAME.

  tools/linux-initramfs.py -o OUT.cpio INIT PROGRAM...

Written here rather than with cpio(1): the format is 110-byte ASCII
headers and 4-byte padding, and this way the archive is the same bytes
every time (fixed mtimes, owners and inode numbers).
"""

import argparse
import os
import stat
import sys


def entry(ino, name, mode, data=b"", rdev=(0, 0)):
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(name_b), 0))
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("init")
    ap.add_argument("programs", nargs="*")
    a = ap.parse_args()
    parts = [entry(1, "dev", stat.S_IFDIR | 0o755),
             entry(2, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))]
    files = [("init", a.init)] + [(os.path.basename(p), p) for p in a.programs]
    seen = set()
    for i, (name, path) in enumerate(files, 3):
        if name in seen:
            sys.exit("linux-initramfs: two files named %s" % name)
        seen.add(name)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            sys.exit("linux-initramfs: %s" % e)
        parts.append(entry(i, name, stat.S_IFREG | 0o755, data))
    parts.append(entry(0, "TRAILER!!!", 0))
    blob = b"".join(parts)
    blob += b"\0" * (-len(blob) % 512)
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
