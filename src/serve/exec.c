/*
 * exec.c — one WAGI request in a fresh guest (see exec.h).
 *
 * The order mirrors `kiln run`: grants first (argv, environment, read-only
 * preopens, stdio), then a store carrying the component's limits, WASI in
 * the linker, instantiation (which may already trap in a start function)
 * and the call of the entry point.  A WASI proc_exit ends the call with
 * KILN_TRAP_EXIT: code 0 is a normal end, any other code a failed request.
 * Every outcome, including failures to start, is reported in the output
 * rather than as an error of this call, so the server always has something
 * to answer with.  Nothing here prints.
 */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kiln_wasi.h"

int kn_exec_component_init(kn_exec_component *c, kiln_engine *engine, const kn_component *spec,
                           char *err, size_t errlen)
{
    c->spec = spec;
    c->module = NULL;
    kiln_error *e = kiln_module_new(engine, spec->wasm, spec->wasm_len, &c->module);
    if (e) {
        snprintf(err, errlen, "%s: %s", spec->source_path, kiln_error_message(e));
        kiln_error_free(e);
        return -1;
    }
    return 0;
}

void kn_exec_component_fini(kn_exec_component *c)
{
    kiln_module_free(c->module);
    c->module = NULL;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A memfd holding DATA, positioned at its start; -1 on failure. */
static int memfd_with(const char *name, const uint8_t *data, size_t len)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if ((len > 0 && write_all(fd, data, len) < 0) || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The whole content of FD into a malloc'ed buffer (NUL-terminated). */
static int slurp(int fd, uint8_t **out, size_t *len)
{
    struct stat st;
    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) < 0)
        return -1;
    if (st.st_size == 0)
        return 0;
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    *out = buf;
    *len = got;
    return 0;
}

static void fail(kn_exec_output *o, const char *what, kiln_error *e)
{
    o->outcome = KN_EXEC_FAILED;
    snprintf(o->message, sizeof o->message, "%s%s%s", what, e ? ": " : "",
             e ? kiln_error_message(e) : "");
    kiln_error_free(e);
}

static kiln_error *config_build(const kn_exec_component *c, const kn_exec_input *in,
                                const int fds[3], kiln_wasi_config **out)
{
    kiln_wasi_config *cfg;
    kiln_error *e = kiln_wasi_config_new(&cfg);
    if (e)
        return e;
    const kn_component *s = c->spec;
    for (size_t i = 0; !e && in->argv[i]; i++)
        e = kiln_wasi_config_arg(cfg, in->argv[i]);
    /* The component's environment first: the request's variables win. */
    for (size_t i = 0; !e && i < s->nenv; i++)
        e = kiln_wasi_config_env(cfg, s->env_names[i], s->env_values[i]);
    for (size_t i = 0; !e && i < in->nenv; i++)
        e = kiln_wasi_config_env(cfg, in->env_names[i], in->env_values[i]);
    for (size_t i = 0; !e && i < s->ndirs; i++)
        e = kiln_wasi_config_preopen_dir(cfg, s->dirs[i].host_path, s->dirs[i].guest_path,
                                         KILN_WASI_DIR_READ);
    for (int fd = 0; !e && fd < 3; fd++)
        e = kiln_wasi_config_stdio(cfg, fd, fds[fd]);
    if (e) {
        kiln_wasi_config_free(cfg);
        return e;
    }
    *out = cfg;
    return NULL;
}

/* "MESSAGE (at f1 <- f2 <- f3)": enough of the backtrace for one log line. */
static void describe(kn_exec_output *o, kiln_error *e)
{
    int n = snprintf(o->message, sizeof o->message, "%s", kiln_error_message(e));
    size_t frames = kiln_error_frame_count(e);
    for (size_t i = 0; i < frames && i < 6 && n > 0 && (size_t)n < sizeof o->message; i++) {
        const char *name = kiln_error_frame_name(e, i);
        char idx[32];
        if (!name) {
            snprintf(idx, sizeof idx, "func[%u]", kiln_error_frame_func(e, i));
            name = idx;
        }
        n += snprintf(o->message + n, sizeof o->message - (size_t)n, "%s%s",
                      i == 0 ? " (at " : " <- ", name);
    }
    if (frames > 0 && n > 0 && (size_t)n + 2 < sizeof o->message)
        strcat(o->message, ")");
}

