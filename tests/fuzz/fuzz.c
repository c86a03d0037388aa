/*
 * fuzz.c — the libFuzzer target for kiln, written against include/kiln.h only.
 *
 * One input is one module binary.  The target decodes and validates it; if
 * it is valid, it makes a store with fuel and small limits, satisfies every
 * import with a dummy of the matching type (host functions that return zeros,
 * fresh memories, tables and globals), instantiates it (running any start
 * function) and calls every exported function with zero arguments.  Then it
 * frees everything, so LeakSanitizer sees every leak on the paths it took.
 *
 * Besides crashes and sanitizer reports, it aborts when the library breaks
 * a promise of kiln.h that the fuzzer can see:
 *   - every error has a kind in range and a message;
 *   - decode/validate errors carry an offset inside the input (or -1);
 *   - kiln_call with arguments that match the function type never fails
 *     with KILN_ERR_ARG;
 *   - a top-level call that ran out of fuel fails with kind KILN_ERR_LIMIT;
 *   - a successful call returns results of the function type's kinds.
 * The driving and the checks live in fuzz_harness.h, shared with the
 * structure-aware target fuzz_gen.c (which makes valid modules itself).
 *
 * The same entry point is used by tests/regress/regress.c, which runs every
 * reproducer in tests/fuzz/regress/ and tests/regress/ without libFuzzer.
 * With KILN_FUZZ_VERBOSE set in the environment it says on stderr what each
 * step did.
 */
#include <stdint.h>

#include "fuzz_harness.h"

#define FUZZ_FUEL 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fz_opts opts = {.tool = "kiln-fuzz", .fuel = FUZZ_FUEL};
    fz_run(data, size, &opts);
    return 0;
}
