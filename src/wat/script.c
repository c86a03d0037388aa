/*
 * script.c — .wast scripts read into commands (kiln_wast_parse), so that a
 * runner needs nothing else from the text.
 *
 * Text modules are encoded here, at load: one that does not parse fails
 * the script, except under assert_malformed/assert_invalid, where the
 * error is kept for the runner to check.  Quoted modules are kept as text
 * and parsed only when run (a malformed quote must fail then, not here);
 * binary modules are their bytes as written.  Constants are read into
 * bits (floats, v128 lanes) with their patterns (nan:canonical,
 * nan:arithmetic, `ref.extern` without a number).
 *
 * Everything a script hands out lives in its arena (one list of blocks)
 * and goes with kiln_wast_free; a parse error longjmps out and frees the
 * lot.
 */
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

typedef struct arena_block {
    struct arena_block *next;
    max_align_t data[];
} arena_block;

struct kiln_wast_script {
    kiln_wast_command *cmds;
    size_t n, cap;
    arena_block *blocks;
};

typedef struct reader {
    wat_ctx *c;
    const wat_tok *t;
    size_t pos;
    kiln_wast_script *s;
    bool names;                  /* debug_names for text modules */
} reader;

static void *alloc(reader *r, size_t n)
{
    arena_block *b = n < SIZE_MAX - sizeof *b ? malloc(sizeof *b + n) : NULL;
    if (!b)
        kn_wat_fail(r->c, &r->t[r->pos], "out of memory");
    b->next = r->s->blocks;
    r->s->blocks = b;
    return b->data;
}

static const wat_tok *peek(reader *r) { return &r->t[r->pos]; }

static const wat_tok *next(reader *r)
{
    const wat_tok *t = &r->t[r->pos];
    if (t->kind != WT_EOF)
        r->pos++;
    return t;
}

static bool at_lpar_kw(reader *r, const char *kw)
{
    return r->t[r->pos].kind == WT_LPAR && kn_wat_tok_is(&r->t[r->pos + 1], kw);
}

static void expect(reader *r, uint8_t kind, const char *what)
{
    const wat_tok *t = next(r);
    if (t->kind != kind)
        kn_wat_fail(r->c, t, "unexpected token '%.*s', expected %s", (int)t->len, t->s, what);
}

static const char *string(reader *r, size_t *len)
{
    const wat_tok *t = next(r);
    if (t->kind != WT_STRING)
        kn_wat_fail(r->c, t, "unexpected token '%.*s', expected a string", (int)t->len, t->s);
    char *p = alloc(r, t->len + 1);
    size_t n = kn_wat_str_decode(t, (uint8_t *)p);
    p[n] = 0;
    if (len)
        *len = n;
    return p;
}

static const char *opt_name(reader *r)
{
    if (peek(r)->kind != WT_ID)
        return NULL;
    const wat_tok *t = next(r);
    char *p = alloc(r, t->len);
    memcpy(p, t->s + 1, t->len - 1);
    p[t->len - 1] = 0;
    return p;
}

/* ---- modules ----------------------------------------------------------------- */

static void strings_into(reader *r, size_t end, kiln_wast_module *mod)
{
    size_t total = 0;
    for (size_t k = r->pos; k < end; k++) {
        if (r->t[k].kind != WT_STRING)
            kn_wat_fail(r->c, &r->t[k], "unexpected token '%.*s', expected a string",
                     (int)r->t[k].len, r->t[k].s);
        total += r->t[k].len;
    }
    uint8_t *p = alloc(r, total + 1);
    size_t n = 0;
    for (; r->pos < end; r->pos++)
        n += kn_wat_str_decode(&r->t[r->pos], p + n);
    p[n] = 0;
    mod->bytes = p;
    mod->len = n;
}

/* (module $id? ...) at r->pos; may_fail: keep a parse error in the module. */
static void module(reader *r, kiln_wast_module *mod, bool may_fail)
{
    size_t open = r->pos, end = r->t[open].match;
    mod->line = r->t[open + 1].line;
    r->pos += 2;
    mod->name = opt_name(r);
    if (kn_wat_tok_is(peek(r), "binary") || kn_wat_tok_is(peek(r), "quote")) {
        bool binary = kn_wat_tok_is(next(r), "binary");
        mod->form = binary ? KILN_WAST_MODULE_BINARY : KILN_WAST_MODULE_QUOTE;
        strings_into(r, end, mod);
    } else {
        mod->form = KILN_WAST_MODULE_TEXT;
        uint8_t *out;
        size_t len;
        if (kn_wat_parse_module(r->t, open, end, false, r->names, &out, &len, &mod->error)) {
            uint8_t *p = alloc(r, len + 1);
            memcpy(p, out, len);
            kiln_wat_free(out);
            mod->bytes = p;
            mod->len = len;
        } else if (may_fail) {
            mod->parse_failed = true;
        } else {
            *r->c->err = mod->error;
            longjmp(r->c->jb, 1);
        }
    }
    r->pos = end + 1;
}

