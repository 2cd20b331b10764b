/*
 * Boot command-line options: parse "key=value key ..." once at boot and
 * answer typed queries afterwards.
 *
 * bootopt_init() copies the command line (at most BOOTOPT_MAXLEN bytes, cut
 * at a token boundary so no option is half-kept) into a static buffer and
 * splits it in place: each kept token becomes one table entry whose key and
 * value point into that buffer.  A repeated key overwrites the earlier
 * entry, so every key appears at most once and the getters are a plain
 * lookup.  Nothing here allocates, and every input byte string is handled
 * (the host test fuzzes it): bad tokens are reported and skipped, never
 * trusted.  User-supplied text is echoed through bootopt_quote(), which
 * replaces control characters and caps the length, so a garbage command
 * line cannot garble the console.
 *
 * Concurrency: bootopt_init() runs once on the boot CPU before any other
 * CPU starts, and the table is never written again (until the next
 * bootopt_init(), which only the host tests do), so readers on any CPU
 * need no lock.  The error/warning counters are only a diagnostic.
 */
#include <sys/bootopt.h>
#include <sys/systm.h>

/*
 * Options are declared (BOOTOPT_STR/BOOL/INT/U64) in the file that reads
 * them, so the list of known options is always exactly what the kernel
 * uses, and bootopt_apply() is the only place that converts a value.
 */

/* Bounds of the linker set; GNU ld defines these for "set_bootopt". */
extern const struct bootopt_decl __start_set_bootopt[];
extern const struct bootopt_decl __stop_set_bootopt[];

#define BOOTOPT_QUOTELEN 48 /* longest user string echoed in a message */

/* One parsed option. */
struct bootopt_ent {
	const char *key; /* NUL-terminated, inside bootopt_buf */
	const char *val; /* inside bootopt_buf, or "1" for a bare key */
};

static char bootopt_buf[BOOTOPT_MAXLEN + 1];               /* split copy */
static struct bootopt_ent bootopt_ents[BOOTOPT_MAXTOKENS]; /* option table */
static int bootopt_nents;    /* entries used in bootopt_ents */
static int bootopt_errors;   /* errors printed since bootopt_init() */
static int bootopt_warnings; /* warnings printed since bootopt_init() */

/*
 * Copy s into out for printing: control and non-ASCII bytes become '?'
 * and anything beyond BOOTOPT_QUOTELEN is elided with "...".  out must
 * hold BOOTOPT_QUOTELEN + 4 bytes.
 */
static const char *
bootopt_quote(const char *s, char *out)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < BOOTOPT_QUOTELEN; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (s[i] != '\0') {
		out[i++] = '.';
		out[i++] = '.';
		out[i++] = '.';
	}
	out[i] = '\0';
	return out;
}

/*
 * Print one diagnostic line.  It is formatted completely first so that a
 * single kprintf() -- hence a single console write -- carries it.
 */
static void bootopt_msg(bool error, const char *fmt, ...) __printflike(2, 3);

static void
bootopt_msg(bool error, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (error)
		bootopt_errors++;
	else
		bootopt_warnings++;
	kprintf("bootopt: %s: %s\n", error ? "error" : "warning", line);
}

static bool
bootopt_is_sep(char c)
{
	return c == ' ' || c == '\t';
}

static bool
bootopt_is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-';
}

static struct bootopt_ent *
bootopt_lookup(const char *key)
{
	if (key == NULL)
		return NULL;
	for (int i = 0; i < bootopt_nents; i++) {
		if (strcmp(bootopt_ents[i].key, key) == 0)
			return &bootopt_ents[i];
	}
	return NULL;
}

/* Validate one token and enter it into the table (tok is modified). */
static void
bootopt_add(char *tok)
{
	char q[BOOTOPT_QUOTELEN + 4], q2[BOOTOPT_QUOTELEN + 4];
	struct bootopt_ent *e;
	char *eq = strchr(tok, '=');
	size_t klen = (eq != NULL) ? (size_t)(eq - tok) : strlen(tok);
	const char *val = "1";

	if (klen == 0) {
		bootopt_msg(false, "empty option name in '%s' (ignored)",
		            bootopt_quote(tok, q));
		return;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!bootopt_is_keychar(tok[i])) {
			bootopt_msg(
			    false,
			    "bad character in option name of '%s'; names use "
			    "[a-z0-9._-] (ignored)",
			    bootopt_quote(tok, q));
			return;
		}
	}
	if (eq != NULL) {
		*eq = '\0';
		val = eq + 1;
	}

	e = bootopt_lookup(tok);
	if (e != NULL) {
		/* Last one wins, like most command-line parsers. */
		bootopt_msg(
		    false,
		    "option '%s' given more than once; using the last value "
		    "'%s'",
		    bootopt_quote(tok, q), bootopt_quote(val, q2));
		e->val = val;
		return;
	}
	/* Cannot overflow: at most BOOTOPT_MAXTOKENS tokens get here. */
	e = &bootopt_ents[bootopt_nents++];
	e->key = tok;
	e->val = val;
}

