/*
 * errors.h — the layout of kiln_error and the engine's helpers to make one.
 * The public accessors live in errors.c; nothing outside the engine sees the
 * struct.
 */
#ifndef KN_ERRORS_H
#define KN_ERRORS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

typedef struct kn_frame_info {
    uint32_t func;
    char *name;
} kn_frame_info;

struct kiln_error {
    kiln_error_kind kind;
    kiln_trap_code trap;
    int64_t offset;
    int exit_code;
    char *message;
    kn_frame_info *frames;
    size_t nframes, cap_frames;
    bool is_static;             /* the shared out-of-memory error */
};

kiln_error *kn_error_new(kiln_error_kind kind, int64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
kiln_error *kn_error_vnew(kiln_error_kind kind, int64_t offset, const char *fmt, va_list ap);
kiln_error *kn_error_nomem(void);
kiln_error *kn_trap_new(kiln_trap_code code);
const char *kn_trap_message(kiln_trap_code code);
bool kn_error_add_frame(kiln_error *e, uint32_t func, const char *name);

#endif
