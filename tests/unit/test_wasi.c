/*
 * test_wasi.c — the WASI layer as an embedder uses it (kiln_wasi.h), and
 * its path resolver from the inside: configs that must be refused, stdio
 * redirected to a pipe, a guest pointer outside memory, proc_exit ending
 * the call, and kn_wasi_resolve in both of its ways (the kernel's openat2 and
 * kiln's own walk) on a tree of symlinks that try to leave the preopen.
 *
 * The module (bytes below, built with wat2wasm):
 *
 *   (module
 *     (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 *     (memory (export "memory") 1)
 *     (data (i32.const 16) "hi\n")
 *     (func (export "write") (param $fd i32) (result i32)
 *       (i32.store (i32.const 0) (i32.const 16))
 *       (i32.store (i32.const 4) (i32.const 3))
 *       (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
 *     (func (export "write_bad") (param $fd i32) (result i32)
 *       (call $fd_write (local.get $fd) (i32.const 65530) (i32.const 1) (i32.const 8)))
 *     (func (export "exit") (param i32)
 *       (call $exit (local.get 0))
 *       unreachable))
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln_wasi.h"
#include "unit.h"
#include "wasi/wasi_impl.h"

static const unsigned char m_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x03, 0x60,
  0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x02, 0x46, 0x02, 0x16, 0x77, 0x61, 0x73, 0x69,
  0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72,
  0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72,
  0x69, 0x74, 0x65, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73,
  0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76,
  0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65, 0x78,
  0x69, 0x74, 0x00, 0x01, 0x03, 0x04, 0x03, 0x02, 0x02, 0x01, 0x05, 0x03,
  0x01, 0x00, 0x01, 0x07, 0x25, 0x04, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72,
  0x79, 0x02, 0x00, 0x05, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x02, 0x09,
  0x77, 0x72, 0x69, 0x74, 0x65, 0x5f, 0x62, 0x61, 0x64, 0x00, 0x03, 0x04,
  0x65, 0x78, 0x69, 0x74, 0x00, 0x04, 0x0a, 0x33, 0x03, 0x1a, 0x00, 0x41,
  0x00, 0x41, 0x10, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x03, 0x36, 0x02,
  0x00, 0x20, 0x00, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x0b,
  0x0e, 0x00, 0x20, 0x00, 0x41, 0xfa, 0xff, 0x03, 0x41, 0x01, 0x41, 0x08,
  0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x10, 0x01, 0x00, 0x0b, 0x0b,
  0x09, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x03, 0x68, 0x69, 0x0a
};

/* A store with the module instantiated against w; NULL on failure. */
typedef struct guest {
    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *inst;
} guest;

static bool guest_new(guest *g, kiln_wasi *w)
{
    memset(g, 0, sizeof *g);
    return !kiln_engine_new(NULL, &g->engine) &&
           !kiln_module_new(g->engine, m_wasm, sizeof m_wasm, &g->module) &&
           !kiln_store_new(g->engine, NULL, &g->store) && !kiln_linker_new(g->store, &g->linker) &&
           !kiln_wasi_define(w, g->store, g->linker) &&
           !kiln_linker_instantiate(g->linker, g->module, &g->inst);
}

static void guest_free(guest *g)
{
    kiln_linker_free(g->linker);
    kiln_store_free(g->store);
    kiln_module_free(g->module);
    kiln_engine_free(g->engine);
}

/* Call export name(arg) -> i32 (or no result); the error, if any. */
static kiln_error *call1(guest *g, const char *name, int32_t arg, int32_t *result)
{
    kiln_func *f = kiln_instance_export_func(g->inst, name);
    kiln_val a = {.kind = KILN_I32, .of.i32 = arg}, r = {0};
    kiln_error *e = kiln_call(g->store, f, &a, 1, &r, result ? 1 : 0);
    if (!e && result)
        *result = r.of.i32;
    return e;
}

static kiln_error_kind kind_and_free(kiln_error *e)
{
    kiln_error_kind k = e ? kiln_error_kind_of(e) : 0;
    if (e)
        kiln_error_free(e);
    return k;
}

