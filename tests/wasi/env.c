/*
 * env.c — the environment holds exactly what was granted.  run.sh passes
 *   --env GREETING=hello --env EMPTY= --env EQUALS=a=b=c --env KILN_WASI_PASS
 * with KILN_WASI_PASS=passed-through (and HOME, PATH, ...) set on the
 * host.  Checks getenv of each, that HOME and PATH are absent, and prints
 * environ sorted (so its order does not matter); also setenv/unsetenv in
 * the guest.
 */
#include "check.h"

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    CHECK_INIT();
    const char *v;
    v = getenv("GREETING");
    CHECK(v && strcmp(v, "hello") == 0, "GREETING=hello");
    v = getenv("EMPTY");
    CHECK(v && strcmp(v, "") == 0, "EMPTY is set and empty");
    v = getenv("EQUALS");
    CHECK(v && strcmp(v, "a=b=c") == 0, "EQUALS=a=b=c (only the first = splits)");
    v = getenv("KILN_WASI_PASS");
    CHECK(v && strcmp(v, "passed-through") == 0, "--env NAME passes the host's value through");
    CHECK(getenv("HOME") == NULL, "HOME is not visible");
    CHECK(getenv("PATH") == NULL, "PATH is not visible");
    CHECK(getenv("KILN_WASI_NOT_GRANTED") == NULL, "a host variable that was not granted is not visible");

    int n = 0;
    while (environ[n])
        n++;
    CHECK_INT(n, 4, "environ has exactly 4 entries");
    char **copy = calloc((size_t)n + 1, sizeof *copy);
    for (int i = 0; i < n; i++)
        copy[i] = environ[i];
    qsort(copy, (size_t)n, sizeof *copy, cmp);
    for (int i = 0; i < n; i++)
        printf("environ: %s\n", copy[i]);
    free(copy);

    CHECK_INT(setenv("NEW", "value", 1), 0, "setenv NEW");
    v = getenv("NEW");
    CHECK(v && strcmp(v, "value") == 0, "getenv NEW after setenv");
    CHECK_INT(unsetenv("GREETING"), 0, "unsetenv GREETING");
    CHECK(getenv("GREETING") == NULL, "GREETING gone after unsetenv");
    CHECK_DONE();
}
