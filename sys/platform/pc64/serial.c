/*
 * serial.c - the kernel console on COM1 and port 0xe9.
 *
 * Output is polled: the kernel writes a byte once the UART's transmit
 * holding register is empty.  kprintf() hands whole formatted chunks to
 * cons_puts(), which holds the console lock for the entire chunk, so
 * lines from different CPUs never interleave.
 *
 * The lock is taken only once other CPUs may print (cons_set_smp()).  A
 * panicking CPU must still get its message out even if another CPU died
 * holding the lock: it waits a bounded number of spins and then breaks
 * the lock (cons_break_lock() makes later calls skip the wait), because a
 * garbled line is better than a silent hang.
 */
#include <machine/serial.h>

#include <cpu/cpufunc.h>
#include <sys/cons.h>
#include <sys/spinlock.h>

#define COM1       0x3f8
#define COM_DATA   (COM1 + 0) /* data register */
#define COM_IER    (COM1 + 1) /* interrupt enable */
#define COM_FCR    (COM1 + 2) /* FIFO control */
#define COM_LCR    (COM1 + 3) /* line control */
#define COM_MCR    (COM1 + 4) /* modem control */
#define COM_LSR    (COM1 + 5) /* line status */
#define LSR_RXRDY  0x01       /* a received byte is waiting */
#define LSR_TXRDY  0x20       /* transmit holding register empty */
#define LSR_TSRE   0x40       /* transmitter completely empty */
#define PORT_E9    0xe9
#define LOCK_SPINS (1u << 26) /* ~ a second or more: then break it */

static struct spinlock cons_lock = SPINLOCK_INITIALIZER("console");
static bool cons_smp;       /* other CPUs may print: take the lock */
static bool cons_broken;    /* a panic broke the lock: never wait */
static bool serial_present; /* the UART answered the loopback probe */

void
serial_init(void)
{
	outb(COM_IER, 0x00);  /* polled: no interrupts */
	outb(COM_LCR, 0x80);  /* divisor latch */
	outb(COM_DATA, 0x01); /* 115200 baud */
	outb(COM_IER, 0x00);
	outb(COM_LCR, 0x03); /* 8 data bits, no parity, 1 stop */
	outb(COM_FCR, 0xc7); /* FIFOs on and cleared */
	outb(COM_MCR, 0x0b); /* DTR, RTS, OUT2 */
	/* A missing UART reads back 0xff: then only port 0xe9 is used. */
	serial_present = inb(COM_LSR) != 0xff;
}

void
serial_putc(int c)
{
	unsigned spins = 0;

	outb(PORT_E9, (uint8_t)c);
	if (!serial_present)
		return;
	/* Bounded: a wedged UART must not hang the kernel. */
	while ((inb(COM_LSR) & LSR_TXRDY) == 0 && ++spins < 1000000)
		cpu_pause();
	outb(COM_DATA, (uint8_t)c);
}

int
cons_getc(void)
{
	return serial_getc();
}

int
serial_getc(void)
{
	if (!serial_present || (inb(COM_LSR) & LSR_RXRDY) == 0)
		return -1;
	return inb(COM_DATA);
}

void
serial_drain(void)
{
	unsigned spins = 0;

	while (serial_present && (inb(COM_LSR) & LSR_TSRE) == 0 &&
	       ++spins < 10000000)
		cpu_pause();
}

void
cons_set_smp(bool on)
{
	cons_smp = on;
}

void
cons_break_lock(void)
{
	cons_broken = true;
}

void
cons_puts(const char *s, size_t len)
{
	bool locked = false;
	uint64_t flags;
	size_t i;

	/* No interrupt handler may take the lock while we hold it. */
	flags = intr_disable();
	if (cons_smp && !cons_broken) {
		unsigned spins = 0;

		while (!(locked = spin_trylock(&cons_lock))) {
			if (++spins >= LOCK_SPINS || cons_broken)
				break;
			cpu_pause();
		}
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
	if (locked)
		spin_unlock(&cons_lock);
	intr_restore(flags);
}