TEST(wasi_config_refuses_bad_grants)
{
    kiln_wasi_config *c;
    CHECK(kiln_wasi_config_new(&c) == NULL);
    CHECK_EQ(kind_and_free(kiln_wasi_config_env(c, "A=B", "x")), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_env(c, "", "x")), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_preopen_dir(c, "/tmp", "/t", 0)), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_preopen_dir(c, "/tmp", "/t", 8)), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_stdio(c, 3, 1)), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_stdio(c, 1, -4)), KILN_ERR_ARG);
    CHECK_EQ(kind_and_free(kiln_wasi_config_preopen_socket(c, -1)), KILN_ERR_ARG);

    /* Grants that are well-formed but cannot be opened fail in kiln_wasi_new,
     * naming what failed. */
    kiln_wasi *w = NULL;
    CHECK(kiln_wasi_config_preopen_dir(c, "/nonexistent/kiln-dir", "/d", KILN_WASI_DIR_READ) == NULL);
    kiln_error *e = kiln_wasi_new(c, &w);
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_ARG);
    CHECK(e && strstr(kiln_error_message(e), "/nonexistent/kiln-dir"));
    CHECK(w == NULL);
    kind_and_free(e);
    kiln_wasi_config_free(c);

    CHECK(kiln_wasi_config_new(&c) == NULL);
    CHECK(kiln_wasi_config_tcp_listen(c, "no-port") == NULL);
    e = kiln_wasi_new(c, &w);
    CHECK(e && kiln_error_kind_of(e) == KILN_ERR_ARG);
    kind_and_free(e);
    kiln_wasi_config_free(c);

    /* A port above 65535 is refused, not wrapped (99999 would be 34463). */
    static const char *const bad_ports[] = {"127.0.0.1:99999", "127.0.0.1:65536",
                                            "127.0.0.1:-1", "127.0.0.1:+80"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        CHECK(kiln_wasi_config_new(&c) == NULL);
        CHECK(kiln_wasi_config_tcp_listen(c, bad_ports[i]) == NULL);
        e = kiln_wasi_new(c, &w);
        CHECK(e && kiln_error_kind_of(e) == KILN_ERR_ARG);
        CHECK(e && strstr(kiln_error_message(e), "65535"));
        kind_and_free(e);
        kiln_wasi_config_free(c);
    }
}

/* A pipe in p and a kiln_wasi whose stdout is its write end (closed here:
 * the wasi keeps its own copy), stderr closed if asked; NULL on failure. */
static kiln_wasi *wasi_to_pipe(int p[2], bool close_stderr)
{
    kiln_wasi_config *c;
    kiln_wasi *w = NULL;
    if (pipe(p) != 0 || kiln_wasi_config_new(&c))
        return NULL;
    kiln_error *e = kiln_wasi_config_stdio(c, 1, p[1]);
    if (!e && close_stderr)
        e = kiln_wasi_config_stdio(c, 2, KILN_WASI_STDIO_CLOSED);
    if (!e)
        e = kiln_wasi_new(c, &w);
    kind_and_free(e);
    kiln_wasi_config_free(c);
    close(p[1]);
    return w;
}

TEST(wasi_stdio_pipe_fault_and_exit)
{
    int p[2];
    kiln_wasi *w = wasi_to_pipe(p, true);
    CHECK(w != NULL);

    guest g;
    CHECK(guest_new(&g, w));
    int32_t r = -1;
    CHECK(call1(&g, "write", 1, &r) == NULL);
    CHECK_EQ(r, WASI_ESUCCESS);
    char buf[8] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf), 3);
    CHECK(memcmp(buf, "hi\n", 3) == 0);
    uint8_t nwritten[4];
    CHECK(kiln_memory_read(kiln_instance_export_memory(g.inst, "memory"), 8, nwritten, 4));
    CHECK_EQ(nwritten[0], 3);

    CHECK(call1(&g, "write", 2, &r) == NULL);
    CHECK_EQ(r, WASI_EBADF);      /* stderr was closed */
    CHECK(call1(&g, "write", 99, &r) == NULL);
    CHECK_EQ(r, WASI_EBADF);
    CHECK(call1(&g, "write_bad", 1, &r) == NULL);
    CHECK_EQ(r, WASI_EFAULT);     /* the iovec straddles the end of memory */

    /* proc_exit ends the call: the `unreachable` after it never runs. */
    kiln_error *e = call1(&g, "exit", 42, NULL);
    CHECK(e && kiln_error_trap(e) == KILN_TRAP_EXIT);
    CHECK(e && kiln_error_exit_code(e) == 42);
    kind_and_free(e);
    guest_free(&g);
    kiln_wasi_free(w);
    close(p[0]);
}

