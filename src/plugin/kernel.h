/*
 * kernel.h — the Extism kernel's memory, natively: a per-instance byte
 * arena, separate from the plugin's linear memory, holding blocks
 * addressed by i64 handles (offsets into the arena; 0 is null and never a
 * block), plus the call's input, output and error.
 *
 * Semantics are those of extism/extism kernel/src/lib.rs: alloc(0) is 0,
 * length() of anything but a live block's start is 0, free of a non-block
 * does nothing, reset frees every block.  Unlike Extism's wasm kernel,
 * every load/store is bounds-checked against the arena (a false return is
 * turned into a trap by the caller), so a hostile plugin can neither read
 * outside kernel memory nor crash the host.  The arena never shrinks
 * during a call; kn_kernel_reset (at the start of each call) drops back to
 * a small size.  Not thread-safe: one instance, one call at a time.
 */
#ifndef KN_PLUGIN_KERNEL_H
#define KN_PLUGIN_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

typedef struct kn_kernel kn_kernel;

/* max_bytes caps the arena (0: 1 GiB); alloc beyond it returns 0. */
kiln_error *kn_kernel_new(uint64_t max_bytes, kn_kernel **out);
void kn_kernel_free(kn_kernel *k);
/* Free every block; input, output and error become 0. */
void kn_kernel_reset(kn_kernel *k);

uint64_t kn_kernel_alloc(kn_kernel *k, uint64_t n);     /* 0: n == 0 or no room */
void kn_kernel_dealloc(kn_kernel *k, uint64_t handle);  /* the kernel's free */
uint64_t kn_kernel_length(const kn_kernel *k, uint64_t handle);
/* Extism's length_unsafe: no liveness check beyond staying in bounds. */
uint64_t kn_kernel_length_unsafe(const kn_kernel *k, uint64_t handle);
uint64_t kn_kernel_memory_bytes(const kn_kernel *k);    /* arena size now */

/* Bounds-checked accesses at any offset inside the arena. */
bool kn_kernel_load_u8(const kn_kernel *k, uint64_t off, uint8_t *v);
bool kn_kernel_load_u64(const kn_kernel *k, uint64_t off, uint64_t *v);
bool kn_kernel_store_u8(kn_kernel *k, uint64_t off, uint8_t v);
bool kn_kernel_store_u64(kn_kernel *k, uint64_t off, uint64_t v);
/* [off, off+len) inside the arena, or NULL.  Valid until the next alloc. */
uint8_t *kn_kernel_ptr(kn_kernel *k, uint64_t off, uint64_t len);

/* The input: copied into a new block; input_offset/length report it. */
kiln_error *kn_kernel_set_input(kn_kernel *k, const void *bytes, uint64_t len);
uint64_t kn_kernel_input_offset(const kn_kernel *k);
uint64_t kn_kernel_input_length(const kn_kernel *k);
/* input_load_*: offset relative to the input's start, bounds-checked
 * against the input. */
bool kn_kernel_input_load_u8(const kn_kernel *k, uint64_t off, uint8_t *v);
bool kn_kernel_input_load_u64(const kn_kernel *k, uint64_t off, uint64_t *v);

/* output_set(off, len) and error_set(handle) as Extism records them; the
 * plugin host reads the bytes after the call (false/NULL when the range
 * is not inside the arena). */
void kn_kernel_output_set(kn_kernel *k, uint64_t off, uint64_t len);
void kn_kernel_error_set(kn_kernel *k, uint64_t handle);
uint64_t kn_kernel_error_get(const kn_kernel *k);
const uint8_t *kn_kernel_output(kn_kernel *k, uint64_t *len);
const uint8_t *kn_kernel_error(kn_kernel *k, uint64_t *len);

#endif
