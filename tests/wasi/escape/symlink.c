/*
 * symlink.c — symlinks made by the host inside the sandbox that lead out:
 * absolute target, relative `../outside`, a chain of several links (relative
 * and absolute), loops (must give an error), a link to a directory outside
 * used as an intermediate component, links to `/` and to `.`/`..`-ish places
 * whose `..` then leaves, dangling links whose target outside does not exist
 * (O_CREAT through them would create the host file), the final component
 * with and without SYMLINK_FOLLOW, and the calls that act on the link itself
 * (lstat, readlink, unlink, rename, set times without follow), which are
 * allowed but must not touch the target.  Controls: links that stay inside
 * work (that is what a naive "refuse every symlink" would break).
 * The links are listed in tests/wasi/sandbox.sh (setup_tree).
 */
#include "escape.h"

static void no_read_both(const char *name, const char *path)
{
    char what[256];
    snprintf(what, sizeof what, "read %s (follow)", name);
    no_read(what, SB, FOLLOW, path);
    snprintf(what, sizeof what, "read %s (nofollow)", name);
    no_read(what, SB, NOFOLLOW, path);
}

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    /* controls: links that stay inside */
    control_reads("in_link -> file.txt", SB, FOLLOW, "in_link", "inside-sb\n");
    control_reads("in_chain -> in_link -> file.txt", SB, FOLLOW, "in_chain", "inside-sb\n");
    control_reads("a/in_up -> ../file.txt", SB, FOLLOW, "a/in_up", "inside-sb\n");
    control_reads("in_dir/f.txt (in_dir -> a/b)", SB, FOLLOW, "in_dir/f.txt", "inside-ab\n");
    control_reads("in_dir/f.txt without follow (intermediate links are followed)", SB, 0,
                  "in_dir/f.txt", "inside-ab\n");
    {
        __wasi_filestat_t st;
        control("lstat link_abs is a symlink",
                __wasi_path_filestat_get(SB, 0, "link_abs", &st) == 0 &&
                    st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
        /* stat without follow must describe the link, not the outside file */
        if (__wasi_path_filestat_get(SB, 0, "link_rel", &st) == 0 &&
            st.filetype != __WASI_FILETYPE_SYMBOLIC_LINK)
            escaped("lstat link_rel followed the link");
        must_fail("stat link_abs (follow)", __wasi_path_filestat_get(SB, FOLLOW, "link_abs", &st));
        must_fail("stat link_rel (follow)", __wasi_path_filestat_get(SB, FOLLOW, "link_rel", &st));
        must_fail("stat chain1 (follow)", __wasi_path_filestat_get(SB, FOLLOW, "chain1", &st));
        must_fail("stat outdir/secret.txt", __wasi_path_filestat_get(SB, 0, "outdir/secret.txt", &st));
        must_fail("stat outdir (follow)", __wasi_path_filestat_get(SB, FOLLOW, "outdir", &st));
        char lb[512];
        __wasi_size_t n = 0;
        control("readlink link_rel gives the link text",
                __wasi_path_readlink(SB, "link_rel", (uint8_t *)lb, sizeof lb, &n) == 0 &&
                    n == strlen("../outside/secret.txt") &&
                    memcmp(lb, "../outside/secret.txt", n) == 0);
        must_fail("readlink outdir/link_out (through a link)",
                  __wasi_path_readlink(SB, "outdir/link_out", (uint8_t *)lb, sizeof lb, &n));
    }

    /* the final component */
    no_read_both("link_abs", "link_abs");
    no_read_both("link_rel", "link_rel");
    no_read_both("chain1 (4 relative hops, last leaves)", "chain1");
    no_read_both("achain1 (2 hops, absolute at the end)", "achain1");
    no_read_both("a/deep_rel -> ../../outside/secret.txt", "a/deep_rel");
    no_read_both("proc-free loop1 <-> loop2", "loop1");
    no_read_both("self -> self", "self");
    no_read_both("outdir (dir link)", "outdir");
    no_read_both("outdir_abs (dir link)", "outdir_abs");
    no_read_both("outslash (-> ../outside/)", "outslash");
    no_read_both("rootlink", "rootlink");
    no_read_both("uplink (-> ..)", "uplink");
    {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(SB, FOLLOW, "loop1", 0, R_READ, 0, 0, &fd);
        control("a loop gives an error", e != 0);
        if (e == 0)
            (void)__wasi_fd_close(fd);
        printf("note: loop errno %u (loop is %u)\n", (unsigned)e, (unsigned)__WASI_ERRNO_LOOP);
    }

    /* as an intermediate component */
    no_read("read outdir/secret.txt", SB, 0, "outdir/secret.txt");
    no_read("read outdir/secret.txt (follow)", SB, FOLLOW, "outdir/secret.txt");
    no_read("read outdir_abs/secret.txt", SB, 0, "outdir_abs/secret.txt");
    no_read("read outdir/dir/inner.txt", SB, 0, "outdir/dir/inner.txt");
    no_read("read outslash/secret.txt", SB, 0, "outslash/secret.txt");
    no_read("read outdir/../outside/secret.txt", SB, 0, "outdir/../outside/secret.txt");
    no_read("read rootlink/OUT/secret.txt", SB, 0, P("rootlink%s/secret.txt", OUT));
    no_read("read uplink/outside/secret.txt", SB, 0, "uplink/outside/secret.txt");
    no_read("read dotlink/../outside/secret.txt", SB, 0, "dotlink/../outside/secret.txt");
    no_read("read dotlink/dotlink/dotlink/../outside/secret.txt", SB, 0,
            "dotlink/dotlink/dotlink/../outside/secret.txt");
    no_read("read a/b/dl/../outside/secret.txt (dl -> ../..)", SB, 0,
            "a/b/dl/../outside/secret.txt");
    no_read("read a/up/../outside/secret.txt (up -> ..)", SB, 0, "a/up/../outside/secret.txt");
    no_read("read in_dir/../../../outside/secret.txt (in_dir -> a/b)", SB, 0,
            "in_dir/../../../outside/secret.txt");
    no_read("read loopdir/x", SB, 0, "loopdir/x");
    no_read("readdir outdir/dir", SB, 0, "outdir/dir");
    no_open("readdir outdir (O_DIRECTORY, follow)", SB, FOLLOW, "outdir", __WASI_OFLAGS_DIRECTORY,
            R_READ);
    no_open("readdir outdir/ (O_DIRECTORY)", SB, 0, "outdir/", __WASI_OFLAGS_DIRECTORY, R_READ);
    no_open("readdir outdir/. (O_DIRECTORY)", SB, 0, "outdir/.", __WASI_OFLAGS_DIRECTORY, R_READ);

    /* writing through links */
    no_write("truncate link_rel (follow)", SB, FOLLOW, "link_rel", __WASI_OFLAGS_TRUNC);
    no_write("truncate link_abs (follow)", SB, FOLLOW, "link_abs", __WASI_OFLAGS_TRUNC);
    no_write("write chain1 (follow)", SB, FOLLOW, "chain1", 0);
    no_write("truncate outdir/secret.txt", SB, 0, "outdir/secret.txt", __WASI_OFLAGS_TRUNC);
    no_write("write link_rel (nofollow)", SB, 0, "link_rel", 0);
    no_create("create through dangle_abs (follow)", SB, FOLLOW, "dangle_abs");
    no_create("create through dangle_abs (nofollow)", SB, 0, "dangle_abs");
    no_create("create through dangle_rel (follow)", SB, FOLLOW, "dangle_rel");
    no_create("create through dangle_rel (nofollow)", SB, 0, "dangle_rel");
    no_create("create through dangle_chain (follow)", SB, FOLLOW, "dangle_chain");
    no_create("create outdir/created_via_dirlink", SB, 0, "outdir/created_via_dirlink");
    no_create("create outdir_abs/created_via_dirlink2", SB, 0, "outdir_abs/created_via_dirlink2");
    no_create("create rootlink/OUT/created_via_root", SB, 0, P("rootlink%s/created_via_root", OUT));
    no_create("create a/b/dl/../outside/created_dl", SB, 0, "a/b/dl/../outside/created_dl");
    {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(SB, FOLLOW, "dangle_rel",
                                            __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL,
                                            R_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
        must_fail("create O_EXCL through dangle_rel", e);
        if (e == 0)
            (void)__wasi_fd_close(fd);
    }
    must_fail("mkdir outdir/mkdir_via_link", __wasi_path_create_directory(SB, "outdir/mkdir_via_link"));
    must_fail("mkdir dangle_dir", __wasi_path_create_directory(SB, "dangle_dir"));
    must_fail("unlink outdir/victim.txt", __wasi_path_unlink_file(SB, "outdir/victim.txt"));
    must_fail("rmdir outdir/emptydir", __wasi_path_remove_directory(SB, "outdir/emptydir"));
    must_fail("rmdir outdir (a link, not a dir)", __wasi_path_remove_directory(SB, "outdir"));
    must_fail("rename outdir/victim.txt -> stolen",
              __wasi_path_rename(SB, "outdir/victim.txt", SB, "stolen"));
    must_fail("rename file2 -> outdir/planted",
              __wasi_path_rename(SB, "a/file2.txt", SB, "outdir/planted"));
    must_fail("link outdir/secret.txt -> hl_dirlink",
              __wasi_path_link(SB, 0, "outdir/secret.txt", SB, "hl_dirlink"));
    must_fail("link file.txt -> outdir/hl_planted",
              __wasi_path_link(SB, 0, "file.txt", SB, "outdir/hl_planted"));
    must_fail("symlink x -> outdir/sym_planted", __wasi_path_symlink("x", SB, "outdir/sym_planted"));
    must_fail("set times link_rel (follow)",
              __wasi_path_filestat_set_times(SB, FOLLOW, "link_rel", 1000000000ull, 1000000000ull,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    must_fail("set times chain1 (follow)",
              __wasi_path_filestat_set_times(SB, FOLLOW, "chain1", 0, 0,
                                             __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    must_fail("set times outdir/secret.txt",
              __wasi_path_filestat_set_times(SB, 0, "outdir/secret.txt", 0, 0,
                                             __WASI_FSTFLAGS_MTIM_NOW));
    must_fail("set times outdir (follow)",
              __wasi_path_filestat_set_times(SB, FOLLOW, "outdir", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

    /* calls on the link itself: may work, but only on the link */
    __wasi_errno_t e = __wasi_path_filestat_set_times(SB, 0, "link_abs2", 1000000000ull,
                                                      1000000000ull,
                                                      __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
    printf("note: set times on link_abs2 itself: errno %u\n", (unsigned)e);
    e = __wasi_path_rename(SB, "link_abs2", SB, "link_abs2_renamed");
    printf("note: rename link_abs2 itself: errno %u\n", (unsigned)e);
    if (e == 0)
        no_read("read link_abs2_renamed (follow)", SB, FOLLOW, "link_abs2_renamed");
    e = __wasi_path_rename(SB, "file.txt", SB, "link_rel2");
    printf("note: rename file.txt over link_rel2: errno %u\n", (unsigned)e);
    if (e == 0)
        control_reads("link_rel2 is now the file", SB, 0, "link_rel2", "inside-sb\n");
    control("unlink outlink_victim (the link, not its target)",
            __wasi_path_unlink_file(SB, "outlink_victim") == 0 && !exists(SB, "outlink_victim"));
    e = __wasi_path_unlink_file(SB, "outdir_abs");
    printf("note: unlink outdir_abs (a link to a dir): errno %u\n", (unsigned)e);

    return escape_finish();
}
