/*
 * manifest_component.c — one [component.ID] of a Spin manifest: its keys,
 * its kiln settings (`tool.kiln`, or `kiln`), and, in the load's second
 * phase, its Wasm bytes.
 *
 * A source is a path relative to the manifest's directory, or Spin's table
 * `{ url, digest = "sha256:HEX" }`.  kiln never downloads: a url that is a
 * file:// URL or a plain path is read locally, an http(s) URL is refused
 * with advice, and the digest is checked against the bytes read (OpenSSL's
 * SHA-256).  Either way the file must lie inside the manifest's directory
 * once symlinks are resolved — stricter than Spin, which reads "../x", so
 * that a manifest can only point at what it ships with.  The bytes must be
 * a core Wasm module: a component-model binary (what Spin's "http"
 * executor runs) is refused here with a clear message rather than as a
 * decode error later.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_impl.h"

#define WASM_MAX (1ull << 30)

/* ---- kiln settings -------------------------------------------------------- */

/* "64K", "128M", "1G", "2MiB", "512KB", "1024" (bytes, 1024-based). */
static int parse_size(const char *s, uint64_t *out)
{
    uint64_t n = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    unsigned shift = 0;
    switch (*p | 0x20) {
    case 'k': shift = 10; p++; break;
    case 'm': shift = 20; p++; break;
    case 'g': shift = 30; p++; break;
    default: break;
    }
    if (shift && *p == 'i')
        p++;
    if (*p == 'B' || *p == 'b')
        p++;
    if (*p || (shift && n > (UINT64_MAX >> shift)))
        return -1;
    *out = n << shift;
    return 0;
}

/* "30s", "500ms", "2m", or integer milliseconds. */
static int parse_duration_ms(const char *s, uint64_t *out)
{
    uint64_t n = 0, mul;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (!strcmp(p, "ms"))
        mul = 1;
    else if (!strcmp(p, "s"))
        mul = 1000;
    else if (!strcmp(p, "m"))
        mul = 60000;
    else if (!strcmp(p, "h"))
        mul = 3600000;
    else
        return -1;
    if (n > UINT64_MAX / mul)
        return -1;
    *out = n * mul;
    return 0;
}

typedef struct range {
    uint64_t min, max;
    const char *text; /* the range in words, for the message */
} range;

/* V is an integer, or (with PARSE) a string PARSE understands, in R. */
static int limit_value(kn_mctx *c, const kiln_toml_value *v, const char *key, const char *where,
                       int (*parse)(const char *, uint64_t *), const char *forms, range r,
                       uint64_t *out)
{
    int64_t i;
    const char *s;
    uint64_t n;
    if (kiln_toml_int(v, &i)) {
        if (i < 0)
            return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must not be negative", key,
                              where);
        n = (uint64_t)i;
    } else if (parse && kiln_toml_string(v, &s, NULL)) {
        if (parse(s, &n))
            return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s: cannot read \"%s\" (%s)", key,
                              where, s, forms);
    } else {
        return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must be %s, not %s", key, where,
                          forms, kiln_toml_type_name(kiln_toml_type_of(v)));
    }
    if (n < r.min || n > r.max)
        return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s is out of range: it must be %s",
                          key, where, r.text);
    *out = n;
    return 0;
}

static const char SIZE_FORMS[] = "an integer number of bytes or a string such as \"64M\"";
static const char TIME_FORMS[] = "an integer of milliseconds or a string such as \"30s\" or \"500ms\"";

