/*
 * tests/oom/oom.c — out of memory is an error, never a crash or a leak.
 *
 *   oom-test WC_WASM FILES_WASM EXAMPLES_DIR
 *
 * Every allocation of the engine and of WASI goes through the allocator
 * hook (kiln.h, kiln_wasi.h).  This test's hook fails the Nth allocation,
 * for N = 1, 2, ... until an operation runs without reaching its Nth
 * allocation, for each of these operations:
 *
 *   engine     kiln_engine_new, kiln_engine_free;
 *   module     kiln_module_new of WC_WASM (examples/wc.wasm: a C program
 *              with wasi-libc, so hundreds of functions, globals, a table,
 *              element and data segments) and of FILES_WASM
 *              (tests/oom/files.wat), then kiln_module_free;
 *   run        a store, a linker, a kiln_wasi (config with arguments,
 *              environment, a preopened temporary directory; the path
 *              resolver both ways), kiln_wasi_define, instantiation, the
 *              call of _start, and the teardown of it all: FILES_WASM
 *              writes, reads back and lists files, WC_WASM counts the
 *              words of a file in EXAMPLES_DIR.
 *
 * Each attempt that met a failed allocation must end with KILN_ERR_NOMEM,
 * or, when the allocation failed inside a WASI call, with the guest seeing
 * errno `nomem` (FILES_WASM exits with 148; wc prints "Out of memory" and
 * exits with 1).  Afterwards every block the attempt allocated must have
 * been freed (the hook counts live blocks; valgrind and LeakSanitizer
 * check the rest), and the same operation, run again at once in the same
 * engine with nothing failing, must give the right result.  The hook also
 * checks that kiln passes each block's true size as old_size.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln_wasi.h"

/* ---- the failing allocator ----------------------------------------------- */

typedef struct oom {
    long count;              /* allocations (not frees) since the reset */
    long fail_at;            /* fail allocation number fail_at; 0: never */
    bool failed;             /* an allocation was refused since the reset */
    long live;               /* blocks allocated and not freed */
    long bad_sizes;          /* old_size that did not match the block */
} oom;

/* The hook keeps each block's size in front of it to check old_size. */
typedef union hdr {
    size_t size;
    max_align_t align;
} hdr;

static void *oom_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
    oom *o = ud;
    hdr *h = ptr ? (hdr *)ptr - 1 : NULL;
    if (h && h->size != old_size)
        o->bad_sizes++;
    if (!ptr && old_size != 0)
        o->bad_sizes++;
    if (new_size == 0) {
        if (h)
            o->live--;
        free(h);
        return NULL;
    }
    if (++o->count == o->fail_at) {
        o->failed = true;
        return NULL;
    }
    hdr *n = realloc(h, sizeof *n + new_size);
    if (!n)
        return NULL;
    if (!h)
        o->live++;
    n->size = new_size;
    return n + 1;
}

static void oom_reset(oom *o, long fail_at)
{
    o->count = 0;
    o->fail_at = fail_at;
    o->failed = false;
}

/* ---- results ------------------------------------------------------------ */

static int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* What an operation ended with. */
typedef enum { RES_OK, RES_NOMEM, RES_GUEST_NOMEM, RES_OTHER } result;

static const char *result_name(result r)
{
    switch (r) {
    case RES_OK: return "success";
    case RES_NOMEM: return "KILN_ERR_NOMEM";
    case RES_GUEST_NOMEM: return "errno nomem in the guest";
    case RES_OTHER: break;
    }
    return "another error";
}

typedef struct ctx {
    oom alloc;
    kiln_engine *engine;
    const char *name;        /* of the operation, for messages */
    char msg[512];           /* the last RES_OTHER's explanation */
    /* module */
    const uint8_t *bytes;
    size_t len;
    /* run */
    const kiln_module *module;
    bool is_wc;
    bool walk;
    char dir[64];            /* the temporary directory */
    const char *examples;
    int out_fd;              /* the guest's stdout and stderr */
    char want_out[256];      /* what wc prints, from a first run */
} ctx;

