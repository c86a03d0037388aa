/* main.c — runs every registered unit test; a test fails if any CHECK in it
 * failed.  Output ends with "unit: N passed, N failed". */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define MAX_TESTS 1024
static struct { const char *name; void (*fn)(void); } tests[MAX_TESTS];
static int ntests, cur_failed;

void unit_register(const char *name, void (*fn)(void))
{
    if (ntests < MAX_TESTS)
        { tests[ntests].name = name; tests[ntests].fn = fn; ntests++; }
}

void unit_fail(const char *file, int line, const char *msg)
{
    printf("  FAIL %s:%d: %s\n", file, line, msg);
    cur_failed = 1;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        cur_failed = 0;
        tests[i].fn();
        if (cur_failed) {
            printf("FAIL %s\n", tests[i].name);
            failed++;
        } else {
            passed++;
        }
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
