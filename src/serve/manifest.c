/*
 * manifest.c — reading a Spin manifest v2 into a kn_app (manifest.h): the
 * document's top level, [application] and [[trigger.http]], and the two
 * phases of a load.
 *
 * Phase one walks the whole document and checks every key and type, so a
 * mistake anywhere is reported before anything touches the disk beyond the
 * manifest; components become kn_component entries (ids, environment,
 * limits) and triggers point at them by index.  Phase two reads each
 * component's Wasm and grants or stages its files; only it has effects
 * (a staging directory), and a failure removes them with the app.
 *
 * Trigger and inline-component ids follow Spin's normalization exactly: a
 * trigger without an id becomes "COMPONENT-http-trigger" when that is free
 * and its component is named, else "http-triggerN"; an inline component
 * becomes "TRIGGER-ID-component" when that is a free kebab-case id, else
 * "inline-componentN" — so logs and metrics name them as Spin would.
 */
#include "manifest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manifest_impl.h"
#include "wagi.h"

enum { MANIFEST_MAX = 16 << 20 };

/* ---- helpers shared by the loader's files -------------------------------- */

static void vformat(kn_mctx *c, kiln_toml_pos pos, char *buf, size_t len, const char *fmt,
                    va_list ap)
{
    int n = pos.line ? snprintf(buf, len, "%s:%u:%u: ", c->file, pos.line, pos.column)
                     : snprintf(buf, len, "%s: ", c->file);
    if (n >= 0 && (size_t)n < len)
        vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

int kn_mf_fail(kn_mctx *c, kiln_toml_pos pos, const char *fmt, ...)
{
    if (c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vformat(c, pos, c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int kn_mf_nomem(kn_mctx *c)
{
    return kn_mf_fail(c, (kiln_toml_pos){0, 0}, "out of memory");
}

int kn_mf_warn(kn_mctx *c, kiln_toml_pos pos, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vformat(c, pos, buf, sizeof buf, fmt, ap);
    va_end(ap);
    return kn_mf_push_str(&c->app->warnings, &c->app->nwarnings, buf) ? kn_mf_nomem(c) : 0;
}

int kn_mf_push_str(char ***arr, size_t *n, const char *s)
{
    char *d = strdup(s);
    char **a = d ? realloc(*arr, (*n + 1) * sizeof *a) : NULL;
    if (!a) {
        free(d);
        return -1;
    }
    a[(*n)++] = d;
    *arr = a;
    return 0;
}

static const char *type_name(const kiln_toml_value *v)
{
    return kiln_toml_type_name(kiln_toml_type_of(v));
}

const char *kn_mf_str(kn_mctx *c, const kiln_toml_value *v, const char *key, const char *where)
{
    const char *s;
    size_t len;
    if (!kiln_toml_string(v, &s, &len)) {
        kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must be a string, not %s", key, where,
                   type_name(v));
        return NULL;
    }
    if (strlen(s) != len) {
        kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must not contain a NUL character",
                   key, where);
        return NULL;
    }
    return s;
}

int kn_mf_str_array(kn_mctx *c, const kiln_toml_value *v, const char *key, const char *where,
                    char ***out, size_t *n)
{
    if (kiln_toml_type_of(v) != KILN_TOML_ARRAY)
        return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must be an array of strings, not %s",
                          key, where, type_name(v));
    for (size_t i = 0; i < kiln_toml_array_len(v); i++) {
        const char *s = kn_mf_str(c, kiln_toml_array_get(v, i), key, where);
        if (!s)
            return -1;
        if (kn_mf_push_str(out, n, s))
            return kn_mf_nomem(c);
    }
    return 0;
}

int kn_mf_want_table(kn_mctx *c, const kiln_toml_value *v, const char *key, const char *where)
{
    if (kiln_toml_type_of(v) == KILN_TOML_TABLE)
        return 0;
    return kn_mf_fail(c, kiln_toml_pos_of(v), "\"%s\" in %s must be a table, not %s", key, where,
                      type_name(v));
}

int kn_mf_unknown(kn_mctx *c, const kiln_toml_value *table, size_t i, const char *where)
{
    return kn_mf_fail(c, kiln_toml_table_key_pos(table, i), "unknown key \"%s\" in %s",
                      kiln_toml_table_key(table, i, NULL), where);
}

int kn_mf_unsupported(kn_mctx *c, const kiln_toml_value *table, size_t i, const char *where,
                      const char *why)
{
    const kiln_toml_value *v = kiln_toml_table_value(table, i);
    kiln_toml_type t = kiln_toml_type_of(v);
    if ((t == KILN_TOML_ARRAY && kiln_toml_array_len(v) == 0) ||
        (t == KILN_TOML_TABLE && kiln_toml_table_size(v) == 0))
        return 0;
    return kn_mf_fail(c, kiln_toml_table_key_pos(table, i), "kiln doesn't support \"%s\" in %s yet%s%s",
                      kiln_toml_table_key(table, i, NULL), where, why ? ": " : "", why ? why : "");
}

bool kn_mf_kebab_id(const char *s)
{
    if (!*s)
        return false;
    for (size_t w = 0; *s; w++) {
        const char *start = s;
        int upper = *s >= 'A' && *s <= 'Z';
        if (!((*s >= 'a' && *s <= 'z') || upper || (w > 0 && *s >= '0' && *s <= '9')))
            return false;
        for (s++; *s && *s != '-'; s++) {
            int u = *s >= 'A' && *s <= 'Z', l = *s >= 'a' && *s <= 'z';
            int d = (*s >= '0' && *s <= '9') || *s == ':';
            if (!(u || l || d) || (!d && u != upper))
                return false;
        }
        if (s == start)
            return false;
        if (*s == '-' && !*++s)
            return false; /* a trailing '-' leaves an empty last word */
    }
    return true;
}

/* ---- reading the file -------------------------------------------------- */

static char *read_text(kn_mctx *c, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        kn_mf_fail(c, (kiln_toml_pos){0, 0}, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(MANIFEST_MAX + 1);
    size_t n = buf ? fread(buf, 1, MANIFEST_MAX + 1, f) : 0;
    int bad = buf && ferror(f);
    fclose(f);
    if (!buf || bad || n > MANIFEST_MAX) {
        if (!buf)
            kn_mf_nomem(c);
        else
            kn_mf_fail(c, (kiln_toml_pos){0, 0}, bad ? "cannot read the manifest"
                                                     : "the manifest is larger than 16 MiB");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The absolute directory PATH is in, as written (a symlinked manifest
 * keeps its own directory, as in Spin), with symlinks in it resolved so
 * that "inside it" can be checked on resolved paths. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *parent = slash == path ? strdup("/") : slash ? strndup(path, (size_t)(slash - path))
                                                       : strdup(".");
    char *real = parent ? realpath(parent, NULL) : NULL;
    free(parent);
    return real;
}

/* ---- [application] ------------------------------------------------------ */

static int app_trigger_http(kn_mctx *c, const kiln_toml_value *t)
{
    const char *where = "[application.trigger.http]";
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        if (strcmp(k, "base"))
            return kn_mf_unknown(c, t, i, where);
        const char *base = kn_mf_str(c, v, k, where);
        if (!base)
            return -1;
        free(c->app->base);
        if (!(c->app->base = strdup(base)))
            return kn_mf_nomem(c);
        if (kn_mf_warn(c, kiln_toml_table_key_pos(t, i),
                       "\"base\" is deprecated: Spin 3 refuses a base other than \"/\"; "
                       "prefix each route with it instead"))
            return -1;
    }
    return 0;
}

static int app_triggers(kn_mctx *c, const kiln_toml_value *t)
{
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        const char *k = kiln_toml_table_key(t, i, NULL);
        if (kn_mf_want_table(c, v, k, "[application.trigger]"))
            return -1;
        /* settings of other trigger types are Spin's business; a trigger of
         * such a type is refused where it is written */
        if (!strcmp(k, "http") && app_trigger_http(c, v))
            return -1;
    }
    return 0;
}

static int set_str(kn_mctx *c, char **dst, const kiln_toml_value *v, const char *k,
                   const char *where)
{
    const char *s = kn_mf_str(c, v, k, where);
    if (!s)
        return -1;
    free(*dst);
    return (*dst = strdup(s)) ? 0 : kn_mf_nomem(c);
}

static int application(kn_mctx *c, const kiln_toml_value *t)
{
    const char *where = "[application]";
    kn_app *app = c->app;
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        int r = 0;
        if (!strcmp(k, "name"))
            r = set_str(c, &app->name, v, k, where);
        else if (!strcmp(k, "version"))
            r = set_str(c, &app->version, v, k, where);
        else if (!strcmp(k, "description"))
            r = set_str(c, &app->description, v, k, where);
        else if (!strcmp(k, "authors"))
            r = kn_mf_str_array(c, v, k, where, &app->authors, &app->nauthors);
        else if (!strcmp(k, "trigger"))
            r = kn_mf_want_table(c, v, k, where) ? -1 : app_triggers(c, v);
        else if (!strcmp(k, "tool"))
            r = kn_mf_want_table(c, v, k, where); /* other tools' settings */
        else if (!strcmp(k, "targets"))
            continue; /* deployment targets: checked by `spin deploy`, not at run time */
        else
            r = kn_mf_unknown(c, t, i, where);
        if (r)
            return -1;
    }
    if (!app->name)
        return kn_mf_fail(c, kiln_toml_pos_of(t), "[application] needs a \"name\"");
    return 0;
}

