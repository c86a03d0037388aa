/* test_literals.c — numeric literals, strings, comments, names and error
 * positions of the text format, through the public API (kiln_wat.h).
 * A literal is checked by parsing (module (global T (T.const LIT))) and
 * reading the constant back from the end of the binary. */
#include <stdio.h>
#include <string.h>

#include "kiln_wat.h"
#include "unit.h"

/* The module of text, or NULL (then *e says why). */
static uint8_t *wat(const char *text, size_t *n, kiln_wat_error *e)
{
    uint8_t *w = NULL;
    if (!kiln_wat_to_wasm(text, strlen(text), &w, n, e))
        return NULL;
    return w;
}

/* (global T (T.const lit)): true and the constant's bytes after the
 * opcode (the module ends with them and 0x0b). */
static bool konst(const char *type, const char *lit, uint8_t *out, size_t *len)
{
    char text[256];
    snprintf(text, sizeof text, "(module (global %s (%s.const %s)))", type, type, lit);
    size_t n;
    kiln_wat_error e;
    uint8_t *w = wat(text, &n, &e);
    if (!w)
        return false;
    /* magic+version, id, size, count, valtype, mut, opcode */
    size_t start = 8 + 1 + 1 + 1 + 1 + 1 + 1;
    *len = n - 1 - start;
    memcpy(out, w + start, *len);
    kiln_wat_free(w);
    return true;
}

static bool f32_is(const char *lit, uint32_t want)
{
    uint8_t b[16];
    size_t n;
    if (!konst("f32", lit, b, &n) || n != 4)
        return false;
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                 (uint32_t)b[3] << 24;
    if (v != want)
        printf("  f32 %s: got 0x%08x, want 0x%08x\n", lit, v, want);
    return v == want;
}

static bool f64_is(const char *lit, uint64_t want)
{
    uint8_t b[16];
    size_t n;
    if (!konst("f64", lit, b, &n) || n != 8)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    if (v != want)
        printf("  f64 %s: got 0x%016llx, want 0x%016llx\n", lit, (unsigned long long)v,
               (unsigned long long)want);
    return v == want;
}

static bool int_is(const char *type, const char *lit, int64_t want)
{
    uint8_t b[16];
    size_t n;
    if (!konst(type, lit, b, &n))
        return false;
    int64_t v = 0;
    unsigned shift = 0;
    size_t i = 0;
    uint8_t byte;
    do {
        byte = b[i++];
        v |= (int64_t)((uint64_t)(byte & 0x7f) << shift);
        shift += 7;
    } while ((byte & 0x80) && i < n);
    if (shift < 64 && (byte & 0x40))
        v |= (int64_t)(~UINT64_C(0) << shift);
    return i == n && v == want;
}

static bool rejected(const char *type, const char *lit)
{
    uint8_t b[16];
    size_t n;
    return !konst(type, lit, b, &n);
}

TEST(wat_float_rounding)
{
    CHECK(f32_is("0x1p-149", 1));              /* smallest subnormal */
    CHECK(f32_is("0x1p-150", 0));              /* half of it: tie to even, 0 */
    CHECK(f32_is("0x1.8p-149", 2));            /* 1.5 ulps: tie to even, 2 */
    CHECK(f32_is("0x1.4p-149", 1));            /* 1.25 ulps: down */
    CHECK(f32_is("0x1.000001p0", 0x3f800000)); /* below half an ulp */
    CHECK(f32_is("0x1.000003p0", 0x3f800002)); /* 1.5 ulps: tie to even */
    CHECK(f32_is("0x1.0000010000000000000000001p0", 0x3f800001)); /* just past half */
    CHECK(f32_is("0x1.fffffep127", 0x7f7fffff));
    CHECK(f32_is("0x1.fffffefffffffp127", 0x7f7fffff)); /* rounds down to max */
    CHECK(rejected("f32", "0x1.ffffffp127"));  /* rounds up to infinity */
    CHECK(rejected("f32", "1e39"));
    CHECK(f32_is("3.4028235e38", 0x7f7fffff));
    CHECK(f32_is("1e-46", 0));                 /* underflow to zero is fine */
    CHECK(f32_is("0.1", 0x3dcccccd));
    CHECK(f32_is("-0", 0x80000000));
    CHECK(f32_is("+1_000.5", 0x447a2000));
    CHECK(f32_is("1e+2", 0x42c80000));
    CHECK(f32_is("0x10", 0x41800000));
    CHECK(f32_is("0x1P+1", 0x40000000));
    CHECK(f64_is("0x1.fffffffffffffp-1023", 0x0010000000000000)); /* tie: to even */
    CHECK(f64_is("0x1.ffffffffffffep-1023", 0x000fffffffffffff));
    CHECK(f64_is("4.9e-324", 1));
    CHECK(f64_is("2.4703282292062328e-324", 1)); /* just over half the subnormal */
    CHECK(f64_is("2.4703282292062327e-324", 0)); /* just under */
    CHECK(f64_is("1.7976931348623157e308", 0x7fefffffffffffff));
    CHECK(rejected("f64", "1.7976931348623159e308"));
    CHECK(f64_is("0.1", 0x3fb999999999999a));
    CHECK(f64_is("1_234.567_8e1_0", 0x42a674e780df0000));
}

