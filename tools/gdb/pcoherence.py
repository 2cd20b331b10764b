# gdb helpers for the pcoherence kernel (load with `-x tools/gdb/pcoherence.py`;
# tools/gdb.sh does).  Written for QEMU's gdbstub, where every vCPU is a gdb
# thread (thread N is CPU N-1) and the x86-64 system registers ($cr3,
# $gs_base, $efer ...) are readable.
#
#   percpu [N]        CPU N's struct globaldata, read from its per-CPU window
#                     (PRIVSPACE_ADDRESS + N * 16 pages).  Without N: the CPU
#                     of the selected thread, found from its GS base.
#   ptwalk VA [CR3]   walk the four-level page tables for VA, reading the
#                     tables by physical address; print each level's entry
#                     and flags and the final physical address.  CR3 defaults
#                     to the selected thread's.
#   threads           each online CPU's gd_curthread (name, priority, flags
#                     once struct thread has those fields).
#   ipiq              the IPI message FIFOs: for each target CPU, each
#                     source's write/read/done indexes and counters.
#
# The kernel's data structures change while it is being written, so the
# commands look up types, fields and symbols when they run, never when this
# file is loaded: a field added later simply starts to show up, and a
# structure that does not exist yet is reported as "not available yet"
# instead of raising a Python error.
#
# Physical memory: ptwalk reads page tables through QEMU's physical-memory
# mode (`maint packet Qqemu.PhyMemMode:1`, switched back off afterwards);
# when the stub does not have it (Bochs's gdbstub, real hardware) it falls
# back on the kernel's direct map at DMAP_MIN_ADDRESS + pa, which is mapped
# once pmap_bootstrap() has run.

import gdb

PRIVSPACE_ADDRESS = 0xFFFFFF8000000000  # machine/vmparam.h
NPRIVPAGES = 16  # machine/globaldata.h
PAGE_SIZE = 4096
PRIVSTRIDE = NPRIVPAGES * PAGE_SIZE
DMAP_MIN_ADDRESS = 0xFFFF800000000000  # machine/vmparam.h
MASK64 = (1 << 64) - 1

# Page-table entry bits (cpu/pte.h), in the order ptwalk prints them.
PTE_FLAGS = [
    (1 << 0, "P"),
    (1 << 1, "RW"),
    (1 << 2, "US"),
    (1 << 3, "PWT"),
    (1 << 4, "PCD"),
    (1 << 5, "A"),
    (1 << 6, "D"),
    (1 << 7, "PS"),
    (1 << 8, "G"),
    (1 << 63, "NX"),
]
PG_FRAME = 0x000FFFFFFFFFF000


# ---------------------------------------------------------------- helpers


def _lookup_type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        return None


def _has_field(t, name):
    try:
        return any(f.name == name for f in t.strip_typedefs().fields())
    except (gdb.error, TypeError):
        return False


def _symbol_exists(name):
    try:
        return gdb.lookup_global_symbol(name) is not None or (
            gdb.lookup_symbol(name)[0] is not None
        )
    except gdb.error:
        return False


def _to_int(v):
    return int(v) & MASK64


def _eval_int(expr):
    """An address or number from a gdb expression ("0x1000", "hammer_time",
    "&CPU_prvspace[1]", "$rsp" ...)."""
    v = gdb.parse_and_eval(expr)
    code = v.type.strip_typedefs().code
    if code == gdb.TYPE_CODE_FUNC:
        v = v.address
    elif code == gdb.TYPE_CODE_ARRAY:
        v = v.address
    return _to_int(v.cast(gdb.lookup_type("unsigned long")))


def _register(name):
    try:
        return _to_int(gdb.selected_frame().read_register(name))
    except (gdb.error, ValueError):
        return None


def _ncpus():
    """CPUs online: the kernel's ncpus, else the number of gdb threads."""
    if _symbol_exists("ncpus"):
        try:
            n = int(gdb.parse_and_eval("ncpus"))
            if n >= 1:
                return n
        except gdb.error:
            pass
    return max(1, len(gdb.selected_inferior().threads()))


def window(cpu):
    return PRIVSPACE_ADDRESS + cpu * PRIVSTRIDE