static int kiln_key(kn_mctx *c, kn_component_limits *l, const char *k, const kiln_toml_value *v,
                    const char *where, int *pool_set)
{
    uint64_t n;
    if (!strcmp(k, "max_memory"))
        return limit_value(c, v, k, where, parse_size, SIZE_FORMS,
                           (range){64 << 10, KN_MAX_MAX_MEMORY, "between 64 KiB and 4 GiB"},
                           &l->max_memory);
    if (!strcmp(k, "fuel"))
        return limit_value(c, v, k, where, NULL, "an integer",
                           (range){1, UINT64_MAX, "at least 1 (leave it out for no limit)"},
                           &l->fuel);
    if (!strcmp(k, "timeout"))
        return limit_value(c, v, k, where, parse_duration_ms, TIME_FORMS,
                           (range){1, KN_MAX_TIMEOUT_MS, "between 1 ms and 24 h"}, &l->timeout_ms);
    if (!strcmp(k, "max_body"))
        return limit_value(c, v, k, where, parse_size, SIZE_FORMS,
                           (range){1, KN_MAX_MAX_BODY, "between 1 byte and 4 GiB"}, &l->max_body);
    if (!strcmp(k, "max_concurrency")) {
        if (limit_value(c, v, k, where, NULL, "an integer",
                        (range){1, KN_MAX_CONCURRENCY, "between 1 and 10000"}, &n))
            return -1;
        l->max_concurrency = (uint32_t)n;
        return 0;
    }
    if (!strcmp(k, "pool")) {
        if (limit_value(c, v, k, where, NULL, "an integer",
                        (range){0, KN_MAX_CONCURRENCY, "between 0 and 10000"}, &n))
            return -1;
        l->pool = (uint32_t)n;
        *pool_set = 1;
        return 0;
    }
    return 1;
}

static int kiln_settings(kn_mctx *c, kn_component *comp, const kiln_toml_value *t, const char *where)
{
    kn_component_limits *l = &comp->limits;
    int pool_set = 0;
    const kiln_toml_value *pool = kiln_toml_table_get(t, "pool");
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        int r = kiln_key(c, l, kiln_toml_table_key(t, i, NULL), kiln_toml_table_value(t, i),
                         where, &pool_set);
        if (r > 0)
            return kn_mf_unknown(c, t, i, where);
        if (r)
            return -1;
    }
    if (!pool_set && l->pool > l->max_concurrency)
        l->pool = l->max_concurrency;
    if (l->pool > l->max_concurrency)
        return kn_mf_fail(c, kiln_toml_pos_of(pool),
                          "\"pool\" in %s is out of range: it must not exceed max_concurrency (%u)",
                          where, l->max_concurrency);
    return 0;
}

/* ---- the component table -------------------------------------------------- */

static int component_grow(kn_mctx *c)
{
    kn_app *app = c->app;
    if (app->ncomponents < c->cap)
        return 0;
    size_t cap = c->cap ? c->cap * 2 : 4;
    kn_component *comps = realloc(app->components, cap * sizeof *comps);
    if (comps)
        app->components = comps;
    const kiln_toml_value **tables = comps ? realloc(c->tables, cap * sizeof *tables) : NULL;
    if (!tables)
        return kn_mf_nomem(c);
    c->tables = tables;
    c->cap = cap;
    return 0;
}

static int environment(kn_mctx *c, kn_component *comp, const kiln_toml_value *t,
                       const char *where)
{
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        size_t klen;
        const char *k = kiln_toml_table_key(t, i, &klen);
        const char *v = kn_mf_str(c, kiln_toml_table_value(t, i), k, where);
        if (!v)
            return -1;
        if (!klen || strlen(k) != klen || strchr(k, '='))
            return kn_mf_fail(c, kiln_toml_table_key_pos(t, i),
                              "environment variable name \"%s\" in %s must be non-empty, without "
                              "'=' or NUL", k, where);
        size_t n = comp->nenv;
        if (kn_mf_push_str(&comp->env_names, &n, k))
            return kn_mf_nomem(c);
        n = comp->nenv;
        if (kn_mf_push_str(&comp->env_values, &n, v)) {
            free(comp->env_names[n]); /* keep the two arrays the same length */
            return kn_mf_nomem(c);
        }
        comp->nenv = n;
    }
    return 0;
}

static int is_hex64(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n == 64 && !s[n];
}

