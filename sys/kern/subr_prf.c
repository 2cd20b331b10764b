/*
 * Kernel printf: kvcprintf() is the one formatter; ksnprintf() and
 * kprintf() are thin sinks around it.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %% with the length modifiers
 * hh h l ll q z j t, the flags '-' '0' '#' '+' ' ', and field width and
 * precision given as digits or '*'.  The integer conversions follow C99
 * exactly (the host test compares them against the host libc), so code
 * written against the usual printf rules behaves the same here.  There is
 * no floating point (the kernel is built with -mgeneral-regs-only) and no
 * %n (a format string must never be able to write memory).  Anything the
 * formatter does not understand is copied to the output verbatim rather
 * than guessed at, so a bad format is visible instead of fatal.
 *
 * kprintf() formats into a 512-byte buffer on the stack and hands it to
 * cons_puts() in whole chunks: the console lock is taken only inside
 * cons_puts(), never while formatting, so a line from one CPU is never
 * split by another CPU's output unless the line is longer than a chunk.
 *
 * This file has no state and takes no locks, so it is safe on any CPU in
 * any context; it also builds unchanged on the host (KERNEL_HOST).
 */
#include <sys/systm.h>
#include <sys/cons.h>

#define PRF_BUFSIZE 512 /* kprintf() chunk size */
#define PRF_MAXFIELD                                                           \
	1000000        /* clamp for widths/precisions: keeps int math sane */
#define PRF_NDIGITS 24 /* enough for a 64-bit value in octal (22) */

/* Length modifier of one conversion. */
enum prf_len {
	PRF_LEN_NONE, /* int */
	PRF_LEN_HH,   /* char */
	PRF_LEN_H,    /* short */
	PRF_LEN_L,    /* long */
	PRF_LEN_LL,   /* long long (also BSD 'q') */
	PRF_LEN_Z,    /* size_t */
	PRF_LEN_J,    /* intmax_t */
	PRF_LEN_T,    /* ptrdiff_t */
};

/* Everything parsed from one %-directive except the conversion itself. */
struct prf_spec {
	int width;        /* minimum field width; 0 if none */
	int prec;         /* precision; -1 if none given */
	bool left;        /* '-': pad on the right instead of the left */
	bool zero;        /* '0': pad numbers with zeros instead of spaces */
	bool alt;         /* '#': 0x prefix for hex, leading 0 for octal */
	char plus;        /* '+' or ' ' for positive signed numbers, or 0 */
	enum prf_len len; /* length modifier */
};

/* The output sink plus the running character count. */
struct prf_out {
	void (*out)(int c, void *arg); /* caller's per-character callback */
	void *arg;                     /* its argument */
	size_t count;                  /* characters emitted so far */
};

static void
prf_putc(struct prf_out *o, int c)
{
	o->out(c, o->arg);
	o->count++;
}

static void
prf_pad(struct prf_out *o, int c, int n)
{
	while (n-- > 0)
		prf_putc(o, c);
}

/*
 * Emit one integer.  'neg' and 'mag' are the sign and magnitude (the
 * magnitude is unsigned so INTMAX_MIN needs no special case).  'prefix' is
 * an explicit prefix such as "0x" for %p; otherwise the prefix comes from
 * the flags.  The layout is [spaces][sign/prefix][zeros][digits][spaces],
 * with zeros from the precision or, if none was given, from the '0' flag.
 */
static void
prf_number(struct prf_out *o, const struct prf_spec *sp, uintmax_t mag,
           bool neg, bool is_signed, unsigned base, bool upper,
           const char *prefix)
{
	const char *xdig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[PRF_NDIGITS];
	char pfx[3];
	int nd = 0, npfx = 0, prec = sp->prec, zeros = 0, pad;
	bool nonzero = (mag != 0);

	/* C99: a zero value with precision 0 prints no digits at all. */
	if (nonzero || prec != 0) {
		do {
			digits[nd++] = xdig[mag % base];
			mag /= base;
		} while (mag != 0);
	}

	if (is_signed && neg)
		pfx[npfx++] = '-';
	else if (is_signed && sp->plus != 0)
		pfx[npfx++] = sp->plus;
	if (prefix != NULL) {
		while (*prefix != '\0' && npfx < (int)sizeof(pfx))
			pfx[npfx++] = *prefix++;
	} else if (sp->alt && base == 16 && nonzero) {
		/* "%#x" of zero is plain "0": the prefix needs a nonzero value. */
		pfx[npfx++] = '0';
		pfx[npfx++] = upper ? 'X' : 'x';
	} else if (sp->alt && base == 8 && (nd == 0 || digits[nd - 1] != '0')) {
		/* '#' for octal raises the precision just enough for a 0. */
		if (prec <= nd)
			prec = nd + 1;
	}

	if (prec > nd)
		zeros = prec - nd;
	/* The '0' flag only counts when no precision was given. */
	if (sp->prec < 0 && sp->zero && !sp->left &&
	    sp->width > npfx + nd + zeros)
		zeros = sp->width - npfx - nd;
	pad = sp->width - (npfx + zeros + nd);

	if (!sp->left)
		prf_pad(o, ' ', pad);
	for (int i = 0; i < npfx; i++)
		prf_putc(o, pfx[i]);
	prf_pad(o, '0', zeros);
	while (nd > 0)
		prf_putc(o, digits[--nd]);
	if (sp->left)
		prf_pad(o, ' ', pad);
}

