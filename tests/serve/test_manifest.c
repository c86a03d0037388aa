/* test_manifest.c — the Spin manifest loader: the full fixture app
 * (tests/serve/manifests/spin.toml) read field by field, its files granted
 * and staged, one fixture per class of error with its message and
 * position, and small manifests written to a temporary directory for the
 * variations (ids Spin would generate, kiln limits, symlinks, clean-up). */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/unit.h"
#include "manifest.h"

#ifndef FIXTURES
#define FIXTURES "tests/serve/manifests"
#endif

static int exists(const char *dir, const char *rel)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return !stat(p, &st);
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

/* Loading FIXTURES/NAME fails with "FIXTURES/NAME:WHERE: ..." containing WANT. */
static int fails_with(const char *name, const char *where, const char *want)
{
    char path[512], err[1024], prefix[600];
    kn_app *app = NULL;
    snprintf(path, sizeof path, FIXTURES "/%s", name);
    snprintf(prefix, sizeof prefix, "%s:%s: ", path, where);
    if (!kn_app_load(path, &app, err, sizeof err)) {
        printf("  %s loaded, expected an error\n", name);
        kn_app_free(app);
        return 0;
    }
    if (app || strncmp(err, prefix, strlen(prefix)) || !strstr(err, want)) {
        printf("  %s: got \"%s\"\n    want \"%s...%s\"\n", name, err, prefix, want);
        return 0;
    }
    return 1;
}

/* ---- the full app ----------------------------------------------------------- */

static const kn_component *comp_by_id(const kn_app *app, const char *id)
{
    for (size_t i = 0; i < app->ncomponents; i++)
        if (!strcmp(app->components[i].id, id))
            return &app->components[i];
    return NULL;
}

TEST(manifest_full_app)
{
    char err[1024];
    kn_app *app = NULL;
    CHECK_EQ(kn_app_load(FIXTURES "/spin.toml", &app, err, sizeof err), 0);
    if (!app) {
        printf("  %s\n", err);
        return;
    }
    CHECK(!strcmp(app->name, "fixture-app") && !strcmp(app->version, "1.2.3"));
    CHECK(app->nauthors == 1 && !strcmp(app->authors[0], "Kiln Tests <tests@example.com>"));
    CHECK(!strcmp(app->base, "/") && app->nwarnings == 0);
    CHECK(app->dir[0] == '/' && ends_with(app->dir, "/tests/serve/manifests"));
    CHECK_EQ(app->ncomponents, 3);
    CHECK_EQ(app->ntriggers, 4);
    if (app->ncomponents != 3 || app->ntriggers != 4) {
        kn_app_free(app);
        return;
    }
    /* triggers, with the ids Spin generates */
    const kn_trigger *t = app->triggers;
    CHECK(!strcmp(t[0].id, "hello-http-trigger") && !strcmp(t[0].route, "/hello"));
    CHECK(!strcmp(t[0].argv, "${SCRIPT_NAME} ${ARGS}") && !strcmp(t[0].entrypoint, "_start"));
    CHECK(!strcmp(t[1].id, "echo-http-trigger") && !strcmp(t[1].route, "/echo/..."));
    CHECK(!strcmp(t[1].argv, "${SCRIPT_NAME} -v ${ARGS}"));
    CHECK(!strcmp(t[2].id, "internal") && t[2].private_ && !t[2].route);
    CHECK(!strcmp(t[3].id, "http-trigger1"));
    CHECK(!strcmp(app->components[t[0].component].id, "hello"));
    CHECK(!strcmp(app->components[t[1].component].id, "echo"));
    CHECK_EQ(t[1].component, t[2].component);
    CHECK(!strcmp(app->components[t[3].component].id, "http-trigger1-component"));
    CHECK_EQ(t[0].line, 11);
    CHECK_EQ(t[0].column, 1);
    /* hello: bytes, environment, hosts, limits */
    const kn_component *h = comp_by_id(app, "hello");
    CHECK(h && h->wasm_len == 160 && !memcmp(h->wasm, "\0asm\1\0\0\0", 8));
    CHECK(h && ends_with(h->source_path, "/manifests/wasm/hello.wasm"));
    CHECK(h && h->nenv == 2 && !strcmp(h->env_names[0], "GREETING") &&
          !strcmp(h->env_values[0], "hi") && !strcmp(h->env_names[1], "EMPTY") &&
          !strcmp(h->env_values[1], ""));
    CHECK(h && h->nhosts == 1 && !strcmp(h->allowed_outbound_hosts[0], "https://example.com"));
    if (h) {
        CHECK_EQ(h->limits.max_memory, 64 << 20);
        CHECK_EQ(h->limits.fuel, 1000000);
        CHECK_EQ(h->limits.timeout_ms, 500);
        CHECK_EQ(h->limits.max_concurrency, 8);
        CHECK_EQ(h->limits.max_body, 1024);
        CHECK_EQ(h->limits.pool, 2);
    }
    /* echo: digest checked, defaults, both placements granted in place */
    const kn_component *e = comp_by_id(app, "echo");
    CHECK(e && e->wasm_len == 159 && !e->staging_dir);
    if (e) {
        CHECK_EQ(e->limits.max_memory, KN_DEFAULT_MAX_MEMORY);
        CHECK_EQ(e->limits.timeout_ms, 30000);
        CHECK_EQ(e->limits.max_concurrency, KN_DEFAULT_MAX_CONCURRENCY);
        CHECK_EQ(e->limits.max_body, 16 << 20);
        CHECK_EQ(e->limits.pool, KN_DEFAULT_POOL);
        CHECK_EQ(e->limits.fuel, 0);
        CHECK_EQ(e->ndirs, 2);
    }
    if (e && e->ndirs == 2) {
        CHECK(ends_with(e->dirs[0].host_path, "/manifests/data"));
        CHECK(!strcmp(e->dirs[0].guest_path, "/etc/app"));
        CHECK(ends_with(e->dirs[1].host_path, "/manifests/static"));
        CHECK(!strcmp(e->dirs[1].guest_path, "/www"));
    }
    const kn_component *in = comp_by_id(app, "http-trigger1-component");
    CHECK(in && in->nenv == 1 && !strcmp(in->env_names[0], "MODE") && in->ndirs == 0);
    kn_app_free(app);
}

