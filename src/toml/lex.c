/*
 * lex.c — the character level of TOML: errors with line and column, UTF-8
 * checking, whitespace, comments and newlines, keys and the four kinds of
 * string with their escapes.
 *
 * The whole input is checked for NUL bytes and invalid UTF-8 once, before
 * parsing, so everything here may treat bytes >= 0x80 as parts of valid
 * characters and only has to police ASCII control characters, which TOML
 * allows nowhere but tab (and newlines where a newline may be).  A bare
 * carriage return is an error everywhere; CRLF inside a multi-line string
 * is read as LF.  Strings and keys are decoded into the parser's scratch
 * buffer (p->buf, p->blen), NUL-terminated, possibly containing NUL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml_impl.h"

bool tp_fail(tp *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    if (!p->err)
        return false;
    kiln_toml_pos pos = tp_pos(p, off);
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->err->pos = pos;
    snprintf(p->err->message, sizeof p->err->message, "%u:%u: %s", (unsigned)pos.line,
             (unsigned)pos.column, msg);
    return false;
}

bool tp_nomem(tp *p)
{
    return tp_fail(p, p->i, "out of memory");
}

static bool has_bom(const tp *p)
{
    return p->n >= 3 && memcmp(p->s, "\xEF\xBB\xBF", 3) == 0;
}

/* Counts forward from the last position asked for, so that asking for the
 * positions of values in document order costs linear time overall. */
kiln_toml_pos tp_pos(tp *p, size_t off)
{
    if (off > p->n)
        off = p->n;
    if (off < p->pc_off || p->pc.line == 0) {
        p->pc_off = has_bom(p) && off >= 3 ? 3 : 0;
        p->pc = (kiln_toml_pos){1, 1};
    }
    for (size_t i = p->pc_off; i < off; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '\n')
            p->pc.line++, p->pc.column = 1;
        else if ((c & 0xC0) != 0x80)
            p->pc.column++;
    }
    p->pc_off = off;
    return p->pc;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    uint32_t cp = c & (0x3F >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool tp_check_utf8(tp *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    for (size_t i = 0; i < p->n;) {
        if (s[i] == 0)
            return tp_fail(p, i, "NUL byte in the document");
        size_t len = utf8_len(s + i, p->n - i);
        if (len == 0)
            return tp_fail(p, i, "invalid UTF-8 (byte 0x%02X)", s[i]);
        i += len;
    }
    return true;
}

int tp_peek(const tp *p, size_t ahead)
{
    return p->i + ahead < p->n ? (unsigned char)p->s[p->i + ahead] : -1;
}

void tp_skip_ws(tp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
        p->i++;
}

static bool is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F;
}

/* A control character where only text may be; `where` names the place. */
static bool bad_char(tp *p, int c, const char *where)
{
    if (c == '\r')
        return tp_fail(p, p->i, "carriage return not followed by a newline %s", where);
    return tp_fail(p, p->i, "control character U+%04X %s", (unsigned)c, where);
}

bool tp_skip_comment(tp *p)
{
    if (tp_peek(p, 0) != '#')
        return true;
    for (p->i++; p->i < p->n; p->i++) {
        int c = (unsigned char)p->s[p->i];
        if (c == '\n' || (c == '\r' && tp_peek(p, 1) == '\n'))
            break;
        if (is_control(c))
            return bad_char(p, c, "in a comment");
    }
    return true;
}

bool tp_newline(tp *p)
{
    if (tp_peek(p, 0) == '\n') {
        p->i++;
        return true;
    }
    if (tp_peek(p, 0) == '\r' && tp_peek(p, 1) == '\n') {
        p->i += 2;
        return true;
    }
    return false;
}

/* Renders the character at i for an error message. */
static void describe_at(const tp *p, size_t i, char *out, size_t cap)
{
    if (i >= p->n) {
        snprintf(out, cap, "end of file");
        return;
    }
    unsigned char c = (unsigned char)p->s[i];
    if (c == '\n' || c == '\r')
        snprintf(out, cap, "end of line");
    else if (c < 0x20 || c == 0x7F)
        snprintf(out, cap, "U+%04X", c);
    else
        snprintf(out, cap, "'%.*s'", (int)utf8_len((const unsigned char *)p->s + i, p->n - i),
                 p->s + i);
}

bool tp_end_of_line(tp *p)
{
    tp_skip_ws(p);
    if (!tp_skip_comment(p))
        return false;
    if (p->i >= p->n || tp_newline(p))
        return true;
    char what[16];
    describe_at(p, p->i, what, sizeof what);
    if (p->s[p->i] == '\r')
        return bad_char(p, '\r', "at the end of a line");
    return tp_fail(p, p->i, "expected the end of the line, found %s", what);
}

bool tp_buf_put(tp *p, const char *data, size_t n)
{
    if (p->blen + n + 1 > p->bcap) {
        size_t cap = p->bcap ? p->bcap : 64;
        while (cap < p->blen + n + 1)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b)
            return tp_nomem(p);
        p->buf = b;
        p->bcap = cap;
    }
    memcpy(p->buf + p->blen, data, n);
    p->blen += n;
    p->buf[p->blen] = 0;
    return true;
}

