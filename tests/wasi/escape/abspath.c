/*
 * abspath.c — absolute paths handed straight to the preopen fd must fail
 * for every call: a naive openat(dirfd, "/host/path") ignores dirfd.  The
 * guest is told the real host paths of the outside directory, of its own
 * sandbox and of the read-only one (argv), so a runtime that passes the path
 * through would hit real files.  Also `//`, `/.`, `/proc/self/cwd/...` (the
 * working directory is the outside directory) and `/` itself.
 */
#include "escape.h"

int main(int argc, char **argv)
{
    escape_init(argc, argv);
    char abs_secret[1024], abs_out[1024];
    snprintf(abs_secret, sizeof abs_secret, "%s/secret.txt", OUT);
    snprintf(abs_out, sizeof abs_out, "%s", OUT);

    control_reads("relative file.txt", SB, 0, "file.txt", "inside-sb\n");

    no_read("read OUT/secret.txt", SB, 0, abs_secret);
    no_read("read OUT/secret.txt (follow)", SB, FOLLOW, abs_secret);
    no_read("read OUT/secret.txt from ro", RO, 0, abs_secret);
    no_read("read //OUT/secret.txt", SB, 0, P("//%s/secret.txt", OUT));
    no_read("read /./OUT/secret.txt", SB, 0, P("/.%s/secret.txt", OUT));
    no_read("read /../../OUT/secret.txt", SB, 0, P("/../..%s/secret.txt", OUT));
    no_read("read /proc/self/cwd/secret.txt", SB, 0, "/proc/self/cwd/secret.txt");
    no_read("read /proc/self/environ", SB, 0, "/proc/self/environ");
    no_read("read /etc/passwd", SB, 0, "/etc/passwd");
    no_read("read SBHOST/file.txt (own sandbox, but absolute)", SB, 0,
            P("%s/file.txt", SBHOST));
    no_read("read ROHOST/file.txt", SB, 0, P("%s/file.txt", ROHOST));
    no_read("readdir /", SB, 0, "/");
    no_read("readdir OUT", SB, 0, abs_out);
    no_read("readdir OUT/dir", SB, 0, P("%s/dir", OUT));

    no_create("create OUT/created_abs", SB, 0, P("%s/created_abs", OUT));
    no_create("create ROHOST/created_abs", SB, 0, P("%s/created_abs", ROHOST));
    no_write("truncate OUT/secret.txt", SB, 0, abs_secret, __WASI_OFLAGS_TRUNC);
    no_write("write OUT/secret.txt", SB, 0, abs_secret, 0);
    must_fail("mkdir OUT/mkdir_abs", __wasi_path_create_directory(SB, P("%s/mkdir_abs", OUT)));
    must_fail("unlink OUT/victim.txt", __wasi_path_unlink_file(SB, P("%s/victim.txt", OUT)));
    must_fail("rmdir OUT/emptydir", __wasi_path_remove_directory(SB, P("%s/emptydir", OUT)));
    must_fail("rename OUT/victim.txt -> stolen",
              __wasi_path_rename(SB, P("%s/victim.txt", OUT), SB, "stolen"));
    {
        char dst[1024];
        snprintf(dst, sizeof dst, "%s/planted", OUT);
        must_fail("rename file.txt -> OUT/planted", __wasi_path_rename(SB, "file.txt", SB, dst));
        must_fail("link file.txt -> OUT/hl_planted",
                  __wasi_path_link(SB, 0, "file.txt", SB, P("%s/hl_planted", OUT)));
        must_fail("symlink x -> OUT/sym_planted",
                  __wasi_path_symlink("x", SB, P("%s/sym_planted", OUT)));
    }
    control("file.txt still there", exists(SB, "file.txt"));
    must_fail("link OUT/secret.txt -> hl_abs", __wasi_path_link(SB, 0, abs_secret, SB, "hl_abs"));
    if (exists(SB, "hl_abs"))
        no_read("read hl_abs", SB, 0, "hl_abs");
    must_fail("link OUT/secret.txt -> hl_abs (follow)",
              __wasi_path_link(SB, FOLLOW, abs_secret, SB, "hl_abs2"));
    must_fail("set times OUT/secret.txt",
              __wasi_path_filestat_set_times(SB, 0, abs_secret, 1000000000ull, 1000000000ull,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    must_fail("set times OUT (now)", __wasi_path_filestat_set_times(
                                         SB, FOLLOW, abs_out, 0, 0,
                                         __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_filestat_t st;
    must_fail("stat OUT/secret.txt", __wasi_path_filestat_get(SB, 0, abs_secret, &st));
    must_fail("stat /", __wasi_path_filestat_get(SB, 0, "/", &st));
    char lb[256];
    __wasi_size_t ln;
    must_fail("readlink OUT/link_out",
              __wasi_path_readlink(SB, P("%s/link_out", OUT), (uint8_t *)lb, sizeof lb, &ln));
    return escape_finish();
}
