/*
 * dirs.c — directories in a read-write preopen: mkdir (and EEXIST), nested
 * mkdir (ENOENT without the parent), files in nested directories, rmdir
 * (ENOTEMPTY while not empty, ENOTDIR on a file, ENOENT when missing),
 * listing with opendir/readdir, ".." and "." inside paths that stay in the
 * sandbox, trailing slashes, and mkdir/rmdir through *at() calls on an fd
 * of an opened directory.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "check.h"

#define D "/sandbox"

/* Lists DIR's entries other than "." and "..", sorted, into out. */
static void list(const char *dir, char *out, size_t cap)
{
    char names[64][64];
    int n = 0;
    out[0] = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(out, cap, "(opendir: %s)", strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(names[n++], 64, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char t[64];
                memcpy(t, names[i], 64);
                memcpy(names[i], names[j], 64);
                memcpy(names[j], t, 64);
            }
    for (int i = 0; i < n; i++) {
        strncat(out, names[i], cap - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, " ", cap - strlen(out) - 1);
    }
}

int main(void)
{
    CHECK_INIT();
    struct stat st;
    char buf[512];

    CHECK_INT(mkdir(D "/d", 0755), 0, "mkdir d");
    CHECK(stat(D "/d", &st) == 0 && S_ISDIR(st.st_mode), "d is a directory");
    CHECK_ERR(mkdir(D "/d", 0755), EEXIST, "mkdir d again: EEXIST");
    CHECK_ERR(mkdir(D "/d/e/f", 0755), ENOENT, "mkdir d/e/f without d/e: ENOENT");
    CHECK_INT(mkdir(D "/d/e", 0755), 0, "mkdir d/e");
    CHECK_INT(mkdir(D "/d/e/f", 0755), 0, "mkdir d/e/f");
    CHECK_INT(mkdir(D "/d/e/f/g/", 0755), 0, "mkdir d/e/f/g/ (trailing slash)");
    CHECK_INT(write_file(D "/d/e/f/file.txt", "deep\n", 5), 0, "create d/e/f/file.txt");
    CHECK_INT(read_file(D "/d/e/../e/./f/file.txt", buf, sizeof buf), 5,
              "read it through d/e/../e/./f/file.txt");
    CHECK(strcmp(buf, "deep\n") == 0, "contents read through .. and .");
    CHECK(stat(D "/d/e/f/g/..", &st) == 0 && S_ISDIR(st.st_mode), "stat d/e/f/g/.. is a directory");
    CHECK_ERR(mkdir(D "/d/e/f/file.txt", 0755), EEXIST, "mkdir over a file: EEXIST");

    list(D "/d/e/f", buf, sizeof buf);
    printf("d/e/f: %s\n", buf);
    list(D, buf, sizeof buf);
    printf("sandbox: %s\n", buf);

    CHECK_ERR(rmdir(D "/d/e/f"), ENOTEMPTY, "rmdir d/e/f while not empty: ENOTEMPTY");
    CHECK_ERR(rmdir(D "/d/e/f/file.txt"), ENOTDIR, "rmdir a file: ENOTDIR");
    CHECK_ERR(rmdir(D "/d/nothing"), ENOENT, "rmdir a missing directory: ENOENT");
    CHECK_INT(unlink(D "/d/e/f/file.txt"), 0, "unlink d/e/f/file.txt");
    CHECK_INT(rmdir(D "/d/e/f/g"), 0, "rmdir d/e/f/g");
    CHECK_INT(rmdir(D "/d/e/f"), 0, "rmdir d/e/f, now empty");
    CHECK_ERR(stat(D "/d/e/f", &st), ENOENT, "d/e/f is gone");
    list(D "/d", buf, sizeof buf);
    printf("d: %s\n", buf);

    /* *at() calls relative to an opened directory fd */
    int dfd = open(D "/d", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open d O_DIRECTORY");
    CHECK_INT(mkdirat(dfd, "sub", 0755), 0, "mkdirat(d, sub)");
    int fd = openat(dfd, "sub/x.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "openat(d, sub/x.txt, O_CREAT)");
    CHECK_INT(write(fd, "x", 1), 1, "write through the openat fd");
    close(fd);
    CHECK(fstatat(dfd, "sub/x.txt", &st, 0) == 0 && st.st_size == 1, "fstatat(d, sub/x.txt) size 1");
    CHECK(stat(D "/d/sub/x.txt", &st) == 0 && st.st_size == 1, "same file seen by absolute path");
    CHECK_INT(unlinkat(dfd, "sub/x.txt", 0), 0, "unlinkat(d, sub/x.txt)");
    CHECK_INT(unlinkat(dfd, "sub", AT_REMOVEDIR), 0, "unlinkat(d, sub, AT_REMOVEDIR)");
    CHECK(fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode), "fstat on a directory fd");
    errno = 0;
    ssize_t r = read(dfd, buf, 1);
    CHECK(r == -1 && (errno == EISDIR || errno == EBADF || errno == ENOTCAPABLE),
          "read() on a directory fd fails (EISDIR, EBADF or ENOTCAPABLE)");
    close(dfd);

    CHECK_INT(rmdir(D "/d/e"), 0, "rmdir d/e");
    CHECK_INT(rmdir(D "/d/"), 0, "rmdir d/ (trailing slash)");
    list(D, buf, sizeof buf);
    printf("sandbox: %s\n", buf);
    CHECK_DONE();
}
