/* test_manifest.c — the Extism manifest (src/plugin/manifest.c): every
 * field read, its defaults and nulls, Extism's module naming, one case per
 * error with the field path its message must start with, sha256 checked
 * against digests computed outside kiln (sha256sum), strict base64, files
 * on disk in a temporary directory (relative paths, a Wasm file given
 * instead of a manifest), and the embedder's setters. */
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/unit.h"
#include "base64.h"
#include "manifest.h"
#include "sha256.h"

/* The empty module, its base64 and its sha256 (printf | sha256sum). */
static const uint8_t EMPTY_MOD[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
#define EMPTY_B64 "AGFzbQEAAAA="
#define EMPTY_SHA "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476"
#define DATA "{\"data\":\"" EMPTY_B64 "\""

static kiln_plugin_manifest *parse_ok(const char *json)
{
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = kiln_plugin_manifest_parse(json, strlen(json), NULL, &m);
    if (e) {
        printf("  %s\n    -> %s\n", json, kiln_error_message(e));
        kiln_error_free(e);
    }
    return m;
}

/* Parsing json fails with KILN_ERR_ARG and a message starting with want. */
static int fails_n(const char *json, size_t len, const char *want)
{
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = kiln_plugin_manifest_parse(json, len, NULL, &m);
    if (!e) {
        printf("  %s: parsed, expected \"%s...\"\n", json, want);
        kiln_plugin_manifest_free(m);
        return 0;
    }
    int ok = !m && kiln_error_kind_of(e) == KILN_ERR_ARG &&
             !strncmp(kiln_error_message(e), want, strlen(want));
    if (!ok)
        printf("  %s:\n    got  \"%s\"\n    want \"%s...\"\n", json, kiln_error_message(e), want);
    kiln_error_free(e);
    return ok;
}

static int fails(const char *json, const char *want)
{
    return fails_n(json, strlen(json), want);
}

static int has_msg(kiln_error *e, const char *part)
{
    int ok = e && strstr(kiln_error_message(e), part);
    if (!ok)
        printf("  error \"%s\" lacks \"%s\"\n", e ? kiln_error_message(e) : "(none)", part);
    kiln_error_free(e);
    return ok;
}

static void hex_of(const kn_pm_wasm *w, char out[65])
{
    kn_sha256_hex(w->sha256, out);
}

/* ---- fields and defaults ----------------------------------------------- */

TEST(pm_minimal_defaults)
{
    kiln_plugin_manifest *m = parse_ok("{\"wasm\":[" DATA "}]}");
    CHECK(m);
    if (!m)
        return;
    CHECK_EQ(m->nwasm, 1);
    CHECK(!strcmp(m->wasm[0].name, "main"));
    CHECK_EQ(m->wasm[0].len, 8);
    CHECK(!memcmp(m->wasm[0].bytes, EMPTY_MOD, 8));
    char hex[65];
    hex_of(&m->wasm[0], hex);
    CHECK(!strcmp(hex, EMPTY_SHA));
    CHECK(m->max_pages == KN_PM_NO_LIMIT);
    CHECK(m->max_http_response_bytes == KN_PM_NO_LIMIT);
    CHECK_EQ(m->max_var_bytes, 1024 * 1024);
    CHECK_EQ(m->nconfig, 0);
    CHECK_EQ(m->nallowed_hosts, 0);
    CHECK(!m->hosts_given);
    CHECK_EQ(m->nallowed_paths, 0);
    CHECK_EQ(m->timeout_ms, 0);
    kiln_plugin_manifest_free(m);
}

TEST(pm_every_field)
{
    kiln_plugin_manifest *m = parse_ok(
        "{\"wasm\":[{\"data\":\"" EMPTY_B64 "\",\"name\":\"ignored-alone\",\"hash\":\"" EMPTY_SHA
        "\"}],"
        " \"memory\":{\"max_pages\":4,\"max_http_response_bytes\":1000,\"max_var_bytes\":0},"
        " \"config\":{\"a\":\"1\",\"b\":\"two\",\"a\":\"3\",\"empty\":\"\"},"
        " \"allowed_hosts\":[\"example.com\",\"*.example.org\"],"
        " \"allowed_paths\":{\"/h/a\":\"/g/a\",\"ro:/h/b\":\"/g/b\",\"rel\":\"/r\"},"
        " \"timeout_ms\":2500}");
    CHECK(m);
    if (!m)
        return;
    CHECK(!strcmp(m->wasm[0].name, "main"));
    CHECK_EQ(m->max_pages, 4);
    CHECK_EQ(m->max_http_response_bytes, 1000);
    CHECK_EQ(m->max_var_bytes, 0);
    CHECK_EQ(m->nconfig, 3);
    CHECK(kn_pm_config(m, "a") && !strcmp(kn_pm_config(m, "a"), "3"));
    CHECK(kn_pm_config(m, "b") && !strcmp(kn_pm_config(m, "b"), "two"));
    CHECK(kn_pm_config(m, "empty") && !*kn_pm_config(m, "empty"));
    CHECK(!kn_pm_config(m, "c"));
    CHECK(m->hosts_given);
    CHECK_EQ(m->nallowed_hosts, 2);
    CHECK(!strcmp(m->allowed_hosts[0], "example.com"));
    CHECK(!strcmp(m->allowed_hosts[1], "*.example.org"));
    CHECK_EQ(m->nallowed_paths, 3);
    CHECK(!strcmp(m->allowed_paths[0].host, "/h/a") && !strcmp(m->allowed_paths[0].guest, "/g/a"));
    CHECK(!m->allowed_paths[0].read_only);
    CHECK(!strcmp(m->allowed_paths[1].host, "/h/b") && !strcmp(m->allowed_paths[1].guest, "/g/b"));
    CHECK(m->allowed_paths[1].read_only);
    CHECK(!strcmp(m->allowed_paths[2].host, "rel")); /* no base_dir: as given */
    CHECK_EQ(m->timeout_ms, 2500);
    kiln_plugin_manifest_free(m);
}

/* Extism's Option<_> fields take null as "not given". */
TEST(pm_nulls)
{
    kiln_plugin_manifest *m = parse_ok(
        "{\"wasm\":[{\"data\":\"" EMPTY_B64 "\",\"name\":null,\"hash\":null}],"
        " \"memory\":{\"max_pages\":null,\"max_http_response_bytes\":null,\"max_var_bytes\":null},"
        " \"allowed_hosts\":null,\"allowed_paths\":null,\"timeout_ms\":null,\"config\":{}}");
    CHECK(m);
    if (!m)
        return;
    CHECK(m->max_pages == KN_PM_NO_LIMIT);
    CHECK(m->max_http_response_bytes == KN_PM_NO_LIMIT);
    CHECK(m->max_var_bytes == KN_PM_NO_LIMIT);
    CHECK(!m->hosts_given);
    CHECK_EQ(m->timeout_ms, 0);
    kiln_plugin_manifest_free(m);
    /* ... but an empty list of hosts is given: it denies every host. */
    m = parse_ok("{\"wasm\":[" DATA "}],\"allowed_hosts\":[],\"memory\":{}}");
    CHECK(m && m->hosts_given && m->nallowed_hosts == 0);
    kiln_plugin_manifest_free(m);
}

TEST(pm_numbers)
{
    kiln_plugin_manifest *m =
        parse_ok("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":4294967295,"
                 "\"max_http_response_bytes\":9007199254740992},\"timeout_ms\":0}");
    CHECK(m && m->max_pages == UINT32_MAX && m->max_http_response_bytes == (1ull << 53));
    kiln_plugin_manifest_free(m);
    /* cJSON keeps numbers as doubles: 1.0 is 1 (serde would refuse it). */
    m = parse_ok("{\"wasm\":[" DATA "}],\"timeout_ms\":1.0e3}");
    CHECK(m && m->timeout_ms == 1000);
    kiln_plugin_manifest_free(m);
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":4294967296}}",
                "memory.max_pages: expected a non-negative integer at most 4294967295"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":-1}}",
                "memory.max_pages: expected a non-negative integer"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":1.5}}",
                "memory.max_pages: expected a non-negative integer"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":\"4\"}}",
                "memory.max_pages: expected a non-negative integer, got a string"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_http_response_bytes\":1e300}}",
                "memory.max_http_response_bytes: expected a non-negative integer"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_var_bytes\":true}}",
                "memory.max_var_bytes: expected a non-negative integer, got a boolean"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"timeout_ms\":9007199254740994}",
                "timeout_ms: expected a non-negative integer at most 9007199254740992"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"timeout_ms\":-5}", "timeout_ms: expected"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"timeout_ms\":[]}", "timeout_ms: expected"));
}

