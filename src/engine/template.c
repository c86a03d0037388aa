/*
 * template.c — kiln_template: pre-linked instantiation from a pool of
 * reusable instance slots (kiln.h, "Templates").
 *
 * A slot is an ordinary store holding one instance, made once with the
 * template's limits: host functions for the imports, the instance's
 * functions, tables, globals and memory (its reservation, with the
 * template's image mapped copy-on-write over the start of it), and one
 * block for the value and frame stacks.  Right after it is made, the slot
 * records what each use must start from: the tables' elements, the
 * globals' values, the element segments' lengths and the data segments'
 * dropped flags (funcref values differ per slot, so these are per slot).
 * `base` is then the head of the store's object list: anything newer was
 * made by the embedder during a use and is freed when the slot comes back.
 *
 * Reset (kiln_store_free on a slot's store, kn_pool_release) happens when
 * a slot is given back, so taking one is only limits and a start function.
 * Memory: grown pages are decommitted and the pages written among the
 * initial ones rewritten from the image (or zeroed), at a cost that
 * follows the pages written, not the memory's size.  Which pages were
 * written comes from the memory's written-page map (runtime.h), with no
 * system call; when the map cannot be trusted (kiln_memory_data handed
 * out a pointer in this use) or many pages were written, os.h's
 * kn_os_reset asks the OS instead.  The value stack is not cleared:
 * validation guarantees that Wasm never reads a slot it did not write
 * (locals are zeroed on entry), so resetting the stack pointers is
 * enough.  A slot that cannot be reset (the OS refused) is destroyed
 * instead of being reused.
 *
 * Invariants: a slot is either on the free list (reset, not in use) or
 * owned by exactly one caller; nslots counts both and never exceeds
 * max_slots; the lock guards the free list and the counts only, never a
 * slot's contents.
 */
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "os/os.h"
#include "runtime.h"

typedef struct kn_hostdef {
    char *module, *name;
    size_t module_len, name_len;
    kn_functype *type;           /* owned; canon set */
    kiln_host_fn fn;
    void *env;
    void (*finalize)(void *env);
} kn_hostdef;

struct kiln_template_builder {
    kiln_engine *engine;
    kn_hostdef *defs;
    uint32_t ndefs, cap;
};

typedef struct kn_pool_slot {
    struct kn_pool_slot *next_free;
    kiln_template *tmpl;
    kiln_store *store;
    kiln_instance *inst;
    kn_object *base;             /* store->objects once the slot was made */
    void *stacks;                /* value stack, then frames: one block */
    size_t nstack, nframes;
    kn_slot *globals;            /* 2 slots per defined global */
    void ***tables;              /* initial elements per defined table */
    uint64_t *table_size, *table_cap;
    uint32_t *elem_len;          /* per element segment */
    uint8_t *data_dropped;       /* per data segment */
    uint64_t mem_cap;            /* memory 0's cap in pages, as reserved */
} kn_pool_slot;

struct kiln_template {
    kiln_engine *engine;
    const kn_module *m;
    kiln_store_limits limits;    /* with kiln_store_new's defaults */
    const kn_hostdef **imports;  /* per import of m */
    kn_os_image image;           /* memory 0's initial bytes */
    int dirty;                   /* kn_os_dirty_open, for resets */
    mtx_t lock;
    kn_pool_slot *free;
    uint32_t max_slots, nslots, in_use;
    uint64_t resets_by_map, resets_by_scan;   /* of memory 0 */
};

static const kn_allocator *talloc(const kiln_template *t) { return kn_engine_alloc(t->engine); }

/* ---- Builders ------------------------------------------------------------ */

