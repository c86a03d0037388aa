/*
 * files.c — regular files in a read-write preopen (/sandbox): create, write,
 * read to EOF, append (O_APPEND ignores the offset), truncate on open
 * (O_TRUNC) and with ftruncate (grow reads zeros, shrink), O_EXCL, readv and
 * writev with several buffers, a 1 MiB file written and read back in odd
 * chunk sizes, fsync/fdatasync, unlink, and the errors ENOENT, EEXIST,
 * EISDIR, ENOTDIR and a write to a read-only fd.
 */
#include <sys/stat.h>
#include <sys/uio.h>

#include "check.h"

#define D "/sandbox"

static unsigned char big[1 << 20], back[1 << 20];

int main(void)
{
    CHECK_INIT();
    char buf[256];

    /* create + write + read */
    int fd = open(D "/a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open a.txt O_WRONLY|O_CREAT|O_TRUNC");
    CHECK_INT(write(fd, "hello world\n", 12), 12, "write 12 bytes");
    CHECK_INT(close(fd), 0, "close");

    fd = open(D "/a.txt", O_RDONLY);
    CHECK(fd >= 0, "open a.txt O_RDONLY");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd, buf, sizeof buf), 12, "read returns 12 bytes");
    CHECK(strcmp(buf, "hello world\n") == 0, "read back what was written");
    CHECK_INT(read(fd, buf, sizeof buf), 0, "read at EOF returns 0");
    errno = 0;
    ssize_t w = write(fd, "x", 1);
    CHECK(w == -1 && (errno == EBADF || errno == ENOTCAPABLE),
          "write to an O_RDONLY fd fails (EBADF or ENOTCAPABLE)");
    close(fd);

    /* append */
    fd = open(D "/a.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open a.txt O_WRONLY|O_APPEND");
    CHECK_INT(write(fd, "more\n", 5), 5, "append 5 bytes");
    CHECK_INT(lseek(fd, 0, SEEK_SET), 0, "seek to 0 on an append fd");
    CHECK_INT(write(fd, "end\n", 4), 4, "write after seek to 0 still appends");
    close(fd);
    CHECK_INT(read_file(D "/a.txt", buf, sizeof buf), 21, "file is 21 bytes after appends");
    CHECK(strcmp(buf, "hello world\nmore\nend\n") == 0, "appended data at the end, in order");

    /* O_RDWR without truncation keeps the data, writes overwrite in place */
    fd = open(D "/a.txt", O_RDWR);
    CHECK(fd >= 0, "open a.txt O_RDWR");
    CHECK_INT(write(fd, "HELLO", 5), 5, "overwrite the first 5 bytes");
    CHECK_INT(lseek(fd, 0, SEEK_SET), 0, "seek back to 0");
    memset(buf, 0, sizeof buf);
    CHECK_INT(read(fd, buf, sizeof buf), 21, "read the whole file through the same fd");
    CHECK(strcmp(buf, "HELLO world\nmore\nend\n") == 0, "overwrite in place, rest kept");
    close(fd);

    /* O_TRUNC */
    fd = open(D "/a.txt", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0, "open a.txt O_WRONLY|O_TRUNC");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties the file");
    close(fd);

    /* O_EXCL */
    CHECK_ERR(open(D "/a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST,
              "O_CREAT|O_EXCL on an existing file: EEXIST");
    fd = open(D "/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, "O_CREAT|O_EXCL on a new name creates it");
    close(fd);

    /* ftruncate: grow and shrink */
    fd = open(D "/t.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open t.txt O_RDWR|O_CREAT");
    CHECK_INT(write(fd, "hello, truncation", 17), 17, "write 17 bytes");
    CHECK_INT(ftruncate(fd, 100), 0, "ftruncate to 100 (grow)");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100, "size is 100 after growing");
    memset(buf, 'x', sizeof buf);
    CHECK_INT(pread(fd, buf, sizeof buf, 0), 100, "pread the grown file: 100 bytes");
    int zeros = 1;
    for (int i = 17; i < 100; i++)
        zeros &= buf[i] == 0;
    CHECK(zeros && memcmp(buf, "hello, truncation", 17) == 0,
          "grown part reads as zeros, old data kept");
    CHECK_INT(ftruncate(fd, 5), 0, "ftruncate to 5 (shrink)");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "size is 5 after shrinking");
    CHECK_INT(lseek(fd, 0, SEEK_CUR), 17, "ftruncate does not move the offset");
    memset(buf, 0, sizeof buf);
    CHECK_INT(pread(fd, buf, sizeof buf, 0), 5, "pread after shrink: 5 bytes");
    CHECK(strcmp(buf, "hello") == 0, "shrunk file keeps its first 5 bytes");
    CHECK_INT(ftruncate(fd, 0), 0, "ftruncate to 0");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "size is 0");
    CHECK_ERR(ftruncate(fd, -1), EINVAL, "ftruncate to -1: EINVAL");
    close(fd);
    fd = open(D "/t.txt", O_RDONLY);
    errno = 0;
    int tr = ftruncate(fd, 3);
    CHECK(tr == -1 && (errno == EBADF || errno == EINVAL || errno == ENOTCAPABLE),
          "ftruncate on an O_RDONLY fd fails");
    close(fd);

    /* writev / readv */
    fd = open(D "/v.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    CHECK_INT(writev(fd, wv, 3), 8, "writev of 3 buffers (one empty) writes 8 bytes");
    CHECK_INT(lseek(fd, 0, SEEK_SET), 0, "seek to 0");
    char r1[2] = {0}, r2[4] = {0}, r3[8] = {0};
    struct iovec rv[3] = {{r1, 2}, {r2, 4}, {r3, 8}};
    CHECK_INT(readv(fd, rv, 3), 8, "readv into 2+4+8 byte buffers reads 8 bytes");
    CHECK(memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cdef", 4) == 0 && memcmp(r3, "gh", 2) == 0,
          "readv fills the buffers in order");
    close(fd);

    /* 1 MiB: written in 4099-byte pieces, read in 65521-byte pieces */
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    fd = open(D "/big.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t done = 0;
    while (done < sizeof big) {
        size_t n = sizeof big - done < 4099 ? sizeof big - done : 4099;
        ssize_t k = write(fd, big + done, n);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    CHECK_INT(done, sizeof big, "wrote 1 MiB in 4099-byte writes");
    CHECK_INT(fsync(fd), 0, "fsync");
    CHECK_INT(fdatasync(fd), 0, "fdatasync");
    close(fd);
    CHECK(stat(D "/big.bin", &st) == 0 && st.st_size == (off_t)sizeof big, "big.bin is 1048576 bytes");
    fd = open(D "/big.bin", O_RDONLY);
    done = 0;
    for (;;) {
        size_t n = sizeof back - done < 65521 ? sizeof back - done : 65521;
        if (n == 0)
            break;
        ssize_t k = read(fd, back + done, n);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    CHECK_INT(done, sizeof big, "read 1 MiB back in 65521-byte reads");
    CHECK(memcmp(big, back, sizeof big) == 0, "1 MiB read back equals what was written");
    close(fd);

    /* unlink and errors */
    CHECK_INT(unlink(D "/new.txt"), 0, "unlink new.txt");
    CHECK_ERR(stat(D "/new.txt", &st), ENOENT, "stat after unlink: ENOENT");
    CHECK_ERR(unlink(D "/new.txt"), ENOENT, "unlink again: ENOENT");
    CHECK_ERR(open(D "/missing.txt", O_RDONLY), ENOENT, "open a missing file: ENOENT");
    CHECK_ERR(open(D "/nodir/x.txt", O_WRONLY | O_CREAT, 0644), ENOENT,
              "create in a missing directory: ENOENT");
    CHECK_INT(mkdir(D "/adir", 0755), 0, "mkdir adir");
    CHECK_ERR(open(D "/adir", O_WRONLY), EISDIR, "open a directory for writing: EISDIR");
    CHECK_ERR(unlink(D "/adir"), EISDIR, "unlink a directory: EISDIR");
    CHECK_ERR(open(D "/a.txt/x", O_RDONLY), ENOTDIR, "a file used as a directory: ENOTDIR");
    CHECK_ERR(open(D "/a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file: ENOTDIR");
    CHECK_ERR(read(12345, buf, 1), EBADF, "read from an fd that is not open: EBADF");
    CHECK_ERR(close(12345), EBADF, "close an fd that is not open: EBADF");

    /* stdio through FILE* */
    FILE *f = fopen(D "/stdio.txt", "w+");
    CHECK(f != NULL, "fopen w+");
    CHECK(fprintf(f, "line %d\n", 1) == 7 && fputs("line 2\n", f) >= 0, "fprintf and fputs");
    rewind(f);
    char line[32];
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "line 1\n") == 0, "fgets line 1");
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "line 2\n") == 0, "fgets line 2");
    CHECK(fgets(line, sizeof line, f) == NULL && feof(f), "fgets at EOF");
    CHECK_INT(fclose(f), 0, "fclose");

    CHECK_DONE();
}