def current_cpu():
    """(cpu, how) for the selected thread: from its GS base when that
    points into the per-CPU window, else from QEMU's thread numbering."""
    gs = _register("gs_base")
    if gs is not None and PRIVSPACE_ADDRESS <= gs < PRIVSPACE_ADDRESS + (1 << 30):
        off = gs - PRIVSPACE_ADDRESS
        if off % PRIVSTRIDE == 0:
            return off // PRIVSTRIDE, "GS base %#x" % gs
    th = gdb.selected_thread()
    if th is None:
        raise gdb.GdbError("no thread selected (not connected?)")
    lwp = th.ptid[1] if th.ptid[1] else th.num
    why = "gdb thread %d" % th.num
    if gs is not None:
        why += ", GS base %#x is not a per-CPU window" % gs
    return lwp - 1, why


def _readable(addr, size=8):
    try:
        gdb.selected_inferior().read_memory(addr, size)
        return True
    except gdb.MemoryError:
        return False


def _globaldata(cpu):
    t = _lookup_type("struct globaldata")
    if t is None:
        raise gdb.GdbError("struct globaldata is not in the symbols (wrong ELF?)")
    return gdb.Value(window(cpu)).cast(t.pointer()).dereference()


class PhysReader:
    """Reads 8-byte words of physical memory, through QEMU's physical mode
    when the stub has it, else through the direct map."""

    def __init__(self):
        self.method = None

    def __enter__(self):
        try:
            r = gdb.execute("maint packet Qqemu.PhyMemMode:1", to_string=True)
        except gdb.error:
            r = ""
        if '"OK"' in r:
            self.method = "phys"
        else:
            self.method = "dmap"
        self._flush()
        return self

    def __exit__(self, *exc):
        if self.method == "phys":
            try:
                gdb.execute("maint packet Qqemu.PhyMemMode:0", to_string=True)
            except gdb.error:
                pass
        self._flush()
        return False

    @staticmethod
    def _flush():
        # Memory read in one mode must not be served later in the other.
        try:
            gdb.execute("maint flush dcache", to_string=True)
        except gdb.error:
            pass

    def read64(self, pa):
        addr = pa if self.method == "phys" else DMAP_MIN_ADDRESS + pa
        try:
            b = gdb.selected_inferior().read_memory(addr, 8)
        except gdb.MemoryError:
            raise gdb.GdbError(
                "cannot read physical %#x (%s%s)"
                % (
                    pa,
                    "QEMU physical mode" if self.method == "phys" else "direct map at %#x" % addr,
                    "" if self.method == "phys" else "; is the kernel past pmap_bootstrap?",
                )
            )
        return int.from_bytes(bytes(b), "little")


def flag_string(e):
    return " ".join(n for bit, n in PTE_FLAGS if e & bit) or "-"


def page_walk(va, cr3, reader):
    """Returns (levels, pa, size): levels is a list of
    (name, index, entry_pa, entry); pa is None when not mapped."""
    names = ["PML4E", "PDPE", "PDE", "PTE"]
    shifts = [39, 30, 21, 12]
    table = cr3 & PG_FRAME
    levels = []
    for lvl in range(4):
        idx = (va >> shifts[lvl]) & 511
        epa = table + idx * 8
        e = reader.read64(epa)
        levels.append((names[lvl], idx, epa, e))
        if not e & 1:
            return levels, None, None
        if lvl == 3 or (lvl in (1, 2) and e & (1 << 7)):
            size = 1 << shifts[lvl]
            frame = e & PG_FRAME & ~(size - 1)
            return levels, frame | (va & (size - 1)), size
        table = e & PG_FRAME
    return levels, None, None


# --------------------------------------------------------------- commands


