/*
 * expr — expression parser and tree-walking evaluator.
 *
 * Generates the text of a few thousand random arithmetic expressions
 * (integers, four variables, + - * / %, unary minus, parentheses, spaces),
 * tokenises and parses it with a recursive-descent parser into an AST held
 * in a node pool, then evaluates every tree for many variable bindings with
 * wrapping 32-bit arithmetic (binary operators dispatched through a table
 * of function pointers).  Character handling, recursion, indirect calls and
 * pointer-chasing through a tree.
 */
#include <stdint.h>

#define TEXT_MAX  (160 * 1024)
#define NODE_MAX  (256 * 1024)
#define ROOT_MAX  (32 * 1024)
#define ROUNDS    3
#define BINDINGS  24

enum { N_NUM, N_VAR, N_NEG, N_ADD, N_SUB, N_MUL, N_DIV, N_MOD };

typedef struct {
    uint8_t kind;
    uint8_t var;
    int32_t left, right;     /* node indices */
    int32_t value;
} node;

static char text[TEXT_MAX];
static int32_t text_len;
static node pool[NODE_MAX];
static int32_t npool;
static int32_t roots[ROOT_MAX];
static int32_t nroots;
static uint32_t rng;

static const char *const var_names[4] = {"x", "y", "zeta", "k1"};

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- generator ----------------------------------------------------------- */

static void put_c(char c) { text[text_len++] = c; }

static void put_s(const char *s)
{
    while (*s)
        text[text_len++] = *s++;
}

static void put_num(uint32_t v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        text[text_len++] = tmp[--n];
}

static void gen(int depth)
{
    uint32_t r = next_rand();
    if (depth == 0 || r % 7 == 0) {
        if (r & 0x100)
            put_num((r >> 12) % 100000);
        else
            put_s(var_names[(r >> 9) & 3]);
        return;
    }
    switch ((r >> 4) % 8) {
    case 0:
        put_c('-');
        gen(depth - 1);
        return;
    case 1:
        put_c('(');
        gen(depth - 1);
        put_c(')');
        return;
    default: {
        static const char ops[6] = {'+', '-', '*', '/', '%', '+'};
        gen(depth - 1);
        if (r & 0x200)
            put_c(' ');
        put_c(ops[(r >> 10) % 6]);
        if (r & 0x400)
            put_c(' ');
        gen(depth - 1);
        return;
    }
    }
}

static void generate(uint32_t seed)
{
    rng = seed ? seed : 1;
    text_len = 0;
    while (text_len < TEXT_MAX - 4096) {
        gen(2 + (int)(next_rand() % 8));
        put_c(';');
        if (next_rand() & 1)
            put_c('\n');
    }
    text[text_len] = 0;
}

/* ---- parser -------------------------------------------------------------- */

static const char *cur;

static void skip_ws(void)
{
    while (*cur == ' ' || *cur == '\n' || *cur == '\t')
        cur++;
}

static int32_t new_node(int kind, int32_t l, int32_t r, int32_t value, int var)
{
    if (npool >= NODE_MAX)
        return -1;
    node *n = &pool[npool];
    n->kind = (uint8_t)kind;
    n->var = (uint8_t)var;
    n->left = l;
    n->right = r;
    n->value = value;
    return npool++;
}

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int32_t parse_expr(void);

static int32_t parse_primary(void)
{
    skip_ws();
    char c = *cur;
    if (is_digit(c)) {
        uint32_t v = 0;
        while (is_digit(*cur))
            v = v * 10u + (uint32_t)(*cur++ - '0');
        return new_node(N_NUM, -1, -1, (int32_t)v, 0);
    }
    if (is_alpha(c)) {
        const char *start = cur;
        while (is_alpha(*cur) || is_digit(*cur))
            cur++;
        int32_t len = (int32_t)(cur - start);
        for (int v = 0; v < 4; v++) {
            const char *nm = var_names[v];
            int32_t k = 0;
            while (k < len && nm[k] == start[k])
                k++;
            if (k == len && nm[k] == 0)
                return new_node(N_VAR, -1, -1, 0, v);
        }
        return -1;                       /* unknown identifier */
    }
    if (c == '(') {
        cur++;
        int32_t e = parse_expr();
        skip_ws();
        if (*cur != ')')
            return -1;
        cur++;
        return e;
    }
    if (c == '-') {
        cur++;
        int32_t e = parse_primary();
        return e < 0 ? -1 : new_node(N_NEG, e, -1, 0, 0);
    }
    return -1;
}

