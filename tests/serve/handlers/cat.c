/* cat.c — answers with the file PATH_INFO names in the component's
 * read-only files, 404 when it cannot be opened, and tries to write next
 * to it when asked (?write), which the read-only grant must refuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const char *path = getenv("PATH_INFO"), *q = getenv("QUERY_STRING");
    if (q && strcmp(q, "write") == 0) {
        FILE *w = fopen("/new.txt", "w");
        printf("Content-Type: text/plain\n\n%s\n", w ? "written" : "refused");
        return 0;
    }
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        printf("Status: 404\nContent-Type: text/plain\n\nno such file\n");
        return 0;
    }
    printf("Content-Type: text/plain\n\n");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    return 0;
}