class PerCpu(gdb.Command):
    """Print a CPU's struct globaldata from its per-CPU window.

Usage: percpu [N]

N is the kernel's CPU number (dense, 0 = boot CPU); the globaldata is at
0xffffff8000000000 + N * 0x10000 (16 pages per CPU).  Without N, the CPU
the selected gdb thread runs on: found from its GS base when that points
into the window, otherwise thread number - 1 (QEMU numbers vCPUs from 1).
Before cpu0_prvspace_init() the boot CPU's GS base points at a static boot
globaldata, which is printed instead when no N is given."""

    def __init__(self):
        super().__init__("percpu", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        t = _lookup_type("struct globaldata")
        if t is None:
            raise gdb.GdbError("struct globaldata is not in the symbols (wrong ELF?)")
        if arg:
            cpu = int(gdb.parse_and_eval(arg))
            how = "argument"
        else:
            cpu, how = current_cpu()
            gs = _register("gs_base")
            if gs and not (PRIVSPACE_ADDRESS <= gs < PRIVSPACE_ADDRESS + (1 << 30)):
                # Early boot: %gs points at the static boot globaldata.
                gd = gdb.Value(gs).cast(t.pointer()).dereference()
                gdb.write("cpu %d (%s): globaldata at %#x (outside the window)\n" % (cpu, how, gs))
                gdb.write("%s\n" % gd)
                return
        if cpu < 0 or cpu >= 1 << 14:
            raise gdb.GdbError("percpu: bad CPU number %d" % cpu)
        addr = window(cpu)
        gdb.write("cpu %d (%s): globaldata at %#x\n" % (cpu, how, addr))
        if not _readable(addr):
            raise gdb.GdbError(
                "percpu: %#x is not mapped: CPU %d's window is not set up "
                "(before pmap_bootstrap, or no such CPU)" % (addr, cpu)
            )
        gd = _globaldata(cpu)
        gdb.write("%s\n" % gd)
        md = _lookup_type("struct mdglobaldata")
        if md is not None:
            mgd = gdb.Value(addr).cast(md.pointer()).dereference()
            extras = []
            for f in md.strip_typedefs().fields():
                if f.name in ("mi", None) or f.name.startswith("__"):
                    continue
                try:
                    extras.append("%s = %s" % (f.name, mgd[f.name]))
                except gdb.error:
                    pass
            if extras:
                gdb.write("md: %s\n" % ", ".join(extras))


class PtWalk(gdb.Command):
    """Walk the x86-64 page tables for a virtual address.

Usage: ptwalk VA [CR3]

VA and CR3 are gdb expressions (0xffffff8000000000, hammer_time, $rsp ...).
CR3 defaults to the selected thread's $cr3.  The tables are read by
physical address (QEMU's physical-memory mode, or the kernel's direct map
at 0xffff800000000000 + pa when the stub has no such mode).  Prints each
level's entry with its flags (P RW US PWT PCD A D PS G NX) and the
physical address VA translates to, or where the walk stopped."""

    def __init__(self):
        super().__init__("ptwalk", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if not 1 <= len(argv) <= 2:
            raise gdb.GdbError("usage: ptwalk VA [CR3]")
        va = _eval_int(argv[0])
        cr3 = _eval_int(argv[1]) if len(argv) == 2 else _register("cr3")
        if cr3 is None:
            raise gdb.GdbError("ptwalk: no $cr3 from the stub; give CR3 explicitly")
        top = va >> 47
        if top not in (0, (1 << 17) - 1):
            gdb.write("warning: %#x is not canonical\n" % va)
        with PhysReader() as r:
            levels, pa, size = page_walk(va, cr3, r)
            method = r.method
        gdb.write("ptwalk %#x, CR3 %#x (%s reads)\n" % (va, cr3, "physical" if method == "phys" else "direct-map"))
        for name, idx, epa, e in levels:
            gdb.write(
                "  %-5s [%3d] @pa %#014x = %#018x  %s\n" % (name, idx, epa, e, flag_string(e))
            )
        if pa is None:
            gdb.write("  -> not mapped (%s not present)\n" % levels[-1][0])
        else:
            kib = size >> 10
            unit = "4K" if kib == 4 else ("2M" if kib == 2048 else "1G")
            gdb.write("  -> pa %#x (%s page)\n" % (pa, unit))


class Threads(gdb.Command):
    """Print each online CPU's current thread (gd_curthread).

Usage: threads

For every CPU 0..ncpus-1 prints gd_curthread from its globaldata; once
struct thread exists with td_name / td_pri / td_flags / td_critcount,
those are printed too (looked up each time, so new fields appear by
themselves).  A CPU whose window cannot be read is reported as such."""

    def __init__(self):
        super().__init__("threads", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        n = _ncpus()
        tt = _lookup_type("struct thread")
        fields = [f for f in ("td_pri", "td_flags", "td_critcount") if tt is not None and _has_field(tt, f)]
        for cpu in range(n):
            if not _readable(window(cpu)):
                gdb.write("cpu %d: window %#x not readable\n" % (cpu, window(cpu)))
                continue
            gd = _globaldata(cpu)
            td = gd["gd_curthread"]
            line = "cpu %d: curthread %#x" % (cpu, _to_int(td))
            if tt is not None and _to_int(td) != 0:
                try:
                    t = td.cast(tt.pointer()).dereference()
                    if _has_field(tt, "td_name"):
                        line += ' "%s"' % t["td_name"].string(length=-1).split("\0")[0]
                    for f in fields:
                        v = int(t[f])
                        line += " %s=%s" % (f[3:], hex(v) if f == "td_flags" else v)
                except (gdb.error, gdb.MemoryError, UnicodeDecodeError) as e:
                    line += " (unreadable: %s)" % e
            gdb.write(line + "\n")


class Ipiq(gdb.Command):
    """Print the IPI message FIFOs (LWKT IPI queues).

Usage: ipiq

For every target CPU with message queues (globaldata gd_ipiq[src], one
struct lwkt_ipiq per source CPU) prints, per source, the producer index
windex, consumer index rindex, completion index xindex, messages pending
(windex - rindex) and the put/full/drain counters, plus the target's
gd_ipimask.  Prints "not available yet" when the kernel has no IPI queues
in its symbols; the fields are looked up when the command runs."""

    def __init__(self):
        super().__init__("ipiq", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        gt = _lookup_type("struct globaldata")
        qt = _lookup_type("struct lwkt_ipiq")
        if gt is None or qt is None or not _has_field(gt, "gd_ipiq"):
            gdb.write("ipiq: not available yet (no struct lwkt_ipiq / globaldata.gd_ipiq in the symbols)\n")
            return
        n = _ncpus()
        want = ["ip_windex", "ip_rindex", "ip_xindex", "ip_nput", "ip_nfull", "ip_ndrain"]
        have = [f for f in want if _has_field(qt, f)]
        gdb.write("target src " + " ".join("%10s" % f[3:] for f in have) + "    pending\n")
        for cpu in range(n):
            if not _readable(window(cpu)):
                gdb.write("%6d: window not readable\n" % cpu)
                continue
            gd = _globaldata(cpu)
            qs = gd["gd_ipiq"]
            if _to_int(qs) == 0:
                gdb.write("%6d: no queues yet (gd_ipiq NULL)\n" % cpu)
                continue
            if _has_field(gt, "gd_ipimask"):
                try:
                    words = gd["gd_ipimask"]["cm_word"]
                    lo, hi = words.type.strip_typedefs().range()
                    bits = [w * 64 + b for w in range(lo, hi + 1) for b in range(64) if (int(words[w]) >> b) & 1]
                    gdb.write("%6d: ipimask %s\n" % (cpu, bits if bits else "{}"))
                except gdb.error:
                    pass
            for src in range(n):
                try:
                    q = qs[src]
                    if _to_int(q) == 0:
                        continue
                    q = q.dereference()
                    vals = {f: int(q[f]) for f in have}
                except (gdb.error, gdb.MemoryError) as e:
                    gdb.write("%6d %3d  unreadable: %s\n" % (cpu, src, e))
                    continue
                pend = ""
                if "ip_windex" in vals and "ip_rindex" in vals:
                    pend = "%d" % ((vals["ip_windex"] - vals["ip_rindex"]) & 0xFFFFFFFF)
                gdb.write("%6d %3d " % (cpu, src) + " ".join("%10d" % vals[f] for f in have) + " %10s\n" % pend)


PerCpu()
PtWalk()
Threads()
Ipiq()
gdb.write("pcoherence gdb helpers: percpu [N], ptwalk VA [CR3], threads, ipiq (help CMD)\n")
