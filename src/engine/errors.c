/*
 * errors.c — kiln_error values: a kind, a message, and where it applies a
 * byte offset, a trap code, an exit code and a backtrace.
 *
 * Errors are plain heap objects owned by whoever receives them.  Making one
 * must never fail in a way that loses the kind: if the message cannot be
 * allocated the error keeps a static fallback message.  They are the one
 * thing of the engine made with malloc, not the embedder's allocator hook
 * (kiln.h): host functions make them with no engine at hand, and they may
 * outlive the engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static const char nomem_msg[] = "out of memory";
static kiln_error nomem_error = {.kind = KILN_ERR_NOMEM, .offset = -1, .message = (char *)nomem_msg,
                                 .is_static = true};

kiln_error *kn_error_vnew(kiln_error_kind kind, int64_t offset, const char *fmt, va_list ap)
{
    kiln_error *e = calloc(1, sizeof *e);
    if (!e)
        return &nomem_error;
    e->kind = kind;
    e->offset = offset;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    e->message = malloc((size_t)n + 1);
    if (!e->message) {
        free(e);
        return &nomem_error;
    }
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
    return e;
}

kiln_error *kn_error_new(kiln_error_kind kind, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_error *e = kn_error_vnew(kind, offset, fmt, ap);
    va_end(ap);
    return e;
}

kiln_error *kn_error_nomem(void) { return &nomem_error; }

const char *kn_trap_message(kiln_trap_code c)
{
    switch (c) {
    case KILN_TRAP_NONE: return "no trap";
    case KILN_TRAP_UNREACHABLE: return "unreachable";
    case KILN_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case KILN_TRAP_TABLE_OOB: return "out of bounds table access";
    case KILN_TRAP_INT_DIV_ZERO: return "integer divide by zero";
    case KILN_TRAP_INT_OVERFLOW: return "integer overflow";
    case KILN_TRAP_BAD_CONVERSION: return "invalid conversion to integer";
    case KILN_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
    case KILN_TRAP_UNINIT_ELEMENT: return "uninitialized element";
    case KILN_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case KILN_TRAP_OUT_OF_FUEL: return "all fuel consumed";
    case KILN_TRAP_DEADLINE: return "deadline exceeded";
    case KILN_TRAP_INTERRUPT: return "interrupted";
    case KILN_TRAP_HOST: return "host trap";
    case KILN_TRAP_EXIT: return "exit";
    case KILN_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    }
    return "unknown trap";
}

kiln_error *kn_trap_new(kiln_trap_code code)
{
    kiln_error_kind kind = KILN_ERR_TRAP;
    if (code == KILN_TRAP_OUT_OF_FUEL || code == KILN_TRAP_DEADLINE || code == KILN_TRAP_INTERRUPT)
        kind = KILN_ERR_LIMIT;
    kiln_error *e = kn_error_new(kind, -1, "%s", kn_trap_message(code));
    if (e != &nomem_error)
        e->trap = code;
    return e;
}

bool kn_error_add_frame(kiln_error *e, uint32_t func, const char *name)
{
    if (e->is_static)
        return false;
    if (e->nframes == e->cap_frames) {
        size_t cap = e->cap_frames ? e->cap_frames * 2 : 8;
        kn_frame_info *f = realloc(e->frames, cap * sizeof *f);
        if (!f)
            return false;
        e->frames = f;
        e->cap_frames = cap;
    }
    e->frames[e->nframes].func = func;
    e->frames[e->nframes].name = NULL;
    if (name) {
        size_t n = strlen(name);
        e->frames[e->nframes].name = malloc(n + 1);
        if (e->frames[e->nframes].name)
            memcpy(e->frames[e->nframes].name, name, n + 1);
    }
    e->nframes++;
    return true;
}

kiln_error *kiln_trap_new(const char *message)
{
    kiln_error *e = kn_error_new(KILN_ERR_HOST, -1, "%s", message ? message : "host trap");
    if (!e->is_static)
        e->trap = KILN_TRAP_HOST;
    return e;
}

kiln_error *kiln_error_new(kiln_error_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kiln_error *e = kn_error_vnew(kind, -1, fmt ? fmt : "error", ap);
    va_end(ap);
    return e;
}

kiln_error *kiln_exit_new(int code)
{
    kiln_error *e = kn_error_new(KILN_ERR_HOST, -1, "exit with code %d", code);
    if (!e->is_static) {
        e->trap = KILN_TRAP_EXIT;
        e->exit_code = code;
    }
    return e;
}

kiln_error_kind kiln_error_kind_of(const kiln_error *e) { return e->kind; }
const char *kiln_error_message(const kiln_error *e) { return e->message; }
int64_t kiln_error_offset(const kiln_error *e) { return e->offset; }
kiln_trap_code kiln_error_trap(const kiln_error *e) { return e->trap; }
int kiln_error_exit_code(const kiln_error *e) { return e->exit_code; }
size_t kiln_error_frame_count(const kiln_error *e) { return e->nframes; }
uint32_t kiln_error_frame_func(const kiln_error *e, size_t i)
{
    return i < e->nframes ? e->frames[i].func : 0;
}
const char *kiln_error_frame_name(const kiln_error *e, size_t i)
{
    return i < e->nframes ? e->frames[i].name : NULL;
}

void kiln_error_free(kiln_error *e)
{
    if (!e || e->is_static)
        return;
    for (size_t i = 0; i < e->nframes; i++)
        free(e->frames[i].name);
    free(e->frames);
    free(e->message);
    free(e);
}
