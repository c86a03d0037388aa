/*
 * files.c — WASI workload: file I/O through a granted directory.
 *
 *   files DIR [ROUNDS]       (DIR must exist and be writable; default 3 rounds)
 * bench-args: @DIR@ 3
 *
 * Each round, in DIR: writes a 4 MiB file with fwrite in pseudo-random chunk
 * sizes, reads it back with fread and compares checksums, reads 4000
 * records at random offsets (fseek/fread), overwrites 1000 of them in "r+b"
 * mode (fseek/fwrite), checks the size with fseek/ftell and stat, and
 * re-reads the whole file.  Then it makes 48 small text files with fprintf,
 * renames half of them, lists DIR (opendir/readdir, names sorted), reads
 * every file back with fgets and removes them all.  Prints one line of
 * checksums per phase; the output must be the same natively and on every
 * WASI runner.  Exit status 1 if a read-back disagrees with what was written.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FILE_SIZE (4u << 20)
#define RECORD 64u

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint32_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return (uint32_t)(x >> 32);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}
#define FNV0 1469598103934665603ull

/* a faster hash for whole buffers: 8 bytes at a time (n is a multiple of 8) */
static uint64_t hash_words(const unsigned char *p, size_t n)
{
    uint64_t h = FNV0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h;
}

static const char *dir;
static int failures;

static char *path(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static FILE *open_or_die(const char *name, const char *mode)
{
    FILE *f = fopen(path(name), mode);
    if (!f) {
        perror(path(name));
        exit(2);
    }
    return f;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "files: %s\n", what);
        failures++;
    }
}

/* read the whole file into back[] with freads of chunk_size; its hash */
static uint64_t read_all(const char *name, unsigned char *back, size_t chunk_size)
{
    FILE *f = open_or_die(name, "rb");
    size_t n, total = 0;
    while (total < FILE_SIZE &&
           (n = fread(back + total, 1, chunk_size < FILE_SIZE - total ? chunk_size : FILE_SIZE - total, f)) > 0)
        total += n;
    check(!ferror(f), "read error");
    check(total == FILE_SIZE, "short read");
    check(fgetc(f) == EOF && feof(f), "no end of file after FILE_SIZE bytes");
    fclose(f);
    return hash_words(back, FILE_SIZE);
}

