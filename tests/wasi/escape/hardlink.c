/*
 * hardlink.c — path_link must never give the sandbox a new name for a file
 * outside it (nor put a name for an inside file outside): old path via `..`,
 * via an absolute path, via a host symlink with SYMLINK_FOLLOW (absolute,
 * relative, chained, through a directory link), via /proc/self/cwd, and new
 * path escaping the same ways.  Without SYMLINK_FOLLOW, linking a symlink
 * that points out may make a second symlink (as linkat does), but following
 * that one must fail too.  The script checks the link count and ctime of
 * every outside file, and that no sandbox file shares an inode with one.
 * Controls: linking inside works, with and without follow.
 */
#include "escape.h"

static void no_link(const char *what, __wasi_lookupflags_t lf, const char *old,
                    const char *newp)
{
    __wasi_errno_t e = __wasi_path_link(SB, lf, old, SB, newp);
    must_fail(what, e);
    if (e == 0 || exists(SB, newp))
        no_read(P("read the link %s", newp), SB, FOLLOW, newp);
}

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    control("link file.txt -> hl_ok", __wasi_path_link(SB, 0, "file.txt", SB, "hl_ok") == 0);
    control_reads("read hl_ok", SB, 0, "hl_ok", "inside-sb\n");
    control("link in_link (follow) -> hl_ok2",
            __wasi_path_link(SB, FOLLOW, "in_link", SB, "hl_ok2") == 0);
    control_reads("read hl_ok2 (nofollow: it is the file)", SB, 0, "hl_ok2", "inside-sb\n");

    no_link("link ../outside/secret.txt", 0, "../outside/secret.txt", "hl1");
    no_link("link ../outside/secret.txt (follow)", FOLLOW, "../outside/secret.txt", "hl2");
    no_link("link a/../../outside/secret.txt", 0, "a/../../outside/secret.txt", "hl3");
    no_link("link OUT/secret.txt", 0, P("%s/secret.txt", OUT), "hl4");
    no_link("link link_rel (follow)", FOLLOW, "link_rel", "hl5");
    no_link("link link_abs (follow)", FOLLOW, "link_abs", "hl6");
    no_link("link chain1 (follow)", FOLLOW, "chain1", "hl7");
    no_link("link achain1 (follow)", FOLLOW, "achain1", "hl8");
    no_link("link outdir/secret.txt", 0, "outdir/secret.txt", "hl9");
    no_link("link outdir/secret.txt (follow)", FOLLOW, "outdir/secret.txt", "hl10");
    no_link("link a/b/dl/../outside/secret.txt", 0, "a/b/dl/../outside/secret.txt", "hl11");
    no_link("link proc_cwd/secret.txt (follow)", FOLLOW, "proc_cwd/secret.txt", "hl12");
    no_link("link loop1 (follow)", FOLLOW, "loop1", "hl13");
    no_link("link ../outside/dir/inner.txt into a/", 0, "../outside/dir/inner.txt", "a/hl14");
    must_fail("link (ro) ../outside/secret.txt -> (sb) hl15",
              __wasi_path_link(RO, 0, "../outside/secret.txt", SB, "hl15"));

    /* without follow: a link to the symlink itself, which must stay harmless */
    __wasi_errno_t e = __wasi_path_link(SB, 0, "link_rel", SB, "hl_of_symlink");
    printf("note: link link_rel (nofollow): errno %u\n", (unsigned)e);
    if (e == 0) {
        __wasi_filestat_t st;
        if (__wasi_path_filestat_get(SB, 0, "hl_of_symlink", &st) == 0 &&
            st.filetype != __WASI_FILETYPE_SYMBOLIC_LINK)
            escaped("link without follow linked the target, not the symlink");
        no_read("read hl_of_symlink (follow)", SB, FOLLOW, "hl_of_symlink");
    }

    /* the new name escaping */
    must_fail("link file.txt -> ../outside/hl_planted",
              __wasi_path_link(SB, 0, "file.txt", SB, "../outside/hl_planted"));
    must_fail("link file.txt -> outdir/hl_planted2",
              __wasi_path_link(SB, 0, "file.txt", SB, "outdir/hl_planted2"));
    must_fail("link file.txt -> OUT/hl_planted3",
              __wasi_path_link(SB, 0, "file.txt", SB, P("%s/hl_planted3", OUT)));
    must_fail("link file.txt -> proc_cwd/hl_planted4",
              __wasi_path_link(SB, 0, "file.txt", SB, "proc_cwd/hl_planted4"));
    must_fail("link file.txt -> dangle_rel (follow)",
              __wasi_path_link(SB, FOLLOW, "file.txt", SB, "dangle_rel"));
    /* across preopens, the source escaping the other preopen */
    must_fail("link (sb2) ../outside/secret.txt -> (sb) hl_x",
              __wasi_path_link(SB2, 0, "../outside/secret.txt", SB, "hl_x"));
    must_fail("link (sb2) ../sb/link_rel (follow) -> (sb) hl_y",
              __wasi_path_link(SB2, FOLLOW, "../sb/link_rel", SB, "hl_y"));
    if (exists(SB, "hl_x"))
        no_read("read hl_x", SB, 0, "hl_x");
    return escape_finish();
}
