/*
 * manifest.c — Extism's manifest (JSON) read into struct
 * kiln_plugin_manifest (manifest.h), with the modules it names read into
 * memory and their sha256 checked.
 *
 * The shape is that of extism-manifest (extism/extism manifest/src/lib.rs)
 * and the module loading that of the runtime (runtime/src/manifest.rs):
 *   - every object denies unknown fields, and a field given twice is an
 *     error (serde's "duplicate field"); config and allowed_paths are maps,
 *     where a repeated key replaces the earlier one, as in a BTreeMap;
 *   - fields that are Option<_> in Extism (name, hash, memory.*,
 *     allowed_hosts, allowed_paths, timeout_ms) may be null, meaning "not
 *     given"; the others (wasm, memory, config) may not;
 *   - a wasm entry is exactly one of {path}, {data} (base64, strict) or
 *     {url, headers, method} (refused: kiln fetches nothing), plus name and
 *     hash; data as {ptr, len} (a raw host pointer, which Extism's C API
 *     accepts) is refused;
 *   - naming: one module is "main" whatever its name; with several, an
 *     unnamed module is "main", the last one becomes "main" if no earlier
 *     one is, and a name used twice (or the kernel's "extism:host/env",
 *     or "extism:host/user") is an error;
 *   - hash is compared with the lowercase hex sha256 of the bytes, as
 *     Extism compares strings;
 *   - a module file must be a regular file (not a FIFO or a device, which
 *     could block or never end) of at most 1 GiB;
 *   - memory.max_var_bytes defaults to 1 MiB (null: no limit), the other
 *     limits to none; timeout_ms to none;
 *   - allowed_paths maps a host path, read-only with a "ro:" prefix, to a
 *     guest path.
 * Numbers go through cJSON as doubles: an integer field takes an integral
 * value up to 2^53 (and to its type's maximum); 1.0 passes as 1, which
 * serde would refuse.  Every error is KILN_ERR_ARG (or KILN_ERR_NOMEM)
 * and starts with the path of the field ("wasm[1].hash: ...").
 *
 * Invariants of a manifest handed out: every module has a non-NULL name
 * and exactly one is "main"; config keys are unique; nothing is shared
 * with the JSON or the caller.
 */
#include "manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "sha256.h"

#define MAIN_NAME "main"
#define MAX_VAR_BYTES_DEFAULT (1024u * 1024u)
/* The largest integer a double holds exactly: beyond it cJSON's value is
 * not the number written. */
#define MAX_EXACT ((uint64_t)1 << 53)
/* A module file larger than this is refused rather than read. */
#define MAX_MODULE_BYTES ((size_t)1 << 30)
#define PATH_LEN 256

typedef struct pm_parse {
    const char *base_dir;
    bool files;                  /* false: path entries are refused */
    kiln_plugin_manifest *m;
} pm_parse;

static kiln_error *nomem(void)
{
    return kiln_error_new(KILN_ERR_NOMEM, "manifest: out of memory");
}

/* ---- freeing ------------------------------------------------------------ */

static void free_paths(kn_pm_path *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].host);
        free(p[i].guest);
    }
    free(p);
}

KILN_API void kiln_plugin_manifest_free(kiln_plugin_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nwasm; i++) {
        free(m->wasm[i].name);
        free(m->wasm[i].bytes);
    }
    free(m->wasm);
    for (size_t i = 0; i < m->nconfig; i++) {
        free(m->config[i].key);
        free(m->config[i].value);
    }
    free(m->config);
    for (size_t i = 0; i < m->nallowed_hosts; i++)
        free(m->allowed_hosts[i]);
    free(m->allowed_hosts);
    free_paths(m->allowed_paths, m->nallowed_paths);
    free(m);
}

static kiln_plugin_manifest *manifest_empty(void)
{
    kiln_plugin_manifest *m = calloc(1, sizeof *m);
    if (m) {
        m->max_pages = KN_PM_NO_LIMIT;
        m->max_http_response_bytes = KN_PM_NO_LIMIT;
        m->max_var_bytes = MAX_VAR_BYTES_DEFAULT;
    }
    return m;
}

/* ---- lookups and appends (also behind the setters) ---------------------- */

