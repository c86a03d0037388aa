/*
 * ctx.c — what an embedder's host function may do with the call it serves
 * (kiln_plugin_ctx is the instance running that call): read and make
 * kernel blocks, and find the call's user_data.
 */
#include <string.h>

#include "plugin_impl.h"

uint8_t *kiln_plugin_ctx_block(kiln_plugin_ctx *ctx, uint64_t handle, uint64_t *len)
{
    uint64_t n = ctx ? kn_kernel_length(ctx->kernel, handle) : 0;
    uint8_t *p = n ? kn_kernel_ptr(ctx->kernel, handle, n) : NULL;
    if (len)
        *len = p ? n : 0;
    return p;
}

kiln_error *kiln_plugin_ctx_alloc(kiln_plugin_ctx *ctx, const void *bytes, uint64_t len,
                                  uint64_t *handle)
{
    if (!ctx || !handle || (!bytes && len))
        return kiln_error_new(KILN_ERR_ARG, "kiln_plugin_ctx_alloc: NULL argument");
    if (!len) {
        *handle = 0;   /* the kernel's alloc(0) */
        return NULL;
    }
    uint64_t h = kn_kernel_alloc(ctx->kernel, len);
    uint8_t *dst = h ? kn_kernel_ptr(ctx->kernel, h, len) : NULL;
    if (!dst) {
        ctx->kernel_full = true;
        return kiln_error_new(KILN_ERR_LIMIT, "kernel memory is full (%llu bytes wanted)",
                              (unsigned long long)len);
    }
    memcpy(dst, bytes, len);
    *handle = h;
    return NULL;
}

void kiln_plugin_ctx_free(kiln_plugin_ctx *ctx, uint64_t handle)
{
    if (ctx)
        kn_kernel_dealloc(ctx->kernel, handle);
}

void *kiln_plugin_ctx_user_data(kiln_plugin_ctx *ctx) { return ctx ? ctx->user_data : NULL; }
