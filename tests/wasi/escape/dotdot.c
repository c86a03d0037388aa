/*
 * dotdot.c — `..` must never lead above a preopen: plain, deep, `a/../../x`,
 * after descending into a subdirectory (from the preopen and from a
 * directory fd opened inside it), with `.`/`//` noise, for every kind of call
 * (open for read, create, stat, readdir, mkdir, unlink, rmdir, rename, link,
 * symlink, set times, readlink), and `..` that comes back into the preopen
 * itself (`../empty`, `.`), which would let the guest remove or rename the
 * preopened directory on the host.  Controls: `a/../file.txt` and friends,
 * which stay inside, must work.
 */
#include "escape.h"

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    /* controls: `..` that stays inside the preopen */
    control_reads("a/../file.txt", SB, 0, "a/../file.txt", "inside-sb\n");
    control_reads("a/b/../../file.txt", SB, 0, "a/b/../../file.txt", "inside-sb\n");
    control_reads("./a/./b/f.txt", SB, 0, "./a/./b/f.txt", "inside-ab\n");

    /* reading */
    no_read("read ../outside/secret.txt", SB, 0, "../outside/secret.txt");
    no_read("read ../outside/secret.txt (follow)", SB, FOLLOW, "../outside/secret.txt");
    no_read("read a/../../outside/secret.txt", SB, 0, "a/../../outside/secret.txt");
    no_read("read a/b/../../../outside/secret.txt", SB, 0, "a/b/../../../outside/secret.txt");
    no_read("read ./../outside/secret.txt", SB, 0, "./../outside/secret.txt");
    no_read("read .//..//outside//secret.txt", SB, 0, ".//..//outside//secret.txt");
    no_read("read a/b/./../../.././outside/secret.txt", SB, 0,
            "a/b/./../../.././outside/secret.txt");
    no_read("read ../sb/../outside/secret.txt", SB, 0, "../sb/../outside/secret.txt");
    no_read("read deep ../../../../../../../../../../..", SB, 0,
            P("../../../../../../../../../../..%s/secret.txt", OUT));
    no_read("read ../../../../../../../../etc/passwd", SB, 0,
            "../../../../../../../../etc/passwd");
    no_read("read a/../../outside/dir/inner.txt", SB, 0, "a/../../outside/dir/inner.txt");
    no_read("read secret via ro ../outside", RO, 0, "../outside/secret.txt");
    no_read("read secret via sb2 ../outside", SB2, 0, "../outside/secret.txt");
    no_read("read secret via empty ../outside", EMPTY, 0, "../outside/secret.txt");
    no_read("read ro file via sb ../ro/file.txt", SB, 0, "../ro/file.txt");
    no_read("read trailing-slash ../outside/", SB, 0, "../outside/");
    no_read("readdir ..", SB, 0, "..");
    no_read("readdir ../outside", SB, 0, "../outside");
    no_read("readdir ../outside/dir (O_DIRECTORY)", SB, 0, "../outside/dir");
    no_open("readdir ../outside/dir", SB, 0, "../outside/dir", __WASI_OFLAGS_DIRECTORY, R_READ);
    no_read("readdir a/../..", SB, 0, "a/../..");
    no_read("readdir ../..", SB, 0, "../..");

    /* after descending: a directory fd opened inside the preopen */
    __wasi_fd_t sub = (__wasi_fd_t)-1;
    __wasi_errno_t e = __wasi_path_open(SB, 0, "a/b", __WASI_OFLAGS_DIRECTORY, R_ALL, R_ALL, 0, &sub);
    if (e != 0) {
        printf("note: open a/b asking for every right: errno %u\n", (unsigned)e);
        /* the directory rights only (no FD_WRITE, which is a file's) */
        __wasi_rights_t dr = (R_READ | R_MUTATE) & ~(__wasi_rights_t)(__WASI_RIGHTS_FD_WRITE |
                                                                      __WASI_RIGHTS_FD_ALLOCATE |
                                                                      __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
        e = __wasi_path_open(SB, 0, "a/b", __WASI_OFLAGS_DIRECTORY, dr, R_READ | R_MUTATE, 0, &sub);
    }
    control("open a/b as a directory", e == 0);
    if (e == 0) {
        control_reads("read f.txt from a/b", sub, 0, "f.txt", "inside-ab\n");
        no_read("from a/b: ../../../outside/secret.txt", sub, 0, "../../../outside/secret.txt");
        no_read("from a/b: ../../../outside/secret.txt (follow)", sub, FOLLOW,
                "../../../outside/secret.txt");
        no_read("from a/b: ../../..", sub, 0, "../../..");
        no_create("from a/b: create ../../../outside/created_sub", sub, 0,
                  "../../../outside/created_sub");
        must_fail("from a/b: mkdir ../../../outside/mkdir_sub",
                  __wasi_path_create_directory(sub, "../../../outside/mkdir_sub"));
        must_fail("from a/b: unlink ../../../outside/victim.txt",
                  __wasi_path_unlink_file(sub, "../../../outside/victim.txt"));
        /* a directory opened from a subdirectory fd, then `..` from it */
        __wasi_fd_t up = (__wasi_fd_t)-1;
        e = __wasi_path_open(sub, 0, "..", __WASI_OFLAGS_DIRECTORY, R_READ, R_READ, 0, &up);
        if (e == 0) {
            /* allowed or not, it must still not get out */
            no_read("from a/b/..: ../../outside/secret.txt", up, 0, "../../outside/secret.txt");
            (void)__wasi_fd_close(up);
        }
        (void)__wasi_fd_close(sub);
    }

    /* creating */
    no_create("create ../outside/created_dotdot", SB, 0, "../outside/created_dotdot");
    no_create("create a/../../outside/created_dotdot2", SB, 0, "a/../../outside/created_dotdot2");
    no_create("create ../created_in_work", SB, 0, "../created_in_work");
    no_create("create ../ro/created_in_ro", SB, 0, "../ro/created_in_ro");
    no_write("truncate ../outside/secret.txt", SB, 0, "../outside/secret.txt", __WASI_OFLAGS_TRUNC);
    no_write("write ../outside/secret.txt", SB, 0, "../outside/secret.txt", 0);
    must_fail("mkdir ../outside/mkdir_dotdot",
              __wasi_path_create_directory(SB, "../outside/mkdir_dotdot"));
    must_fail("mkdir ../mkdir_in_work", __wasi_path_create_directory(SB, "../mkdir_in_work"));
    must_fail("mkdir a/../../outside/mkdir2",
              __wasi_path_create_directory(SB, "a/../../outside/mkdir2"));

    /* removing and renaming outside */
    must_fail("unlink ../outside/victim.txt", __wasi_path_unlink_file(SB, "../outside/victim.txt"));
    must_fail("unlink a/../../outside/victim.txt",
              __wasi_path_unlink_file(SB, "a/../../outside/victim.txt"));
    must_fail("rmdir ../outside/emptydir",
              __wasi_path_remove_directory(SB, "../outside/emptydir"));
    must_fail("rename ../outside/victim.txt -> stolen",
              __wasi_path_rename(SB, "../outside/victim.txt", SB, "stolen"));
    must_fail("rename file.txt -> ../outside/planted",
              __wasi_path_rename(SB, "file.txt", SB, "../outside/planted"));
    control("file.txt still there", exists(SB, "file.txt"));
    must_fail("rename ../outside/dir -> a/stolen_dir",
              __wasi_path_rename(SB, "../outside/dir", SB, "a/stolen_dir"));
    must_fail("link ../outside/secret.txt -> hl_dotdot",
              __wasi_path_link(SB, 0, "../outside/secret.txt", SB, "hl_dotdot"));
    if (exists(SB, "hl_dotdot"))
        no_read("read hl_dotdot", SB, 0, "hl_dotdot");
    must_fail("link file.txt -> ../outside/hl_planted",
              __wasi_path_link(SB, 0, "file.txt", SB, "../outside/hl_planted"));
    must_fail("symlink x -> ../outside/sym_planted",
              __wasi_path_symlink("x", SB, "../outside/sym_planted"));
    must_fail("set times ../outside/secret.txt",
              __wasi_path_filestat_set_times(SB, 0, "../outside/secret.txt", 1000000000ull,
                                             1000000000ull,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    must_fail("set times ../outside (now)",
              __wasi_path_filestat_set_times(SB, 0, "../outside", 0, 0,
                                             __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    __wasi_filestat_t st;
    must_fail("stat ../outside/secret.txt", __wasi_path_filestat_get(SB, 0, "../outside/secret.txt", &st));
    must_fail("stat ..", __wasi_path_filestat_get(SB, 0, "..", &st));
    char lb[256];
    __wasi_size_t ln;
    must_fail("readlink ../outside/link_out",
              __wasi_path_readlink(SB, "../outside/link_out", (uint8_t *)lb, sizeof lb, &ln));

    /* `..` back into the preopen itself: the host directory must survive */
    must_fail("rmdir ../empty (from /empty)", __wasi_path_remove_directory(EMPTY, "../empty"));
    must_fail("rmdir . (from /empty)", __wasi_path_remove_directory(EMPTY, "."));
    must_fail("rename ../empty -> moved (from /empty)",
              __wasi_path_rename(EMPTY, "../empty", EMPTY, "moved"));
    must_fail("rename . -> ../empty_moved", __wasi_path_rename(EMPTY, ".", EMPTY, "../empty_moved"));
    must_fail("rename ../sb -> ../sb_moved (from /sb)",
              __wasi_path_rename(SB, "../sb", SB, "../sb_moved"));
    must_fail("rename a/.. -> gone (from /sb)", __wasi_path_rename(SB, "a/..", SB, "gone"));
    must_fail("set times ../empty", __wasi_path_filestat_set_times(EMPTY, 0, "../empty", 0, 0,
                                                                    __WASI_FSTFLAGS_MTIM_NOW));
    control("/empty still usable", __wasi_path_create_directory(EMPTY, "made") == 0 &&
                                       __wasi_path_remove_directory(EMPTY, "made") == 0);

    return escape_finish();
}