const char *kn_pm_config(const kiln_plugin_manifest *m, const char *key)
{
    if (!m || !key)
        return NULL;
    for (size_t i = 0; i < m->nconfig; i++)
        if (!strcmp(m->config[i].key, key))
            return m->config[i].value;
    return NULL;
}

/* key = value, replacing an earlier value; value NULL removes key. */
static bool config_put(kiln_plugin_manifest *m, const char *key, const char *value)
{
    for (size_t i = 0; i < m->nconfig; i++) {
        if (strcmp(m->config[i].key, key))
            continue;
        if (!value) {
            free(m->config[i].key);
            free(m->config[i].value);
            m->config[i] = m->config[--m->nconfig];
            return true;
        }
        char *v = strdup(value);
        if (!v)
            return false;
        free(m->config[i].value);
        m->config[i].value = v;
        return true;
    }
    if (!value)
        return true;
    kn_pm_kv *c = realloc(m->config, (m->nconfig + 1) * sizeof *c);
    if (!c)
        return false;
    m->config = c;
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return false;
    }
    c[m->nconfig++] = (kn_pm_kv){k, v};
    return true;
}

static bool host_add(kiln_plugin_manifest *m, const char *pattern)
{
    char **h = realloc(m->allowed_hosts, (m->nallowed_hosts + 1) * sizeof *h);
    if (!h)
        return false;
    m->allowed_hosts = h;
    if (!(h[m->nallowed_hosts] = strdup(pattern)))
        return false;
    m->nallowed_hosts++;
    m->hosts_given = true;
    return true;
}

/* host -> guest (both copied); the same host with the same access replaces
 * the earlier guest, as the key of Extism's map. */
static bool path_put(kiln_plugin_manifest *m, const char *host, const char *guest, bool ro)
{
    char *g = strdup(guest);
    if (!g)
        return false;
    for (size_t i = 0; i < m->nallowed_paths; i++) {
        kn_pm_path *p = &m->allowed_paths[i];
        if (p->read_only == ro && !strcmp(p->host, host)) {
            free(p->guest);
            p->guest = g;
            return true;
        }
    }
    kn_pm_path *p = realloc(m->allowed_paths, (m->nallowed_paths + 1) * sizeof *p);
    char *h = p ? strdup(host) : NULL;
    if (p)
        m->allowed_paths = p;
    if (!h) {
        free(g);
        return false;
    }
    p[m->nallowed_paths++] = (kn_pm_path){h, g, ro};
    return true;
}

/* base_dir/rel, or rel itself when it is absolute or there is no base. */
static char *resolve(const char *base_dir, const char *rel)
{
    if (!base_dir || !*base_dir || rel[0] == '/')
        return strdup(rel);
    size_t b = strlen(base_dir), r = strlen(rel);
    bool slash = base_dir[b - 1] == '/';
    char *s = malloc(b + !slash + r + 1);
    if (s) {
        memcpy(s, base_dir, b);
        if (!slash)
            s[b++] = '/';
        memcpy(s + b, rel, r + 1);
    }
    return s;
}

/* ---- reading files ------------------------------------------------------ */

/* The whole regular file at path: 0, or an errno value (EFTYPE-like
 * cases as EINVAL: not a regular file; EFBIG: too large). */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno;
    struct stat st;
    int err = 0;
    uint8_t *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st))
        err = errno;
    else if (!S_ISREG(st.st_mode))
        err = EINVAL;
    else if ((uint64_t)st.st_size > MAX_MODULE_BYTES)
        err = EFBIG;
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        err = ENOMEM;
    /* Read what is there now, up to the size seen (a file that grows
     * meanwhile is cut, one that shrinks is shorter). */
    while (!err && n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = errno;
        else if (r == 0)
            break;
        else
            n += (size_t)r;
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = n;
    return 0;
}

static const char *file_error(int err, char *buf, size_t size)
{
    if (err == EINVAL)
        return "not a regular file";
    if (err == EFBIG)
        return "larger than 1 GiB";
    return strerror_r(err, buf, size);
}

/* ---- JSON helpers --------------------------------------------------------- */

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* where.key into buf (key alone at the top level); a path too long for a
 * message is cut and ends in "...". */