/* ---- [[trigger.http]] --------------------------------------------------- */

static int find_component(const kn_app *app, const char *id)
{
    for (size_t i = 0; i < app->ncomponents; i++)
        if (!strcmp(app->components[i].id, id))
            return (int)i;
    return -1;
}

static int executor(kn_mctx *c, kn_trigger *tr, const kiln_toml_value *t)
{
    const char *where = "the executor of [[trigger.http]]";
    const kiln_toml_value *type = kiln_toml_table_get(t, "type");
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        if (!strcmp(k, "argv")) {
            if (set_str(c, &tr->argv, v, k, where))
                return -1;
        } else if (!strcmp(k, "entrypoint")) {
            if (set_str(c, &tr->entrypoint, v, k, where))
                return -1;
        } else if (strcmp(k, "type")) {
            return kn_mf_unknown(c, t, i, where);
        }
    }
    if (!type)
        return kn_mf_fail(c, kiln_toml_pos_of(t), "the executor of [[trigger.http]] needs a \"type\"");
    const char *ty = kn_mf_str(c, type, "type", where);
    if (!ty)
        return -1;
    if (!strcmp(ty, "http") || !strcmp(ty, "spin"))
        return kn_mf_fail(c, kiln_toml_pos_of(type),
                          "executor type \"%s\" (a component-model HTTP handler) is not supported: "
                          "kiln runs WAGI components only for now (executor = { type = \"wagi\" })",
                          ty);
    if (strcmp(ty, "wagi"))
        return kn_mf_fail(c, kiln_toml_pos_of(type),
                          "unknown executor type \"%s\" (Spin knows \"http\" and \"wagi\")", ty);
    return 0;
}

