/*
 * rename.c — rename: a file to a new name, over an existing file (which is
 * replaced, keeping the source's inode), across directories, a directory
 * with its contents, onto itself, and the errors: missing source (ENOENT),
 * missing target directory (ENOENT), file over directory (EISDIR),
 * directory over file (ENOTDIR), directory over a non-empty directory
 * (ENOTEMPTY or EEXIST), a directory into itself (EINVAL); renameat on
 * directory fds.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "check.h"

#define D "/sandbox"

int main(void)
{
    CHECK_INIT();
    struct stat st, st2;
    char buf[64];

    CHECK_INT(write_file(D "/a", "AAA", 3), 0, "create a");
    CHECK_INT(stat(D "/a", &st), 0, "stat a");
    CHECK_INT(rename(D "/a", D "/b"), 0, "rename a -> b");
    CHECK_ERR(stat(D "/a", &st2), ENOENT, "a is gone");
    CHECK(stat(D "/b", &st2) == 0 && st2.st_ino == st.st_ino, "b is the same inode");
    CHECK(read_file(D "/b", buf, sizeof buf) == 3 && strcmp(buf, "AAA") == 0, "b has a's data");

    CHECK_INT(write_file(D "/c", "CCCCC", 5), 0, "create c");
    CHECK_INT(rename(D "/b", D "/c"), 0, "rename b over existing c");
    CHECK(read_file(D "/c", buf, sizeof buf) == 3 && strcmp(buf, "AAA") == 0, "c now has b's data");
    CHECK(stat(D "/c", &st2) == 0 && st2.st_ino == st.st_ino && st2.st_nlink == 1,
          "c is b's inode, nlink 1");
    CHECK_ERR(stat(D "/b", &st2), ENOENT, "b is gone");
    CHECK_INT(rename(D "/c", D "/c"), 0, "rename c onto itself");
    CHECK(read_file(D "/c", buf, sizeof buf) == 3, "c still there");

    CHECK_INT(mkdir(D "/d1", 0755), 0, "mkdir d1");
    CHECK_INT(mkdir(D "/d1/inner", 0755), 0, "mkdir d1/inner");
    CHECK_INT(write_file(D "/d1/inner/f", "F", 1), 0, "create d1/inner/f");
    CHECK_INT(rename(D "/c", D "/d1/c"), 0, "rename c into d1/");
    CHECK(read_file(D "/d1/c", buf, sizeof buf) == 3, "d1/c readable");
    CHECK_INT(rename(D "/d1", D "/d2"), 0, "rename directory d1 -> d2");
    CHECK(read_file(D "/d2/inner/f", buf, sizeof buf) == 1 && buf[0] == 'F',
          "d2/inner/f has the contents");
    CHECK_ERR(stat(D "/d1", &st2), ENOENT, "d1 is gone");

    CHECK_ERR(rename(D "/missing", D "/x"), ENOENT, "rename a missing file: ENOENT");
    CHECK_ERR(rename(D "/d2/c", D "/nodir/c"), ENOENT, "rename into a missing directory: ENOENT");
    CHECK_INT(mkdir(D "/emptydir", 0755), 0, "mkdir emptydir");
    CHECK_ERR(rename(D "/d2/c", D "/emptydir"), EISDIR, "rename a file over a directory: EISDIR");
    CHECK_ERR(rename(D "/emptydir", D "/d2/c"), ENOTDIR, "rename a directory over a file: ENOTDIR");
    errno = 0;
    int r = rename(D "/emptydir", D "/d2");
    CHECK(r == -1 && (errno == ENOTEMPTY || errno == EEXIST),
          "rename a directory over a non-empty one: ENOTEMPTY or EEXIST");
    CHECK_ERR(rename(D "/d2", D "/d2/inner/d2"), EINVAL, "rename a directory into itself: EINVAL");
    CHECK_INT(mkdir(D "/emptydir2", 0755), 0, "mkdir emptydir2");
    CHECK_INT(rename(D "/emptydir2", D "/emptydir"), 0, "rename a directory over an empty one");
    CHECK_ERR(stat(D "/emptydir2", &st2), ENOENT, "emptydir2 is gone");

    int a = open(D "/d2", O_RDONLY | O_DIRECTORY);
    int b = open(D "/emptydir", O_RDONLY | O_DIRECTORY);
    CHECK(a >= 0 && b >= 0, "open d2 and emptydir as directory fds");
    CHECK_INT(renameat(a, "inner/f", b, "g"), 0, "renameat(d2, inner/f, emptydir, g)");
    CHECK(read_file(D "/emptydir/g", buf, sizeof buf) == 1 && buf[0] == 'F', "emptydir/g has f's data");
    CHECK_ERR(stat(D "/d2/inner/f", &st2), ENOENT, "d2/inner/f is gone");
    close(a);
    close(b);
    CHECK_DONE();
}
