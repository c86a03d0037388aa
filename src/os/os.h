/*
 * os.h — the seam between kiln and the operating system.
 *
 * Everything kiln needs from the OS goes through these few calls, so porting
 * to another system means writing one more os_<system>.c and nothing else.
 * Today that is: address-space reservations for linear memories (reserve
 * once, commit as the memory grows, release at the end), memory images
 * for pooled instances (an in-memory file mapped copy-on-write, and
 * resetting committed pages to what they were mapped with), executable
 * memory for the native tier (W^X: written while read-write, then sealed
 * read+execute, never both writable and executable), the fault handler
 * that makes guard pages traps and each thread's stack bounds (native
 * tier), a monotonic clock for deadlines, and a CPU-time ticker for
 * profilers.
 *
 * A reservation is inaccessible until committed; committing is done in
 * whole pages of the reservation, from its start upwards, and never moves
 * the reservation, which is what lets linear memory keep a fixed address.
 */
#ifndef KN_OS_H
#define KN_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reserve `bytes` of address space, inaccessible.  NULL on failure. */
void *kn_os_reserve(uint64_t bytes);
/* Make [addr, addr+bytes) of a reservation readable and writable (zeroed
 * on first commit).  addr and bytes must be multiples of kn_os_page_size. */
bool kn_os_commit(void *addr, uint64_t bytes);
/* Give back a whole reservation made by kn_os_reserve. */
void kn_os_release(void *addr, uint64_t bytes);
/* The same for a memory whose guard region compiled code faults into on
 * purpose (the native tier's bounds checks): under valgrind, accesses to
 * it are not reported as errors (memcheck's client requests, no-ops
 * otherwise), since the fault handler turns them into traps. */
void *kn_os_reserve_guarded(uint64_t bytes);
void kn_os_release_guarded(void *addr, uint64_t bytes);
/* Give committed pages [addr, addr+bytes) of a reservation back: they are
 * freed and become inaccessible again, as if never committed. */
bool kn_os_decommit(void *addr, uint64_t bytes);
/* An immutable in-memory file holding a memory's initial bytes, mapped
 * copy-on-write into each pooled instance's memory, and a read-only view
 * of it to reset pages from. */
typedef struct kn_os_image {
    int fd;                      /* -1: no image (len 0) */
    const uint8_t *view;
    uint64_t len;                /* a multiple of kn_os_page_size */
} kn_os_image;
/* An image of bytes[0 .. len), len a multiple of kn_os_page_size (0: an
 * empty image, which needs nothing from the OS).  False on failure. */
bool kn_os_image_new(const void *bytes, uint64_t len, kn_os_image *out);
void kn_os_image_free(kn_os_image *img);
/* Map the image at addr, the start of committed pages of a reservation,
 * readable, writable and private: writes copy the page and never reach the
 * image or other mappings of it. */
bool kn_os_map_image(void *addr, const kn_os_image *img);
/* How much of committed [addr, addr+bytes) may be non-zero: the end of its
 * last page that was ever touched (bytes when the system cannot tell). */
uint64_t kn_os_touched_end(const void *addr, uint64_t bytes);
/* A handle to find which pages a process changed (Linux: its pagemap), or
 * -1 when the system has none; kn_os_reset works either way. */
int kn_os_dirty_open(void);
void kn_os_dirty_close(int dirty);
/* Give committed pages [addr, addr+bytes), which start with img mapped by
 * kn_os_map_image, their initial contents back: img's bytes, zeros after.
 * A small memory is rewritten whole.  Otherwise, with a dirty handle, the
 * pages written are found and rewritten, and stay resident (no page faults
 * or TLB flushes on the next use); without one, or when too many were
 * written, every private page is dropped. */
bool kn_os_reset(void *addr, uint64_t bytes, const kn_os_image *img, int dirty);
/* Rewrite [addr+off, addr+off+len) of such a memory with what it started
 * as: img's bytes, zeros after. */
void kn_os_image_restore(void *addr, uint64_t off, uint64_t len, const kn_os_image *img);
/* The granularity of commits; a power of two dividing 64 KiB on every
 * system kiln supports. */
uint64_t kn_os_page_size(void);
/* Executable memory, W^X.  kn_os_exec_map gives `bytes` (rounded up to
 * pages) readable and writable, never executable; kn_os_exec_seal turns
 * the same range read+execute, after which it is never writable again;
 * kn_os_exec_unmap gives it back.  NULL / false on failure. */
