/*
 * fuzz_wasi.c — libFuzzer target for the WASI layer: the input is guest
 * memory and a sequence of WASI calls with arbitrary arguments, made from
 * Wasm through every wasi_snapshot_preview1 import, in a sandbox of two
 * preopened directories (fd 3 read-write, fd 4 read-only).
 *
 * Besides crashes and sanitizer reports it aborts when the sandbox leaks:
 * a file outside the preopens that changed or appeared, or a change inside
 * the read-only one; and when a host fd outlives its kiln_wasi, or one
 * kiln_wasi did not open is closed (see "host fds" below for how fds of
 * the fuzzing runtime are told apart).  The module is built here from the
 * WASI layer's own import tables (so it always covers every import): for
 * import i an export "f<i>" with the same parameters that calls it and
 * returns its errno.
 *
 * Input: u16 n (its top bit chooses kiln's path walk over openat2), then
 * n bytes copied to guest address 0 (paths, iovecs, structures), then
 * calls: one byte choosing the import, then its arguments, 4 little-endian
 * bytes per i32 and 8 per i64.  poll_oneoff is left out (a clock
 * subscription can sleep for hours); proc_exit and proc_raise end the
 * input, as they end a guest.
 *
 *   make -f tests/fuzz/fuzz.mk build/fuzz/kiln-fuzz-wasi
 *   mkdir -p build/fuzz/wasi-work build/fuzz/artifacts
 *   build/fuzz/kiln-fuzz-wasi build/fuzz/wasi-work -max_total_time=600 \
 *       -artifact_prefix=build/fuzz/artifacts/
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln_wasi.h"
#include "wasi/wasi_impl.h"

#define MAX_IMPORTS 64

/* A broken promise (or a broken harness): say which, then crash. */
static void fail(const char *what)
{
    fprintf(stderr, "fuzz_wasi: %s\n", what);
    abort();
}

static const wasi_import *imports[MAX_IMPORTS];
static size_t nimports;
static uint8_t module_bytes[8192];
static size_t module_len;
static char top[64], rw_dir[96], ro_dir[96], out_dir[96];
static kiln_engine *engine;
static kiln_module *module;

/* ---- a tiny module writer ---------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap)
        abort(); /* the module is small and fixed: a bug here */
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void byte(buf *b, uint8_t v) { put(b, &v, 1); }
static void uleb(buf *b, uint32_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        byte(b, c | (v ? 0x80 : 0));
    } while (v);
}
static void name(buf *b, const char *s)
{
    uleb(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}
static void section(buf *out, uint8_t id, const buf *body)
{
    byte(out, id);
    uleb(out, (uint32_t)body->n);
    put(out, body->p, body->n);
}

static void build_module(void)
{
    const struct {
        const wasi_import *t;
        size_t n;
    } tables[] = {{kn_wasi_fd_imports, kn_wasi_fd_nimports},
                  {kn_wasi_path_imports, kn_wasi_path_nimports},
                  {kn_wasi_proc_imports, kn_wasi_proc_nimports},
                  {kn_wasi_poll_imports, kn_wasi_poll_nimports},
                  {kn_wasi_sock_imports, kn_wasi_sock_nimports}};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < tables[t].n; i++)
            if (nimports < MAX_IMPORTS)
                imports[nimports++] = &tables[t].t[i];
    static uint8_t s1[4096], s2[4096];
    buf out = {module_bytes, 0, sizeof module_bytes}, b = {s1, 0, sizeof s1};
    put(&out, "\0asm\1\0\0\0", 8);
    /* one type per import */
    uleb(&b, (uint32_t)nimports);
    for (size_t i = 0; i < nimports; i++) {
        const char *p = imports[i]->params;
        byte(&b, 0x60);
        uleb(&b, (uint32_t)strlen(p));
        for (; *p; p++)
            byte(&b, *p == 'I' ? 0x7e : 0x7f);
        if (imports[i]->noresult) {
            byte(&b, 0);
        } else {
            byte(&b, 1);
            byte(&b, 0x7f);
        }
    }
    section(&out, 1, &b);
    b.n = 0;
    uleb(&b, (uint32_t)nimports);
    for (size_t i = 0; i < nimports; i++) {
        name(&b, KILN_WASI_MODULE);
        name(&b, imports[i]->name);
        byte(&b, 0);
        uleb(&b, (uint32_t)i);
    }
    section(&out, 2, &b);
    b.n = 0;
    uleb(&b, (uint32_t)nimports);
    for (size_t i = 0; i < nimports; i++)
        uleb(&b, (uint32_t)i);
    section(&out, 3, &b);
    b.n = 0;
    byte(&b, 1), byte(&b, 1), byte(&b, 1), byte(&b, 1); /* 1 memory, min 1 max 1 */
    section(&out, 5, &b);
    b.n = 0;
    uleb(&b, (uint32_t)nimports + 1);
    name(&b, "memory");
    byte(&b, 2), byte(&b, 0);
    for (size_t i = 0; i < nimports; i++) {
        char n[16];
        snprintf(n, sizeof n, "f%zu", i);
        name(&b, n);
        byte(&b, 0);
        uleb(&b, (uint32_t)(nimports + i));
    }
    section(&out, 7, &b);
    b.n = 0;
    uleb(&b, (uint32_t)nimports);
    for (size_t i = 0; i < nimports; i++) {
        buf body = {s2, 0, sizeof s2};
        byte(&body, 0); /* no locals */
        size_t np = strlen(imports[i]->params);
        for (size_t k = 0; k < np; k++)
            byte(&body, 0x20), uleb(&body, (uint32_t)k);
        byte(&body, 0x10), uleb(&body, (uint32_t)i);
        byte(&body, 0x0b);
        uleb(&b, (uint32_t)body.n);
        put(&b, body.p, body.n);
    }
    section(&out, 10, &b);
    module_len = out.n;
}

