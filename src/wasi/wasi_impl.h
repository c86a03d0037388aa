/*
 * wasi_impl.h — what the files of src/wasi/ share: the WASI preview1 ABI
 * constants (errno, rights, file types, flags, structure layouts, as the
 * WASI docs define them), the file descriptor table, the per-call context
 * that bounds-checks every guest pointer, and the confined path resolver.
 *
 * The layer sees only kiln.h and kiln_wasi.h, like any embedder.  Every
 * function that implements an import returns a WASI errno; guest memory is
 * reached only through wasi_mem(), which returns NULL (errno `fault`) for
 * any range that is not wholly inside linear memory, so a hostile pointer
 * can never make the host read or write outside it.  Guest structures are
 * little-endian and unaligned, so they are read and written byte-wise.
 * What the files share is named kn_wasi_* (the library's private prefix),
 * so that none of it lands in an embedder's namespace.
 */
#ifndef KN_WASI_IMPL_H
#define KN_WASI_IMPL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kiln.h"
#include "kiln_wasi.h"
#include "kn_alloc.h"

/* ---- errno ------------------------------------------------------------- */
enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
    WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11,
    WASI_ECHILD = 12, WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14,
    WASI_ECONNRESET = 15, WASI_EDEADLK = 16, WASI_EDESTADDRREQ = 17, WASI_EDOM = 18,
    WASI_EDQUOT = 19, WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22,
    WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24, WASI_EILSEQ = 25, WASI_EINPROGRESS = 26,
    WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISCONN = 30,
    WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37,
    WASI_ENETDOWN = 38, WASI_ENETRESET = 39, WASI_ENETUNREACH = 40, WASI_ENFILE = 41,
    WASI_ENOBUFS = 42, WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45,
    WASI_ENOLCK = 46, WASI_ENOLINK = 47, WASI_ENOMEM = 48, WASI_ENOMSG = 49,
    WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51, WASI_ENOSYS = 52, WASI_ENOTCONN = 53,
    WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55, WASI_ENOTRECOVERABLE = 56,
    WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59, WASI_ENXIO = 60,
    WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62, WASI_EPERM = 63, WASI_EPIPE = 64,
    WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71,
    WASI_ESTALE = 72, WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76,
};

/* The WASI errno for a host errno value. */
uint32_t kn_wasi_errno_from_host(int host_errno);

/* ---- rights -------------------------------------------------------------- */
#define WASI_BIT(n) ((uint64_t)1 << (n))
enum {
    WASI_RIGHT_FD_DATASYNC = 0, WASI_RIGHT_FD_READ, WASI_RIGHT_FD_SEEK,
    WASI_RIGHT_FD_FDSTAT_SET_FLAGS, WASI_RIGHT_FD_SYNC, WASI_RIGHT_FD_TELL,
    WASI_RIGHT_FD_WRITE, WASI_RIGHT_FD_ADVISE, WASI_RIGHT_FD_ALLOCATE,
    WASI_RIGHT_PATH_CREATE_DIRECTORY, WASI_RIGHT_PATH_CREATE_FILE,
    WASI_RIGHT_PATH_LINK_SOURCE, WASI_RIGHT_PATH_LINK_TARGET, WASI_RIGHT_PATH_OPEN,
    WASI_RIGHT_FD_READDIR, WASI_RIGHT_PATH_READLINK, WASI_RIGHT_PATH_RENAME_SOURCE,
    WASI_RIGHT_PATH_RENAME_TARGET, WASI_RIGHT_PATH_FILESTAT_GET,
    WASI_RIGHT_PATH_FILESTAT_SET_SIZE, WASI_RIGHT_PATH_FILESTAT_SET_TIMES,
    WASI_RIGHT_FD_FILESTAT_GET, WASI_RIGHT_FD_FILESTAT_SET_SIZE,
    WASI_RIGHT_FD_FILESTAT_SET_TIMES, WASI_RIGHT_PATH_SYMLINK,
    WASI_RIGHT_PATH_REMOVE_DIRECTORY, WASI_RIGHT_PATH_UNLINK_FILE,
    WASI_RIGHT_POLL_FD_READWRITE, WASI_RIGHT_SOCK_SHUTDOWN, WASI_RIGHT_SOCK_ACCEPT,
};
#define RIGHT(name) WASI_BIT(WASI_RIGHT_##name)
#define WASI_RIGHTS_ALL (WASI_BIT(30) - 1)