/* Emit a string of at most 'prec' characters (all if prec < 0), padded. */
static void
prf_string(struct prf_out *o, const struct prf_spec *sp, const char *s)
{
	int n = 0;

	if (s == NULL)
		s = "(null)";
	/* Never read past the precision: the string need not be terminated. */
	while ((sp->prec < 0 || n < sp->prec) && s[n] != '\0')
		n++;
	if (!sp->left)
		prf_pad(o, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		prf_putc(o, (unsigned char)s[i]);
	if (sp->left)
		prf_pad(o, ' ', sp->width - n);
}

/* Parse a decimal field, saturating so huge widths cannot overflow. */
static int
prf_atoi(const char **fmtp)
{
	const char *p = *fmtp;
	int v = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		if (v > PRF_MAXFIELD)
			v = PRF_MAXFIELD;
		p++;
	}
	*fmtp = p;
	return v;
}

/*
 * All va_arg() calls stay in this function: ap is a parameter, and C only
 * lets the function that owns a va_list (or one given a pointer to it)
 * advance it.
 */
int
kvcprintf(const char *fmt, void (*out)(int c, void *arg), void *arg, va_list ap)
{
	struct prf_out o = {.out = out, .arg = arg, .count = 0};
	struct prf_spec sp;
	const char *start;
	uintmax_t u;
	intmax_t s;
	char ch;

	if (fmt == NULL)
		fmt = "(null fmt)";
	while (*fmt != '\0') {
		if (*fmt != '%') {
			prf_putc(&o, (unsigned char)*fmt++);
			continue;
		}
		start = fmt++;
		sp = (struct prf_spec){.prec = -1, .len = PRF_LEN_NONE};

		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else if (*fmt == '#')
				sp.alt = true;
			else if (*fmt == '+')
				sp.plus = '+';
			else if (*fmt == ' ') {
				if (sp.plus == 0) /* '+' wins over ' ' */
					sp.plus = ' ';
			} else
				break;
		}

		if (*fmt == '*') {
			int w = va_arg(ap, int);

			fmt++;
			/* A negative '*' width means '-' plus its magnitude. */
			if (w < 0) {
				sp.left = true;
				w = (w < -PRF_MAXFIELD) ? PRF_MAXFIELD : -w;
			}
			sp.width = (w > PRF_MAXFIELD) ? PRF_MAXFIELD : w;
		} else
			sp.width = prf_atoi(&fmt);

		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				int p = va_arg(ap, int);

				fmt++;
				/* A negative '*' precision counts as absent. */
				sp.prec = (p < 0)              ? -1
				          : (p > PRF_MAXFIELD) ? PRF_MAXFIELD
				                               : p;
			} else
				sp.prec = prf_atoi(&fmt);
		}

		switch (*fmt) {
		case 'h':
			fmt++;
			sp.len = PRF_LEN_H;
			if (*fmt == 'h') {
				fmt++;
				sp.len = PRF_LEN_HH;
			}
			break;
		case 'l':
			fmt++;
			sp.len = PRF_LEN_L;
			if (*fmt == 'l') {
				fmt++;
				sp.len = PRF_LEN_LL;
			}
			break;
		case 'q':
			fmt++;
			sp.len = PRF_LEN_LL;
			break;
		case 'z':
			fmt++;
			sp.len = PRF_LEN_Z;
			break;
		case 'j':
			fmt++;
			sp.len = PRF_LEN_J;
			break;
		case 't':
			fmt++;
			sp.len = PRF_LEN_T;
			break;
		}

		ch = *fmt;
		switch (ch) {
		case 'd':
		case 'i':
			switch (sp.len) {
			case PRF_LEN_HH:
				s = (signed char)va_arg(ap, int);
				break;
			case PRF_LEN_H:
				s = (short)va_arg(ap, int);
				break;
			case PRF_LEN_L:
				s = va_arg(ap, long);
				break;
			case PRF_LEN_LL:
				s = va_arg(ap, long long);
				break;
			case PRF_LEN_Z:
				/* The signed type of size_t's width. */
				s = (ptrdiff_t)va_arg(ap, size_t);
				break;
			case PRF_LEN_J:
				s = va_arg(ap, intmax_t);
				break;
			case PRF_LEN_T:
				s = va_arg(ap, ptrdiff_t);
				break;
			default:
				s = va_arg(ap, int);
				break;
			}
			u = (s < 0) ? -(uintmax_t)s : (uintmax_t)s;
			prf_number(&o, &sp, u, s < 0, true, 10, false, NULL);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			switch (sp.len) {
			case PRF_LEN_HH:
				u = (unsigned char)va_arg(ap, unsigned int);
				break;
			case PRF_LEN_H:
				u = (unsigned short)va_arg(ap, unsigned int);
				break;
			case PRF_LEN_L:
				u = va_arg(ap, unsigned long);
				break;
			case PRF_LEN_LL:
				u = va_arg(ap, unsigned long long);
				break;
			case PRF_LEN_Z:
				u = va_arg(ap, size_t);
				break;
			case PRF_LEN_J:
				u = va_arg(ap, uintmax_t);
				break;
			case PRF_LEN_T:
				/* The unsigned type of ptrdiff_t's width. */
				u = (size_t)va_arg(ap, ptrdiff_t);
				break;
			default:
				u = va_arg(ap, unsigned int);
				break;
			}
			prf_number(&o, &sp, u, false, false,
			           ch == 'u'   ? 10
			           : ch == 'o' ? 8
			                       : 16,
			           ch == 'X', NULL);
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			prf_number(&o, &sp, u, false, false, 16, false, "0x");
			break;
		case 's':
			prf_string(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			/* Padded like a one-character string; '0' is ignored. */
			char c[2] = {(char)va_arg(ap, int), '\0'};
			struct prf_spec csp = sp;

			csp.prec = 1;
			if (c[0] == '\0') {
				/* prf_string() would stop at the NUL; emit it. */
				if (!sp.left)
					prf_pad(&o, ' ', sp.width - 1);
				prf_putc(&o, 0);
				if (sp.left)
					prf_pad(&o, ' ', sp.width - 1);
			} else
				prf_string(&o, &csp, c);
			break;
		}
		case '%':
			prf_putc(&o, '%');
			break;
		default:
			/*
			 * Unknown conversion (or the format ended inside the
			 * directive): copy the directive verbatim.  Arguments
			 * already taken for '*' stay consumed.
			 */
			while (start < fmt)
				prf_putc(&o, (unsigned char)*start++);
			if (ch == '\0')
				continue;
			prf_putc(&o, (unsigned char)ch);
			break;
		}
		fmt++;
	}
	return (o.count > 0x7fffffff) ? 0x7fffffff : (int)o.count;
}