/* ---- the sandbox and what must not change -------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void write_file(const char *dir, const char *file, const char *text)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    FILE *f = fopen(p, "w");
    if (!f)
        fail("cannot write a sandbox file");
    fputs(text, f);
    fclose(f);
}

/* A digest of a directory tree: names, sizes, modes, times and contents. */
static uint64_t digest;
static int digest_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)f;
    uint64_t h = digest ^ 0x9e3779b97f4a7c15u;
    for (const char *c = p; *c; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3u;
    h = (h ^ (uint64_t)st->st_size) * 0x100000001b3u;
    h = (h ^ (uint64_t)st->st_mode) * 0x100000001b3u;
    h = (h ^ (uint64_t)st->st_mtim.tv_nsec ^ (uint64_t)st->st_mtim.tv_sec) * 0x100000001b3u;
    if (flag == FTW_F) {
        FILE *fp = fopen(p, "rb");
        int c;
        while (fp && (c = fgetc(fp)) != EOF)
            h = (h ^ (uint8_t)c) * 0x100000001b3u;
        if (fp)
            fclose(fp);
    }
    digest = h;
    return 0;
}
static uint64_t tree_digest(const char *dir)
{
    digest = 0;
    nftw(dir, digest_entry, 16, FTW_PHYS);
    return digest;
}

static uint64_t outside_digest, ro_digest;

/* ---- host fds: what a WASI call must not leak ---------------------------
 *
 * Counting /proc/self/fd is not enough: the fuzzing runtime opens fds of its
 * own at moments the harness does not choose (ASan starts llvm-symbolizer,
 * with two pipes to it, the first time libFuzzer prints a NEW_FUNC line),
 * and a count taken once at the first input then reports them as a leak.
 * So the check is narrower, in time and in kind:
 *
 *   - in time: the fds are listed, with their identity (st_dev, st_ino),
 *     just before kiln_wasi_new and again just after kiln_wasi_free, so
 *     whatever the runtime opens between inputs is part of the baseline;
 *   - in kind: of the fds that are new after the input (a number not open
 *     before, or open on another file), only an anonymous pipe whose inode
 *     was not open before is forgiven.  kiln_wasi never calls pipe(): every
 *     pipe it holds is a duplicate of one its embedder gave it (stdio),
 *     which was open before the input and so keeps its inode.  A fresh pipe
 *     can only be the runtime's, made during the input (say, to symbolize a
 *     -trace_malloc stack).  Files, directories, /dev/null, sockets and
 *     duplicates of anything the process already had are all reported.
 *
 * An fd that was open before and is gone or replaced after is reported
 * too (kiln_wasi closed one it does not own), again except a pipe that is
 * not stdio (the runtime may retire its own).  KILN_FUZZ_WASI_LEAK in the
 * environment makes the harness break these rules on purpose, or open fds
 * as the runtime does, to show what the check catches and what it forgives
 * (fuzz.mk's smoke-wasi-leak). */
#define MAX_FDS 1024
typedef struct fd_id {
    int fd;
    dev_t dev;
    ino_t ino;
    int anon_pipe; /* "pipe:[N]" in /proc/self/fd */
} fd_id;
typedef struct fd_list {
    fd_id v[MAX_FDS];
    size_t n;
} fd_list;

