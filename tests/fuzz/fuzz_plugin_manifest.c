/*
 * fuzz_plugin_manifest.c — libFuzzer target for the Extism manifest parser
 * (src/plugin/manifest.c): parses the input as a manifest, checks what it
 * got, frees it.  It never touches the file system: kn_pm_parse is told to
 * refuse wasm entries that name a file (so an input naming /dev/zero or a
 * FIFO cannot hang it), and relative allowed_paths resolve against a
 * directory that does not exist (they are only recorded, never opened).
 *
 * Besides what ASan, UBSan and LeakSanitizer catch, it aborts when the
 * result contradicts the parser's contract: an error without a message or
 * of another kind than ARG/NOMEM, or an error that left a manifest behind;
 * a manifest without modules, a module without a name or with a sha256
 * that is not its bytes', not exactly one module named "main", a name used
 * twice, a config key that kn_pm_config does not find again or that occurs
 * twice, an empty host or guest path.  A parsed manifest then takes a round
 * of the embedder's setters, which must keep those properties.
 *
 * cJSON is the system's library, not instrumented, so raw bytes alone
 * would give libFuzzer no guidance past the first brace.  An input whose
 * first byte is odd is therefore read as choices that write a manifest:
 * field names right and wrong, values of every JSON type, valid and
 * broken base64 and hashes, duplicate module names, strings copied from
 * the input.  Other inputs are parsed as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "sha256.h"

#define REQUIRE(c)                                                                      \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "fuzz_plugin_manifest: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static void check(const kiln_plugin_manifest *m)
{
    REQUIRE(m->nwasm >= 1 && m->wasm);
    size_t mains = 0;
    for (size_t i = 0; i < m->nwasm; i++) {
        const kn_pm_wasm *w = &m->wasm[i];
        REQUIRE(w->name && w->bytes);
        mains += !strcmp(w->name, "main");
        for (size_t j = 0; j < i; j++)
            REQUIRE(strcmp(m->wasm[j].name, w->name));
        uint8_t d[KN_SHA256_LEN];
        REQUIRE(kn_sha256(w->bytes, w->len, d) && !memcmp(d, w->sha256, sizeof d));
    }
    REQUIRE(mains == 1);
    for (size_t i = 0; i < m->nconfig; i++) {
        REQUIRE(m->config[i].key && m->config[i].value);
        REQUIRE(kn_pm_config(m, m->config[i].key) == m->config[i].value);
    }
    REQUIRE(m->nallowed_hosts == 0 || m->hosts_given);
    for (size_t i = 0; i < m->nallowed_hosts; i++)
        REQUIRE(m->allowed_hosts[i]);
    for (size_t i = 0; i < m->nallowed_paths; i++)
        REQUIRE(m->allowed_paths[i].host && *m->allowed_paths[i].host &&
                m->allowed_paths[i].guest && *m->allowed_paths[i].guest);
}

/* The embedder's grants, with keys and paths taken from the manifest
 * itself so that replacing and removing are exercised too. */
static void grants(kiln_plugin_manifest *m)
{
    size_t nconfig = m->nconfig;
    if (nconfig) {
        char *key = strdup(m->config[0].key);
        REQUIRE(key);
        REQUIRE(!kiln_plugin_manifest_set_config(m, key, "v"));
        REQUIRE(!strcmp(kn_pm_config(m, key), "v") && m->nconfig == nconfig);
        REQUIRE(!kiln_plugin_manifest_set_config(m, key, NULL));
        REQUIRE(!kn_pm_config(m, key) && m->nconfig == nconfig - 1);
        free(key);
    }
    REQUIRE(!kiln_plugin_manifest_allow_host(m, "fuzz.example"));
    REQUIRE(m->hosts_given);
    if (m->nallowed_paths) {
        char *host = strdup(m->allowed_paths[0].host);
        REQUIRE(host);
        size_t n = m->nallowed_paths;
        REQUIRE(!kiln_plugin_manifest_allow_path(m, host, NULL, m->allowed_paths[0].read_only));
        REQUIRE(m->nallowed_paths == n);
        free(host);
    }
    kiln_plugin_manifest_set_timeout_ms(m, 1);
    kiln_plugin_manifest_set_max_pages(m, 1);
}

/* ---- the manifest writer ------------------------------------------------ */

typedef struct gen {
    const uint8_t *in;
    size_t n, at;
    char out[16384];
    size_t len;
} gen;

static unsigned pick(gen *g, unsigned k)
{
    return g->at < g->n ? g->in[g->at++] % k : 0;
}

static void put(gen *g, const char *s)
{
    size_t n = strlen(s);
    if (g->len + n < sizeof g->out) {
        memcpy(g->out + g->len, s, n);
        g->len += n;
    }
}

#define ONE_OF(g, list) (list)[pick(g, sizeof(list) / sizeof *(list))]

/* A string of up to 15 input bytes, quotes and backslashes escaped and
 * everything else raw (so invalid UTF-8 and control bytes get through). */
static void raw_string(gen *g)
{
    unsigned n = pick(g, 16);
    put(g, "\"");
    for (unsigned i = 0; i < n && g->at < g->n; i++) {
        char c[3] = {(char)g->in[g->at++], 0, 0};
        if (c[0] == '"' || c[0] == '\\')
            c[1] = c[0], c[0] = '\\';
        put(g, c);
    }
    put(g, "\"");
}

