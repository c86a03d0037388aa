/* echo.c — a WAGI handler for examples/serve/spin.toml: tells the client
 * what it asked (method, the path below /echo, the query string) and sends
 * its body back.  The request arrives as a CGI request does: variables in
 * the environment, the body on stdin; what the handler prints, headers
 * then an empty line then the body, is the response.  Built with
 *   clang-19 --target=wasm32-wasi -O2 -Wl,--strip-all -o echo.wasm echo.c */
#include <stdio.h>
#include <stdlib.h>

static const char *var(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "";
}

int main(void)
{
    printf("Content-Type: text/plain\n\n");
    printf("%s %s query '%s'\n", var("REQUEST_METHOD"), var("PATH_INFO"), var("QUERY_STRING"));
    char buf[512];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        if (total == 0)
            printf("body: ");
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    if (total)
        printf("\n(%zu bytes)\n", total);
    return 0;
}