kiln_error *kiln_template_builder_new(kiln_engine *engine, kiln_template_builder **out)
{
    if (!engine || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_template_builder_new: NULL argument");
    kiln_template_builder *b = kn_calloc(kn_engine_alloc(engine), 1, sizeof *b);
    if (!b)
        return kn_error_nomem();
    b->engine = engine;
    *out = b;
    return NULL;
}

static void hostdef_clear(const kn_allocator *a, kn_hostdef *d)
{
    if (d->finalize)
        d->finalize(d->env);
    kn_free(a, d->module);
    kn_free(a, d->name);
    kn_free(a, d->type);
}

void kiln_template_builder_free(kiln_template_builder *b)
{
    if (!b)
        return;
    const kn_allocator *a = kn_engine_alloc(b->engine);
    for (uint32_t i = 0; i < b->ndefs; i++)
        hostdef_clear(a, &b->defs[i]);
    kn_free(a, b->defs);
    kn_free(a, b);
}

static const kn_hostdef *find_def(const kiln_template_builder *b, const char *module,
                                  size_t module_len, const char *name, size_t name_len)
{
    for (uint32_t i = 0; b && i < b->ndefs; i++) {
        const kn_hostdef *d = &b->defs[i];
        if (d->module_len == module_len && d->name_len == name_len &&
            memcmp(d->module, module, module_len) == 0 && memcmp(d->name, name, name_len) == 0)
            return d;
    }
    return NULL;
}

kiln_error *kiln_template_builder_func(kiln_template_builder *b, const char *module,
                                       const char *name, const kiln_functype *type,
                                       kiln_host_fn fn, void *env, void (*finalize)(void *env))
{
    if (!b || !module || !name || !type || !fn)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_template_builder_func: NULL argument");
    const kn_allocator *a = kn_engine_alloc(b->engine);
    kn_hostdef d = {.fn = fn, .env = env, .finalize = finalize,
                    .module_len = strlen(module), .name_len = strlen(name)};
    kiln_error *err = kn_functype_copy(b->engine, type, "kiln_template_builder_func", &d.type);
    if (err)
        return err;
    d.module = kn_strndup(a, module, d.module_len);
    d.name = kn_strndup(a, name, d.name_len);
    kn_hostdef *old = (kn_hostdef *)find_def(b, module, d.module_len, name, d.name_len);
    if (d.module && d.name && !old && b->ndefs == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 64;
        kn_hostdef *nd = kn_realloc_n(a, b->defs, cap, sizeof *nd);
        if (nd) {
            b->defs = nd;
            b->cap = cap;
        }
    }
    if (!d.module || !d.name || (!old && b->ndefs == b->cap)) {
        d.finalize = NULL;       /* the caller keeps env when we fail */
        hostdef_clear(a, &d);
        return kn_error_nomem();
    }
    if (old) {
        hostdef_clear(a, old);
        *old = d;
    } else {
        b->defs[b->ndefs++] = d;
    }
    return NULL;
}

/* ---- Slots ------------------------------------------------------------- */

static void slot_destroy(kn_pool_slot *sl)
{
    const kn_allocator *a = talloc(sl->tmpl);
    if (sl->store) {
        sl->store->slot = NULL;
        sl->store->stack = NULL;
        sl->store->frames = NULL;
        kiln_store_free(sl->store);
    }
    kn_free(a, sl->stacks);
    if (sl->tables)
        for (uint32_t i = 0; i < sl->tmpl->m->ntables; i++)
            kn_free(a, sl->tables[i]);
    kn_free(a, sl->tables);
    kn_free(a, sl->table_size);
    kn_free(a, sl->table_cap);
    kn_free(a, sl->globals);
    kn_free(a, sl->elem_len);
    kn_free(a, sl->data_dropped);
    kn_free(a, sl);
}

/* Host functions for the imports, in a fresh store; they share the
 * template's types and run no finalizer (the builder owns env). */
static kiln_error *make_imports(const kiln_template *t, kiln_store *s, kn_object **objs)
{
    for (uint32_t i = 0; i < t->m->nimports; i++) {
        const kn_hostdef *d = t->imports[i];
        kiln_func *f = kn_calloc(kn_store_alloc(s), 1, sizeof *f);
        if (!f)
            return kn_error_nomem();
        f->type = d->type;
        f->canon = d->type->canon;
        f->host = d->fn;
        f->env = d->env;
        f->obj.kind = KN_OBJ_FUNC;
        f->obj.store = s;
        f->obj.next = s->objects;
        s->objects = &f->obj;
        objs[i] = &f->obj;
    }
    return NULL;
}

/* A store holding one instance of t's module, made as kiln_linker_instantiate
 * would but without running the start function (and, with KN_INST_NO_DATA,
 * without writing the data segments). */
static kiln_error *instantiate_in_new_store(const kiln_template *t, unsigned flags,
                                            kiln_store **store, kiln_instance **inst)
{
    kiln_store *s;
    kiln_error *err = kiln_store_new(t->engine, &t->limits, &s);
    if (err)
        return err;
    kn_object **objs = kn_calloc(kn_store_alloc(s), t->m->nimports, sizeof *objs);
    err = objs ? make_imports(t, s, objs) : kn_error_nomem();
    if (!err)
        err = kn_instantiate_flags(s, t->m, objs, flags | KN_INST_NO_START, inst);
    kn_free(kn_store_alloc(s), objs);
    if (err) {
        kiln_store_free(s);
        return err;
    }
    *store = s;
    return NULL;
}

static kiln_error *slot_snapshot(kn_pool_slot *sl)
{
    const kn_module *m = sl->tmpl->m;
    const kn_allocator *a = talloc(sl->tmpl);
    kiln_instance *inst = sl->inst;
    sl->globals = kn_calloc(a, m->nglobals, 2 * sizeof(kn_slot));
    sl->tables = kn_calloc(a, m->ntables, sizeof *sl->tables);
    sl->table_size = kn_calloc(a, m->ntables, sizeof *sl->table_size);
    sl->table_cap = kn_calloc(a, m->ntables, sizeof *sl->table_cap);
    sl->elem_len = kn_calloc(a, m->nelems, sizeof *sl->elem_len);
    sl->data_dropped = kn_calloc(a, m->ndatas, 1);
    if (!sl->globals || !sl->tables || !sl->table_size || !sl->table_cap || !sl->elem_len ||
        !sl->data_dropped)
        return kn_error_nomem();
    for (uint32_t i = 0; i < m->nglobals; i++)
        memcpy(&sl->globals[2 * i], inst->globals[i]->value, 2 * sizeof(kn_slot));
    for (uint32_t i = 0; i < m->ntables; i++) {
        const kiln_table *tb = inst->tables[i];
        sl->table_size[i] = tb->size;
        sl->table_cap[i] = tb->limits.max;
        sl->tables[i] = kn_malloc(a, (size_t)tb->size * sizeof(void *));
        if (!sl->tables[i])
            return kn_error_nomem();
        memcpy(sl->tables[i], tb->elems, (size_t)tb->size * sizeof(void *));
    }
    for (uint32_t i = 0; i < m->nelems; i++)
        sl->elem_len[i] = inst->elem_segs[i].len;
    memcpy(sl->data_dropped, inst->data_dropped, m->ndatas);
    return NULL;
}

static kiln_error *slot_new(kiln_template *t, kn_pool_slot **out)
{
    const kn_allocator *a = talloc(t);
    kn_pool_slot *sl = kn_calloc(a, 1, sizeof *sl);
    if (!sl)
        return kn_error_nomem();
    sl->tmpl = t;
    kiln_error *err = instantiate_in_new_store(t, KN_INST_NO_DATA, &sl->store, &sl->inst);
    if (err) {
        slot_destroy(sl);
        return err;
    }
    kiln_store *s = sl->store;
    if (t->m->nmemories) {
        kiln_memory *mem = sl->inst->memories[0];
        sl->mem_cap = mem->limits.max;
        if (!kn_os_map_image(mem->data, &t->image))
            err = kn_error_nomem();
    }
    /* The stacks at the template's full size, once: a use may only
     * shorten them (stack_end, frames_end). */
    sl->nstack = s->limits.max_stack_bytes / sizeof(kn_slot);
    sl->nframes = s->limits.max_call_depth;
    sl->nstack = sl->nstack < 64 ? 64 : sl->nstack;
    sl->nframes = sl->nframes < 4 ? 4 : sl->nframes;
    if (!err && sl->nstack < SIZE_MAX / 4 / sizeof(kn_slot) &&
        !(sl->stacks = kn_malloc(a, sl->nstack * sizeof(kn_slot) + sl->nframes * sizeof(kn_frame))))
        err = kn_error_nomem();
    if (!err)
        err = slot_snapshot(sl);
    if (err) {
        slot_destroy(sl);
        return err;
    }
    s->stack = sl->stacks;
    s->frames = (kn_frame *)(s->stack + sl->nstack);
    sl->base = s->objects;
    s->slot = sl;
    *out = sl;
    return NULL;
}

/* Past this many marked pages, kn_os_reset's way (which drops pages when
 * many were written, so a slot does not keep a large use's memory
 * resident) is taken instead. */
#define KN_RESET_MARKED_MAX 64

/* Whether [off, off+n) holds what the memory started with. */
static bool as_initial(const uint8_t *data, uint64_t off, uint64_t n, const kn_os_image *img)
{
    uint64_t end = off + n;
    if (off < img->len) {
        uint64_t k = (end < img->len ? end : img->len) - off;
        if (memcmp(data + off, img->view + off, (size_t)k) != 0)
            return false;
        off += k;
    }
    for (uint64_t w; off + 8 <= end; off += 8) {
        memcpy(&w, data + off, 8);
        if (w)
            return false;
    }
    for (; off < end; off++)
        if (data[off])
            return false;
    return true;
}

/* Memory 0 back to its initial `init` bytes from `used` (its size in this
 * use), with the written-page map (runtime.h) when every write went
 * through it: no system call unless the memory grew.  The map is left
 * clear for the next use. */
static bool memory_reset(kn_pool_slot *sl, kiln_memory *mem, uint64_t init, uint64_t used,
                         bool *scanned)
{
    const kn_os_image *img = &sl->tmpl->image;
    const uint64_t page = (uint64_t)1 << KN_DIRTY_SHIFT;
    uint8_t *map = kn_dirty_map(mem->data);
    uint64_t npages = (used + page - 1) >> KN_DIRTY_SHIFT, ninit = init >> KN_DIRTY_SHIFT;
    uint64_t marked[KN_RESET_MARKED_MAX], nmarked = 0;
    bool many = mem->untracked || sl->tmpl->m->no_write_map;
    /* The marked pages, eight map bytes at a time (most are zero). */
    for (uint64_t i = 0; i < ninit && !many; i += 8) {
        uint64_t w = 0;
        memcpy(&w, map + i, ninit - i < 8 ? (size_t)(ninit - i) : 8);
        for (uint64_t j = i; w; j++, w >>= 8) {
            if (!(w & 0xff))
                continue;
            if (nmarked == KN_RESET_MARKED_MAX) {
                many = true;
                break;
            }
            marked[nmarked++] = j;
        }
    }
    memset(map, 0, (size_t)npages);
    *scanned = many;
    if (many) {
        mem->untracked = false;
        return kn_os_reset(mem->data, init, img, sl->tmpl->dirty);
    }
    for (uint64_t k = 0; k < nmarked; k++) {
        uint64_t i = marked[k];
        kn_os_image_restore(mem->data, i * page, page, img);
        /* An access at the end of page i may have reached into i + 1. */
        bool next_marked = k + 1 < nmarked && marked[k + 1] == i + 1;
        if (i + 1 < ninit && !next_marked &&
            !as_initial(mem->data, (i + 1) * page, KN_DIRTY_SPILL, img))
            kn_os_image_restore(mem->data, (i + 1) * page, KN_DIRTY_SPILL, img);
    }
    return true;
}

/* Back to the state slot_snapshot recorded.  False if the OS refused.
 * *scanned: memory 0 was reset by asking the OS what was written. */
static bool slot_reset(kn_pool_slot *sl, bool *scanned)
{
    kiln_store *s = sl->store;
    kiln_instance *inst = sl->inst;
    const kn_module *m = sl->tmpl->m;
    kn_store_free_objects_until(s, sl->base);
    bool ok = true;
    if (m->nmemories) {
        kiln_memory *mem = inst->memories[0];
        uint64_t init = m->memories[0].min * KN_PAGE_SIZE, used = mem->size;
        if (mem->size > init)
            ok = kn_os_decommit(mem->data + init, mem->size - init);
        mem->size = init;
        ok = memory_reset(sl, mem, init, used, scanned) && ok;
#ifdef KN_CHECK_RESET
        /* The sanitizer build (make SAN=1) checks every reset whole: a
         * write the map missed would otherwise leak into the next use. */
        if (ok && !as_initial(mem->data, 0, init, &sl->tmpl->image))
            abort();
#endif
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        kiln_table *tb = inst->tables[i];
        tb->size = sl->table_size[i];
        memcpy(tb->elems, sl->tables[i], (size_t)tb->size * sizeof(void *));
    }
    for (uint32_t i = 0; i < m->nglobals; i++)
        memcpy(inst->globals[i]->value, &sl->globals[2 * i], 2 * sizeof(kn_slot));
    for (uint32_t i = 0; i < m->nelems; i++)
        inst->elem_segs[i].len = sl->elem_len[i];
    memcpy(inst->data_dropped, sl->data_dropped, m->ndatas);
    s->frame_top = s->frames;
    s->stack_top = s->stack;
    s->depth = 0;
    s->user_data = NULL;
    return ok;
}

static uint64_t min_nonzero(uint64_t want, uint64_t cap) { return want && want < cap ? want : cap; }

/* Limits and caps for one use of a reset slot. */
static kiln_error *slot_begin(kn_pool_slot *sl, const kiln_store_limits *limits, void *ud)
{
    const kiln_template *t = sl->tmpl;
    kiln_store *s = sl->store;
    kiln_store_limits L = t->limits;
    if (limits) {
        L.max_memory_bytes = min_nonzero(limits->max_memory_bytes, L.max_memory_bytes);
        L.max_table_elems = min_nonzero(limits->max_table_elems, L.max_table_elems);
        L.max_call_depth = (uint32_t)min_nonzero(limits->max_call_depth, L.max_call_depth);
        L.max_stack_bytes = min_nonzero(limits->max_stack_bytes, L.max_stack_bytes);
        L.fuel = limits->fuel ? limits->fuel : L.fuel;
        L.timeout_ns = limits->timeout_ns ? limits->timeout_ns : L.timeout_ns;
    }
    s->limits = L;
    s->fuel_on = L.fuel != 0;
    s->fuel = L.fuel;
    s->budget = 0;
    s->deadline_ns = 0;
    atomic_store(&s->interrupt, 0);
    s->frame_top = s->frames;
    s->stack_top = s->stack;
    size_t nstack = L.max_stack_bytes / sizeof(kn_slot), nframes = L.max_call_depth;
    s->stack_end = s->stack + (nstack < 64 ? 64 : nstack < sl->nstack ? nstack : sl->nstack);
    s->frames_end = s->frames + (nframes < 4 ? 4 : nframes < sl->nframes ? nframes : sl->nframes);
    s->user_data = ud;
    const kn_module *m = t->m;
    if (m->nmemories) {
        kiln_memory *mem = sl->inst->memories[0];
        uint64_t cap = L.max_memory_bytes / KN_PAGE_SIZE;
        cap = cap < sl->mem_cap ? cap : sl->mem_cap;
        if (mem->size / KN_PAGE_SIZE > cap)
            return kn_error_new(KILN_ERR_LIMIT, -1,
                                "memory of %llu pages exceeds the limit of %llu pages",
                                (unsigned long long)(mem->size / KN_PAGE_SIZE),
                                (unsigned long long)cap);
        mem->limits.max = cap;
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        kiln_table *tb = sl->inst->tables[i];
        uint64_t cap = min_nonzero(L.max_table_elems, sl->table_cap[i]);
        if (tb->size > cap)
            return kn_error_new(KILN_ERR_LIMIT, -1,
                                "table of %llu elements exceeds the limit of %llu elements",
                                (unsigned long long)tb->size, (unsigned long long)cap);
        tb->limits.max = cap;
    }
    return NULL;
}

void kn_pool_release(kiln_store *s)
{
    kn_pool_slot *sl = s->slot;
    kiln_template *t = sl->tmpl;
    bool scanned = false;
    bool ok = slot_reset(sl, &scanned);
    mtx_lock(&t->lock);
    t->in_use--;
    if (t->m->nmemories)
        *(scanned ? &t->resets_by_scan : &t->resets_by_map) += 1;
    if (ok) {
        sl->next_free = t->free;
        t->free = sl;
    } else {
        t->nslots--;
    }
    mtx_unlock(&t->lock);
    if (!ok)
        slot_destroy(sl);
}

/* ---- Templates ----------------------------------------------------------- */

static const char *extern_name(uint8_t kind)
{
    switch (kind) {
    case KN_EXT_TABLE: return "table";
    case KN_EXT_MEMORY: return "memory";
    case KN_EXT_GLOBAL: return "global";
    }
    return "function";
}

static kiln_error *resolve_imports(kiln_template *t, const kiln_template_builder *b)
{
    const kn_module *m = t->m;
    t->imports = kn_calloc(talloc(t), m->nimports, sizeof *t->imports);
    if (!t->imports)
        return kn_error_nomem();
    for (uint32_t i = 0; i < m->nimports; i++) {
        const kn_import *im = &m->imports[i];
        if (im->kind != KN_EXT_FUNC)
            return kn_error_new(KILN_ERR_LINK, -1,
                                "import \"%s\" \"%s\" is a %s: a template's imports must be "
                                "functions", im->module, im->name, extern_name(im->kind));
        const kn_hostdef *d = find_def(b, im->module, im->module_len, im->name, im->name_len);
        if (!d)
            return kn_error_new(KILN_ERR_LINK, -1, "unknown import \"%s\" \"%s\"", im->module,
                                im->name);
        if (d->type->canon != m->types[im->u.func_type].canon)
            return kn_error_new(KILN_ERR_LINK, -1,
                                "incompatible import type for \"%s\" \"%s\": function type "
                                "mismatch", im->module, im->name);
        t->imports[i] = d;
    }
    return NULL;
}

/* Instantiate once, data segments and all, and keep memory 0's initial
 * bytes up to the last non-zero page as the image every slot maps. */
static kiln_error *make_image(kiln_template *t)
{
    kiln_store *s;
    kiln_instance *inst;
    kiln_error *err = instantiate_in_new_store(t, 0, &s, &inst);
    if (err)
        return err;
    t->limits = s->limits;       /* the defaults filled in */
    if (t->m->nmemories) {
        const kiln_memory *mem = inst->memories[0];
        /* Untouched pages are zero: no need to read (and map) them. */
        uint64_t len = kn_os_touched_end(mem->data, mem->size);
        while (len && mem->data[len - 1] == 0)
            len--;
        uint64_t page = kn_os_page_size();
        if (!kn_os_image_new(mem->data, (len + page - 1) / page * page, &t->image))
            err = kn_error_nomem();
    }
    kiln_store_free(s);
    return err;
}

kiln_error *kiln_template_new(const kiln_template_builder *b, const kiln_module *mod,
                              const kiln_template_config *config, kiln_template **out)
{
    if (!mod || !out)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_template_new: NULL argument");
    if (b && b->engine != mod->m.engine)
        return kn_error_new(KILN_ERR_ARG, -1,
                            "kiln_template_new: builder and module have different engines");
    kiln_engine *e = mod->m.engine;
    kiln_template *t = kn_calloc(kn_engine_alloc(e), 1, sizeof *t);
    if (!t)
        return kn_error_nomem();
    t->engine = e;
    t->m = &mod->m;
    t->image.fd = -1;
    t->dirty = kn_os_dirty_open();
    if (config)
        t->limits = config->limits;
    t->max_slots = config && config->max_slots ? config->max_slots : 1024;
    if (mtx_init(&t->lock, mtx_plain) != thrd_success) {
        kn_free(kn_engine_alloc(e), t);
        return kn_error_nomem();
    }
    kiln_error *err = resolve_imports(t, b);
    if (!err)
        err = make_image(t);
    if (err) {
        kiln_template_free(t);
        return err;
    }
    *out = t;
    return NULL;
}

void kiln_template_free(kiln_template *t)
{
    if (!t)
        return;
    while (t->free) {
        kn_pool_slot *sl = t->free;
        t->free = sl->next_free;
        slot_destroy(sl);
    }
    kn_os_image_free(&t->image);
    kn_os_dirty_close(t->dirty);
    mtx_destroy(&t->lock);
    kn_free(talloc(t), t->imports);
    kn_free(talloc(t), t);
}

void kiln_template_stats(const kiln_template *t, uint32_t *slots, uint32_t *in_use)
{
    kiln_template *mt = (kiln_template *)t;   /* the lock only */
    mtx_lock(&mt->lock);
    if (slots)
        *slots = t->nslots;
    if (in_use)
        *in_use = t->in_use;
    mtx_unlock(&mt->lock);
}

void kiln_template_resets(const kiln_template *t, uint64_t *by_map, uint64_t *by_scan)
{
    kiln_template *mt = (kiln_template *)t;   /* the lock only */
    mtx_lock(&mt->lock);
    if (by_map)
        *by_map = t->resets_by_map;
    if (by_scan)
        *by_scan = t->resets_by_scan;
    mtx_unlock(&mt->lock);
}

/* A free slot, or room to make one (*sl NULL), counted as in use. */
static kiln_error *take(kiln_template *t, kn_pool_slot **sl)
{
    kiln_error *err = NULL;
    mtx_lock(&t->lock);
    *sl = t->free;
    if (*sl) {
        t->free = (*sl)->next_free;
        t->in_use++;
    } else if (t->nslots < t->max_slots) {
        t->nslots++;
        t->in_use++;
    } else {
        err = kn_error_new(KILN_ERR_LIMIT, -1, "pool exhausted: all %u instances are in use",
                           t->max_slots);
    }
    mtx_unlock(&t->lock);
    return err;
}

kiln_error *kiln_template_instantiate(kiln_template *t, const kiln_store_limits *limits,
                                      void *user_data, kiln_store **store,
                                      kiln_instance **instance)
{
    if (!t || !store || !instance)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_template_instantiate: NULL argument");
    kn_pool_slot *sl;
    kiln_error *err = take(t, &sl);
    if (err)
        return err;
    if (!sl && (err = slot_new(t, &sl))) {
        mtx_lock(&t->lock);
        t->nslots--;
        t->in_use--;
        mtx_unlock(&t->lock);
        return err;
    }
    err = slot_begin(sl, limits, user_data);
    if (!err && t->m->has_start) {
        kn_slot slots[2] = {{0}};
        err = kn_store_call(sl->store, sl->inst->funcs[t->m->start], slots);
    }
    if (err) {
        kn_pool_release(sl->store);
        return err;
    }
    *store = sl->store;
    *instance = sl->inst;
    return NULL;
}
