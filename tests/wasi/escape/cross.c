/*
 * cross.c — rename and link between two preopens: into and out of the
 * read-only one (which would change it, or give a writable name to one of
 * its files), between two read-write ones where the target or the source
 * escapes (`..`, absolute, through a link), and reaching the read-only tree
 * from a read-write preopen through a host symlink (sb2/to_ro -> ../ro),
 * which must not turn read-only into writable.  Controls: rename and link
 * between the two read-write preopens work.
 */
#include "escape.h"

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    control("rename sb/a/file2.txt -> sb2/moved",
            __wasi_path_rename(SB, "a/file2.txt", SB2, "moved") == 0);
    control_reads("read sb2/moved", SB2, 0, "moved", "inside-a\n");
    control("link sb2/file.txt -> sb/linked_from_sb2",
            __wasi_path_link(SB2, 0, "file.txt", SB, "linked_from_sb2") == 0);

    /* the read-only preopen, as target */
    must_fail("rename sb/file.txt -> ro/moved_in", __wasi_path_rename(SB, "file.txt", RO, "moved_in"));
    control("sb/file.txt still there", exists(SB, "file.txt"));
    must_fail("rename sb/file.txt -> ro/file.txt (replace)",
              __wasi_path_rename(SB, "file.txt", RO, "file.txt"));
    must_fail("rename sb/a -> ro/sub/a", __wasi_path_rename(SB, "a", RO, "sub/a"));
    must_fail("link sb/file.txt -> ro/linked_in", __wasi_path_link(SB, 0, "file.txt", RO, "linked_in"));
    must_fail("link sb/in_link (follow) -> ro/linked_in2",
              __wasi_path_link(SB, FOLLOW, "in_link", RO, "linked_in2"));
    must_fail("symlink -> ro/sym_in", __wasi_path_symlink("file.txt", RO, "sym_in"));
    /* the read-only preopen, as source */
    must_fail("rename ro/file.txt -> sb/stolen", __wasi_path_rename(RO, "file.txt", SB, "stolen"));
    must_fail("rename ro/sub -> sb/stolen_sub", __wasi_path_rename(RO, "sub", SB, "stolen_sub"));
    must_fail("rename ro/link_in -> sb/stolen_link", __wasi_path_rename(RO, "link_in", SB, "stolen_link"));
    __wasi_errno_t e = __wasi_path_link(RO, 0, "file.txt", SB, "ro_hardlink");
    must_fail("link ro/file.txt -> sb/ro_hardlink", e);
    if (e == 0)
        no_write("write ro/file.txt through sb/ro_hardlink", SB, 0, "ro_hardlink", 0);
    e = __wasi_path_link(RO, FOLLOW, "link_in", SB, "ro_hardlink2");
    must_fail("link ro/link_in (follow) -> sb/ro_hardlink2", e);
    if (e == 0)
        no_write("truncate ro/file.txt through sb/ro_hardlink2", SB, 0, "ro_hardlink2",
                 __WASI_OFLAGS_TRUNC);
    e = __wasi_path_link(RO, 0, "sub/f.txt", SB2, "ro_hardlink3");
    must_fail("link ro/sub/f.txt -> sb2/ro_hardlink3", e);

    /* the read-only tree reached from a read-write preopen */
    no_write("truncate sb2/to_ro/file.txt", SB2, 0, "to_ro/file.txt", __WASI_OFLAGS_TRUNC);
    no_write("write sb2/to_ro/file.txt", SB2, 0, "to_ro/file.txt", 0);
    no_write("truncate sb2/to_ro_abs/file.txt", SB2, 0, "to_ro_abs/file.txt", __WASI_OFLAGS_TRUNC);
    no_write("truncate sb2/../ro/file.txt", SB2, 0, "../ro/file.txt", __WASI_OFLAGS_TRUNC);
    no_create("create sb2/to_ro/planted", SB2, 0, "to_ro/planted");
    must_fail("unlink sb2/to_ro/file.txt", __wasi_path_unlink_file(SB2, "to_ro/file.txt"));
    must_fail("rmdir sb2/to_ro/emptydir", __wasi_path_remove_directory(SB2, "to_ro/emptydir"));
    must_fail("mkdir sb2/to_ro/newdir", __wasi_path_create_directory(SB2, "to_ro/newdir"));
    must_fail("rename sb2/to_ro/file.txt -> sb2/got",
              __wasi_path_rename(SB2, "to_ro/file.txt", SB2, "got"));
    must_fail("rename sb2/file.txt -> sb2/to_ro/file.txt",
              __wasi_path_rename(SB2, "file.txt", SB2, "to_ro/file.txt"));
    must_fail("link sb2/to_ro/file.txt -> sb2/got_link",
              __wasi_path_link(SB2, 0, "to_ro/file.txt", SB2, "got_link"));
    must_fail("set times sb2/to_ro/file.txt",
              __wasi_path_filestat_set_times(SB2, 0, "to_ro/file.txt", 0, 0,
                                             __WASI_FSTFLAGS_MTIM_NOW));
    must_fail("set times sb2/to_ro (follow)",
              __wasi_path_filestat_set_times(SB2, FOLLOW, "to_ro", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));

    /* two read-write preopens, an end escaping */
    must_fail("rename sb/file.txt -> sb2/../outside/moved",
              __wasi_path_rename(SB, "file.txt", SB2, "../outside/moved"));
    must_fail("rename sb/file.txt -> OUT/moved (abs, via sb2)",
              __wasi_path_rename(SB, "file.txt", SB2, P("%s/moved", OUT)));
    must_fail("rename sb/file.txt -> sb2/to_out/moved (via a link)",
              __wasi_path_rename(SB, "file.txt", SB2, "to_out/moved"));
    must_fail("rename sb2/../outside/victim.txt -> sb/stolen",
              __wasi_path_rename(SB2, "../outside/victim.txt", SB, "stolen"));
    must_fail("rename sb2/to_out/victim.txt -> sb/stolen",
              __wasi_path_rename(SB2, "to_out/victim.txt", SB, "stolen"));
    must_fail("rename sb/a -> sb2/../sb/a_renamed (out and back in)",
              __wasi_path_rename(SB, "a", SB2, "../sb/a_renamed"));
    must_fail("rename sb2/../outside/dir -> sb/dir_stolen",
              __wasi_path_rename(SB2, "../outside/dir", SB, "dir_stolen"));
    must_fail("rename sb/a -> sb2/../outside/a_planted",
              __wasi_path_rename(SB, "a", SB2, "../outside/a_planted"));
    control("sb/a still there", exists(SB, "a/b/f.txt"));
    must_fail("link sb/file.txt -> sb2/../outside/hl",
              __wasi_path_link(SB, 0, "file.txt", SB2, "../outside/hl"));
    must_fail("link sb/link_rel (follow) -> sb2/hl",
              __wasi_path_link(SB, FOLLOW, "link_rel", SB2, "hl"));
    if (exists(SB2, "hl"))
        no_read("read sb2/hl", SB2, 0, "hl");
    must_fail("link sb2/to_out/secret.txt -> sb/hl2",
              __wasi_path_link(SB2, 0, "to_out/secret.txt", SB, "hl2"));
    return escape_finish();
}
