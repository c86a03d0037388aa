/*
 * test_decode.c — unit tests of the binary decoder (decode.c), the LEB128
 * readers (leb.h) and module-level validation (validate_module.c).
 *
 * Modules are written out byte by byte so each test shows exactly the
 * encoding it exercises.  The engine is left NULL: the decoder then skips
 * interning function types, which these tests do not need.  The last tests
 * feed truncated and corrupted modules; they matter most under sanitizers.
 */
#include <stdlib.h>
#include <string.h>

#include "leb.h"
#include "module.h"
#include "unit.h"

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* Decode (and, if asked, validate) bytes into *m; returns the error. */
static kiln_error *load(kn_module *m, const uint8_t *b, size_t n, bool validate)
{
    memset(m, 0, sizeof *m);
    kiln_error *e = kn_decode(m, b, n);
    if (!e && validate)
        e = kn_validate_module(m);
    return e;
}

/* Whether decoding+validating fails with this kind, message prefix and
 * offset (offset -1: any). */
static bool fails(const uint8_t *b, size_t n, kiln_error_kind kind, const char *msg,
                  int64_t offset)
{
    kn_module m;
    kiln_error *e = load(&m, b, n, true);
    bool ok = e && kiln_error_kind_of(e) == kind &&
              strncmp(kiln_error_message(e), msg, strlen(msg)) == 0 &&
              (offset < 0 || kiln_error_offset(e) == offset);
    if (!ok)
        printf("    got: %s (kind %d, offset %lld), want: %s (kind %d, offset %lld)\n",
               e ? kiln_error_message(e) : "success", e ? (int)kiln_error_kind_of(e) : 0,
               e ? (long long)kiln_error_offset(e) : -1LL, msg, (int)kind, (long long)offset);
    kiln_error_free(e);
    kn_module_clear(&m);
    return ok;
}

static bool accepts(const uint8_t *b, size_t n)
{
    kn_module m;
    kiln_error *e = load(&m, b, n, true);
    if (e)
        printf("    rejected: %s at %lld\n", kiln_error_message(e),
               (long long)kiln_error_offset(e));
    kiln_error_free(e);
    kn_module_clear(&m);
    return e == NULL;
}

#define MALFORMED(msg, off, ...)                                                             \
    do {                                                                                     \
        static const uint8_t b_[] = {__VA_ARGS__};                                           \
        CHECK(fails(b_, sizeof b_, KILN_ERR_DECODE, msg, off));                              \
    } while (0)
#define INVALID(msg, ...)                                                                    \
    do {                                                                                     \
        static const uint8_t b_[] = {__VA_ARGS__};                                           \
        CHECK(fails(b_, sizeof b_, KILN_ERR_VALIDATE, msg, -1));                             \
    } while (0)
#define VALID(...)                                                                           \
    do {                                                                                     \
        static const uint8_t b_[] = {__VA_ARGS__};                                           \
        CHECK(accepts(b_, sizeof b_));                                                       \
    } while (0)

/* ---- leb.h -------------------------------------------------------------- */

static kn_reader rd(const uint8_t *b, size_t n) { return kn_reader_make(b, b, b + n); }

TEST(leb_u32)
{
    uint32_t v;
    static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    kn_reader r = rd(max, sizeof max);
    CHECK(kn_read_u32(&r, &v) && v == 0xffffffffu && kn_reader_eof(&r));

    static const uint8_t padded[] = {0x82, 0x80, 0x80, 0x80, 0x00};
    r = rd(padded, sizeof padded);
    CHECK(kn_read_u32(&r, &v) && v == 2);

    static const uint8_t too_long[] = {0x82, 0x80, 0x80, 0x80, 0x80, 0x00};
    r = rd(too_long, sizeof too_long);
    CHECK(!kn_read_u32(&r, &v) && strcmp(r.err, KN_MSG_TOO_LONG) == 0);
    CHECK_EQ(kn_reader_err_offset(&r), 5);
    CHECK(r.p == too_long);     /* a failed read does not move */

    static const uint8_t too_large[] = {0x82, 0x80, 0x80, 0x80, 0x10};
    r = rd(too_large, sizeof too_large);
    CHECK(!kn_read_u32(&r, &v) && strcmp(r.err, KN_MSG_TOO_LARGE) == 0);
    CHECK_EQ(kn_reader_err_offset(&r), 4);

    static const uint8_t cut[] = {0x80, 0x80};
    r = rd(cut, sizeof cut);
    CHECK(!kn_read_u32(&r, &v) && strcmp(r.err, KN_MSG_EOF) == 0);
    CHECK_EQ(kn_reader_err_offset(&r), 2);
}

