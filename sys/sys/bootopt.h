/*
 * Kernel boot command-line options (sys/kern/kern_bootopt.c).
 *
 * The command line is a list of space/tab separated tokens, each either
 * "key=value" or a bare "key" (which means "key=1"), for example
 *
 *	test=vm,smp test.seed=42 smp.max=4 stress.seconds=10
 *
 * Every option the kernel understands is declared once, next to the code
 * that reads it, with BOOTOPT_DECLARE(); the declarations are collected in
 * the linker set "set_bootopt" so bootopt_check_unknown() can warn about
 * typos without a central table.  Parsing happens once, early on the boot
 * CPU, before other CPUs start; afterwards the option table is read-only,
 * so the getters need no locking.
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

/* One declared option, placed in the "set_bootopt" linker set. */
struct bootopt_decl {
	const char *key;  /* option name, e.g. "smp.max" */
	const char *help; /* one-line description, for the option list */
};

/*
 * Declare option 'key' with a help line.  'name' only has to be a unique
 * C identifier in its file.  aligned(8) matches the struct's natural
 * alignment so the linker packs the set as a plain array.
 */
#define BOOTOPT_DECLARE(name, key, help)                                       \
	static const struct bootopt_decl bootopt_decl_##name                   \
	    __attribute__((section("set_bootopt"), used, aligned(8))) = {key,  \
	                                                                 help}

/* Parse the command line (copied; the caller's string may go away). */
void bootopt_init(const char *cmdline);
/* Warn once for every given key that no BOOTOPT_DECLARE() names. */
void bootopt_check_unknown(void);
/* Print every declared option with its help line. */
void bootopt_print_known(void);

/* The raw value of 'key' ("1" for a bare key), or NULL if not given. */
const char *bootopt_get(const char *key);
/* 1/0/yes/no/on/off/true/false; 'def' if absent or invalid (with error). */
bool bootopt_get_bool(const char *key, bool def);
/* Decimal or 0x-hex in [min, max]; 'def' if absent or invalid (with error). */
uint64_t bootopt_get_u64(const char *key, uint64_t def, uint64_t min,
                         uint64_t max);
/* True if the comma-separated list value of 'key' contains 'item'. */
bool bootopt_list_has(const char *key, const char *item);
/*
 * Copy item number idx (from 0; empty items are skipped) of the list value
 * of 'key' into buf, NUL-terminated and truncated to bufsz.  Returns the
 * item's full length (>= bufsz means it was truncated), or -1 if there is
 * no such item.  Iterate with
 *	for (i = 0; bootopt_list_next("test", i, buf, sizeof(buf)) >= 0; i++)
 */
int bootopt_list_next(const char *key, int idx, char *buf, size_t bufsz);

/* Errors/warnings printed since the last bootopt_init(). */
int bootopt_nerrors(void);
int bootopt_nwarnings(void);

#endif /* !_SYS_BOOTOPT_H_ */
