/*
 * kiln_wasi.h — WASI preview1 (`wasi_snapshot_preview1`) for kiln, with a
 * capability sandbox.  Built on kiln.h like any embedder's host functions.
 *
 * A guest has no authority but what its configuration grants: no directory,
 * no environment variable and no socket is visible unless it was added here.
 * The three standard streams are inherited unless set otherwise.
 *
 *   kiln_wasi_config  what to grant: arguments, environment, preopened
 *                     directories (read-write or read-only), listening
 *                     sockets, stdio.  Plain data; nothing is opened yet.
 *   kiln_wasi         one guest's WASI state: its file descriptor table,
 *                     with every grant opened.  Made from a config (which
 *                     can then be freed or reused), used by one store.
 *
 * Usage: kiln_wasi_new(config) → kiln_wasi_define(wasi, store, linker) →
 * kiln_linker_instantiate → kiln_call(_start).  Or, for many short runs
 * (a server), once kiln_wasi_define_template(builder) → kiln_template_new,
 * then per run kiln_wasi_new(config) → kiln_template_instantiate(template,
 * limits, wasi, ...) → kiln_call(_start) → kiln_store_free, kiln_wasi_free.  A guest's proc_exit ends
 * the call with KILN_TRAP_EXIT and kiln_error_exit_code() gives the code.
 * Free the kiln_wasi after the store whose host functions use it, or at
 * least after the last call into that store.  Ownership follows kiln.h.
 *
 * Paths never leave a preopened directory: absolute paths, `..` above the
 * preopen and symlinks that lead outside it (absolute, relative, chained)
 * fail with errno `notcapable`, and so does anything the directory's rights
 * do not allow (every mutating call in a read-only directory).  Resolution
 * is confined by the kernel (Linux openat2 with RESOLVE_BENEATH) when it
 * can be, and by kiln's own walk of the path, one component at a time,
 * otherwise; KILN_WASI_RESOLVE_WALK forces the walk.
 *
 * Blocking calls (poll_oneoff, and fd_read, fd_write, sock_accept,
 * sock_recv, sock_send on pipes, terminals and sockets) block the calling
 * thread, but never past the store's deadline: when it passes, or a signal
 * interrupts the wait after kiln_store_interrupt, the call ends the guest
 * with that limit error.  (kiln_store_interrupt from another thread alone
 * does not wake a blocked call; the deadline does.)
 */
#ifndef KILN_WASI_H
#define KILN_WASI_H

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_wasi_config kiln_wasi_config;
typedef struct kiln_wasi kiln_wasi;

/* The module name WASI preview1 functions are imported from. */
#define KILN_WASI_MODULE "wasi_snapshot_preview1"

KILN_API kiln_error *kiln_wasi_config_new(kiln_wasi_config **out);
/* The same, with an allocator hook (kiln_alloc_fn in kiln.h; NULL for
 * malloc).  kiln_wasi_new does not take an engine, so WASI gets its hook
 * here: the config and every kiln_wasi made from it allocate through it,
 * including the bindings kiln_wasi_define hands to the store and what the
 * WASI functions allocate while the guest calls them (path resolution,
 * poll_oneoff); the store's own objects (the host functions themselves)
 * use the engine's hook.  Pass the engine's hook to have one allocator for
 * everything.  ud must stay valid until the config, every kiln_wasi made
 * from it and every store they were defined in are freed.  Out of memory
 * is KILN_ERR_NOMEM from the functions here; inside a WASI call the guest
 * gets errno `nomem` (48), as WASI specifies, and may carry on.  What libc
 * allocates inside the calls WASI makes (opendir and readdir for
 * fd_readdir, getaddrinfo for listening sockets) cannot be hooked. */
KILN_API kiln_error *kiln_wasi_config_new_alloc(kiln_alloc_fn alloc, void *ud,
                                                kiln_wasi_config **out);
KILN_API void kiln_wasi_config_free(kiln_wasi_config *c);

/* Append one argument to argv (argv[0], by convention the program's name,
 * is the first one added).  The string is copied. */
KILN_API kiln_error *kiln_wasi_config_arg(kiln_wasi_config *c, const char *arg);
/* Add NAME=VALUE to the environment; NAME must be non-empty and hold no
 * '='.  A later definition of the same NAME replaces the earlier one. */
KILN_API kiln_error *kiln_wasi_config_env(kiln_wasi_config *c, const char *name,
                                          const char *value);

typedef enum kiln_wasi_dir_perms {
    KILN_WASI_DIR_READ = 1,      /* list, open and read files, stat */
    KILN_WASI_DIR_WRITE = 2,     /* also create, write, truncate, rename,
                                    link, symlink, unlink, set times */
} kiln_wasi_dir_perms;

/* Grant the host directory host_path to the guest as guest_path (what the
 * guest sees, e.g. "/data" or "."), with perms (KILN_WASI_DIR_READ, or
 * KILN_WASI_DIR_READ | KILN_WASI_DIR_WRITE).  The directory is opened by
 * kiln_wasi_new; preopens get guest fds 3, 4, ... in the order added. */
KILN_API kiln_error *kiln_wasi_config_preopen_dir(kiln_wasi_config *c, const char *host_path,
                                                  const char *guest_path, unsigned perms);
/* Grant a listening TCP socket on ADDR:PORT ("127.0.0.1:8080",
 * "[::1]:0", "localhost:8080"), bound by kiln_wasi_new, for sock_accept.
 * Sockets get the guest fds after the preopened directories. */