static void bootopt_apply(void);

void
bootopt_init(const char *cmdline)
{
	char q[BOOTOPT_QUOTELEN + 4];
	size_t len, cut;
	bool first = true;
	int ntok = 0;
	char *p, *tok;

	bootopt_nents = 0;
	bootopt_errors = 0;
	bootopt_warnings = 0;
	if (cmdline == NULL)
		cmdline = "";

	len = strnlen(cmdline, BOOTOPT_MAXLEN + 1);
	if (len > BOOTOPT_MAXLEN) {
		/*
		 * Keep only whole tokens: back up to the separator at or
		 * before the limit.  cmdline[BOOTOPT_MAXLEN] exists because
		 * len went past it.
		 */
		cut = BOOTOPT_MAXLEN;
		while (cut > 0 && !bootopt_is_sep(cmdline[cut]))
			cut--;
		bootopt_msg(
		    false,
		    "command line longer than %d bytes; ignoring everything "
		    "from byte %zu on",
		    BOOTOPT_MAXLEN, cut);
		len = cut;
	}
	memcpy(bootopt_buf, cmdline, len);
	bootopt_buf[len] = '\0';

	p = bootopt_buf;
	for (;;) {
		while (bootopt_is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && !bootopt_is_sep(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';

		/* Some loaders pass the kernel's own path first; skip it. */
		if (first && tok[0] == '/') {
			first = false;
			continue;
		}
		first = false;
		if (ntok++ >= BOOTOPT_MAXTOKENS) {
			bootopt_msg(false,
			            "more than %d options; ignoring '%s'",
			            BOOTOPT_MAXTOKENS, bootopt_quote(tok, q));
			continue;
		}
		bootopt_add(tok);
	}
	bootopt_apply();
}

static bool
bootopt_declared(const char *key)
{
	for (const struct bootopt_decl *d = __start_set_bootopt;
	     d < __stop_set_bootopt; d++) {
		if (d->key != NULL && strcmp(d->key, key) == 0)
			return true;
	}
	return false;
}

void
bootopt_check_unknown(void)
{
	char q[BOOTOPT_QUOTELEN + 4];

	for (int i = 0; i < bootopt_nents; i++) {
		if (!bootopt_declared(bootopt_ents[i].key))
			bootopt_msg(false, "unknown option '%s' (ignored)",
			            bootopt_quote(bootopt_ents[i].key, q));
	}
}

void
bootopt_print_known(void)
{
	for (const struct bootopt_decl *d = __start_set_bootopt;
	     d < __stop_set_bootopt; d++) {
		switch (d->kind) {
		case BOOTOPT_K_BOOL:
			kprintf("  %-20s %s [bool, default %s]\n", d->key,
			        d->help, d->def ? "on" : "off");
			break;
		case BOOTOPT_K_INT:
		case BOOTOPT_K_U64:
			kprintf("  %-20s %s [%llu..%llu, default %llu]\n",
			        d->key, d->help, (unsigned long long)d->min,
			        (unsigned long long)d->max,
			        (unsigned long long)d->def);
			break;
		default:
			kprintf("  %-20s %s\n", d->key, d->help);
			break;
		}
	}
}

const char *
bootopt_get(const char *key)
{
	struct bootopt_ent *e = bootopt_lookup(key);

	return (e != NULL) ? e->val : NULL;
}

/* ASCII case-insensitive equality, for yes/YES/Yes. */
static bool
bootopt_eq_nocase(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = *a, cb = *b;

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/*
 * Parse v as option 'key' of kind 'kind': the value, or 'def' with an
 * error message naming the key, the bad value and what is accepted.
 */
uint64_t
bootopt_parse_value(const char *key, const char *v, int kind, uint64_t def,
                    uint64_t min, uint64_t max)
{
	static const char *const yes[] = {"1", "yes", "on", "true"};
	static const char *const no[] = {"0", "no", "off", "false"};
	char q[BOOTOPT_QUOTELEN + 4], q2[BOOTOPT_QUOTELEN + 4];
	uint64_t n = 0; /* quiets -Os maybe-uninitialized */

	if (v == NULL)
		return def;
	if (kind == BOOTOPT_K_BOOL) {
		for (size_t i = 0; i < nitems(yes); i++) {
			if (bootopt_eq_nocase(v, yes[i]))
				return 1;
			if (bootopt_eq_nocase(v, no[i]))
				return 0;
		}
		bootopt_msg(true,
		            "option '%s': value '%s' is not a boolean "
		            "(1/0/yes/no/on/off/true/false); using %s",
		            bootopt_quote(key, q), bootopt_quote(v, q2),
		            def ? "true" : "false");
		return def;
	}
	if (kstrtou64(v, 0, &n) && n >= min && n <= max)
		return n;
	bootopt_msg(true,
	            "option '%s': value '%s' is not a number in [%llu, %llu]; "
	            "using %llu",
	            bootopt_quote(key, q), bootopt_quote(v, q2),
	            (unsigned long long)min, (unsigned long long)max,
	            (unsigned long long)def);
	return def;
}

/*
 * Store every declared option's value, or its default, into its
 * variable.  Runs at the end of every bootopt_init(), so a second init
 * (host tests) resets options the new command line leaves out.
 */
static void
bootopt_apply(void)
{
	for (const struct bootopt_decl *d = __start_set_bootopt;
	     d < __stop_set_bootopt; d++) {
		const char *v = bootopt_get(d->key);

		switch (d->kind) {
		case BOOTOPT_K_STR:
			*(const char **)d->var = v;
			break;
		case BOOTOPT_K_BOOL:
			*(bool *)d->var =
			    bootopt_parse_value(d->key, v, d->kind, d->def, 0,
			                        1) != 0;
			break;
		case BOOTOPT_K_INT:
			/* The declaration asserts max fits an int. */
			*(int *)d->var = (int)bootopt_parse_value(
			    d->key, v, d->kind, d->def, d->min, d->max);
			break;
		case BOOTOPT_K_U64:
			*(uint64_t *)d->var = bootopt_parse_value(
			    d->key, v, d->kind, d->def, d->min, d->max);
			break;
		default:
			bootopt_msg(true,
			            "option '%s': bad declaration kind %d",
			            d->key, d->kind);
			break;
		}
	}
}

/*
 * Find item number idx of a comma list, skipping empty items.  Returns
 * the item's start and sets *lenp, or NULL if there are fewer items.
 */
static const char *
bootopt_list_item(const char *v, int idx, size_t *lenp)
{
	const char *p = v, *start;
	int n = 0;

	if (v == NULL || idx < 0)
		return NULL;
	for (;;) {
		while (*p == ',')
			p++;
		if (*p == '\0')
			return NULL;
		start = p;
		while (*p != '\0' && *p != ',')
			p++;
		if (n++ == idx) {
			*lenp = (size_t)(p - start);
			return start;
		}
	}
}

bool
optlist_has(const char *list, const char *item)
{
	const char *it;
	size_t len, ilen;

	if (list == NULL || item == NULL)
		return false;
	ilen = strlen(item);
	for (int i = 0; (it = bootopt_list_item(list, i, &len)) != NULL; i++) {
		if (len == ilen && memcmp(it, item, len) == 0)
			return true;
	}
	return false;
}

int
optlist_item(const char *list, int idx, char *buf, size_t bufsz)
{
	const char *it;
	size_t len, n;

	it = bootopt_list_item(list, idx, &len);
	if (it == NULL)
		return -1;
	if (buf != NULL && bufsz > 0) {
		n = (len < bufsz - 1) ? len : bufsz - 1;
		memcpy(buf, it, n);
		buf[n] = '\0';
	}
	/* len <= BOOTOPT_MAXLEN, so it fits an int. */
	return (int)len;
}

int
bootopt_nerrors(void)
{
	return bootopt_errors;
}

int
bootopt_nwarnings(void)
{
	return bootopt_warnings;
}