/* Phase one: the form of `source`; the file itself is read in phase two. */
static int source_check(kn_mctx *c, const kiln_toml_value *v, const char *where)
{
    const char *s;
    if (kiln_toml_type_of(v) == KILN_TOML_STRING) {
        if (!(s = kn_mf_str(c, v, "source", where)))
            return -1;
        if (!kn_mf_rel_ok(s))
            return kn_mf_fail(c, kiln_toml_pos_of(v),
                              "source \"%s\" in %s leaves the manifest's directory: write a path "
                              "relative to it, without \"..\"", s, where);
        return 0;
    }
    if (kiln_toml_type_of(v) != KILN_TOML_TABLE)
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "\"source\" in %s must be a path or { url = \"...\", digest = \"sha256:...\" }, not %s",
                          where, kiln_toml_type_name(kiln_toml_type_of(v)));
    const kiln_toml_value *url = NULL, *digest = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(v); i++) {
        const char *k = kiln_toml_table_key(v, i, NULL);
        if (!strcmp(k, "url"))
            url = kiln_toml_table_value(v, i);
        else if (!strcmp(k, "digest"))
            digest = kiln_toml_table_value(v, i);
        else if (!strcmp(k, "registry") || !strcmp(k, "package") || !strcmp(k, "version"))
            return kn_mf_fail(c, kiln_toml_table_key_pos(v, i),
                              "the source of %s is a registry package: kiln does not fetch "
                              "components; download it and set \"source\" to its path", where);
        else
            return kn_mf_unknown(c, v, i, "the source table");
    }
    if (!url || !digest)
        return kn_mf_fail(c, kiln_toml_pos_of(v), "the source table of %s needs both \"url\" and \"digest\"",
                          where);
    const char *u = kn_mf_str(c, url, "url", "the source table"),
               *d = kn_mf_str(c, digest, "digest", "the source table");
    if (!u || !d)
        return -1;
    if (strncmp(d, "sha256:", 7) || !is_hex64(d + 7))
        return kn_mf_fail(c, kiln_toml_pos_of(digest),
                          "digest \"%s\" must be \"sha256:\" and 64 hexadecimal digits", d);
    if (!strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8))
        return kn_mf_fail(c, kiln_toml_pos_of(url),
                          "kiln does not fetch sources: download %s and set \"source\" to its path "
                          "(relative to the manifest)", u);
    if (!strncmp(u, "file://", 7))
        return u[7] == '/' ? 0
                           : kn_mf_fail(c, kiln_toml_pos_of(url),
                                        "url \"%s\" must be file:///ABSOLUTE/PATH", u);
    if (strstr(u, "://"))
        return kn_mf_fail(c, kiln_toml_pos_of(url), "url \"%s\": kiln reads file:// URLs and paths only", u);
    if (!kn_mf_rel_ok(u))
        return kn_mf_fail(c, kiln_toml_pos_of(url),
                          "source \"%s\" in %s leaves the manifest's directory: write a path "
                          "relative to it, without \"..\"", u, where);
    return 0;
}

static int hosts(kn_mctx *c, kn_component *comp, const kiln_toml_value *t, size_t i,
                 const char *where)
{
    const char *k = kiln_toml_table_key(t, i, NULL);
    if (!strcmp(k, "allowed_http_hosts") &&
        kn_mf_warn(c, kiln_toml_table_key_pos(t, i),
                   "\"allowed_http_hosts\" is deprecated: use \"allowed_outbound_hosts\""))
        return -1;
    return kn_mf_str_array(c, kiln_toml_table_value(t, i), k, where,
                           &comp->allowed_outbound_hosts, &comp->nhosts);
}

static int tool(kn_mctx *c, const kiln_toml_value *t, const char *where,
                const kiln_toml_value **kiln)
{
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        if (kn_mf_want_table(c, v, k, "[tool]"))
            return -1;
        if (strcmp(k, "kiln"))
            continue; /* another tool's settings */
        if (*kiln)
            return kn_mf_fail(c, kiln_toml_table_key_pos(t, i),
                              "%s has both [kiln] and [tool.kiln]: keep one", where);
        *kiln = v;
    }
    return 0;
}