TEST(wat_float_specials)
{
    CHECK(f32_is("inf", 0x7f800000));
    CHECK(f32_is("-inf", 0xff800000));
    CHECK(f32_is("nan", 0x7fc00000));
    CHECK(f32_is("-nan", 0xffc00000));
    CHECK(f32_is("+nan:0x200000", 0x7fa00000));
    CHECK(f32_is("nan:0x1", 0x7f800001));
    CHECK(f32_is("nan:0x7f_ffff", 0x7fffffff));
    CHECK(rejected("f32", "nan:0x0"));
    CHECK(rejected("f32", "nan:0x800000"));
    CHECK(f64_is("-nan:0xf_ffff_ffff_ffff", 0xffffffffffffffff));
    CHECK(f64_is("nan:0x8000000000000", 0x7ff8000000000000));
    CHECK(rejected("f64", "nan:0x10000000000000"));
    CHECK(rejected("f32", "infinity"));
    CHECK(rejected("f32", "0x.p1"));
    CHECK(rejected("f32", "1.e"));
    CHECK(rejected("f32", "1__0"));
    CHECK(rejected("f32", "_1"));
    CHECK(rejected("f32", "1_"));
    CHECK(rejected("f32", "0x_1"));
    CHECK(rejected("f32", "1._5"));
    CHECK(f32_is("1.", 0x3f800000));
}

TEST(wat_int_limits)
{
    CHECK(int_is("i32", "4294967295", -1));
    CHECK(int_is("i32", "0xffff_ffff", -1));
    CHECK(int_is("i32", "-2147483648", INT32_MIN));
    CHECK(int_is("i32", "-0x8000_0000", INT32_MIN));
    CHECK(int_is("i32", "+2147483647", INT32_MAX));
    CHECK(int_is("i32", "-0", 0));
    CHECK(rejected("i32", "4294967296"));
    CHECK(rejected("i32", "-2147483649"));
    CHECK(rejected("i32", "+2147483648")); /* a signed literal: sN range */
    CHECK(rejected("i32", "1.0"));
    CHECK(rejected("i32", "0x"));
    CHECK(rejected("i32", "--1"));
    CHECK(int_is("i64", "18446744073709551615", -1));
    CHECK(int_is("i64", "-9223372036854775808", INT64_MIN));
    CHECK(int_is("i64", "0x7fff_ffff_ffff_ffff", INT64_MAX));
    CHECK(rejected("i64", "18446744073709551616"));
    CHECK(rejected("i64", "-9223372036854775809"));
    CHECK(rejected("i64", "0x1_0000_0000_0000_0000"));
}

/* The bytes of a data segment: the module ends with them. */
static bool data_is(const char *str, const char *want, size_t want_len)
{
    char text[256];
    snprintf(text, sizeof text, "(module (memory 1) (data (i32.const 0) %s))", str);
    size_t n;
    kiln_wat_error e;
    uint8_t *w = wat(text, &n, &e);
    if (!w)
        return false;
    bool ok = n > want_len && memcmp(w + n - want_len, want, want_len) == 0 &&
              w[n - want_len - 1] == want_len;
    kiln_wat_free(w);
    return ok;
}

