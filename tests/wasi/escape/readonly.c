/*
 * readonly.c — a --dir-ro preopen (fd 4, /ro) must refuse every mutating
 * call and the host tree must stay byte for byte, time for time, the same:
 * create (O_CREAT, new and existing, O_EXCL), opening for write and writing
 * (fd_write, fd_pwrite, append), O_TRUNC, ftruncate (fd_filestat_set_size),
 * unlink, rmdir, mkdir, rename (within, and in and out of it), link,
 * symlink, utimensat and futimens (path_filestat_set_times,
 * fd_filestat_set_times, on files, on the preopen itself and with _NOW),
 * posix_fallocate (fd_allocate), also through a subdirectory fd opened from
 * it (inheriting rights) and after fd_fdstat_set_rights tries to add rights.
 * Then the rights: fd_fdstat_get on the read-only preopen (base rights; its
 * inheriting rights may list the file-writing rights, which kiln does on
 * purpose, but no path-mutating one) and on files and directories opened
 * from it (base and inheriting) lacks every write/mutate right, while the
 * read-write preopen (fd 3) and a file opened from it for writing have them.
 * Last, fd_renumber of the read-only preopen over the read-write one must
 * carry the read-only rights along (fd 3 is then read-only).
 * Controls: reading, stat and readdir in /ro work.
 */
#include "escape.h"