TEST(manifest_glob_files_are_staged)
{
    char err[1024], stage[4096] = "";
    kn_app *app = NULL;
    CHECK_EQ(kn_app_load(FIXTURES "/spin.toml", &app, err, sizeof err), 0);
    const kn_component *h = app ? comp_by_id(app, "hello") : NULL;
    CHECK(h && h->staging_dir && h->ndirs == 1);
    if (!h || !h->staging_dir || h->ndirs != 1) {
        kn_app_free(app);
        return;
    }
    CHECK(!strcmp(h->dirs[0].host_path, h->staging_dir) && !strcmp(h->dirs[0].guest_path, "/"));
    snprintf(stage, sizeof stage, "%s", h->staging_dir);
    /* "static/ ** / *.html", "static/css/ *" minus secret.*, and the directory "assets" */
    CHECK(exists(stage, "static/index.html") && exists(stage, "static/blog/post.html"));
    CHECK(exists(stage, "static/css/site.css") && !exists(stage, "static/css/secret.key"));
    CHECK(exists(stage, "assets/a.txt") && exists(stage, "assets/sub/b.txt"));
    CHECK(!exists(stage, "data") && !exists(stage, "wasm") && !exists(stage, "spin.toml"));
    char p[4200], buf[64] = "";
    snprintf(p, sizeof p, "%s/static/index.html", stage);
    FILE *f = fopen(p, "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, "<h1>home</h1>\n"));
    if (f)
        fclose(f);
    kn_app_free(app);
    CHECK(!exists(stage, ""));
}

TEST(manifest_router_over_public_routes)
{
    char err[1024], scratch[64];
    kn_app *app = NULL;
    CHECK_EQ(kn_app_load(FIXTURES "/spin.toml", &app, err, sizeof err), 0);
    if (!app)
        return;
    kn_router *r = kn_app_router(app, err, sizeof err);
    kn_route_match m;
    CHECK(r != NULL);
    if (r) {
        CHECK(kn_router_match(r, "/hello", 6, scratch, &m) && m.id == 0);
        CHECK(kn_router_match(r, "/echo/a/b", 9, scratch, &m) && m.id == 1);
        CHECK(kn_router_match(r, "/inline", 7, scratch, &m) && m.id == 3);
        CHECK(!kn_router_match(r, "/other", 6, scratch, &m));
    }
    kn_router_free(r);
    kn_app_free(app);
}

TEST(manifest_bare_module)
{
    char err[1024];
    kn_app *app = NULL;
    CHECK_EQ(kn_app_from_module(FIXTURES "/wasm/hello.wasm", &app, err, sizeof err), 0);
    if (!app)
        return;
    CHECK(!strcmp(app->name, "hello") && app->ncomponents == 1 && app->ntriggers == 1);
    CHECK(!strcmp(app->components[0].id, "main") && app->components[0].wasm_len == 160);
    CHECK(!strcmp(app->triggers[0].route, "/...") && app->triggers[0].component == 0);
    CHECK(!strcmp(app->triggers[0].argv, "${SCRIPT_NAME} ${ARGS}"));
    CHECK(!strcmp(app->triggers[0].entrypoint, "_start") && !app->triggers[0].private_);
    CHECK_EQ(app->components[0].limits.timeout_ms, KN_DEFAULT_TIMEOUT_MS);
    CHECK(app->components[0].ndirs == 0 && app->components[0].nenv == 0);
    kn_app_free(app);
    app = NULL;
    CHECK_EQ(kn_app_from_module(FIXTURES "/spin.toml", &app, err, sizeof err), -1);
    CHECK(strstr(err, "is not a WebAssembly module") != NULL && !app);
    CHECK_EQ(kn_app_from_module(FIXTURES "/nope.wasm", &app, err, sizeof err), -1);
    CHECK(!strcmp(err, FIXTURES "/nope.wasm: cannot open: No such file or directory"));
}

/* ---- one fixture per class of error ------------------------------------------- */

TEST(manifest_error_fixtures)
{
    CHECK(fails_with("err_unknown_key.toml", "12:1", "unknown key \"sorce\" in [component.hello]"));
    CHECK(fails_with("err_wrong_type.toml", "7:9",
                     "\"route\" in [[trigger.http]] must be a string or { private = true }, not integer"));
    CHECK(fails_with("err_version1.toml", "1:16",
                     "Spin manifest version 1 (spin_version): kiln reads version 2 only"));
    CHECK(fails_with("err_executor_spin.toml", "9:21",
                     "kiln runs WAGI components only for now"));
    CHECK(fails_with("err_missing_component.toml", "8:13",
                     "no component \"helo\": there is no [component.helo]"));
    CHECK(fails_with("err_bad_digest.toml", "12:46",
                     "component \"hello\": digest mismatch for "));
    CHECK(fails_with("err_bad_digest.toml", "12:46",
                     "expects sha256:84cb00b2755b0fb54b326e44a0e9d40b4131c186fd881ea36c9eacadb24fa11a"
                     " but the file is sha256:39bf13e2d7639b3fa5f89e246e834360d3d5bf5725308667fce4885d2475894b"));
    CHECK(fails_with("err_http_source.toml", "12:18",
                     "kiln does not fetch sources: download https://example.com/hello.wasm"));
    CHECK(fails_with("err_unsupported.toml", "13:1",
                     "kiln doesn't support \"key_value_stores\" in [component.hello] yet"));
    CHECK(fails_with("err_bad_route.toml", "6:1", "a wildcard may only end a route"));
    CHECK(fails_with("err_escape.toml", "13:20",
                     "file pattern \"../secrets/*\" in [component.hello] leaves the manifest's directory"));
    CHECK(fails_with("err_limits.toml", "16:11",
                     "\"timeout\" in the kiln settings of [component.hello] is out of range: "
                     "it must be between 1 ms and 24 h"));
}

/* ---- variations, written to a temporary directory ------------------------------- */

typedef struct tmpapp {
    char dir[256], path[300], err[1024];
    kn_app *app;
} tmpapp;

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *ftw)
{
    (void)st, (void)f, (void)ftw;
    return remove(p);
}