static result other(ctx *c, kiln_error *e, const char *what)
{
    snprintf(c->msg, sizeof c->msg, "%s: %s (kind %d)", what, e ? kiln_error_message(e) : "?",
             e ? (int)kiln_error_kind_of(e) : 0);
    return RES_OTHER;
}

/* Classify e (and free it). */
static result outcome(ctx *c, kiln_error *e, const char *what)
{
    if (!e)
        return RES_OK;
    result r = kiln_error_kind_of(e) == KILN_ERR_NOMEM ? RES_NOMEM : other(c, e, what);
    kiln_error_free(e);
    return r;
}

/* ---- the operations ------------------------------------------------------- */

static result op_engine(ctx *c)
{
    kiln_config cfg = {.alloc = oom_alloc, .alloc_ud = &c->alloc};
    kiln_engine *e;
    result r = outcome(c, kiln_engine_new(&cfg, &e), "kiln_engine_new");
    if (r == RES_OK)
        kiln_engine_free(e);
    return r;
}

static result op_module(ctx *c)
{
    kiln_module *m;
    kiln_error *e = kiln_module_new(c->engine, c->bytes, c->len, &m);
    result r = outcome(c, e, "kiln_module_new");
    if (r == RES_OK) {
        if (kiln_module_export_count(m) < 2) /* _start, memory */
            r = other(c, NULL, "the module lost its exports");
        kiln_module_free(m);
    }
    return r;
}

static kiln_error *make_wasi(ctx *c, kiln_wasi **out)
{
    kiln_wasi_config *cfg;
    kiln_error *e = kiln_wasi_config_new_alloc(oom_alloc, &c->alloc, &cfg);
    if (e)
        return e;
    if (c->is_wc) {
        if (!(e = kiln_wasi_config_arg(cfg, "wc")))
            e = kiln_wasi_config_arg(cfg, "/ex/fib.wat");
        if (!e)
            e = kiln_wasi_config_preopen_dir(cfg, c->examples, "/ex", KILN_WASI_DIR_READ);
    } else {
        if (!(e = kiln_wasi_config_arg(cfg, "files")))
            e = kiln_wasi_config_preopen_dir(cfg, c->dir, "/tmp",
                                             KILN_WASI_DIR_READ | KILN_WASI_DIR_WRITE);
    }
    if (!e)
        e = kiln_wasi_config_env(cfg, "HOME", "/tmp");
    for (int fd = 1; fd <= 2 && !e; fd++)
        e = kiln_wasi_config_stdio(cfg, fd, c->out_fd);
    if (!e)
        e = kiln_wasi_config_stdio(cfg, 0, KILN_WASI_STDIO_NULL);
    if (!e && c->walk)
        kiln_wasi_config_resolve(cfg, KILN_WASI_RESOLVE_WALK);
    if (!e)
        e = kiln_wasi_new(cfg, out);
    kiln_wasi_config_free(cfg);
    return e;
}

/* Whether the guest's run shows it was refused memory by a WASI call. */
static bool guest_saw_nomem(ctx *c, int code)
{
    if (!c->is_wc)
        return code == 148;
    char buf[256] = {0};
    return code == 1 && pread(c->out_fd, buf, sizeof buf - 1, 0) > 0 &&
           strstr(buf, "Out of memory") != NULL;
}

