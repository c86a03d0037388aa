/*
 * gsymlink.c — symlinks the guest makes itself with path_symlink, pointing
 * outside (absolute, `..`, `../outside/...`, `/`, a chain of guest links, a
 * link in a subdirectory, a link to a dangling outside name), then used as
 * the final component (with and without follow) and as an intermediate one,
 * for reading, creating, truncating, mkdir, unlink, rename, link and set
 * times.  Whether the runtime lets the link be made at all is up to it; what
 * it must never do is follow one out.  Also path_symlink whose new path
 * escapes (it would plant a link outside), and renaming a guest link over an
 * existing file.  Controls: a guest link that stays inside works.
 */
#include "escape.h"

static int is_symlink(__wasi_fd_t dir, const char *path)
{
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(dir, 0, path, &st) == 0 &&
           st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK;
}

static void mk(const char *target, __wasi_fd_t dir, const char *name)
{
    __wasi_errno_t e = __wasi_path_symlink(target, dir, name);
    printf("note: path_symlink %s -> %s: errno %u\n", name, target, (unsigned)e);
}

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    control("make g_in -> file.txt", __wasi_path_symlink("file.txt", SB, "g_in") == 0);
    control_reads("read g_in", SB, FOLLOW, "g_in", "inside-sb\n");
    /* a link whose target has `..` but stays inside: a runtime may refuse
     * to make it; if it made it, it must work */
    if (__wasi_path_symlink("../a/b/f.txt", SB, "a/g_in_up") == 0)
        control_reads("read a/g_in_up -> ../a/b/f.txt", SB, FOLLOW, "a/g_in_up", "inside-ab\n");
    else
        printf("note: path_symlink a/g_in_up -> ../a/b/f.txt refused\n");

    char abs_secret[1024];
    snprintf(abs_secret, sizeof abs_secret, "%s/secret.txt", OUT);
    mk(abs_secret, SB, "g_abs");
    mk("../outside/secret.txt", SB, "g_rel");
    mk("..", SB, "g_up");
    mk("../outside", SB, "g_outdir");
    mk(OUT, SB, "g_outdir_abs");
    mk("/", SB, "g_root");
    mk("g_c2", SB, "g_c1");
    mk("a/g_c3", SB, "g_c2");
    mk("../../outside/secret.txt", SB, "a/g_c3");
    mk("../../outside/secret.txt", SB, "a/g_deep");
    mk("../outside/created_by_glink", SB, "g_dangle");
    mk(P("%s/created_by_glink_abs", OUT), SB, "g_dangle_abs");
    mk("g_loop2", SB, "g_loop1");
    mk("g_loop1", SB, "g_loop2");
    mk("/proc/self/cwd", SB, "g_proc_cwd");
    mk("../../../../../../../../../../proc/self/cwd", SB, "g_proc_rel");
    mk("../sb2", SB, "g_to_sb2");

    static const char *finals[] = {"g_abs", "g_rel", "g_up", "g_outdir", "g_outdir_abs", "g_root",
                                   "g_c1", "a/g_deep", "g_loop1", "g_proc_cwd", "g_proc_rel"};
    for (size_t i = 0; i < sizeof finals / sizeof *finals; i++) {
        char what[256];
        snprintf(what, sizeof what, "read %s (follow)", finals[i]);
        no_read(what, SB, FOLLOW, finals[i]);
        snprintf(what, sizeof what, "read %s (nofollow)", finals[i]);
        no_read(what, SB, NOFOLLOW, finals[i]);
        snprintf(what, sizeof what, "truncate %s (follow)", finals[i]);
        no_write(what, SB, FOLLOW, finals[i], __WASI_OFLAGS_TRUNC);
        __wasi_filestat_t st;
        snprintf(what, sizeof what, "stat %s (follow)", finals[i]);
        must_fail(what, __wasi_path_filestat_get(SB, FOLLOW, finals[i], &st));
        snprintf(what, sizeof what, "set times %s (follow)", finals[i]);
        must_fail(what, __wasi_path_filestat_set_times(SB, FOLLOW, finals[i], 0, 0,
                                                       __WASI_FSTFLAGS_ATIM_NOW |
                                                           __WASI_FSTFLAGS_MTIM_NOW));
        snprintf(what, sizeof what, "link %s (follow) -> hl", finals[i]);
        must_fail(what, __wasi_path_link(SB, FOLLOW, finals[i], SB, "g_hl"));
        if (exists(SB, "g_hl")) {
            no_read("read g_hl", SB, 0, "g_hl");
            (void)__wasi_path_unlink_file(SB, "g_hl");
        }
    }
    no_read("read g_outdir/secret.txt", SB, 0, "g_outdir/secret.txt");
    no_read("read g_outdir_abs/secret.txt", SB, 0, "g_outdir_abs/secret.txt");
    no_read("read g_up/outside/secret.txt", SB, 0, "g_up/outside/secret.txt");
    no_read("read g_root/OUT/secret.txt", SB, 0, P("g_root%s/secret.txt", OUT));
    no_read("read g_proc_cwd/secret.txt", SB, 0, "g_proc_cwd/secret.txt");
    no_read("read g_proc_rel/secret.txt", SB, 0, "g_proc_rel/secret.txt");
    no_read("readdir g_outdir/dir", SB, 0, "g_outdir/dir");
    /* creating through a dangling link (only if the runtime made it: if
     * not, the name is free and creating a file there is legitimate) */
    if (is_symlink(SB, "g_dangle"))
        no_create("create g_dangle (follow)", SB, FOLLOW, "g_dangle");
    if (is_symlink(SB, "g_dangle_abs"))
        no_create("create g_dangle_abs (follow)", SB, FOLLOW, "g_dangle_abs");
    no_create("create g_outdir/created_via_gdir", SB, 0, "g_outdir/created_via_gdir");
    no_create("create g_up/created_in_work", SB, 0, "g_up/created_in_work");
    must_fail("mkdir g_outdir/mkdir_via_glink",
              __wasi_path_create_directory(SB, "g_outdir/mkdir_via_glink"));
    must_fail("unlink g_outdir/victim.txt", __wasi_path_unlink_file(SB, "g_outdir/victim.txt"));
    must_fail("rmdir g_outdir/emptydir", __wasi_path_remove_directory(SB, "g_outdir/emptydir"));
    must_fail("rename g_outdir/victim.txt -> stolen",
              __wasi_path_rename(SB, "g_outdir/victim.txt", SB, "g_stolen"));
    must_fail("rename a/file2.txt -> g_outdir/planted",
              __wasi_path_rename(SB, "a/file2.txt", SB, "g_outdir/planted"));
    must_fail("link g_outdir/secret.txt -> g_hl2",
              __wasi_path_link(SB, 0, "g_outdir/secret.txt", SB, "g_hl2"));
    must_fail("symlink x -> g_outdir/planted_link",
              __wasi_path_symlink("x", SB, "g_outdir/planted_link"));
    must_fail("symlink x -> ../outside/planted_link",
              __wasi_path_symlink("x", SB, "../outside/planted_link"));
    must_fail("symlink x -> OUT/planted_link abs",
              __wasi_path_symlink("x", SB, P("%s/planted_link", OUT)));

    /* a hard link to a guest link that points out, then followed */
    if (__wasi_path_link(SB, 0, "g_rel", SB, "g_hl_of_link") == 0)
        no_read("read hard link of g_rel (follow)", SB, FOLLOW, "g_hl_of_link");
    /* a guest link used from a second preopen */
    no_read("read g_to_sb2/../outside/secret.txt", SB, 0, "g_to_sb2/../outside/secret.txt");

    /* rename a file over a guest link pointing out: replaces the link */
    __wasi_errno_t e = __wasi_path_rename(SB, "a/file2.txt", SB, "g_rel");
    printf("note: rename a/file2.txt over g_rel: errno %u\n", (unsigned)e);
    control("unlink g_abs removes the link only", __wasi_path_unlink_file(SB, "g_abs") == 0 ||
                                                     !exists(SB, "g_abs"));
    return escape_finish();
}
