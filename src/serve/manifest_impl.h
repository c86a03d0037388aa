/*
 * manifest_impl.h — what the manifest loader's files share: the load
 * context (where messages go, the app being built) and the small helpers
 * that turn a TOML value of the wrong type into a message with its
 * position.
 *
 * manifest.c walks the document ([application], [[trigger.http]], the
 * order of the phases); manifest_component.c reads [component.ID] and its
 * kiln settings, and reads and verifies the Wasm; manifest_files.c grants
 * and stages `files`.  Every function that can fail returns 0 or -1, and
 * on -1 the message is already in the context: the first problem wins.
 */
#ifndef KN_SERVE_MANIFEST_IMPL_H
#define KN_SERVE_MANIFEST_IMPL_H

#include <stdarg.h>
#include <stdbool.h>

#include "kiln_toml.h"
#include "manifest.h"

typedef struct kn_mctx {
    const char *file; /* the manifest as given, for messages */
    char *err;
    size_t errlen;
    kn_app *app;
    /* parallel to app->components: each one's table, read again by the
     * second phase (Wasm and files) once the whole document is known good */
    const kiln_toml_value **tables;
    size_t cap;
} kn_mctx;

/* "FILE:LINE:COL: message" (just "FILE: message" when POS has no line)
 * into the context's buffer; always returns -1. */
int kn_mf_fail(kn_mctx *c, kiln_toml_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kn_mf_nomem(kn_mctx *c);

/* V as a NUL-free string, or NULL after "KEY in WHERE must be a string,
 * not TYPE". */
const char *kn_mf_str(kn_mctx *c, const kiln_toml_value *v, const char *key,
                      const char *where);
/* V as an array of strings, copied into *OUT (N of them). */
int kn_mf_str_array(kn_mctx *c, const kiln_toml_value *v, const char *key, const char *where,
                    char ***out, size_t *n);
/* V must be a table, else "KEY in WHERE must be a table, not TYPE". */
int kn_mf_want_table(kn_mctx *c, const kiln_toml_value *v, const char *key,
                     const char *where);
int kn_mf_unknown(kn_mctx *c, const kiln_toml_value *table, size_t i, const char *where);
/* An empty array or table is accepted (it asks for nothing); anything else
 * is "kiln doesn't support KEY in WHERE yet". */
int kn_mf_unsupported(kn_mctx *c, const kiln_toml_value *table, size_t i, const char *where,
                      const char *why);

int kn_mf_push_str(char ***arr, size_t *n, const char *s);
int kn_mf_warn(kn_mctx *c, kiln_toml_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Spin's kebab-case id rule (component ids): words of ASCII letters and
 * digits separated by single '-', each word all lower or all upper case,
 * the first starting with a letter. */
bool kn_mf_kebab_id(const char *s);

/* manifest_component.c */
/* Reads the component table T (already known to be a table) as component
 * ID into a new entry of c->app->components; WHERE names it in messages
 * ("[component.ID]"). */
int kn_mf_component(kn_mctx *c, const char *id, const kiln_toml_value *t, const char *where);
/* Second phase, for component I: its Wasm bytes and its files. */
int kn_mf_component_load(kn_mctx *c, size_t i);

/* manifest_files.c */
/* Checks the form of `files` and `exclude_files` (phase one). */
int kn_mf_files_check(kn_mctx *c, const kiln_toml_value *files,
                      const kiln_toml_value *exclude, const char *where);
/* Grants or stages component I's files (phase two). */
int kn_mf_files_load(kn_mctx *c, size_t i, const kiln_toml_value *files,
                     const kiln_toml_value *exclude);
/* Resolves REL (relative to the app's dir, already free of ".." and not
 * absolute) to an absolute path that must stay inside the app's dir once
 * symlinks are followed; NULL after a message at POS. */
char *kn_mf_inside(kn_mctx *c, const char *rel, kiln_toml_pos pos, const char *what);
/* Whether REL, a path written in the manifest, is relative and free of
 * ".." segments. */
bool kn_mf_rel_ok(const char *rel);
/* Removes a staging tree; errors are ignored (it is temporary). */
void kn_mf_remove_tree(const char *path);

#endif