/* ---- module naming (runtime/src/manifest.rs) ------------------------------ */

static int names_are(const char *json, const char *n0, const char *n1, const char *n2)
{
    kiln_plugin_manifest *m = parse_ok(json);
    const char *want[3] = {n0, n1, n2};
    size_t n = n2 ? 3 : n1 ? 2 : 1;
    int ok = m && m->nwasm == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = !strcmp(m->wasm[i].name, want[i]);
    if (!ok)
        printf("  names of %s wrong\n", json);
    kiln_plugin_manifest_free(m);
    return ok;
}

TEST(pm_naming)
{
    /* One module is "main" whatever it is called. */
    CHECK(names_are("{\"wasm\":[" DATA ",\"name\":\"lib\"}]}", "main", NULL, NULL));
    /* The last becomes "main" when no earlier one is. */
    CHECK(names_are("{\"wasm\":[" DATA ",\"name\":\"lib\"}," DATA ",\"name\":\"app\"}]}", "lib",
                    "main", NULL));
    CHECK(names_are("{\"wasm\":[" DATA ",\"name\":\"main\"}," DATA ",\"name\":\"app\"}]}", "main",
                    "app", NULL));
    /* An unnamed module is "main". */
    CHECK(names_are("{\"wasm\":[" DATA "}," DATA ",\"name\":\"x\"}," DATA ",\"name\":\"y\"}]}",
                    "main", "x", "y"));
    CHECK(names_are("{\"wasm\":[" DATA ",\"name\":\"a\"}," DATA ",\"name\":\"b\"}," DATA "}]}",
                    "a", "b", "main"));
    CHECK(fails("{\"wasm\":[" DATA "}," DATA "}]}",
                "wasm[1]: duplicate module name \"main\" (a module without a name"));
    CHECK(fails("{\"wasm\":[" DATA ",\"name\":\"a\"}," DATA ",\"name\":\"a\"}," DATA "}]}",
                "wasm[1].name: duplicate module name \"a\""));
    CHECK(fails("{\"wasm\":[" DATA ",\"name\":\"main\"}," DATA ",\"name\":\"main\"}]}",
                "wasm[1].name: duplicate module name \"main\""));
    CHECK(fails("{\"wasm\":[" DATA ",\"name\":\"extism:host/env\"}," DATA "}]}",
                "wasm[0].name: \"extism:host/env\" is reserved"));
    CHECK(fails("{\"wasm\":[" DATA ",\"name\":\"extism:host/user\"}," DATA "}]}",
                "wasm[0].name: \"extism:host/user\" is reserved"));
    /* ... but not once the last module has been renamed "main". */
    CHECK(names_are("{\"wasm\":[" DATA ",\"name\":\"a\"}," DATA ",\"name\":\"extism:host/env\"}]}",
                    "a", "main", NULL));
}