TEST(wasi_write_to_a_closed_pipe_is_epipe_not_sigpipe)
{
    /* SIGPIPE keeps its default action (kill the process) here: the
     * library must not let a guest's write raise it. */
    int p[2];
    kiln_wasi *w = wasi_to_pipe(p, false);
    CHECK(w != NULL);
    close(p[0]);
    guest g;
    CHECK(guest_new(&g, w));
    int32_t r = -1;
    CHECK(call1(&g, "write", 1, &r) == NULL);
    CHECK_EQ(r, WASI_EPIPE);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0 && !sigismember(&pending, SIGPIPE));
    guest_free(&g);
    kiln_wasi_free(w);
}

TEST(wasi_one_state_serves_stores_one_after_another)
{
    /* One kiln_wasi defined into three stores in turn, each freed before
     * the next is made: each store's calls reach the same stdout. */
    int p[2];
    kiln_wasi *w = wasi_to_pipe(p, false);
    CHECK(w != NULL);
    for (int round = 0; round < 3; round++) {
        guest g;
        CHECK(guest_new(&g, w));
        int32_t r = -1;
        CHECK(call1(&g, "write", 1, &r) == NULL);
        CHECK_EQ(r, WASI_ESUCCESS);
        guest_free(&g);
    }
    char buf[16] = {0};
    CHECK_EQ(read(p[0], buf, sizeof buf), 9);
    CHECK(memcmp(buf, "hi\nhi\nhi\n", 9) == 0);
    kiln_wasi_free(w);
    close(p[0]);
}

/* ---- the resolver --------------------------------------------------------- */