static void put(const char *dir, const char *rel, const void *data, size_t len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

/* A directory with wasm/hello.wasm, www/a.txt and www/sub/b.txt. */
static void tmp_init(tmpapp *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/kiln-manifest-test-XXXXXX");
    if (!mkdtemp(t->dir))
        return;
    char p[512];
    const char *subs[] = {"wasm", "www", "www/sub", "stage"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", t->dir, subs[i]);
        mkdir(p, 0755);
    }
    FILE *f = fopen(FIXTURES "/wasm/hello.wasm", "rb");
    char buf[512];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    put(t->dir, "wasm/hello.wasm", buf, n);
    put(t->dir, "www/a.txt", "a", 1);
    put(t->dir, "www/sub/b.txt", "b", 1);
    snprintf(t->path, sizeof t->path, "%s/spin.toml", t->dir);
}

static int tmp_load(tmpapp *t, const char *toml)
{
    kn_app_free(t->app);
    t->app = NULL;
    put(t->dir, "spin.toml", toml, strlen(toml));
    int rc = kn_app_load(t->path, &t->app, t->err, sizeof t->err);
    if (rc && !strstr(t->err, "spin.toml:"))
        printf("  message without the file: %s\n", t->err);
    return rc;
}

static void tmp_done(tmpapp *t)
{
    kn_app_free(t->app);
    nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The message of a failed load, after "FILE:" */
static const char *msg(const tmpapp *t)
{
    const char *s = strstr(t->err, "spin.toml:");
    return s ? s + 10 : t->err;
}

static int err_is(const tmpapp *t, const char *where_and_text)
{
    if (!strncmp(msg(t), where_and_text, strlen(where_and_text)))
        return 1;
    printf("  got  %s\n  want %s\n", msg(t), where_and_text);
    return 0;
}

#define HEAD "spin_manifest_version = 2\n[application]\nname = \"t\"\n"
#define TRIG(route, comp) "[[trigger.http]]\nroute = \"" route "\"\ncomponent = \"" comp "\"\nexecutor = { type = \"wagi\" }\n"
#define COMP(id) "[component." id "]\nsource = \"wasm/hello.wasm\"\n"

TEST(manifest_versions_and_executors)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    rc = tmp_load(&t, "spin_manifest_version = 3\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "1:25: Spin manifest version 3 is not supported"));
    rc = tmp_load(&t, "spin_manifest_version = \"2\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "1:25: Spin manifest version \"2\" is not supported"));
    rc = tmp_load(&t, "[application]\nname = \"x\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "1:1: not a Spin manifest"));
    rc = tmp_load(&t, HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "4:1: [[trigger.http]] has no executor") && strstr(t.err, "WAGI components only"));
    rc = tmp_load(&t, HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\n"
                               "executor = { type = \"http\" }\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "7:21: executor type \"http\""));
    rc = tmp_load(&t, HEAD "[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\n"
                               "executor = { type = \"wagi\", argv = 1 }\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "7:36: \"argv\" in the executor of [[trigger.http]] must be a string, not integer"));
    rc = tmp_load(&t, HEAD "[[trigger.redis]]\nchannel = \"c\"\ncomponent = \"a\"\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "4:11: kiln serves HTTP triggers only: [[trigger.redis]]"));
    rc = tmp_load(&t, HEAD COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "1:1: the manifest has no [[trigger.http]]"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "route2 = 1\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "8:1: unknown key \"route2\" in [[trigger.http]]"));
    rc = tmp_load(&t, HEAD "[[trigger.http]]\nroute = { private = false }\ncomponent = \"a\"\n"
                               "executor = { type = \"wagi\" }\n" COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "5:21: \"route\" in [[trigger.http]] must be a string or { private = true }"));
    rc = tmp_load(&t, HEAD "authors = \"me\"\n" TRIG("/", "a") COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "4:11: \"authors\" in [application] must be an array of strings, not string"));
    rc = tmp_load(&t, "spin_manifest_version = 2\n[application]\n" TRIG("/", "a") COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "2:1: [application] needs a \"name\""));
    rc = tmp_load(&t, HEAD "[variables]\nx = { default = \"1\" }\n" TRIG("/", "a") COMP("a"));
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "4:2: kiln doesn't support \"variables\" in the manifest yet"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = \"wasm/hello.wasm\"\n"
                                              "variables = { a = \"b\" }\n"
                                              "key_value_stores = []\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:1: kiln doesn't support \"variables\" in [component.a] yet"));
    rc = tmp_load(&t, HEAD "[application.trigger.http]\nbase = \"/api\"\n" TRIG("/x", "a")
                          "[component.a]\nsource = \"wasm/hello.wasm\"\n"
                          "key_value_stores = []\ndescription = \"empty lists ask for nothing\"\n");
    CHECK_EQ(rc, 0);
    CHECK(t.app && !strcmp(t.app->base, "/api") && t.app->nwarnings == 1 &&
          strstr(t.app->warnings[0], "spin.toml:5:1: \"base\" is deprecated"));
    tmp_done(&t);
}

