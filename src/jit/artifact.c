/*
 * artifact.c — a module's native code as bytes: the .kcw artifact that
 * `kiln compile` writes and kiln_module_deserialize reads, and the code
 * cache kiln_module_new keeps in kiln_config.cache_dir, which stores the
 * same artifacts.
 *
 * Layout (every integer little-endian; offsets in bytes):
 *
 *     0   magic       89 'K' 'C' 'W' 0d 0a 1a 0a (PNG-style: a text-mode
 *                     transfer or a truncated copy shows in the first bytes)
 *     8   u32 format  KN_KCW_FORMAT; another value is rejected as such
 *    12   u32 flags   0
 *    16   version     kiln's version string, NUL-padded to 16 bytes
 *    32   build[32]   sha256 of the build id of the binary holding kiln
 *                     (ELF NT_GNU_BUILD_ID; kiln's version string and the
 *                     compile date when there is none)
 *    64   u64 cpu     the CPU features present where it was compiled
 *                     (KN_CPU_* bits; a superset of those the code uses)
 *    72   u64 config  hash of the configuration the code depends on (tier)
 *    80   module_sha256[32]
 *   112   u32 nfuncs  functions of the module, imports included
 *   116   u32 nrelocs
 *   120   u64 module_len
 *   128   u64 code_len
 *   136   the module's bytes                       module_len
 *         u32 entry[nfuncs]: offset of function i's code, 0 = interpreted
 *         (u32 at, u32 sym)[nrelocs]: an 8-byte helper address at `at`,
 *                     helper `sym` of reloc.c's table, in increasing `at`
 *         the code, helper addresses zeroed            code_len
 *         sha256 of everything above                   32
 *
 * The version and build pin the code to the exact kiln that made it: the
 * code reads kiln's structures at fixed offsets and its templates change
 * between builds without the version changing.  Reading checks, in this
 * order, and names the first failure: the magic and the header are there
 * ("truncated"), the format, the sections' lengths add up to the file's
 * ("truncated" / "trailing bytes"), the checksum, the module against its
 * digest ("tampered"), version and build, CPU (the artifact's features must
 * all be present here), configuration.  Then the module is decoded,
 * validated and lowered as any module, and kn_jit_load (jit.c) checks the
 * code's own structure (trampoline, entries, relocations) against it
 * before anything is mapped executable.  The checksum catches damage, not
 * forgery: an artifact is trusted like a shared library.
 *
 * The cache: one file per key, <dir>/<hex sha256 of (module digest,
 * version, build, CPU features, config)>.kcw, so builds and machines
 * sharing a directory do not evict each other.  A hit also compares the
 * embedded module with the module being made, byte for byte.  A rejected
 * or unreadable entry is recompiled and overwritten; every write is a
 * temporary file renamed into place (os.h).  No eviction: delete the
 * directory to empty it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "jit.h"
#include "lower.h"
#include "os/os.h"
#include "sha2.h"

#if defined(__x86_64__) && defined(__linux__)
#define KN_ART_X64 1
#else
#define KN_ART_X64 0
#endif

#define KN_KCW_FORMAT 1u
#define KN_KCW_HDR 136u
#define KN_KCW_SUM 32u

static const uint8_t kcw_magic[8] = {0x89, 'K', 'C', 'W', 0x0d, 0x0a, 0x1a, 0x0a};

/* ---- CPU features --------------------------------------------------- */

/* Every feature recorded, whether or not today's templates use it: the
 * artifact then stays safe whichever ones later templates use. */
#define KN_CPU_FEATURES(X)                                                      \
    X(0, "popcnt") X(1, "sse3") X(2, "ssse3") X(3, "sse4.1") X(4, "sse4.2")     \
    X(5, "avx") X(6, "avx2") X(7, "bmi") X(8, "bmi2") X(9, "fma")               \
    X(10, "avx512f") X(11, "avx512vl") X(12, "avx512bw") X(13, "avx512dq")      \
    X(14, "aes") X(15, "pclmul")

