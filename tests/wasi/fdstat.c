/*
 * fdstat.c — what an fd says about itself, through __wasi_fd_fdstat_get
 * and friends, with /sandbox the only preopen (fd 3):
 *   - fd 3: prestat tag dir, name "/sandbox"; filetype directory; rights
 *     include path_open, path_create_file, path_create_directory,
 *     fd_readdir, path_filestat_get; fd 4 has no prestat (EBADF);
 *   - a file opened O_RDONLY: regular_file, fd_read and fd_seek but not
 *     fd_write; O_WRONLY: fd_write, not fd_read; O_APPEND shows in
 *     fs_flags, and in fcntl(F_GETFL) with the access mode;
 *   - fcntl(F_SETFL, O_APPEND) (fd_fdstat_set_flags) makes writes append;
 *   - fd_fdstat_set_rights drops fd_write (a write then fails) and cannot
 *     add rights back (ENOTCAPABLE);
 *   - fd_renumber moves an fd onto another; fd_close twice gives EBADF;
 *   - isatty() is 0 for a file, a directory and a non-terminal stdout
 *     (run.sh redirects stdout to a file);
 *   - posix_fadvise (fd_advise) succeeds.
 */
#include <sys/stat.h>
#include <wasi/api.h>

#include "check.h"

#define D "/sandbox"

static __wasi_fdstat_t fdstat(int fd, int *err)
{
    __wasi_fdstat_t s;
    memset(&s, 0, sizeof s);
    *err = __wasi_fd_fdstat_get(fd, &s);
    return s;
}