static const char *field(char *buf, const char *where, const char *key)
{
    int n = snprintf(buf, PATH_LEN, "%s%s%s", where, *where ? "." : "", key);
    if (n >= PATH_LEN)
        memcpy(buf + PATH_LEN - 4, "...", 4);
    return buf;
}

/* Every member of obj is one of allowed (a NULL-terminated list), once. */
static kiln_error *check_fields(const cJSON *obj, const char *where, const char *const *allowed,
                                const char *expect)
{
    char path[PATH_LEN];
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = !strcmp(*a, c->string);
        if (!known)
            return kiln_error_new(KILN_ERR_ARG, "%s: unknown field (expected %s)",
                                  field(path, where, c->string), expect);
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (!strcmp(d->string, c->string))
                return kiln_error_new(KILN_ERR_ARG, "%s: duplicate field",
                                      field(path, where, c->string));
    }
    return NULL;
}

/* A non-negative integer up to max (and 2^53). */
static kiln_error *get_uint(const cJSON *v, const char *path, uint64_t max, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return kiln_error_new(KILN_ERR_ARG, "%s: expected a non-negative integer, got %s", path,
                              json_type(v));
    double d = v->valuedouble;
    uint64_t limit = max < MAX_EXACT ? max : MAX_EXACT;
    /* In range first, so that the cast back is defined. */
    if (!(d >= 0 && d <= (double)limit) || (double)(uint64_t)d != d)
        return kiln_error_new(KILN_ERR_ARG,
                              "%s: expected a non-negative integer at most %llu, got %.17g",
                              path, (unsigned long long)limit, d);
    *out = (uint64_t)d;
    return NULL;
}

/* An Option<integer>: null leaves *out alone. */
static kiln_error *get_opt_uint(const cJSON *v, const char *path, uint64_t max, uint64_t *out,
                                uint64_t if_null)
{
    if (cJSON_IsNull(v)) {
        *out = if_null;
        return NULL;
    }
    return get_uint(v, path, max, out);
}

/* ---- wasm entries ------------------------------------------------------------ */

static const char *const wasm_fields[] = {"path", "data", "url", "headers", "method",
                                          "name", "hash", NULL};
#define WASM_EXPECT "path, data or url, with name and hash"

static bool is_hash(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == KN_SHA256_HEX_LEN;
}

static kiln_error *wasm_bytes_path(pm_parse *p, const cJSON *v, const char *where,
                                   kn_pm_wasm *w)
{
    char path[PATH_LEN], msg[128];
    if (!cJSON_IsString(v) || !*v->valuestring)
        return kiln_error_new(KILN_ERR_ARG, "%s: expected a file path, got %s",
                              field(path, where, "path"),
                              cJSON_IsString(v) ? "an empty string" : json_type(v));
    if (!p->files)
        return kiln_error_new(KILN_ERR_ARG, "%s: module files are not allowed here",
                              field(path, where, "path"));
    char *file = resolve(p->base_dir, v->valuestring);
    if (!file)
        return nomem();
    int err = read_file(file, &w->bytes, &w->len);
    kiln_error *e = NULL;
    if (err == ENOMEM)
        e = nomem();
    else if (err)
        e = kiln_error_new(KILN_ERR_ARG, "%s: cannot read \"%s\": %s",
                           field(path, where, "path"), file, file_error(err, msg, sizeof msg));
    free(file);
    return e;
}

static kiln_error *wasm_bytes_data(const cJSON *v, const char *where, kn_pm_wasm *w)
{
    char path[PATH_LEN];
    field(path, where, "data");
    if (cJSON_IsObject(v))
        return kiln_error_new(KILN_ERR_ARG,
                              "%s: a {ptr, len} host pointer is not accepted; give base64",
                              path);
    if (!cJSON_IsString(v))
        return kiln_error_new(KILN_ERR_ARG, "%s: expected a base64 string, got %s", path,
                              json_type(v));
    size_t bad = 0;
    switch (kn_base64_decode(v->valuestring, strlen(v->valuestring), &w->bytes, &w->len, &bad)) {
    case KN_B64_OK:
        return NULL;
    case KN_B64_NOMEM:
        return nomem();
    default:
        return kiln_error_new(KILN_ERR_ARG,
                              "%s: invalid base64 at character %zu (standard alphabet, "
                              "padded)", path, bad);
    }
}