TEST(leb_signed)
{
    int32_t v32;
    int64_t v64;
    kn_reader r;
    static const uint8_t m1[] = {0x7f};
    r = rd(m1, 1);
    CHECK(kn_read_s32(&r, &v32) && v32 == -1);
    static const uint8_t min32[] = {0x80, 0x80, 0x80, 0x80, 0x78};
    r = rd(min32, sizeof min32);
    CHECK(kn_read_s32(&r, &v32) && v32 == INT32_MIN);
    static const uint8_t m1_long[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    r = rd(m1_long, sizeof m1_long);
    CHECK(kn_read_s32(&r, &v32) && v32 == -1);
    /* The unused bits of the last byte must copy the sign bit. */
    static const uint8_t bad1[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    r = rd(bad1, sizeof bad1);
    CHECK(!kn_read_s32(&r, &v32) && strcmp(r.err, KN_MSG_TOO_LARGE) == 0);
    static const uint8_t bad2[] = {0x80, 0x80, 0x80, 0x80, 0x70};
    r = rd(bad2, sizeof bad2);
    CHECK(!kn_read_s32(&r, &v32) && strcmp(r.err, KN_MSG_TOO_LARGE) == 0);

    static const uint8_t min64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
    r = rd(min64, sizeof min64);
    CHECK(kn_read_s64(&r, &v64) && v64 == INT64_MIN);
    static const uint8_t bad64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    r = rd(bad64, sizeof bad64);
    CHECK(!kn_read_s64(&r, &v64) && strcmp(r.err, KN_MSG_TOO_LARGE) == 0);
    static const uint8_t long64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    r = rd(long64, sizeof long64);
    CHECK(!kn_read_s64(&r, &v64) && strcmp(r.err, KN_MSG_TOO_LONG) == 0);

    /* s33: a block type index up to 2^32-1 fits. */
    static const uint8_t s33[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    r = rd(s33, sizeof s33);
    CHECK(kn_read_s33(&r, &v64) && v64 == 0xffffffffLL);
    static const uint8_t neg[] = {0x40};
    r = rd(neg, 1);
    CHECK(kn_read_s33(&r, &v64) && v64 == -64);
}

TEST(leb_floats)
{
    static const uint8_t b[] = {0x00, 0x00, 0x80, 0x3f, 1, 2, 3, 4, 5, 6, 7, 8};
    kn_reader r = rd(b, sizeof b);
    uint32_t f;
    uint64_t d;
    CHECK(kn_read_f32_bits(&r, &f) && f == 0x3f800000u);
    CHECK(kn_read_f64_bits(&r, &d) && d == 0x0807060504030201ull);
    CHECK(!kn_read_f32_bits(&r, &f) && strcmp(r.err, KN_MSG_EOF) == 0);
}

/* ---- Header and section framing --------------------------------------- */

TEST(decode_header)
{
    VALID(HDR);
    MALFORMED("unexpected end", 1, 0x00);
    MALFORMED("unexpected end", 3, 0x00, 0x61, 0x73);
    MALFORMED("magic header not detected", 0, 0x00, 0x41, 0x53, 0x4d, 1, 0, 0, 0);
    MALFORMED("unexpected end", 6, 0x00, 0x61, 0x73, 0x6d, 1, 0);
    MALFORMED("unknown binary version", 4, 0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0);
    CHECK(fails(NULL, 0, KILN_ERR_DECODE, "unexpected end", 0));
}

TEST(decode_section_framing)
{
    MALFORMED("malformed section id", 8, HDR, 0x0d, 0x00);
    /* Out of order and repeated sections. */
    MALFORMED("unexpected content after last section", 11, HDR, 0x05, 0x01, 0x00, 0x04, 0x01,
              0x00, 0x05, 0x01, 0x00);
    MALFORMED("unexpected content after last section", 11, HDR, 0x01, 0x01, 0x00, 0x01, 0x01,
              0x00);
    /* The data count section goes between element and code. */
    VALID(HDR, 0x09, 0x01, 0x00, 0x0c, 0x01, 0x00, 0x0a, 0x01, 0x00);
    MALFORMED("unexpected content after last section", 11, HDR, 0x0a, 0x01, 0x00, 0x0c, 0x01,
              0x00);
    /* Size larger than what follows, counted from the size itself. */
    MALFORMED("length out of bounds", 9, HDR, 0x01, 0x06, 0x01, 0x60, 0x00, 0x00);
    /* ...but exactly that many passes, and the section runs short. */
    MALFORMED("section size mismatch", 10, HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00);
    /* Size smaller than the content. */
    MALFORMED("section size mismatch", 10, HDR, 0x01, 0x03, 0x02, 0x60, 0x00, 0x00, 0x60,
              0x00, 0x00);
    /* Size larger than the content: the next section's bytes are read. */
    MALFORMED("section size mismatch", 10, HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00);
    MALFORMED("unexpected end", 9, HDR, 0x00);
    /* Custom sections anywhere, even between every other section. */
    VALID(HDR, 0x00, 0x02, 0x01, 'a', 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x03, 0x01, 0x00,
          0x00, 0x01, 0x00);
    /* A custom section whose name runs past its size. */
    MALFORMED("unexpected end", -1, HDR, 0x00, 0x01, 0x03, 'a', 'b', 'c');
}

TEST(decode_counts)
{
    /* function without code, code without function */
    MALFORMED("function and code section have inconsistent lengths", 18, HDR, 0x01, 0x04, 0x01,
              0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00);
    MALFORMED("function and code section have inconsistent lengths", 14, HDR, 0x0a, 0x04, 0x01,
              0x02, 0x00, 0x0b);
    MALFORMED("data count and data section have inconsistent lengths", 11, HDR, 0x0c, 0x01,
              0x01);
    /* No data count with a data section is fine at this stage. */
    VALID(HDR, 0x0b, 0x03, 0x01, 0x01, 0x00);
    /* A hostile vector length is refused before anything is allocated. */
    MALFORMED("length out of bounds", 10, HDR, 0x01, 0x06, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x60);
    MALFORMED("length out of bounds", -1, HDR, 0x0b, 0x07, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff,
              0x0f);
}

/* ---- Section contents ------------------------------------------------- */

TEST(decode_types_imports)
{
    static const uint8_t b[] = {
        HDR,
        0x01, 0x0a, 0x02,                           /* types */
        0x60, 0x02, 0x7f, 0x7b, 0x01, 0x7e,         /* (i32 v128) -> i64 */
        0x60, 0x00, 0x00,
        0x02, 0x1d, 0x04,                           /* imports */
        0x01, 'm', 0x01, 'f', 0x00, 0x01,           /* func type 1 */
        0x01, 'm', 0x01, 't', 0x01, 0x6f, 0x01, 0x02, 0x03,  /* table externref 2..3 */
        0x01, 'm', 0x01, 'g', 0x03, 0x7d, 0x01,     /* global mut f32 */
        0x01, 'm', 0x00, 0x02, 0x00, 0x05,          /* memory 5, name "" */
    };
    kn_module m;
    kiln_error *e = load(&m, b, sizeof b, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.ntypes, 2);
        CHECK_EQ(m.types[0].nparams, 2);
        CHECK_EQ(m.types[0].nresults, 1);
        CHECK_EQ(m.types[0].types[1], KN_V128);
        CHECK_EQ(m.types[0].kinds[2], KILN_I64);
        CHECK_EQ(m.types[0].param_slots, 3);
        CHECK_EQ(m.types[0].result_slots, 1);
        CHECK_EQ(m.nimports, 4);
        CHECK(strcmp(m.imports[1].name, "t") == 0 && m.imports[1].kind == KN_EXT_TABLE);
        CHECK_EQ(m.imports[0].offset, 23);
        CHECK_EQ(m.imports[3].name_len, 0);
        CHECK_EQ(m.nfuncs, 1);
        CHECK_EQ(m.num_func_imports, 1);
        CHECK_EQ(m.funcs[0].type, 1);
        CHECK_EQ(m.ntables, 1);
        CHECK(m.tables[0].elem == KN_EXTERNREF && m.tables[0].limits.has_max);
        CHECK_EQ(m.tables[0].limits.max, 3);
        CHECK_EQ(m.nglobals, 1);
        CHECK(m.globals[0].type.mut && m.globals[0].type.type == KN_F32);
        CHECK_EQ(m.nmemories, 1);
        CHECK_EQ(m.memories[0].min, 5);
        CHECK_EQ(m.nsections, 2);
        CHECK_EQ(m.sections[1].id, 2);
        CHECK_EQ(m.sections[1].offset, 20);
        CHECK_EQ(m.sections[1].payload, 22);
        CHECK_EQ(m.sections[1].size, 0x1d);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    MALFORMED("integer representation too long", 12, HDR, 0x01, 0x05, 0x01, 0xe0, 0x7f, 0x00,
              0x00);
    MALFORMED("malformed function type", 11, HDR, 0x01, 0x04, 0x01, 0x61, 0x00, 0x00);
    MALFORMED("malformed value type", 13, HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7a, 0x00);
    MALFORMED("malformed import kind", 13, HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04);
    MALFORMED("malformed mutability", 15, HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7f, 0x02);
    MALFORMED("malformed reference type", 14, HDR, 0x02, 0x07, 0x01, 0x00, 0x00, 0x01, 0x7f,
              0x00, 0x00);
    /* Limits flags are a 1-bit LEB128: 2 (shared) is too large. */
    MALFORMED("integer too large", 11, HDR, 0x05, 0x03, 0x01, 0x02, 0x00);
    MALFORMED("integer representation too long", 12, HDR, 0x05, 0x04, 0x01, 0x81, 0x00, 0x00);
}

TEST(decode_utf8_names)
{
    /* Valid: 2-, 3- and 4-byte sequences, and a NUL. */
    VALID(HDR, 0x00, 0x0b, 0x0a, 0xc2, 0x80, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x00);
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x03, 0x02, 0xc0, 0x80);  /* overlong */
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x04, 0x03, 0xed, 0xa0, 0x80); /* D800 */
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x05, 0x04, 0xf4, 0x90, 0x80, 0x80);
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x03, 0x02, 0xe2, 0x82);  /* cut */
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x02, 0x01, 0x80);  /* stray */
    MALFORMED("malformed UTF-8 encoding", 10, HDR, 0x00, 0x04, 0x03, 0xe0, 0x9f, 0xbf);
    MALFORMED("malformed UTF-8 encoding", 12, HDR, 0x02, 0x05, 0x01, 0x00, 0x01, 0xff, 0x00);
}