/* JSON escapes reach the strings decoded. */
TEST(pm_escapes)
{
    kiln_plugin_manifest *m = parse_ok("{\"wasm\":[" DATA ",\"name\":\"l\\u0069b\"}," DATA "}],"
                                       "\"config\":{\"k\\/1\":\"\\u00e9\\\"\\n\"}}");
    CHECK(m);
    if (!m)
        return;
    CHECK(!strcmp(m->wasm[0].name, "lib"));
    CHECK(kn_pm_config(m, "k/1") && !strcmp(kn_pm_config(m, "k/1"), "\xc3\xa9\"\n"));
    kiln_plugin_manifest_free(m);
}

/* ---- errors, each naming its field ------------------------------------------ */

TEST(pm_errors_text)
{
    CHECK(fails("{", "manifest: invalid JSON at byte"));
    CHECK(fails("", "manifest: invalid JSON at byte 0"));
    CHECK(fails("{\"wasm\":[" DATA "}]} x", "manifest: trailing characters at byte 35"));
    CHECK(fails("[]", "manifest: expected a JSON object, got an array"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"config\":{\"k\":\"\xff\"}}",
                "manifest: not valid UTF-8, or a control character, at byte 49"));
    CHECK(fails("{\"config\":{\"k\":\"\xed\xa0\x80\"}}", "manifest: not valid UTF-8")); /* surrogate */
    CHECK(fails("{\"config\":{\"k\":\"\xc0\xaf\"}}", "manifest: not valid UTF-8"));     /* overlong */
    CHECK(fails("{\"config\":{\"k\":\"\xe2\x82\"}}", "manifest: not valid UTF-8"));     /* cut */
    CHECK(fails_n("{\"wasm\":[" DATA "}]}\0", 35, "manifest: not valid UTF-8, or a control character, at byte 34"));
    kiln_plugin_manifest *m = parse_ok("{\"wasm\":[" DATA "}],\"config\":{\"k\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}}");
    CHECK(m);
    kiln_plugin_manifest_free(m);
}

