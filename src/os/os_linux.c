/*
 * os_linux.c — os.h on Linux (and other POSIX systems with mmap and
 * CLOCK_MONOTONIC).
 *
 * Reservations are PROT_NONE private anonymous mappings with MAP_NORESERVE,
 * so a 4 GiB reservation costs neither memory nor commit charge until pages
 * are made read/write; a touch outside the committed part faults instead of
 * reading someone else's data.
 *
 * Images are sealed memfds: a private mapping of one shares the image's
 * page cache until written.  A reset reads /proc/self/pagemap for the
 * range (one read, no TLB flush) to find the pages written since -- the
 * anonymous ones -- and copies them back from a read-only view of the
 * image (or zeroes them), so the next use takes no page faults; when many
 * pages were written, or pagemap cannot be read, madvise(MADV_DONTNEED)
 * drops every private copy instead (the next use faults them back in from
 * the image or as zeros).  On a virtual machine a fault or a TLB flush
 * costs several microseconds, which is why the copy is worth it.  Decommitting maps fresh PROT_NONE memory
 * with the reservation's own flags over the range, which frees the pages
 * and lets the kernel merge the range back into the reservation's mapping
 * (no growth of /proc/self/maps over many grow/reset cycles).
 *
 * The profiler's ticker is a POSIX timer on the thread's CPU clock whose
 * SIGPROF is sent to that thread alone (SIGEV_THREAD_ID) and carries the
 * ticker's address, so the handler needs no global; deleting the timer
 * discards a signal of it still pending, so nothing arrives after stop.
 *
 * The build id is found with dl_iterate_phdr: the loaded object whose
 * segments contain this file's code, then its PT_NOTE segments.
 *
 * The native tier's fault handler (at the end) is the library's one piece
 * of process-wide mutable state; what it holds and why is described
 * there.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "os.h"

void *kn_os_reserve(uint64_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX)
        return NULL;
    void *p = mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE
#define VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n) ((void)(a), (void)(n))
#define VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(a, n) ((void)(a), (void)(n))
#endif

void *kn_os_reserve_guarded(uint64_t bytes)
{
    void *p = kn_os_reserve(bytes);
    if (p)
        VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(p, bytes);
    return p;
}

void kn_os_release_guarded(void *addr, uint64_t bytes)
{
    if (!addr || !bytes)
        return;
    VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(addr, bytes);
    kn_os_release(addr, bytes);
}

bool kn_os_commit(void *addr, uint64_t bytes)
{
    if (bytes == 0)
        return true;
    if (bytes > SIZE_MAX)
        return false;
    return mprotect(addr, (size_t)bytes, PROT_READ | PROT_WRITE) == 0;
}

void kn_os_release(void *addr, uint64_t bytes)
{
    if (addr && bytes)
        munmap(addr, (size_t)bytes);
}

bool kn_os_decommit(void *addr, uint64_t bytes)
{
    if (bytes == 0)
        return true;
    if (bytes > SIZE_MAX)
        return false;
    void *p = mmap(addr, (size_t)bytes, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p != MAP_FAILED;
}

bool kn_os_image_new(const void *bytes, uint64_t len, kn_os_image *out)
{
    *out = (kn_os_image){.fd = -1};
    if (len == 0)
        return true;
    if (len > SIZE_MAX || len > INT64_MAX)
        return false;
    int fd = memfd_create("kiln-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return false;
    if (ftruncate(fd, (off_t)len) != 0)
        goto fail;
    const char *p = bytes;
    for (uint64_t done = 0; done < len;) {
        ssize_t n = pwrite(fd, p + done, (size_t)(len - done), (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
        done += (uint64_t)n;
    }
    /* Sealed, nothing (not even a bug here) can change an image that
     * every pooled instance reads through. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        goto fail;
    void *view = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
    if (view == MAP_FAILED)
        goto fail;
    *out = (kn_os_image){.fd = fd, .view = view, .len = len};
    return true;
fail:
    close(fd);
    return false;
}

void kn_os_image_free(kn_os_image *img)
{
    if (img->fd < 0)
        return;
    munmap((void *)img->view, (size_t)img->len);
    close(img->fd);
    *img = (kn_os_image){.fd = -1};
}

bool kn_os_map_image(void *addr, const kn_os_image *img)
{
    if (img->len == 0)
        return true;
    void *p = mmap(addr, (size_t)img->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                   img->fd, 0);
    return p != MAP_FAILED;
}

uint64_t kn_os_touched_end(const void *addr, uint64_t bytes)
{
    uint64_t page = kn_os_page_size(), end = bytes;
    unsigned char v[4096];
    /* mincore, a window at a time from the end: untouched anonymous pages
     * are not resident. */
    while (end > 0) {
        uint64_t n = end / page < sizeof v ? end / page : sizeof v;
        uint64_t from = end - n * page;
        if (mincore((void *)((uintptr_t)addr + from), (size_t)(n * page), v) != 0)
            return end;
        for (uint64_t i = n; i-- > 0;)
            if (v[i] & 1)
                return from + (i + 1) * page;
        end = from;
    }
    return 0;
}

