/*
 * lex.c — the text format's tokens: parentheses, keywords, $ids, strings
 * and the rest (numbers and reserved words), with line and column.
 *
 * The whole input is tokenized up front: both the module parser (which
 * walks the fields twice) and the script reader (which skips assertions
 * whole) want random access, and each '(' records its matching ')'.
 * Strings are checked here (characters, escapes, UTF-8 of \u{...}), so
 * decoding later cannot fail.  Comments nest; an unclosed one, an
 * unclosed string or an unbalanced parenthesis is an error here.
 *
 * A token ends at whitespace, a parenthesis, a quote that does not open
 * its first character, or a comment start; a run of other characters that
 * is not a keyword, id or plain atom becomes WT_RESERVED, which no parser
 * accepts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat_impl.h"

typedef struct lexer {
    const char *s;
    size_t n, i;
    uint32_t line, col;
    wat_tok *t;
    size_t nt, cap;
    kiln_wat_error *err;
} lexer;

static bool lex_error(lexer *L, uint32_t line, uint32_t col, const char *msg)
{
    wat_tok at = {.line = line, .col = col};
    kn_wat_set_error(L->err, &at, "%s", msg);
    return false;
}

static void advance(lexer *L)
{
    if (L->s[L->i] == '\n') {
        L->line++;
        L->col = 1;
    } else {
        L->col++;
    }
    L->i++;
}

static bool is_idchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static bool at(const lexer *L, size_t k, char c) { return L->i + k < L->n && L->s[L->i + k] == c; }

/* Skips whitespace and comments; false on an unclosed block comment or a
 * character that may not appear outside strings. */
static bool skip_space(lexer *L)
{
    while (L->i < L->n) {
        char c = L->s[L->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            advance(L);
        } else if (c == ';' && at(L, 1, ';')) {
            while (L->i < L->n && L->s[L->i] != '\n')
                advance(L);
        } else if (c == '(' && at(L, 1, ';')) {
            uint32_t line = L->line, col = L->col;
            unsigned depth = 0;
            do {
                if (L->i >= L->n)
                    return lex_error(L, line, col, "unclosed block comment");
                if (L->s[L->i] == '(' && at(L, 1, ';')) {
                    depth++;
                    advance(L);
                } else if (L->s[L->i] == ';' && at(L, 1, ')')) {
                    depth--;
                    advance(L);
                }
                advance(L);
            } while (depth > 0);
        } else {
            return true;
        }
    }
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        return 0;
    return len;
}

