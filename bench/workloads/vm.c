/*
 * vm — a small bytecode interpreter running inside the runtime.
 *
 * A tiny assembler (with forward-label fix-ups) emits bytecode for a stack
 * machine with locals, calls and returns; the program sums Collatz
 * trajectory lengths and runs a little multiply/modulo mixing loop.  The
 * dispatch loop is a switch over opcodes: indirect branches, unpredictable
 * control flow and lots of small memory operations, i.e. the "interpreter
 * inside an interpreter" case.
 */
#include <stdint.h>

enum {
    OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_INC, OP_DUP, OP_POP,
    OP_ADD, OP_SUB, OP_MUL, OP_MOD, OP_AND, OP_XOR, OP_SHR, OP_SHL,
    OP_LT, OP_NE, OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
};

#define CODE_MAX   512
#define STACK_MAX  256
#define FRAMES_MAX 64
#define NLOCALS    8
#define MAX_LABELS 32
#define MAX_FIXUPS 64

static int32_t code[CODE_MAX];
static int32_t code_len;
static int32_t label_at[MAX_LABELS];
static struct { int32_t pos, label; } fixups[MAX_FIXUPS];
static int32_t nfixups;

static volatile int32_t collatz_limit = 15000;
static volatile int32_t mix_iters = 500000;

static void emit(int32_t w) { code[code_len++] = w; }
static void op0(int32_t op) { emit(op); }
static void op1(int32_t op, int32_t a) { emit(op); emit(a); }
static void label(int32_t l) { label_at[l] = code_len; }
static void jump(int32_t op, int32_t l)
{
    emit(op);
    fixups[nfixups].pos = code_len;
    fixups[nfixups].label = l;
    nfixups++;
    emit(-1);
}
static void resolve_labels(void)
{
    for (int32_t i = 0; i < nfixups; i++)
        code[fixups[i].pos] = label_at[fixups[i].label];
}

enum { L_LOOP, L_END, L_COLLATZ, L_CL, L_CDONE, L_EVEN, L_NEXT, L_MIX, L_MIXLOOP, L_MIXEND };

static void assemble(void)
{
    code_len = 0;
    nfixups = 0;
    /* main: locals 0=i 1=total 2=limit */
    op1(OP_PUSH, 0);  op1(OP_STORE, 1);
    op1(OP_PUSH, 1);  op1(OP_STORE, 0);
    op1(OP_PUSH, collatz_limit); op1(OP_STORE, 2);
    label(L_LOOP);
    op1(OP_LOAD, 0);  op1(OP_LOAD, 2);  op0(OP_LT);  jump(OP_JZ, L_END);
    op1(OP_LOAD, 0);  jump(OP_CALL, L_COLLATZ);
    op1(OP_LOAD, 1);  op0(OP_ADD);  op1(OP_STORE, 1);
    op1(OP_INC, 0);   jump(OP_JMP, L_LOOP);
    label(L_END);
    op1(OP_PUSH, mix_iters); jump(OP_CALL, L_MIX);
    op1(OP_LOAD, 1);  op1(OP_PUSH, 32);  op0(OP_SHL);  op0(OP_XOR);
    op0(OP_HALT);

    /* collatz(n): locals 0=n 1=steps; returns steps */
    label(L_COLLATZ);
    op1(OP_STORE, 0);
    op1(OP_PUSH, 0);  op1(OP_STORE, 1);
    label(L_CL);
    op1(OP_LOAD, 0);  op1(OP_PUSH, 1);  op0(OP_NE);  jump(OP_JZ, L_CDONE);
    op1(OP_LOAD, 0);  op1(OP_PUSH, 1);  op0(OP_AND);  jump(OP_JZ, L_EVEN);
    op1(OP_LOAD, 0);  op1(OP_PUSH, 3);  op0(OP_MUL);  op1(OP_PUSH, 1);  op0(OP_ADD);
    op1(OP_STORE, 0); jump(OP_JMP, L_NEXT);
    label(L_EVEN);
    op1(OP_LOAD, 0);  op1(OP_PUSH, 1);  op0(OP_SHR);  op1(OP_STORE, 0);
    label(L_NEXT);
    op1(OP_INC, 1);   jump(OP_JMP, L_CL);
    label(L_CDONE);
    op1(OP_LOAD, 1);  op0(OP_RET);

    /* mix(n): locals 0=n 1=x; x = (x*31 + n) % 1000003 ^ n, n times */
    label(L_MIX);
    op1(OP_STORE, 0);
    op1(OP_PUSH, 7);  op1(OP_STORE, 1);
    label(L_MIXLOOP);
    op1(OP_LOAD, 0);  jump(OP_JZ, L_MIXEND);
    op1(OP_LOAD, 1);  op1(OP_PUSH, 31);  op0(OP_MUL);  op1(OP_LOAD, 0);  op0(OP_ADD);
    op1(OP_PUSH, 1000003);  op0(OP_MOD);  op1(OP_LOAD, 0);  op0(OP_XOR);  op1(OP_STORE, 1);
    op1(OP_LOAD, 0);  op1(OP_PUSH, 1);  op0(OP_SUB);  op1(OP_STORE, 0);
    jump(OP_JMP, L_MIXLOOP);
    label(L_MIXEND);
    op1(OP_LOAD, 1);  op0(OP_RET);
    resolve_labels();
}

static int64_t stack[STACK_MAX];
static int64_t locals[FRAMES_MAX][NLOCALS];
static int32_t ret_pc[FRAMES_MAX];
static uint64_t executed;

static int64_t execute(void)
{
    int32_t pc = 0, sp = 0, fp = 0;
    uint64_t n = 0;
    for (int i = 0; i < NLOCALS; i++)
        locals[0][i] = 0;
    for (;;) {
        n++;
        int32_t op = code[pc++];
        switch (op) {
        case OP_HALT:
            executed = n;
            return sp > 0 ? stack[sp - 1] : 0;
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = locals[fp][code[pc++]]; break;
        case OP_STORE: locals[fp][code[pc++]] = stack[--sp]; break;
        case OP_INC: locals[fp][code[pc++]]++; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_POP: sp--; break;
        case OP_ADD: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] + (uint64_t)stack[sp]); break;
        case OP_SUB: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] - (uint64_t)stack[sp]); break;
        case OP_MUL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
        case OP_MOD:
            sp--;
            stack[sp - 1] = stack[sp] > 0 ? (int64_t)((uint64_t)stack[sp - 1] % (uint64_t)stack[sp]) : 0;
            break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
        case OP_SHL: sp--; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] << (stack[sp] & 63)); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_NE: sp--; stack[sp - 1] = stack[sp - 1] != stack[sp]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_CALL:
            ret_pc[fp] = pc + 1;
            pc = code[pc];
            fp++;
            for (int i = 0; i < NLOCALS; i++)
                locals[fp][i] = 0;
            break;
        case OP_RET:
            fp--;
            pc = ret_pc[fp];
            break;
        default:
            executed = n;
            return -1;
        }
    }
}

uint64_t run(void)
{
    assemble();
    int64_t r = execute();
    return (uint64_t)r * 0x9E3779B97F4A7C15ull + executed;
}