int kn_os_dirty_open(void) { return open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC); }

void kn_os_dirty_close(int dirty)
{
    if (dirty >= 0)
        close(dirty);
}

/* pagemap entries: bit 63 present, 62 swapped out, 61 a page of a file
 * (here: the image's, still unwritten). */
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)
/* Past this many written pages, dropping them all is cheaper than copying. */
#define KN_RESET_COPY_MAX 64
/* Up to this size, rewriting the whole memory costs less than the one
 * system call that finds the written pages (kiln serve with a 128 KiB C
 * handler: +12% requests/s on a 2-core VM, where a syscall is dear).  The
 * pages then all stay resident, which is what a pooled slot wants. */
#define KN_RESET_REWRITE_ALL (128u << 10)

void kn_os_image_restore(void *addr, uint64_t off, uint64_t len, const kn_os_image *img)
{
    uint8_t *base = addr;
    uint64_t from_image = off < img->len ? img->len - off : 0;
    if (from_image > len)
        from_image = len;
    if (from_image) /* an empty image has no view: memcpy from NULL is UB */
        memcpy(base + off, img->view + off, (size_t)from_image);
    memset(base + off + from_image, 0, (size_t)(len - from_image));
}

/* PAGEMAP_SCAN (Linux 6.7): the ranges of pages in some categories, in one
 * ioctl that skips empty page tables.  Declared here because the C
 * library's headers may predate it; the layout is the kernel's ABI. */
struct kn_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct kn_page_region {
    uint64_t start, end, categories;
};
#define KN_PAGEMAP_SCAN _IOWR('f', 16, struct kn_pm_scan_arg)
#define KN_PAGE_IS_FILE (1u << 2)
#define KN_PAGE_IS_PRESENT (1u << 3)
#define KN_PAGE_IS_SWAPPED (1u << 4)
#define KN_PAGE_IS_PFNZERO (1u << 5)

/* 1: done; 0: too many written pages; -1: no PAGEMAP_SCAN here. */
static int reset_scanned(uint8_t *base, uint64_t bytes, const kn_os_image *img, int dirty)
{
    uint64_t page = kn_os_page_size();
    struct kn_page_region r[KN_RESET_COPY_MAX];
    /* Written pages: present or swapped out, neither the image's nor the
     * shared zero page. */
    struct kn_pm_scan_arg a = {
        .size = sizeof a, .start = (uintptr_t)base, .end = (uintptr_t)base + bytes,
        .vec = (uintptr_t)r, .vec_len = KN_RESET_COPY_MAX, .max_pages = KN_RESET_COPY_MAX + 1,
        .category_inverted = KN_PAGE_IS_FILE | KN_PAGE_IS_PFNZERO,
        .category_mask = KN_PAGE_IS_FILE | KN_PAGE_IS_PFNZERO,
        .category_anyof_mask = KN_PAGE_IS_PRESENT | KN_PAGE_IS_SWAPPED,
        .return_mask = KN_PAGE_IS_PRESENT | KN_PAGE_IS_SWAPPED};
    memset(r, 0, sizeof r);      /* for tools that do not know this ioctl */
    int n = ioctl(dirty, KN_PAGEMAP_SCAN, &a);
    if (n < 0)
        return -1;
    uint64_t pages = 0;
    for (int i = 0; i < n; i++)
        pages += (r[i].end - r[i].start) / page;
    if (pages > KN_RESET_COPY_MAX || (a.walk_end < a.end && n == KN_RESET_COPY_MAX))
        return 0;
    for (int i = 0; i < n; i++)
        kn_os_image_restore(base, r[i].start - (uintptr_t)base, r[i].end - r[i].start, img);
    return 1;
}

