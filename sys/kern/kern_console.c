/*
 * kern_console.c - the in-kernel debug console: a small debugger-style
 * shell on the serial port.
 *
 * With console=interactive the "main" thread, once the default workload
 * is done, reads lines from COM1 (polled cons_getc(): no interrupt, no
 * driver state), echoes them, and runs one command per line: CPU and
 * thread listings, the counter tables, a page-table walk, the IPI-queue
 * indexes, stress and benchmark runs, a magic breakpoint, poweroff.
 *
 * Why it cannot hang or crash on input: a line is at most KCONS_LINE - 1
 * bytes (the rest of a longer line is dropped and the line is refused),
 * control characters and escape sequences are swallowed, every argument
 * is parsed with explicit bounds and refused with a usage message, and
 * nothing here dereferences a user-supplied address (pmap walks the page
 * tables by physical address through the direct map).  Reading other
 * CPUs' state is either a racy read of plain words that are always valid
 * (counters, indexes, curthread, whose thread structures are never
 * freed) or an IPI message whose completion is waited for with a
 * deadline: a CPU that does not answer is reported, not waited for.
 * While waiting for input the thread sleeps a tick at a time, so the
 * rest of CPU 0 keeps running.
 */
#include <sys/kconsole.h>

#include <sys/bench.h>
#include <sys/bootopt.h>
#include <sys/clock.h>
#include <sys/cons.h>
#include <sys/cpu.h>
#include <sys/globaldata.h>
#include <sys/ipiq.h>
#include <sys/lwkt_ipiq.h>
#include <sys/systm.h>
#include <sys/thread.h>
#include <vm/pmap.h>
#include <vm/pmap_stress.h>

static BOOTOPT_STR(console_mode, "console", "interactive: serial debug shell");

#define KCONS_LINE    128 /* bytes per input line, with the NUL */
#define KCONS_MAXARGS 8   /* words per line */
#define KCONS_NTHR    64  /* threads listed per CPU */
#define KCONS_WAIT_MS 500 /* how long a remote CPU may take to answer */
#define KCONS_SPIN_NS (2 * NS_PER_MS) /* poll this long before sleeping */

/* The benchmark linker set (sys/kern/kern_bench.c), for the list. */
extern const struct bench __start_set_bench[], __stop_set_bench[];

struct kcons_cmd {
	const char *kc_name; /* what the user types */
	const char *kc_args; /* argument synopsis, for usage messages */
	const char *kc_help; /* one line for help */
	int kc_minargs;      /* arguments after the name, at least */
	int kc_maxargs;      /* and at most */
	void (*kc_fn)(int argc, char **argv); /* argv[0] is the name */
};

/* One remote CPU's thread listing, filled by an IPI message there. */
struct kcons_snap {
	struct lwkt_thread_info ks_td[KCONS_NTHR]; /* the threads */
	volatile int ks_n; /* how many it has (may exceed KCONS_NTHR) */
	bool ks_busy;      /* a timed-out request may still write */
	uint32_t ks_seq;   /* that request's message sequence number */
};

static struct kcons_snap kcons_snap[MAXCPU]; /* by target cpuid */
static int kcons_failed;                     /* the workload's failures */
static int kcons_wait;                       /* tsleep ident while idle */

static const struct kcons_cmd kcons_cmds[];

/* A thread's name, copied and terminated (it may be changing). */
static const char *
td_name(const struct thread *td, char *buf, size_t len)
{
	size_t n = MIN(len - 1, sizeof(td->td_name));

	if (td == NULL)
		return "-";
	memcpy(buf, td->td_name, n);
	buf[n] = '\0';
	return buf;
}

/* Parse hex (with or without 0x); false if bad. */
static bool
parse_hex(const char *s, uint64_t *out)
{
	return kstrtou64(s, 16, out);
}