TEST(wat_strings)
{
    CHECK(data_is("\"\\t\\n\\r\\\"\\'\\\\\"", "\t\n\r\"'\\", 6));
    CHECK(data_is("\"\\00\\ff\\7F\"", "\0\xff\x7f", 3));
    CHECK(data_is("\"\\u{41}\\u{e9}\\u{20AC}\\u{10FFFF}\"",
                  "A\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf", 10));
    CHECK(data_is("\"a\" \"\" \"bc\"", "abc", 3));
    CHECK(data_is("\"\xc3\xa9\"", "\xc3\xa9", 2)); /* UTF-8 as written */
    size_t n;
    kiln_wat_error e;
    CHECK(!wat("(module (data \"\\u{D800}\"))", &n, &e));
    CHECK(!wat("(module (data \"\\u{110000}\"))", &n, &e));
    CHECK(!wat("(module (data \"\\x\"))", &n, &e));
    CHECK(!wat("(module (data \"\\f\"))", &n, &e));
    CHECK(!wat("(module (data \"a\tb\"))", &n, &e)); /* raw control character */
    CHECK(!wat("(module (data \"\xc3\"))", &n, &e));  /* invalid UTF-8 */
    CHECK(!wat("(module (import \"\\ff\" \"x\" (func)))", &n, &e)); /* names are UTF-8 */
}

static void check_error(const char *text, uint32_t line, uint32_t col, const char *part)
{
    size_t n;
    kiln_wat_error e;
    uint8_t *w = wat(text, &n, &e);
    CHECK(w == NULL);
    kiln_wat_free(w);
    if (w)
        return;
    if (e.line != line || e.column != col || !strstr(e.message, part))
        printf("  %s: got %u:%u %s\n", text, e.line, e.column, e.message);
    CHECK_EQ(e.line, line);
    CHECK_EQ(e.column, col);
    CHECK(strstr(e.message, part) != NULL);
}

TEST(wat_error_positions)
{
    check_error("(module\n  (func\n    i32.bogus))", 3, 5, "unknown operator");
    check_error("(module (func $f) (func $f))", 1, 25, "duplicate func");
    check_error("(module (func (call $g)))", 1, 21, "unknown func");
    check_error("(module\n(func (i32.const 0x1_0000_0000)))", 2, 18, "constant out of range");
    check_error("(module (data \"abc))", 1, 15, "unclosed string");
    check_error("(module (; a (; b ;) c )", 1, 9, "unclosed block comment");
    check_error("(module (func)", 1, 1, "unclosed '('");
    check_error("(module))", 1, 9, "unexpected ')'");
    check_error("(module (func block $a end $b))", 1, 28, "mismatching label");
    check_error("(module (func br $nowhere))", 1, 18, "unknown label");
    check_error("(module (func) (import \"m\" \"f\" (func)))", 1, 17, "import after");
    check_error("(module (memory 1) (func (i32.load align=3 (i32.const 0))))", 1, 36,
                "alignment");
}

TEST(wat_comments_and_forms)
{
    size_t n1, n2;
    kiln_wat_error e;
    uint8_t *a = wat("(module (; a (; nested ;) b ;) (func (result i32) ;; line\n i32.const 7))",
                     &n1, &e);
    uint8_t *b = wat("(func (result i32) (i32.const 7))", &n2, &e); /* bare fields */
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    kiln_wat_free(a);
    kiln_wat_free(b);
    /* labels resolve to the innermost of a name; the same body folded */
    a = wat("(module (func block $a block $b br $a br $b br 0 end end))", &n1, &e);
    b = wat("(module (func (block $a (block $b (br 1) (br 0) (br 0)))))", &n2, &e);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    kiln_wat_free(a);
    kiln_wat_free(b);
    /* inline export and import equal their long forms */
    a = wat("(module (func $f (import \"m\" \"f\") (param i32)) (func (export \"g\") (call $f "
            "(i32.const 1))))",
            &n1, &e);
    b = wat("(module (type (func (param i32))) (type (func)) (import \"m\" \"f\" (func (type 0)))"
            " (func (type 1) i32.const 1 call 0) (export \"g\" (func 1)))",
            &n2, &e);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    kiln_wat_free(a);
    kiln_wat_free(b);
}

TEST(wat_is_text)
{
    CHECK(kiln_wat_is_text((const uint8_t *)"(module)", 8));
    CHECK(kiln_wat_is_text((const uint8_t *)"  ;; c\n(; x ;)\t(func)", 21));
    CHECK(!kiln_wat_is_text((const uint8_t *)"\0asm\1\0\0\0", 8));
    CHECK(!kiln_wat_is_text((const uint8_t *)"module", 6));
    CHECK(!kiln_wat_is_text((const uint8_t *)"", 0));
    CHECK(!kiln_wat_is_text((const uint8_t *)"(; open", 7));
}