static bool put_utf8(tp *p, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    return tp_buf_put(p, b, n);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* \uXXXX or \UXXXXXXXX, p->i at the 'u'; digits hex digits follow. */
static bool unicode_escape(tp *p, int digits)
{
    size_t at = p->i - 1;
    uint32_t cp = 0;
    for (int k = 1; k <= digits; k++) {
        int h = hexval(tp_peek(p, (size_t)k));
        if (h < 0)
            return tp_fail(p, at, "\\%c escape needs %d hex digits", p->s[p->i], digits);
        cp = cp << 4 | (uint32_t)h;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return tp_fail(p, at, "\\%c%0*X is not a Unicode scalar value", p->s[p->i], digits,
                       (unsigned)cp);
    p->i += (size_t)digits + 1;
    return put_utf8(p, cp);
}

/* After a backslash that ends a line in a multi-line basic string: skips
 * whitespace up to the newline, then all whitespace and newlines. */
static bool line_ending_backslash(tp *p, size_t at)
{
    tp_skip_ws(p);
    if (!tp_newline(p))
        return tp_fail(p, at, "a backslash followed by whitespace must end the line");
    for (;;) {
        tp_skip_ws(p);
        if (!tp_newline(p))
            return true;
    }
}

/* p->i just past the backslash. */
static bool escape(tp *p, bool multiline)
{
    size_t at = p->i - 1;
    int c = tp_peek(p, 0);
    const char *map = "b\bt\tn\nf\fr\r\"\"\\\\";
    for (const char *m = map; *m; m += 2)
        if (c == *m) {
            p->i++;
            return tp_buf_put(p, m + 1, 1);
        }
    if (c == 'u')
        return unicode_escape(p, 4);
    if (c == 'U')
        return unicode_escape(p, 8);
    if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
        return line_ending_backslash(p, at);
    char what[16];
    describe_at(p, p->i, what, sizeof what);
    if (c >= 0x21 && c < 0x7F)
        return tp_fail(p, at, "invalid escape \\%c", c);
    return tp_fail(p, at, "invalid escape: backslash followed by %s", what);
}

/* A run of closing quotes in a multi-line string: up to two of them may be
 * content just before the three that close it. */
static bool quote_run(tp *p, char q, bool *done)
{
    size_t n = 0;
    while (tp_peek(p, n) == q)
        n++;
    if (n < 3) {
        p->i += n;
        return tp_buf_put(p, p->s + p->i - n, n);
    }
    if (n > 5)
        return tp_fail(p, p->i + 5, "too many quotes at the end of a multi-line string");
    *done = true;
    p->i += n;
    return tp_buf_put(p, p->s + p->i - n, n - 3);
}

/* One string body; p->i past the opening delimiter. */
static bool string_body(tp *p, char q, bool multiline, size_t start)
{
    bool basic = q == '"', done = false;
    while (!done) {
        int c = tp_peek(p, 0);
        if (c < 0)
            return tp_fail(p, start, "unterminated string");
        if (c == q) {
            if (!multiline) {
                p->i++;
                return true;
            }
            if (!quote_run(p, q, &done))
                return false;
        } else if (c == '\\' && basic) {
            p->i++;
            if (!escape(p, multiline))
                return false;
        } else if (c == '\n' || c == '\r') {
            if (!multiline)
                return tp_fail(p, start, "unterminated string (newline before the closing quote)");
            if (!tp_newline(p))
                return bad_char(p, c, "in a string");
            if (!tp_buf_put(p, "\n", 1))
                return false;
        } else if (is_control(c)) {
            return bad_char(p, c, "in a string");
        } else {
            size_t run = 1;
            while (p->i + run < p->n && p->s[p->i + run] != q && p->s[p->i + run] != '\\' &&
                   !is_control((unsigned char)p->s[p->i + run]))
                run++;
            if (!tp_buf_put(p, p->s + p->i, run))
                return false;
            p->i += run;
        }
    }
    return true;
}

bool tp_read_string(tp *p, int quote)
{
    char q = (char)quote;
    size_t start = p->i;
    p->blen = 0;
    if (!tp_buf_put(p, "", 0))
        return false;
    bool multiline = tp_peek(p, 1) == q && tp_peek(p, 2) == q;
    p->i += multiline ? 3 : 1;
    if (multiline)
        tp_newline(p); /* a newline right after the opening delimiter is not content */
    return string_body(p, q, multiline, start);
}

static bool is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

bool tp_read_key_part(tp *p)
{
    int c = tp_peek(p, 0);
    if (c == '"' || c == '\'') {
        if (tp_peek(p, 1) == c && tp_peek(p, 2) == c)
            return tp_fail(p, p->i, "a multi-line string cannot be a key");
        return tp_read_string(p, c);
    }
    size_t start = p->i;
    while (is_bare(tp_peek(p, 0)))
        p->i++;
    if (p->i == start) {
        char what[16];
        describe_at(p, p->i, what, sizeof what);
        return tp_fail(p, p->i, "expected a key, found %s", what);
    }
    p->blen = 0;
    return tp_buf_put(p, p->s + start, p->i - start);
}

void tp_describe(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o + 12 >= cap) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, cap - o, c == '"' || c == '\\' ? "\\%c" : "\\u%04X", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
}
