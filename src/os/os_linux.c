/*
 * os_linux.c — os.h on Linux (and other POSIX systems with mmap and
 * CLOCK_MONOTONIC).
 *
 * Reservations are PROT_NONE private anonymous mappings with MAP_NORESERVE,
 * so a 4 GiB reservation costs neither memory nor commit charge until pages
 * are made read/write; a touch outside the committed part faults instead of
 * reading someone else's data.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <time.h>
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