KILN_API kiln_error *kiln_wasi_config_tcp_listen(kiln_wasi_config *c, const char *addr);
/* Grant an already listening socket; kiln_wasi_new duplicates host_fd, the
 * caller keeps (and closes) its own. */
KILN_API kiln_error *kiln_wasi_config_preopen_socket(kiln_wasi_config *c, int host_fd);

/* What guest fd 0, 1 or 2 is: by default the host's own fd of that number
 * (inherited).  Any other host_fd >= 0 is duplicated by kiln_wasi_new (the
 * caller keeps its own), or one of these: */
#define KILN_WASI_STDIO_INHERIT (-1) /* the host's fd 0, 1 or 2 */
#define KILN_WASI_STDIO_NULL (-2)    /* /dev/null */
#define KILN_WASI_STDIO_CLOSED (-3)  /* no such fd: calls get `badf` */
KILN_API kiln_error *kiln_wasi_config_stdio(kiln_wasi_config *c, int guest_fd, int host_fd);

/* In-memory stdio, so that a server needs no pipes.  Guest stdin reads the
 * len bytes at bytes, then end of file; the buffer is borrowed, not
 * copied, and must stay valid until every kiln_wasi made while it was set
 * is freed.  Guest stdout (stderr) is captured in a buffer of the
 * kiln_wasi's, at most max_bytes long: a write that would go past the cap
 * stores what fits and reports that shorter count, and one that finds the
 * buffer full fails with errno `fbig` (22), as a file at its size limit
 * does.  To the guest these streams
 * look like pipes (file type unknown, no seek), so wasi-libc buffers them
 * fully.  kiln_wasi_config_stdio on the same fd undoes either. */
KILN_API kiln_error *kiln_wasi_config_stdin_bytes(kiln_wasi_config *c, const void *bytes,
                                                  size_t len);
KILN_API kiln_error *kiln_wasi_config_stdout_buffer(kiln_wasi_config *c, size_t max_bytes);
KILN_API kiln_error *kiln_wasi_config_stderr_buffer(kiln_wasi_config *c, size_t max_bytes);

typedef enum kiln_wasi_resolve {
    KILN_WASI_RESOLVE_AUTO = 0, /* the kernel's confinement if it has it */
    KILN_WASI_RESOLVE_WALK,     /* always kiln's component-by-component walk */
} kiln_wasi_resolve;
KILN_API void kiln_wasi_config_resolve(kiln_wasi_config *c, kiln_wasi_resolve how);

/* Tracing, as strace does for a process: after each WASI call the guest
 * makes, fn(ud, line) gets one line of text (no newline) naming the call,
 * its arguments decoded (paths and written bytes quoted, flags by name)
 * and its result:
 *   fd_write(1, [1 iov: "hello\n"]) = 0 nwritten=6
 *   path_open(3, SYMLINK_FOLLOW, "../secret", 0, ...) = ENOTCAPABLE
 * ENOTCAPABLE is always kiln's sandbox refusing: a path leaving its
 * grant, a right the fd lacks, a write in a read-only directory.  fn runs
 * on the guest's thread inside the call, and line is valid only during
 * it; the library never prints.  NULL fn turns tracing off.  Every
 * kiln_wasi made from c afterwards is traced. */
typedef void (*kiln_wasi_trace_fn)(void *ud, const char *line);
KILN_API void kiln_wasi_config_trace(kiln_wasi_config *c, kiln_wasi_trace_fn fn, void *ud);

/* Open every grant of c.  Fails (KILN_ERR_ARG, naming it) on a directory
 * that cannot be opened, an address that cannot be bound, a bad stdio fd. */
KILN_API kiln_error *kiln_wasi_new(const kiln_wasi_config *c, kiln_wasi **out);
/* Close every fd the guest still has open. */
KILN_API void kiln_wasi_free(kiln_wasi *w);

/* Per request, with one config shared by many: make w's stdin read these
 * bytes (borrowed until w is freed or this is called again) instead of
 * what the config gave fd 0, which is closed. */
KILN_API kiln_error *kiln_wasi_stdin_bytes(kiln_wasi *w, const void *bytes, size_t len);
/* What the guest wrote to a captured stdout or stderr so far: *data (NULL
 * when nothing) stays valid until the guest writes again or w is freed.
 * False if that stream was not configured as a buffer. */
KILN_API bool kiln_wasi_stdout_bytes(const kiln_wasi *w, const uint8_t **data, size_t *len);
KILN_API bool kiln_wasi_stderr_bytes(const kiln_wasi *w, const uint8_t **data, size_t *len);

/* Define every wasi_snapshot_preview1 function in linker, as host functions
 * of store (the store the linker was made for). */
KILN_API kiln_error *kiln_wasi_define(kiln_wasi *w, kiln_store *store, kiln_linker *linker);
/* Define every wasi_snapshot_preview1 function in a template builder, once
 * for all the template's instances: each call finds its kiln_wasi as the
 * user data given to kiln_template_instantiate (a use without one traps).
 * Make one kiln_wasi per use (kiln_wasi_new, cheap with in-memory stdio)
 * and free it after the use's store. */
KILN_API kiln_error *kiln_wasi_define_template(kiln_template_builder *b);
/* The same, for a template whose user data is the embedder's own per-use
 * context rather than a kiln_wasi: each WASI call passes that user data to
 * get, which returns the use's kiln_wasi (NULL traps the call).  get runs
 * on the calling thread, once per WASI call, and must be cheap. */
KILN_API kiln_error *kiln_wasi_define_template_with(kiln_template_builder *b,
                                                    kiln_wasi *(*get)(void *user_data));

#ifdef __cplusplus
}
#endif
#endif