uint64_t kn_jit_cpu_features(void)
{
    uint64_t m = 0;
#if KN_ART_X64
#define KN_X(bit, name) if (__builtin_cpu_supports(name)) m |= (uint64_t)1 << bit;
    KN_CPU_FEATURES(KN_X)
#undef KN_X
#endif
    if (kn_jit_guard_pages())
        m |= KN_CPU_GUARD;
    return m;
}

/* The names of the bits of mask, comma-separated, into buf. */
static void cpu_names(uint64_t mask, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int bit = 0; bit < 64 && n < cap; bit++) {
        if (!(mask >> bit & 1))
            continue;
        const char *name = NULL;
#define KN_X(b, nm) if (bit == b) name = nm;
        KN_CPU_FEATURES(KN_X)
#undef KN_X
        if ((uint64_t)1 << bit == KN_CPU_GUARD)
            name = "guard pages";
        int w = name ? snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", name)
                     : snprintf(buf + n, cap - n, "%sbit %d", n ? ", " : "", bit);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

/* ---- What pins code to this kiln ------------------------------------ */

static void this_build(uint8_t out[32])
{
    uint8_t id[64];
    size_t n = kn_os_build_id(id, sizeof id);
    kn_sha2 c;
    kn_sha2_init(&c);
    kn_sha2_update(&c, KILN_VERSION_STRING, sizeof KILN_VERSION_STRING);
    if (n)
        kn_sha2_update(&c, id, n);
    else
        kn_sha2_update(&c, __DATE__ " " __TIME__, sizeof(__DATE__ " " __TIME__));
    kn_sha2_final(&c, out);
}

/* The configuration code depends on: that it is the native tier's, and
 * whether its stores keep the written-page map (kiln_config.no_write_map).
 * FNV-1a, so the value is the same in every build. */
static uint64_t config_hash(bool no_write_map)
{
    const char *cfg = no_write_map ? "tier=native no_write_map" : "tier=native";
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; cfg[i]; i++)
        h = (h ^ (uint8_t)cfg[i]) * 1099511628211u;
    return h;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* ---- Reading ---------------------------------------------------------- */

/* A parsed artifact: pointers into the bytes, valid when problem is "". */
typedef struct kn_kcw {
    kiln_artifact_info info;
    const uint8_t *entries, *relocs, *code;
    char problem[200];
} kn_kcw;

/* Fill k from bytes.  False when there is no header at all (k->problem
 * says why); otherwise true, with k->problem empty if this kiln may load
 * the code. */
static bool kcw_parse(const uint8_t *b, size_t len, kn_kcw *k)
{
    memset(k, 0, sizeof *k);
    kiln_artifact_info *in = &k->info;
    if (len < sizeof kcw_magic || memcmp(b, kcw_magic, sizeof kcw_magic) != 0) {
        snprintf(k->problem, sizeof k->problem, "not a kiln compiled module (.kcw): bad magic");
        return false;
    }
    if (len < KN_KCW_HDR) {
        snprintf(k->problem, sizeof k->problem,
                 "truncated: %zu bytes, shorter than the %u-byte header", len, KN_KCW_HDR);
        return false;
    }
    in->format = rd32(b + 8);
    memcpy(in->kiln_version, b + 16, 16);
    in->kiln_version[16] = 0;
    memcpy(in->build, b + 32, 32);
    in->cpu_features = rd64(b + 64);
    in->config_hash = rd64(b + 72);
    memcpy(in->module_sha256, b + 80, 32);
    in->funcs = rd32(b + 112);
    in->relocs = rd32(b + 116);
    uint64_t mlen = rd64(b + 120);
    in->code_size = rd64(b + 128);
    if (in->format != KN_KCW_FORMAT) {
        snprintf(k->problem, sizeof k->problem, "format version %u, this kiln reads version %u",
                 in->format, KN_KCW_FORMAT);
        return true;
    }
    uint8_t digest[32];
    bool module_ok = false;
    if (mlen <= len - KN_KCW_HDR) {
        kn_sha2_sum(b + KN_KCW_HDR, (size_t)mlen, digest);
        module_ok = memcmp(digest, in->module_sha256, 32) == 0;
        if (module_ok) {
            in->module = b + KN_KCW_HDR;
            in->module_len = (size_t)mlen;
        }
    }
    /* Each term is below 2^64 / 8 or checked, so the sum cannot wrap. */
    uint64_t room = len - KN_KCW_HDR;
    uint64_t need = (uint64_t)in->funcs * 4 + (uint64_t)in->relocs * 8 + KN_KCW_SUM;
    bool fits = mlen <= room && in->code_size <= room && need <= room - mlen &&
                in->code_size <= room - mlen - need;
    uint64_t total = fits ? KN_KCW_HDR + mlen + need + in->code_size : 0;
    if (!fits) {
        snprintf(k->problem, sizeof k->problem,
                 "truncated: %zu bytes, fewer than its header describes", len);
        return true;
    }
    k->entries = b + KN_KCW_HDR + mlen;
    k->relocs = k->entries + (size_t)in->funcs * 4;
    k->code = k->relocs + (size_t)in->relocs * 8;
    for (uint32_t i = 0; i < in->funcs; i++)
        in->native_funcs += rd32(k->entries + 4 * (size_t)i) != 0;
    if (total != len) {
        snprintf(k->problem, sizeof k->problem, "corrupt: %llu trailing bytes after the checksum",
                 (unsigned long long)(len - total));
        return true;
    }
    kn_sha2_sum(b, (size_t)total - KN_KCW_SUM, digest);
    if (memcmp(digest, b + total - KN_KCW_SUM, KN_KCW_SUM) != 0) {
        snprintf(k->problem, sizeof k->problem,
                 "checksum mismatch: the file is damaged or was modified");
        return true;
    }
    if (!module_ok) {
        snprintf(k->problem, sizeof k->problem,
                 "the embedded module does not match its sha256: tampered");
        return true;
    }
    uint8_t build[32];
    this_build(build);
    if (strcmp(in->kiln_version, KILN_VERSION_STRING) != 0) {
        snprintf(k->problem, sizeof k->problem, "made by kiln %s, this is kiln %s",
                 in->kiln_version, KILN_VERSION_STRING);
        return true;
    }
    if (memcmp(build, in->build, 32) != 0) {
        char a[17], h[17];
        hex(in->build, 8, a);
        hex(build, 8, h);
        snprintf(k->problem, sizeof k->problem,
                 "made by another build of kiln %s (build %s, this is %s)", KILN_VERSION_STRING,
                 a, h);
        return true;
    }
    uint64_t missing = in->cpu_features & ~kn_jit_cpu_features();
    if (missing) {
        char names[120];
        cpu_names(missing, names, sizeof names);
        snprintf(k->problem, sizeof k->problem, "compiled for CPU features this CPU lacks: %s",
                 names);
        return true;
    }
    if (in->config_hash != config_hash(false) && in->config_hash != config_hash(true)) {
        snprintf(k->problem, sizeof k->problem,
                 "compiled with another configuration (config hash %016llx)",
                 (unsigned long long)in->config_hash);
        return true;
    }
    return true;
}

bool kiln_is_artifact(const uint8_t *bytes, size_t len)
{
    return bytes && len >= sizeof kcw_magic && memcmp(bytes, kcw_magic, sizeof kcw_magic) == 0;
}

/* Static strings for the problems kiln_artifact_inspect reports (the
 * parse's message has details that would need storage). */
static const char *problem_class(const char *p)
{
    static const char *const classes[] = {
        "truncated", "format version", "corrupt", "checksum mismatch", "the embedded module",
        "made by kiln", "made by another build", "compiled for CPU", "compiled with another",
    };
    static const char *const says[] = {
        "truncated", "another artifact format version", "corrupt: trailing bytes",
        "checksum mismatch: the file is damaged or was modified",
        "the embedded module does not match its sha256: tampered",
        "made by another kiln version", "made by another build of kiln",
        "compiled for CPU features this CPU lacks", "compiled with another configuration",
    };
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strncmp(p, classes[i], strlen(classes[i])) == 0)
            return says[i];
    return "unusable";
}

