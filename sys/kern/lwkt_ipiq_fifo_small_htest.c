/*
 * The IPI FIFO host tests (lwkt_ipiq_fifo_htest.c) again with an 8-entry
 * FIFO, so the full-FIFO backpressure path and index wrap run constantly.
 *
 * IPIQ_FIFO_SIZE changes the layout of struct lwkt_ipiq, so the FIFO code
 * and the test must be compiled with the same value.  This file therefore
 * #includes both lwkt_ipiq_fifo.c and the test itself and names no extra
 * sources: a plain "gcc THIS_FILE test/host/host_support.c
 * sys/kern/subr_prf.c" builds a consistent 8-entry program with or
 * without the -D below, and linking lwkt_ipiq_fifo.c a second time would
 * fail loudly (duplicate symbols) rather than mix two layouts.
 */
/* HTEST_SAN: thread */
/* HTEST_CFLAGS: -DIPIQ_FIFO_SIZE=8 */
#ifndef IPIQ_FIFO_SIZE
#define IPIQ_FIFO_SIZE 8
#endif

#include "lwkt_ipiq_fifo.c"

#include "lwkt_ipiq_fifo_htest.c"

_Static_assert(IPIQ_FIFO_SIZE == 8, "this test is for the 8-entry FIFO");