/* What a read-only file may do, then what writing adds. */
#define WASI_RIGHTS_FILE_READ                                                          \
    (RIGHT(FD_READ) | RIGHT(FD_SEEK) | RIGHT(FD_TELL) | RIGHT(FD_ADVISE) |             \
     RIGHT(FD_FILESTAT_GET) | RIGHT(FD_FDSTAT_SET_FLAGS) | RIGHT(FD_SYNC) |            \
     RIGHT(FD_DATASYNC) | RIGHT(POLL_FD_READWRITE))
#define WASI_RIGHTS_FILE_WRITE                                                         \
    (RIGHT(FD_WRITE) | RIGHT(FD_ALLOCATE) | RIGHT(FD_FILESTAT_SET_SIZE) |              \
     RIGHT(FD_FILESTAT_SET_TIMES))
/* What a directory in a read-only grant may do, then what writing adds. */
#define WASI_RIGHTS_DIR_READ                                                           \
    (RIGHT(FD_FDSTAT_SET_FLAGS) | RIGHT(FD_SYNC) | RIGHT(FD_DATASYNC) |                \
     RIGHT(FD_ADVISE) | RIGHT(PATH_OPEN) | RIGHT(FD_READDIR) | RIGHT(PATH_READLINK) |  \
     RIGHT(PATH_FILESTAT_GET) | RIGHT(FD_FILESTAT_GET) | RIGHT(POLL_FD_READWRITE))
#define WASI_RIGHTS_DIR_WRITE                                                          \
    (RIGHT(PATH_CREATE_DIRECTORY) | RIGHT(PATH_CREATE_FILE) | RIGHT(PATH_LINK_SOURCE) | \
     RIGHT(PATH_LINK_TARGET) | RIGHT(PATH_RENAME_SOURCE) | RIGHT(PATH_RENAME_TARGET) |  \
     RIGHT(PATH_FILESTAT_SET_SIZE) | RIGHT(PATH_FILESTAT_SET_TIMES) |                  \
     RIGHT(FD_FILESTAT_SET_TIMES) | RIGHT(PATH_SYMLINK) | RIGHT(PATH_REMOVE_DIRECTORY) | \
     RIGHT(PATH_UNLINK_FILE))
#define WASI_RIGHTS_SOCKET                                                             \
    (RIGHT(FD_READ) | RIGHT(FD_WRITE) | RIGHT(FD_FDSTAT_SET_FLAGS) |                   \
     RIGHT(FD_FILESTAT_GET) | RIGHT(POLL_FD_READWRITE) | RIGHT(SOCK_SHUTDOWN))
/* A listener: fd_read so that it can be polled for a connection to accept. */
#define WASI_RIGHTS_LISTENER                                                           \
    (RIGHT(FD_READ) | RIGHT(FD_FDSTAT_SET_FLAGS) | RIGHT(FD_FILESTAT_GET) |             \
     RIGHT(POLL_FD_READWRITE) | RIGHT(SOCK_ACCEPT))
/* A terminal or pipe: no seek or tell (wasi-libc's isatty looks for that
 * and a character device). */
#define WASI_RIGHTS_STREAM                                                             \
    (RIGHT(FD_READ) | RIGHT(FD_WRITE) | RIGHT(FD_FDSTAT_SET_FLAGS) |                   \
     RIGHT(FD_FILESTAT_GET) | RIGHT(POLL_FD_READWRITE) | RIGHT(FD_ADVISE) |            \
     RIGHT(FD_SYNC) | RIGHT(FD_DATASYNC))

/* ---- other ABI constants --------------------------------------------------- */
enum {
    WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE, WASI_FILETYPE_CHARACTER_DEVICE,
    WASI_FILETYPE_DIRECTORY, WASI_FILETYPE_REGULAR_FILE, WASI_FILETYPE_SOCKET_DGRAM,
    WASI_FILETYPE_SOCKET_STREAM, WASI_FILETYPE_SYMBOLIC_LINK,
};
enum { WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
       WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16 };
enum { WASI_OFLAG_CREAT = 1, WASI_OFLAG_DIRECTORY = 2, WASI_OFLAG_EXCL = 4,
       WASI_OFLAG_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };
enum { WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC, WASI_CLOCK_PROCESS_CPUTIME,
       WASI_CLOCK_THREAD_CPUTIME };

/* ---- state ------------------------------------------------------------------ */

/* An in-memory standard stream: stdin reads a borrowed buffer, stdout and
 * stderr append to a buffer of the kiln_wasi's, capped at max bytes. */