/* Parse a decimal number in [min, max]; false if bad. */
static bool
parse_dec(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!kstrtou64(s, 10, &v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void
usage(const struct kcons_cmd *c)
{
	kprintf("usage: %s%s%s\n", c->kc_name, c->kc_args[0] ? " " : "",
	        c->kc_args);
}

static const struct kcons_cmd *
find_cmd(const char *name)
{
	const struct kcons_cmd *c;

	for (c = kcons_cmds; c->kc_name != NULL; c++)
		if (strcmp(c->kc_name, name) == 0)
			return c;
	return NULL;
}

static void
cmd_help(int argc, char **argv)
{
	const struct kcons_cmd *c;
	char syn[40];

	(void)argc;
	(void)argv;
	kprintf("commands:\n");
	for (c = kcons_cmds; c->kc_name != NULL; c++) {
		ksnprintf(syn, sizeof(syn), "%s%s%s", c->kc_name,
		          c->kc_args[0] ? " " : "", c->kc_args);
		kprintf("  %-22s %s\n", syn, c->kc_help);
	}
}

static void
cmd_cpus(int argc, char **argv)
{
	char name[TD_NAMELEN + 1];
	int cpu;

	(void)argc;
	(void)argv;
	kprintf("%d CPUs online\n", ncpus);
	kprintf("  %3s %4s %6s %-16s %9s %9s %9s %9s %9s %6s\n", "cpu", "apic",
	        "online", "thread", "ipi-sent", "ipi-recv", "msgs-sent",
	        "msgs-recv", "timer", "traps");
	/* gd_online is the APs' handshake; the boot CPU never sets it. */
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct globaldata *gd = globaldata_find(cpu);
		const struct pcpu_counters *c = &gd->gd_cnt;

		kprintf("  %3d %4u %6s %-16s %9lu %9lu %9lu %9lu %9lu %6lu\n",
		        cpu, cpu_hwid(cpu),
		        cpu == 0 || gd->gd_online ? "yes" : "no",
		        td_name(__atomic_load_n(&gd->gd_curthread,
		                                __ATOMIC_RELAXED),
		                name, sizeof(name)),
		        c->pc_ipi_sent, c->pc_ipi_recv, c->pc_ipiq_sent,
		        c->pc_ipiq_recv, c->pc_timer_intr, c->pc_traps);
	}
}

/* IPI message: list this CPU's threads into kcons_snap[self]. */
static void
snap_ipi(void *arg1, uint64_t arg2, void *frame)
{
	struct kcons_snap *ks = arg1;

	(void)arg2;
	(void)frame;
	ks->ks_n = lwkt_thread_snapshot(ks->ks_td, KCONS_NTHR);
}

/* Has the message seq we sent to cpu run?  (Never blocks.) */
static bool
msg_done(int cpu, uint32_t seq)
{
	struct lwkt_ipiq *q = globaldata_find(cpu)->gd_ipiq[mycpu->gd_cpuid];

	return ipiq_fifo_done(q, seq);
}

/* Fill kcons_snap[cpu]; false if the CPU did not answer in time. */
static bool
snap_cpu(int cpu)
{
	struct kcons_snap *ks = &kcons_snap[cpu];
	uint64_t deadline, fl;

	if (cpu == mycpu->gd_cpuid) {
		fl = cpu_intr_disable();
		snap_ipi(ks, 0, NULL);
		cpu_intr_restore(fl);
		return true;
	}
	/* An earlier request that timed out must finish first. */
	if (ks->ks_busy && !msg_done(cpu, ks->ks_seq))
		return false;
	ks->ks_busy = true;
	ks->ks_seq = lwkt_send_ipiq(cpu, snap_ipi, ks, 0);
	deadline = nanouptime() + KCONS_WAIT_MS * NS_PER_MS;
	while (!msg_done(cpu, ks->ks_seq)) {
		if (nanouptime() > deadline)
			return false;
		lwkt_process_ipiq(); /* it may be waiting for us */
		cpu_pause_hint();
	}
	ks->ks_busy = false;
	return true;
}

static const char *
ti_state(const struct lwkt_thread_info *ti)
{
	switch (ti->ti_state) {
	case LWKT_TI_RUNNING:
		return "running";
	case LWKT_TI_RUNQ:
		return "runnable";
	case LWKT_TI_SLEEP:
		return "sleeping";
	case LWKT_TI_BLOCKED:
		return "blocked";
	default:
		return "idle";
	}
}

static void
cmd_threads(int argc, char **argv)
{
	int cpu, i;

	(void)argc;
	(void)argv;
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct kcons_snap *ks = &kcons_snap[cpu];

		if (!snap_cpu(cpu)) {
			kprintf("cpu %d: did not answer within %d ms\n", cpu,
			        KCONS_WAIT_MS);
			continue;
		}
		kprintf("cpu %d: %d thread%s\n", cpu, ks->ks_n,
		        ks->ks_n == 1 ? "" : "s");
		for (i = 0; i < ks->ks_n && i < KCONS_NTHR; i++) {
			const struct lwkt_thread_info *ti = &ks->ks_td[i];

			kprintf("  %-24.24s pri %2d  %-8s flags 0x%04x%s%s\n",
			        ti->ti_name, ti->ti_pri, ti_state(ti),
			        ti->ti_flags,
			        ti->ti_state == LWKT_TI_SLEEP && ti->ti_wmesg
			            ? "  wmesg "
			            : "",
			        ti->ti_state == LWKT_TI_SLEEP && ti->ti_wmesg
			            ? ti->ti_wmesg
			            : "");
		}
		if (ks->ks_n > KCONS_NTHR)
			kprintf("  ... %d more\n", ks->ks_n - KCONS_NTHR);
	}
}