/* Keys Spin knows that ask for something kiln does not have yet. */
static const char *const UNSUPPORTED[] = {"variables", "key_value_stores", "sqlite_databases",
                                          "ai_models", "dependencies", NULL};

static int component_key(kn_mctx *c, kn_component *comp, const kiln_toml_value *t, size_t i,
                         const char *where, const kiln_toml_value **kiln)
{
    const char *k = kiln_toml_table_key(t, i, NULL);
    const kiln_toml_value *v = kiln_toml_table_value(t, i);
    bool b;
    for (size_t u = 0; UNSUPPORTED[u]; u++)
        if (!strcmp(k, UNSUPPORTED[u]))
            return kn_mf_unsupported(c, t, i, where, NULL);
    if (!strcmp(k, "source"))
        return source_check(c, v, where);
    if (!strcmp(k, "description"))
        return kn_mf_str(c, v, k, where) ? 0 : -1;
    if (!strcmp(k, "environment"))
        return kn_mf_want_table(c, v, k, where) ? -1 : environment(c, comp, v, where);
    if (!strcmp(k, "allowed_outbound_hosts") || !strcmp(k, "allowed_http_hosts"))
        return hosts(c, comp, t, i, where);
    if (!strcmp(k, "files") || !strcmp(k, "exclude_files"))
        return 0; /* checked together below */
    if (!strcmp(k, "build") || !strcmp(k, "profile"))
        return kn_mf_want_table(c, v, k, where); /* kiln neither builds nor has profiles */
    if (!strcmp(k, "targets"))
        return 0; /* deployment targets: `spin deploy`'s business */
    if (!strcmp(k, "dependencies_inherit_configuration"))
        return kiln_toml_bool(v, &b) ? 0
                                     : kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must be a bool, not %s",
                                                  k, where, kiln_toml_type_name(kiln_toml_type_of(v)));
    if (!strcmp(k, "tool"))
        return kn_mf_want_table(c, v, k, where) ? -1 : tool(c, v, where, kiln);
    if (!strcmp(k, "kiln")) {
        if (kn_mf_want_table(c, v, k, where))
            return -1;
        if (*kiln)
            return kn_mf_fail(c, kiln_toml_table_key_pos(t, i),
                              "%s has both [kiln] and [tool.kiln]: keep one", where);
        *kiln = v;
        return 0;
    }
    return kn_mf_unknown(c, t, i, where);
}

int kn_mf_component(kn_mctx *c, const char *id, const kiln_toml_value *t, const char *where)
{
    if (component_grow(c))
        return -1;
    kn_app *app = c->app;
    kn_component *comp = &app->components[app->ncomponents];
    *comp = (kn_component){0};
    c->tables[app->ncomponents++] = t;
    comp->limits = (kn_component_limits){KN_DEFAULT_MAX_MEMORY, 0, KN_DEFAULT_TIMEOUT_MS,
                                         KN_DEFAULT_MAX_CONCURRENCY, KN_DEFAULT_MAX_BODY,
                                         KN_DEFAULT_POOL};
    if (!(comp->id = strdup(id)))
        return kn_mf_nomem(c);
    const kiln_toml_value *kiln = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(t); i++)
        if (component_key(c, comp, t, i, where, &kiln))
            return -1;
    if (!kiln_toml_table_get(t, "source"))
        return kn_mf_fail(c, kiln_toml_pos_of(t), "%s needs a \"source\"", where);
    char kwhere[600];
    snprintf(kwhere, sizeof kwhere, "the kiln settings of %s", where);
    if (kiln && kiln_settings(c, comp, kiln, kwhere))
        return -1;
    return kn_mf_files_check(c, kiln_toml_table_get(t, "files"),
                             kiln_toml_table_get(t, "exclude_files"), where);
}

/* ---- phase two: the Wasm ---------------------------------------------------- */