/* ---- constants ------------------------------------------------------------------ */

static bool tok_eq(const wat_tok *t, const char *s)
{
    return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

static kiln_wast_pattern nan_pattern(const wat_tok *t)
{
    if (tok_eq(t, "nan:canonical"))
        return KILN_WAST_NAN_CANONICAL;
    if (tok_eq(t, "nan:arithmetic"))
        return KILN_WAST_NAN_ARITHMETIC;
    return KILN_WAST_EXACT;
}

static void bad_literal(reader *r, const wat_tok *t)
{
    kn_wat_fail(r->c, t, "unexpected token '%.*s', expected a constant", (int)t->len, t->s);
}

/* One scalar of bits width into *bits; a float may be a NaN pattern when
 * results. */
static kiln_wast_pattern scalar(reader *r, bool fl, unsigned bits, bool result, uint64_t *v)
{
    const wat_tok *t = next(r);
    kiln_wast_pattern p = result && fl ? nan_pattern(t) : KILN_WAST_EXACT;
    if (p != KILN_WAST_EXACT) {
        *v = 0;
        return p;
    }
    wat_num_status st;
    if (!fl) {
        st = kn_wat_num_int(t, bits, v);
    } else if (bits == 32) {
        uint32_t u = 0;
        st = kn_wat_num_f32(t, &u);
        *v = u;
    } else {
        st = kn_wat_num_f64(t, v);
    }
    if (st != WAT_NUM_OK)
        bad_literal(r, t);
    return p;
}

static void v128_value(reader *r, kiln_wast_value *v, bool result)
{
    static const struct { const char *name; unsigned lanes, bits; bool fl; } shapes[] = {
        {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
        {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
    const wat_tok *t = next(r);
    for (unsigned s = 0; s < 6; s++) {
        if (!kn_wat_tok_is(t, shapes[s].name))
            continue;
        v->shape = (kiln_wast_shape)s;
        for (unsigned l = 0; l < shapes[s].lanes; l++) {
            uint64_t x;
            v->pattern[l] = scalar(r, shapes[s].fl, shapes[s].bits, result, &x);
            for (unsigned i = 0; i < shapes[s].bits / 8; i++)
                v->v128[l * (shapes[s].bits / 8) + i] = (uint8_t)(x >> (8 * i));
        }
        return;
    }
    bad_literal(r, t);
}

/* (T.const ...), (ref.null K), (ref.extern N?), (ref.func N?) */
static void value(reader *r, kiln_wast_value *v, bool result)
{
    memset(v, 0, sizeof *v);
    expect(r, WT_LPAR, "'('");
    const wat_tok *kw = next(r);
    static const char *const consts[] = {"i32.const", "i64.const", "f32.const", "f64.const"};
    bool done = false;
    for (int k = 0; k < 4 && !done; k++)
        if (kn_wat_tok_is(kw, consts[k])) {
            v->type = (kiln_wast_type)k;
            v->pattern[0] = scalar(r, k >= 2, k & 1 ? 64 : 32, result, &v->bits);
            done = true;
        }
    if (done) {
    } else if (kn_wat_tok_is(kw, "v128.const")) {
        v->type = KILN_WAST_V128;
        v128_value(r, v, result);
    } else if (kn_wat_tok_is(kw, "ref.null")) {
        const wat_tok *h = next(r);
        if (kn_wat_tok_is(h, "func"))
            v->type = KILN_WAST_FUNCREF;
        else if (kn_wat_tok_is(h, "extern"))
            v->type = KILN_WAST_EXTERNREF;
        else
            bad_literal(r, h);
        v->is_null = true;
    } else if (kn_wat_tok_is(kw, "ref.extern") || kn_wat_tok_is(kw, "ref.func")) {
        v->type = kn_wat_tok_is(kw, "ref.extern") ? KILN_WAST_EXTERNREF : KILN_WAST_FUNCREF;
        if (peek(r)->kind == WT_ATOM) {
            const wat_tok *t = next(r);
            if (kn_wat_num_uint(t, 64, &v->bits) != WAT_NUM_OK)
                bad_literal(r, t);
        } else if (result) {
            v->any = true;
        } else {
            bad_literal(r, peek(r));
        }
    } else {
        bad_literal(r, kw);
    }
    expect(r, WT_RPAR, "')'");
}

/* ---- actions and commands ------------------------------------------------------- */

static void action(reader *r, kiln_wast_action *a)
{
    expect(r, WT_LPAR, "'('");
    const wat_tok *kw = next(r);
    if (!kn_wat_tok_is(kw, "invoke") && !kn_wat_tok_is(kw, "get"))
        kn_wat_fail(r->c, kw, "unexpected token '%.*s', expected invoke or get", (int)kw->len,
                 kw->s);
    a->is_get = kn_wat_tok_is(kw, "get");
    a->line = kw->line;
    a->module = opt_name(r);
    a->field = string(r, &a->field_len);
    size_t n = 0;
    for (size_t p = r->pos; r->t[p].kind == WT_LPAR; p = r->t[p].match + 1)
        n++;
    kiln_wast_value *args = alloc(r, n * sizeof *args + 1);
    for (size_t i = 0; i < n; i++)
        value(r, &args[i], false);
    a->args = args;
    a->nargs = n;
    expect(r, WT_RPAR, "')'");
}

static void results(reader *r, kiln_wast_command *cmd)
{
    size_t n = 0;
    for (size_t p = r->pos; r->t[p].kind == WT_LPAR; p = r->t[p].match + 1)
        n++;
    kiln_wast_result *res = alloc(r, n * sizeof *res + 1);
    for (size_t i = 0; i < n; i++) {
        if (at_lpar_kw(r, "either")) {
            r->pos += 2;
            size_t k = 0;
            for (size_t p = r->pos; r->t[p].kind == WT_LPAR; p = r->t[p].match + 1)
                k++;
            kiln_wast_value *alts = alloc(r, k * sizeof *alts + 1);
            for (size_t j = 0; j < k; j++)
                value(r, &alts[j], true);
            res[i] = (kiln_wast_result){k, alts};
            expect(r, WT_RPAR, "')'");
        } else {
            kiln_wast_value *v = alloc(r, sizeof *v);
            value(r, v, true);
            res[i] = (kiln_wast_result){1, v};
        }
    }
    cmd->results = res;
    cmd->nresults = n;
}

static const struct { const char *name; kiln_wast_kind kind; } asserts[] = {
    {"assert_return", KILN_WAST_ASSERT_RETURN},
    {"assert_trap", KILN_WAST_ASSERT_TRAP},
    {"assert_exhaustion", KILN_WAST_ASSERT_EXHAUSTION},
    {"assert_invalid", KILN_WAST_ASSERT_INVALID},
    {"assert_malformed", KILN_WAST_ASSERT_MALFORMED},
    {"assert_unlinkable", KILN_WAST_ASSERT_UNLINKABLE},
    {"assert_uninstantiable", KILN_WAST_ASSERT_UNINSTANTIABLE},
};

static void assertion(reader *r, kiln_wast_command *cmd, kiln_wast_kind kind)
{
    cmd->kind = kind;
    r->pos += 2;
    if (at_lpar_kw(r, "module")) {
        cmd->has_module = true;
        module(r, &cmd->module, kind == KILN_WAST_ASSERT_MALFORMED ||
                                    kind == KILN_WAST_ASSERT_INVALID);
        if (kind == KILN_WAST_ASSERT_TRAP)
            cmd->kind = KILN_WAST_ASSERT_UNINSTANTIABLE;
    } else {
        cmd->has_action = true;
        action(r, &cmd->action);
    }
    if (kind == KILN_WAST_ASSERT_RETURN)
        results(r, cmd);
    else
        cmd->message = string(r, NULL);
    expect(r, WT_RPAR, "')'");
}

static void command(reader *r, kiln_wast_command *cmd)
{
    const wat_tok *open = peek(r);
    if (open->kind != WT_LPAR)
        kn_wat_fail(r->c, open, "unexpected token '%.*s', expected a command", (int)open->len,
                 open->s);
    const wat_tok *kw = &r->t[r->pos + 1];
    cmd->line = kw->line;
    if (kn_wat_tok_is(kw, "module")) {
        cmd->kind = KILN_WAST_MODULE;
        cmd->has_module = true;
        module(r, &cmd->module, false);
        return;
    }
    if (kn_wat_tok_is(kw, "register")) {
        cmd->kind = KILN_WAST_REGISTER;
        r->pos += 2;
        cmd->register_name = string(r, NULL);
        cmd->register_module = opt_name(r);
        expect(r, WT_RPAR, "')'");
        return;
    }
    if (kn_wat_tok_is(kw, "invoke") || kn_wat_tok_is(kw, "get")) {
        cmd->kind = KILN_WAST_ACTION;
        cmd->has_action = true;
        action(r, &cmd->action);
        return;
    }
    for (size_t i = 0; i < sizeof asserts / sizeof asserts[0]; i++)
        if (kn_wat_tok_is(kw, asserts[i].name)) {
            assertion(r, cmd, asserts[i].kind);
            return;
        }
    kn_wat_fail(r->c, kw, "unknown command '%.*s'", (int)kw->len, kw->s);
}

static bool is_command(const wat_tok *kw)
{
    static const char *const cmds[] = {"module", "register", "invoke", "get"};
    for (size_t i = 0; i < 4; i++)
        if (kn_wat_tok_is(kw, cmds[i]))
            return true;
    for (size_t i = 0; i < sizeof asserts / sizeof asserts[0]; i++)
        if (kn_wat_tok_is(kw, asserts[i].name))
            return true;
    return false;
}

/* A script of bare module fields is one module command. */
static void bare_module(reader *r)
{
    kiln_wast_script *s = r->s;
    s->cmds = kn_wat_grow(r->c, s->cmds, &s->cap, 1, sizeof *s->cmds);
    kiln_wast_command *cmd = &s->cmds[0];
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = KILN_WAST_MODULE;
    cmd->line = cmd->module.line = r->t[0].line;
    cmd->has_module = true;
    size_t end = r->pos;
    while (r->t[end].kind != WT_EOF)
        end++;
    uint8_t *out;
    size_t len;
    if (!kn_wat_parse_module(r->t, 0, end, true, r->names, &out, &len, r->c->err))
        longjmp(r->c->jb, 1);
    uint8_t *p = alloc(r, len + 1);
    memcpy(p, out, len);
    kiln_wat_free(out);
    cmd->module.bytes = p;
    cmd->module.len = len;
    s->n = 1;
}

static void script(reader *r)
{
    kiln_wast_script *s = r->s;
    if (peek(r)->kind == WT_LPAR && !is_command(&r->t[r->pos + 1])) {
        bare_module(r);
        return;
    }
    while (peek(r)->kind != WT_EOF) {
        s->cmds = kn_wat_grow(r->c, s->cmds, &s->cap, s->n + 1, sizeof *s->cmds);
        kiln_wast_command *cmd = &s->cmds[s->n];
        memset(cmd, 0, sizeof *cmd);
        command(r, cmd);
        s->n++;
    }
}

bool kiln_wast_parse(const char *text, size_t len, kiln_wast_script **out, kiln_wat_error *err)
{
    return kiln_wast_parse_opts(text, len, NULL, out, err);
}

bool kiln_wast_parse_opts(const char *text, size_t len, const kiln_wat_options *opts,
                          kiln_wast_script **out, kiln_wat_error *err)
{
    kiln_wat_error scratch;
    if (!err)
        err = &scratch;
    wat_tok *t;
    size_t n;
    if (!kn_wat_lex(text ? text : "", text ? len : 0, &t, &n, err))
        return false;
    kiln_wast_script *s = calloc(1, sizeof *s);
    if (!s) {
        free(t);
        kn_wat_set_error(err, NULL, "out of memory");
        return false;
    }
    wat_ctx c = {.err = err};
    reader r = {.c = &c, .t = t, .s = s, .names = opts && opts->debug_names};
    if (setjmp(c.jb)) {
        free(t);
        kiln_wast_free(s);
        return false;
    }
    script(&r);
    free(t);
    *out = s;
    return true;
}

size_t kiln_wast_count(const kiln_wast_script *s) { return s ? s->n : 0; }

const kiln_wast_command *kiln_wast_get(const kiln_wast_script *s, size_t i)
{
    return s && i < s->n ? &s->cmds[i] : NULL;
}

void kiln_wast_free(kiln_wast_script *s)
{
    if (!s)
        return;
    while (s->blocks) {
        arena_block *b = s->blocks;
        s->blocks = b->next;
        free(b);
    }
    free(s->cmds);
    free(s);
}
