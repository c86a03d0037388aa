/* wasi.c — a plugin that uses WASI (granted with options.wasi): reads
 * the file named by its input through the preopens of allowed_paths, or,
 * for "write:PATH", writes one. */
#include <stdio.h>

#include "../pdk/kiln_pdk.h"

KP_EXPORT(read_file)
{
    uint64_t n;
    char *path = (char *)kp_input(&n);
    FILE *f = fopen(path, "r");
    if (!f)
        return kp_error("cannot open");
    char buf[256];
    size_t got = fread(buf, 1, sizeof buf, f);
    fclose(f);
    kp_output(buf, got);
    return 0;
}

KP_EXPORT(write_file)
{
    uint64_t n;
    char *path = (char *)kp_input(&n);
    FILE *f = fopen(path, "w");
    if (!f)
        return kp_error("cannot create");
    fputs("written by the plugin\n", f);
    fclose(f);
    kp_output_str("written");
    return 0;
}

KP_EXPORT(say)
{
    printf("to stdout\n");
    fprintf(stderr, "to stderr\n");
    fflush(stdout);
    kp_output_str("said");
    return 0;
}