typedef struct wasi_memstream {
    const uint8_t *in;
    size_t in_len, in_pos;
    uint8_t *out;
    size_t out_len, out_cap, out_max;
    bool on;              /* the config asked for it */
} wasi_memstream;

typedef struct wasi_fd {
    int host;             /* host fd; -1: no host fd (free unless mem) */
    wasi_memstream *mem;  /* an in-memory stream (kiln_wasi.mem), else NULL */
    uint8_t type;         /* WASI_FILETYPE_* */
    uint64_t base;        /* rights on this fd */
    uint64_t inheriting;  /* rights of fds opened through it */
    const char *preopen;  /* a preopened directory's guest path (in
                             kiln_wasi.preopens), else NULL */
    bool readonly;        /* opened through a read-only grant */
    bool rsync;           /* opened with fdflags rsync (O_RSYNC is O_SYNC on
                           * Linux, so F_GETFL cannot tell) */
    DIR *dir;             /* fd_readdir's stream, made on first use */
    uint64_t dir_next;    /* the cookie (entry index) dir reads next */
} wasi_fd;

struct kiln_wasi {
    kn_allocator alloc;   /* the config's: every block below, and per call */
    wasi_fd *fds;
    uint32_t nfds, capfds;
    /* argv and environ as wasi-libc wants them: NUL-terminated strings one
     * after another, and their count. */
    char *args, *env;
    char *preopens;       /* the preopens' guest paths, NUL-terminated */
    uint32_t nargs, args_size, nenv, env_size;
    bool walk;            /* resolve paths with kiln's own walk */
    /* The host fds stdio was duplicated from and their file status flags
     * then (-1: none): the guest shares their open file descriptions, and
     * a guest that sets O_NONBLOCK on stdin must not leave the embedder's
     * terminal non-blocking. */
    int stdio_host[3], stdio_flags[3];
    wasi_memstream mem[3];  /* in-memory stdio, for the fds whose mem is set */
    kiln_wasi_trace_fn trace;  /* kiln_wasi_config_trace, or NULL */
    void *trace_ud;
};

/* One host call: the WASI state and the caller's memory, fetched afresh per
 * call because memory.grow may move or resize it between calls. */
typedef struct wasi_call {
    kiln_wasi *w;
    kiln_store *store;    /* the caller's, for its deadline and interrupt */
    kiln_memory *memory;  /* whose bytes mem is: writes are reported to it */
    uint8_t *mem;
    uint64_t memsize;
    kiln_error *trap;     /* set to end the guest (proc_exit, proc_raise) */
} wasi_call;

/* [ptr, ptr+len) of guest memory to read, or NULL if any of it is
 * outside. */
static inline const uint8_t *wasi_mem_in(const wasi_call *c, uint32_t ptr, uint64_t len)
{
    if (!c->mem || (uint64_t)ptr > c->memsize || len > c->memsize - ptr)
        return NULL;
    return c->mem + ptr;
}

/* The same, to write (or read and write): the range is reported to kiln
 * as written (kiln_memory_wrote), so that a pooled instance's reset
 * rewrites it.  Every write to guest memory goes through a pointer from
 * here; the const one above cannot be written through. */
static inline uint8_t *wasi_mem(const wasi_call *c, uint32_t ptr, uint64_t len)
{
    const uint8_t *p = wasi_mem_in(c, ptr, len);
    if (p)
        kiln_memory_wrote(c->memory, ptr, len);
    return (uint8_t *)p;
}

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* Store a u32 / u64 result at a guest address: an errno. */
static inline uint32_t wasi_put32(const wasi_call *c, uint32_t ptr, uint32_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 4);
    if (!p)
        return WASI_EFAULT;
    put32(p, v);
    return WASI_ESUCCESS;
}
static inline uint32_t wasi_put64(const wasi_call *c, uint32_t ptr, uint64_t v)
{
    uint8_t *p = wasi_mem(c, ptr, 8);
    if (!p)
        return WASI_EFAULT;
    put64(p, v);
    return WASI_ESUCCESS;
}

/* Whether an fd slot is open (a host fd or an in-memory stream). */
static inline bool wasi_fd_open(const wasi_fd *f) { return f->host >= 0 || f->mem; }
/* fd_read / fd_write on an in-memory stream (wasi.c). */
uint32_t kn_wasi_mem_xfer(wasi_call *c, wasi_fd *f, uint32_t iovs, uint32_t n, bool reading,
                          uint8_t *out);

/* The open fd `fd` holding every right in `need`, or NULL with *err set to
 * badf (no such fd) or notcapable (a right is missing). */
