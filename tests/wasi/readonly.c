/*
 * readonly.c — a read-only preopen.  run.sh grants --dir-ro W/ro::/ro and
 * --dir W/rw::/rw, with ro holding file.txt ("read only\n"), sub/inner.txt,
 * an empty directory emptydir and a symlink link -> file.txt.  Everything
 * that only reads works (open, read, readdir, stat, readlink, following
 * the symlink, copying into /rw); every call that would change /ro fails
 * with ENOTCAPABLE: opening for writing, creating, truncating, mkdir,
 * rmdir, unlink, rename within, into and out of /ro, link within /ro and
 * from /ro into /rw, symlink, utimensat, futimens/ftruncate on a read fd,
 * regaining fd_write with fd_fdstat_set_rights, and path_open asking for
 * fd_write directly.  run.sh checks afterwards that W/ro is unchanged.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <wasi/api.h>

#include "check.h"

#define NC ENOTCAPABLE

int main(void)
{
    CHECK_INIT();
    char buf[256];
    struct stat st;

    /* reading works */
    CHECK(read_file("/ro/file.txt", buf, sizeof buf) == 10 && strcmp(buf, "read only\n") == 0,
          "read /ro/file.txt");
    CHECK(read_file("/ro/sub/inner.txt", buf, sizeof buf) > 0, "read /ro/sub/inner.txt");
    CHECK(read_file("/ro/link", buf, sizeof buf) == 10, "read through /ro/link");
    CHECK(stat("/ro/file.txt", &st) == 0 && st.st_size == 10, "stat /ro/file.txt");
    CHECK(lstat("/ro/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat /ro/link");
    memset(buf, 0, sizeof buf);
    CHECK_INT(readlink("/ro/link", buf, sizeof buf), 8, "readlink /ro/link");
    DIR *d = opendir("/ro");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    CHECK_INT(n, 4, "readdir /ro lists 4 entries");
    CHECK(read_file("/ro/file.txt", buf, sizeof buf) == 10 && write_file("/rw/copy.txt", buf, 10) == 0,
          "copy /ro/file.txt to /rw/copy.txt");

    /* the preopen's rights */
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(3, &fs), 0, "fd_fdstat_get(3), /ro");
    CHECK(!(fs.fs_rights_base & (__WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
                                 __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |
                                 __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |
                                 __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES)),
          "/ro has none of the create, unlink, rename, symlink, set-times rights");
    /* The inheriting rights still list fd_write: wasi-libc masks what it
     * asks path_open for with them, so that is how kiln sees a guest ask to
     * write, and refuses it (below). */
    CHECK(fs.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE,
          "/ro lists fd_write as inheritable, so that opens for writing reach path_open");

    /* every mutation fails with ENOTCAPABLE */
    CHECK_ERR(open("/ro/file.txt", O_WRONLY), NC, "open O_WRONLY");
    CHECK_ERR(open("/ro/file.txt", O_RDWR), NC, "open O_RDWR");
    CHECK_ERR(open("/ro/file.txt", O_WRONLY | O_APPEND), NC, "open O_WRONLY|O_APPEND");
    CHECK_ERR(open("/ro/new.txt", O_WRONLY | O_CREAT, 0644), NC, "open O_CREAT of a new file");
    CHECK_ERR(open("/ro/new.txt", O_RDONLY | O_CREAT, 0644), NC, "open O_RDONLY|O_CREAT of a new file");
    CHECK_ERR(open("/ro/file.txt", O_WRONLY | O_TRUNC), NC, "open O_TRUNC");
    CHECK_ERR(open("/ro/link", O_WRONLY), NC, "open the symlink O_WRONLY");
    CHECK_ERR(open("/ro/sub/inner.txt", O_RDWR), NC, "open sub/inner.txt O_RDWR");
    CHECK_ERR(mkdir("/ro/newdir", 0755), NC, "mkdir");
    CHECK_ERR(rmdir("/ro/emptydir"), NC, "rmdir an empty directory");
    CHECK_ERR(unlink("/ro/file.txt"), NC, "unlink a file");
    CHECK_ERR(unlink("/ro/link"), NC, "unlink the symlink");
    CHECK_ERR(rename("/ro/file.txt", "/ro/renamed.txt"), NC, "rename within /ro");
    CHECK_ERR(rename("/ro/file.txt", "/rw/moved.txt"), NC, "rename out of /ro into /rw");
    CHECK_ERR(rename("/rw/copy.txt", "/ro/copy.txt"), NC, "rename from /rw into /ro");
    CHECK_ERR(link("/ro/file.txt", "/ro/hard"), NC, "link within /ro");
    CHECK_ERR(link("/ro/file.txt", "/rw/hard"), NC, "link from /ro into /rw");
    CHECK_ERR(link("/rw/copy.txt", "/ro/hard"), NC, "link from /rw into /ro");
    CHECK_ERR(symlink("file.txt", "/ro/sym"), NC, "symlink");
    struct timespec ts[2] = {{1000, 0}, {1000, 0}};
    CHECK_ERR(utimensat(AT_FDCWD, "/ro/file.txt", ts, 0), NC, "utimensat");
    CHECK_ERR(utimensat(AT_FDCWD, "/ro/sub", ts, 0), NC, "utimensat on a directory");

    int fd = open("/ro/file.txt", O_RDONLY);
    CHECK(fd >= 0, "open /ro/file.txt O_RDONLY");
    CHECK_ERR(futimens(fd, ts), NC, "futimens on the read fd");
    CHECK_ERR(ftruncate(fd, 0), NC, "ftruncate on the read fd");
    errno = 0;
    ssize_t w = write(fd, "x", 1);
    CHECK(w == -1 && (errno == NC || errno == EBADF), "write on the read fd (ENOTCAPABLE or EBADF)");
    errno = 0;
    w = pwrite(fd, "x", 1, 0);
    CHECK(w == -1 && (errno == NC || errno == EBADF), "pwrite on the read fd (ENOTCAPABLE or EBADF)");
    CHECK_WASI(__wasi_fd_fdstat_get(fd, &fs), 0, "fd_fdstat_get on the read fd");
    CHECK_WASI(__wasi_fd_fdstat_set_rights(fd, fs.fs_rights_base | __WASI_RIGHTS_FD_WRITE, 0), NC,
               "fd_fdstat_set_rights adding fd_write");
    close(fd);

    __wasi_fd_t out, fd2;
    CHECK_WASI(__wasi_path_open(3, 0, "file.txt", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, 0, &out),
               NC, "path_open(/ro, file.txt) asking for fd_write");
    /* A directory opened with fd_write in its inheriting rights (as
     * wasi-libc opens every directory) is still read-only below. */
    CHECK_WASI(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_PATH_OPEN,
                                __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, &out),
               0, "path_open(/ro, sub) asking to pass on fd_write");
    CHECK_WASI(__wasi_path_open(out, 0, "inner.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd2),
               NC, "path_open(sub, inner.txt) asking for fd_write");
    close(out);
    /* Asking to write a directory is refused as any write is here (a
     * read-write grant answers EISDIR: compat.c). */
    CHECK_ERR(open("/ro/sub", O_WRONLY | O_DIRECTORY), NC, "open(/ro/sub, O_WRONLY | O_DIRECTORY)");
    DIR *subdir = opendir("/ro/sub");
    CHECK(subdir != NULL, "opendir(/ro/sub)");
    if (subdir)
        closedir(subdir);
    int sub = open("/ro/sub", O_RDONLY | O_DIRECTORY);
    CHECK(sub >= 0, "open /ro/sub as a directory");
    CHECK_ERR(openat(sub, "inner.txt", O_WRONLY), NC, "openat(sub, inner.txt, O_WRONLY)");
    CHECK_ERR(openat(sub, "x", O_WRONLY | O_CREAT, 0644), NC, "openat(sub, x, O_CREAT)");
    CHECK_ERR(unlinkat(sub, "inner.txt", 0), NC, "unlinkat(sub, inner.txt)");
    close(sub);

    CHECK(read_file("/ro/file.txt", buf, sizeof buf) == 10 && strcmp(buf, "read only\n") == 0,
          "/ro/file.txt is unchanged");
    CHECK_DONE();
}