static void list_fds(fd_list *s)
{
    s->n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        fail("cannot list /proc/self/fd");
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end, link[64], target[64];
        long fd = strtol(de->d_name, &end, 10);
        struct stat st;
        if (*end || end == de->d_name || fd == dirfd(d) || fstat((int)fd, &st) != 0)
            continue; /* ".", "..", the listing itself, or closed meanwhile */
        if (s->n == MAX_FDS)
            fail("more than MAX_FDS open fds");
        snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
        ssize_t k = readlink(link, target, sizeof target - 1);
        target[k > 0 ? k : 0] = 0;
        s->v[s->n++] = (fd_id){(int)fd, st.st_dev, st.st_ino,
                               S_ISFIFO(st.st_mode) && strncmp(target, "pipe:[", 6) == 0};
    }
    closedir(d);
}

static const fd_id *find_fd(const fd_list *s, int fd)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].fd == fd)
            return &s->v[i];
    return NULL;
}
static int same_file(const fd_id *a, const fd_id *b)
{
    return a->dev == b->dev && a->ino == b->ino;
}
static int had_inode(const fd_list *s, const fd_id *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (same_file(&s->v[i], x))
            return 1;
    return 0;
}

static fd_list fds_before, fds_after;

static void check_fds(void)
{
    list_fds(&fds_after);
    for (size_t i = 0; i < fds_after.n; i++) {
        const fd_id *a = &fds_after.v[i], *b = find_fd(&fds_before, a->fd);
        if (b && same_file(a, b))
            continue;
        if (a->anon_pipe && !had_inode(&fds_before, a))
            continue; /* a pipe made during the input: the runtime's */
        fprintf(stderr, "fuzz_wasi: host fd %d is open after the input and was not before\n",
                a->fd);
        abort();
    }
    for (size_t i = 0; i < fds_before.n; i++) {
        const fd_id *b = &fds_before.v[i], *a = find_fd(&fds_after, b->fd);
        if ((a && same_file(a, b)) || (b->anon_pipe && b->fd > 2))
            continue;
        fprintf(stderr, "fuzz_wasi: host fd %d was open before the input and %s after\n", b->fd,
                a ? "is another file" : "is closed");
        abort();
    }
}

/* KILN_FUZZ_WASI_LEAK: the deliberate breakages above, for testing the
 * check.  "dir" leaks a directory fd as a forgotten preopen would, "dup" a
 * duplicate of stderr, and "close" closes an fd the harness opened at
 * setup: each must abort.  "pipe" does what the runtime does, a new pipe
 * during each of the first inputs, left open into the next ones: it must
 * not abort. */
static const char *leak_mode;
static int harness_fd = -1;
static unsigned leak_inputs;

