/*
 * proc.c — /proc "magic links" reached from inside the sandbox through host
 * symlinks: proc_root -> /proc/self/root, proc_cwd -> /proc/self/cwd (kiln
 * runs in the outside directory), proc_self -> /proc/self, proc_fd ->
 * /proc/self/fd, proc_fdN -> /proc/self/fd/N for N = 0..15 (kiln's own
 * descriptors: its preopens, among them the read-only one, whose parent is
 * the outside's parent), proc_thread -> /proc/thread-self/cwd and a relative
 * link climbing to /proc (proc_rel).  Reading through them, writing into
 * the read-only tree through them, and reading /proc/self/environ (the host
 * environment holds the secret) must all fail.
 */
#include "escape.h"

int main(int argc, char **argv)
{
    escape_init(argc, argv);
    control_reads("file.txt", SB, 0, "file.txt", "inside-sb\n");

    no_read("read proc_cwd/secret.txt", SB, 0, "proc_cwd/secret.txt");
    no_read("read proc_cwd/dir/inner.txt", SB, FOLLOW, "proc_cwd/dir/inner.txt");
    no_read("readdir proc_cwd", SB, FOLLOW, "proc_cwd");
    no_read("readdir proc_cwd/", SB, 0, "proc_cwd/");
    no_read("read proc_root/OUT/secret.txt", SB, 0, P("proc_root%s/secret.txt", OUT));
    no_read("read proc_self/cwd/secret.txt", SB, 0, "proc_self/cwd/secret.txt");
    no_read("read proc_self/root/OUT/secret.txt", SB, 0, P("proc_self/root%s/secret.txt", OUT));
    no_read("read proc_self/environ", SB, 0, "proc_self/environ");
    no_read("read proc_self/cmdline", SB, 0, "proc_self/cmdline");
    no_read("read proc_thread/secret.txt", SB, 0, "proc_thread/secret.txt");
    no_read("read proc_rel/secret.txt", SB, 0, "proc_rel/secret.txt");
    no_read("read proc_rel (follow)", SB, FOLLOW, "proc_rel");
    no_read("read proc_environ (follow)", SB, FOLLOW, "proc_environ");
    no_create("create proc_cwd/created_via_proc", SB, 0, "proc_cwd/created_via_proc");
    must_fail("mkdir proc_cwd/mkdir_via_proc", __wasi_path_create_directory(SB, "proc_cwd/mkdir_via_proc"));
    must_fail("unlink proc_cwd/victim.txt", __wasi_path_unlink_file(SB, "proc_cwd/victim.txt"));
    must_fail("rename proc_cwd/victim.txt -> stolen",
              __wasi_path_rename(SB, "proc_cwd/victim.txt", SB, "stolen"));
    no_write("truncate proc_cwd/secret.txt", SB, 0, "proc_cwd/secret.txt", __WASI_OFLAGS_TRUNC);

    for (int n = 0; n < 16; n++) {
        char name[64], what[160];
        snprintf(name, sizeof name, "proc_fd%d", n);
        snprintf(what, sizeof what, "read %s (follow)", name);
        no_read(what, SB, FOLLOW, name);
        snprintf(what, sizeof what, "read %s/../outside/secret.txt", name);
        no_read(what, SB, 0, P("%s/../outside/secret.txt", name));
        snprintf(what, sizeof what, "read %s/secret.txt", name);
        no_read(what, SB, 0, P("%s/secret.txt", name));
        snprintf(what, sizeof what, "read proc_fd/%d/../outside/secret.txt", n);
        no_read(what, SB, 0, P("proc_fd/%d/../outside/secret.txt", n));
        snprintf(what, sizeof what, "truncate %s/file.txt (ro file?)", name);
        no_write(what, SB, 0, P("%s/file.txt", name), __WASI_OFLAGS_TRUNC);
        snprintf(what, sizeof what, "create %s/created_via_fd", name);
        no_create(what, SB, 0, P("%s/created_via_fd", name));
        snprintf(what, sizeof what, "write %s (follow)", name);
        no_write(what, SB, FOLLOW, name, 0);
    }
    return escape_finish();
}