wasi_fd *kn_wasi_fd_get(kiln_wasi *w, uint32_t fd, uint64_t need, uint32_t *err);
/* Blocking calls and the store's limits.  Before a read, write or accept
 * that could block on fd f: wait until it is ready or the caller's
 * deadline passes (then c->trap is the limit error); 0 means go ahead.
 * After a call failed with host errno e: the WASI errno, and if it was
 * EINTR from an interrupt (Ctrl-C), c->trap set to end the guest. */
uint32_t kn_wasi_wait_ready(wasi_call *c, const wasi_fd *f, short events);
uint32_t kn_wasi_blocked_errno(wasi_call *c, int e);
/* Install host fd as the lowest free guest fd; returns the guest fd via *out
 * or an errno (and closes host). */
uint32_t kn_wasi_fd_add(kiln_wasi *w, int host, uint8_t type, uint64_t base,
                        uint64_t inheriting, uint32_t *out);
/* Close a slot's host resources and mark it free. */
void kn_wasi_fd_release(wasi_fd *f);
/* The WASI file type of a host mode (st_mode). */
uint8_t kn_wasi_filetype_of_mode(unsigned mode);
/* Every right an fd of this type may have; host is the fd itself, asked
 * whether a character device is a terminal. */
uint64_t kn_wasi_type_rights(int host, uint8_t type);

/* ---- paths ------------------------------------------------------------------ */

/* Longest path the guest may pass, and longest single component. */
#define WASI_PATH_MAX 4096
#define WASI_NAME_MAX 255

/* Resolve guest path (len bytes, not NUL-terminated) under the directory
 * dirfd so that no step leaves it.  On success *parent is a new host fd
 * (O_PATH) of the directory holding the last component and name holds that
 * component, never "..", "." when the path names the directory itself.
 * follow: also resolve a symlink in the last component (the result is then
 * never a symlink).  Returns an errno. */
uint32_t kn_wasi_resolve(kiln_wasi *w, int dirfd, const uint8_t *path, uint32_t len,
                         bool follow, int *parent, char name[WASI_NAME_MAX + 1]);

/* ---- the imports ---------------------------------------------------------------- */

typedef uint32_t (*wasi_handler)(wasi_call *c, const kiln_val *a);

/* Argument i of a call as the unsigned integer the ABI means. */
#define A32(i) ((uint32_t)a[i].of.i32)
#define A64(i) ((uint64_t)a[i].of.i64)

/* One import: its name, its parameter kinds as letters ('i' i32, 'I' i64)
 * and the function that implements it.  Every import returns an errno (i32)
 * except proc_exit, which returns nothing. */
typedef struct wasi_import {
    const char *name;
    const char *params;
    wasi_handler fn;
    bool noresult;        /* proc_exit: returns nothing */
} wasi_import;

#define WASI_IMPORT(name, params) {#name, params, wasi_##name, false}
/* Each file's table of the imports it implements, and their counts. */
extern const wasi_import kn_wasi_fd_imports[], kn_wasi_path_imports[], kn_wasi_proc_imports[],
    kn_wasi_poll_imports[], kn_wasi_sock_imports[];
extern const size_t kn_wasi_fd_nimports, kn_wasi_path_nimports, kn_wasi_proc_nimports,
    kn_wasi_poll_nimports, kn_wasi_sock_nimports;

/* Run one import for a trampoline: imp->fn, then, when the kiln_wasi is
 * traced, one line describing the call and its errno (trace.c). */
uint32_t kn_wasi_dispatch(wasi_call *c, const wasi_import *imp, const kiln_val *a);

/* Gather guest iovecs (8 bytes each: buf, len) at iovs into host ones;
 * an errno (`fault` for anything outside memory, `inval` for more than
 * WASI_IOV_MAX).  Shared by fd_read/fd_write/fd_pread/fd_pwrite and
 * sock_recv/sock_send. */
#define WASI_IOV_MAX 1024
struct iovec;
uint32_t kn_wasi_iovecs(const wasi_call *c, uint32_t iovs, uint32_t n, bool into,
                        struct iovec *out);

/* The two timespecs of futimens/utimensat for WASI's (atim, mtim, flags);
 * an errno for contradictory flags. */
struct timespec;
uint32_t kn_wasi_times(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]);

/* Fill a 64-byte WASI filestat from a host stat. */
struct stat;
void kn_wasi_put_filestat(uint8_t *p, const struct stat *st);

#endif