kiln_error *kiln_artifact_inspect(const uint8_t *bytes, size_t len, kiln_artifact_info *out)
{
    if (!out || (!bytes && len))
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_artifact_inspect: NULL argument");
    kn_kcw k;
    if (!kcw_parse(bytes ? bytes : (const uint8_t *)"", len, &k))
        return kn_error_new(KILN_ERR_ARTIFACT, -1, "%s", k.problem);
    *out = k.info;
    out->problem = k.problem[0] ? problem_class(k.problem) : NULL;
    return NULL;
}

/* ---- Loading the code of a parsed artifact -------------------------- */

kiln_error *kn_artifact_load(kn_module *m, const void *parsed)
{
    const kn_kcw *k = parsed;
    if (k->info.config_hash != config_hash(m->no_write_map))
        return kn_error_new(KILN_ERR_ARTIFACT, -1,
                            "compiled code rejected: compiled with another configuration "
                            "(its stores %s the written-page map, this engine's %s: "
                            "kiln_config.no_write_map)",
                            m->no_write_map ? "keep" : "leave out",
                            m->no_write_map ? "leave it out" : "keep it");
    if (k->info.funcs != m->nfuncs)
        return kn_error_new(KILN_ERR_ARTIFACT, -1,
                            "compiled code rejected: it has %u functions, the module %u",
                            k->info.funcs, m->nfuncs);
    if (k->info.code_size > UINT32_MAX)
        return kn_error_new(KILN_ERR_ARTIFACT, -1, "compiled code rejected: code too large");
    uint32_t *entry = kn_calloc(&m->alloc, m->nfuncs + 1, sizeof *entry);
    kn_jit_reloc *rel = kn_calloc(&m->alloc, k->info.relocs + 1, sizeof *rel);
    kiln_error *err = NULL;
    if (!entry || !rel) {
        err = kn_error_nomem();
    } else {
        for (uint32_t i = 0; i < m->nfuncs; i++)
            entry[i] = rd32(k->entries + 4 * (size_t)i);
        for (uint32_t i = 0; i < k->info.relocs; i++)
            rel[i] = (kn_jit_reloc){rd32(k->relocs + 8 * (size_t)i),
                                    rd32(k->relocs + 8 * (size_t)i + 4)};
        err = kn_jit_load(m, k->code, (size_t)k->info.code_size, entry, rel, k->info.relocs,
                          k->info.cpu_features);
    }
    kn_free(&m->alloc, entry);
    kn_free(&m->alloc, rel);
    return err;
}