/* After a successful run: did the guest do its work? */
static result check_run(ctx *c)
{
    char buf[256] = {0};
    if (c->is_wc) {
        if (pread(c->out_fd, buf, sizeof buf - 1, 0) < 0 || strcmp(buf, c->want_out) != 0)
            return other(c, NULL, "wc printed something else");
        return RES_OK;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/f.txt", c->dir);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n != 11 || memcmp(buf, "hello, kiln", 11) != 0)
        return other(c, NULL, "f.txt does not hold what the guest wrote");
    return RES_OK;
}

static result op_run(ctx *c)
{
    /* The guest's stdout shares out_fd's offset. */
    if (ftruncate(c->out_fd, 0) != 0 || lseek(c->out_fd, 0, SEEK_SET) != 0)
        return other(c, NULL, "ftruncate");
    char path[512];
    snprintf(path, sizeof path, "%s/f.txt", c->dir);
    unlink(path);

    kiln_store_limits limits = {.max_stack_bytes = 1u << 20, .timeout_ns = 60000000000u};
    kiln_store *store = NULL;
    kiln_linker *linker = NULL;
    kiln_wasi *wasi = NULL;
    kiln_instance *inst;
    kiln_error *e = kiln_store_new(c->engine, &limits, &store);
    if (!e)
        e = kiln_linker_new(store, &linker);
    if (!e)
        e = make_wasi(c, &wasi);
    if (!e)
        e = kiln_wasi_define(wasi, store, linker);
    if (!e)
        e = kiln_linker_instantiate(linker, c->module, &inst);
    if (!e) {
        kiln_func *start = kiln_instance_export_func(inst, "_start");
        e = start ? kiln_call(store, start, NULL, 0, NULL, 0)
                  : kiln_error_new(KILN_ERR_LINK, "no _start");
    }
    result r;
    if (e && kiln_error_trap(e) == KILN_TRAP_EXIT && kiln_error_exit_code(e) == 0) {
        kiln_error_free(e);
        e = NULL;
    }
    if (e && kiln_error_trap(e) == KILN_TRAP_EXIT) {
        int code = kiln_error_exit_code(e);
        r = guest_saw_nomem(c, code) ? RES_GUEST_NOMEM : other(c, e, "the guest exited");
        kiln_error_free(e);
    } else {
        r = outcome(c, e, "run");
    }
    kiln_linker_free(linker);
    kiln_store_free(store);
    kiln_wasi_free(wasi);
    if (r == RES_OK)
        r = check_run(c);
    return r;
}

/* ---- the loop ----------------------------------------------------------- */

/* Fail allocation 1, 2, ... of op until it runs to the end; after each
 * failure, nothing may be left allocated and op must succeed at once. */
static void exhaust(ctx *c, result (*op)(ctx *))
{
    /* A first run interns the engine's function types, which stay. */
    oom_reset(&c->alloc, 0);
    result r = op(c);
    check(r == RES_OK, "%s: without failures: %s %s", c->name, result_name(r),
          r == RES_OTHER ? c->msg : "");
    if (r != RES_OK)
        return;
    long base = c->alloc.live, attempts = 0, guest = 0;
    for (long n = 1;; n++) {
        oom_reset(&c->alloc, n);
        r = op(c);
        bool hit = c->alloc.failed;
        if (!hit) {
            check(r == RES_OK, "%s: %s without a failed allocation", c->name, result_name(r));
            break;
        }
        attempts++;
        guest += r == RES_GUEST_NOMEM;
        check(r == RES_NOMEM || r == RES_GUEST_NOMEM,
              "%s: allocation %ld failed: got %s %s", c->name, n, result_name(r),
              r == RES_OTHER ? c->msg : "");
        check(c->alloc.live == base, "%s: allocation %ld failed: %ld blocks leaked", c->name,
              n, c->alloc.live - base);
        c->alloc.live = base; /* report each leak once */
        oom_reset(&c->alloc, 0);
        r = op(c);
        check(r == RES_OK && c->alloc.live == base,
              "%s: after allocation %ld failed, the same again: %s %s (%ld blocks left)",
              c->name, n, result_name(r), r == RES_OTHER ? c->msg : "", c->alloc.live - base);
    }
    oom_reset(&c->alloc, 0);
    check(c->alloc.bad_sizes == 0, "%s: %ld calls with a wrong old_size", c->name,
          c->alloc.bad_sizes);
    c->alloc.bad_sizes = 0;
    printf("%-28s %5ld allocations failed in turn (%ld seen by the guest as nomem)\n",
           c->name, attempts, guest);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            uint8_t *nb = realloc(b, cap = cap ? 2 * cap : 65536);
            if (!nb)
                break;
            b = nb;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    *len = n;
    return b;
}

/* What wc prints for EXAMPLES_DIR/fib.wat, counted here. */
static bool wc_counts(ctx *c)
{
    char p[256];
    snprintf(p, sizeof p, "%s/fib.wat", c->examples);
    FILE *f = fopen(p, "rb");
    if (!f)
        return false;
    unsigned long lines = 0, words = 0, bytes = 0;
    bool in_word = false;
    for (int ch; (ch = getc(f)) != EOF;) {
        bytes++;
        lines += ch == '\n';
        if (isspace(ch))
            in_word = false;
        else if (!in_word)
            in_word = true, words++;
    }
    fclose(f);
    snprintf(c->want_out, sizeof c->want_out, "%7lu %7lu %7lu /ex/fib.wat\n", lines, words,
             bytes);
    return true;
}

static void rm_tree(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/f.txt", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/ln", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/d", dir);
    rmdir(p);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s WC_WASM FILES_WASM EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static ctx c_;
    ctx *c = &c_;
    c->examples = argv[3];
    size_t wc_len, files_len;
    uint8_t *wc = read_file(argv[1], &wc_len), *files = read_file(argv[2], &files_len);
    snprintf(c->dir, sizeof c->dir, "/tmp/kiln-oom-XXXXXX");
    char outp[] = "/tmp/kiln-oom-out-XXXXXX";
    if (!wc || !files || !mkdtemp(c->dir) || (c->out_fd = mkstemp(outp)) < 0) {
        fprintf(stderr, "oom: cannot read the modules or make temporary files\n");
        return 2;
    }
    unlink(outp);
    char p[512];
    snprintf(p, sizeof p, "%s/d", c->dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/ln", c->dir);
    if (symlink("f.txt", p) != 0) {
        fprintf(stderr, "oom: symlink: %s\n", strerror(errno));
        return 2;
    }

    c->name = "engine";
    exhaust(c, op_engine);

    kiln_config cfg = {.alloc = oom_alloc, .alloc_ud = &c->alloc};
    kiln_error *e = kiln_engine_new(&cfg, &c->engine);
    check(!e, "kiln_engine_new");
    if (e)
        return 1;
    c->name = "module wc.wasm";
    c->bytes = wc, c->len = wc_len;
    exhaust(c, op_module);
    c->name = "module files.wasm";
    c->bytes = files, c->len = files_len;
    exhaust(c, op_module);

    kiln_module *mw, *mf;
    oom_reset(&c->alloc, 0);
    if ((e = kiln_module_new(c->engine, wc, wc_len, &mw)) ||
        (e = kiln_module_new(c->engine, files, files_len, &mf))) {
        check(false, "kiln_module_new: %s", kiln_error_message(e));
        return 1;
    }

    c->module = mf;
    c->name = "run files.wasm";
    exhaust(c, op_run);
    c->walk = true;
    c->name = "run files.wasm (walk)";
    exhaust(c, op_run);

    c->module = mw;
    c->is_wc = true;
    c->walk = false;
    if (!wc_counts(c)) {
        check(false, "cannot read %s/fib.wat", c->examples);
        return 1;
    }
    c->name = "run wc.wasm";
    exhaust(c, op_run);

    kiln_module_free(mw);
    kiln_module_free(mf);
    kiln_engine_free(c->engine);
    check(c->alloc.live == 0, "%ld blocks left after kiln_engine_free", c->alloc.live);
    free(wc);
    free(files);
    close(c->out_fd);
    rm_tree(c->dir);
    printf("oom: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