bool kn_wat_utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(s + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

/* Checks the string starting at L->i (a '"') and moves past it. */
static bool lex_string(lexer *L)
{
    uint32_t line = L->line, col = L->col;
    advance(L);
    for (;;) {
        if (L->i >= L->n || L->s[L->i] == '\n')
            return lex_error(L, line, col, "unclosed string");
        unsigned char c = (unsigned char)L->s[L->i];
        if (c == '"') {
            advance(L);
            return true;
        }
        if (c < 0x20 || c == 0x7f)
            return lex_error(L, L->line, L->col, "illegal character in string");
        if (c >= 0x80) {
            size_t l = utf8_len((const uint8_t *)L->s + L->i, L->n - L->i);
            if (!l)
                return lex_error(L, L->line, L->col, "malformed UTF-8 encoding");
            L->i += l;
            L->col++;
            continue;
        }
        if (c != '\\') {
            advance(L);
            continue;
        }
        uint32_t ecol = L->col;
        advance(L);
        char e = L->i < L->n ? L->s[L->i] : 0;
        if (e && strchr("tnr\"'\\", e)) {
            advance(L);
        } else if (e == 'u') {
            advance(L);
            if (!at(L, 0, '{'))
                return lex_error(L, L->line, ecol, "malformed unicode escape");
            advance(L);
            uint32_t cp = 0;
            int digits = 0;
            while (L->i < L->n && (hexval(L->s[L->i]) >= 0 || (L->s[L->i] == '_' && digits))) {
                if (L->s[L->i] != '_') {
                    cp = cp * 16 + (uint32_t)hexval(L->s[L->i]);
                    if (cp > 0x10ffff)
                        return lex_error(L, L->line, ecol, "malformed unicode escape");
                    digits++;
                }
                advance(L);
            }
            if (!digits || !at(L, 0, '}') || (cp >= 0xd800 && cp < 0xe000))
                return lex_error(L, L->line, ecol, "malformed unicode escape");
            advance(L);
        } else if (hexval(e) >= 0 && L->i + 1 < L->n && hexval(L->s[L->i + 1]) >= 0) {
            advance(L);
            advance(L);
        } else {
            return lex_error(L, L->line, ecol, "unknown escape sequence");
        }
    }
}

static bool push(lexer *L, wat_tok tok)
{
    if (L->nt == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 256;
        wat_tok *t = realloc(L->t, cap * sizeof *t);
        if (!t)
            return lex_error(L, tok.line, tok.col, "out of memory");
        L->t = t;
        L->cap = cap;
    }
    L->t[L->nt++] = tok;
    return true;
}

static uint8_t classify(const char *s, size_t len, bool has_string)
{
    if (has_string)
        return s[0] == '"' ? WT_STRING : WT_RESERVED;
    for (size_t k = 0; k < len; k++)
        if (!is_idchar((unsigned char)s[k]))
            return WT_RESERVED;
    if (s[0] == '$')
        return len > 1 ? WT_ID : WT_RESERVED;
    if (s[0] >= 'a' && s[0] <= 'z')
        return WT_KEYWORD;
    return WT_ATOM;
}

/* One token other than a parenthesis, starting at L->i. */
static bool lex_word(lexer *L)
{
    wat_tok tok = {.s = L->s + L->i, .line = L->line, .col = L->col};
    size_t start = L->i;
    bool has_string = false, only_string = L->s[L->i] == '"';
    while (L->i < L->n) {
        char c = L->s[L->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')')
            break;
        if (c == ';' && at(L, 1, ';'))
            break;
        if (c == '"') {
            if (L->i != start)
                only_string = false;
            has_string = true;
            if (!lex_string(L))
                return false;
            continue;
        }
        if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
            return lex_error(L, L->line, L->col, "unexpected character");
        if (has_string)
            only_string = false;
        advance(L);
    }
    tok.len = (uint32_t)(L->i - start);
    tok.kind = classify(tok.s, tok.len, has_string);
    if (tok.kind == WT_STRING && !only_string)
        tok.kind = WT_RESERVED;
    return push(L, tok);
}

static bool lex_all(lexer *L)
{
    size_t stack_n = 0, stack_cap = 0;
    uint32_t *stack = NULL;
    bool ok = true;
    for (;;) {
        if (!(ok = skip_space(L)))
            break;
        if (L->i >= L->n)
            break;
        char c = L->s[L->i];
        wat_tok tok = {.s = L->s + L->i, .len = 1, .line = L->line, .col = L->col};
        if (c == '(' || c == ')') {
            tok.kind = c == '(' ? WT_LPAR : WT_RPAR;
            if (c == ')') {
                if (!stack_n) {
                    ok = lex_error(L, L->line, L->col, "unexpected ')'");
                    break;
                }
                L->t[stack[--stack_n]].match = (uint32_t)L->nt;
            } else {
                if (stack_n == stack_cap) {
                    stack_cap = stack_cap ? stack_cap * 2 : 64;
                    uint32_t *s2 = realloc(stack, stack_cap * sizeof *stack);
                    if (!s2) {
                        ok = lex_error(L, L->line, L->col, "out of memory");
                        break;
                    }
                    stack = s2;
                }
                stack[stack_n++] = (uint32_t)L->nt;
            }
            advance(L);
            if (!(ok = push(L, tok)))
                break;
        } else if (!(ok = lex_word(L))) {
            break;
        }
    }
    if (ok && stack_n) {
        const wat_tok *open = &L->t[stack[stack_n - 1]];
        ok = lex_error(L, open->line, open->col, "unclosed '('");
    }
    free(stack);
    if (ok) {
        wat_tok eof = {.s = L->s + L->n, .line = L->line, .col = L->col, .kind = WT_EOF};
        ok = push(L, eof);
    }
    return ok;
}

bool kn_wat_lex(const char *text, size_t len, wat_tok **toks, size_t *ntoks, kiln_wat_error *err)
{
    if (len > UINT32_MAX / 2) {
        wat_tok at0 = {.line = 1, .col = 1};
        kn_wat_set_error(err, &at0, "text too large");
        return false;
    }
    lexer L = {.s = text, .n = len, .line = 1, .col = 1, .err = err};
    if (!lex_all(&L)) {
        free(L.t);
        return false;
    }
    /* exactly as many as there are, so that a read past the end is one
     * that ASan sees (a parser may look one token past a ')', never two) */
    wat_tok *exact = realloc(L.t, L.nt * sizeof *L.t);
    *toks = exact ? exact : L.t;
    *ntoks = L.nt;
    return true;
}

bool kn_wat_tok_is(const wat_tok *t, const char *kw)
{
    size_t n = strlen(kw);
    return t->kind == WT_KEYWORD && t->len == n && memcmp(t->s, kw, n) == 0;
}

bool kiln_wat_is_text(const uint8_t *bytes, size_t len)
{
    if (!bytes || (len >= 4 && memcmp(bytes, "\0asm", 4) == 0))
        return false;
    lexer L = {.s = (const char *)bytes, .n = len, .line = 1, .col = 1};
    kiln_wat_error scratch;
    L.err = &scratch;
    if (!skip_space(&L))
        return false;
    return L.i < L.n && L.s[L.i] == '(';
}