static void
cmd_counters(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_counters();
}

static void
cmd_pmap(int argc, char **argv)
{
	struct pmap_walk w;
	uint64_t va, top;

	(void)argc;
	if (!parse_hex(argv[1], &va)) {
		kprintf("pmap: '%s' is not a hex address\n", argv[1]);
		usage(find_cmd("pmap"));
		return;
	}
	/* Bits 63..47 must all be equal, or the CPU would fault. */
	top = va >> 47;
	if (top != 0 && top != 0x1ffff) {
		kprintf("pmap: %#lx is not a canonical address\n", va);
		return;
	}
	kprintf("kernel page tables, CR3 %#lx\n", cpu_read_cr3());
	pmap_kwalk(cpu_read_cr3(), va, &w);
	pmap_print_walk(va, &w);
}

static void
cmd_ipiq(int argc, char **argv)
{
	int src, dst, n = 0;

	(void)argc;
	(void)argv;
	kprintf("  %7s %10s %10s %10s %7s %10s %6s\n", "src>dst", "windex",
	        "rindex", "xindex", "pending", "queued", "full");
	for (dst = 0; dst < ncpus; dst++) {
		struct lwkt_ipiq **qs = globaldata_find(dst)->gd_ipiq;

		if (qs == NULL)
			continue;
		for (src = 0; src < ncpus; src++) {
			struct lwkt_ipiq *q = src == dst ? NULL : qs[src];
			uint32_t w, r, x;
			char pair[16];

			if (q == NULL)
				continue;
			w = __atomic_load_n(&q->ip_windex, __ATOMIC_RELAXED);
			r = __atomic_load_n(&q->ip_rindex, __ATOMIC_RELAXED);
			x = __atomic_load_n(&q->ip_xindex, __ATOMIC_RELAXED);
			if (w == 0 && q->ip_nput == 0)
				continue; /* no traffic ever */
			ksnprintf(pair, sizeof(pair), "%d>%d", src, dst);
			kprintf("  %7s %10u %10u %10u %7u %10lu %6lu\n", pair,
			        w, r, x, w - r, q->ip_nput, q->ip_nfull);
			n++;
		}
	}
	kprintf("%d CPU pair%s with traffic\n", n, n == 1 ? "" : "s");
}

static void
cmd_stress(int argc, char **argv)
{
	uint64_t secs;
	int rc;

	(void)argc;
	if (!parse_dec(argv[2], 1, 3600, &secs)) {
		kprintf("stress: SECONDS must be 1..3600\n");
		usage(find_cmd("stress"));
		return;
	}
	rc = pmap_stress_run(argv[1], (int)secs);
	kprintf("stress: %s %lu s: %s (%d)\n", argv[1], secs,
	        rc == 0 ? "passed" : "FAILED", rc);
}

static void
cmd_bench(int argc, char **argv)
{
	const struct bench *b, *start = __start_set_bench,
	                       *stop = __stop_set_bench;
	int rc;

	if (argc == 1) {
		if (start == stop) {
			kprintf("bench: no benchmarks in this kernel\n");
			return;
		}
		kprintf("benchmarks:\n");
		for (b = start; b < stop; b++)
			kprintf("  %-20s %s\n", b->b_name,
			        b->b_desc ? b->b_desc : "");
		return;
	}
	rc = bench_run_named(argv[1]);
	kprintf("bench: %s: %s (%d)\n", argv[1], rc == 0 ? "done" : "FAILED",
	        rc);
}

static void
cmd_break(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	/* Asked for by hand: no bochs.break= needed. */
	kprintf("debug: magic breakpoint 'console' (stops only under "
	        "Bochs)\n");
	cpu_magic_break("console");
}

static void
cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("console: powering off (%s)\n",
	        kcons_failed == 0 ? "success" : "the workload failed");
	cpu_poweroff(kcons_failed == 0 ? EXIT_PASS : EXIT_FAIL);
}

static const struct kcons_cmd kcons_cmds[] = {
    {"help", "", "this list", 0, 0, cmd_help},
    {"cpus", "", "every CPU: APIC ID, online, thread, counters", 0, 0,
     cmd_cpus},
    {"threads", "", "per CPU: name, priority, state", 0, 0, cmd_threads},
    {"counters", "", "the per-CPU counter tables", 0, 0, cmd_counters},
    {"pmap", "VA", "kernel page-table walk of VA (hex)", 1, 1, cmd_pmap},
    {"ipiq", "", "IPI FIFO indexes of every CPU pair with traffic", 0, 0,
     cmd_ipiq},
    {"stress", "NAME SECONDS", "run a pmap stress scenario", 2, 2, cmd_stress},
    {"bench", "[NAME]", "list benchmarks, or run one", 0, 1, cmd_bench},
    {"break", "", "Bochs magic breakpoint", 0, 0, cmd_break},
    {"poweroff", "", "end the run (the workload's result)", 0, 0, cmd_poweroff},
    {NULL, NULL, NULL, 0, 0, NULL},
};

