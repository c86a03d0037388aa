/*
 * trace.c — `--trace=wasi`: each WASI call as one line of text, as strace
 * shows system calls (kiln_wasi_config_trace in kiln_wasi.h).
 *
 * Every import has a small argument spec below, one letter per argument
 * (or per pointer/length pair), saying how to show it: fds and sizes in
 * decimal, pointers in hex, paths and written bytes quoted from guest
 * memory, flags by name; out-parameters are shown after the result, read
 * back from memory when the call succeeded.  Everything is formatted after
 * the call into a fixed buffer (long strings are cut), never allocating,
 * and guest memory is read only through wasi_mem's bounds checks, so a
 * hostile pointer is shown as a number.  The library never prints: the
 * line goes to the embedder's callback.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "wasi_impl.h"

/* Argument specs, one token per argument or pair:
 *   f fd    u u32   U u64   I s64   x pointer (hex)   X u64 in hex (rights)
 *   s path or string: pointer and length, quoted
 *   w iovecs written: pointer and count; r iovecs to read into
 *   l lookupflags   o oflags   F fdflags   W whence   c clock id
 *   t fstflags      a advice
 *   4NAME 8NAME dNAME  an out-pointer: after success, NAME=the u32, the
 *       u64 or the fd stored there (not shown among the arguments)
 *   n   an out-buffer (pointer and length) holding a name after success:
 *       shown quoted then, as a pointer otherwise
 *   -   an argument not shown */
static const struct {
    const char *name, *spec;
} specs[] = {
    {"args_get", "x x"}, {"args_sizes_get", "4argc 4size"},
    {"environ_get", "x x"}, {"environ_sizes_get", "4count 4size"},
    {"clock_res_get", "c 8resolution"}, {"clock_time_get", "c U 8time"},
    {"fd_advise", "f U U a"}, {"fd_allocate", "f U U"}, {"fd_close", "f"},
    {"fd_datasync", "f"}, {"fd_fdstat_get", "f x"}, {"fd_fdstat_set_flags", "f F"},
    {"fd_fdstat_set_rights", "f X X"}, {"fd_filestat_get", "f x"},
    {"fd_filestat_set_size", "f U"}, {"fd_filestat_set_times", "f U U t"},
    {"fd_pread", "f r U 4nread"}, {"fd_prestat_get", "f x"},
    {"fd_prestat_dir_name", "f n"}, {"fd_pwrite", "f w U 4nwritten"},
    {"fd_read", "f r 4nread"}, {"fd_readdir", "f x u U 4bufused"}, {"fd_renumber", "f f"},
    {"fd_seek", "f I W 8offset"}, {"fd_sync", "f"}, {"fd_tell", "f 8offset"},
    {"fd_write", "f w 4nwritten"}, {"path_create_directory", "f s"},
    {"path_filestat_get", "f l s x"}, {"path_filestat_set_times", "f l s U U t"},
    {"path_link", "f l s f s"}, {"path_open", "f l s o X X F dfd"},
    {"path_readlink", "f s x u 4bufused"}, {"path_remove_directory", "f s"},
    {"path_rename", "f s f s"}, {"path_symlink", "s f s"}, {"path_unlink_file", "f s"},
    {"poll_oneoff", "x x u 4nevents"}, {"proc_exit", "u"}, {"proc_raise", "u"},
    {"sched_yield", ""}, {"random_get", "x u"}, {"sock_accept", "f F dfd"},
    {"sock_recv", "f r u 4nread -"}, {"sock_send", "f w u 4nwritten"},
    {"sock_shutdown", "f u"},
};

static const char *const errno_names[] = {
    "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN",
    "EALREADY", "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST",
    "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM", "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL",
    "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK", "EMSGSIZE", "EMULTIHOP",
    "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS", "ENODEV",
    "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
    "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP",
    "ENOTTY", "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO",
    "EPROTONOSUPPORT", "EPROTOTYPE", "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE",
    "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
};

