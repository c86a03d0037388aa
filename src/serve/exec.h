/*
 * exec.h — running one WAGI request in a guest: the seam between the HTTP
 * core and the engine.
 *
 * kn_exec_run is the only place that instantiates a guest.  It takes an
 * instance slot from the component's kiln_template (kiln.h), which resets
 * memory, tables and globals between uses, so a handler's state starts
 * from its initial values every time; a module that imports a memory,
 * table or global cannot be templated and gets a fresh store per request
 * instead.  The request body is the guest's stdin and its stdout and
 * stderr are captured, all in memory (kiln_wasi's in-memory stdio), with
 * the caps below.
 *
 * Thread-safety: a kn_exec_component is immutable after kn_exec_component_new
 * and may be shared by every guest thread; kn_exec_run uses only its own
 * store, so any number may run at once.
 */
#ifndef KN_SERVE_EXEC_H
#define KN_SERVE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"
#include "manifest.h"

/* A component ready to run: its module compiled once per app version, and
 * (when the module imports nothing but functions) a template whose pool of
 * instance slots serves its requests. */
typedef struct kn_exec_component {
    const kn_component *spec; /* borrowed from the app */
    kiln_module *module;
    kiln_template_builder *builder; /* WASI, defined once */
    kiln_template *tmpl;            /* NULL: a fresh store per request */
} kn_exec_component;

/* What a guest may write to stdout (the response) and stderr (the log)
 * in one request; writes past the cap fail with errno fbig. */
#define KN_EXEC_MAX_STDOUT ((size_t)64 << 20)
#define KN_EXEC_MAX_STDERR ((size_t)1 << 20)

/* Compiles SPEC's Wasm with ENGINE.  Returns 0, or -1 with a message. */
int kn_exec_component_init(kn_exec_component *c, kiln_engine *engine, const kn_component *spec,
                           char *err, size_t errlen);
void kn_exec_component_fini(kn_exec_component *c);

typedef struct kn_exec_input {
    const char *const *argv; /* NULL-terminated */
    const char *const *env_names, *const *env_values;
    size_t nenv;
    const char *entrypoint; /* "_start" */
    const uint8_t *body;
    size_t body_len;
    /* Nonzero: a time slice shorter than the component's timeout, for a
     * run on an event loop; reaching it ends the run with KN_EXEC_SLICE. */
    uint64_t slice_ns;
} kn_exec_input;

typedef enum kn_exec_outcome {
    KN_EXEC_OK,        /* returned, or proc_exit(0): stdout is the response */
    KN_EXEC_EXIT,      /* proc_exit with a nonzero code (a 500, as Spin) */
    KN_EXEC_TRAP,      /* a trap (memory out of bounds, unreachable, ...) */
    KN_EXEC_TIMEOUT,   /* the component's timeout passed (a 504) */
    KN_EXEC_FUEL,      /* the component's fuel ran out */
    KN_EXEC_FAILED,    /* could not start: link error, out of host memory */
    KN_EXEC_SLICE,     /* in->slice_ns passed first: nothing to answer with */
} kn_exec_outcome;

typedef struct kn_exec_output {
    kn_exec_outcome outcome;
    int exit_code;
    kiln_trap_code trap;
    uint8_t *out; /* stdout, malloc'ed (NULL when empty) */
    size_t out_len;
    char *err; /* stderr, malloc'ed, NUL-terminated (NULL when empty) */
    size_t err_len;
    char message[256]; /* what went wrong, with a short backtrace (for the log) */
    uint64_t instantiate_ns; /* making the instance (start function included) */
    uint64_t guest_ns, fuel_used, memory_bytes; /* guest_ns: instantiation and the call */
} kn_exec_output;

/* Runs C's entry point for one request.  Always fills OUT (free it with
 * kn_exec_output_free), whatever happens in the guest. */
void kn_exec_run(const kn_exec_component *c, kiln_engine *engine, const kn_exec_input *in,
                 kn_exec_output *out);
void kn_exec_output_free(kn_exec_output *out);

#endif
