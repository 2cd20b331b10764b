/*
 * Kernel boot command-line options (sys/kern/kern_bootopt.c).
 *
 * The command line is a list of space/tab separated tokens, each either
 * "key=value" or a bare "key" (which means "key=1"), for example
 *
 *	test=vm,smp test.seed=42 smp.max=4 stress.seconds=10
 *
 * Every option the kernel understands is declared once, next to the code
 * that reads it, by one line that binds the key, the C variable, the
 * default, the accepted range and the help text (in the spirit of the
 * BSDs' TUNABLE_INT):
 *
 *	static BOOTOPT_INT(smp_max, "smp.max", MAXCPU, 1, MAXCPU,
 *	                   "use at most N CPUs");
 *
 * defines `static int smp_max = MAXCPU;` and registers it.  bootopt_init()
 * parses the command line and then stores every declared option's value
 * (or its default) into its variable, reporting a bad value with the
 * accepted range; code then just reads the variable.  The declarations
 * are collected in the linker set "set_bootopt", so
 * bootopt_check_unknown() can warn about typos and bootopt_print_known()
 * can list every option without a central table.  Parsing happens once,
 * early on the boot CPU, before other CPUs start; afterwards the
 * variables and the option table are read-only, so no reader locks.
 *
 * Keys are made of [a-z0-9._-].  A malformed token, a repeated key or an
 * over-long command line produces a message through kprintf() (prefixed
 * "bootopt: warning:" or "bootopt: error:") and never stops the boot.
 */
#ifndef _SYS_BOOTOPT_H_
#define _SYS_BOOTOPT_H_

#include <sys/types.h>

#define BOOTOPT_MAXLEN    1024 /* bytes of command line kept */
#define BOOTOPT_MAXTOKENS 64   /* tokens parsed; the rest are ignored */

/* How a declared option's value is parsed and stored. */
enum bootopt_kind {
	BOOTOPT_K_STR = 1, /* const char *: the raw value, NULL if absent */
	BOOTOPT_K_BOOL,    /* bool: 1/0/yes/no/on/off/true/false */
	BOOTOPT_K_INT,     /* int: decimal or 0x-hex in [min, max] */
	BOOTOPT_K_U64,     /* uint64_t: decimal or 0x-hex in [min, max] */
};

/* One declared option, placed in the "set_bootopt" linker set. */
struct bootopt_decl {
	const char *key;  /* option name, e.g. "smp.max" */
	const char *help; /* one-line description, for the option list */
	int kind;         /* enum bootopt_kind */
	void *var;        /* the variable bootopt_init() sets */
	uint64_t def;     /* default (BOOL/INT/U64) when absent or invalid */
	uint64_t min;     /* smallest accepted value (INT/U64) */
	uint64_t max;     /* largest accepted value (INT/U64) */
};

/*
 * The declaration macros.  Each defines the variable 'var' (put `static`
 * in front for a file-local one) initialised to the default, so reads
 * before bootopt_init() see the default too, and places its descriptor in
 * the linker set.  aligned(8) matches the struct's natural alignment so
 * the linker packs the set as a plain array.
 */
#define BOOTOPT_DECL_(var, key, kind, def, min, max, help)                     \
	static const struct bootopt_decl bootopt_decl_##var __attribute__((    \
	    section("set_bootopt"), used, aligned(8))) = {key,                 \
	                                                  help,                \
	                                                  kind,                \
	                                                  &var,                \
	                                                  (uint64_t)(def),     \
	                                                  (uint64_t)(min),     \
	                                                  (uint64_t)(max)}

/* A string (or comma list: see optlist_has()); NULL when absent. */
#define BOOTOPT_STR(var, key, help)                                            \
	const char *var = NULL;                                                \
	BOOTOPT_DECL_(var, key, BOOTOPT_K_STR, 0, 0, 0, help)
#define BOOTOPT_BOOL(var, key, def, help)                                      \
	bool var = (def);                                                      \
	BOOTOPT_DECL_(var, key, BOOTOPT_K_BOOL, def, 0, 1, help)
#define BOOTOPT_INT(var, key, def, min, max, help)                             \
	int var = (def);                                                       \
	_Static_assert((min) >= 0 && (min) <= (def) && (def) <= (max) &&       \
	                   (max) <= 0x7fffffff,                                \
	               key ": default outside its range, or not an int");      \
	BOOTOPT_DECL_(var, key, BOOTOPT_K_INT, def, min, max, help)
#define BOOTOPT_U64(var, key, def, min, max, help)                             \
	uint64_t var = (def);                                                  \
	_Static_assert((min) <= (def) && (def) <= (max),                       \
	               key ": default outside its range");                     \
	BOOTOPT_DECL_(var, key, BOOTOPT_K_U64, def, min, max, help)

/*
 * Comma-separated list values (test=vm,smp): true if 'list' (a
 * BOOTOPT_STR variable, may be NULL) contains 'item'.
 */
bool optlist_has(const char *list, const char *item);
/*
 * Copy item number idx (from 0; empty items are skipped) of 'list' into
 * buf, NUL-terminated and truncated to bufsz.  Returns the item's full
 * length (>= bufsz means it was truncated), or -1 if there is no such
 * item.  Iterate with
 *	for (i = 0; optlist_item(test_list, i, buf, sizeof(buf)) >= 0; i++)
 */
int optlist_item(const char *list, int idx, char *buf, size_t bufsz);

/*
 * Parse the command line (copied; the caller's string may go away), then
 * set every declared option's variable from it or to its default.
 */
void bootopt_init(const char *cmdline);
/* Warn once for every given key that no declaration names. */
void bootopt_check_unknown(void);
/* Print every declared option with its help line. */
void bootopt_print_known(void);

/* The raw value of 'key' ("1" for a bare key), or NULL if not given. */
const char *bootopt_get(const char *key);
/*
 * Parse 'value' (may be NULL: absent) of option 'key' as a BOOTOPT_K_BOOL,
 * _INT or _U64: the number, or 'def' with an error message naming the
 * key, the value and what is accepted.  bootopt_init() uses it for every
 * declared option; the host test calls it directly.
 */
uint64_t bootopt_parse_value(const char *key, const char *value, int kind,
                             uint64_t def, uint64_t min, uint64_t max);

/* Errors/warnings printed since the last bootopt_init(). */
int bootopt_nerrors(void);
int bootopt_nwarnings(void);

#endif /* !_SYS_BOOTOPT_H_ */