TEST(decode_funcs_code)
{
    static const uint8_t b[] = {
        HDR,
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,   /* (i32) -> () */
        0x03, 0x03, 0x02, 0x00, 0x00,
        0x0a, 0x0e, 0x02,
        0x07, 0x02, 0x02, 0x7f, 0x81, 0x00, 0x7e, 0x0b,  /* 2 i32, 1 i64; body: end */
        0x04, 0x00, 0x01, 0x01, 0x0b,               /* nop nop end */
    };
    kn_module m;
    kiln_error *e = load(&m, b, sizeof b, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.nfuncs, 2);
        const kn_func *f = &m.funcs[0];
        CHECK_EQ(f->nlocaldecls, 2);
        CHECK_EQ(f->nlocals, 3);
        CHECK_EQ(f->localdecls[1].type, KN_I64);
        CHECK_EQ(f->code_offset, 23);
        CHECK_EQ(f->body.start, 30);
        CHECK_EQ(f->body.end, 31);
        CHECK_EQ(m.bytes[f->body.start], 0x0b);
        CHECK_EQ(m.funcs[1].code_offset, 31);
        CHECK_EQ(m.funcs[1].body.end - m.funcs[1].body.start, 3);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    /* 0xffffffff + 2 locals */
    MALFORMED("too many locals", 22, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
              0x00, 0x0a, 0x0c, 0x01, 0x0a, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e,
              0x0b);
    /* An entry size reaching past the module: by more than the size's
     * own bytes, then by less. */
    MALFORMED("length out of bounds", 21, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
              0x01, 0x00, 0x0a, 0x04, 0x01, 0x04, 0x00, 0x0b);
    MALFORMED("unexpected end", 24, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
              0x00, 0x0a, 0x04, 0x01, 0x03, 0x00, 0x0b);
    /* Locals overrunning their entry. */
    MALFORMED("unexpected end", -1, HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
              0x00, 0x0a, 0x05, 0x01, 0x02, 0x01, 0x01, 0x7f);
}

