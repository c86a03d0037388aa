/* cmd.c — a WASI command (built without -mexec-model=reactor): its
 * _start runs main, which sets the output and exits with the status the
 * input names; Extism calls _start only when asked to and starts a new
 * instance afterwards. */
#include <stdlib.h>

#include "../../pdk/kiln_pdk.h"

static int calls;

int main(void)
{
    uint64_t n;
    char *in = (char *)kp_input(&n);
    char num[24];
    kp_output_str(kp_utoa((uint64_t)++calls, num));   /* 1: a fresh instance */
    exit(n ? atoi(in) : 0);
}