TEST(pm_errors_top)
{
    CHECK(fails("{}", "wasm: expected an array of modules, got nothing"));
    CHECK(fails("{\"wasm\":{}}", "wasm: expected an array of modules, got an object"));
    CHECK(fails("{\"wasm\":null}", "wasm: expected an array of modules, got null"));
    CHECK(fails("{\"wasm\":[]}", "wasm: no modules"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"foo\":1}", "foo: unknown field (expected wasm, memory"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"Wasm\":1}", "Wasm: unknown field"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"timeout_ms\":1,\"timeout_ms\":2}",
                "timeout_ms: duplicate field"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":null}", "memory: expected an object, got null"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max\":1}}",
                "memory.max: unknown field (expected max_pages"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"memory\":{\"max_pages\":1,\"max_pages\":1}}",
                "memory.max_pages: duplicate field"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"config\":null}", "config: expected an object"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"config\":[\"a\"]}", "config: expected an object"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"config\":{\"a\":\"x\",\"k\":1}}",
                "config.k: expected a string, got a number"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"config\":{\"k\":null}}",
                "config.k: expected a string, got null"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_hosts\":\"example.com\"}",
                "allowed_hosts: expected an array of strings, got a string"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_hosts\":[\"a\",2]}",
                "allowed_hosts[1]: expected a string, got a number"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_paths\":[\"/a\"]}",
                "allowed_paths: expected an object"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_paths\":{\"/a\":1}}",
                "allowed_paths./a: expected a guest path, got a number"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_paths\":{\"/a\":\"\"}}",
                "allowed_paths./a: expected a guest path, got an empty string"));
    CHECK(fails("{\"wasm\":[" DATA "}],\"allowed_paths\":{\"ro:\":\"/g\"}}",
                "allowed_paths.ro:: empty host path"));
}

