/*
 * links.c — hard links and symlinks inside the sandbox.
 * Hard links: link() raises st_nlink on both names, same inode, writes seen
 * through either, unlink lowers it; EEXIST, ENOENT; linking a directory
 * fails (EPERM).  Symlinks: symlink/readlink (exact length),
 * lstat (S_ISLNK, size = target length) against stat (follows), open
 * follows, relative targets with ".." that stay inside, a symlink to a
 * directory used as a path component, a dangling link (stat ENOENT, lstat
 * works), a loop (ELOOP), O_NOFOLLOW (ELOOP), readlink on a file (EINVAL),
 * unlink of a link leaving the target, and linkat/symlinkat/readlinkat on
 * a directory fd.
 */
#include <sys/stat.h>

#include "check.h"

#define D "/sandbox"

int main(int argc, char **argv)
{
    CHECK_ARGS(argc, argv);
    struct stat st, st2;
    char buf[128];

    /* hard links */
    CHECK_INT(write_file(D "/orig", "original\n", 9), 0, "create orig");
    CHECK_INT(link(D "/orig", D "/hard"), 0, "link orig -> hard");
    CHECK(stat(D "/orig", &st) == 0 && st.st_nlink == 2, "orig st_nlink is 2");
    CHECK(stat(D "/hard", &st2) == 0 && st2.st_nlink == 2, "hard st_nlink is 2");
    CHECK(st.st_ino == st2.st_ino, "orig and hard are the same inode");
    CHECK_INT(mkdir(D "/dir", 0755), 0, "mkdir dir");
    CHECK_INT(link(D "/hard", D "/dir/hard2"), 0, "link hard -> dir/hard2");
    CHECK(stat(D "/orig", &st) == 0 && st.st_nlink == 3, "st_nlink is 3");
    int fd = open(D "/dir/hard2", O_WRONLY | O_APPEND);
    CHECK_INT(write(fd, "more\n", 5), 5, "append through dir/hard2");
    close(fd);
    CHECK(read_file(D "/orig", buf, sizeof buf) == 14 && strcmp(buf, "original\nmore\n") == 0,
          "orig sees the write");
    CHECK_ERR(link(D "/orig", D "/hard"), EEXIST, "link onto an existing name: EEXIST");
    CHECK_ERR(link(D "/missing", D "/x"), ENOENT, "link a missing file: ENOENT");
    CHECK_ERR(link(D "/dir", D "/dirlink"), EPERM, "link a directory: EPERM");
    CHECK_INT(unlink(D "/hard"), 0, "unlink hard");
    CHECK(stat(D "/orig", &st) == 0 && st.st_nlink == 2, "st_nlink back to 2");
    CHECK_INT(unlink(D "/dir/hard2"), 0, "unlink dir/hard2");
    CHECK(stat(D "/orig", &st) == 0 && st.st_nlink == 1, "st_nlink back to 1");

    /* symlinks */
    CHECK_INT(symlink("orig", D "/sym"), 0, "symlink sym -> orig");
    memset(buf, 'x', sizeof buf);
    CHECK_INT(readlink(D "/sym", buf, sizeof buf), 4, "readlink sym returns 4");
    CHECK(memcmp(buf, "orig", 4) == 0, "readlink gives \"orig\"");
    CHECK(lstat(D "/sym", &st) == 0 && S_ISLNK(st.st_mode), "lstat sym is a symlink");
    CHECK_INT(st.st_size, 4, "lstat size is the target's length");
    CHECK(stat(D "/sym", &st2) == 0 && S_ISREG(st2.st_mode) && st2.st_size == 14,
          "stat sym follows it to the 14-byte file");
    CHECK(stat(D "/orig", &st) == 0 && st.st_ino == st2.st_ino, "stat sym gives orig's inode");
    CHECK(read_file(D "/sym", buf, sizeof buf) == 14 && strncmp(buf, "original", 8) == 0,
          "open follows sym");
    CHECK_INT(symlink("dir", D "/dirsym"), 0, "symlink dirsym -> dir");
    CHECK_INT(write_file(D "/dirsym/through", "T", 1), 0, "create a file through dirsym/");
    CHECK(stat(D "/dir/through", &st) == 0 && st.st_size == 1, "it is in dir/");
    CHECK(stat(D "/dirsym", &st) == 0 && S_ISDIR(st.st_mode), "stat dirsym is a directory");

    if (SECTION("dotdot-target")) {
        /* a target with ".." that stays inside, relative to the link's directory */
        CHECK_INT(symlink("../orig", D "/dir/up"), 0, "symlink dir/up -> ../orig");
        CHECK(read_file(D "/dir/up", buf, sizeof buf) == 14,
              "dir/up (\"..\" inside the sandbox) reads orig");
        CHECK_INT(symlink("dir/../dirsym/up", D "/chain"), 0, "symlink chain -> dir/../dirsym/up");
        CHECK(read_file(D "/chain", buf, sizeof buf) == 14,
              "a chain of symlinks inside the sandbox resolves");
    }

    SECTION("more-symlinks");

    CHECK_INT(symlink("nowhere", D "/dangling"), 0, "symlink dangling -> nowhere");
    CHECK_ERR(stat(D "/dangling", &st), ENOENT, "stat a dangling link: ENOENT");
    CHECK(lstat(D "/dangling", &st) == 0 && S_ISLNK(st.st_mode), "lstat a dangling link works");
    CHECK_ERR(symlink("orig", D "/sym"), EEXIST, "symlink onto an existing name: EEXIST");
    CHECK_INT(symlink("loop2", D "/loop1"), 0, "symlink loop1 -> loop2");
    CHECK_INT(symlink("loop1", D "/loop2"), 0, "symlink loop2 -> loop1");
    CHECK_ERR(open(D "/loop1", O_RDONLY), ELOOP, "open a symlink loop: ELOOP");
    if (SECTION("nofollow"))
        CHECK_ERR(open(D "/sym", O_RDONLY | O_NOFOLLOW), ELOOP, "open O_NOFOLLOW on a symlink: ELOOP");
    SECTION("unlink-symlinks");
    CHECK_ERR(readlink(D "/orig", buf, sizeof buf), EINVAL, "readlink a regular file: EINVAL");
    CHECK_ERR(readlink(D "/missing", buf, sizeof buf), ENOENT, "readlink a missing name: ENOENT");

    CHECK_INT(unlink(D "/sym"), 0, "unlink sym");
    CHECK_ERR(lstat(D "/sym", &st), ENOENT, "sym is gone");
    CHECK(stat(D "/orig", &st) == 0, "orig is still there");
    CHECK_INT(unlink(D "/dirsym"), 0, "unlink dirsym (the link, not the directory)");
    CHECK(stat(D "/dir/through", &st) == 0, "dir and its file are still there");

    /* *at forms */
    int dfd = open(D "/dir", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open dir O_DIRECTORY");
    CHECK_INT(symlinkat("through", dfd, "rel"), 0, "symlinkat(dir, rel -> through)");
    memset(buf, 0, sizeof buf);
    CHECK_INT(readlinkat(dfd, "rel", buf, sizeof buf), 7, "readlinkat(dir, rel) returns 7");
    CHECK(strcmp(buf, "through") == 0, "readlinkat gives \"through\"");
    CHECK(fstatat(dfd, "rel", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
          "fstatat AT_SYMLINK_NOFOLLOW sees the link");
    CHECK(fstatat(dfd, "rel", &st, 0) == 0 && S_ISREG(st.st_mode), "fstatat without it follows");
    CHECK_INT(linkat(dfd, "through", dfd, "through2", 0), 0, "linkat(dir, through, dir, through2)");
    CHECK(fstatat(dfd, "through", &st, 0) == 0 && st.st_nlink == 2, "through has nlink 2");
    close(dfd);
    CHECK_DONE();
}
