/*
 * embed_wasi.c — running a WASI command from C, through kiln.h and
 * kiln_wasi.h: the embedder decides what the guest may touch (here one
 * directory, read-only, and one environment variable) and captures the
 * guest's stdout through a pipe instead of letting it print.
 *
 *   embed_wasi MODULE.wasm DIR [ARGS...]
 *
 * runs MODULE with DIR granted as /data and ARGS as its arguments, then
 * prints what the guest wrote to stdout and its exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kiln.h"
#include "kiln_wasi.h"

static int fail(const char *what, kiln_error *e)
{
    fprintf(stderr, "embed_wasi: %s: %s\n", what, kiln_error_message(e));
    kiln_error_free(e);
    return 1;
}

/* The whole file, malloc'd. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: embed_wasi MODULE.wasm DIR [ARGS...]\n");
        return 2;
    }
    size_t len;
    uint8_t *bytes = slurp(argv[1], &len);
    int out[2];
    if (!bytes || pipe(out) != 0) {
        perror(argv[1]);
        return 1;
    }

    /* The grants: argv, one variable, DIR read-only as /data, stdout to
     * our pipe.  Nothing else of this process is visible to the guest. */
    kiln_wasi_config *cfg;
    kiln_wasi *wasi;
    kiln_error *e;
    if ((e = kiln_wasi_config_new(&cfg)))
        return fail("config", e);
    for (int i = 2; i < argc && !e; i++)
        e = kiln_wasi_config_arg(cfg, i == 2 ? "guest" : argv[i]);
    if (!e)
        e = kiln_wasi_config_env(cfg, "GREETING", "hello");
    if (!e)
        e = kiln_wasi_config_preopen_dir(cfg, argv[2], "/data", KILN_WASI_DIR_READ);
    if (!e)
        e = kiln_wasi_config_stdio(cfg, 1, out[1]);
    if (!e)
        e = kiln_wasi_new(cfg, &wasi); /* opens DIR now */
    kiln_wasi_config_free(cfg);
    close(out[1]); /* the guest has its own copy */
    if (e)
        return fail("grants", e);

    kiln_engine *engine;
    kiln_module *module;
    kiln_store *store;
    kiln_linker *linker;
    kiln_instance *inst;
    kiln_store_limits limits = {.max_memory_bytes = 64u << 20, .timeout_ns = 10000000000u};
    if ((e = kiln_engine_new(NULL, &engine)) ||
        (e = kiln_module_new(engine, bytes, len, &module)))
        return fail("module", e);
    free(bytes);
    if ((e = kiln_store_new(engine, &limits, &store)) || (e = kiln_linker_new(store, &linker)) ||
        (e = kiln_wasi_define(wasi, store, linker)) ||
        (e = kiln_linker_instantiate(linker, module, &inst)))
        return fail("instantiate", e);

    /* A command's entry point is _start; proc_exit ends it with an error
     * that carries the exit code (returning from main exits with 0 too). */
    kiln_func *start = kiln_instance_export_func(inst, "_start");
    if (!start) {
        fprintf(stderr, "embed_wasi: %s is not a command (no _start)\n", argv[1]);
        return 1;
    }
    int code = 0;
    e = kiln_call(store, start, NULL, 0, NULL, 0);
    if (e && kiln_error_trap(e) == KILN_TRAP_EXIT) {
        code = kiln_error_exit_code(e);
        kiln_error_free(e);
    } else if (e) {
        return fail("trap", e);
    }
    kiln_linker_free(linker);
    kiln_store_free(store);
    kiln_wasi_free(wasi); /* after the store: closes the guest's fds */
    kiln_module_free(module);
    kiln_engine_free(engine);

    /* Read only now, after the guest has finished: enough for a small
     * output that fits the pipe; a real embedder reads it from another
     * thread, or gives the guest a file. */
    char buf[4096];
    ssize_t n;
    printf("the guest wrote:\n");
    while ((n = read(out[0], buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    printf("and exited with %d\n", code);
    close(out[0]);
    return 0;
}
