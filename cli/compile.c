/*
 * compile.c — `kiln compile FILE -o OUT.kcw`: compile a module to native
 * code ahead of time and write it as an artifact (src/jit/artifact.c),
 * which `kiln run OUT.kcw` runs without compiling again.
 *
 * The module is loaded with the native tier and no cache (the artifact
 * is what is asked for, made now), then kiln_module_serialize writes it;
 * the file is written whole to a temporary name and renamed, so a reader
 * never sees half an artifact.  A module none of whose functions the
 * native tier covers has no code to write: that is an error (exit 1),
 * since running the .kcw would gain nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kiln.h"
#include "util.h"

static const char compile_usage[] =
    "Usage: kiln compile [OPTIONS] FILE [-o OUT]\n"
    "\n"
    "Compile a WebAssembly module (binary or text) to x86-64 machine code\n"
    "and write it, with the module, as a kiln compiled module (.kcw) that\n"
    "'kiln run OUT' runs without compiling.  Functions using instructions\n"
    "the native tier does not cover yet stay interpreted, as with\n"
    "'kiln run --tier native'.\n"
    "\n"
    "An artifact runs only on the same kiln build, on a CPU with every\n"
    "feature of the one it was compiled on; otherwise 'kiln run' says why\n"
    "and compiles the module it holds again.  Its checksum detects damage,\n"
    "not forgery: run only artifacts you trust like any program.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT   Where to write (default: FILE with its .wasm or\n"
    "                     .wat extension replaced by .kcw)\n"
    "  -h, --help         Show this help\n"
    "\n"
    "Exit codes:\n"
    "  0    written\n"
    "  1    the module could not be read, is invalid, has no function the\n"
    "       native tier can compile, or OUT could not be written\n"
    "  2    usage error\n";

/* FILE's name with .wasm/.wat replaced (or .kcw appended). */
static char *default_output(const char *in)
{
    size_t n = strlen(in);
    const char *dot = strrchr(in, '.');
    const char *slash = strrchr(in, '/');
    if (dot && (!slash || dot > slash) && (strcmp(dot, ".wasm") == 0 || strcmp(dot, ".wat") == 0))
        n = (size_t)(dot - in);
    char *out = malloc(n + 5);
    if (out) {
        memcpy(out, in, n);
        memcpy(out + n, ".kcw", 5);
    }
    return out;
}

static int write_artifact(const char *path, const uint8_t *bytes, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        cli_error("%s: cannot write: %m", path);
        remove(tmp);
    }
    free(tmp);
    return ok ? CLI_EXIT_OK : CLI_EXIT_LOAD;
}

static int compile_main(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc;) {
        const char *a = argv[i], *v;
        int r;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(compile_usage, stdout);
            return CLI_EXIT_OK;
        }
        if ((r = option_value("compile", argv, argc, &i, "-o", &v)) != 0 ||
            (r = option_value("compile", argv, argc, &i, "--output", &v)) != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            out = v;
            continue;
        }
        if (a[0] == '-' && strcmp(a, "-") != 0)
            return usage_error("compile", "unknown option '%s'", a);
        if (in)
            return usage_error("compile", "unexpected argument '%s' (one FILE at a time)", a);
        in = a;
        i++;
    }
    if (!in)
        return usage_error("compile", "missing FILE");
    if (!out && strcmp(in, "-") == 0)
        return usage_error("compile", "reading stdin needs -o OUT");
    char *def = out ? NULL : default_output(in);
    if (!out && !def) {
        cli_error("out of memory");
        return CLI_EXIT_LOAD;
    }
    kiln_engine *engine;
    if (!new_engine_cached(KILN_TIER_NATIVE, false, false, &engine)) {
        free(def);
        return CLI_EXIT_LOAD;
    }
    kiln_module *m;
    int code = load_module(engine, in, &m);
    if (code == CLI_EXIT_OK) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        kiln_error *err = kiln_module_serialize(m, &bytes, &len);
        if (err) {
            cli_error("%s: %s", in, kiln_error_message(err));
            kiln_error_free(err);
            code = CLI_EXIT_LOAD;
        } else {
            code = write_artifact(out ? out : def, bytes, len);
            free(bytes);
        }
        kiln_module_free(m);
    }
    kiln_engine_free(engine);
    free(def);
    return code;
}

const cli_command cli_compile = {
    .name = "compile",
    .summary = "Compile a module to native code (.kcw) ahead of time",
    .usage = compile_usage,
    .main = compile_main,
};
