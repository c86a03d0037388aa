/* hello.c — the smallest WAGI handler: a text/plain greeting, naming the
 * GREETING variable of the manifest's environment when it has one (the
 * reload tests change it). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    const char *g = getenv("GREETING");
    printf("Content-Type: text/plain\n\nhello %s\n", g ? g : "world");
    return 0;
}