TEST(decode_globals_exports_start)
{
    static const uint8_t g[] = {
        HDR,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x06, 0x20, 0x03,
        0x7e, 0x00, 0x42, 0x7f, 0x0b,
        0x70, 0x00, 0xd2, 0x00, 0x0b,
        0x7b, 0x01, 0xfd, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x0b,
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
        0x08, 0x01, 0x00,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
    };
    kn_module m;
    kiln_error *e = load(&m, g, sizeof g, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.nglobals, 3);
        CHECK_EQ(m.globals[0].init.bytes.start, 23);
        CHECK_EQ(m.globals[0].init.bytes.end, 26);
        CHECK_EQ(m.bytes[m.globals[1].init.bytes.start], 0xd2);
        CHECK_EQ(m.globals[2].init.bytes.end - m.globals[2].init.bytes.start, 19);
        /* ...and decoded once into the module's instruction list */
        CHECK_EQ(m.ncinstrs, 3);
        for (uint32_t i = 0; i < 3; i++)
            CHECK(m.globals[i].init.first == i && m.globals[i].init.count == 1);
        if (m.ncinstrs == 3) {
            CHECK(m.cinstrs[0].op == KN_COP_I64_CONST && m.cinstrs[0].u.i64 == UINT64_MAX);
            CHECK_EQ(m.cinstrs[0].offset, 23);
            CHECK(m.cinstrs[1].op == KN_COP_REF_FUNC && m.cinstrs[1].u.index == 0);
            CHECK(m.cinstrs[2].op == KN_COP_V128_CONST && m.cinstrs[2].u.v128[0] == 1 &&
                  m.cinstrs[2].u.v128[15] == 16);
        }
        CHECK(m.has_start && m.start == 0);
        CHECK_EQ(m.nexports, 1);
        CHECK(strcmp(m.exports[0].name, "f") == 0 && m.exports[0].kind == KN_EXT_FUNC);
        CHECK_EQ(m.exports[0].offset, 55);
        CHECK(m.func_declared && m.func_declared[0]);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    MALFORMED("malformed export kind", 13, HDR, 0x07, 0x05, 0x01, 0x01, 'f', 0x04, 0x00);
    /* A byte that is no instruction at all is malformed... */
    MALFORMED("illegal opcode", 13, HDR, 0x06, 0x05, 0x01, 0x7f, 0x00, 0xf3, 0x0b);
    /* ...a real but non-constant instruction is invalid. */
    INVALID("constant expression required", HDR, 0x06, 0x07, 0x01, 0x7f, 0x00, 0x41, 0x00,
            0x68, 0x0b);
    INVALID("constant expression required", HDR, 0x06, 0x04, 0x01, 0x7f, 0x00, 0x01, 0x0b);
    MALFORMED("END opcode expected", -1, HDR, 0x06, 0x06, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x05);
    MALFORMED("malformed reference type", -1, HDR, 0x06, 0x05, 0x01, 0x70, 0x00, 0xd0, 0x7f,
              0x0b);
}