static int route(kn_mctx *c, kn_trigger *tr, const kiln_toml_value *v)
{
    const char *where = "[[trigger.http]]";
    if (kiln_toml_type_of(v) == KILN_TOML_STRING)
        return set_str(c, &tr->route, v, "route", where);
    if (kiln_toml_type_of(v) != KILN_TOML_TABLE)
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "\"route\" in %s must be a string or { private = true }, not %s", where,
                          type_name(v));
    const kiln_toml_value *p = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(v); i++) {
        if (strcmp(kiln_toml_table_key(v, i, NULL), "private"))
            return kn_mf_unknown(c, v, i, "the route of [[trigger.http]]");
        p = kiln_toml_table_value(v, i);
    }
    bool priv = false;
    if (!p || !kiln_toml_bool(p, &priv) || !priv)
        return kn_mf_fail(c, kiln_toml_pos_of(p ? p : v),
                          "\"route\" in %s must be a string or { private = true }", where);
    tr->private_ = 1;
    return 0;
}

/* Spin's id for a trigger without one (see the opening comment); IDS holds
 * the ids taken so far. */
static int trigger_id(kn_mctx *c, kn_trigger *tr, const char *comp_ref, char ***ids, size_t *nids)
{
    char buf[512];
    int taken = 1;
    if (comp_ref) {
        snprintf(buf, sizeof buf, "%s-http-trigger", comp_ref);
        taken = 0;
        for (size_t i = 0; i < *nids && !taken; i++)
            taken = !strcmp((*ids)[i], buf);
    }
    for (unsigned n = 1; taken; n++) {
        snprintf(buf, sizeof buf, "http-trigger%u", n);
        taken = 0;
        for (size_t i = 0; i < *nids && !taken; i++)
            taken = !strcmp((*ids)[i], buf);
    }
    if (!(tr->id = strdup(buf)) || kn_mf_push_str(ids, nids, buf))
        return kn_mf_nomem(c);
    return 0;
}