typedef struct line {
    char buf[1024];
    size_t len;
} line;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(line *l, const char *fmt, ...)
{
    if (l->len >= sizeof l->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < sizeof l->buf - l->len ? (size_t)n : sizeof l->buf - 1 - l->len;
}

/* Bytes as a C string literal body, at most max of them. */
static void put_bytes(line *l, const uint8_t *p, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max; i++) {
        uint8_t c = p[i];
        if (c == '\n')
            put(l, "\\n");
        else if (c == '\t')
            put(l, "\\t");
        else if (c == '"' || c == '\\')
            put(l, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            put(l, "\\x%02x", c);
        else
            put(l, "%c", c);
    }
}

static void put_string(line *l, const wasi_call *c, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = wasi_mem_in(c, ptr, len);
    if (!p) {
        put(l, "0x%" PRIx32 " (bad pointer, %" PRIu32 " bytes)", ptr, len);
        return;
    }
    put(l, "\"");
    put_bytes(l, p, len, 256);
    put(l, len > 256 ? "\"..." : "\"");
}

/* Written iovecs: their count and the first bytes of their data. */
static void put_iovs(line *l, const wasi_call *c, uint32_t iovs, uint32_t n, bool writing)
{
    put(l, "[%" PRIu32 " iov%s", n, n == 1 ? "" : "s");
    const uint8_t *v = wasi_mem_in(c, iovs, (uint64_t)n * 8);
    if (!v) {
        put(l, " at bad pointer 0x%" PRIx32 "]", iovs);
        return;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += get32(v + 8 * i + 4);
    if (!writing) {
        put(l, ", %" PRIu64 " bytes]", total);
        return;
    }
    put(l, ": \"");
    size_t shown = 0, max = 64;
    for (uint32_t i = 0; i < n && shown < max; i++) {
        uint32_t len = get32(v + 8 * i + 4);
        const uint8_t *p = wasi_mem_in(c, get32(v + 8 * i), len);
        if (!p)
            break;
        put_bytes(l, p, len, max - shown);
        shown += len;
    }
    put(l, total > max ? "\"... %" PRIu64 " bytes]" : "\"]", total);
}

/* Flags by name, '|'-separated, the unknown bits in hex; "0" for none. */
static void put_flags(line *l, uint32_t v, const char *const *names, unsigned nbits)
{
    if (!v) {
        put(l, "0");
        return;
    }
    const char *sep = "";
    for (unsigned b = 0; b < nbits; b++)
        if (v & (1u << b) && names[b]) {
            put(l, "%s%s", sep, names[b]);
            sep = "|";
            v &= ~(1u << b);
        }
    if (v)
        put(l, "%s0x%" PRIx32, sep, v);
}

static void put_enum(line *l, uint32_t v, const char *const *names, unsigned n)
{
    if (v < n)
        put(l, "%s", names[v]);
    else
        put(l, "%" PRIu32, v);
}

static const char *const lookup_names[] = {"SYMLINK_FOLLOW"};
static const char *const oflag_names[] = {"CREAT", "DIRECTORY", "EXCL", "TRUNC"};
static const char *const fdflag_names[] = {"APPEND", "DSYNC", "NONBLOCK", "RSYNC", "SYNC"};
static const char *const fst_names[] = {"ATIM", "ATIM_NOW", "MTIM", "MTIM_NOW"};
static const char *const whence_names[] = {"SET", "CUR", "END"};
static const char *const clock_names[] = {"REALTIME", "MONOTONIC", "PROCESS_CPUTIME",
                                          "THREAD_CPUTIME"};
static const char *const advice_names[] = {"NORMAL", "SEQUENTIAL", "RANDOM", "WILLNEED",
                                           "DONTNEED", "NOREUSE"};

/* One argument (or pair) by its spec letter; returns how many it used. */
static size_t put_arg(line *l, const wasi_call *c, char k, const kiln_val *a, bool ok)
{
    switch (k) {
    case 'f': case 'u': put(l, "%" PRIu32, A32(0)); return 1;
    case 'U': put(l, "%" PRIu64, A64(0)); return 1;
    case 'I': put(l, "%" PRId64, (int64_t)A64(0)); return 1;
    case 'x': put(l, "0x%" PRIx32, A32(0)); return 1;
    case 'X': put(l, "0x%" PRIx64, A64(0)); return 1;
    case 's': put_string(l, c, A32(0), A32(1)); return 2;
    case 'n':
        if (ok)
            put_string(l, c, A32(0), A32(1));
        else
            put(l, "0x%" PRIx32 ", %" PRIu32, A32(0), A32(1));
        return 2;
    case 'w': case 'r': put_iovs(l, c, A32(0), A32(1), k == 'w'); return 2;
    case 'l': put_flags(l, A32(0), lookup_names, 1); return 1;
    case 'o': put_flags(l, A32(0), oflag_names, 4); return 1;
    case 'F': put_flags(l, A32(0), fdflag_names, 5); return 1;
    case 't': put_flags(l, A32(0), fst_names, 4); return 1;
    case 'W': put_enum(l, A32(0), whence_names, 3); return 1;
    case 'c': put_enum(l, A32(0), clock_names, 4); return 1;
    case 'a': put_enum(l, A32(0), advice_names, 6); return 1;
    default: return 1;
    }
}

/* name=value of an out-pointer, when the call succeeded. */
static void put_out(line *l, const wasi_call *c, const char *tok, size_t toklen, uint32_t ptr)
{
    const uint8_t *p = wasi_mem_in(c, ptr, tok[0] == '8' ? 8 : 4);
    if (!p)
        return;
    put(l, " %.*s=", (int)(toklen - 1), tok + 1);
    if (tok[0] == '8')
        put(l, "%" PRIu64, get64(p));
    else
        put(l, "%" PRIu32, get32(p));
}

static void format_call(line *l, const wasi_call *c, const wasi_import *imp, const char *spec,
                        const kiln_val *a, uint32_t err)
{
    size_t nargs = strlen(imp->params), i = 0;
    put(l, "%s(", imp->name);
    const char *sep = "";
    for (const char *t = spec; *t && i < nargs;) {
        size_t len = strcspn(t, " ");
        if (*t == '4' || *t == '8' || *t == 'd' || *t == '-') {
            i++;
        } else {
            put(l, "%s", sep);
            i += put_arg(l, c, *t, a + i, err == 0 && !c->trap);
            sep = ", ";
        }
        t += len + (t[len] == ' ');
    }
    put(l, ")");
    if (imp->noresult)
        return;
    if (c->trap) {
        put(l, " = ? (the guest was stopped: %s)", kiln_error_message(c->trap));
        return;
    }
    if (err) {
        put(l, " = %s", err < sizeof errno_names / sizeof *errno_names ? errno_names[err] : "?");
        if (err == WASI_ENOTCAPABLE)
            put(l, " (refused by kiln's sandbox)");
        return;
    }
    put(l, " = 0");
    i = 0;
    for (const char *t = spec; *t && i < nargs; i++) {
        size_t len = strcspn(t, " ");
        if (*t == '4' || *t == '8' || *t == 'd')
            put_out(l, c, t, len, A32(i));
        else if (*t == 's' || *t == 'w' || *t == 'r' || *t == 'n')
            i++; /* a pair */
        t += len + (t[len] == ' ');
    }
}

uint32_t kn_wasi_dispatch(wasi_call *c, const wasi_import *imp, const kiln_val *a)
{
    uint32_t err = imp->fn(c, a);
    kiln_wasi *w = c->w;
    if (!w->trace)
        return err;
    const char *spec = "";
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
        if (strcmp(specs[i].name, imp->name) == 0)
            spec = specs[i].spec;
    line l = {.len = 0};
    l.buf[0] = 0;
    format_call(&l, c, imp, spec, a, err);
    w->trace(w->trace_ud, l.buf);
    return err;
}