TEST(decode_elem_encodings)
{
    static const uint8_t b[] = {
        HDR,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x04, 0x07, 0x02, 0x70, 0x00, 0x01, 0x6f, 0x00, 0x01,
        0x09, 0x35, 0x08,
        0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,                 /* 0: active t0, funcs */
        0x01, 0x00, 0x01, 0x00,                             /* 1: passive funcs */
        0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00,     /* 2: active t0 explicit */
        0x03, 0x00, 0x01, 0x00,                             /* 3: declarative funcs */
        0x04, 0x41, 0x00, 0x0b, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b, /* 4: exprs */
        0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,                 /* 5: passive externref */
        0x06, 0x01, 0x41, 0x00, 0x0b, 0x6f, 0x00,           /* 6: active t1 externref */
        0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b,                 /* 7: declarative exprs */
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
    };
    kn_module m;
    kiln_error *e = load(&m, b, sizeof b, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.nelems, 8);
        CHECK_EQ(m.elems[0].mode, KN_SEG_ACTIVE);
        CHECK(m.elems[0].func_indices && m.elems[0].count == 1);
        CHECK_EQ(m.elems[1].mode, KN_SEG_PASSIVE);
        CHECK_EQ(m.elems[3].mode, KN_SEG_DECLARATIVE);
        CHECK(m.elems[4].exprs && m.elems[4].count == 2);
        CHECK_EQ(m.elems[5].type, KN_EXTERNREF);
        CHECK_EQ(m.elems[6].table, 1);
        CHECK_EQ(m.elems[6].count, 0);
        CHECK_EQ(m.elems[7].mode, KN_SEG_DECLARATIVE);
        CHECK_EQ(m.elems[2].offset_in_file, 40);
        CHECK(m.func_declared[0]);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    MALFORMED("malformed elements segment kind", 11, HDR, 0x09, 0x02, 0x01, 0x08);
    MALFORMED("malformed element kind", 12, HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00);
    MALFORMED("malformed reference type", 12, HDR, 0x09, 0x07, 0x01, 0x05, 0x7f, 0x01, 0xd2,
              0x00, 0x0b);
}

