/*
 * readdir.c — listing directories, with the resume path exercised:
 *   - 600 files with long names read with wasi-libc's opendir/readdir (its
 *     buffer holds far fewer, so it calls fd_readdir again with the cookie
 *     of the last entry it got): every name exactly once, d_type right;
 *   - __wasi_fd_readdir called directly: a big buffer once to learn every
 *     entry's cookie (d_next); a buffer smaller than one dirent must come
 *     back full (bufused == buf_len, the entry truncated); a 100-byte buffer
 *     with the resume-from-last-complete-entry loop reads the same
 *     sequence; resuming from any entry's d_next starts at the next one; a
 *     cookie at the end reads nothing;
 *   - telldir/seekdir/rewinddir, and an empty directory.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <wasi/api.h>

#include "check.h"

#define D "/sandbox"
#define NFILES 600

static char seen[NFILES];

/* File i's name: long enough that a few dozen fill wasi-libc's buffer. */
static void name_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "entry-%04d-with-a-rather-long-name-to-fill-buffers.txt", i);
}

struct ent {
    char name[128];
    __wasi_dircookie_t next;
    __wasi_filetype_t type;
};
static struct ent all[NFILES + 8];
static int nall;
static unsigned char bigbuf[256 * 1024];

/* Parses complete entries from buf[0..used); returns how many were added to
 * out (at most cap), and in *last_cookie the d_next of the last one. */
static int parse(const unsigned char *buf, size_t used, struct ent *out, int cap,
                 __wasi_dircookie_t *last_cookie, int *malformed)
{
    size_t off = 0;
    int n = 0;
    while (off + sizeof(__wasi_dirent_t) <= used && n < cap) {
        __wasi_dirent_t de;
        memcpy(&de, buf + off, sizeof de);
        if (off + sizeof de + de.d_namlen > used)
            break; /* truncated: resume from *last_cookie */
        if (de.d_namlen >= sizeof out[n].name) {
            *malformed = 1;
            break;
        }
        memcpy(out[n].name, buf + off + sizeof de, de.d_namlen);
        out[n].name[de.d_namlen] = 0;
        out[n].next = de.d_next;
        out[n].type = de.d_type;
        *last_cookie = de.d_next;
        n++;
        off += sizeof de + de.d_namlen;
    }
    return n;
}

