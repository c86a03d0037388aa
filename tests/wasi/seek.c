/*
 * seek.c — file offsets: lseek with SEEK_SET, SEEK_CUR and SEEK_END (and
 * the errors for a negative result and a bad whence), seeking past the end
 * and writing (the gap reads as zeros), __wasi_fd_tell, pread and pwrite
 * (which neither use nor move the offset), pread at and past EOF, and two
 * fds on one file having independent offsets.
 */
#include <sys/stat.h>
#include <wasi/api.h>

#include "check.h"

#define D "/sandbox"

int main(void)
{
    CHECK_INIT();
    char buf[64];
    struct stat st;

    int fd = open(D "/s.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open s.txt O_RDWR|O_CREAT");
    CHECK_INT(write(fd, "0123456789", 10), 10, "write 0123456789");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 10, "offset is 10 after writing 10 bytes");
    __wasi_filesize_t pos = 0;
    CHECK_WASI(__wasi_fd_tell(fd, &pos), 0, "fd_tell");
    CHECK_INT(pos, 10, "fd_tell says 10");

    CHECK_INT(lseek(fd, 3, SEEK_SET), 3, "SEEK_SET 3");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd, buf, 2), 2, "read 2");
    CHECK(strcmp(buf, "34") == 0, "read \"34\" at offset 3");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 5, "offset 5 after the read");
    CHECK_INT(lseek(fd, -2, SEEK_CUR), 3, "SEEK_CUR -2 gives 3");
    CHECK_INT(lseek(fd, 4, SEEK_CUR), 7, "SEEK_CUR +4 gives 7");
    CHECK_INT(lseek(fd, -1, SEEK_END), 9, "SEEK_END -1 gives 9");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd, buf, sizeof buf), 1, "read at 9 gets 1 byte");
    CHECK(buf[0] == '9', "the last byte is '9'");
    CHECK_INT(lseek(fd, 0, SEEK_END), 10, "SEEK_END 0 gives the size, 10");
    CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL, "SEEK_END -11 (before the start): EINVAL");
    CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL, "SEEK_SET -1: EINVAL");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 10, "a failed seek leaves the offset alone");
    CHECK_ERR(lseek(fd, 0, 17), EINVAL, "whence 17: EINVAL");

    /* past the end */
    CHECK_INT(lseek(fd, 20, SEEK_SET), 20, "SEEK_SET 20, past the end");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10, "seeking alone does not grow the file");
    CHECK_INT(write(fd, "X", 1), 1, "write X at 20");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 21, "the file is now 21 bytes");
    memset(buf, 'z', sizeof buf);
    CHECK_INT(pread(fd, buf, sizeof buf, 0), 21, "pread the whole file");
    int gap = 1;
    for (int i = 10; i < 20; i++)
        gap &= buf[i] == 0;
    CHECK(gap && buf[20] == 'X' && memcmp(buf, "0123456789", 10) == 0,
          "bytes 10..19 read as zeros, X at 20");

    /* pread / pwrite */
    CHECK_INT(lseek(fd, 5, SEEK_SET), 5, "SEEK_SET 5");
    memset(buf, 0, sizeof buf);
    CHECK_INT(pread(fd, buf, 3, 2), 3, "pread 3 bytes at 2");
    CHECK(strcmp(buf, "234") == 0, "pread got \"234\"");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 5, "pread did not move the offset");
    CHECK_INT(pwrite(fd, "ab", 2, 0), 2, "pwrite \"ab\" at 0");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 5, "pwrite did not move the offset");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd, buf, 3), 3, "read 3 at the offset, 5");
    CHECK(strcmp(buf, "567") == 0, "read got \"567\"");
    memset(buf, 0, sizeof buf);
    CHECK_INT(pread(fd, buf, 4, 0), 4, "pread 4 at 0");
    CHECK(strcmp(buf, "ab23") == 0, "pwrite's data is there");
    CHECK_INT(pread(fd, buf, 4, 21), 0, "pread at EOF returns 0");
    CHECK_INT(pread(fd, buf, 4, 1000), 0, "pread past EOF returns 0");
    CHECK_INT(pwrite(fd, "Y", 1, 30), 1, "pwrite at 30, past the end");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 31, "pwrite past the end grows the file to 31");
    CHECK_ERR(pread(fd, buf, 1, -1), EINVAL, "pread at -1: EINVAL");

    /* two fds, two offsets */
    int fd2 = open(D "/s.txt", O_RDONLY);
    CHECK(fd2 >= 0, "open s.txt again, O_RDONLY");
    CHECK_INT(lseek(fd, 8, SEEK_SET), 8, "first fd at 8");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd2, buf, 2), 2, "read 2 from the second fd");
    CHECK(strcmp(buf, "ab") == 0, "the second fd starts at 0");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 8, "the first fd is still at 8");
    close(fd2);
    close(fd);
    CHECK_DONE();
}