/* The same with pagemap entries read one by one (before Linux 6.7):
 * false when too many pages were written or pagemap cannot be read. */
static bool reset_written(uint8_t *base, uint64_t npages, const kn_os_image *img, int dirty)
{
    uint64_t page = kn_os_page_size(), e[2048];  /* 16 KiB: 8 MiB of memory per read */
    uint64_t nd = 0, idx[KN_RESET_COPY_MAX];
    for (uint64_t first = 0; first < npages; first += 2048) {
        uint64_t n = npages - first < 2048 ? npages - first : 2048;
        off_t at = (off_t)(((uintptr_t)base / page + first) * sizeof e[0]);
        if (pread(dirty, e, n * sizeof e[0], at) != (ssize_t)(n * sizeof e[0]))
            return false;
        /* A zero page that was only read looks written here; rewriting it
         * costs one fault, once. */
        for (uint64_t i = 0; i < n; i++) {
            if (!(e[i] & (PM_PRESENT | PM_SWAPPED)) || (e[i] & PM_FILE))
                continue;
            if (nd == KN_RESET_COPY_MAX)
                return false;
            idx[nd++] = first + i;
        }
    }
    for (uint64_t k = 0; k < nd; k++)
        kn_os_image_restore(base, idx[k] * page, page, img);
    return true;
}

bool kn_os_reset(void *addr, uint64_t bytes, const kn_os_image *img, int dirty)
{
    if (bytes == 0)
        return true;
    if (bytes > SIZE_MAX)
        return false;
    if (bytes <= KN_RESET_REWRITE_ALL) {
        kn_os_image_restore(addr, 0, bytes, img);
        return true;
    }
    if (dirty >= 0) {
        int done = reset_scanned(addr, bytes, img, dirty);
        if (done > 0 || (done < 0 && reset_written(addr, bytes / kn_os_page_size(), img, dirty)))
            return true;
    }
    return madvise(addr, (size_t)bytes, MADV_DONTNEED) == 0;
}

uint64_t kn_os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (uint64_t)n : 4096;
}

uint64_t kn_os_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the profiler's ticker ------------------------------------------------ */

typedef struct linux_ticker {
    timer_t timer;
    struct sigaction old;
} linux_ticker;
_Static_assert(sizeof(linux_ticker) <= sizeof(((kn_os_ticker *)0)->os), "kn_os_ticker.os");

static void on_tick(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    if (si->si_code != SI_TIMER || !si->si_value.sival_ptr)
        return;
    int saved = errno;
    kn_os_ticker *t = si->si_value.sival_ptr;
    kn_os_regs regs = {0, 0, 0};
#if defined(__x86_64__)
    const ucontext_t *uc = ctx;
    regs.pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    regs.sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    regs.fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#else
    (void)ctx;
#endif
    /* timer_getoverrun is async-signal-safe (POSIX lists it). */
    int over = timer_getoverrun(((linux_ticker *)t->os)->timer);
    t->fn(t->arg, 1 + (uint32_t)(over > 0 ? over : 0), &regs);
    errno = saved;
}

bool kn_os_ticker_start(kn_os_ticker *t, uint32_t hz, const char **why)
{
    linux_ticker *lt = (linux_ticker *)t->os;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (sigaction(SIGPROF, NULL, &lt->old) != 0 ||
        ((lt->old.sa_flags & SA_SIGINFO) && lt->old.sa_sigaction == on_tick)) {
        *why = "another profiler is running in this process (SIGPROF is taken)";
        return false;
    }
    sa.sa_sigaction = on_tick;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGPROF;
    ev.sigev_value.sival_ptr = t;
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (sigaction(SIGPROF, &sa, NULL) != 0) {
        *why = "cannot install a SIGPROF handler";
        return false;
    }
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &lt->timer) != 0) {
        sigaction(SIGPROF, &lt->old, NULL);
        *why = "cannot create a CPU-time timer";
        return false;
    }
    long ns = (long)(1000000000u / (hz ? hz : 1));
    struct itimerspec its = {.it_interval = {ns / 1000000000, ns % 1000000000},
                             .it_value = {ns / 1000000000, ns % 1000000000}};
    if (timer_settime(lt->timer, 0, &its, NULL) != 0) {
        timer_delete(lt->timer);
        sigaction(SIGPROF, &lt->old, NULL);
        *why = "cannot start a CPU-time timer";
        return false;
    }
    return true;
}