/* The optional name and hash of entry where (NULL when absent or null). */
static kiln_error *wasm_meta(const cJSON *e, const char *where, const char **name,
                             const char **hash)
{
    char path[PATH_LEN];
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "name");
    *name = *hash = NULL;
    if (f && !cJSON_IsNull(f)) {
        if (!cJSON_IsString(f))
            return kiln_error_new(KILN_ERR_ARG, "%s: expected a string, got %s",
                                  field(path, where, "name"), json_type(f));
        *name = f->valuestring;
    }
    f = cJSON_GetObjectItemCaseSensitive(e, "hash");
    if (f && !cJSON_IsNull(f)) {
        if (!cJSON_IsString(f) || !is_hash(f->valuestring))
            return kiln_error_new(KILN_ERR_ARG,
                                  "%s: expected a sha256 as 64 lowercase hex digits",
                                  field(path, where, "hash"));
        *hash = f->valuestring;
    }
    return NULL;
}

/* The bytes and sha256 of entry where (wasm[i]), checked against its hash;
 * *name is the name it gives or NULL. */
static kiln_error *wasm_entry(pm_parse *p, const cJSON *e, const char *where, kn_pm_wasm *w,
                              const char **name)
{
    static const char *const url_only[] = {"headers", "method"};
    char path[PATH_LEN];
    if (!cJSON_IsObject(e))
        return kiln_error_new(KILN_ERR_ARG, "%s: expected an object, got %s", where,
                              json_type(e));
    kiln_error *err = check_fields(e, where, wasm_fields, WASM_EXPECT);
    if (err)
        return err;
    const cJSON *fpath = cJSON_GetObjectItemCaseSensitive(e, "path");
    const cJSON *fdata = cJSON_GetObjectItemCaseSensitive(e, "data");
    const cJSON *furl = cJSON_GetObjectItemCaseSensitive(e, "url");
    if (!!fpath + !!fdata + !!furl != 1)
        return kiln_error_new(KILN_ERR_ARG, "%s: expected exactly one of path, data or url",
                              where);
    if (furl)
        return kiln_error_new(KILN_ERR_ARG,
                              "%s: not supported: kiln fetches nothing; download the module "
                              "and give its path or data", field(path, where, "url"));
    for (size_t k = 0; k < 2; k++)
        if (cJSON_GetObjectItemCaseSensitive(e, url_only[k]))
            return kiln_error_new(KILN_ERR_ARG, "%s: only allowed with url",
                                  field(path, where, url_only[k]));
    const char *hash;
    if ((err = wasm_meta(e, where, name, &hash)))
        return err;
    err = fpath ? wasm_bytes_path(p, fpath, where, w) : wasm_bytes_data(fdata, where, w);
    if (err)
        return err;
    if (!kn_sha256(w->bytes, w->len, w->sha256))
        return nomem();
    char hex[KN_SHA256_HEX_LEN + 1];
    kn_sha256_hex(w->sha256, hex);
    if (hash && strcmp(hash, hex))
        return kiln_error_new(KILN_ERR_ARG, "%s: mismatch: the module's sha256 is %s, not %s",
                              field(path, where, "hash"), hex, hash);
    return NULL;
}

static bool reserved_name(const char *s)
{
    return !strcmp(s, "extism:host/env") || !strcmp(s, "extism:host/user");
}

/* Extism's naming of module i of n (see the top of the file). */
static kiln_error *wasm_name(const kiln_plugin_manifest *m, size_t i, size_t n,
                             const char *given, const char *where, char **out)
{
    char path[PATH_LEN];
    const char *name = given ? given : MAIN_NAME;
    if (n == 1) {
        name = MAIN_NAME;
    } else if (i == n - 1) {
        bool have_main = false;
        for (size_t j = 0; j < i && !have_main; j++)
            have_main = !strcmp(m->wasm[j].name, MAIN_NAME);
        if (!have_main)
            name = MAIN_NAME;
    }
    if (reserved_name(name))
        return kiln_error_new(KILN_ERR_ARG, "%s: \"%s\" is reserved for the Extism kernel",
                              field(path, where, "name"), name);
    for (size_t j = 0; j < i; j++)
        if (!strcmp(m->wasm[j].name, name))
            return kiln_error_new(KILN_ERR_ARG, "%s: duplicate module name \"%s\"%s",
                                  given ? field(path, where, "name") : where, name,
                                  given ? "" : " (a module without a name is \"main\")");
    return (*out = strdup(name)) ? NULL : nomem();
}

