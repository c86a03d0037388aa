/* host.c — a plugin calling host functions of the embedder (module
 * "extism:host/user") with every value type, and one passing kernel
 * blocks both ways. */
#include "../pdk/kiln_pdk.h"

#define KP_USER(name) __attribute__((import_module("extism:host/user"), import_name(name)))
KP_USER("add_i32") int32_t add_i32(int32_t a, int32_t b);
KP_USER("mul_i64") int64_t mul_i64(int64_t a, int64_t b);
KP_USER("half_f32") float half_f32(float x);
KP_USER("scale_f64") double scale_f64(double x, float by);
KP_USER("upper") kp_handle upper(kp_handle text);

KP_EXPORT(numbers)
{
    char out[128] = "", num[24];
    if (add_i32(-5, 12) != 7 || add_i32(INT32_MAX, 1) != INT32_MIN)
        return kp_error("add_i32");
    if (mul_i64(1ll << 40, -3) != -(3ll << 40))
        return kp_error("mul_i64");
    if (half_f32(3.0f) != 1.5f)
        return kp_error("half_f32");
    if (scale_f64(0.1, 4.0f) != 0.4)
        return kp_error("scale_f64");
    strcat(out, "ok ");
    strcat(out, kp_utoa((uint64_t)add_i32(40, 2), num));
    kp_output_str(out);
    return 0;
}

KP_EXPORT(shout)
{
    kp_handle r = upper(kp_input_offset());
    kp_output_set(r, kp_length(r));
    return 0;
}
