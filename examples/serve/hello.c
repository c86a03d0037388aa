/* hello.c — a WAGI handler for examples/serve/spin.toml: answers with the
 * file /greeting.txt (the component's `files` grant it read-only) and the
 * NAME its `environment` sets.  Built with
 *   clang-19 --target=wasm32-wasi -O2 -Wl,--strip-all -o hello.wasm hello.c */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    FILE *f = fopen("/greeting.txt", "r");
    if (!f) {
        printf("Status: 500\nContent-Type: text/plain\n\ncannot open /greeting.txt\n");
        return 0;
    }
    const char *name = getenv("NAME");
    printf("Content-Type: text/plain\n\nhello, %s says:\n", name ? name : "world");
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}