TEST(pm_errors_wasm)
{
    CHECK(fails("{\"wasm\":[" DATA "},3]}", "wasm[1]: expected an object, got a number"));
    CHECK(fails("{\"wasm\":[" DATA ",\"foo\":1}]}", "wasm[0].foo: unknown field (expected path"));
    CHECK(fails("{\"wasm\":[" DATA ",\"name\":\"a\",\"name\":\"b\"}]}",
                "wasm[0].name: duplicate field"));
    CHECK(fails("{\"wasm\":[" DATA ",\"path\":\"x.wasm\"}]}",
                "wasm[0]: expected exactly one of path, data or url"));
    CHECK(fails("{\"wasm\":[{\"name\":\"x\"}]}", "wasm[0]: expected exactly one of path"));
    CHECK(fails("{\"wasm\":[{\"url\":\"https://example.com/a.wasm\"}]}",
                "wasm[0].url: not supported: kiln fetches nothing"));
    CHECK(fails("{\"wasm\":[" DATA ",\"headers\":{}}]}", "wasm[0].headers: only allowed with url"));
    CHECK(fails("{\"wasm\":[" DATA ",\"method\":\"GET\"}]}", "wasm[0].method: only allowed"));
    CHECK(fails("{\"wasm\":[{\"data\":[0,97,115,109]}]}",
                "wasm[0].data: expected a base64 string, got an array"));
    CHECK(fails("{\"wasm\":[{\"data\":{\"ptr\":1,\"len\":8}}]}",
                "wasm[0].data: a {ptr, len} host pointer is not accepted"));
    CHECK(fails("{\"wasm\":[{\"data\":\"AGFzbQEAAAA\"}]}", "wasm[0].data: invalid base64 at character 11"));
    CHECK(fails("{\"wasm\":[{\"data\":\"AGFz bQEAAAA=\"}]}", "wasm[0].data: invalid base64"));
    CHECK(fails("{\"wasm\":[{\"data\":\"YWJ=\"}]}", "wasm[0].data: invalid base64 at character 2"));
    CHECK(fails("{\"wasm\":[{\"data\":\"AGFzbQEAAAA=\",\"name\":1}]}",
                "wasm[0].name: expected a string, got a number"));
    CHECK(fails("{\"wasm\":[" DATA ",\"hash\":\"abc\"}]}", "wasm[0].hash: expected a sha256"));
    CHECK(fails("{\"wasm\":[" DATA ",\"hash\":\"93A44BBB96C751218E4C00D479E4C14358122A389ACCA16205B1E4D0DC5F9476\"}]}",
                "wasm[0].hash: expected a sha256 as 64 lowercase hex digits"));
    CHECK(fails("{\"wasm\":[" DATA ",\"hash\":7}]}", "wasm[0].hash: expected a sha256"));
    CHECK(fails("{\"wasm\":[" DATA ",\"hash\":\""
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}",
                "wasm[0].hash: mismatch: the module's sha256 is " EMPTY_SHA ", not e3b0c442"));
    CHECK(fails("{\"wasm\":[" DATA "},{\"data\":\"AA==\",\"hash\":\"" EMPTY_SHA "\"}]}",
                "wasm[1].hash: mismatch"));
    CHECK(fails("{\"wasm\":[{\"path\":\"\"}]}", "wasm[0].path: expected a file path, got an empty"));
    CHECK(fails("{\"wasm\":[{\"path\":null}]}", "wasm[0].path: expected a file path, got null"));
    CHECK(fails("{\"wasm\":[{\"path\":\"/nonexistent/kiln-test/x.wasm\"}]}",
                "wasm[0].path: cannot read \"/nonexistent/kiln-test/x.wasm\": No such file"));
    CHECK(fails("{\"wasm\":[{\"path\":\"/\"}]}", "wasm[0].path: cannot read \"/\": not a regular"));
    CHECK(fails("{\"wasm\":[{\"path\":\"/dev/zero\"}]}", "wasm[0].path: cannot read \"/dev/zero\": not a regular"));
}

