/*
 * kern_debug.c - named magic-breakpoint sites.
 *
 * Every site is off unless bochs.break lists it (or says all), so a
 * kernel built with the sites compiled in runs normally under QEMU and
 * stops only where the developer asked under Bochs.
 */
#include <sys/debug.h>

#include <sys/bootopt.h>
#include <sys/cpu.h>
#include <sys/systm.h>

static BOOTOPT_STR(
    bochs_break, "bochs.break",
    "magic breakpoint sites: all or panic,smp,shootdown,test,...");

static bool break_all; /* bochs.break=all */
static bool break_any; /* some site is enabled */

void
debug_break_init(void)
{
	break_any = bochs_break != NULL && *bochs_break != '\0';
	break_all = break_any && optlist_has(bochs_break, "all");
}

bool
debug_break_enabled(const char *site)
{
	return break_any && (break_all || optlist_has(bochs_break, site));
}

void
debug_break(const char *site)
{
	if (debug_break_enabled(site)) {
		kprintf("debug: magic breakpoint '%s'\n", site);
		cpu_magic_break(site);
	}
}
