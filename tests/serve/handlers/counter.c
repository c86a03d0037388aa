/* counter.c — a global and a static that a handler sharing its instance
 * with an earlier request would see changed: each request must print 1 1. */
#include <stdio.h>

int global_count;

int main(void)
{
    static int static_count;
    global_count++;
    static_count++;
    printf("Content-Type: text/plain\n\n%d %d\n", global_count, static_count);
    return 0;
}