TEST(manifest_generated_ids)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    /* an explicit id that is the natural one of a later trigger; an inline
     * component whose natural id is taken or not kebab-case */
    rc = tmp_load(&t, HEAD "[[trigger.http]]\nid = \"a-http-trigger\"\nroute = \"/1\"\n"
                               "component = \"b\"\nexecutor = { type = \"wagi\" }\n"
                          TRIG("/2", "a")
                          "[[trigger.http]]\nid = \"Bad_Id\"\nroute = \"/3\"\n"
                          "component = { source = \"wasm/hello.wasm\" }\nexecutor = { type = \"wagi\" }\n"
                          "[[trigger.http]]\nid = \"x\"\nroute = \"/4\"\n"
                          "component = { source = \"wasm/hello.wasm\" }\nexecutor = { type = \"wagi\" }\n"
                          "[[trigger.http]]\nroute = \"/5\"\n"
                          "component = { source = \"wasm/hello.wasm\" }\nexecutor = { type = \"wagi\" }\n"
                          COMP("a") COMP("b") COMP("x-component"));
    CHECK_EQ(rc, 0);
    if (t.app && t.app->ntriggers == 5) {
        const kn_trigger *tr = t.app->triggers;
        const kn_component *c = t.app->components;
        CHECK(!strcmp(tr[0].id, "a-http-trigger") && !strcmp(c[tr[0].component].id, "b"));
        CHECK(!strcmp(tr[1].id, "http-trigger1") && !strcmp(c[tr[1].component].id, "a"));
        CHECK(!strcmp(c[tr[2].component].id, "inline-component1"));
        CHECK(!strcmp(c[tr[3].component].id, "inline-component2"));
        CHECK(!strcmp(tr[4].id, "http-trigger2") &&
              !strcmp(c[tr[4].component].id, "http-trigger2-component"));
    } else {
        CHECK(!"five triggers");
        printf("  %s\n", t.err);
    }
    rc = tmp_load(&t, HEAD TRIG("/", "Hello_World") "[component.Hello_World]\nsource = \"x\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "8:12: component id \"Hello_World\" must be kebab-case"));
    tmp_done(&t);
}