TEST(decode_data)
{
    static const uint8_t b[] = {
        HDR,
        0x05, 0x03, 0x01, 0x00, 0x01,
        0x0c, 0x01, 0x03,
        0x0b, 0x14, 0x03,
        0x00, 0x41, 0x07, 0x0b, 0x02, 'h', 'i',
        0x01, 0x01, 'x',
        0x02, 0x00, 0x41, 0x00, 0x0b, 0x03, 'a', 'b', 'c',
    };
    kn_module m;
    kiln_error *e = load(&m, b, sizeof b, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK(m.has_datacount && m.datacount == 3);
        CHECK_EQ(m.ndatas, 3);
        CHECK_EQ(m.datas[0].mode, KN_SEG_ACTIVE);
        CHECK_EQ(m.datas[0].bytes.end - m.datas[0].bytes.start, 2);
        CHECK(memcmp(m.bytes + m.datas[0].bytes.start, "hi", 2) == 0);
        CHECK_EQ(m.datas[1].mode, KN_SEG_PASSIVE);
        CHECK(memcmp(m.bytes + m.datas[2].bytes.start, "abc", 3) == 0);
        CHECK_EQ(m.datas[2].offset_in_file, 29);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    MALFORMED("malformed data segment kind", 11, HDR, 0x0b, 0x03, 0x01, 0x03, 0x00);
    /* Seven bytes announced, six present: passes the length check (the
     * length byte counts), then runs out. */
    MALFORMED("unexpected end", -1, HDR, 0x0b, 0x09, 0x01, 0x01, 0x07, 1, 2, 3, 4, 5, 6);
}

TEST(decode_customs_and_names)
{
    static const uint8_t b[] = {
        HDR,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x03, 0x02, 0x00, 0x00,
        0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b,
        0x00, 0x10, 0x04, 'n', 'a', 'm', 'e',
        0x00, 0x02, 0x01, 'M',                          /* module name "M" */
        0x01, 0x05, 0x01, 0x01, 0x02, 'g', 'o',         /* func 1 = "go" */
        0x00, 0x03, 0x01, 'z', 0x99,                    /* another custom */
    };
    kn_module m;
    kiln_error *e = load(&m, b, sizeof b, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.ncustoms, 2);
        CHECK(strcmp(m.customs[0].name, "name") == 0);
        CHECK_EQ(m.customs[0].offset, 28);
        CHECK_EQ(m.customs[1].data.end - m.customs[1].data.start, 1);
        CHECK_EQ(m.bytes[m.customs[1].data.start], 0x99);
        CHECK(m.module_name && strcmp(m.module_name, "M") == 0);
        CHECK(m.func_names && m.func_names[0] == NULL);
        CHECK(m.func_names && m.func_names[1] && strcmp(m.func_names[1], "go") == 0);
        CHECK_EQ(m.nsections, 5);
    }
    kiln_error_free(e);
    kn_module_clear(&m);

    /* A broken name section (function index out of range) is ignored. */
    static const uint8_t bad[] = {
        HDR,
        0x00, 0x0f, 0x04, 'n', 'a', 'm', 'e',
        0x00, 0x02, 0x01, 'M',
        0x01, 0x04, 0x01, 0x05, 0x01, 'x',
    };
    e = load(&m, bad, sizeof bad, true);
    CHECK(e == NULL);
    CHECK(m.module_name == NULL && m.func_names == NULL);
    kiln_error_free(e);
    kn_module_clear(&m);
    /* And so is one with its subsections out of order or cut short. */
    VALID(HDR, 0x00, 0x0b, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x01, 0x00, 0x00, 0x01, 0x00);
    VALID(HDR, 0x00, 0x08, 0x04, 'n', 'a', 'm', 'e', 0x00, 0x05, 0x01);
}

/* ---- Module validation ------------------------------------------------- */