static kiln_error *parse_wasm(pm_parse *p, const cJSON *v)
{
    if (!v || !cJSON_IsArray(v))
        return kiln_error_new(KILN_ERR_ARG, "wasm: expected an array of modules, got %s",
                              v ? json_type(v) : "nothing");
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n == 0)
        return kiln_error_new(KILN_ERR_ARG, "wasm: no modules (expected at least one)");
    kiln_plugin_manifest *m = p->m;
    /* All n zeroed now, so that freeing the manifest after an error frees
     * whatever the failing entry had read. */
    if (!(m->wasm = calloc(n, sizeof *m->wasm)))
        return nomem();
    m->nwasm = n;
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char where[PATH_LEN];
        const char *given = NULL;
        snprintf(where, sizeof where, "wasm[%zu]", i);
        kn_pm_wasm *w = &m->wasm[i];
        kiln_error *err = wasm_entry(p, e, where, w, &given);
        if (!err)
            err = wasm_name(m, i, n, given, where, &w->name);
        if (err)
            return err;
    }
    return NULL;
}

/* ---- the other fields -------------------------------------------------------- */

static const char *const memory_fields[] = {"max_pages", "max_http_response_bytes",
                                            "max_var_bytes", NULL};

static kiln_error *parse_memory(kiln_plugin_manifest *m, const cJSON *v)
{
    if (!cJSON_IsObject(v))
        return kiln_error_new(KILN_ERR_ARG, "memory: expected an object, got %s", json_type(v));
    kiln_error *e = check_fields(v, "memory", memory_fields,
                                 "max_pages, max_http_response_bytes or max_var_bytes");
    const cJSON *f;
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(v, "max_pages")))
        e = get_opt_uint(f, "memory.max_pages", UINT32_MAX, &m->max_pages, KN_PM_NO_LIMIT);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(v, "max_http_response_bytes")))
        e = get_opt_uint(f, "memory.max_http_response_bytes", UINT64_MAX,
                         &m->max_http_response_bytes, KN_PM_NO_LIMIT);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(v, "max_var_bytes")))
        e = get_opt_uint(f, "memory.max_var_bytes", UINT64_MAX, &m->max_var_bytes,
                         KN_PM_NO_LIMIT);
    return e;
}

static kiln_error *parse_config(kiln_plugin_manifest *m, const cJSON *v)
{
    char path[PATH_LEN];
    if (!cJSON_IsObject(v))
        return kiln_error_new(KILN_ERR_ARG, "config: expected an object of strings, got %s",
                              json_type(v));
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return kiln_error_new(KILN_ERR_ARG, "%s: expected a string, got %s",
                                  field(path, "config", c->string), json_type(c));
        if (!config_put(m, c->string, c->valuestring))
            return nomem();
    }
    return NULL;
}

static kiln_error *parse_hosts(kiln_plugin_manifest *m, const cJSON *v)
{
    if (cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsArray(v))
        return kiln_error_new(KILN_ERR_ARG, "allowed_hosts: expected an array of strings, got %s",
                              json_type(v));
    m->hosts_given = true;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (!cJSON_IsString(c))
            return kiln_error_new(KILN_ERR_ARG, "allowed_hosts[%zu]: expected a string, got %s",
                                  i, json_type(c));
        if (!host_add(m, c->valuestring))
            return nomem();
    }
    return NULL;
}