/* Parse for loading: NULL and *k filled, or the KILN_ERR_ARTIFACT error. */
kiln_error *kn_artifact_parse(const uint8_t *bytes, size_t len, void **parsed,
                              const kn_allocator *a)
{
    kn_kcw *k = kn_malloc(a, sizeof *k);
    if (!k)
        return kn_error_nomem();
    kcw_parse(bytes, len, k);
    if (k->problem[0]) {
        kiln_error *e = kn_error_new(KILN_ERR_ARTIFACT, -1, "compiled code rejected: %s",
                                     k->problem);
        kn_free(a, k);
        return e;
    }
    *parsed = k;
    return NULL;
}

const uint8_t *kn_artifact_module(const void *parsed, size_t *len)
{
    const kn_kcw *k = parsed;
    *len = k->info.module_len;
    return k->info.module;
}

/* ---- Writing -------------------------------------------------------- */

/* The artifact of m's code, in a buffer from malloc. */
static kiln_error *kcw_write(const kn_module *m, uint8_t **out, size_t *outlen)
{
    const kn_jit_module *jm = m->jit;
    if (!jm)
        return kn_error_new(KILN_ERR_ARG, -1, "the module has no native code to serialize "
                                              "(not made with the native tier, or no function "
                                              "could be compiled)");
    if (jm->unrelocatable || jm->size > UINT32_MAX)
        return kn_error_new(KILN_ERR_ARG, -1, "the module's code calls a helper the artifact "
                                              "format cannot relocate (reloc.c)");
    uint64_t total = (uint64_t)KN_KCW_HDR + m->len + (uint64_t)m->nfuncs * 4 +
                     (uint64_t)jm->nrelocs * 8 + jm->size + KN_KCW_SUM;
    if (total > SIZE_MAX)
        return kn_error_nomem();
    uint8_t *b = calloc(1, (size_t)total);
    if (!b)
        return kn_error_nomem();
    memcpy(b, kcw_magic, sizeof kcw_magic);
    wr32(b + 8, KN_KCW_FORMAT);
    memcpy(b + 16, KILN_VERSION_STRING, strlen(KILN_VERSION_STRING) < 16
                                            ? strlen(KILN_VERSION_STRING) : 16);
    this_build(b + 32);
    wr64(b + 64, jm->cpu);
    wr64(b + 72, config_hash(m->no_write_map));
    kn_sha2_sum(m->bytes, m->len, b + 80);
    wr32(b + 112, m->nfuncs);
    wr32(b + 116, (uint32_t)jm->nrelocs);
    wr64(b + 120, m->len);
    wr64(b + 128, jm->size);
    uint8_t *p = b + KN_KCW_HDR;
    if (m->len)
        memcpy(p, m->bytes, m->len);
    p += m->len;
    for (uint32_t i = 0; i < m->nfuncs; i++, p += 4) {
        const kn_code *cd = m->funcs[i].code;
        if (cd && cd->native)
            wr32(p, (uint32_t)((const uint8_t *)cd->native - (const uint8_t *)jm->mem));
    }
    for (size_t i = 0; i < jm->nrelocs; i++, p += 8) {
        wr32(p, jm->relocs[i].at);
        wr32(p + 4, jm->relocs[i].sym);
    }
    memcpy(p, jm->mem, jm->size);
    for (size_t i = 0; i < jm->nrelocs; i++)   /* no addresses of this process */
        memset(p + jm->relocs[i].at, 0, 8);
    p += jm->size;
    kn_sha2_sum(b, (size_t)(p - b), p);
    *out = b;
    *outlen = (size_t)total;
    return NULL;
}