void *kn_os_exec_map(uint64_t bytes);
bool kn_os_exec_seal(void *addr, uint64_t bytes);
void kn_os_exec_unmap(void *addr, uint64_t bytes);
/* Guard-page faults of the native tier.  kn_os_fault_init installs, once
 * per process, a SIGSEGV/SIGBUS handler (Linux) that turns a fault of
 * registered machine code touching a linear memory's reservation into a
 * jump to that code's trap exit, and passes every other fault on to the
 * handler installed before it (or the default action).  True when that
 * handler is in place; false when it cannot be (guard pages must then
 * not be relied on: keep explicit bounds checks).  An embedder that
 * installs its own SIGSEGV handler afterwards must chain to the previous
 * one, as for any runtime with guard pages.
 *
 * A code range [start, start+len) is registered while its code can run:
 * a fault at a pc inside it whose address lies in
 * [base, base + span), base being the value of x86-64 register number
 * base_reg (0 rax .. 15 r15) at the fault, resumes at `resume` as if the
 * faulting instruction had called it (its pc pushed on the stack, for the
 * trap's backtrace).  False when out of memory. */
bool kn_os_fault_init(void);
bool kn_os_code_register(const void *start, uint64_t len, const void *resume, unsigned base_reg,
                         uint64_t span);
void kn_os_code_unregister(const void *start);
/* Prepare the calling thread to run machine code: give it an alternate
 * signal stack for the fault handler if it has none (an existing one is
 * kept), and return the lowest address of its stack, or 0 when the
 * system cannot tell.  Cached per thread: cheap after the first call. */
uintptr_t kn_os_thread_prepare(void);

/* Nanoseconds from an arbitrary fixed point; never goes backwards. */
uint64_t kn_os_monotonic_ns(void);

/* A ticker calls fn(arg, periods, regs) from a signal handler on the thread that
 * started it, every 1/hz second of that thread's CPU time (Linux: a
 * CLOCK_THREAD_CPUTIME_ID timer delivering SIGPROF to the thread, with
 * SA_RESTART).  periods is how many periods of 1/hz passed since the last
 * call, 1 unless the system coalesced some (Linux checks CPU-time timers
 * at the scheduler tick, so above the tick rate a call covers several).
 * fn must be async-signal-safe.  The caller owns the storage and must not
 * move it while the ticker runs; `os` is the system's state (the timer
 * and the signal action it replaced). */
typedef struct kn_os_regs {
    uintptr_t pc, sp, fp;        /* 0 where the system cannot tell */
} kn_os_regs;
typedef struct kn_os_ticker {
    void (*fn)(void *arg, uint32_t periods, const kn_os_regs *regs);
    void *arg;
    _Alignas(16) unsigned char os[256];
} kn_os_ticker;
/* Start t (fn and arg set by the caller).  False, with *why saying what
 * failed, if the system has no such timer or SIGPROF is already taken by
 * another ticker. */
bool kn_os_ticker_start(kn_os_ticker *t, uint32_t hz, const char **why);
/* Stop t, on the thread that started it: when this returns, fn is not
 * running and will not be called again; SIGPROF's previous action is
 * back. */
void kn_os_ticker_stop(kn_os_ticker *t);

/* Files, for the compiled-code cache.  Each returns 0 or an errno value.
 * kn_os_read_file reads the whole regular file at path into a buffer it
 * gets from alloc(ud, size) (at least 1 byte; the caller frees it);
 * kn_os_write_file_atomic writes a temporary file beside path and renames
 * it over path, so a reader sees the old file or the new one, whole;
 * kn_os_mkdirs makes a directory and its missing parents (mode 0700). */
int kn_os_read_file(const char *path, void *(*alloc)(void *ud, size_t n), void *ud,
                    uint8_t **out, size_t *len);
int kn_os_write_file_atomic(const char *path, const void *bytes, size_t len);
int kn_os_mkdirs(const char *path);
/* The build id of the executable or shared object holding kiln (Linux:
 * its ELF NT_GNU_BUILD_ID note), copied to out[0 .. cap); returns its
 * length, 0 when it has none. */
size_t kn_os_build_id(uint8_t *out, size_t cap);

#endif