static kiln_error *parse_paths(pm_parse *p, const cJSON *v)
{
    char path[PATH_LEN];
    if (cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsObject(v))
        return kiln_error_new(KILN_ERR_ARG, "allowed_paths: expected an object (host path: "
                              "guest path), got %s", json_type(v));
    for (const cJSON *c = v->child; c; c = c->next) {
        const char *host = c->string;
        bool ro = !strncmp(host, "ro:", 3);
        host += ro ? 3 : 0;
        field(path, "allowed_paths", c->string);
        if (!*host)
            return kiln_error_new(KILN_ERR_ARG, "%s: empty host path", path);
        if (!cJSON_IsString(c) || !*c->valuestring)
            return kiln_error_new(KILN_ERR_ARG, "%s: expected a guest path, got %s", path,
                                  cJSON_IsString(c) ? "an empty string" : json_type(c));
        char *h = resolve(p->base_dir, host);
        bool ok = h && path_put(p->m, h, c->valuestring, ro);
        free(h);
        if (!ok)
            return nomem();
    }
    return NULL;
}

static const char *const top_fields[] = {"wasm", "memory", "config", "allowed_hosts",
                                         "allowed_paths", "timeout_ms", NULL};

static kiln_error *parse_top(pm_parse *p, const cJSON *root)
{
    kiln_plugin_manifest *m = p->m;
    if (!cJSON_IsObject(root))
        return kiln_error_new(KILN_ERR_ARG, "manifest: expected a JSON object, got %s",
                              json_type(root));
    kiln_error *e = check_fields(root, "", top_fields,
                                 "wasm, memory, config, allowed_hosts, allowed_paths or "
                                 "timeout_ms");
    const cJSON *f;
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(root, "memory")))
        e = parse_memory(m, f);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(root, "config")))
        e = parse_config(m, f);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(root, "allowed_hosts")))
        e = parse_hosts(m, f);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(root, "allowed_paths")))
        e = parse_paths(p, f);
    if (!e && (f = cJSON_GetObjectItemCaseSensitive(root, "timeout_ms")))
        e = get_opt_uint(f, "timeout_ms", UINT64_MAX, &m->timeout_ms, 0);
    /* Modules last: the cheap checks fail before any file is read. */
    if (!e)
        e = parse_wasm(p, cJSON_GetObjectItemCaseSensitive(root, "wasm"));
    return e;
}

/* ---- text checks and entry points ------------------------------------------- */

/* Offset of the first byte that is not valid UTF-8 or is a control
 * character JSON never allows unescaped (all below 0x20 but tab, CR, LF),
 * or len.  serde_json reads only valid UTF-8 and refuses those; cJSON
 * checks neither, and would cut a string at a NUL. */
static size_t text_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], lo = 0x80, hi = 0xbf;
        size_t n;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return i;
            i++;
            continue;
        }
        /* The ranges of the second byte exclude overlong forms, surrogates
         * and code points past U+10FFFF. */
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return i;
        }
        if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return i;
        i += n + 1;
    }
    return len;
}

kiln_error *kn_pm_parse(const char *json, size_t len, const char *base_dir, bool files,
                        kiln_plugin_manifest **out)
{
    if (!out || (!json && len))
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_parse: NULL argument");
    size_t bad = text_invalid_at((const unsigned char *)json, len);
    if (bad < len)
        return kiln_error_new(KILN_ERR_ARG,
                              "manifest: not valid UTF-8, or a control character, at byte %zu",
                              bad);
    /* cJSON gets a NUL-terminated copy, so no bug of its can read past the
     * caller's buffer. */
    char *text = malloc(len + 1);
    if (!text)
        return nomem();
    if (len)
        memcpy(text, json, len);
    text[len] = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    kiln_error *e = NULL;
    if (!root) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        e = kiln_error_new(KILN_ERR_ARG, "manifest: invalid JSON at byte %zu", at);
    } else {
        for (const char *t = end; t && t < text + len && !e; t++)
            if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n')
                e = kiln_error_new(KILN_ERR_ARG, "manifest: trailing characters at byte %zu",
                                   (size_t)(t - text));
    }
    pm_parse p = {base_dir, files, NULL};
    if (!e && !(p.m = manifest_empty()))
        e = nomem();
    if (!e)
        e = parse_top(&p, root);
    cJSON_Delete(root);
    free(text);
    if (e) {
        kiln_plugin_manifest_free(p.m);
        return e;
    }
    *out = p.m;
    return NULL;
}