/* A field path too long for a message is cut, not overflowed. */
TEST(pm_long_field_path)
{
    char json[2048], key[1001];
    memset(key, 'k', 1000);
    key[1000] = 0;
    snprintf(json, sizeof json, "{\"wasm\":[" DATA "}],\"config\":{\"%s\":1}}", key);
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = kiln_plugin_manifest_parse(json, strlen(json), NULL, &m);
    CHECK(e && !m && !strncmp(kiln_error_message(e), "config.kkkk", 11));
    CHECK(e && strstr(kiln_error_message(e), "...: expected a string"));
    kiln_error_free(e);
}

TEST(pm_null_args)
{
    kiln_plugin_manifest *m = NULL;
    CHECK(has_msg(kiln_plugin_manifest_parse("{}", 2, NULL, NULL), "NULL argument"));
    CHECK(has_msg(kiln_plugin_manifest_parse(NULL, 2, NULL, &m), "NULL argument"));
    CHECK(has_msg(kiln_plugin_manifest_from_wasm(NULL, 8, &m), "NULL argument"));
    CHECK(has_msg(kiln_plugin_manifest_load(NULL, &m), "NULL argument"));
    CHECK(!m);
    kiln_plugin_manifest_free(NULL);
}

/* ---- base64 and sha256 ------------------------------------------------------- */

static int b64_is(const char *s, const char *want, size_t want_len)
{
    uint8_t *out = NULL;
    size_t len = 0, bad = 0;
    int ok = kn_base64_decode(s, strlen(s), &out, &len, &bad) == KN_B64_OK && len == want_len &&
             !memcmp(out, want, len);
    free(out);
    return ok;
}

static long b64_bad(const char *s)
{
    uint8_t *out = NULL;
    size_t len = 0, bad = 0;
    if (kn_base64_decode(s, strlen(s), &out, &len, &bad) != KN_B64_INVALID) {
        free(out);
        return -1;
    }
    return out ? -2 : (long)bad;
}

TEST(pm_base64)
{
    CHECK(b64_is("", "", 0));
    CHECK(b64_is("YQ==", "a", 1));
    CHECK(b64_is("YWI=", "ab", 2));
    CHECK(b64_is("YWJj", "abc", 3));
    CHECK(b64_is("+/+/", "\xfb\xff\xbf", 3));
    CHECK(b64_is(EMPTY_B64, (const char *)EMPTY_MOD, 8));
    CHECK_EQ(b64_bad("YQ"), 2);     /* padding required */
    CHECK_EQ(b64_bad("YQ="), 3);
    CHECK_EQ(b64_bad("Y==="), 1);   /* three '=' */
    CHECK_EQ(b64_bad("===="), 1);
    CHECK_EQ(b64_bad("YR=="), 1);   /* unused bits set */
    CHECK_EQ(b64_bad("YWJ="), 2);
    CHECK_EQ(b64_bad("YW=j"), 2);   /* '=' inside */
    CHECK_EQ(b64_bad("-_-_"), 0);   /* URL-safe alphabet */
    CHECK_EQ(b64_bad("YWJj\nYWJj"), 9);
}

