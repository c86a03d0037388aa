/* sleep.c — sleeps ?ms=N milliseconds (default 1000) before answering,
 * for the concurrency, timeout and drain tests; names the manifest's
 * VERSION when it has one (the reload tests check which version answered). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void)
{
    const char *q = getenv("QUERY_STRING");
    long ms = 1000;
    if (q && strncmp(q, "ms=", 3) == 0)
        ms = atol(q + 3);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    const char *v = getenv("VERSION");
    printf("Content-Type: text/plain\n\nslept %ld ms%s%s\n", ms, v ? " on " : "", v ? v : "");
    return 0;
}
