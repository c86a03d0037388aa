/*
 * compat.c — answers that programs written against other runtimes (and
 * native Linux) rely on, with /sandbox the only preopen (fd 3):
 *   - shutdown() on a file, a directory or stdout is ENOTSOCK (not
 *     ENOTCAPABLE), on a closed fd EBADF;
 *   - link("f", "new/") is ENOENT and creates nothing; onto an existing
 *     file, directory or symlink with a trailing slash EEXIST (Linux's
 *     linkat);
 *   - symlink("x", "new/") the same: ENOENT, or EEXIST for anything that
 *     exists, a dangling symlink included, which is never followed to
 *     create its target;
 *   - a directory opened with oflags::directory and a right to write
 *     (fd_write, fd_allocate, fd_filestat_set_size) is EISDIR, while
 *     opendir() and O_RDONLY | O_DIRECTORY still work;
 *   - O_SYNC, O_DSYNC and O_RSYNC opens succeed without fd_sync or
 *     fd_datasync among the rights asked for, and fd_fdstat_get reports
 *     the flags;
 *   - stdin from /dev/null is not a terminal: character_device with seek
 *     and tell, isatty(0) is 0.
 * With the argument "devnull" (run.sh gives it /dev/null as stdout too)
 * it only checks that isatty(0) and isatty(1) are 0 and reports on
 * stderr, since stdout goes nowhere; the exit code says whether all held.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

#define D "/sandbox"

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void make_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
}

static void shutdown_checks(void)
{
    int fd = open(D "/f", O_RDONLY);
    CHECK(fd >= 0, "open f");
    CHECK_ERR(shutdown(fd, SHUT_RDWR), ENOTSOCK, "shutdown(a file): ENOTSOCK");
    CHECK_ERR(shutdown(3, SHUT_WR), ENOTSOCK, "shutdown(a directory): ENOTSOCK");
    CHECK_ERR(shutdown(1, SHUT_RD), ENOTSOCK, "shutdown(stdout): ENOTSOCK");
    close(fd);
    CHECK_ERR(shutdown(fd, SHUT_RDWR), EBADF, "shutdown(a closed fd): EBADF");
}

static void link_checks(void)
{
    CHECK_ERR(link(D "/f", D "/newname/"), ENOENT, "link(f, newname/): ENOENT");
    CHECK(!exists(D "/newname"), "newname was not created");
    CHECK_ERR(link(D "/f", D "/newname//"), ENOENT, "link(f, newname//): ENOENT");
    CHECK_ERR(link(D "/f", D "/sub/"), EEXIST, "link(f, sub/), a directory: EEXIST");
    CHECK_ERR(link(D "/f", D "/g/"), EEXIST, "link(f, g/), a file: EEXIST");
    CHECK_ERR(link(D "/f", D "/dangling/"), EEXIST, "link(f, dangling/), a symlink: EEXIST");
    CHECK(!exists(D "/nowhere"), "the dangling symlink's target was not created");
    CHECK_ERR(link(D "/f", D "/sub/none/"), ENOENT, "link(f, sub/none/): ENOENT");
    CHECK_INT(link(D "/f", D "/newname"), 0, "link(f, newname) without the slash");
}

static void symlink_checks(void)
{
    CHECK_ERR(symlink("f", D "/nothing/"), ENOENT, "symlink(f, nothing/): ENOENT");
    CHECK(!exists(D "/nothing"), "nothing was not created");
    CHECK_ERR(symlink("f", D "/sub/"), EEXIST, "symlink(f, sub/), a directory: EEXIST");
    CHECK_ERR(symlink("f", D "/g/"), EEXIST, "symlink(f, g/), a file: EEXIST");
    CHECK_ERR(symlink("f", D "/dangling/"), EEXIST, "symlink(f, dangling/), a symlink: EEXIST");
    CHECK(!exists(D "/nowhere"), "the dangling symlink's target was not created");
    CHECK_INT(symlink("f", D "/nothing"), 0, "symlink(f, nothing) without the slash");
}

static void open_dir_checks(void)
{
    __wasi_fd_t out;
    static const struct {
        __wasi_rights_t right;
        const char *name;
    } writes[] = {
        {__WASI_RIGHTS_FD_WRITE, "fd_write"},
        {__WASI_RIGHTS_FD_ALLOCATE, "fd_allocate"},
        {__WASI_RIGHTS_FD_FILESTAT_SET_SIZE, "fd_filestat_set_size"},
    };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
        CHECK_WASI(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                                    __WASI_RIGHTS_FD_READDIR | writes[i].right, 0, 0, &out),
                   __WASI_ERRNO_ISDIR, "path_open(sub, directory) with %s: EISDIR",
                   writes[i].name);
    CHECK_WASI(__wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY,
                                __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_READ, 0, 0, &out),
               0, "path_open(sub, directory) with fd_read, fd_readdir");
    close(out);
    CHECK_ERR(open(D "/sub", O_WRONLY | O_DIRECTORY), EISDIR, "open(sub, O_WRONLY | O_DIRECTORY)");
    CHECK_ERR(open(D "/sub", O_RDWR | O_DIRECTORY), EISDIR, "open(sub, O_RDWR | O_DIRECTORY)");
    CHECK_ERR(open(D "/sub", O_RDWR), EISDIR, "open(sub, O_RDWR)");
    int fd = open(D "/sub", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open(sub, O_RDONLY | O_DIRECTORY)");
    close(fd);
    DIR *d = opendir(D "/sub");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, "inner") == 0;
    CHECK(d && n == 1, "opendir(sub) lists inner");
    if (d)
        closedir(d);
}

static void sync_checks(void)
{
    static const struct {
        __wasi_fdflags_t flags;
        const char *name;
    } syncs[] = {
        {__WASI_FDFLAGS_SYNC, "sync"},
        {__WASI_FDFLAGS_DSYNC, "dsync"},
        {__WASI_FDFLAGS_RSYNC, "rsync"},
    };
    for (size_t i = 0; i < sizeof syncs / sizeof syncs[0]; i++) {
        __wasi_fd_t fd;
        __wasi_fdstat_t st;
        CHECK_WASI(__wasi_path_open(3, 0, "s", __WASI_OFLAGS_CREAT,
                                    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0,
                                    syncs[i].flags, &fd),
                   0, "path_open(s, %s) without fd_sync or fd_datasync", syncs[i].name);
        CHECK(__wasi_fd_fdstat_get(fd, &st) == 0 && (st.fs_flags & syncs[i].flags),
              "fd_fdstat_get reports %s", syncs[i].name);
        CHECK_INT(write(fd, "x", 1), 1, "a write with %s", syncs[i].name);
        close(fd);
    }
    int fd = open(D "/s", O_WRONLY | O_SYNC);
    CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_SYNC) == O_SYNC, "open(s, O_WRONLY | O_SYNC)");
    close(fd);
}

static void devnull_stdin_checks(void)
{
    __wasi_fdstat_t st;
    CHECK_WASI(__wasi_fd_fdstat_get(0, &st), 0, "fd_fdstat_get(0)");
    CHECK_INT(st.fs_filetype, __WASI_FILETYPE_CHARACTER_DEVICE,
              "stdin from /dev/null is a character_device");
    CHECK((st.fs_rights_base & (__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)) ==
              (__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL),
          "with fd_seek and fd_tell");
    CHECK(isatty(0) == 0 && errno == ENOTTY, "isatty(0) is 0, ENOTTY");
    char c;
    CHECK_INT(read(0, &c, 1), 0, "reading it gives end of file");
}

/* Stdout is /dev/null: report on stderr, answer with the exit code. */
static int devnull_stdout(void)
{
    int t0 = isatty(0), t1 = isatty(1);
    fprintf(stderr, "%s - isatty(0) is 0 on /dev/null\n", t0 ? "FAIL" : "ok");
    fprintf(stderr, "%s - isatty(1) is 0 on /dev/null\n", t1 ? "FAIL" : "ok");
    return t0 || t1;
}

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    if (argc > 1 && strcmp(argv[1], "devnull") == 0)
        return devnull_stdout();
    make_file(D "/f");
    make_file(D "/g");
    mkdir(D "/sub", 0755);
    mkdir(D "/sub/inner", 0755);
    CHECK_INT(symlink("nowhere", D "/dangling"), 0, "make the dangling symlink");
    if (SECTION("sock-shutdown"))
        shutdown_checks();
    if (SECTION("link-slash"))
        link_checks();
    if (SECTION("symlink-slash"))
        symlink_checks();
    if (SECTION("open-dir-write"))
        open_dir_checks();
    if (SECTION("open-sync"))
        sync_checks();
    if (SECTION("devnull-stdin"))
        devnull_stdin_checks();
    SECTION("end");
    CHECK_DONE();
}