kiln_error *kiln_module_serialize(const kiln_module *mod, uint8_t **bytes, size_t *len)
{
    if (!mod || !bytes || !len)
        return kn_error_new(KILN_ERR_ARG, -1, "kiln_module_serialize: NULL argument");
    return kcw_write(&mod->m, bytes, len);
}

/* ---- The cache ------------------------------------------------------ */

static void set_status(kiln_module *mod, kiln_cache_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_status(kiln_module *mod, kiln_cache_status st, const char *fmt, ...)
{
    mod->cache = (uint8_t)st;
    kn_free(&mod->m.alloc, mod->cache_detail);
    mod->cache_detail = NULL;
    if (!fmt)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mod->cache_detail = kn_strndup(&mod->m.alloc, buf, strlen(buf));
}

static void *alloc_cb(void *ud, size_t n) { return kn_malloc((const kn_allocator *)ud, n); }

static const char *errstr(int e, char *buf, size_t cap)
{
    char tmp[128];
    snprintf(buf, cap, "%s", strerror_r(e, tmp, sizeof tmp));  /* GNU: may return tmp or not */
    return buf;
}

/* Try the entry at path: true when its code was loaded into mod. */
static bool cache_try(kiln_module *mod, const char *path, kiln_error **fatal)
{
    kn_module *m = &mod->m;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int e = kn_os_read_file(path, alloc_cb, (void *)&m->alloc, &bytes, &len);
    if (e) {
        char eb[128];
        if (e != ENOENT)
            set_status(mod, KILN_CACHE_REJECTED, "%s: cannot read: %s", path,
                       errstr(e, eb, sizeof eb));
        return false;
    }
    void *parsed = NULL;
    kiln_error *err = kn_artifact_parse(bytes, len, &parsed, &m->alloc);
    if (!err) {
        size_t mlen;
        const uint8_t *mb = kn_artifact_module(parsed, &mlen);
        if (mlen != m->len || memcmp(mb, m->bytes, mlen) != 0)
            err = kn_error_new(KILN_ERR_ARTIFACT, -1,
                               "compiled code rejected: it is for another module");
        else
            err = kn_artifact_load(m, parsed);
    }
    kn_free(&m->alloc, parsed);
    kn_free(&m->alloc, bytes);
    if (!err) {
        set_status(mod, KILN_CACHE_HIT, "%s", path);
        return true;
    }
    if (kiln_error_kind_of(err) == KILN_ERR_NOMEM)
        *fatal = err;
    else {
        set_status(mod, KILN_CACHE_REJECTED, "%s: %s", path, kiln_error_message(err));
        kiln_error_free(err);
    }
    return false;
}

kiln_error *kn_cache_compile(kiln_module *mod, const char *dir)
{
    kn_module *m = &mod->m;
    if (!kn_jit_available())
        return kn_jit_compile(m);
    uint8_t key[32], build[32];
    this_build(build);
    kn_sha2 c;
    kn_sha2_init(&c);
    uint8_t msha[32], cpu[8], cfg[8];
    kn_sha2_sum(m->bytes, m->len, msha);
    wr64(cpu, kn_jit_cpu_features());
    wr64(cfg, config_hash(m->no_write_map));
    kn_sha2_update(&c, msha, sizeof msha);
    kn_sha2_update(&c, KILN_VERSION_STRING, sizeof KILN_VERSION_STRING);
    kn_sha2_update(&c, build, sizeof build);
    kn_sha2_update(&c, cpu, sizeof cpu);
    kn_sha2_update(&c, cfg, sizeof cfg);
    kn_sha2_final(&c, key);
    char name[65], path[4096];
    hex(key, 32, name);
    int n = snprintf(path, sizeof path, "%s/%s.kcw", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        set_status(mod, KILN_CACHE_UNWRITABLE, "%s: path too long", dir);
        return kn_jit_compile(m);
    }
    kiln_error *fatal = NULL;
    if (cache_try(mod, path, &fatal) || fatal)
        return fatal;
    kiln_error *err = kn_jit_compile(m);
    if (err || !m->jit) {
        if (!err && mod->cache != KILN_CACHE_REJECTED)
            set_status(mod, KILN_CACHE_UNUSED, NULL);
        return err;
    }
    bool rejected = mod->cache == KILN_CACHE_REJECTED;
    char eb[128];
    int e = kn_os_mkdirs(dir);
    if (e) {
        set_status(mod, KILN_CACHE_UNWRITABLE, "cannot create %s: %s", dir,
                   errstr(e, eb, sizeof eb));
        return NULL;
    }
    uint8_t *art;
    size_t len;
    err = kcw_write(m, &art, &len);
    if (err) {
        set_status(mod, KILN_CACHE_UNWRITABLE, "%s", kiln_error_message(err));
        kiln_error_free(err);
        return NULL;
    }
    e = kn_os_write_file_atomic(path, art, len);
    free(art);
    if (e)
        set_status(mod, KILN_CACHE_UNWRITABLE, "cannot write %s: %s", path,
                   errstr(e, eb, sizeof eb));
    else if (!rejected)
        set_status(mod, KILN_CACHE_STORED, "%s", path);
    return NULL;
}

kiln_cache_status kiln_module_cache_status(const kiln_module *mod, const char **detail)
{
    if (detail)
        *detail = mod ? mod->cache_detail : NULL;
    return mod ? (kiln_cache_status)mod->cache : KILN_CACHE_UNUSED;
}

/* ---- Code ranges ------------------------------------------------------ */

size_t kiln_module_code_ranges(const kiln_module *mod, kiln_code_range *out, size_t cap)
{
    if (!mod || !mod->m.jit)
        return 0;
    const kn_module *m = &mod->m;
    const kn_jit_module *jm = m->jit;
    const uint8_t *base = jm->mem;
    size_t n = 0;
    if (cap)
        out[0] = (kiln_code_range){base, jm->tramp_end, UINT32_MAX, NULL};
    n++;
    /* Functions are laid out in index order (jit.c), each running to the
     * next one's entry: its body, out-of-line paths and jump tables. */
    size_t prev = SIZE_MAX;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const kn_code *cd = m->funcs[i].code;
        if (!cd || !cd->native)
            continue;
        size_t at = (size_t)((const uint8_t *)cd->native - base);
        if (prev != SIZE_MAX && prev < cap)
            out[prev].size = at - (size_t)((const uint8_t *)out[prev].start - base);
        if (n < cap)
            out[n] = (kiln_code_range){cd->native, jm->size - at, i, kn_func_name(m, i)};
        prev = n++;
    }
    return n;
}
