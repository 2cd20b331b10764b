/*
 * kern_userboot_test.c - the ktest suite "user": run the programs of the
 * run= boot option (kern_userboot.c) as one case, which fails unless
 * every program exited 0 and nothing leaked.  Selected by run= itself
 * (test=all alone does not start user programs), and run after every
 * other selected suite.
 */
#include <sys/proc.h>

#include <sys/ktest.h>
#include <sys/systm.h>

static void
user_run_programs(struct ktest *t)
{
	KT_EXPECT_EQ(t, userboot_run(), 0);
}

KTEST_SUITE_OPT_LAST(user, "user", &run_list, NULL, NULL,
                     KTEST_CASE(user_run_programs));