void kn_os_ticker_stop(kn_os_ticker *t)
{
    linux_ticker *lt = (linux_ticker *)t->os;
    timer_delete(lt->timer);
    sigaction(SIGPROF, &lt->old, NULL);
}

/* Executable memory: a private anonymous mapping, read-write while the
 * compiler writes it and read+execute once sealed; it is never mapped or
 * protected writable and executable at once (W^X).
 *
 * The compiler writes every page of it at once, and a first touch per
 * 4 KiB page is what that costs most: a tenth of compiling a large
 * module, and far more under a hypervisor that shadows page tables
 * (copying 2.6 MB of code into fresh pages took 7 ms here, into huge
 * pages 0.2 ms).  So code of HUGE_CODE bytes or more goes in transparent
 * huge pages (2 MiB aligned and rounded: at most a third of it unused),
 * and smaller code is populated by one call instead of a fault per page.
 * Where transparent huge pages are off, the madvise does nothing. */
#define HUGE_PAGE ((uint64_t)2 << 20)
#define HUGE_CODE (((uint64_t)4 << 20) / 3)

static uint64_t exec_round(uint64_t bytes)
{
    uint64_t page = bytes >= HUGE_CODE ? HUGE_PAGE : kn_os_page_size();
    return (bytes + page - 1) & ~(page - 1);
}

void *kn_os_exec_map(uint64_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX / 4)
        return NULL;
    size_t len = (size_t)exec_round(bytes);
    if (bytes < HUGE_CODE) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    /* Over-map by a huge page, then give back the unaligned ends. */
    uint8_t *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + len + HUGE_PAGE > p + len)
        munmap(p + len, (size_t)(raw + len + HUGE_PAGE - (p + len)));
    madvise(p, len, MADV_HUGEPAGE);
    return p;
}

bool kn_os_exec_seal(void *addr, uint64_t bytes)
{
    return mprotect(addr, (size_t)exec_round(bytes), PROT_READ | PROT_EXEC) == 0;
}

void kn_os_exec_unmap(void *addr, uint64_t bytes)
{
    if (addr)
        munmap(addr, (size_t)exec_round(bytes));
}

/* ---- the native tier's fault handler --------------------------------------
 *
 * The one process-wide mutable state of the library (the accepted
 * exception): a signal action can only be process-wide.  It is
 *   - the SIGSEGV/SIGBUS actions found when the handler was installed
 *     (pthread_once), which every fault not ours is passed on to;
 *   - the registry of machine-code ranges: chunks of slots that are never
 *     freed, each slot published by a release store of its start (0 =
 *     free), so the handler reads it without a lock; writers take a mutex;
 *   - a per-thread record (thread-local, freed by a key's destructor) of
 *     the alternate signal stack this file gave the thread, if any, and
 *     the thread's stack bounds.
 * A slot may be reused while the handler scans it only if its code is
 * being freed, and code is freed only when nothing runs it. */

#define KN_CODE_CHUNK 128
/* The alternate signal stack: the handler needs little, but a chained
 * handler (an embedder's, a sanitizer's) may need more. */
#define KN_ALT_STACK ((size_t)64 << 10)

typedef struct code_slot {
    _Atomic uintptr_t start;
    uintptr_t end, resume, span;
    unsigned base_greg;
} code_slot;

typedef struct code_chunk {
    code_slot s[KN_CODE_CHUNK];
    struct code_chunk *_Atomic next;
} code_chunk;

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static bool fault_ready;
static struct sigaction fault_old_segv, fault_old_bus;
static pthread_mutex_t code_lock = PTHREAD_MUTEX_INITIALIZER;
static code_chunk code_first;
static pthread_key_t thread_key;
static bool thread_key_ok;

typedef struct thread_rec {
    bool ready;
    uintptr_t stack_lo;
    void *alt;                   /* the alternate stack this file mapped */
} thread_rec;
static _Thread_local thread_rec thread_state;

/* x86-64 register numbers (encoding order) to ucontext gregs. */
static const int greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                REG_R12, REG_R13, REG_R14, REG_R15};