static void big_file(int round, unsigned char *data, unsigned char *back)
{
    for (size_t i = 0; i < FILE_SIZE; i += 4) {
        uint32_t r = rnd();
        memcpy(data + i, &r, 4);
    }
    /* write in chunks of 1 B .. 64 KiB */
    FILE *f = open_or_die("big.dat", "wb");
    size_t chunks = 0;
    for (size_t off = 0; off < FILE_SIZE; chunks++) {
        size_t n = 1 + rnd() % 65536;
        if (n > FILE_SIZE - off)
            n = FILE_SIZE - off;
        check(fwrite(data + off, 1, n, f) == n, "short write");
        off += n;
    }
    check(fclose(f) == 0, "fclose after write failed");

    uint64_t hw = hash_words(data, FILE_SIZE);
    uint64_t hr = read_all("big.dat", back, 32768);
    check(hr == hw, "read back differs from what was written");
    printf("round %d: wrote %u bytes in %zu chunks, read back %016" PRIx64 " %s\n", round,
           FILE_SIZE, chunks, hr, hr == hw ? "ok" : "DIFFERS");

    /* random reads */
    f = open_or_die("big.dat", "rb");
    uint64_t hs = FNV0;
    unsigned bad = 0;
    for (int i = 0; i < 4000; i++) {
        long off = (long)(rnd() % (FILE_SIZE / RECORD)) * RECORD + (long)(rnd() % 8);
        unsigned char rec[RECORD];
        size_t want = off + RECORD > FILE_SIZE ? FILE_SIZE - (size_t)off : RECORD;
        check(fseek(f, off, SEEK_SET) == 0, "fseek failed");
        size_t n = fread(rec, 1, want, f);
        bad += n != want || memcmp(rec, data + off, n) != 0;
        hs = fnv(hs, rec, n);
    }
    check(fseek(f, 0, SEEK_END) == 0, "fseek to end failed");
    long end = ftell(f);
    fclose(f);
    check(bad == 0, "random reads differ");
    printf("round %d: 4000 random reads %016" PRIx64 ", %u wrong, size by ftell %ld\n", round, hs,
           bad, end);

    /* random overwrites, mirrored in data[] */
    f = open_or_die("big.dat", "r+b");
    for (int i = 0; i < 1000; i++) {
        long off = (long)(rnd() % (FILE_SIZE / RECORD)) * RECORD;
        unsigned char rec[RECORD];
        for (unsigned j = 0; j < RECORD; j++)
            rec[j] = (unsigned char)(rnd() >> 24);
        check(fseek(f, off, SEEK_SET) == 0, "fseek failed");
        check(fwrite(rec, 1, RECORD, f) == RECORD, "short overwrite");
        memcpy(data + off, rec, RECORD);
    }
    check(fclose(f) == 0, "fclose after overwrite failed");
    struct stat st;
    check(stat(path("big.dat"), &st) == 0, "stat failed");
    uint64_t expect = hash_words(data, FILE_SIZE);
    hr = read_all("big.dat", back, 4096 + 17 * (unsigned)round);
    check(memcmp(back, data, FILE_SIZE) == 0, "file contents differ after overwrites");
    check(hr == expect, "file differs after overwrites");
    printf("round %d: 1000 overwrites, re-read %016" PRIx64 " %s, size by stat %lld\n", round, hr,
           hr == expect ? "ok" : "DIFFERS", (long long)st.st_size);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void small_files(void)
{
    char name[64], from[64], line[256];
    for (int i = 0; i < 48; i++) {
        snprintf(name, sizeof name, "note-%02d.txt", i);
        FILE *f = open_or_die(name, "w");
        for (int j = 0; j <= i; j++)
            fprintf(f, "file %d line %d value %08" PRIx32 "\n", i, j, rnd());
        check(fclose(f) == 0, "fclose of a small file failed");
    }
    for (int i = 0; i < 48; i += 2) {
        snprintf(from, sizeof from, "note-%02d.txt", i);
        snprintf(name, sizeof name, "renamed-%02d.txt", i);
        char *a = path(from), *b = path(name);
        check(rename(a, b) == 0, "rename failed");
    }

    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(2);
    }
    char *names[128];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 128)
        if (strstr(e->d_name, ".txt"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);

    uint64_t hn = FNV0, hc = FNV0;
    unsigned lines = 0;
    for (int i = 0; i < n; i++) {
        hn = fnv(hn, (const unsigned char *)names[i], strlen(names[i]) + 1);
        FILE *f = open_or_die(names[i], "r");
        while (fgets(line, sizeof line, f)) {
            hc = fnv(hc, (const unsigned char *)line, strlen(line));
            lines++;
        }
        fclose(f);
        check(remove(path(names[i])) == 0, "remove failed");
        free(names[i]);
    }
    printf("small files: %d listed (sorted names hash %016" PRIx64
           "), %u lines, contents %016" PRIx64 "\n",
           n, hn, lines, hc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: files DIR [ROUNDS]\n");
        return 2;
    }
    dir = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    unsigned char *data = malloc(FILE_SIZE), *back = malloc(FILE_SIZE);
    if (!data || !back)
        return 2;
    for (int r = 1; r <= rounds; r++)
        big_file(r, data, back);
    check(remove(path("big.dat")) == 0, "remove big.dat failed");
    small_files();

    /* the directory is empty again */
    DIR *d = opendir(dir);
    int left = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        left += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    printf("entries left in the directory: %d\n", left);
    printf("failures: %d\n", failures);
    free(data);
    free(back);
    return failures ? 1 : 0;
}
