/*
 * preopens.c — several preopens and how paths pick one.  run.sh grants
 *   --dir W/a::/data  --dir W/b::/data/sub  --dir W/c::.  --dir W/d
 * (the last with no ::GUEST, so the guest sees the host path, passed as
 * argv[1]), each holding a file "marker" with its letter.  Checks the
 * prestat list (fds 3..6 in order, then EBADF), that /data/marker is a's,
 * /data/sub/marker is b's (the longest matching preopen wins),
 * that relative paths go to "." (c), that the host-path preopen works,
 * and writes /data/sub/written.txt, which run.sh then finds in W/b.
 */
#include <sys/stat.h>
#include <wasi/api.h>

#include "check.h"

int main(int argc, char **argv)
{
    CHECK_INIT();
    const char *hostpath = argc > 1 ? argv[1] : "";
    char buf[256], path[512];

    int fd = 3;
    for (;; fd++) {
        __wasi_prestat_t p;
        __wasi_errno_t e = __wasi_fd_prestat_get(fd, &p);
        if (e == __WASI_ERRNO_BADF)
            break;
        if (e != 0 || p.tag != __WASI_PREOPENTYPE_DIR || p.u.dir.pr_name_len >= sizeof buf) {
            CHECK(0, "fd_prestat_get(%d)", fd);
            break;
        }
        memset(buf, 0, sizeof buf);
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, p.u.dir.pr_name_len) != 0)
            CHECK(0, "fd_prestat_dir_name(%d)", fd);
        printf("preopen fd %d: %s\n", fd, strcmp(buf, hostpath) == 0 ? "(the host path)" : buf);
    }
    CHECK_INT(fd, 7, "four preopens, fds 3 to 6, then EBADF");

    CHECK(read_file("/data/marker", buf, sizeof buf) > 0 && strcmp(buf, "a\n") == 0,
          "/data/marker is a's");
    CHECK(read_file("/data/sub/marker", buf, sizeof buf) > 0 && strcmp(buf, "b\n") == 0,
          "/data/sub/marker is b's (the longer preopen)");
    CHECK(read_file("marker", buf, sizeof buf) > 0 && strcmp(buf, "c\n") == 0,
          "relative marker is c's (the \".\" preopen)");
    CHECK(read_file("./marker", buf, sizeof buf) > 0 && strcmp(buf, "c\n") == 0, "./marker is c's");
    snprintf(path, sizeof path, "%s/marker", hostpath);
    CHECK(read_file(path, buf, sizeof buf) > 0 && strcmp(buf, "d\n") == 0,
          "HOSTPATH/marker is d's (--dir without ::GUEST)");
    CHECK_INT(write_file("/data/sub/written.txt", "into b\n", 7), 0, "write /data/sub/written.txt");
    struct stat st;
    CHECK_ERR(stat("/data/written.txt", &st), ENOENT, "it is not in a");
    CHECK_ERR(open("/elsewhere/marker", O_RDONLY), ENOENT, "a path under no preopen: ENOENT");
    CHECK_DONE();
}