/* Makes the inline component T of trigger TR, named as Spin names it. */
static int inline_component(kn_mctx *c, kn_trigger *tr, const kiln_toml_value *t)
{
    char id[512], where[600];
    snprintf(id, sizeof id, "%s-component", tr->id);
    for (unsigned n = 1; !kn_mf_kebab_id(id) || find_component(c->app, id) >= 0; n++)
        snprintf(id, sizeof id, "inline-component%u", n);
    snprintf(where, sizeof where, "the component of trigger \"%s\"", tr->id);
    if (kn_mf_component(c, id, t, where))
        return -1;
    tr->component = c->app->ncomponents - 1;
    return 0;
}

static int trigger_keys(kn_mctx *c, kn_trigger *tr, const kiln_toml_value *t,
                        const kiln_toml_value **comp, const kiln_toml_value **exec)
{
    const char *where = "[[trigger.http]]";
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        int r = 0;
        if (!strcmp(k, "id"))
            r = kn_mf_str(c, v, k, where) ? 0 : -1; /* read by the first pass */
        else if (!strcmp(k, "route"))
            r = route(c, tr, v);
        else if (!strcmp(k, "component"))
            *comp = v;
        else if (!strcmp(k, "executor"))
            r = kn_mf_want_table(c, v, k, where) ? -1 : (*exec = v, 0);
        else if (!strcmp(k, "components"))
            r = kn_mf_unsupported(c, t, i, where, NULL);
        else if (!strcmp(k, "static_response"))
            r = kn_mf_unsupported(c, t, i, where, "triggers are served by components only");
        else
            r = kn_mf_unknown(c, t, i, where);
        if (r)
            return -1;
    }
    return 0;
}

static int trigger(kn_mctx *c, const kiln_toml_value *t, char ***ids, size_t *nids)
{
    const char *where = "[[trigger.http]]";
    kn_app *app = c->app;
    kn_trigger *tr = &app->triggers[app->ntriggers++];
    kiln_toml_pos pos = kiln_toml_pos_of(t);
    tr->line = pos.line;
    tr->column = pos.column;
    if (kiln_toml_type_of(t) != KILN_TOML_TABLE)
        return kn_mf_fail(c, pos, "each entry of trigger.http must be a table, not %s",
                          type_name(t));
    const kiln_toml_value *comp = NULL, *exec = NULL, *idv = kiln_toml_table_get(t, "id");
    if (trigger_keys(c, tr, t, &comp, &exec))
        return -1;
    if (!tr->route && !tr->private_)
        return kn_mf_fail(c, pos, "%s needs a \"route\"", where);
    if (!comp)
        return kn_mf_fail(c, pos, "%s needs a \"component\"", where);
    if (!exec)
        return kn_mf_fail(c, pos,
                          "%s has no executor, so Spin would run it as a component-model HTTP "
                          "handler: kiln runs WAGI components only for now "
                          "(executor = { type = \"wagi\" })",
                          where);
    if (executor(c, tr, exec))
        return -1;
    if ((!tr->argv && !(tr->argv = strdup(KN_WAGI_DEFAULT_ARGV))) ||
        (!tr->entrypoint && !(tr->entrypoint = strdup("_start"))))
        return kn_mf_nomem(c);
    int is_ref = kiln_toml_type_of(comp) == KILN_TOML_STRING;
    if (!is_ref && kiln_toml_type_of(comp) != KILN_TOML_TABLE)
        return kn_mf_fail(c, kiln_toml_pos_of(comp),
                          "\"component\" in %s must be a component id or a component table, not %s",
                          where, type_name(comp));
    const char *ref = is_ref ? kn_mf_str(c, comp, "component", where) : NULL;
    if (is_ref && !ref)
        return -1;
    if (idv) { /* a string: trigger_keys checked it */
        const char *s = NULL;
        kiln_toml_string(idv, &s, NULL);
        if (!(tr->id = strdup(s)))
            return kn_mf_nomem(c);
    } else if (trigger_id(c, tr, ref, ids, nids)) {
        return -1;
    }
    if (!is_ref)
        return inline_component(c, tr, comp);
    int ci = find_component(app, ref);
    if (ci < 0)
        return kn_mf_fail(c, kiln_toml_pos_of(comp), "no component \"%s\": there is no [component.%s]",
                          ref, ref);
    tr->component = (size_t)ci;
    return 0;
}