static char tree[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(void) { nftw(tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void make_tree(void)
{
    if (tree[0])
        return;
    strcpy(tree, "/tmp/kiln-unit-wasi-XXXXXX");
    if (!mkdtemp(tree)) {
        tree[0] = 0;
        return;
    }
    atexit(remove_tree);
    char p[256];
#define AT(rel) (snprintf(p, sizeof p, "%s/%s", tree, rel), p)
    mkdir(AT("root"), 0755);
    mkdir(AT("root/a"), 0755);
    mkdir(AT("root/a/b"), 0755);
    close(open(AT("root/a/b/file"), O_CREAT | O_WRONLY, 0644));
    close(open(AT("secret"), O_CREAT | O_WRONLY, 0644));
    int ok = symlink("..", AT("root/up")) | symlink("/etc", AT("root/abs")) |
             symlink("a/b", AT("root/in")) | symlink("loop2", AT("root/loop1")) |
             symlink("loop1", AT("root/loop2")) | symlink("chain2", AT("root/chain1")) |
             symlink("a", AT("root/chain2")) | symlink("../../secret", AT("root/a/out")) |
             symlink("b/../../in", AT("root/a/back")) | symlink("/proc/self/root", AT("root/proc"));
    CHECK(ok == 0);
#undef AT
}

/* Resolve path in a fresh wasi rooted at tree/root; the errno, and the
 * name and parent's inode on success. */
static uint32_t resolve(bool walk, const char *path, bool follow, char *name, ino_t *ino)
{
    kiln_wasi_config *c;
    kiln_wasi *w;
    char root[128];
    snprintf(root, sizeof root, "%s/root", tree);
    if (kiln_wasi_config_new(&c))
        return 999;
    kiln_wasi_config_preopen_dir(c, root, "/", KILN_WASI_DIR_READ);
    kiln_wasi_config_resolve(c, walk ? KILN_WASI_RESOLVE_WALK : KILN_WASI_RESOLVE_AUTO);
    kiln_error *e = kiln_wasi_new(c, &w);
    kiln_wasi_config_free(c);
    if (e) {
        kiln_error_free(e);
        return 999;
    }
    int parent = -1;
    uint32_t err = kn_wasi_resolve(w, w->fds[3].host, (const uint8_t *)path,
                                   (uint32_t)strlen(path), follow, &parent, name);
    if (!err) {
        struct stat st;
        fstat(parent, &st);
        *ino = st.st_ino;
        close(parent);
    }
    kiln_wasi_free(w);
    return err;
}

static ino_t ino_of(const char *rel)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", tree, rel);
    return stat(p, &st) == 0 ? st.st_ino : 0;
}

static void check_resolver(bool walk)
{
    make_tree();
    CHECK(tree[0]);
    static const struct {
        const char *path;
        bool follow;
        uint32_t err;
        const char *parent, *name; /* on success */
    } cases[] = {
        {"a/b/file", false, 0, "root/a/b", "file"},
        {"a/../a/b/file", false, 0, "root/a/b", "file"},
        {"a/b/", false, 0, "root/a", "b"},
        {".", false, 0, "root", "."},
        {"a/b/..", false, 0, "root/a", "."},
        {"in/file", false, 0, "root/a/b", "file"},
        {"chain1/b/file", false, 0, "root/a/b", "file"},
        {"in", false, 0, "root", "in"},
        {"in", true, 0, "root/a", "b"},
        {"a/back/file", false, 0, "root/a/b", "file"},
        {"a/back", true, 0, "root/a", "b"},
        {"abs", false, 0, "root", "abs"}, /* the link itself is fine */
        {"proc", false, 0, "root", "proc"},
        {"..", false, WASI_ENOTCAPABLE, 0, 0},
        {"../secret", false, WASI_ENOTCAPABLE, 0, 0},
        {"a/../../secret", false, WASI_ENOTCAPABLE, 0, 0},
        {"a/b/../../..", false, WASI_ENOTCAPABLE, 0, 0},
        {"/etc/passwd", false, WASI_ENOTCAPABLE, 0, 0},
        {"up/secret", false, WASI_ENOTCAPABLE, 0, 0},
        {"up", true, WASI_ENOTCAPABLE, 0, 0},
        {"abs/passwd", false, WASI_ENOTCAPABLE, 0, 0},
        {"abs", true, WASI_ENOTCAPABLE, 0, 0},
        {"a/out", true, WASI_ENOTCAPABLE, 0, 0},
        {"proc/etc/passwd", false, WASI_ENOTCAPABLE, 0, 0},
        {"proc", true, WASI_ENOTCAPABLE, 0, 0},
        {"loop1/x", false, WASI_ELOOP, 0, 0},
        {"loop1", true, WASI_ELOOP, 0, 0},
        {"a/b/file/x", false, WASI_ENOTDIR, 0, 0},
        {"a/b/file/", false, WASI_ENOTDIR, 0, 0},
        {"nope/x", false, WASI_ENOENT, 0, 0},
        {"", false, WASI_ENOENT, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[WASI_NAME_MAX + 1] = "";
        ino_t ino = 0;
        uint32_t err = resolve(walk, cases[i].path, cases[i].follow, name, &ino);
        if (err != cases[i].err) {
            char m[256];
            snprintf(m, sizeof m, "%s resolve '%s'%s: errno %u, expected %u",
                     walk ? "walk" : "kernel", cases[i].path, cases[i].follow ? " (follow)" : "",
                     err, cases[i].err);
            unit_fail(__FILE__, __LINE__, m);
            continue;
        }
        if (!err) {
            CHECK(strcmp(name, cases[i].name) == 0);
            CHECK(ino == ino_of(cases[i].parent));
        }
    }
}

TEST(wasi_resolve_kernel) { check_resolver(false); }
TEST(wasi_resolve_walk) { check_resolver(true); }