TEST(manifest_duplicate_routes_warn)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    rc = tmp_load(&t, HEAD TRIG("/same", "a") TRIG("/same/", "b") TRIG("/same", "b") COMP("a")
                          COMP("b"));
    CHECK_EQ(rc, 0);
    CHECK(t.app && t.app->nwarnings == 1);
    if (t.app && t.app->nwarnings == 1)
        CHECK(strstr(t.app->warnings[0], "spin.toml:12:1: duplicate route \"/same\": component "
                                         "\"b\" replaces component \"a\" (trigger "
                                         "\"a-http-trigger\")") != NULL);
    char scratch[32];
    kn_route_match m;
    kn_router *r = t.app ? kn_app_router(t.app, t.err, sizeof t.err) : NULL;
    CHECK(r && kn_router_match(r, "/same", 5, scratch, &m) && m.id == 2);
    kn_router_free(r);
    tmp_done(&t);
}

TEST(manifest_kiln_limits)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a")
                          "[component.a.kiln]\nmax_memory = 1048576\ntimeout = 250\n"
                          "max_body = \"2MiB\"\nmax_concurrency = 2\n");
    CHECK_EQ(rc, 0);
    if (t.app) {
        kn_component_limits l = t.app->components[0].limits;
        CHECK_EQ(l.max_memory, 1 << 20);
        CHECK_EQ(l.timeout_ms, 250);
        CHECK_EQ(l.max_body, 2 << 20);
        CHECK_EQ(l.max_concurrency, 2);
        CHECK_EQ(l.pool, 2); /* the default 4, capped at max_concurrency */
    }
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "[component.a.tool.kiln]\n"
                                                       "max_memory = \"1G\"\ntimeout = \"2m\"\n");
    CHECK_EQ(rc, 0);
    CHECK(t.app && t.app->components[0].limits.max_memory == 1ull << 30 &&
          t.app->components[0].limits.timeout_ms == 120000);
    static const struct {
        const char *settings, *want;
    } bad[] = {
        {"max_memory = 0", "11:14: \"max_memory\" in the kiln settings of [component.a] is out of range: it must be between 64 KiB and 4 GiB"},
        {"max_memory = \"8G\"", "11:14: \"max_memory\" in the kiln settings of [component.a] is out of range"},
        {"max_memory = \"lots\"", "11:14: \"max_memory\" in the kiln settings of [component.a]: cannot read \"lots\""},
        {"max_memory = 1.5", "11:14: \"max_memory\" in the kiln settings of [component.a] must be an integer number of bytes or a string such as \"64M\", not float"},
        {"fuel = -1", "11:8: \"fuel\" in the kiln settings of [component.a] must not be negative"},
        {"fuel = 0", "11:8: \"fuel\" in the kiln settings of [component.a] is out of range: it must be at least 1"},
        {"timeout = \"30\"", "11:11: \"timeout\" in the kiln settings of [component.a]: cannot read \"30\""},
        {"timeout = \"25h\"", "11:11: \"timeout\" in the kiln settings of [component.a] is out of range"},
        {"max_concurrency = 0", "11:19: \"max_concurrency\" in the kiln settings of [component.a] is out of range: it must be between 1 and 10000"},
        {"max_body = \"0K\"", "11:12: \"max_body\" in the kiln settings of [component.a] is out of range"},
        {"max_concurrency = 4\npool = 5", "12:8: \"pool\" in the kiln settings of [component.a] is out of range: it must not exceed max_concurrency (4)"},
        {"max_memroy = 1", "11:1: unknown key \"max_memroy\" in the kiln settings of [component.a]"},
    };
    char toml[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(toml, sizeof toml, HEAD TRIG("/", "a") COMP("a") "[component.a.kiln]\n%s\n",
                 bad[i].settings);
        rc = tmp_load(&t, toml);
    CHECK_EQ(rc, -1);
        CHECK(err_is(&t, bad[i].want));
    }
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "kiln = {}\ntool = { kiln = {} }\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "11:10: [component.a] has both [kiln] and [tool.kiln]"));
    tmp_done(&t);
}