static void leak_on_purpose(void)
{
    int p[2];
    if (!leak_mode)
        return;
    if (strcmp(leak_mode, "dir") == 0)
        open(rw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else if (strcmp(leak_mode, "dup") == 0)
        fcntl(2, F_DUPFD_CLOEXEC, 3);
    else if (strcmp(leak_mode, "close") == 0)
        close(harness_fd);
    else if (strcmp(leak_mode, "pipe") != 0)
        fail("KILN_FUZZ_WASI_LEAK is not dir, dup, close or pipe");
    else if (leak_inputs++ < 3 && pipe2(p, O_CLOEXEC) != 0)
        fail("pipe2");
}

/* At exit: the scratch tree goes, and so do the module and engine, so
 * LeakSanitizer's exit check (which runs after this) sees nothing of ours
 * still allocated. */
static void cleanup(void)
{
    nftw(top, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    kiln_module_free(module);
    kiln_engine_free(engine);
    module = NULL;
    engine = NULL;
}

static void setup(void)
{
    strcpy(top, "/tmp/kiln-fuzz-wasi-XXXXXX");
    if (!mkdtemp(top))
        fail("cannot make the scratch directory");
    atexit(cleanup);
    snprintf(rw_dir, sizeof rw_dir, "%s/rw", top);
    snprintf(ro_dir, sizeof ro_dir, "%s/ro", top);
    snprintf(out_dir, sizeof out_dir, "%s/outside", top);
    mkdir(ro_dir, 0755);
    mkdir(out_dir, 0755);
    write_file(ro_dir, "file", "read-only\n");
    write_file(out_dir, "secret", "outside\n");
    char p[160];
    snprintf(p, sizeof p, "%s/up", ro_dir);
    if (symlink("../outside", p) != 0)
        fail("cannot make ro/up");
    outside_digest = tree_digest(out_dir);
    leak_mode = getenv("KILN_FUZZ_WASI_LEAK");
    harness_fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ro_digest = tree_digest(ro_dir);
    build_module();
    if (kiln_engine_new(NULL, &engine) ||
        kiln_module_new(engine, module_bytes, module_len, &module))
        fail("kiln rejects the module");
}

/* A fresh read-write directory for each input, with a file, a directory and
 * links (one leading out) for the calls to find.  Each input gets a new
 * name: what a guest leaves behind may be more than nftw can remove (paths
 * nested past PATH_MAX), and must not fail the next input. */
static unsigned rw_serial;

static void reset_rw(void)
{
    nftw(rw_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    snprintf(rw_dir, sizeof rw_dir, "%s/rw%u", top, rw_serial++);
    if (mkdir(rw_dir, 0755) != 0)
        fail("cannot make the read-write directory");
    write_file(rw_dir, "a", "hello\n");
    char p[160];
    snprintf(p, sizeof p, "%s/d", rw_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/out", rw_dir);
    if (symlink("../outside/secret", p) != 0)
        fail("cannot make rw/out");
    snprintf(p, sizeof p, "%s/abs", rw_dir);
    if (symlink(out_dir, p) != 0)
        fail("cannot make rw/abs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        setup();
    reset_rw();
    kiln_wasi_config *c;
    kiln_wasi *w;
    list_fds(&fds_before);
    if (kiln_wasi_config_new(&c))
        fail("kiln_wasi_config_new");
    kiln_wasi_config_arg(c, "fuzz");
    kiln_wasi_config_env(c, "K", "v");
    kiln_wasi_config_preopen_dir(c, rw_dir, "/rw", KILN_WASI_DIR_READ | KILN_WASI_DIR_WRITE);
    kiln_wasi_config_preopen_dir(c, ro_dir, "/ro", KILN_WASI_DIR_READ);
    for (int i = 0; i < 3; i++)
        kiln_wasi_config_stdio(c, i, KILN_WASI_STDIO_NULL);
    if (size >= 2 && (data[1] & 0x80))
        kiln_wasi_config_resolve(c, KILN_WASI_RESOLVE_WALK);
    kiln_error *e = kiln_wasi_new(c, &w);
    kiln_wasi_config_free(c);
    if (e)
        fail(kiln_error_message(e));
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *inst;
    kiln_store_limits lim = {.fuel = 100000};
    if (kiln_store_new(engine, &lim, &store) || kiln_linker_new(store, &linker) ||
        kiln_wasi_define(w, store, linker) || kiln_linker_instantiate(linker, module, &inst))
        fail("cannot instantiate the module");

    size_t pos = 0;
    if (size >= 2) {
        size_t n = (size_t)(data[0] | (data[1] & 0x7f) << 8);
        pos = 2;
        if (n > size - pos)
            n = size - pos;
        kiln_memory_write(kiln_instance_export_memory(inst, "memory"), 0, data + pos, n);
        pos += n;
    }
    while (pos < size) {
        size_t i = data[pos++] % nimports;
        const wasi_import *imp = imports[i];
        if (strcmp(imp->name, "poll_oneoff") == 0)
            continue;
        kiln_val args[16];
        size_t np = strlen(imp->params);
        for (size_t k = 0; k < np; k++) {
            size_t width = imp->params[k] == 'I' ? 8 : 4;
            uint64_t v = 0;
            for (size_t j = 0; j < width && pos < size; j++)
                v |= (uint64_t)data[pos++] << (8 * j);
            args[k].kind = width == 8 ? KILN_I64 : KILN_I32;
            if (width == 8)
                args[k].of.i64 = (int64_t)v;
            else
                args[k].of.i32 = (int32_t)(uint32_t)v;
        }
        char fname[16];
        snprintf(fname, sizeof fname, "f%zu", i);
        kiln_val r;
        e = kiln_call(store, kiln_instance_export_func(inst, fname), args, np, &r,
                      imp->noresult ? 0 : 1);
        if (e) {
            kiln_trap_code t = kiln_error_trap(e);
            kiln_error_free(e);
            if (t != KILN_TRAP_EXIT && t != KILN_TRAP_HOST) {
                fprintf(stderr, "fuzz_wasi: %s trapped with code %d\n", imp->name, (int)t);
                abort(); /* WASI calls fail with errnos, never traps */
            }
            break;
        }
        if (!imp->noresult && (r.of.i32 < 0 || r.of.i32 > 76)) {
            fprintf(stderr, "fuzz_wasi: %s returned %d, not an errno\n", imp->name, r.of.i32);
            abort();
        }
    }
    kiln_linker_free(linker);
    kiln_store_free(store);
    kiln_wasi_free(w);
    leak_on_purpose();
    check_fds();
    if (tree_digest(out_dir) != outside_digest || tree_digest(ro_dir) != ro_digest) {
        fail("the sandbox leaked: a file outside it, or in the read-only preopen, changed");
    }
    return 0;
}
