/*
 * The console: COM1 (a polled 16550 UART) mirrored to port 0xe9, which
 * Bochs prints on its own stdout (port_e9_hack) and QEMU ignores.
 */
#ifndef _MACHINE_SERIAL_H_
#define _MACHINE_SERIAL_H_

#include <sys/types.h>

void serial_init(void);
void serial_putc(int c);
int serial_getc(void);   /* -1 when no byte is waiting */
void serial_drain(void); /* wait until the transmitter is empty */

#endif /* !_MACHINE_SERIAL_H_ */
