/*
 * profile.c — `kiln run --profile`: sampling the guest and writing what
 * was seen (profile.h).
 *
 * The samples arrive in a signal handler (kiln_sampler, kiln_inspect.h),
 * which may not allocate: each stack is counted in an open-addressing
 * table of distinct stacks whose frames live in one arena, both allocated
 * before sampling starts.  Programs have few distinct stacks (hundreds to
 * thousands), so memory stays bounded however long the guest runs; a
 * stack that finds the table or the arena full is counted as dropped and
 * reported.  Naming the frames (kiln_func_label) and everything that
 * allocates happens after the sampler has stopped.
 *
 * --profile=perfmap is the other way round: the system's profiler (perf)
 * samples, and kiln only says where each function's machine code is, in
 * the map file perf reads for code it finds in no ELF object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_inspect.h"
#include "profile.h"
#include "util.h"

#define TABLE_SIZE (1u << 15)    /* distinct stacks: at most 3/4 of it used */
#define ARENA_FRAMES (1u << 20)  /* frames of all distinct stacks */

typedef struct prof_entry {
    uint64_t hash, count;        /* count 0: a free slot */
    uint32_t off, len;           /* frames arena[off .. off+len), innermost first */
    bool truncated;              /* the outermost frames did not fit */
} prof_entry;

struct cli_profile {
    const char *path;
    FILE *out;
    bool svg;
    uint32_t hz;
    kiln_sampler *sampler;
    prof_entry *table;
    size_t used;
    const kiln_func **arena;
    size_t arena_used;
    /* Written by the handler only, read after the sampler stopped; all
     * counts are in sampling periods (1/hz of CPU time), which is what
     * the profile counts too. */
    uint64_t samples, idle, dropped;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

cli_profile *cli_profile_open(const char *path, uint32_t hz)
{
    bool svg = ends_with(path, ".svg");
    if (!svg && !ends_with(path, ".folded")) {
        usage_error("run", "--profile: '%s' must end in .svg (a flame graph) or .folded "
                           "(folded stacks)", path);
        return NULL;
    }
    cli_profile *p = calloc(1, sizeof *p);
    if (p) {
        p->table = calloc(TABLE_SIZE, sizeof *p->table);
        p->arena = calloc(ARENA_FRAMES, sizeof *p->arena);
    }
    if (!p || !p->table || !p->arena) {
        cli_profile_free(p);
        cli_error("out of memory");
        return NULL;
    }
    p->out = fopen(path, "w");
    if (!p->out) {
        usage_error("run", "--profile: cannot write '%s': %s", path, strerror(errno));
        cli_profile_free(p);
        return NULL;
    }
    p->path = path;
    p->svg = svg;
    p->hz = hz;
    return p;
}

void cli_profile_free(cli_profile *p)
{
    if (!p)
        return;
    if (p->sampler)
        kiln_sampler_stop(p->sampler);
    if (p->out) {
        /* Never written: take back the empty file this run made. */
        fclose(p->out);
        remove(p->path);
    }
    free(p->table);
    free(p->arena);
    free(p);
}

/* ---- in the signal handler ------------------------------------------------ */

static uint64_t stack_hash(const kiln_func *const *frames, size_t n, bool truncated)
{
    uint64_t h = 1469598103934665603u ^ truncated;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint64_t)(uintptr_t)frames[i];
        h *= 1099511628211u;
        h ^= h >> 29;
    }
    return h;
}

static bool same_stack(const cli_profile *p, const prof_entry *e, const kiln_func *const *frames,
                       size_t n, bool truncated)
{
    if (e->len != n || e->truncated != truncated)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p->arena[e->off + i] != frames[i])
            return false;
    return true;
}

/* Async-signal-safe: reads and writes only p's preallocated memory. */
static void on_sample(void *ud, const kiln_func *const *frames, size_t n, size_t depth,
                      uint32_t periods)
{
    cli_profile *p = ud;
    p->samples += periods;
    if (depth == 0) {
        p->idle += periods;
        return;
    }
    bool truncated = depth > n;
    uint64_t h = stack_hash(frames, n, truncated);
    for (size_t i = h & (TABLE_SIZE - 1);; i = (i + 1) & (TABLE_SIZE - 1)) {
        prof_entry *e = &p->table[i];
        if (e->count == 0) {
            if (p->used >= TABLE_SIZE / 4 * 3 || ARENA_FRAMES - p->arena_used < n) {
                p->dropped += periods;
                return;
            }
            for (size_t k = 0; k < n; k++)
                p->arena[p->arena_used + k] = frames[k];
            *e = (prof_entry){.hash = h, .count = periods, .off = (uint32_t)p->arena_used,
                              .len = (uint32_t)n, .truncated = truncated};
            p->arena_used += n;
            p->used++;
            return;
        }
        if (e->hash == h && same_stack(p, e, frames, n, truncated)) {
            e->count += periods;
            return;
        }
    }
}

bool cli_profile_start(cli_profile *p, kiln_store *store)
{
    kiln_error *e = kiln_sampler_start(store, p->hz, on_sample, p, &p->sampler);
    if (!e)
        return true;
    cli_error("--profile: %s", kiln_error_message(e));
    kiln_error_free(e);
    return false;
}

void cli_profile_stop(cli_profile *p)
{
    kiln_sampler_stop(p->sampler);
    p->sampler = NULL;
}

