/*
 * tsc.c - calibrate the TSC against the PIT and provide nanouptime().
 *
 * The PIT runs at a fixed 1193182 Hz on every PC (and in QEMU and Bochs).
 * Channel 2's gate is under software control (port 0x61), so we count TSC
 * ticks while the PIT counts down a known interval, several times, and
 * keep the median.  The loop is bounded: if the PIT never finishes (no
 * PIT), we fall back to an assumed rate and say so.
 *
 * The TSC is shared by all CPUs under QEMU and Bochs, and invariant on
 * modern hardware, so one frequency serves every CPU.
 */
#include <sys/clock.h>

#include <cpu/cpufunc.h>
#include <machine/md_var.h>
#include <sys/systm.h>

#define PIT_HZ       1193182ull
#define CALIB_MS     10
#define CALIB_ROUNDS 5

uint64_t tsc_freq;
static uint64_t tsc_base; /* TSC at calibration: time 0 */
static uint64_t tsc_mult; /* ns per tick, 32.32 fixed point */

static uint64_t
pit_measure(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIB_MS / 1000);
	uint64_t t0, t1, spins = 0;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb0);                       /* ch 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	t0 = rdtsc_ordered();
	while ((inb(0x61) & 0x20) == 0)
		if (++spins > 100000000)
			return 0;
	t1 = rdtsc_ordered();
	return (t1 - t0) * 1000 / CALIB_MS;
}

void
tsc_calibrate(void)
{
	uint64_t v[CALIB_ROUNDS], tmp;
	int i, j;

	for (i = 0; i < CALIB_ROUNDS; i++)
		v[i] = pit_measure();
	for (i = 0; i < CALIB_ROUNDS; i++)
		for (j = i + 1; j < CALIB_ROUNDS; j++)
			if (v[j] < v[i]) {
				tmp = v[i];
				v[i] = v[j];
				v[j] = tmp;
			}
	tsc_freq = v[CALIB_ROUNDS / 2];
	if (tsc_freq < 1000000) {
		kprintf(
		    "tsc: warning: PIT calibration failed; assuming 1 GHz\n");
		tsc_freq = 1000000000ull;
	}
	tsc_mult = (uint64_t)(((unsigned __int128)NS_PER_S << 32) / tsc_freq);
	tsc_base = rdtsc();
	kprintf("tsc: %lu.%03lu MHz (PIT, median of %d, spread %lu kHz)\n",
	        tsc_freq / 1000000, (tsc_freq / 1000) % 1000, CALIB_ROUNDS,
	        (v[CALIB_ROUNDS - 1] - v[0]) / 1000);
}

uint64_t
nanouptime(void)
{
	return (
	    uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * tsc_mult) >>
	              32);
}

void
delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_freq / 1000000;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_pause();
}