KILN_API kiln_error *kiln_plugin_manifest_parse(const char *json, size_t len,
                                                const char *base_dir,
                                                kiln_plugin_manifest **out)
{
    return kn_pm_parse(json, len, base_dir, true, out);
}

KILN_API kiln_error *kiln_plugin_manifest_from_wasm(const uint8_t *bytes, size_t len,
                                                    kiln_plugin_manifest **out)
{
    if (!out || (!bytes && len))
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_from_wasm: NULL argument");
    kiln_plugin_manifest *m = manifest_empty();
    if (!m || !(m->wasm = calloc(1, sizeof *m->wasm)))
        goto oom;
    kn_pm_wasm *w = &m->wasm[0];
    m->nwasm = 1;
    if (!(w->name = strdup(MAIN_NAME)) || !(w->bytes = malloc(len ? len : 1)))
        goto oom;
    if (len)
        memcpy(w->bytes, bytes, len);
    w->len = len;
    if (!kn_sha256(w->bytes, len, w->sha256))
        goto oom;
    *out = m;
    return NULL;
oom:
    kiln_plugin_manifest_free(m);
    return nomem();
}

/* The directory part of path, or NULL when it has none (the current
 * directory: relative paths stay relative). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    return strndup(path, n);
}

KILN_API kiln_error *kiln_plugin_manifest_load(const char *path, kiln_plugin_manifest **out)
{
    if (!path || !out)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_load: NULL argument");
    uint8_t *bytes = NULL;
    size_t len = 0;
    char msg[128];
    int err = read_file(path, &bytes, &len);
    if (err == ENOMEM)
        return nomem();
    if (err)
        return kiln_error_new(KILN_ERR_ARG, "%s: %s", path, file_error(err, msg, sizeof msg));
    kiln_error *e;
    if (len >= 4 && !memcmp(bytes, "\0asm", 4)) {
        e = kiln_plugin_manifest_from_wasm(bytes, len, out);
    } else {
        char *dir = dir_of(path);
        kiln_plugin_manifest *m = NULL;
        e = strrchr(path, '/') && !dir ? nomem()
                                       : kn_pm_parse((const char *)bytes, len, dir, true, &m);
        free(dir);
        if (e && kiln_error_kind_of(e) == KILN_ERR_ARG) {
            kiln_error *prefixed = kiln_error_new(KILN_ERR_ARG, "%s: %s", path,
                                                  kiln_error_message(e));
            kiln_error_free(e);
            e = prefixed;
        }
        if (!e)
            *out = m;
    }
    free(bytes);
    return e;
}

/* ---- the embedder's grants ------------------------------------------------------ */

KILN_API kiln_error *kiln_plugin_manifest_set_config(kiln_plugin_manifest *m, const char *key,
                                                     const char *value)
{
    if (!m || !key)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_set_config: NULL argument");
    return config_put(m, key, value) ? NULL : nomem();
}

KILN_API kiln_error *kiln_plugin_manifest_allow_host(kiln_plugin_manifest *m,
                                                     const char *pattern)
{
    if (!m || !pattern || !*pattern)
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_allow_host: %s",
                              m && pattern ? "empty pattern" : "NULL argument");
    return host_add(m, pattern) ? NULL : nomem();
}

KILN_API kiln_error *kiln_plugin_manifest_allow_path(kiln_plugin_manifest *m,
                                                     const char *host_path,
                                                     const char *guest_path, bool read_only)
{
    if (!m || !host_path || !*host_path || (guest_path && !*guest_path))
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_manifest_allow_path: %s",
                              m && host_path ? "empty path" : "NULL argument");
    return path_put(m, host_path, guest_path ? guest_path : host_path, read_only) ? NULL
                                                                                 : nomem();
}

KILN_API void kiln_plugin_manifest_set_timeout_ms(kiln_plugin_manifest *m, uint64_t ms)
{
    if (m)
        m->timeout_ms = ms;
}

KILN_API void kiln_plugin_manifest_set_max_pages(kiln_plugin_manifest *m, uint32_t pages)
{
    if (m)
        m->max_pages = pages;
}