static const code_slot *code_find(uintptr_t pc)
{
    for (const code_chunk *c = &code_first; c;
         c = atomic_load_explicit(&((code_chunk *)c)->next, memory_order_acquire))
        for (int i = 0; i < KN_CODE_CHUNK; i++) {
            uintptr_t st = atomic_load_explicit(&((code_slot *)&c->s[i])->start,
                                                memory_order_acquire);
            if (st && pc >= st && pc < c->s[i].end)
                return &c->s[i];
        }
    return NULL;
}

/* Hand a fault that is not ours to the action that was there before. */
static void fault_chain(int sig, siginfo_t *si, void *ctx)
{
    struct sigaction *old = sig == SIGSEGV ? &fault_old_segv : &fault_old_bus;
    if (old->sa_flags & SA_SIGINFO) {
        void (*h)(int, siginfo_t *, void *) = old->sa_sigaction;
        if (old->sa_flags & SA_RESETHAND) {
            old->sa_flags &= ~(SA_SIGINFO | SA_RESETHAND);
            old->sa_handler = SIG_DFL;
        }
        h(sig, si, ctx);
        return;
    }
    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        void (*h)(int) = old->sa_handler;
        if (old->sa_flags & SA_RESETHAND)
            old->sa_handler = SIG_DFL;
        h(sig);
        return;
    }
    /* Default (an ignored fault is fatal too): take the default action
     * back, then let the fault happen again, or re-send a signal that was
     * sent rather than caused (it is delivered once this returns). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    const code_slot *c = code_find(pc);
    if (c) {
        uintptr_t base = (uintptr_t)uc->uc_mcontext.gregs[c->base_greg];
        uintptr_t addr = (uintptr_t)si->si_addr;
        if (addr >= base && addr - base < c->span) {
            /* resume as if the faulting instruction called `resume`: it
             * finds the pc on the stack (jit.c's trap stubs) */
            uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 8;
            memcpy((void *)sp, &pc, sizeof pc);
            uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
            uc->uc_mcontext.gregs[REG_RIP] = (greg_t)c->resume;
            return;
        }
    }
    int saved = errno;
    fault_chain(sig, si, ctx);
    errno = saved;
}

static void thread_rec_free(void *p)
{
    (void)p;
    thread_rec *t = &thread_state;
    if (!t->alt)
        return;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == t->alt) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    }
    munmap(t->alt, KN_ALT_STACK);
    t->alt = NULL;
}

static void fault_install(void)
{
    thread_key_ok = pthread_key_create(&thread_key, thread_rec_free) == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &fault_old_segv) != 0)
        return;
    if (sigaction(SIGBUS, &sa, &fault_old_bus) != 0) {
        sigaction(SIGSEGV, &fault_old_segv, NULL);
        return;
    }
    /* A sanitizer may refuse a SEGV handler without saying so: believe
     * only what is in place. */
    struct sigaction now;
    fault_ready = sigaction(SIGSEGV, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
                  now.sa_sigaction == on_fault;
}

bool kn_os_fault_init(void)
{
    pthread_once(&fault_once, fault_install);
    return fault_ready;
}

bool kn_os_code_register(const void *start, uint64_t len, const void *resume, unsigned base_reg,
                         uint64_t span)
{
    if (base_reg > 15)
        return false;
    pthread_mutex_lock(&code_lock);
    code_chunk *c = &code_first;
    code_slot *free_slot = NULL;
    for (;;) {
        for (int i = 0; i < KN_CODE_CHUNK && !free_slot; i++)
            if (!atomic_load_explicit(&c->s[i].start, memory_order_relaxed))
                free_slot = &c->s[i];
        if (free_slot)
            break;
        code_chunk *next = atomic_load_explicit(&c->next, memory_order_relaxed);
        if (!next) {
            next = calloc(1, sizeof *next);
            if (!next)
                break;
            atomic_store_explicit(&c->next, next, memory_order_release);
        }
        c = next;
    }
    if (free_slot) {
        free_slot->end = (uintptr_t)start + len;
        free_slot->resume = (uintptr_t)resume;
        free_slot->span = span;
        free_slot->base_greg = (unsigned)greg_of[base_reg];
        atomic_store_explicit(&free_slot->start, (uintptr_t)start, memory_order_release);
    }
    pthread_mutex_unlock(&code_lock);
    return free_slot != NULL;
}

