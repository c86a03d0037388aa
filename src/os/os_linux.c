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
 * page cache until written, and madvise(MADV_DONTNEED) on a private
 * mapping drops the written copies, so a reset is one system call whose
 * cost is the pages touched.  Decommitting maps fresh PROT_NONE memory
 * with the reservation's own flags over the range, which frees the pages
 * and lets the kernel merge the range back into the reservation's mapping
 * (no growth of /proc/self/maps over many grow/reset cycles).
 */
#include <errno.h>
#include <fcntl.h>
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

bool kn_os_reset(void *addr, uint64_t bytes)
{
    if (bytes == 0)
        return true;
    if (bytes > SIZE_MAX)
        return false;
    return madvise(addr, (size_t)bytes, MADV_DONTNEED) == 0;
}

int kn_os_image_new(const void *bytes, uint64_t len)
{
    if (len > SIZE_MAX || len > INT64_MAX)
        return -1;
    int fd = memfd_create("kiln-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -1;
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
    return fd;
fail:
    close(fd);
    return -1;
}

void kn_os_image_free(int image)
{
    if (image >= 0)
        close(image);
}

bool kn_os_map_image(void *addr, int image, uint64_t len)
{
    if (len == 0)
        return true;
    if (len > SIZE_MAX)
        return false;
    void *p = mmap(addr, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, image, 0);
    return p != MAP_FAILED;
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
