/*
 * api_module.c — kiln_module: the public face of decode → validate → lower.
 *
 * kiln_module_new runs the whole pipeline once; what comes out is immutable
 * and may be shared between threads.  Between decoding and validation it
 * completes each function type with what the later stages and the runtime
 * need and the decoder does not compute: the API spelling of the value
 * types (kinds), the frame slots taken by parameters and results, and the
 * engine-wide canonical id.  A module that fails any stage is released
 * completely before the error is returned.
 */
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "module.h"
#include "runtime.h"

static kiln_error *complete_types(kn_module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++) {
        kn_functype *t = &m->types[i];
        uint32_t n = t->nparams + t->nresults;
        if (!t->kinds) {
            t->kinds = kn_calloc(&m->alloc, n, sizeof *t->kinds);
            if (!t->kinds)
                return kn_error_nomem();
        }
        t->param_slots = t->result_slots = 0;
        for (uint32_t j = 0; j < n; j++) {
            t->kinds[j] = (kiln_valkind)t->types[j];
            if (j < t->nparams)
                t->param_slots += kn_slots_of(t->types[j]);
            else
                t->result_slots += kn_slots_of(t->types[j]);
        }
        t->canon = kn_engine_intern_type(m->engine, t->types, t->nparams, t->nresults);
        if (t->canon == KN_CANON_NONE)
            return kn_error_nomem();
    }
    return NULL;
}

/* The pipeline, with the code from a parsed artifact (kn_artifact_parse)
 * when `parsed` is not NULL, else from the engine's cache or compiled. */
static kiln_error *make_module(kiln_engine *engine, const uint8_t *bytes, size_t len,
                               const void *parsed, kiln_module **out)
{
    const kn_allocator *a = kn_engine_alloc(engine);
    kiln_module *mod = kn_calloc(a, 1, sizeof *mod);
    if (!mod)
        return kn_error_nomem();
    kn_module *m = &mod->m;
    m->engine = engine;
    m->alloc = *a;
    m->no_write_map = kn_engine_no_write_map(engine);
    kiln_error *err = kn_decode(m, bytes, len);
    if (!err)
        err = complete_types(m);
    if (!err)
        err = kn_validate_module(m);
    if (!err)
        err = kn_compile(m);
    if (!err && kn_engine_tier(engine) == KILN_TIER_NATIVE) {
        if (parsed)
            err = kn_artifact_load(m, parsed);
        else if (kn_engine_cache_dir(engine))
            err = kn_cache_compile(mod, kn_engine_cache_dir(engine));
        else
            err = kn_jit_compile(m);
    }
    if (err) {
        kiln_module_free(mod);
        return err;
    }
    *out = mod;
    return NULL;
}

kiln_error *kiln_module_new(kiln_engine *engine, const uint8_t *bytes, size_t len,
                            kiln_module **out)
{
    if (!engine || !out || (!bytes && len))
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_module_new: NULL argument");
    return make_module(engine, bytes, len, NULL, out);
}

kiln_error *kiln_module_deserialize(kiln_engine *engine, const uint8_t *bytes, size_t len,
                                    kiln_module **out)
{
    if (!engine || !out || (!bytes && len))
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_module_deserialize: NULL argument");
    void *parsed = NULL;
    kiln_error *err = kn_artifact_parse(bytes ? bytes : (const uint8_t *)"", len, &parsed,
                                        kn_engine_alloc(engine));
    if (err)
        return err;
    size_t mlen;
    const uint8_t *mb = kn_artifact_module(parsed, &mlen);
    err = make_module(engine, mb, mlen, parsed, out);
    kn_free(kn_engine_alloc(engine), parsed);
    return err;
}

void kiln_module_free(kiln_module *mod)
{
    if (!mod)
        return;
    kn_allocator a = mod->m.alloc;
    kn_jit_free(&mod->m);
    kn_module_clear(&mod->m);
    kn_free(&a, mod->cache_detail);
    kn_free(&a, mod);
}

uint32_t kiln_module_native_funcs(const kiln_module *mod, uint32_t *defined)
{
    if (defined)
        *defined = mod ? mod->m.nfuncs - mod->m.num_func_imports : 0;
    return mod && mod->m.jit ? mod->m.jit->ncompiled : 0;
}

static kiln_functype api_functype(const kn_functype *t)
{
    return (kiln_functype){.nparams = t->nparams,
                           .nresults = t->nresults,
                           .params = t->kinds,
                           .results = t->kinds ? t->kinds + t->nparams : NULL};
}

static kiln_limits api_limits(kn_limits l)
{
    return (kiln_limits){.min = l.min, .max = l.max, .has_max = l.has_max};
}

size_t kiln_module_import_count(const kiln_module *mod) { return mod ? mod->m.nimports : 0; }

void kiln_module_import(const kiln_module *mod, size_t i, kiln_import_desc *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!mod || i >= mod->m.nimports)
        return;
    const kn_module *m = &mod->m;
    const kn_import *im = &m->imports[i];
    out->module = im->module;
    out->name = im->name;
    out->type.kind = (kiln_externkind)im->kind;
    switch (im->kind) {
    case KN_EXT_FUNC:
        out->type.func = api_functype(&m->types[im->u.func_type]);
        break;
    case KN_EXT_TABLE:
        out->type.elem = (kiln_valkind)im->u.table.elem;
        out->type.limits = api_limits(im->u.table.limits);
        break;
    case KN_EXT_MEMORY:
        out->type.limits = api_limits(im->u.memory);
        break;
    case KN_EXT_GLOBAL:
        out->type.global_type = (kiln_valkind)im->u.global.type;
        out->type.global_mutable = im->u.global.mut;
        break;
    }
}

size_t kiln_module_export_count(const kiln_module *mod) { return mod ? mod->m.nexports : 0; }

void kiln_module_export(const kiln_module *mod, size_t i, kiln_export_desc *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!mod || i >= mod->m.nexports)
        return;
    const kn_module *m = &mod->m;
    const kn_export *ex = &m->exports[i];
    out->name = ex->name;
    out->index = ex->index;
    out->type.kind = (kiln_externkind)ex->kind;
    switch (ex->kind) {
    case KN_EXT_FUNC:
        out->type.func = api_functype(&m->types[m->funcs[ex->index].type]);
        break;
    case KN_EXT_TABLE:
        out->type.elem = (kiln_valkind)m->tables[ex->index].elem;
        out->type.limits = api_limits(m->tables[ex->index].limits);
        break;
    case KN_EXT_MEMORY:
        out->type.limits = api_limits(m->memories[ex->index]);
        break;
    case KN_EXT_GLOBAL:
        out->type.global_type = (kiln_valkind)m->globals[ex->index].type.type;
        out->type.global_mutable = m->globals[ex->index].type.mut;
        break;
    }
}