TEST(wast_script_reader)
{
    const char *text =
        "(module $M (func (export \"f\") (param i32) (result i32) local.get 0))\n"
        "(register \"m\" $M)\n"
        "(assert_return (invoke $M \"f\" (i32.const -1)) (i32.const 0xffffffff))\n"
        "(assert_return (invoke \"g\" (v128.const f32x4 1 nan 0 -0))\n"
        "  (v128.const f32x4 nan:canonical nan:arithmetic 0 -0x0p+0)\n"
        "  (ref.extern) (ref.null func))\n"
        "(assert_malformed (module quote \"(func\" \" bogus)\") \"unknown operator\")\n"
        "(assert_malformed (module binary \"\\00asm\") \"unexpected end\")\n"
        "(assert_trap (module (start 9)) \"unknown\")\n"
        "(assert_invalid (module (func (i32.const 1e))) \"x\")\n";
    kiln_wast_script *s;
    kiln_wat_error e;
    CHECK(kiln_wast_parse(text, strlen(text), &s, &e));
    if (!s)
        return;
    CHECK_EQ(kiln_wast_count(s), 8);
    const kiln_wast_command *c = kiln_wast_get(s, 0);
    CHECK(c->kind == KILN_WAST_MODULE && c->module.name && strcmp(c->module.name, "M") == 0);
    CHECK(c->module.form == KILN_WAST_MODULE_TEXT && c->module.len > 8);
    c = kiln_wast_get(s, 1);
    CHECK(c->kind == KILN_WAST_REGISTER && strcmp(c->register_name, "m") == 0 &&
          strcmp(c->register_module, "M") == 0);
    c = kiln_wast_get(s, 2);
    CHECK(c->kind == KILN_WAST_ASSERT_RETURN && c->line == 3 && strcmp(c->action.module, "M") == 0);
    CHECK(c->action.nargs == 1 && c->action.args[0].bits == 0xffffffff);
    CHECK(c->nresults == 1 && c->results[0].alts[0].bits == 0xffffffff);
    c = kiln_wast_get(s, 3);
    CHECK(c->action.module == NULL && c->action.args[0].type == KILN_WAST_V128);
    CHECK(c->action.args[0].v128[3] == 0x3f && c->action.args[0].v128[7] == 0x7f);
    CHECK(c->nresults == 3);
    const kiln_wast_value *v = &c->results[0].alts[0];
    CHECK(v->shape == KILN_WAST_F32X4 && v->pattern[0] == KILN_WAST_NAN_CANONICAL &&
          v->pattern[1] == KILN_WAST_NAN_ARITHMETIC && v->pattern[2] == KILN_WAST_EXACT);
    CHECK(v->v128[15] == 0x80);
    CHECK(c->results[1].alts[0].type == KILN_WAST_EXTERNREF && c->results[1].alts[0].any);
    CHECK(c->results[2].alts[0].type == KILN_WAST_FUNCREF && c->results[2].alts[0].is_null);
    c = kiln_wast_get(s, 4);
    CHECK(c->kind == KILN_WAST_ASSERT_MALFORMED && c->module.form == KILN_WAST_MODULE_QUOTE);
    CHECK(strcmp((const char *)c->module.bytes, "(func bogus)") == 0);
    CHECK(strcmp(c->message, "unknown operator") == 0);
    c = kiln_wast_get(s, 5);
    CHECK(c->module.form == KILN_WAST_MODULE_BINARY && c->module.len == 4);
    c = kiln_wast_get(s, 6);
    CHECK(c->kind == KILN_WAST_ASSERT_UNINSTANTIABLE && c->module.len > 8);
    kiln_wast_free(s);
    /* the last line's module is kept as a parse error, not a script error */
    text = "(assert_invalid (module (func (i32.const 1e))) \"x\")";
    CHECK(kiln_wast_parse(text, strlen(text), &s, &e));
    c = kiln_wast_get(s, 0);
    CHECK(c && c->module.parse_failed && c->module.error.line == 1 && c->module.error.column == 42);
    kiln_wast_free(s);
    /* a text module that fails elsewhere fails the script, with its position */
    text = "(module)\n(module (func nope))";
    CHECK(!kiln_wast_parse(text, strlen(text), &s, &e));
    CHECK_EQ(e.line, 2);
    CHECK_EQ(e.column, 15);
}
