/* main.c — the main module of a two-module plugin, linked by name to
 * lib.c's module ("lib"). */
#include "../../pdk/kiln_pdk.h"

__attribute__((import_module("lib"), import_name("triple"))) int32_t triple(int32_t x);

KP_EXPORT(run)
{
    uint64_t n;
    char *in = (char *)kp_input(&n);
    int32_t v = 0;
    for (uint64_t i = 0; i < n && in[i] >= '0' && in[i] <= '9'; i++)
        v = v * 10 + (in[i] - '0');
    char num[24];
    kp_output_str(kp_utoa((uint64_t)triple(v), num));
    return 0;
}