#define HAS(s, r) (((s).fs_rights_base & (r)) != 0)

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    int err;
    char buf[64];

    /* the preopen */
    __wasi_prestat_t pre;
    CHECK_WASI(__wasi_fd_prestat_get(3, &pre), 0, "fd_prestat_get(3)");
    CHECK(pre.tag == __WASI_PREOPENTYPE_DIR && pre.u.dir.pr_name_len == 8,
          "fd 3 is a preopened dir with an 8-byte name");
    memset(buf, 0, sizeof buf);
    CHECK_WASI(__wasi_fd_prestat_dir_name(3, (uint8_t *)buf, 8), 0, "fd_prestat_dir_name(3)");
    CHECK(strcmp(buf, "/sandbox") == 0, "its name is /sandbox");
    CHECK_WASI(__wasi_fd_prestat_get(4, &pre), __WASI_ERRNO_BADF, "fd_prestat_get(4): EBADF");
    __wasi_fdstat_t s = fdstat(3, &err);
    CHECK_INT(err, 0, "fd_fdstat_get(3)");
    CHECK_INT(s.fs_filetype, __WASI_FILETYPE_DIRECTORY, "fd 3 is a directory");
    CHECK(HAS(s, __WASI_RIGHTS_PATH_OPEN) && HAS(s, __WASI_RIGHTS_PATH_CREATE_FILE) &&
              HAS(s, __WASI_RIGHTS_PATH_CREATE_DIRECTORY) && HAS(s, __WASI_RIGHTS_FD_READDIR) &&
              HAS(s, __WASI_RIGHTS_PATH_FILESTAT_GET),
          "fd 3 has path_open, path_create_file, path_create_directory, fd_readdir, path_filestat_get");
    CHECK(s.fs_rights_inheriting & __WASI_RIGHTS_FD_READ && s.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE,
          "fd 3 passes fd_read and fd_write on to files opened through it");

    /* stdio */
    for (int fd = 0; fd < 3; fd++) {
        s = fdstat(fd, &err);
        CHECK_INT(err, 0, "fd_fdstat_get(%d)", fd);
    }
    s = fdstat(1, &err);
    CHECK(HAS(s, __WASI_RIGHTS_FD_WRITE), "stdout has fd_write");
    s = fdstat(0, &err);
    CHECK(HAS(s, __WASI_RIGHTS_FD_READ), "stdin has fd_read");
    CHECK(fdstat(999, &err).fs_filetype == 0 && err == __WASI_ERRNO_BADF, "fd_fdstat_get(999): EBADF");

    /* files */
    CHECK_INT(write_file(D "/f.txt", "abc", 3), 0, "create f.txt");
    int rd = open(D "/f.txt", O_RDONLY);
    s = fdstat(rd, &err);
    CHECK(err == 0 && s.fs_filetype == __WASI_FILETYPE_REGULAR_FILE, "O_RDONLY fd is a regular_file");
    CHECK(HAS(s, __WASI_RIGHTS_FD_READ) && HAS(s, __WASI_RIGHTS_FD_SEEK), "it has fd_read and fd_seek");
    CHECK(!HAS(s, __WASI_RIGHTS_FD_WRITE), "it has no fd_write");
    CHECK_INT(fcntl(rd, F_GETFL) & O_ACCMODE, O_RDONLY, "fcntl(F_GETFL) says O_RDONLY");
    int wr = open(D "/f.txt", O_WRONLY | O_APPEND);
    s = fdstat(wr, &err);
    CHECK(err == 0 && HAS(s, __WASI_RIGHTS_FD_WRITE) && !HAS(s, __WASI_RIGHTS_FD_READ),
          "O_WRONLY fd has fd_write, not fd_read");
    if (SECTION("fdflags")) {
        CHECK_INT(fdstat(rd, &err).fs_flags, 0, "O_RDONLY fd: no fdflags");
        CHECK_INT(s.fs_flags, __WASI_FDFLAGS_APPEND, "O_APPEND fd: fdflags is exactly append");
        CHECK_INT(fcntl(wr, F_GETFL), O_WRONLY | O_APPEND, "fcntl(F_GETFL) says O_WRONLY|O_APPEND");
    }
    SECTION("set-flags");
    close(wr);

    int rw = open(D "/f.txt", O_RDWR);
    CHECK_INT(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR, "O_RDWR fd: fcntl(F_GETFL) says O_RDWR");
    CHECK_INT(fcntl(rw, F_SETFL, O_APPEND), 0, "fcntl(F_SETFL, O_APPEND)");
    if (SECTION("fdflags-after-set"))
        CHECK_INT(fdstat(rw, &err).fs_flags, __WASI_FDFLAGS_APPEND, "fdflags is now exactly append");
    SECTION("append-after-set");
    CHECK_INT(lseek(rw, 0, SEEK_SET), 0, "seek to 0");
    CHECK_INT(write(rw, "d", 1), 1, "write d");
    CHECK(read_file(D "/f.txt", buf, sizeof buf) == 4 && strcmp(buf, "abcd") == 0,
          "the write appended: abcd");

    if (SECTION("set-rights")) {
        s = fdstat(rw, &err);
        CHECK_WASI(__wasi_fd_fdstat_set_rights(rw, s.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE,
                                               s.fs_rights_inheriting),
                   0, "fd_fdstat_set_rights without fd_write");
        s = fdstat(rw, &err);
        CHECK(!HAS(s, __WASI_RIGHTS_FD_WRITE) && HAS(s, __WASI_RIGHTS_FD_READ),
              "the fd has fd_read but no fd_write now");
        errno = 0;
        ssize_t w = write(rw, "e", 1);
        CHECK(w == -1 && (errno == ENOTCAPABLE || errno == EBADF),
              "a write now fails (ENOTCAPABLE or EBADF)");
        CHECK_WASI(__wasi_fd_fdstat_set_rights(rw, s.fs_rights_base | __WASI_RIGHTS_FD_WRITE,
                                               s.fs_rights_inheriting),
                   __WASI_ERRNO_NOTCAPABLE, "adding fd_write back: ENOTCAPABLE");
        CHECK_INT(pread(rw, buf, 4, 0), 4, "reading still works");
    }

    if (SECTION("renumber")) {
        int a = open(D "/f.txt", O_RDONLY);
        CHECK_INT(write_file(D "/g.txt", "ggg", 3), 0, "create g.txt");
        int b = open(D "/g.txt", O_RDONLY);
        CHECK(a >= 0 && b >= 0 && a != b, "two fds, a on f.txt and b on g.txt");
        CHECK_WASI(__wasi_fd_renumber(a, b), 0, "fd_renumber(a, b)");
        memset(buf, 0, sizeof buf);
        CHECK_INT(read(b, buf, sizeof buf), 4, "b now reads f.txt's 4 bytes");
        CHECK(strcmp(buf, "abcd") == 0, "\"abcd\"");
        CHECK_ERR(read(a, buf, 1), EBADF, "a is closed: EBADF");
        CHECK_WASI(__wasi_fd_renumber(b, 999), __WASI_ERRNO_BADF, "fd_renumber onto a closed fd: EBADF");
        CHECK_INT(close(b), 0, "close b");
        CHECK_ERR(close(b), EBADF, "close b again: EBADF");
    }
    SECTION("isatty");

    int dfd = open(D, O_RDONLY | O_DIRECTORY);
    errno = 0;
    CHECK(isatty(rd) == 0 && errno == ENOTTY, "isatty(a file) is 0, ENOTTY");
    CHECK(isatty(dfd) == 0, "isatty(a directory) is 0");
    CHECK(isatty(1) == 0, "isatty(stdout redirected to a file) is 0");
    CHECK_INT(posix_fadvise(rd, 0, 3, POSIX_FADV_SEQUENTIAL), 0, "posix_fadvise SEQUENTIAL");
    CHECK_INT(posix_fadvise(rd, 0, 0, POSIX_FADV_DONTNEED), 0, "posix_fadvise DONTNEED");
    close(dfd);
    close(rd);
    close(rw);
    CHECK_DONE();
}