static int triggers(kn_mctx *c, const kiln_toml_value *t)
{
    const kiln_toml_value *http = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        if (strcmp(k, "http"))
            return kn_mf_fail(c, kiln_toml_table_key_pos(t, i),
                              "kiln serves HTTP triggers only: [[trigger.%s]] is not supported", k);
        http = kiln_toml_table_value(t, i);
    }
    if (!http || kiln_toml_type_of(http) != KILN_TOML_ARRAY || !kiln_toml_array_len(http))
        return kn_mf_fail(c, kiln_toml_pos_of(http ? http : t),
                          "the manifest has no [[trigger.http]]: there is nothing to serve");
    size_t n = kiln_toml_array_len(http), nids = 0;
    char **ids = NULL;
    if (!(c->app->triggers = calloc(n, sizeof *c->app->triggers)))
        return kn_mf_nomem(c);
    int r = 0;
    for (size_t i = 0; i < n && !r; i++) { /* Spin first collects every explicit id */
        const kiln_toml_value *e = kiln_toml_array_get(http, i);
        const kiln_toml_value *id = kiln_toml_table_get(e, "id");
        const char *s;
        if (id && kiln_toml_string(id, &s, NULL) && kn_mf_push_str(&ids, &nids, s))
            r = kn_mf_nomem(c);
    }
    for (size_t i = 0; i < n && !r; i++)
        r = trigger(c, kiln_toml_array_get(http, i), &ids, &nids);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    return r;
}

/* ---- routes ------------------------------------------------------------- */

kn_router *kn_app_router(const kn_app *app, char *err, size_t errlen)
{
    kn_router *r = kn_router_new(app->base);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < app->ntriggers; i++) {
        if (app->triggers[i].private_)
            continue;
        if (kn_router_add(r, app->triggers[i].route, (int)i, NULL, err, errlen)) {
            kn_router_free(r);
            return NULL;
        }
    }
    return r;
}

/* Every route through the router, so a bad one fails the load at its
 * position; a duplicate is a warning (the later trigger wins, as in Spin). */
static int check_routes(kn_mctx *c)
{
    kn_app *app = c->app;
    kn_router *r = kn_router_new(app->base);
    if (!r)
        return kn_mf_nomem(c);
    int rc = 0;
    for (size_t i = 0; i < app->ntriggers && !rc; i++) {
        kn_trigger *tr = &app->triggers[i];
        kiln_toml_pos pos = {tr->line, tr->column};
        char msg[256];
        int replaced = -1;
        if (tr->private_)
            continue;
        if (kn_router_add(r, tr->route, (int)i, &replaced, msg, sizeof msg))
            rc = kn_mf_fail(c, pos, "%s", msg);
        else if (replaced >= 0)
            rc = kn_mf_warn(c, pos,
                            "duplicate route \"%s\": component \"%s\" replaces component \"%s\" "
                            "(trigger \"%s\")",
                            tr->route, app->components[tr->component].id,
                            app->components[app->triggers[replaced].component].id,
                            app->triggers[replaced].id);
    }
    kn_router_free(r);
    return rc;
}

/* ---- the document -------------------------------------------------------- */

