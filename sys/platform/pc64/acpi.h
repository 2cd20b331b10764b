/*
 * ACPI static-table parser for CPU and interrupt-controller discovery.
 *
 * acpi_parse() starts from the copy of the RSDP that the boot loader handed
 * over (multiboot2 tag 14 or 15), follows the XSDT or RSDT to the MADT and
 * the FADT, and fills a struct acpi_info with the CPUs (local APIC IDs),
 * I/O APICs, ISA interrupt overrides, local APIC NMI lines and the ACPI PM
 * timer port.  It is pure code: physical memory is reached only through a
 * caller-supplied mapper, so the same source runs in the kernel (direct
 * map) and in the host test (a fake memory buffer).
 *
 * Firmware tables are treated as hostile input: every length is checked
 * against what the mapper actually returned before a byte is read, every
 * loop advances by at least one entry and is bounded by a checked length,
 * and fields are read byte by byte so unaligned tables are harmless.  Each
 * problem found prints one "acpi: warning: ..." line and parsing goes on
 * with what is still trustworthy.
 */
#ifndef _PLATFORM_PC64_ACPI_H_
#define _PLATFORM_PC64_ACPI_H_

#include <machine/param.h> /* MAXCPU */
#include <sys/types.h>

#define ACPI_MAX_IOAPICS    16           /* I/O APIC entries kept */
#define ACPI_MAX_OVERRIDES  32           /* interrupt source overrides kept */
#define ACPI_MAX_LAPIC_NMIS (MAXCPU + 1) /* local APIC NMI entries kept */
#define ACPI_UID_ALL        0xFFFFFFFFu  /* lapic_nmis[].acpi_uid: all CPUs */
#define ACPI_MAX_TABLE_LEN  (1u << 20)   /* larger SDTs are rejected as bogus */

/* Negative return values of acpi_parse(); out->ncpus is 0 for all of them. */
#define ACPI_ENORSDP -1 /* RSDP missing, bad signature or bad checksum */
#define ACPI_ENOROOT -2 /* neither XSDT nor RSDT is usable */
#define ACPI_ENOMADT -3 /* no valid MADT */
#define ACPI_ENOCPU  -4 /* MADT lists no usable CPU */

/* MADT interrupt flags (overrides and NMI entries), MPS INTI encoding. */
#define ACPI_INTI_POLARITY_MASK 0x0003 /* 0 bus default, 1 high, 3 low */
#define ACPI_INTI_TRIGGER_MASK  0x000C /* 0 bus default, 4 edge, 0xC level */

/*
 * Return a pointer through which the len bytes of physical memory at pa can
 * be read, or NULL if [pa, pa + len) is not mappable.  Pointers returned
 * earlier must stay valid until acpi_parse() returns.
 */
typedef const void *(*acpi_map_fn)(vm_paddr_t pa, size_t len, void *arg);

struct acpi_cpu {
	uint32_t apic_id;  /* local APIC ID (x2APIC ID for type 9 entries) */
	uint32_t acpi_uid; /* ACPI processor UID, matches lapic_nmis[] */
	bool x2apic_entry; /* came from a type 9 (x2APIC) MADT entry */
};

struct acpi_ioapic {
	uint8_t id;        /* I/O APIC ID */
	vm_paddr_t pa;     /* physical address of its registers */
	uint32_t gsi_base; /* first global system interrupt it handles */
};

struct acpi_override {
	uint8_t bus;    /* always 0 (ISA) */
	uint8_t irq;    /* ISA IRQ being redirected */
	uint32_t gsi;   /* global system interrupt it arrives on */
	uint16_t flags; /* ACPI_INTI_* polarity and trigger */
};

struct acpi_lapic_nmi {
	uint32_t acpi_uid; /* processor UID, or ACPI_UID_ALL */
	uint8_t lint;      /* local APIC LINT pin, 0 or 1 */
	uint16_t flags;    /* ACPI_INTI_* polarity and trigger */
};

struct acpi_info {
	u_int ncpus;                  /* usable CPUs in cpus[], <= MAXCPU */
	struct acpi_cpu cpus[MAXCPU]; /* in MADT order (firmware boot order) */
	u_int ncpus_skipped_disabled; /* CPU entries with Enabled clear */
	u_int ncpus_dropped_maxcpu;   /* usable CPUs beyond MAXCPU, not kept */
	vm_paddr_t lapic_pa;          /* local APIC base (type 5 overrides) */
	bool pcat_compat;             /* MADT PCAT_COMPAT: 8259 PICs present */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS]; /* I/O APICs */
	u_int n_ioapics; /* valid entries in ioapics[] */
	struct acpi_override overrides[ACPI_MAX_OVERRIDES]; /* ISA overrides */
	u_int n_overrides; /* valid entries in overrides[] */
	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_LAPIC_NMIS]; /* NMI lines */
	u_int n_lapic_nmis;         /* valid entries in lapic_nmis[] */
	u_int madt_unknown_entries; /* MADT entries of types not handled */
	uint16_t pm_tmr_port;       /* ACPI PM timer I/O port, 0 if none */
	bool pm_tmr_32bit;          /* PM timer counts 32 bits (else 24) */
	uint8_t rsdp_revision;      /* RSDP revision (0: ACPI 1.0) */
	bool used_xsdt;             /* tables found through the XSDT */
	u_int warnings;             /* problems found (warnings printed) */
	char oem_id[7];             /* RSDP OEM ID, NUL-terminated */
};

/*
 * Parse the ACPI tables reachable from the RSDP copy rsdp[0..rsdp_len).
 * Returns 0 when a MADT with at least one usable CPU was found (there may
 * have been warnings), or a negative ACPI_E* value; then out->ncpus is 0
 * and the caller should run on the boot CPU alone.
 */
int acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *arg,
               struct acpi_info *out);

/* Print a short summary of what acpi_parse() found. */
void acpi_print(const struct acpi_info *ai);

#endif /* !_PLATFORM_PC64_ACPI_H_ */
