/*
 * wordfreq.c — WASI workload: word-frequency count over generated text.
 *
 *   wordfreq [WORDS]        (default 600000; env WORDFREQ_SEED seeds the text)
 * bench-args: 600000
 * bench-env: WORDFREQ_SEED=42
 *
 * Generates pseudo-English text (a syllable vocabulary drawn with a skewed
 * distribution, capitals, punctuation, line breaks) into a growing malloc'd
 * buffer, splits it into lower-cased words, counts them in a chained hash
 * table of malloc'd nodes, sorts the table with qsort twice (by count, then
 * alphabetically) and prints the top words and checksums with printf.  The
 * same source is built natively and for wasm32-wasi; the output must be
 * byte-identical (no rand(), no long, no locale; the one double is an
 * IEEE division, printed by two correctly rounding printfs).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return (uint32_t)(x >> 32);
}

static const char *const syllables[] = {
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "do", "pa", "ri", "mo",
    "the", "and", "ver", "ing", "str", "ion", "ell", "qua", "nor", "pha", "ex",
    "un", "an", "or", "is", "at", "be", "co",
};
#define NSYL (sizeof syllables / sizeof syllables[0])
#define NVOCAB 40000

/* ---- a growing text buffer ---- */
typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "wordfreq: out of memory\n");
            exit(1);
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* ---- the hash table ---- */
typedef struct node {
    struct node *next;
    uint32_t hash, count;
    char word[]; /* NUL-terminated */
} node;

static node **table;
static uint32_t table_size = 1024, distinct;

static uint32_t hash_word(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void grow(void)
{
    uint32_t nsize = table_size * 2;
    node **nt = calloc(nsize, sizeof *nt);
    if (!nt)
        exit(1);
    for (uint32_t i = 0; i < table_size; i++)
        for (node *n = table[i], *next; n; n = next) {
            next = n->next;
            n->next = nt[n->hash & (nsize - 1)];
            nt[n->hash & (nsize - 1)] = n;
        }
    free(table);
    table = nt, table_size = nsize;
}

static void count_word(const char *s, size_t len)
{
    uint32_t h = hash_word(s, len);
    for (node *n = table[h & (table_size - 1)]; n; n = n->next)
        if (n->hash == h && strncmp(n->word, s, len) == 0 && n->word[len] == 0) {
            n->count++;
            return;
        }
    node *n = malloc(sizeof *n + len + 1);
    if (!n)
        exit(1);
    memcpy(n->word, s, len);
    n->word[len] = 0;
    n->hash = h, n->count = 1;
    n->next = table[h & (table_size - 1)];
    table[h & (table_size - 1)] = n;
    if (++distinct > table_size * 3 / 4)
        grow();
}

static int by_count(const void *a, const void *b)
{
    const node *x = *(node *const *)a, *y = *(node *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->word, y->word);
}

static int by_word(const void *a, const void *b)
{
    return strcmp((*(node *const *)a)->word, (*(node *const *)b)->word);
}

int main(int argc, char **argv)
{
    uint32_t nwords = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 600000;
    const char *seed = getenv("WORDFREQ_SEED");
    rng_state = 0x9E3779B97F4A7C15ull ^ (seed ? strtoull(seed, NULL, 10) : 1);

    /* the vocabulary: 1 to 4 syllables per word */
    char **vocab = malloc(NVOCAB * sizeof *vocab);
    for (int i = 0; i < NVOCAB; i++) {
        char w[32] = "";
        int k = 1 + (int)(rnd() % 4);
        for (int j = 0; j < k; j++)
            strcat(w, syllables[rnd() % NSYL]);
        vocab[i] = strdup(w);
    }

    /* the text: word indices skewed towards the front of the vocabulary */
    buf text = {0};
    for (uint32_t i = 0; i < nwords; i++) {
        /* mostly a cubed uniform draw (Zipf-like), sometimes uniform */
        uint64_t u = rnd() >> 12, u3 = (u * u >> 20) * u >> 20; /* 20-bit fractions */
        uint32_t idx = rnd() % 8 ? (uint32_t)(u3 * NVOCAB >> 20) : rnd() % NVOCAB;
        const char *w = vocab[idx];
        char tmp[40];
        size_t n = strlen(w);
        memcpy(tmp, w, n);
        uint32_t r = rnd();
        if (r % 11 == 0)
            tmp[0] = (char)toupper((unsigned char)tmp[0]);
        if (r % 7 == 0)
            tmp[n++] = ",.;!?"[(r >> 8) % 5];
        tmp[n++] = (i % 13 == 12) ? '\n' : ' ';
        put(&text, tmp, n);
    }

    /* count */
    table = calloc(table_size, sizeof *table);
    uint32_t total = 0;
    for (size_t i = 0; i < text.len;) {
        while (i < text.len && !isalpha((unsigned char)text.p[i]))
            i++;
        size_t start = i;
        while (i < text.len && isalpha((unsigned char)text.p[i])) {
            text.p[i] = (char)tolower((unsigned char)text.p[i]);
            i++;
        }
        if (i > start) {
            count_word(text.p + start, i - start);
            total++;
        }
    }

    /* sort */
    node **all = malloc(distinct * sizeof *all);
    uint32_t k = 0;
    for (uint32_t i = 0; i < table_size; i++)
        for (node *n = table[i]; n; n = n->next)
            all[k++] = n;
    qsort(all, distinct, sizeof *all, by_count);

    printf("text bytes %zu, words %" PRIu32 ", distinct %" PRIu32 "\n", text.len, total,
           distinct);
    printf("top 20:\n");
    for (uint32_t i = 0; i < 20 && i < distinct; i++)
        printf("  %3" PRIu32 ". %-14s %8" PRIu32 "  %6.3f%%\n", i + 1, all[i]->word,
               all[i]->count, 100.0 * all[i]->count / total);
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < distinct; i++) {
        for (const char *c = all[i]->word; *c; c++)
            h = (h ^ (uint8_t)*c) * 1099511628211ull;
        h = (h ^ all[i]->count) * 1099511628211ull;
    }
    printf("by-count checksum %016" PRIx64 "\n", h);

    qsort(all, distinct, sizeof *all, by_word);
    printf("alphabetical: first %s (%" PRIu32 "), last %s (%" PRIu32 ")\n", all[0]->word,
           all[0]->count, all[distinct - 1]->word, all[distinct - 1]->count);
    uint32_t singles = 0, longest = 0;
    h = 1469598103934665603ull;
    for (uint32_t i = 0; i < distinct; i++) {
        uint32_t len = (uint32_t)strlen(all[i]->word);
        if (len > longest)
            longest = len;
        singles += all[i]->count == 1;
        h = (h ^ len ^ ((uint64_t)all[i]->count << 8)) * 1099511628211ull;
    }
    printf("hapax legomena %" PRIu32 ", longest word %" PRIu32 " letters\n", singles, longest);
    printf("alphabetical checksum %016" PRIx64 "\n", h);

    for (uint32_t i = 0; i < distinct; i++)
        free(all[i]);
    free(all);
    free(table);
    free(text.p);
    for (int i = 0; i < NVOCAB; i++)
        free(vocab[i]);
    free(vocab);
    return 0;
}