void kn_os_code_unregister(const void *start)
{
    if (!start)
        return;
    pthread_mutex_lock(&code_lock);
    for (code_chunk *c = &code_first; c; c = atomic_load_explicit(&c->next, memory_order_relaxed))
        for (int i = 0; i < KN_CODE_CHUNK; i++)
            if (atomic_load_explicit(&c->s[i].start, memory_order_relaxed) == (uintptr_t)start)
                atomic_store_explicit(&c->s[i].start, 0, memory_order_release);
    pthread_mutex_unlock(&code_lock);
}

uintptr_t kn_os_thread_prepare(void)
{
    thread_rec *t = &thread_state;
    if (t->ready)
        return t->stack_lo;
    t->ready = true;
    pthread_once(&fault_once, fault_install);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        size_t guard = 0;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            pthread_attr_getguardsize(&attr, &guard);
            /* glibc counts a thread's guard page in its stack: skip it.
             * The main thread's stack grows on demand, and the kernel
             * stops it a gap (stack_guard_gap, 1 MiB by default) above
             * the mapping below, which glibc's bound does not count. */
            if ((pid_t)syscall(SYS_gettid) == getpid())
                guard = (size_t)1 << 20;
            t->stack_lo = (uintptr_t)lo + guard;
        }
        pthread_attr_destroy(&attr);
    }
    stack_t cur;
    if (thread_key_ok && sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
        void *p = mmap(NULL, KN_ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p != MAP_FAILED) {
            stack_t ss = {.ss_sp = p, .ss_size = KN_ALT_STACK};
            /* The key first: its destructor takes the stack down at exit. */
            t->alt = p;
            if (pthread_setspecific(thread_key, t) != 0 || sigaltstack(&ss, NULL) != 0) {
                t->alt = NULL;
                munmap(p, KN_ALT_STACK);
            }
        }
    }
    return t->stack_lo;
}

/* ---- Files -------------------------------------------------------------- */

int kn_os_read_file(const char *path, void *(*alloc)(void *ud, size_t n), void *ud,
                    uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = fstat(fd, &st) != 0        ? errno
            : !S_ISREG(st.st_mode)     ? EINVAL
            : (uint64_t)st.st_size > SIZE_MAX - 1 ? EFBIG
                                       : 0;
    if (e) {
        close(fd);
        return e;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = alloc(ud, n ? n : 1);
    if (!p) {
        close(fd);
        return ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;   /* shrank meanwhile: what was read is what there is */
        got += (size_t)r;
    }
    close(fd);
    *out = p;
    *len = got;
    return 0;
}

int kn_os_write_file_atomic(const char *path, const void *bytes, size_t len)
{
    char tmp[4096];
    /* pid and thread id: two writers of one entry never share a file */
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%ld", path, (long)getpid(),
                     (long)syscall(SYS_gettid));
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    const uint8_t *p = bytes;
    size_t done = 0;
    int e = 0;
    while (done < len) {
        ssize_t r = write(fd, p + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = r < 0 ? errno : EIO;
            break;
        }
        done += (size_t)r;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e)
        unlink(tmp);
    return e;
}

int kn_os_mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return n ? ENAMETOOLONG : ENOENT;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return errno;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* ---- Build id ------------------------------------------------------------ */

typedef struct build_id_search {
    uintptr_t addr;
    uint8_t *out;
    size_t cap, len;
} build_id_search;

static int build_id_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    build_id_search *s = data;
    bool mine = false;
    for (int i = 0; i < info->dlpi_phnum && !mine; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        mine = ph->p_type == PT_LOAD && s->addr >= start && s->addr - start < ph->p_memsz;
    }
    if (!mine)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        size_t off = 0;
        while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
            ElfW(Nhdr) nh;
            memcpy(&nh, p + off, sizeof nh);
            size_t name_at = off + sizeof nh;
            size_t desc_at = name_at + ((nh.n_namesz + 3) & ~(size_t)3);
            size_t next = desc_at + ((nh.n_descsz + 3) & ~(size_t)3);
            if (next > ph->p_memsz)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp(p + name_at, "GNU", 4) == 0) {
                s->len = nh.n_descsz < s->cap ? nh.n_descsz : s->cap;
                memcpy(s->out, p + desc_at, s->len);
                return 1;
            }
            off = next;
        }
    }
    return 1;
}

size_t kn_os_build_id(uint8_t *out, size_t cap)
{
    build_id_search s = {(uintptr_t)&build_id_object, out, cap, 0};
    dl_iterate_phdr(build_id_object, &s);
    return s.len;
}