static const char *const strings[] = {
    "\"AGFzbQEAAAA=\"", "\"AA==\"", "\"\"", "\"YWJ=\"", "\"main\"", "\"a\"", "\"b\"",
    "\"extism:host/env\"", "\"x.wasm\"", "\"/g\"", "\"ro:/h\"", "\"*.example.com\"",
    "\"93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476\"",
    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
    "\"\\u0000\"", "\"\\ud800\"", "\"\\u00e9\""};
static const char *const numbers[] = {"0", "1", "-1", "1.5", "1e3", "4294967295", "4294967296",
                                      "9007199254740992", "9007199254740993", "1e300", "-0"};
static const char *const others[] = {"null", "true", "{}", "[]", "{\"ptr\":1,\"len\":8}"};

static void value(gen *g, int depth);

static void object(gen *g, const char *const *keys, unsigned nkeys, int depth)
{
    unsigned n = pick(g, 5);
    put(g, "{");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            put(g, ",");
        if (pick(g, 8))
            put(g, keys[pick(g, nkeys)]);
        else
            raw_string(g);
        put(g, ":");
        value(g, depth + 1);
    }
    put(g, "}");
}

static const char *const top_keys[] = {"\"wasm\"", "\"memory\"", "\"config\"",
                                       "\"allowed_hosts\"", "\"allowed_paths\"",
                                       "\"timeout_ms\"", "\"Wasm\""};
static const char *const wasm_keys[] = {"\"path\"", "\"data\"", "\"name\"", "\"hash\"",
                                        "\"url\"", "\"headers\"", "\"data\"", "\"name\""};
static const char *const memory_keys[] = {"\"max_pages\"", "\"max_http_response_bytes\"",
                                          "\"max_var_bytes\"", "\"max\""};
static const char *const map_keys[] = {"\"a\"", "\"b\"", "\"ro:/h\"", "\"ro:\"", "\"rel\"",
                                       "\"/abs\"", "\"\""};

static void value(gen *g, int depth)
{
    unsigned k = depth > 4 ? pick(g, 4) : pick(g, 10);
    if (k == 0)
        put(g, ONE_OF(g, strings));
    else if (k == 1)
        put(g, ONE_OF(g, numbers));
    else if (k == 2)
        put(g, ONE_OF(g, others));
    else if (k == 3)
        raw_string(g);
    else if (k == 4)
        object(g, wasm_keys, 8, depth);
    else if (k == 5)
        object(g, memory_keys, 4, depth);
    else if (k == 6)
        object(g, map_keys, 7, depth);
    else {
        unsigned n = pick(g, 4);
        put(g, "[");
        for (unsigned i = 0; i < n; i++) {
            if (i)
                put(g, ",");
            if (pick(g, 2))
                object(g, wasm_keys, 8, depth + 1);
            else
                value(g, depth + 1);
        }
        put(g, "]");
    }
}

/* A value of the type the field wants, mostly: maps of strings for
 * config and allowed_paths, an array of strings for allowed_hosts. */
static void typed(gen *g, unsigned key)
{
    unsigned n = pick(g, 4);
    if (key == 1) {
        object(g, memory_keys, 4, 2);
    } else if (key == 2 || key == 4) {
        put(g, "{");
        for (unsigned i = 0; i < n; i++) {
            put(g, i ? "," : "");
            put(g, ONE_OF(g, map_keys));
            put(g, ":");
            if (pick(g, 4))
                put(g, ONE_OF(g, strings));
            else
                raw_string(g);
        }
        put(g, "}");
    } else if (key == 3) {
        put(g, "[");
        for (unsigned i = 0; i < n; i++) {
            put(g, i ? "," : "");
            put(g, ONE_OF(g, strings));
        }
        put(g, "]");
    } else {
        put(g, ONE_OF(g, numbers));
    }
}

static void manifest(gen *g)
{
    unsigned n = pick(g, 7);
    put(g, "{\"wasm\":[");
    unsigned nw = pick(g, 4);
    for (unsigned i = 0; i < nw; i++) {
        if (i)
            put(g, ",");
        object(g, wasm_keys, 8, 1);
    }
    put(g, "]");
    for (unsigned i = 0; i < n; i++) {
        unsigned key = pick(g, 7);
        put(g, ",");
        put(g, top_keys[key]);
        put(g, ":");
        if (pick(g, 2))
            typed(g, key);
        else
            value(g, 1);
    }
    put(g, "}");
}

/* ---- the target -------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static __thread gen g; /* 16 KiB: off the stack */
    const char *text = (const char *)data;
    if (size && data[0] % 2) {
        g = (gen){.in = data + 1, .n = size - 1};
        manifest(&g);
        text = g.out;
        size = g.len;
    }
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = kn_pm_parse(text, size, "/nonexistent/kiln-fuzz", false, &m);
    if (e) {
        kiln_error_kind k = kiln_error_kind_of(e);
        REQUIRE(!m && (k == KILN_ERR_ARG || k == KILN_ERR_NOMEM));
        REQUIRE(kiln_error_message(e) && *kiln_error_message(e));
        kiln_error_free(e);
        return 0;
    }
    REQUIRE(m);
    check(m);
    grants(m);
    check(m);
    kiln_plugin_manifest_free(m);
    return 0;
}