TEST(pm_sha256)
{
    uint8_t d[32];
    char hex[65];
    CHECK(kn_sha256("", 0, d));
    kn_sha256_hex(d, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(kn_sha256(EMPTY_MOD, 8, d));
    kn_sha256_hex(d, hex);
    CHECK(!strcmp(hex, EMPTY_SHA));
}

/* ---- files on disk ------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

static void write_file(const char *dir, const char *name, const void *bytes, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    CHECK(f);
    if (f) {
        CHECK_EQ(fwrite(bytes, 1, len, f), len);
        fclose(f);
    }
}

TEST(pm_files)
{
    char dir[] = "/tmp/kiln-pm-XXXXXX", sub[64], p[128];
    CHECK(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CHECK(!mkdir(sub, 0755));
    write_file(dir, "mod.wasm", EMPTY_MOD, 8);
    write_file(sub, "lib.wasm", "\0asm\1\0\0\0", 8);
    const char *json =
        "{\"wasm\":[{\"path\":\"../mod.wasm\",\"hash\":\"" EMPTY_SHA "\",\"name\":\"dep\"},"
        "{\"path\":\"lib.wasm\"}],"
        " \"allowed_paths\":{\"data\":\"/data\",\"ro:/abs/x\":\"/x\",\"ro:.\":\"/here\"}}";
    write_file(sub, "plugin.json", json, strlen(json));

    /* Relative paths are the manifest's directory's. */
    kiln_plugin_manifest *m = NULL;
    snprintf(p, sizeof p, "%s/plugin.json", sub);
    kiln_error *e = kiln_plugin_manifest_load(p, &m);
    CHECK(!e && m);
    if (e)
        printf("  %s\n", kiln_error_message(e));
    kiln_error_free(e);
    if (m) {
        CHECK_EQ(m->nwasm, 2);
        CHECK(!strcmp(m->wasm[0].name, "dep") && !strcmp(m->wasm[1].name, "main"));
        CHECK(m->wasm[0].len == 8 && !memcmp(m->wasm[0].bytes, EMPTY_MOD, 8));
        CHECK_EQ(m->nallowed_paths, 3);
        char want[256];
        snprintf(want, sizeof want, "%s/data", sub);
        CHECK(!strcmp(m->allowed_paths[0].host, want) && !m->allowed_paths[0].read_only);
        CHECK(!strcmp(m->allowed_paths[1].host, "/abs/x") && m->allowed_paths[1].read_only);
        snprintf(want, sizeof want, "%s/.", sub);
        CHECK(!strcmp(m->allowed_paths[2].host, want) && m->allowed_paths[2].read_only);
        CHECK(!strcmp(m->allowed_paths[2].guest, "/here"));
    }
    kiln_plugin_manifest_free(m);

    /* parse with base_dir does the same; kn_pm_parse without files refuses. */
    m = NULL;
    e = kiln_plugin_manifest_parse(json, strlen(json), sub, &m);
    CHECK(!e && m && m->nwasm == 2);
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    m = NULL;
    CHECK(has_msg(kn_pm_parse(json, strlen(json), sub, false, &m),
                  "wasm[0].path: module files are not allowed here"));
    CHECK(!m);

    /* A Wasm file given instead of a manifest is a one-module manifest. */
    snprintf(p, sizeof p, "%s/mod.wasm", dir);
    e = kiln_plugin_manifest_load(p, &m);
    CHECK(!e && m && m->nwasm == 1 && !strcmp(m->wasm[0].name, "main") && m->wasm[0].len == 8);
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    m = NULL;

    /* Errors of a loaded manifest name the file, then the field. */
    const char *bad = "{\"wasm\":[{\"path\":\"missing.wasm\"}]}";
    write_file(sub, "bad.json", bad, strlen(bad));
    snprintf(p, sizeof p, "%s/bad.json", sub);
    e = kiln_plugin_manifest_load(p, &m);
    char want[512];
    snprintf(want, sizeof want, "%s: wasm[0].path: cannot read \"%s/missing.wasm\"", p, sub);
    CHECK(e && !m && !strncmp(kiln_error_message(e), want, strlen(want)));
    if (e && strncmp(kiln_error_message(e), want, strlen(want)))
        printf("  got \"%s\"\n", kiln_error_message(e));
    kiln_error_free(e);
    snprintf(p, sizeof p, "%s/none.json", sub);
    CHECK(has_msg(kiln_plugin_manifest_load(p, &m), "none.json: No such file or directory"));
    CHECK(has_msg(kiln_plugin_manifest_load(sub, &m), "sub: not a regular file"));
    CHECK(!m);
    CHECK(!nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* ---- from_wasm and the setters ------------------------------------------------- */

TEST(pm_from_wasm)
{
    uint8_t bytes[8];
    memcpy(bytes, EMPTY_MOD, 8);
    kiln_plugin_manifest *m = NULL;
    CHECK(!kiln_plugin_manifest_from_wasm(bytes, 8, &m));
    if (!m)
        return;
    memset(bytes, 0, 8); /* copied */
    CHECK(m->nwasm == 1 && !strcmp(m->wasm[0].name, "main"));
    CHECK(m->wasm[0].len == 8 && !memcmp(m->wasm[0].bytes, EMPTY_MOD, 8));
    char hex[65];
    hex_of(&m->wasm[0], hex);
    CHECK(!strcmp(hex, EMPTY_SHA));
    CHECK(!m->hosts_given && !m->nallowed_hosts && !m->nallowed_paths && !m->nconfig);
    CHECK(m->max_pages == KN_PM_NO_LIMIT && m->max_var_bytes == 1024 * 1024 && !m->timeout_ms);
    kiln_plugin_manifest_free(m);
    m = NULL;
    CHECK(!kiln_plugin_manifest_from_wasm(NULL, 0, &m));
    CHECK(m && m->wasm[0].len == 0 && m->wasm[0].bytes);
    kiln_plugin_manifest_free(m);
}

TEST(pm_setters)
{
    kiln_plugin_manifest *m = parse_ok("{\"wasm\":[" DATA "}],\"config\":{\"a\":\"1\"},"
                                       "\"allowed_paths\":{\"/h\":\"/g\"}}");
    CHECK(m);
    if (!m)
        return;
    CHECK(!kiln_plugin_manifest_set_config(m, "a", "2"));
    CHECK(!kiln_plugin_manifest_set_config(m, "b", "3"));
    CHECK(!strcmp(kn_pm_config(m, "a"), "2") && !strcmp(kn_pm_config(m, "b"), "3"));
    CHECK(!kiln_plugin_manifest_set_config(m, "a", NULL)); /* NULL removes */
    CHECK(!kn_pm_config(m, "a") && m->nconfig == 1);
    CHECK(!kiln_plugin_manifest_set_config(m, "zz", NULL));
    CHECK(has_msg(kiln_plugin_manifest_set_config(m, NULL, "x"), "NULL argument"));

    CHECK(!m->hosts_given);
    CHECK(!kiln_plugin_manifest_allow_host(m, "*.example.com"));
    CHECK(m->hosts_given && m->nallowed_hosts == 1 && !strcmp(m->allowed_hosts[0], "*.example.com"));
    CHECK(has_msg(kiln_plugin_manifest_allow_host(m, ""), "empty pattern"));
    CHECK(has_msg(kiln_plugin_manifest_allow_host(m, NULL), "NULL argument"));

    CHECK(!kiln_plugin_manifest_allow_path(m, "/data", NULL, true));
    CHECK(!kiln_plugin_manifest_allow_path(m, "/h", "/other", false)); /* replaces */
    CHECK(!kiln_plugin_manifest_allow_path(m, "/h", "/ro-view", true)); /* another key */
    CHECK_EQ(m->nallowed_paths, 3);
    CHECK(!strcmp(m->allowed_paths[0].host, "/h") && !strcmp(m->allowed_paths[0].guest, "/other"));
    CHECK(!strcmp(m->allowed_paths[1].guest, "/data") && m->allowed_paths[1].read_only);
    CHECK(m->allowed_paths[2].read_only && !strcmp(m->allowed_paths[2].guest, "/ro-view"));
    CHECK(has_msg(kiln_plugin_manifest_allow_path(m, "", NULL, false), "empty path"));
    CHECK(has_msg(kiln_plugin_manifest_allow_path(m, "/a", "", false), "empty path"));
    CHECK(has_msg(kiln_plugin_manifest_allow_path(NULL, "/a", NULL, false), "NULL argument"));

    kiln_plugin_manifest_set_timeout_ms(m, 1234);
    kiln_plugin_manifest_set_max_pages(m, 17);
    CHECK(m->timeout_ms == 1234 && m->max_pages == 17);
    kiln_plugin_manifest_set_timeout_ms(NULL, 1);
    kiln_plugin_manifest_set_max_pages(NULL, 1);
    kiln_plugin_manifest_free(m);
}
