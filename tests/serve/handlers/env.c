/* env.c — echoes its whole environment (NAME=VALUE per line, as given) and
 * argv (argv[N]=VALUE), so the tests can check every WAGI variable. */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("Content-Type: text/plain\n\n");
    for (char **e = environ; *e; e++)
        printf("%s\n", *e);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
}
