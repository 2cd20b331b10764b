/*
 * Out-of-line CPU set helpers: the range formatter used by boot messages
 * and debugging output.
 *
 * The formatter writes its own decimal digits rather than calling
 * ksnprintf() so that it depends on nothing but the mask, and so that it
 * can be used from contexts (panic, early boot) where the console layer
 * may not be usable.  It operates on a caller-owned mask: to print a mask
 * other CPUs modify, snapshot it first with cpumask_copy_atomic().
 */
#include <sys/cpumask.h>

/* Output cursor that counts every character but stores only what fits. */
struct cm_out {
	char *buf;  /* destination */
	size_t sz;  /* size of buf including room for the NUL */
	size_t len; /* characters produced so far, stored or not */
};

static void
cm_putc(struct cm_out *o, char c)
{
	if (o->sz != 0 && o->len < o->sz - 1)
		o->buf[o->len] = c;
	o->len++;
}

static void
cm_putnum(struct cm_out *o, int n)
{
	char tmp[12]; /* enough for any non-negative int */
	int i = 0;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	while (i > 0)
		cm_putc(o, tmp[--i]);
}

int
cpumask_snprintf(char *buf, size_t sz, const cpumask_t *m)
{
	struct cm_out o = {.buf = buf, .sz = sz, .len = 0};
	int cpu, last;

	cpu = cpumask_first(m);
	while (cpu >= 0) {
		/* Extend [cpu, last] while the following CPUs are set. */
		last = cpu;
		while (last + 1 < MAXCPU && cpumask_test(m, last + 1))
			last++;
		if (o.len != 0)
			cm_putc(&o, ',');
		cm_putnum(&o, cpu);
		if (last != cpu) {
			cm_putc(&o, '-');
			cm_putnum(&o, last);
		}
		cpu = cpumask_next(m, last);
	}
	if (sz != 0)
		buf[o.len < sz ? o.len : sz - 1] = '\0';
	return (int)o.len;
}