static int version(kn_mctx *c, const kiln_toml_value *root)
{
    const kiln_toml_value *v = kiln_toml_table_get(root, "spin_manifest_version");
    const kiln_toml_value *v1 = kiln_toml_table_get(root, "spin_version");
    if (!v && v1)
        return kn_mf_fail(c, kiln_toml_pos_of(v1),
                          "this is a Spin manifest version 1 (spin_version): kiln reads version 2 "
                          "only (spin_manifest_version = 2); convert it to version 2");
    if (!v)
        return kn_mf_fail(c, (kiln_toml_pos){1, 1},
                          "not a Spin manifest: \"spin_manifest_version = 2\" is missing");
    int64_t n;
    const char *s;
    if (kiln_toml_int(v, &n) && n == 2)
        return 0;
    if (kiln_toml_int(v, &n))
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "Spin manifest version %lld is not supported: kiln reads version 2 only%s",
                          (long long)n, n == 1 ? " (version 1 is not supported)" : "");
    if (kiln_toml_string(v, &s, NULL))
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "Spin manifest version \"%s\" is not supported: kiln reads "
                          "spin_manifest_version = 2 (an integer) only", s);
    return kn_mf_fail(c, kiln_toml_pos_of(v), "\"spin_manifest_version\" must be the integer 2, not %s",
                      type_name(v));
}

static int components(kn_mctx *c, const kiln_toml_value *t)
{
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *id = kiln_toml_table_key(t, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(t, i);
        if (!kn_mf_kebab_id(id))
            return kn_mf_fail(c, kiln_toml_table_key_pos(t, i),
                              "component id \"%s\" must be kebab-case (words of letters and "
                              "digits joined by '-')", id);
        char where[300];
        snprintf(where, sizeof where, "[component.%s]", id);
        if (kn_mf_want_table(c, v, id, "[component]") || kn_mf_component(c, id, v, where))
            return -1;
    }
    return 0;
}

static int document(kn_mctx *c, const kiln_toml_value *root)
{
    if (version(c, root))
        return -1;
    const kiln_toml_value *app = NULL, *comps = NULL, *trigs = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(root); i++) {
        const char *k = kiln_toml_table_key(root, i, NULL);
        const kiln_toml_value *v = kiln_toml_table_value(root, i);
        int r = 0;
        if (!strcmp(k, "application"))
            r = kn_mf_want_table(c, v, k, "the manifest") ? -1 : (app = v, 0);
        else if (!strcmp(k, "component"))
            r = kn_mf_want_table(c, v, k, "the manifest") ? -1 : (comps = v, 0);
        else if (!strcmp(k, "trigger"))
            r = kn_mf_want_table(c, v, k, "the manifest") ? -1 : (trigs = v, 0);
        else if (!strcmp(k, "variables"))
            r = kn_mf_unsupported(c, root, i, "the manifest", NULL);
        else if (strcmp(k, "spin_manifest_version"))
            r = kn_mf_unknown(c, root, i, "the manifest");
        if (r)
            return -1;
    }
    if (!app)
        return kn_mf_fail(c, (kiln_toml_pos){1, 1}, "the manifest has no [application]");
    if (application(c, app) || (comps && components(c, comps)))
        return -1;
    if (!trigs)
        return kn_mf_fail(c, (kiln_toml_pos){1, 1},
                          "the manifest has no [[trigger.http]]: there is nothing to serve");
    return triggers(c, trigs) || check_routes(c) ? -1 : 0;
}

/* ---- loading ------------------------------------------------------------- */

static kn_app *app_new(kn_mctx *c, const char *path)
{
    kn_app *app = calloc(1, sizeof *app);
    if (!app || !(app->path = strdup(path)) || !(app->base = strdup("/"))) {
        kn_app_free(app);
        kn_mf_nomem(c);
        return NULL;
    }
    if (!(app->dir = dir_of(path))) {
        kn_mf_fail(c, (kiln_toml_pos){0, 0}, "cannot resolve its directory: %s", strerror(errno));
        kn_app_free(app);
        return NULL;
    }
    return app;
}

/* Phase two: the components' Wasm and files.  Components are loaded in
 * manifest order, so the first bad one is the one reported. */
static int load_components(kn_mctx *c)
{
    for (size_t i = 0; i < c->app->ncomponents; i++)
        if (kn_mf_component_load(c, i))
            return -1;
    return 0;
}

