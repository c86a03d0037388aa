/* echo.c — answers with the request body (its stdin), byte for byte. */
#include <stdio.h>

int main(void)
{
    static char buf[65536];
    size_t n;
    printf("Content-Type: application/octet-stream\n\n");
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        fwrite(buf, 1, n, stdout);
    return 0;
}
