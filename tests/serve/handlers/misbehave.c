/* misbehave.c — one bad or unusual answer per query string, for the
 * server's error paths and the CGI rules:
 *   trap       unreachable          loop      never ends
 *   oom        allocates until malloc fails, then aborts (a trap)
 *   exit3      proc_exit(3)         exit0     proc_exit(0) after a response
 *   status     Status: 201 and a body
 *   location   only a Location header (302 by the CGI rules)
 *   noheaders  a body without any server header (a 500)
 *   badheader  a header name that is not a token (a 502)
 *   stderr     two lines on stderr, then a normal answer */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is(const char *q, const char *s)
{
    return strcmp(q, s) == 0;
}

int main(void)
{
    const char *q = getenv("QUERY_STRING");
    if (!q)
        q = "";
    if (is(q, "trap"))
        __builtin_trap();
    if (is(q, "loop"))
        for (volatile unsigned i = 0;; i++)
            ;
    if (is(q, "oom")) {
        /* kept reachable and touched, so the compiler cannot drop them */
        static char *volatile last;
        for (;;) {
            char *p = malloc(1 << 20);
            if (!p)
                abort();
            p[0] = 1;
            *(char **)p = last;
            last = p;
        }
    }
    if (is(q, "exit3")) {
        printf("Content-Type: text/plain\n\nnot this\n");
        fflush(stdout);
        exit(3);
    }
    if (is(q, "exit0")) {
        printf("Content-Type: text/plain\n\nexited 0\n");
        fflush(stdout);
        exit(0);
    }
    if (is(q, "status"))
        printf("Status: 201 Made\nContent-Type: text/plain\nX-Custom: yes\n\ncreated\n");
    else if (is(q, "location"))
        printf("Location: /elsewhere\n\n");
    else if (is(q, "noheaders"))
        printf("X-Only: this\n\nbody\n");
    else if (is(q, "badheader"))
        printf("Content-Type: text/plain\nBad Name: x\n\nbody\n");
    else if (is(q, "stderr")) {
        fprintf(stderr, "first line\nsecond line\n");
        printf("Content-Type: text/plain\n\nlogged\n");
    } else
        printf("Content-Type: text/plain\n\nok\n");
    return 0;
}