static int32_t parse_term(void)
{
    int32_t l = parse_primary();
    for (;;) {
        if (l < 0)
            return -1;
        skip_ws();
        char c = *cur;
        int kind = c == '*' ? N_MUL : c == '/' ? N_DIV : c == '%' ? N_MOD : -1;
        if (kind < 0)
            return l;
        cur++;
        int32_t r = parse_primary();
        if (r < 0)
            return -1;
        l = new_node(kind, l, r, 0, 0);
    }
}

static int32_t parse_expr(void)
{
    int32_t l = parse_term();
    for (;;) {
        if (l < 0)
            return -1;
        skip_ws();
        char c = *cur;
        if (c != '+' && c != '-')
            return l;
        cur++;
        int32_t r = parse_term();
        if (r < 0)
            return -1;
        l = new_node(c == '+' ? N_ADD : N_SUB, l, r, 0, 0);
    }
}

/* returns the number of expressions parsed, or -(offset+1) on error */
static int32_t parse_all(void)
{
    cur = text;
    npool = 0;
    nroots = 0;
    for (;;) {
        skip_ws();
        if (*cur == 0)
            return nroots;
        int32_t e = parse_expr();
        skip_ws();
        if (e < 0 || *cur != ';' || nroots >= ROOT_MAX)
            return -(int32_t)(cur - text) - 1;
        cur++;
        roots[nroots++] = e;
    }
}

/* ---- evaluator ----------------------------------------------------------- */

static int32_t env[4];

/* binary operators go through a function-pointer table (call_indirect in
 * wasm), as an interpreter written in C often would */
static int32_t op_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t op_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static int32_t op_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static int32_t op_div(int32_t a, int32_t b)
{
    if (b == 0) return 0;
    if (b == -1) return (int32_t)(0u - (uint32_t)a);
    return a / b;
}
static int32_t op_mod(int32_t a, int32_t b)
{
    if (b == 0 || b == -1) return 0;
    return a % b;
}

static int32_t (*const binop[8])(int32_t, int32_t) = {
    [N_ADD] = op_add, [N_SUB] = op_sub, [N_MUL] = op_mul,
    [N_DIV] = op_div, [N_MOD] = op_mod,
};

static int32_t eval(int32_t i)
{
    const node *n = &pool[i];
    switch (n->kind) {
    case N_NUM: return n->value;
    case N_VAR: return env[n->var];
    case N_NEG: return (int32_t)(0u - (uint32_t)eval(n->left));
    default: break;
    }
    int32_t a = eval(n->left), b = eval(n->right);
    return binop[n->kind](a, b);
}

uint32_t run(void)
{
    uint32_t acc = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        generate(0xC0FFEEu + r * 7919u);
        int32_t count = parse_all();
        if (count <= 0)
            return 0xE0000000u | (uint32_t)(-count);     /* parse error */
        acc = acc * 31u + (uint32_t)count + (uint32_t)npool;
        for (uint32_t b = 0; b < BINDINGS; b++) {
            env[0] = (int32_t)(b * 2654435761u);
            env[1] = (int32_t)b - 12;
            env[2] = (int32_t)(b * b + 3);
            env[3] = (int32_t)(0x7FFFFFFFu - b);
            uint32_t h = 2166136261u;
            for (int32_t k = 0; k < nroots; k++)
                h = (h ^ (uint32_t)eval(roots[k])) * 16777619u;
            acc = (acc ^ h) * 0x01000193u + b;
        }
    }
    return acc;
}