/* ---- naming and writing ------------------------------------------------- */

/* Appends frame text to buf at *len (cap bytes), made safe for the folded
 * format and for XML: ';' (the separator) becomes ':', control characters
 * and bytes that are not UTF-8 become '?'. */
static void append_label(char *buf, size_t *len, size_t cap, const char *s)
{
    size_t n = *len;
    while (*s && n + 5 < cap) {
        unsigned char c = (unsigned char)*s;
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = k > 0 && !(k == 2 && c < 0xc2);
        for (size_t j = 1; ok && j < k; j++)
            ok = ((unsigned char)s[j] & 0xc0) == 0x80;
        if (!ok || c < 0x20 || c == 0x7f) {
            buf[n++] = '?';
            s++;
            continue;
        }
        for (size_t j = 0; j < k; j++)
            buf[n++] = s[j] == ';' ? ':' : s[j];
        s += k;
    }
    buf[n] = 0;
    *len = n;
}

/* The folded text of one entry, root first. */
static char *entry_text(const cli_profile *p, const prof_entry *e)
{
    size_t cap = 64 + (size_t)e->len * 256, len = 0;
    char *buf = malloc(cap), name[1024];
    if (!buf)
        return NULL;
    buf[0] = 0;
    if (e->truncated)
        append_label(buf, &len, cap, "[deeper stack cut]");
    for (size_t i = e->len; i-- > 0;) {
        const kiln_func *caller = i + 1 < e->len ? p->arena[e->off + i + 1] : NULL;
        kiln_func_label(p->arena[e->off + i], caller, name, sizeof name);
        if (len)
            buf[len++] = ';';
        append_label(buf, &len, cap, name);
    }
    return buf;
}

static int by_stack(const void *a, const void *b)
{
    return strcmp(((const folded_stack *)a)->stack, ((const folded_stack *)b)->stack);
}

/* The distinct stacks by name, sorted; different functions of the same
 * name merge, as in any folded profile. */
static folded_stack *fold(const cli_profile *p, size_t *count)
{
    folded_stack *st = calloc(p->used ? p->used : 1, sizeof *st);
    size_t n = 0;
    for (size_t i = 0; st && i < TABLE_SIZE; i++) {
        const prof_entry *e = &p->table[i];
        if (!e->count)
            continue;
        if (!(st[n].stack = entry_text(p, e))) {
            while (n)
                free(st[--n].stack);
            free(st);
            return NULL;
        }
        st[n++].count = e->count;
    }
    if (!st)
        return NULL;
    qsort(st, n, sizeof *st, by_stack);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(st[k - 1].stack, st[i].stack) == 0) {
            st[k - 1].count += st[i].count;
            free(st[i].stack);
        } else {
            st[k++] = st[i];
        }
    }
    *count = k;
    return st;
}

bool cli_profile_finish(cli_profile *p, const char *module_file)
{
    if (p->sampler)
        cli_profile_stop(p);
    size_t n = 0;
    folded_stack *st = fold(p, &n);
    bool ok = st != NULL;
    if (!ok)
        cli_error("--profile: out of memory");
    if (ok && p->svg) {
        char title[512];
        uint64_t guest = p->samples - p->idle - p->dropped;
        snprintf(title, sizeof title, "%s: %.3f s of CPU time in the guest, sampled at %u Hz",
                 module_file, (double)guest / p->hz, p->hz);
        ok = flame_svg_write(p->out, st, n, title);
    } else {
        for (size_t i = 0; ok && i < n; i++)
            ok = fprintf(p->out, "%s %llu\n", st[i].stack, (unsigned long long)st[i].count) > 0;
    }
    for (size_t i = 0; st && i < n; i++)
        free(st[i].stack);
    free(st);
    if (ok && fflush(p->out) != 0)
        ok = false;
    if (st && !ok)
        cli_error("--profile: cannot write '%s': %s", p->path, strerror(errno));
    if (ok && p->dropped)
        cli_error("--profile: %llu of %llu samples dropped (more distinct stacks than kiln "
                  "keeps)", (unsigned long long)p->dropped, (unsigned long long)p->samples);
    if (fclose(p->out) != 0 && ok) {
        cli_error("--profile: cannot write '%s': %s", p->path, strerror(errno));
        ok = false;
    }
    p->out = NULL;
    cli_profile_free(p);
    return ok;
}

bool cli_perfmap_write(const kiln_module *m)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%ld.map", (long)getpid());
    size_t n = kiln_module_code_ranges(m, NULL, 0);
    kiln_code_range *r = calloc(n ? n : 1, sizeof *r);
    if (!r) {
        cli_error("out of memory");
        return false;
    }
    kiln_module_code_ranges(m, r, n);
    if (!n)
        fprintf(stderr, "kiln: warning: --profile=perfmap: no function of the module runs as "
                        "native code\n");
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        free(r);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%" PRIxPTR " %zx ", (uintptr_t)r[i].start, r[i].size);
        if (r[i].func == UINT32_MAX)
            fputs("kiln:trampoline\n", f);
        else if (r[i].name)
            fprintf(f, "%s\n", r[i].name);
        else
            fprintf(f, "func[%" PRIu32 "]\n", r[i].func);
    }
    free(r);
    if (fclose(f) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    return true;
}