/* ksnprintf() sink: keep what fits, count everything. */
struct prf_snarg {
	char *buf;   /* destination */
	size_t size; /* its size including the NUL */
	size_t pos;  /* characters produced so far */
};

static void
prf_snputc(int c, void *arg)
{
	struct prf_snarg *sa = arg;

	/* Leave room for the terminating NUL. */
	if (sa->pos + 1 < sa->size)
		sa->buf[sa->pos] = (char)c;
	sa->pos++;
}

int
kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct prf_snarg sa = {.buf = buf, .size = size, .pos = 0};
	int n;

	n = kvcprintf(fmt, prf_snputc, &sa, ap);
	if (size > 0)
		buf[sa.pos < size ? sa.pos : size - 1] = '\0';
	return n;
}

int
ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* kprintf() sink: a stack buffer flushed to the console when full. */
struct prf_consarg {
	size_t len;            /* bytes buffered */
	char buf[PRF_BUFSIZE]; /* pending output */
};

static void
prf_consputc(int c, void *arg)
{
	struct prf_consarg *ca = arg;

	ca->buf[ca->len++] = (char)c;
	if (ca->len == sizeof(ca->buf)) {
		cons_puts(ca->buf, ca->len);
		ca->len = 0;
	}
}

int
kvprintf(const char *fmt, va_list ap)
{
	struct prf_consarg ca;
	int n;

	/* Only len needs initialising; don't pay to clear 512 bytes. */
	ca.len = 0;
	n = kvcprintf(fmt, prf_consputc, &ca, ap);
	if (ca.len > 0)
		cons_puts(ca.buf, ca.len);
	return n;
}

int
kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}