int kn_app_load(const char *manifest_path, kn_app **out, char *err, size_t errlen)
{
    kn_mctx c = {.file = manifest_path, .err = err, .errlen = errlen};
    size_t len;
    char *text = read_text(&c, manifest_path, &len);
    if (!text)
        return -1;
    kiln_toml_doc *doc = NULL;
    kiln_toml_error terr;
    if (!kiln_toml_parse(text, len, &doc, &terr)) {
        free(text);
        return kn_mf_fail(&c, terr.pos, "%s", strchr(terr.message, ' ') ? strchr(terr.message, ' ') + 1
                                                                          : terr.message);
    }
    free(text);
    int rc = -1;
    if ((c.app = app_new(&c, manifest_path)) && !document(&c, kiln_toml_root(doc)) &&
        !load_components(&c))
        rc = 0;
    kiln_toml_free(doc);
    free(c.tables);
    if (rc) {
        kn_app_free(c.app);
        return -1;
    }
    *out = c.app;
    return 0;
}

static int module_app(kn_mctx *c, const char *wasm_path)
{
    kn_app *app = c->app;
    const char *base = strrchr(wasm_path, '/');
    base = base ? base + 1 : wasm_path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".wasm"))
        n -= 5;
    if (!(app->name = strndup(base, n)) || !(app->components = calloc(1, sizeof *app->components)) ||
        !(app->triggers = calloc(1, sizeof *app->triggers)))
        return kn_mf_nomem(c);
    kn_component *comp = &app->components[app->ncomponents++];
    kn_trigger *tr = &app->triggers[app->ntriggers++];
    if (!(comp->id = strdup("main")) || !(comp->source_path = realpath(wasm_path, NULL)))
        return comp->id ? kn_mf_fail(c, (kiln_toml_pos){0, 0}, "%s", strerror(errno))
                        : kn_mf_nomem(c);
    comp->limits = (kn_component_limits){KN_DEFAULT_MAX_MEMORY, 0, KN_DEFAULT_TIMEOUT_MS,
                                         KN_DEFAULT_MAX_CONCURRENCY, KN_DEFAULT_MAX_BODY,
                                         KN_DEFAULT_POOL};
    if (!(tr->id = strdup("main-http-trigger")) || !(tr->route = strdup("/...")) ||
        !(tr->argv = strdup(KN_WAGI_DEFAULT_ARGV)) || !(tr->entrypoint = strdup("_start")))
        return kn_mf_nomem(c);
    return kn_mf_component_load(c, 0);
}

int kn_app_from_module(const char *wasm_path, kn_app **out, char *err, size_t errlen)
{
    kn_mctx c = {.file = wasm_path, .err = err, .errlen = errlen};
    struct stat st;
    if (stat(wasm_path, &st))
        return kn_mf_fail(&c, (kiln_toml_pos){0, 0}, "cannot open: %s", strerror(errno));
    if (!(c.app = app_new(&c, wasm_path)))
        return -1;
    int rc = module_app(&c, wasm_path);
    free(c.tables);
    if (rc) {
        kn_app_free(c.app);
        return -1;
    }
    *out = c.app;
    return 0;
}

static void free_strs(char **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

static void component_free(kn_component *comp)
{
    free(comp->id);
    free(comp->source_path);
    free(comp->wasm);
    for (size_t i = 0; i < comp->ndirs; i++) {
        free(comp->dirs[i].host_path);
        free(comp->dirs[i].guest_path);
    }
    free(comp->dirs);
    free_strs(comp->env_names, comp->nenv);
    free_strs(comp->env_values, comp->nenv);
    free_strs(comp->allowed_outbound_hosts, comp->nhosts);
    free(comp->staging_dir);
}

void kn_app_free(kn_app *app)
{
    if (!app)
        return;
    for (size_t i = 0; i < app->ncomponents; i++)
        component_free(&app->components[i]);
    free(app->components);
    for (size_t i = 0; i < app->ntriggers; i++) {
        free(app->triggers[i].id);
        free(app->triggers[i].route);
        free(app->triggers[i].argv);
        free(app->triggers[i].entrypoint);
    }
    free(app->triggers);
    if (app->staging_root) {
        kn_mf_remove_tree(app->staging_root);
        free(app->staging_root);
    }
    free_strs(app->authors, app->nauthors);
    free_strs(app->warnings, app->nwarnings);
    free(app->path);
    free(app->dir);
    free(app->name);
    free(app->version);
    free(app->description);
    free(app->base);
    free(app);
}
