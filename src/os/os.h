/*
 * os.h — the seam between kiln and the operating system.
 *
 * Everything kiln needs from the OS goes through these few calls, so porting
 * to another system means writing one more os_<system>.c and nothing else.
 * Today that is: address-space reservations for linear memories (reserve
 * once, commit as the memory grows, release at the end) and a monotonic
 * clock for deadlines.
 *
 * A reservation is inaccessible until committed; committing is done in
 * whole pages of the reservation, from its start upwards, and never moves
 * the reservation, which is what lets linear memory keep a fixed address.
 */
#ifndef KN_OS_H
#define KN_OS_H

#include <stdbool.h>
#include <stdint.h>

/* Reserve `bytes` of address space, inaccessible.  NULL on failure. */
void *kn_os_reserve(uint64_t bytes);
/* Make [addr, addr+bytes) of a reservation readable and writable (zeroed
 * on first commit).  addr and bytes must be multiples of kn_os_page_size. */
bool kn_os_commit(void *addr, uint64_t bytes);
/* Give back a whole reservation made by kn_os_reserve. */
void kn_os_release(void *addr, uint64_t bytes);
/* The granularity of commits; a power of two dividing 64 KiB on every
 * system kiln supports. */
uint64_t kn_os_page_size(void);
/* Nanoseconds from an arbitrary fixed point; never goes backwards. */
uint64_t kn_os_monotonic_ns(void);

#endif
