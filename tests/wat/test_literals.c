/* test_literals.c — numeric literals, strings and errors of the text
 * format, through kiln_wat_to_wasm (the bytes of a constant expression). */
#include <string.h>

#include "kiln_wat.h"
#include "unit.h"

TEST(wat_empty_module)
{
    uint8_t *w;
    size_t n;
    kiln_wat_error e;
    CHECK(kiln_wat_to_wasm("(module)", 8, &w, &n, &e));
    CHECK_EQ(n, 8);
    kiln_wat_free(w);
}