TEST(manifest_sources)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    char toml[1024];
    snprintf(toml, sizeof toml,
             HEAD TRIG("/", "a") "[component.a]\nsource = { url = \"file://%s/wasm/hello.wasm\", "
                                 "digest = \"sha256:39BF13E2D7639B3FA5F89E246E834360D3D5BF5725308667FCE4885D2475894B\" }\n",
             t.dir);
    rc = tmp_load(&t, toml);
    CHECK_EQ(rc, 0);
    CHECK(t.app && t.app->components[0].wasm_len == 160);
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = \"/etc/passwd\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:10: source \"/etc/passwd\" in [component.a] leaves the manifest's directory"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = { url = \"file:///etc/passwd\", "
                                              "digest = \"sha256:39bf13e2d7639b3fa5f89e246e834360d3d5bf5725308667fce4885d2475894b\" }\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:18: source file:///etc/passwd is outside the manifest's directory"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = { url = \"wasm/hello.wasm\", digest = \"md5:00\" }\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:46: digest \"md5:00\" must be \"sha256:\" and 64 hexadecimal digits"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = { registry = \"ttl.sh\", package = \"a:b\", version = \"1.0.0\" }\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:12: the source of [component.a] is a registry package: kiln does not fetch"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = \"wasm/missing.wasm\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:10: source \"wasm/missing.wasm\" does not exist"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\ndescription = \"no source\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "8:1: [component.a] needs a \"source\""));
    /* a component-model binary: the layer field says component */
    static const unsigned char comp[] = {0, 'a', 's', 'm', 0x0d, 0, 1, 0};
    put(t.dir, "wasm/component.wasm", comp, sizeof comp);
    rc = tmp_load(&t, HEAD TRIG("/", "a") "[component.a]\nsource = \"wasm/component.wasm\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "9:10: component \"a\": ") && strstr(t.err, "is a component-model binary"));
    tmp_done(&t);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

