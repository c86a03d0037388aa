/*
 * plugin_test.h — helpers for the plugin host's integration tests: load a
 * test plugin built by tests/plugin/run.sh (in $KILN_PLUGIN_DIR, default
 * build/plugin-test), call it, compare output.
 */
#ifndef KN_PLUGIN_TEST_H
#define KN_PLUGIN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln_plugin.h"
#include "unit.h"

static inline uint8_t *pt_read_file(const char *name, size_t *len)
{
    const char *dir = getenv("KILN_PLUGIN_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "build/plugin-test", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("  cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A manifest for the plugin file name (NULL if it cannot be read). */
static inline kiln_plugin_manifest *pt_manifest(const char *name)
{
    size_t len;
    uint8_t *b = pt_read_file(name, &len);
    kiln_plugin_manifest *m = NULL;
    if (b) {
        kiln_error *e = kiln_plugin_manifest_from_wasm(b, len, &m);
        if (e) {
            printf("  manifest: %s\n", kiln_error_message(e));
            kiln_error_free(e);
        }
    }
    free(b);
    return m;
}

/* Load name with options; NULL (and the error printed) on failure. */
static inline kiln_plugin *pt_load_m(kiln_engine *eng, kiln_plugin_manifest *m,
                                     const kiln_plugin_options *o)
{
    kiln_plugin *p = NULL;
    if (!m)
        return NULL;
    kiln_error *e = kiln_plugin_new(eng, m, o, &p);
    if (e) {
        printf("  kiln_plugin_new: %s\n", kiln_error_message(e));
        kiln_error_free(e);
    }
    return p;
}

static inline kiln_plugin *pt_load(kiln_engine *eng, const char *name,
                                   const kiln_plugin_options *o)
{
    kiln_plugin_manifest *m = pt_manifest(name);
    kiln_plugin *p = pt_load_m(eng, m, o);
    kiln_plugin_manifest_free(m);
    return p;
}

/* Call func with a string input; returns the output as a malloc'd string
 * (NULL on error, with *err set to the error if err is given). */
static inline char *pt_call(kiln_plugin *p, const char *func, const char *input,
                            const kiln_plugin_call_opts *o, kiln_error **err)
{
    uint8_t *out = NULL;
    size_t len = 0;
    kiln_error *e = kiln_plugin_call(p, func, input, input ? strlen(input) : 0, o, &out, &len);
    if (err)
        *err = e;
    else if (e) {
        printf("  %s: %s\n", func, kiln_error_message(e));
        kiln_error_free(e);
    }
    if (e)
        return NULL;
    char *s = malloc(len + 1);
    if (len)
        memcpy(s, out, len);
    s[len] = 0;
    free(out);
    return s;
}

#define CHECK_STR(got, want)                                                                 \
    do {                                                                                     \
        char *g_ = (got);                                                                    \
        if (!g_ || strcmp(g_, (want))) {                                                     \
            char m_[512];                                                                    \
            snprintf(m_, sizeof m_, "%s == \"%s\" (got \"%s\")", #got, (want),               \
                     g_ ? g_ : "(null)");                                                    \
            unit_fail(__FILE__, __LINE__, m_);                                               \
        }                                                                                    \
        free(g_);                                                                            \
    } while (0)

#endif