static void rights_lack(const char *what_, __wasi_fd_t fd, int inheriting_too)
{
    char what[256]; /* what_ may be P()'s buffer, which P() reuses */
    snprintf(what, sizeof what, "%s", what_);
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) != 0) {
        control(P("fdstat %s", what), 0);
        return;
    }
    printf("note: %s rights base %#llx inheriting %#llx\n", what,
           (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
    if (st.fs_rights_base & R_MUTATE)
        escaped(P("%s: base rights include mutate bits %#llx", what,
                  (unsigned long long)(st.fs_rights_base & R_MUTATE)));
    else
        printf("ok %s: no mutate rights in base\n", what);
    if (inheriting_too == 2) {
        /* the preopen's inheriting rights: kiln lists the file-writing ones
         * on purpose (so that wasi-libc asks for them and path_open refuses
         * the open, see src/wasi/wasi.c open_dirs); every path mutation
         * right must still be absent */
        __wasi_rights_t file_w = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ALLOCATE |
                                 __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |
                                 __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;
        if (st.fs_rights_inheriting & R_MUTATE & ~file_w)
            escaped(P("%s: inheriting rights include path mutate bits %#llx", what,
                      (unsigned long long)(st.fs_rights_inheriting & R_MUTATE & ~file_w)));
        else if (st.fs_rights_inheriting & file_w)
            printf("ok %s: inheriting rights list only the file-writing bits %#llx, by design "
                   "(opens asking for them must be, and are checked to be, refused)\n",
                   what, (unsigned long long)(st.fs_rights_inheriting & file_w));
        else
            printf("ok %s: no mutate rights in inheriting\n", what);
    } else if (inheriting_too) {
        if (st.fs_rights_inheriting & R_MUTATE)
            escaped(P("%s: inheriting rights include mutate bits %#llx", what,
                      (unsigned long long)(st.fs_rights_inheriting & R_MUTATE)));
        else
            printf("ok %s: no mutate rights in inheriting\n", what);
    }
}

/* every call that mutates through an open file fd */
static void fd_mutations(const char *what_, __wasi_fd_t fd)
{
    char what[256];
    snprintf(what, sizeof what, "%s", what_);
    __wasi_ciovec_t iov = {(const uint8_t *)"overwritten\n", 12};
    __wasi_size_t n = 0;
    must_fail(P("%s: fd_write", what), __wasi_fd_write(fd, &iov, 1, &n));
    must_fail(P("%s: fd_pwrite", what), __wasi_fd_pwrite(fd, &iov, 1, 0, &n));
    must_fail(P("%s: fd_pwrite at 1000", what), __wasi_fd_pwrite(fd, &iov, 1, 1000, &n));
    must_fail(P("%s: ftruncate 0", what), __wasi_fd_filestat_set_size(fd, 0));
    must_fail(P("%s: ftruncate 1000", what), __wasi_fd_filestat_set_size(fd, 1000));
    must_fail(P("%s: fd_allocate", what), __wasi_fd_allocate(fd, 0, 65536));
    must_fail(P("%s: futimens", what),
              __wasi_fd_filestat_set_times(fd, 1000000000ull, 1000000000ull,
                                           __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    must_fail(P("%s: futimens now", what),
              __wasi_fd_filestat_set_times(fd, 0, 0,
                                           __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    /* append mode, then write */
    if (__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND) == 0)
        must_fail(P("%s: fd_write in append mode", what), __wasi_fd_write(fd, &iov, 1, &n));
    /* the rights must not come back */
    __wasi_errno_t e = __wasi_fd_fdstat_set_rights(fd, R_ALL, R_ALL);
    printf("note: %s: fd_fdstat_set_rights(all) errno %u\n", what, (unsigned)e);
    must_fail(P("%s: fd_write after set_rights", what), __wasi_fd_write(fd, &iov, 1, &n));
    must_fail(P("%s: ftruncate after set_rights", what), __wasi_fd_filestat_set_size(fd, 0));
}

/* every path call that mutates, relative to dir */
static void path_mutations(const char *what_, __wasi_fd_t dir, const char *file,
                           const char *emptydir)
{
    char what[256];
    snprintf(what, sizeof what, "%s", what_);
    no_create(P("%s: create new", what), dir, 0, "created_in_ro");
    no_create(P("%s: create existing %s", what, file), dir, 0, file);
    {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(dir, 0, "created_excl",
                                            __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_READ, 0, 0, &fd);
        must_fail(P("%s: create O_EXCL (read rights only)", what), e);
        if (e == 0)
            (void)__wasi_fd_close(fd);
        e = __wasi_path_open(dir, 0, "created_rdonly", __WASI_OFLAGS_CREAT, R_READ, 0, 0, &fd);
        must_fail(P("%s: create (read rights only)", what), e);
        if (e == 0)
            (void)__wasi_fd_close(fd);
        e = __wasi_path_open(dir, 0, file, __WASI_OFLAGS_TRUNC, R_READ, 0, 0, &fd);
        must_fail(P("%s: O_TRUNC %s (read rights only)", what, file), e);
        if (e == 0)
            (void)__wasi_fd_close(fd);
    }
    no_write(P("%s: O_TRUNC %s", what, file), dir, 0, file, __WASI_OFLAGS_TRUNC);
    no_write(P("%s: open %s for writing", what, file), dir, 0, file, 0);
    {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(dir, 0, file, 0, R_READ | __WASI_RIGHTS_FD_WRITE, 0,
                                            __WASI_FDFLAGS_APPEND, &fd);
        if (e == 0) {
            __wasi_ciovec_t iov = {(const uint8_t *)"appended\n", 9};
            __wasi_size_t n;
            must_fail(P("%s: append to %s", what, file), __wasi_fd_write(fd, &iov, 1, &n));
            (void)__wasi_fd_close(fd);
        } else {
            printf("ok %s: open %s for append (errno %u)\n", what, file, (unsigned)e);
        }
    }
    must_fail(P("%s: mkdir", what), __wasi_path_create_directory(dir, "newdir"));
    must_fail(P("%s: unlink %s", what, file), __wasi_path_unlink_file(dir, file));
    must_fail(P("%s: rmdir %s", what, emptydir), __wasi_path_remove_directory(dir, emptydir));
    must_fail(P("%s: rename %s -> renamed", what, file), __wasi_path_rename(dir, file, dir, "renamed"));
    must_fail(P("%s: rename %s over itself", what, file), __wasi_path_rename(dir, file, dir, file));
    must_fail(P("%s: rename %s -> %s (dir)", what, emptydir, "renamed_dir"),
              __wasi_path_rename(dir, emptydir, dir, "renamed_dir"));
    must_fail(P("%s: link %s -> hl", what, file), __wasi_path_link(dir, 0, file, dir, "hl"));
    must_fail(P("%s: symlink", what), __wasi_path_symlink(file, dir, "sym"));
    must_fail(P("%s: set times %s", what, file),
              __wasi_path_filestat_set_times(dir, 0, file, 1000000000ull, 1000000000ull,
                                             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
    must_fail(P("%s: set times %s now", what, file),
              __wasi_path_filestat_set_times(dir, FOLLOW, file, 0, 0,
                                             __WASI_FSTFLAGS_ATIM_NOW | __WASI_FSTFLAGS_MTIM_NOW));
    must_fail(P("%s: set times .", what),
              __wasi_path_filestat_set_times(dir, 0, ".", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    must_fail(P("%s: set times %s", what, emptydir),
              __wasi_path_filestat_set_times(dir, 0, emptydir, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
}

int main(int argc, char **argv)
{
    escape_init(argc, argv);

    control_reads("read ro/file.txt", RO, 0, "file.txt", "ro-content\n");
    control_reads("read ro/sub/f.txt", RO, 0, "sub/f.txt", "ro-sub\n");
    control_reads("read ro/link_in (follow)", RO, FOLLOW, "link_in", "ro-content\n");
    {
        __wasi_filestat_t st;
        control("stat ro/file.txt", __wasi_path_filestat_get(RO, 0, "file.txt", &st) == 0 &&
                                        st.size == strlen("ro-content\n"));
        char buf[1024];
        __wasi_size_t n = 0;
        control("readdir ro", __wasi_fd_readdir(RO, (uint8_t *)buf, sizeof buf, 0, &n) == 0 && n > 0);
    }

    /* the rights */
    rights_lack("ro preopen", RO, 2);
    {
        __wasi_fdstat_t st;
        int good = __wasi_fd_fdstat_get(SB, &st) == 0;
        __wasi_rights_t want_base = __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
                                    __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |
                                    __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |
                                    __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_SYMLINK |
                                    __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET |
                                    __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES;
        __wasi_rights_t want_inh = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ |
                                   __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE;
        if (good)
            printf("note: rw preopen rights base %#llx inheriting %#llx\n",
                   (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting);
        control("rw preopen has the write rights",
                good && (st.fs_rights_base & want_base) == want_base &&
                    (st.fs_rights_inheriting & want_inh) == want_inh);
        __wasi_fd_t fd;
        good = __wasi_path_open(SB, 0, "rw_probe", __WASI_OFLAGS_CREAT,
                                R_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE, 0, 0,
                                &fd) == 0;
        if (good) {
            good = __wasi_fd_fdstat_get(fd, &st) == 0 && (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) &&
                   (st.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
            __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
            __wasi_size_t n = 0;
            good = good && __wasi_fd_write(fd, &iov, 1, &n) == 0 && n == 1;
            (void)__wasi_fd_close(fd);
        }
        control("file opened for writing in /sb has FD_WRITE and writes", good);
    }

    /* files opened from /ro, asking for everything or for reading */
    static const __wasi_rights_t asks[] = {R_ALL, R_READ, R_READ | __WASI_RIGHTS_FD_WRITE};
    for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
        __wasi_fd_t fd;
        __wasi_errno_t e = __wasi_path_open(RO, 0, "file.txt", 0, asks[i], asks[i], 0, &fd);
        printf("note: open ro/file.txt asking %#llx: errno %u\n", (unsigned long long)asks[i],
               (unsigned)e);
        if (e == 0) {
            rights_lack(P("ro/file.txt opened asking %#llx", (unsigned long long)asks[i]), fd, 1);
            fd_mutations(P("ro/file.txt (asked %#llx)", (unsigned long long)asks[i]), fd);
            (void)__wasi_fd_close(fd);
        }
    }
    {
        __wasi_fd_t fd;
        if (__wasi_path_open(RO, 0, "file.txt", 0, R_READ, 0, 0, &fd) == 0) {
            fd_mutations("ro/file.txt (read rights)", fd);
            (void)__wasi_fd_close(fd);
        } else {
            control("open ro/file.txt for reading", 0);
        }
    }

    /* the preopen itself */
    must_fail("ro preopen: futimens", __wasi_fd_filestat_set_times(RO, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    must_fail("ro preopen: fd_allocate", __wasi_fd_allocate(RO, 0, 4096));
    must_fail("ro preopen: ftruncate", __wasi_fd_filestat_set_size(RO, 0));
    path_mutations("ro", RO, "file.txt", "emptydir");
    path_mutations("ro via sub/..", RO, "sub/../file.txt", "sub/../emptydir");
    {
        /* a fd for a subdirectory, asking for every right */
        __wasi_fd_t sub;
        __wasi_errno_t e = __wasi_path_open(RO, 0, "sub", __WASI_OFLAGS_DIRECTORY, R_ALL, R_ALL, 0, &sub);
        if (e != 0)
            e = __wasi_path_open(RO, 0, "sub", __WASI_OFLAGS_DIRECTORY, R_READ, R_READ, 0, &sub);
        control("open ro/sub as a directory", e == 0);
        if (e == 0) {
            rights_lack("ro/sub directory fd", sub, 1);
            must_fail("ro/sub: futimens", __wasi_fd_filestat_set_times(sub, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
            path_mutations("ro/sub fd", sub, "f.txt", "emptysub");
            (void)__wasi_fd_close(sub);
        }
    }
    /* ro reached from rw and rw from ro */
    must_fail("rename ro/file.txt -> sb/x", __wasi_path_rename(RO, "file.txt", SB, "x"));
    must_fail("rename sb/file.txt -> ro/x", __wasi_path_rename(SB, "file.txt", RO, "x"));
    must_fail("link ro/file.txt -> sb/x", __wasi_path_link(RO, 0, "file.txt", SB, "x"));
    must_fail("link sb/file.txt -> ro/x", __wasi_path_link(SB, 0, "file.txt", RO, "x"));
    must_fail("set rights: ro preopen regains everything, then mkdir",
              ((void)__wasi_fd_fdstat_set_rights(RO, R_ALL, R_ALL),
               __wasi_path_create_directory(RO, "after_set_rights")));
    control_reads("ro/file.txt unchanged", RO, 0, "file.txt", "ro-content\n");

    /* renumber the read-only preopen over the read-write one: fd 3 is then
     * the read-only directory, with its rights, not /sb's */
    __wasi_errno_t e = __wasi_fd_renumber(RO, SB);
    printf("note: fd_renumber(ro, sb): errno %u\n", (unsigned)e);
    if (e == 0) {
        rights_lack("ro renumbered to fd 3", SB, 2);
        no_create("after renumber: create in fd 3", SB, 0, "created_after_renumber");
        no_write("after renumber: truncate fd 3 file.txt", SB, 0, "file.txt", __WASI_OFLAGS_TRUNC);
        must_fail("after renumber: unlink fd 3 file.txt", __wasi_path_unlink_file(SB, "file.txt"));
        must_fail("after renumber: mkdir in fd 3", __wasi_path_create_directory(SB, "newdir"));
        control_reads("after renumber: fd 3 reads ro/file.txt", SB, 0, "file.txt", "ro-content\n");
        control("after renumber: fd 4 is closed", __wasi_fd_fdstat_get(RO, &(__wasi_fdstat_t){0}) ==
                                                      __WASI_ERRNO_BADF);
    }
    return escape_finish();
}