static int read_all(int fd, uint8_t *buf, size_t len)
{
    for (size_t at = 0; at < len;) {
        ssize_t n = read(fd, buf + at, len - at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        at += (size_t)n;
    }
    return 0;
}

static int read_wasm(kn_mctx *c, kn_component *comp, kiln_toml_pos pos)
{
    int fd = open(comp->source_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > WASM_MAX) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return kn_mf_fail(c, pos, "component \"%s\": cannot read %s: %s", comp->id,
                          comp->source_path,
                          fd < 0 ? strerror(e) : !S_ISREG(st.st_mode) ? "not a regular file"
                                                                      : "larger than 1 GiB");
    }
    comp->wasm_len = (size_t)st.st_size;
    comp->wasm = malloc(comp->wasm_len ? comp->wasm_len : 1);
    int bad = !comp->wasm || read_all(fd, comp->wasm, comp->wasm_len);
    close(fd);
    if (bad)
        return comp->wasm ? kn_mf_fail(c, pos, "component \"%s\": cannot read %s", comp->id,
                                       comp->source_path)
                          : kn_mf_nomem(c);
    static const uint8_t core[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    if (comp->wasm_len < 8 || memcmp(comp->wasm, core, 4))
        return kn_mf_fail(c, pos, "component \"%s\": %s is not a WebAssembly module", comp->id,
                          comp->source_path);
    if (memcmp(comp->wasm, core, 8))
        return kn_mf_fail(c, pos,
                          "component \"%s\": %s is a component-model binary; kiln runs core "
                          "WebAssembly modules (wasm32-wasi preview1 WAGI programs) only",
                          comp->id, comp->source_path);
    return 0;
}

static int check_digest(kn_mctx *c, kn_component *comp, const char *want, kiln_toml_pos pos)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (!EVP_Digest(comp->wasm, comp->wasm_len, md, &mdlen, EVP_sha256(), NULL))
        return kn_mf_fail(c, pos, "component \"%s\": SHA-256 failed", comp->id);
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (strcasecmp(hex, want + 7))
        return kn_mf_fail(c, pos,
                          "component \"%s\": digest mismatch for %s: the manifest expects "
                          "%s but the file is sha256:%s",
                          comp->id, comp->source_path, want, hex);
    return 0;
}

/* The absolute path of a file:// URL, which must be inside the app's dir. */
static char *file_url_path(kn_mctx *c, const char *u, kiln_toml_pos pos)
{
    char *real = realpath(u + 7, NULL);
    const char *dir = c->app->dir;
    size_t dl = strlen(dir);
    if (!real) {
        kn_mf_fail(c, pos, "source %s: %s", u, strerror(errno));
        return NULL;
    }
    if (strcmp(dir, "/") && (strncmp(real, dir, dl) || real[dl] != '/')) {
        kn_mf_fail(c, pos, "source %s is outside the manifest's directory %s", u, dir);
        free(real);
        return NULL;
    }
    return real;
}

int kn_mf_component_load(kn_mctx *c, size_t i)
{
    kn_component *comp = &c->app->components[i];
    const kiln_toml_value *t = c->tables ? c->tables[i] : NULL;
    if (!t) /* a bare module: the path is already resolved */
        return read_wasm(c, comp, (kiln_toml_pos){0, 0});
    const kiln_toml_value *src = kiln_toml_table_get(t, "source");
    const kiln_toml_value *url = kiln_toml_table_get(src, "url");
    const kiln_toml_value *digest = kiln_toml_table_get(src, "digest");
    const char *path = NULL, *d = NULL;
    kiln_toml_string(url ? url : src, &path, NULL);
    kiln_toml_pos pos = kiln_toml_pos_of(url ? url : src);
    comp->source_path = !strncmp(path, "file://", 7) && url ? file_url_path(c, path, pos)
                                                           : kn_mf_inside(c, path, pos, "source");
    if (!comp->source_path || read_wasm(c, comp, pos))
        return -1;
    if (digest && kiln_toml_string(digest, &d, NULL) &&
        check_digest(c, comp, d, kiln_toml_pos_of(digest)))
        return -1;
    return kn_mf_files_load(c, i, kiln_toml_table_get(t, "files"),
                            kiln_toml_table_get(t, "exclude_files"));
}