/* Next input byte: poll a little, then sleep a tick at a time. */
static int
kcons_getc(void)
{
	uint64_t spin_until = nanouptime() + KCONS_SPIN_NS;
	int c;

	while ((c = cons_getc()) < 0) {
		if (nanouptime() < spin_until)
			cpu_pause_hint();
		else
			tsleep(&kcons_wait, 0, "console", 1);
	}
	return c;
}

/*
 * Read one line with echo.  Backspace/DEL erase, ^U erases the line, ^C
 * abandons it, CR, LF and CR LF end it; other control bytes, bytes above
 * 0x7e and ANSI escape sequences (arrow keys) are dropped.  Returns the
 * length, or -1 if the line was too long (the excess was not kept).
 */
static int
kcons_readline(char *buf, size_t len)
{
	static bool last_cr; /* a CR ended the last line: skip its LF */
	size_t n = 0;
	bool overflow = false;
	int esc = 0; /* 0 none, 1 after ESC, 2 inside ESC [ ... */

	for (;;) {
		int c = kcons_getc();

		if (c == '\n' && last_cr) {
			last_cr = false;
			continue;
		}
		last_cr = c == '\r';
		if (esc == 1) {
			esc = c == '[' ? 2 : 0;
			continue;
		}
		if (esc == 2) {
			if (c >= 0x40 && c <= 0x7e)
				esc = 0;
			continue;
		}
		switch (c) {
		case '\r':
		case '\n':
			kprintf("\n");
			buf[n] = '\0';
			return overflow ? -1 : (int)n;
		case 0x1b: /* ESC */
			esc = 1;
			continue;
		case 0x08: /* backspace */
		case 0x7f: /* DEL */
			if (n > 0 && !overflow) {
				n--;
				kprintf("\b \b");
			}
			continue;
		case 0x15: /* ^U */
			for (; n > 0; n--)
				kprintf("\b \b");
			overflow = false;
			continue;
		case 0x03: /* ^C */
			kprintf("^C\n");
			buf[0] = '\0';
			return 0;
		case '\t':
			c = ' ';
			break;
		default:
			break;
		}
		if (c < 0x20 || c > 0x7e)
			continue;
		if (n >= len - 1) {
			overflow = true;
			continue;
		}
		buf[n++] = (char)c;
		kprintf("%c", c);
	}
}

/* Split line into words in place; returns the count, -1 if too many. */
static int
split(char *line, char **argv)
{
	int argc = 0;

	for (;;) {
		while (*line == ' ')
			*line++ = '\0';
		if (*line == '\0')
			return argc;
		if (argc == KCONS_MAXARGS)
			return -1;
		argv[argc++] = line;
		while (*line != '\0' && *line != ' ')
			line++;
	}
}

static void
kcons_run_line(char *line)
{
	char *argv[KCONS_MAXARGS];
	const struct kcons_cmd *c;
	int argc = split(line, argv);

	if (argc == 0)
		return;
	if (argc < 0) {
		kprintf("too many words (at most %d); try help\n",
		        KCONS_MAXARGS);
		return;
	}
	c = find_cmd(argv[0]);
	if (c == NULL) {
		kprintf("unknown command '%.32s'; usage: COMMAND [ARGS], "
		        "commands are:",
		        argv[0]);
		for (c = kcons_cmds; c->kc_name != NULL; c++)
			kprintf(" %s", c->kc_name);
		kprintf(" (help explains them)\n");
		return;
	}
	if (argc - 1 < c->kc_minargs || argc - 1 > c->kc_maxargs) {
		usage(c);
		return;
	}
	c->kc_fn(argc, argv);
}

int
kconsole_main(int failed)
{
	const char *mode = console_mode;
	char line[KCONS_LINE];
	int n;

	if (mode == NULL)
		return 0;
	if (strcmp(mode, "interactive") != 0) {
		kprintf("console: warning: console=%s: the only mode is "
		        "interactive\n",
		        mode);
		return 0;
	}
	kcons_failed = failed;
	kprintf("console: interactive debug console on the serial port "
	        "(%d CPUs); 'help' lists commands, 'poweroff' ends the run\n",
	        ncpus);
	for (;;) {
		kprintf("db> ");
		n = kcons_readline(line, sizeof(line));
		if (n < 0) {
			kprintf("line too long (at most %d characters)\n",
			        KCONS_LINE - 1);
			continue;
		}
		kcons_run_line(line);
	}
}