static void classify(kn_exec_output *o, kiln_error *e)
{
    if (!e) {
        o->outcome = KN_EXEC_OK;
        return;
    }
    o->trap = kiln_error_trap(e);
    if (o->trap == KILN_TRAP_EXIT) {
        o->exit_code = kiln_error_exit_code(e);
        o->outcome = o->exit_code == 0 ? KN_EXEC_OK : KN_EXEC_EXIT;
        if (o->exit_code != 0)
            snprintf(o->message, sizeof o->message, "exited with code %d", o->exit_code);
    } else {
        if (o->trap == KILN_TRAP_DEADLINE || o->trap == KILN_TRAP_INTERRUPT)
            o->outcome = KN_EXEC_TIMEOUT;
        else if (o->trap == KILN_TRAP_OUT_OF_FUEL)
            o->outcome = KN_EXEC_FUEL;
        else if (kiln_error_kind_of(e) == KILN_ERR_TRAP || kiln_error_kind_of(e) == KILN_ERR_HOST)
            o->outcome = KN_EXEC_TRAP;
        else
            o->outcome = KN_EXEC_FAILED;
        describe(o, e);
    }
    kiln_error_free(e);
}

/* Instantiates and calls; the store and WASI state exist only in here. */
static void run_in_store(const kn_exec_component *c, kiln_engine *engine, const kn_exec_input *in,
                         kiln_wasi *wasi, kn_exec_output *o)
{
    const kn_component_limits *lim = &c->spec->limits;
    kiln_store_limits sl = {.max_memory_bytes = lim->max_memory, .fuel = lim->fuel,
                            .timeout_ns = lim->timeout_ms * 1000000u};
    kiln_store *store = NULL;
    kiln_linker *linker = NULL;
    kiln_instance *inst = NULL;
    kiln_error *e = kiln_store_new(engine, &sl, &store);
    if (e) {
        fail(o, "store", e);
        return;
    }
    if ((e = kiln_linker_new(store, &linker)) || (e = kiln_wasi_define(wasi, store, linker))) {
        fail(o, "linker", e);
        goto out;
    }
    uint64_t t0 = now_ns();
    e = kiln_linker_instantiate(linker, c->module, &inst);
    o->instantiate_ns = now_ns() - t0;
    if (!e) {
        kiln_func *f = kiln_instance_export_func(inst, in->entrypoint);
        if (!f) {
            o->outcome = KN_EXEC_FAILED;
            snprintf(o->message, sizeof o->message, "no exported function '%s'", in->entrypoint);
        } else {
            e = kiln_call(store, f, NULL, 0, NULL, 0);
            classify(o, e);
        }
    } else if (kiln_error_kind_of(e) == KILN_ERR_LINK || kiln_error_kind_of(e) == KILN_ERR_NOMEM) {
        fail(o, "instantiate", e);
    } else {
        classify(o, e); /* a start function trapped or exited */
    }
    o->guest_ns = now_ns() - t0;
    if (lim->fuel)
        o->fuel_used = lim->fuel - kiln_store_fuel_remaining(store);
    kiln_memory *mem = inst ? kiln_instance_export_memory(inst, "memory") : NULL;
    o->memory_bytes = mem ? kiln_memory_size(mem) : 0;
out:
    kiln_linker_free(linker);
    kiln_store_free(store);
}

void kn_exec_run(const kn_exec_component *c, kiln_engine *engine, const kn_exec_input *in,
                 kn_exec_output *o)
{
    memset(o, 0, sizeof *o);
    int fds[3] = {memfd_with("kiln-stdin", in->body, in->body_len),
                  memfd_create("kiln-stdout", MFD_CLOEXEC), memfd_create("kiln-stderr", MFD_CLOEXEC)};
    kiln_wasi_config *cfg = NULL;
    kiln_wasi *wasi = NULL;
    kiln_error *e = NULL;
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
        fail(o, "memfd_create failed", NULL);
        goto out;
    }
    if ((e = config_build(c, in, fds, &cfg)) || (e = kiln_wasi_new(cfg, &wasi))) {
        fail(o, "WASI setup", e);
        goto out;
    }
    run_in_store(c, engine, in, wasi, o);
    uint8_t *err = NULL;
    if (slurp(fds[1], &o->out, &o->out_len) < 0 || slurp(fds[2], &err, &o->err_len) < 0) {
        free(o->out);
        o->out = NULL;
        o->out_len = 0;
        if (o->outcome == KN_EXEC_OK)
            fail(o, "out of memory reading the guest's output", NULL);
    }
    o->err = (char *)err;
out:
    kiln_wasi_free(wasi);
    kiln_wasi_config_free(cfg);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

void kn_exec_output_free(kn_exec_output *o)
{
    free(o->out);
    free(o->err);
    o->out = NULL;
    o->err = NULL;
}
