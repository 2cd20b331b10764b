/*
 * init.c - PID 1 of the Linux peer boot (tools/bench-vs-linux.py,
 * tools/linux-initramfs.py): runs the user programs of test/user/ that
 * the kernel command line names, all at once, as the pcoherence kernel's
 * run= option does, and ends the run through QEMU's isa-debug-exit port
 * exactly like that kernel (0x10: QEMU exits 33, pass; 0x11: exits 35,
 * fail), so test/run-qemu.sh and test/lib/ktap.py judge both kernels.
 *
 *	pcohrun=NAME[:ARG...][,NAME[:ARG...]...]   the programs (/NAME)
 *	pcohtimeout=SECONDS                        limit (default 300)
 *
 * Linux hands unknown name=value words of its command line to init as
 * environment variables; that is where these come from.  The programs
 * inherit the console (ttyS0 with console=ttyS0) as fds 0-2 and write
 * whole lines, so their lines do not interleave.  Output: KTAP version
 * 1, one result per program (ok when it exited 0), "N passed, N failed".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAXPROGS 16
#define MAXARGS  16

static void
out(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0)
		(void)!write(1, buf, (size_t)n);
}

/* Leave QEMU with the verdict; power off if the port is not there. */
static void __attribute__((noreturn)) finish(int ok)
{
	struct timespec ts = {0, 200000000};

	/* write() to the console returns once the bytes are in the tty's
	 * buffer, not on the wire: without waiting, QEMU exits with the
	 * closing lines still unsent. */
	tcdrain(1);
	nanosleep(&ts, NULL);
	if (ioperm(0xf4, 4, 1) == 0)
		outb(ok ? 0x10 : 0x11, 0xf4);
	out("init: isa-debug-exit did not end the run; powering off\n");
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

int
main(void)
{
	char *spec = getenv("pcohrun"), *tm = getenv("pcohtimeout"), *s;
	char *argvs[MAXPROGS][MAXARGS + 1];
	pid_t pids[MAXPROGS];
	int status[MAXPROGS], done[MAXPROGS];
	int nprog = 0, i, left, failed = 0;
	struct sigaction sa;
	struct utsname u;
	int timeout = tm ? atoi(tm) : 300;

	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	out("KTAP version 1\n");
	if (uname(&u) == 0)
		out("# linux: %s %s %s\n", u.sysname, u.release, u.version);
	if (spec == NULL || *spec == '\0') {
		out("# init: no pcohrun= on the kernel command line\n");
		out("0 passed, 1 failed\n");
		finish(0);
	}
	if (timeout < 1)
		timeout = 300;
	/* Split NAME:ARG:ARG,NAME... in place. */
	for (s = spec; s && *s && nprog < MAXPROGS; nprog++) {
		char *next = strchr(s, ','), *a;
		int na = 0;

		if (next)
			*next++ = '\0';
		for (a = s; a && na < MAXARGS; na++) {
			argvs[nprog][na] = a;
			a = strchr(a, ':');
			if (a)
				*a++ = '\0';
		}
		argvs[nprog][na] = NULL;
		s = next;
	}
	out("1..%d\n", nprog);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);
	for (i = 0; i < nprog; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/%s", argvs[i][0]);
		done[i] = 0;
		status[i] = -1;
		pids[i] = fork();
		if (pids[i] == 0) {
			char *envp[] = {"PATH=/", "TERM=dumb", NULL};

			execve(path, argvs[i], envp);
			out("init: cannot run %s\n", path);
			_exit(127);
		}
		if (pids[i] < 0) {
			done[i] = 1;
			out("# init: fork for %s failed\n", path);
		}
	}
	for (left = nprog; left > 0;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);

		if (p < 0) {
			if (timed_out) {
				out("# init: timeout after %d s: killing the "
				    "programs\n",
				    timeout);
				kill(-1, SIGKILL);
				while (waitpid(-1, &st, 0) > 0)
					;
				break;
			}
			continue;
		}
		for (i = 0; i < nprog; i++)
			if (pids[i] == p && !done[i]) {
				done[i] = 1;
				status[i] = WIFEXITED(st) ? WEXITSTATUS(st)
				                          : 128 + WTERMSIG(st);
				out("# init: %s exited %d\n", argvs[i][0],
				    status[i]);
				left--;
			}
	}
	for (i = 0; i < nprog; i++) {
		if (status[i] == 0) {
			out("ok %d %s\n", i + 1, argvs[i][0]);
		} else {
			out("not ok %d %s # exit status %d\n", i + 1,
			    argvs[i][0], status[i]);
			failed++;
		}
	}
	out("%d passed, %d failed\n", nprog - failed, failed);
	finish(failed == 0);
}