TEST(manifest_files_edge_cases)
{
    tmpapp t;
    int rc;
    tmp_init(&t);
    char stage[300], old[512] = "";
    snprintf(stage, sizeof stage, "%s/stage", t.dir);
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir)
        snprintf(old, sizeof old, "%s", tmpdir);
    setenv("TMPDIR", stage, 1);
    /* "www/ ** / *" is the whole directory: granted in place at /www */
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [\"www/**/*\"]\n");
    CHECK_EQ(rc, 0);
    CHECK(t.app && t.app->components[0].ndirs == 1 && !t.app->components[0].staging_dir &&
          !strcmp(t.app->components[0].dirs[0].guest_path, "/www"));
    /* the same guest path twice: staged, merged */
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a")
                          "files = [\"www\", { source = \"www/sub\", destination = \"/www/x\" }]\n");
    CHECK_EQ(rc, 0);
    const kn_component *c = t.app ? &t.app->components[0] : NULL;
    CHECK(c && c->staging_dir && exists(c->staging_dir, "www/a.txt") &&
          exists(c->staging_dir, "www/sub/b.txt") && exists(c->staging_dir, "www/x/b.txt"));
    CHECK_EQ(count_entries(stage), 1);
    /* a symlink out of the manifest's directory */
    char link[512];
    snprintf(link, sizeof link, "%s/www/passwd", t.dir);
    CHECK_EQ(symlink("/etc/passwd", link), 0);
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [\"www/*\"]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:10: file \"www/passwd\" is a symlink that leads outside the manifest's directory"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [\"www/passwd\"]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:10: file \"www/passwd\" leads outside the manifest's directory"));
    unlink(link);
    /* a failed load leaves no staging directory behind: the second
     * component fails after the first one's files were copied */
    CHECK_EQ(count_entries(stage), 0);
    rc = tmp_load(&t, HEAD TRIG("/", "a") TRIG("/b", "b") COMP("a") "files = [\"www/*.txt\"]\n"
                          "[component.b]\nsource = \"wasm/hello.wasm\"\nfiles = [\"nothing-here\"]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "17:10: file \"nothing-here\" does not exist and is not a glob pattern"));
    CHECK_EQ(count_entries(stage), 0);
    /* forms */
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [\".\"]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:10: file pattern \".\" in [component.a] can't end in \".\""));
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [{ source = \"www\", destination = \"rel\" }]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:42: files destination \"rel\" in [component.a] must be an absolute guest path"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [{ source = \"www\" }]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:10: a files entry in [component.a] needs both \"source\" and \"destination\""));
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = [1]\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:10: each entry of \"files\" in [component.a] must be a string"));
    rc = tmp_load(&t, HEAD TRIG("/", "a") COMP("a") "files = \"www\"\n");
    CHECK_EQ(rc, -1);
    CHECK(err_is(&t, "10:9: \"files\" in [component.a] must be an array, not string"));
    kn_app_free(t.app);
    t.app = NULL;
    CHECK_EQ(count_entries(stage), 0);
    if (*old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    tmp_done(&t);
}