TEST(validate_indices)
{
    INVALID("unknown type 1", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01,
            0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
    INVALID("unknown type 0", HDR, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00);
    INVALID("unknown function 1", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
            0x00, 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x01, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
    INVALID("unknown memory 0", HDR, 0x07, 0x05, 0x01, 0x01, 'm', 0x02, 0x00);
    INVALID("unknown table 0", HDR, 0x07, 0x05, 0x01, 0x01, 't', 0x01, 0x00);
    INVALID("unknown global 0", HDR, 0x07, 0x05, 0x01, 0x01, 'g', 0x03, 0x00);
    INVALID("unknown memory 1", HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x0b, 0x07, 0x01, 0x02, 0x01,
            0x41, 0x00, 0x0b, 0x00);
    INVALID("unknown table 0", HDR, 0x09, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x00);
    INVALID("unknown function 0", HDR, 0x04, 0x04, 0x01, 0x70, 0x00, 0x00, 0x09, 0x07, 0x01,
            0x00, 0x41, 0x00, 0x0b, 0x01, 0x00);
    INVALID("unknown function 0", HDR, 0x08, 0x01, 0x00);
    /* start must be [] -> [] */
    INVALID("start function", HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x02, 0x01,
            0x00, 0x08, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
}

TEST(validate_limits)
{
    INVALID("multiple memories", HDR, 0x05, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00);
    INVALID("multiple memories", HDR, 0x02, 0x0b, 0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
            0x00, 0x02, 0x00, 0x00);
    INVALID("memory size must be at most 65536 pages (4GiB)", HDR, 0x05, 0x05, 0x01, 0x00,
            0x81, 0x80, 0x04);
    INVALID("memory size must be at most 65536 pages (4GiB)", HDR, 0x05, 0x06, 0x01, 0x01,
            0x00, 0x81, 0x80, 0x04);
    VALID(HDR, 0x05, 0x06, 0x01, 0x01, 0x00, 0x80, 0x80, 0x04);
    INVALID("size minimum must not be greater than maximum", HDR, 0x05, 0x04, 0x01, 0x01, 0x02,
            0x01);
    INVALID("size minimum must not be greater than maximum", HDR, 0x04, 0x05, 0x01, 0x70, 0x01,
            0x02, 0x01);
    /* Tables may be as large as u32 allows, and there may be several. */
    VALID(HDR, 0x04, 0x10, 0x02, 0x70, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x6f, 0x00,
          0xff, 0xff, 0xff, 0xff, 0x0f);
}

TEST(validate_const_exprs)
{
    /* type mismatch: f32 for i32, two values, none */
    INVALID("type mismatch", HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x43, 0, 0, 0, 0, 0x0b);
    INVALID("type mismatch", HDR, 0x06, 0x08, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x0b);
    INVALID("type mismatch", HDR, 0x06, 0x04, 0x01, 0x7f, 0x00, 0x0b);
    INVALID("type mismatch", HDR, 0x06, 0x06, 0x01, 0x6f, 0x00, 0xd0, 0x70, 0x0b);
    /* global.get: only immutable imports */
    INVALID("unknown global 0", HDR, 0x06, 0x0b, 0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f,
            0x00, 0x23, 0x00, 0x0b);
    INVALID("constant expression required", HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7f,
            0x01, 0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b);
    VALID(HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7f, 0x00, 0x06, 0x06, 0x01, 0x7f, 0x00,
          0x23, 0x00, 0x0b);
    /* Extended constant expressions are not Wasm 2.0. */
    INVALID("constant expression required", HDR, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01,
            0x41, 0x02, 0x6a, 0x0b);
    /* ref.func needs an existing function. */
    INVALID("unknown function 0", HDR, 0x06, 0x06, 0x01, 0x70, 0x00, 0xd2, 0x00, 0x0b);
    /* Data and element offsets are i32. */
    INVALID("type mismatch", HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x0b, 0x06, 0x01, 0x00, 0x42,
            0x00, 0x0b, 0x00);
    /* An element segment's type must be its table's. */
    INVALID("type mismatch", HDR, 0x04, 0x04, 0x01, 0x6f, 0x00, 0x00, 0x09, 0x06, 0x01, 0x00,
            0x41, 0x00, 0x0b, 0x00);
    /* Items must have the segment's type. */
    INVALID("type mismatch", HDR, 0x09, 0x07, 0x01, 0x05, 0x70, 0x01, 0xd0, 0x6f, 0x0b);
}

TEST(validate_exports)
{
    INVALID("duplicate export name", HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x09, 0x02, 0x01,
            'a', 0x02, 0x00, 0x01, 'a', 0x02, 0x00);
    /* Names differing after a NUL are different names. */
    VALID(HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x0b, 0x02, 0x02, 0x00, 'a', 0x02, 0x00,
          0x02, 0x00, 'b', 0x02, 0x00);
    VALID(HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x08, 0x02, 0x00, 0x02, 0x00, 0x01, 0x00,
          0x02, 0x00);
    /* The first repeat in module order is the one reported. */
    static const uint8_t b[] = {HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x11, 0x04,
                                0x01, 'b', 0x02, 0x00,   /* 16 */
                                0x01, 'a', 0x02, 0x00,   /* 20 */
                                0x01, 'a', 0x02, 0x00,   /* 24 */
                                0x01, 'b', 0x02, 0x00};  /* 28 */
    CHECK(fails(b, sizeof b, KILN_ERR_VALIDATE, "duplicate export name", 24));
}

/* ---- Robustness --------------------------------------------------------- */

static const uint8_t rich[] = {
    HDR,
    0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
    0x02, 0x0e, 0x02, 0x01, 'm', 0x01, 'f', 0x00, 0x00, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00,
    0x03, 0x02, 0x01, 0x01,
    0x04, 0x04, 0x01, 0x70, 0x00, 0x02,
    0x05, 0x03, 0x01, 0x00, 0x01,
    0x06, 0x06, 0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b,
    0x07, 0x05, 0x01, 0x01, 'x', 0x00, 0x01,
    0x08, 0x01, 0x01,
    0x09, 0x0d, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01, 0x05, 0x70, 0x01, 0xd2, 0x00, 0x0b,
    0x0c, 0x01, 0x01,
    0x0a, 0x07, 0x01, 0x05, 0x01, 0x01, 0x7e, 0x01, 0x0b,
    0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i',
    0x00, 0x0b, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x01, 0x01, 'f',
};

TEST(robust_rich_module)
{
    kn_module m;
    kiln_error *e = load(&m, rich, sizeof rich, true);
    CHECK(e == NULL);
    if (!e) {
        CHECK_EQ(m.nfuncs, 2);
        CHECK_EQ(m.num_global_imports, 1);
        CHECK(m.func_declared[0] && m.func_declared[1]);
        CHECK(m.func_names && strcmp(m.func_names[1], "f") == 0);
    }
    kiln_error_free(e);
    kn_module_clear(&m);
}

TEST(robust_truncations)
{
    /* A prefix cut inside a section is malformed; none may crash or leak. */
    kn_module full;
    kiln_error *e0 = load(&full, rich, sizeof rich, false);
    CHECK(e0 == NULL);
    for (size_t n = 0; n < sizeof rich; n++) {
        bool boundary = n == 8;
        for (uint32_t i = 0; !e0 && i < full.nsections; i++)
            boundary |= full.sections[i].payload + full.sections[i].size == n;
        kn_module m;
        kiln_error *e = load(&m, rich, n, true);
        if (!boundary)
            CHECK(e != NULL);
        if (e)
            CHECK(kiln_error_offset(e) >= 0 && kiln_error_offset(e) <= (int64_t)n);
        kiln_error_free(e);
        kn_module_clear(&m);
    }
    kiln_error_free(e0);
    kn_module_clear(&full);
}

TEST(robust_corruptions)
{
    /* Flip every byte to a few values; whatever happens must be an error
     * with an offset in range, or success. */
    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0b, 0x60, 0x41};
    uint8_t buf[sizeof rich];
    for (size_t i = 8; i < sizeof rich; i++) {
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(buf, rich, sizeof rich);
            buf[i] = vals[k];
            kn_module m;
            kiln_error *e = load(&m, buf, sizeof buf, true);
            if (e) {
                CHECK(kiln_error_kind_of(e) == KILN_ERR_DECODE ||
                      kiln_error_kind_of(e) == KILN_ERR_VALIDATE);
                CHECK(kiln_error_offset(e) >= 0 && kiln_error_offset(e) <= (int64_t)sizeof buf);
            }
            kiln_error_free(e);
            kn_module_clear(&m);
        }
    }
    /* kn_module_clear may run twice. */
    kn_module m;
    kiln_error_free(load(&m, rich, sizeof rich, true));
    kn_module_clear(&m);
    kn_module_clear(&m);
}