int main(void)
{
    CHECK_INIT();
    char name[128];
    int ok = 1;

    CHECK_INT(mkdir(D "/big", 0755), 0, "mkdir big");
    for (int i = 0; i < NFILES && ok; i++) {
        char path[256];
        name_of(i, name, sizeof name);
        snprintf(path, sizeof path, D "/big/%s", name);
        ok = write_file(path, "", 0) == 0;
    }
    CHECK(ok, "created %d files in big/", NFILES);
    CHECK_INT(mkdir(D "/big/subdir", 0755), 0, "mkdir big/subdir");

    /* 1. libc readdir */
    DIR *d = opendir(D "/big");
    CHECK(d != NULL, "opendir big");
    int files = 0, dups = 0, bad = 0, dots = 0, subdirs = 0, badtype = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            dots++;
            continue;
        }
        if (strcmp(e->d_name, "subdir") == 0) {
            subdirs++;
            badtype += e->d_type != DT_DIR;
            continue;
        }
        int i;
        if (sscanf(e->d_name, "entry-%4d-", &i) != 1 || i < 0 || i >= NFILES) {
            bad++;
            continue;
        }
        name_of(i, name, sizeof name);
        if (strcmp(name, e->d_name) != 0) {
            bad++;
            continue;
        }
        dups += seen[i];
        seen[i] = 1;
        files++;
        badtype += e->d_type != DT_REG;
    }
    CHECK_INT(errno, 0, "readdir ends without an error");
    closedir(d);
    CHECK_INT(files, NFILES, "readdir returned all %d files", NFILES);
    CHECK_INT(dups, 0, "no file returned twice");
    CHECK_INT(bad, 0, "no unexpected names");
    CHECK_INT(subdirs, 1, "subdir returned once");
    CHECK_INT(badtype, 0, "d_type is DT_REG for files and DT_DIR for subdir");
    CHECK(dots == 0 || dots == 2, "\".\" and \"..\" both or neither");

    /* 2. __wasi_fd_readdir directly */
    int fd = open(D "/big", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open big O_DIRECTORY for fd_readdir");
    __wasi_size_t used = 0;
    CHECK_WASI(__wasi_fd_readdir(fd, bigbuf, sizeof bigbuf, 0, &used), 0,
               "fd_readdir with a 256 KiB buffer");
    CHECK(used < sizeof bigbuf, "everything fits: bufused < buf_len");
    __wasi_dircookie_t last = 0;
    int malformed = 0;
    nall = parse(bigbuf, used, all, NFILES + 8, &last, &malformed);
    CHECK(!malformed && (nall == NFILES + 1 || nall == NFILES + 3),
          "one call returned all %d entries (plus . and .. if listed)", NFILES + 1);
    int distinct = 1;
    for (int i = 1; i < nall; i++)
        distinct &= all[i].next != all[i - 1].next;
    CHECK(distinct, "consecutive entries have different cookies");

    /* a buffer smaller than a dirent header comes back full */
    unsigned char tiny[64];
    used = 0;
    CHECK_WASI(__wasi_fd_readdir(fd, tiny, 10, 0, &used), 0, "fd_readdir with a 10-byte buffer");
    CHECK_INT(used, 10, "a 10-byte buffer comes back full (entry truncated)");
    used = 0;
    CHECK_WASI(__wasi_fd_readdir(fd, tiny, 30, 0, &used), 0, "fd_readdir with a 30-byte buffer");
    CHECK_INT(used, 30, "a 30-byte buffer (header + part of a name) comes back full");
    __wasi_dirent_t de;
    memcpy(&de, tiny, sizeof de);
    CHECK(de.d_next == all[0].next && de.d_namlen == strlen(all[0].name),
          "the truncated entry's header is the first entry's");

    /* the resume loop with a 100-byte buffer gives the same sequence */
    static struct ent again[NFILES + 8];
    int nagain = 0, calls = 0, same = 1;
    __wasi_dircookie_t cookie = 0;
    for (;;) {
        unsigned char small[100];
        used = 0;
        if (__wasi_fd_readdir(fd, small, sizeof small, cookie, &used) != 0) {
            same = 0;
            break;
        }
        calls++;
        int k = parse(small, used, again + nagain, NFILES + 8 - nagain, &cookie, &malformed);
        nagain += k;
        if (used < sizeof small)
            break; /* the end of the directory */
        if (k == 0) {
            same = 0; /* an entry longer than 100 bytes: not expected here */
            break;
        }
        if (calls > 10 * NFILES) {
            same = 0;
            break;
        }
    }
    CHECK_INT(nagain, nall, "100-byte buffer: the same number of entries");
    for (int i = 0; i < nagain && i < nall; i++)
        same &= strcmp(again[i].name, all[i].name) == 0 && again[i].next == all[i].next;
    CHECK(same, "100-byte buffer: the same names and cookies, in the same order");
    CHECK(calls > NFILES / 2, "100-byte buffer: took many calls (one or two entries each)");

    /* resuming from any entry's cookie starts at the next entry */
    int resumed = 1;
    for (int k = 1; k < nall; k += 37) {
        unsigned char b[512];
        used = 0;
        if (__wasi_fd_readdir(fd, b, sizeof b, all[k - 1].next, &used) != 0) {
            resumed = 0;
            break;
        }
        struct ent one[1];
        __wasi_dircookie_t c;
        if (parse(b, used, one, 1, &c, &malformed) != 1 || strcmp(one[0].name, all[k].name) != 0)
            resumed = 0;
    }
    CHECK(resumed, "fd_readdir from entry k-1's d_next returns entry k first");
    used = 123;
    CHECK_WASI(__wasi_fd_readdir(fd, bigbuf, sizeof bigbuf, all[nall - 1].next, &used), 0,
               "fd_readdir from the last entry's cookie");
    CHECK_INT(used, 0, "nothing after the last entry");
    close(fd);

    /* 3. telldir / seekdir / rewinddir */
    d = opendir(D "/big");
    for (int i = 0; i < 250; i++)
        readdir(d);
    long pos = telldir(d);
    e = readdir(d);
    char after[256];
    snprintf(after, sizeof after, "%s", e ? e->d_name : "(none)");
    for (int i = 0; i < 100; i++)
        readdir(d);
    seekdir(d, pos);
    e = readdir(d);
    CHECK(e && strcmp(e->d_name, after) == 0, "seekdir to a telldir position returns the same entry again");
    rewinddir(d);
    e = readdir(d);
    CHECK(e && strcmp(e->d_name, all[0].name) == 0, "rewinddir starts over");
    closedir(d);

    /* 4. an empty directory */
    CHECK_INT(mkdir(D "/empty", 0755), 0, "mkdir empty");
    d = opendir(D "/empty");
    int n = 0;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    CHECK_INT(n, 0, "an empty directory lists nothing but . and ..");

    CHECK_DONE();
}
