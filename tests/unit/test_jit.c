/*
 * test_jit.c — the native tier's x86-64 encoder (src/jit/x64_emit.c),
 * byte for byte: every form the compiler uses, with the awkward operands
 * (rsp/r12 and rbp/r13 as bases, r8-r15, byte registers that need a REX,
 * 8- and 32-bit displacements and immediates).  The expected bytes are
 * what `llvm-mc -triple=x86_64 -x86-asm-syntax=intel -show-encoding`
 * prints for the instruction in each comment (where an instruction has a
 * shorter special form, e.g. `sub rax, imm32`, the test uses a register
 * without one).
 *
 * The compiled code itself is tested by running it: the spec testsuite and
 * the differential suites on the native tier (tests/run.sh), and the
 * _native twins of test_interp.c.
 */
#include <stdlib.h>
#include <string.h>

#include "jit/jit.h"
#include "jit/x64_emit.h"
#include "unit.h"

static void *grow(void *ud, void *p, size_t n)
{
    (void)ud;
    return realloc(p, n);
}

static bool same(x64_buf *b, const char *what, const uint8_t *want, size_t n)
{
    bool ok = !b->oom && b->len == n && memcmp(b->p, want, n) == 0;
    if (!ok) {
        printf("  %s: got", what);
        for (size_t i = 0; i < b->len; i++)
            printf(" %02x", b->p[i]);
        printf("\n");
    }
    b->len = 0;
    return ok;
}

#define ENC(what, emit, ...)                                                \
    do {                                                                    \
        static const uint8_t want_[] = {__VA_ARGS__};                      \
        emit;                                                               \
        CHECK(same(&b, what, want_, sizeof want_));                         \
    } while (0)

TEST(jit_x64_moves)
{
    x64_buf b = {.grow = grow};
    ENC("mov eax, [rbx+8]", kn_x64_load(&b, 0, X_RAX, x64_m(X_RBX, 8)), 0x8b, 0x43, 0x08);
    ENC("mov rax, [rbx+1024]", kn_x64_load(&b, 1, X_RAX, x64_m(X_RBX, 1024)),
        0x48, 0x8b, 0x83, 0x00, 0x04, 0x00, 0x00);
    ENC("mov r14, [rax+16]", kn_x64_load(&b, 1, X_R14, x64_m(X_RAX, 16)), 0x4c, 0x8b, 0x70, 0x10);
    ENC("mov rcx, [r12+160]", kn_x64_load(&b, 1, X_RCX, x64_m(X_R12, 160)),
        0x49, 0x8b, 0x8c, 0x24, 0xa0, 0x00, 0x00, 0x00);
    ENC("mov [r12+160], rsp", kn_x64_store(&b, 1, x64_m(X_R12, 160), X_RSP),
        0x49, 0x89, 0xa4, 0x24, 0xa0, 0x00, 0x00, 0x00);
    ENC("mov eax, [r13+rax]", kn_x64_load(&b, 0, X_RAX, x64_mi(X_R13, X_RAX, 1, 0)),
        0x41, 0x8b, 0x44, 0x05, 0x00);
    ENC("mov [r13+rax], cl", kn_x64_store8(&b, x64_mi(X_R13, X_RAX, 1, 0), X_RCX),
        0x41, 0x88, 0x4c, 0x05, 0x00);
    ENC("mov [r13+rax], cx", kn_x64_store16(&b, x64_mi(X_R13, X_RAX, 1, 0), X_RCX),
        0x66, 0x41, 0x89, 0x4c, 0x05, 0x00);
    ENC("mov [r13+rax], ecx", kn_x64_store(&b, 0, x64_mi(X_R13, X_RAX, 1, 0), X_RCX),
        0x41, 0x89, 0x4c, 0x05, 0x00);
    ENC("mov qword [rbx], -5", kn_x64_store_imm(&b, 1, x64_m(X_RBX, 0), -5),
        0x48, 0xc7, 0x03, 0xfb, 0xff, 0xff, 0xff);
    ENC("movzx eax, byte [r13+rax]", kn_x64_load_zx(&b, 0, 8, X_RAX, x64_mi(X_R13, X_RAX, 1, 0)),
        0x41, 0x0f, 0xb6, 0x44, 0x05, 0x00);
    ENC("movsx rax, word [r13+rax]", kn_x64_load_sx(&b, 1, 16, X_RAX, x64_mi(X_R13, X_RAX, 1, 0)),
        0x49, 0x0f, 0xbf, 0x44, 0x05, 0x00);
    ENC("movsxd rax, [rcx+4*rax]", kn_x64_load_sx(&b, 1, 32, X_RAX, x64_mi(X_RCX, X_RAX, 4, 0)),
        0x48, 0x63, 0x04, 0x81);
    ENC("mov eax, 42", kn_x64_mov_imm(&b, X_RAX, 42), 0xb8, 0x2a, 0x00, 0x00, 0x00);
    ENC("mov rax, -1", kn_x64_mov_imm(&b, X_RAX, UINT64_MAX), 0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff);
    ENC("movabs rax, 0x123456789a", kn_x64_mov_imm(&b, X_RAX, 0x123456789aull),
        0x48, 0xb8, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00);
    ENC("lea rcx, [rax+4]", kn_x64_lea(&b, 1, X_RCX, x64_m(X_RAX, 4)), 0x48, 0x8d, 0x48, 0x04);
    ENC("mov r13, r8", kn_x64_mov(&b, 1, X_R13, X_R8), 0x4d, 0x89, 0xc5);
    free(b.p);
}

/* Store-to-load forwarding: a slot read right after a store of a register
 * to it reads the register; anything in between, or a label, ends that. */
TEST(jit_x64_forwarding)
{
    x64_buf b = {.grow = grow, .forward = true};
    x64_mem s1 = x64_m(X_RBX, 8), s2 = x64_m(X_RBX, 16);
    ENC("mov [rbx+8], rax; (mov rax, [rbx+8] elided)",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_load(&b, 1, X_RAX, s1)), 0x48, 0x89, 0x43, 0x08);
    ENC("mov [rbx+8], eax; mov eax, eax (clears the top half)",
        (kn_x64_store(&b, 0, s1, X_RAX), kn_x64_load(&b, 0, X_RAX, s1)), 0x89, 0x43, 0x08, 0x89, 0xc0);
    ENC("mov [rbx+8], eax; mov ecx, eax; test eax, eax",
        (kn_x64_store(&b, 0, s1, X_RAX), kn_x64_load(&b, 0, X_RCX, s1),
         kn_x64_alu_mi(&b, 0, X_CMP, s1, 0)),
        0x89, 0x43, 0x08, 0x89, 0xc1, 0x85, 0xc0);
    ENC("mov [rbx+8], rax; add rcx, rax; imul rdx, rax... only the first reads rax",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_alu_rm(&b, 1, X_ADD, X_RCX, s1),
         kn_x64_imul_rm(&b, 1, X_RDX, s1)),
        0x48, 0x89, 0x43, 0x08, 0x48, 0x03, 0xc8, 0x48, 0x0f, 0xaf, 0x53, 0x08);
    ENC("another slot, another width: loads stay",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_load(&b, 1, X_RAX, s2), kn_x64_store(&b, 1, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x48, 0x89, 0x43, 0x08, 0x48, 0x8b, 0x43, 0x10, 0x48, 0x89, 0x43, 0x08, 0x8b, 0x43, 0x08);
    ENC("a label between store and load",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_label(&b), kn_x64_load(&b, 1, X_RAX, s1)),
        0x48, 0x89, 0x43, 0x08, 0x48, 0x8b, 0x43, 0x08);
    ENC("a branch patched to land between store and load",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_patch_rel32(&b, 0, b.len), b.p[0] = 0x48,
         b.p[1] = 0x89, b.p[2] = 0x43, b.p[3] = 0x08, kn_x64_load(&b, 1, X_RAX, s1)),
        0x48, 0x89, 0x43, 0x08, 0x48, 0x8b, 0x43, 0x08);
    ENC("mov [rbx+8], eax; the whole slot's load: mov ecx, eax",
        (kn_x64_store(&b, 0, s1, X_RAX), kn_x64_load(&b, 1, X_RCX, s1)), 0x89, 0x43, 0x08, 0x89, 0xc1);
    /* ZF from the ALU operation just emitted on the same register */
    b.zf_end = 0;
    ENC("add r10d, -1; (cmp r10d, 0 elided)",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_R10, -1), kn_x64_cmp0_eq(&b, 0, x64_direct(X_R10))),
        0x41, 0x83, 0xc2, 0xff);
    b.zf_end = 0;
    ENC("add r10d, -1; label; cmp r10d, 0",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_R10, -1), kn_x64_label(&b),
         kn_x64_cmp0_eq(&b, 0, x64_direct(X_R10))),
        0x41, 0x83, 0xc2, 0xff, 0x41, 0x83, 0xfa, 0x00);
    b.zf_end = 0;
    ENC("add r10d, -1; cmp r9d, 0 (another register)",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_R10, -1), kn_x64_cmp0_eq(&b, 0, x64_direct(X_R9))),
        0x41, 0x83, 0xc2, 0xff, 0x41, 0x83, 0xf9, 0x00);
    b.zf_end = 0;
    ENC("add r10, -1; cmp r10d, 0 (another width)",
        (kn_x64_alu_ri(&b, 1, X_ADD, X_R10, -1), kn_x64_cmp0_eq(&b, 0, x64_direct(X_R10))),
        0x49, 0x83, 0xc2, 0xff, 0x41, 0x83, 0xfa, 0x00);
    b.zf_end = 0;
    ENC("cmp r10d, 1; cmp r10d, 0 (a cmp sets no register's ZF)",
        (kn_x64_alu_ri(&b, 0, X_CMP, X_R10, 1), kn_x64_cmp0_eq(&b, 0, x64_direct(X_R10))),
        0x41, 0x83, 0xfa, 0x01, 0x41, 0x83, 0xfa, 0x00);
    /* A 32-bit store of a register the instruction just before wrote at
     * 32 bits: its upper half is known clear, so no zero-extending move */
    b.zf_end = b.zx_end = 0;
    ENC("add eax, 5; mov [rbx+8], eax; (mov eax, [rbx+8] elided: zero-extended)",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_RAX, 5), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x83, 0xc0, 0x05, 0x89, 0x43, 0x08);
    b.zf_end = b.zx_end = 0;
    ENC("lea eax, [rcx+1]; mov [rbx+8], eax; (the whole slot's load elided too)",
        (kn_x64_lea(&b, 0, X_RAX, x64_m(X_RCX, 1)), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 1, X_RAX, s1)),
        0x8d, 0x41, 0x01, 0x89, 0x43, 0x08);
    b.zf_end = b.zx_end = 0;
    ENC("mov eax, [rbx+16]; mov [rbx+8], eax; (mov eax, [rbx+8] elided)",
        (kn_x64_load(&b, 0, X_RAX, s2), kn_x64_store(&b, 0, s1, X_RAX), kn_x64_load(&b, 0, X_RAX, s1)),
        0x8b, 0x43, 0x10, 0x89, 0x43, 0x08);
    b.zf_end = b.zx_end = 0;
    ENC("add rax, 5; mov [rbx+8], eax; mov eax, eax (a 64-bit write)",
        (kn_x64_alu_ri(&b, 1, X_ADD, X_RAX, 5), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x48, 0x83, 0xc0, 0x05, 0x89, 0x43, 0x08, 0x89, 0xc0);
    b.zf_end = b.zx_end = 0;
    ENC("add ecx, 5; mov [rbx+8], eax; mov eax, eax (another register)",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_RCX, 5), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x83, 0xc1, 0x05, 0x89, 0x43, 0x08, 0x89, 0xc0);
    b.zf_end = b.zx_end = 0;
    ENC("cmp eax, 5; mov [rbx+8], eax; mov eax, eax (a cmp writes nothing)",
        (kn_x64_alu_ri(&b, 0, X_CMP, X_RAX, 5), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x83, 0xf8, 0x05, 0x89, 0x43, 0x08, 0x89, 0xc0);
    b.zf_end = b.zx_end = 0;
    ENC("add eax, 5; label; mov [rbx+8], eax; mov eax, eax (another path arrives)",
        (kn_x64_alu_ri(&b, 0, X_ADD, X_RAX, 5), kn_x64_label(&b), kn_x64_store(&b, 0, s1, X_RAX),
         kn_x64_load(&b, 0, X_RAX, s1)),
        0x83, 0xc0, 0x05, 0x89, 0x43, 0x08, 0x89, 0xc0);
    /* A constant just stored to a slot: a load of it becomes the constant */
    ENC("mov qword [rbx+8], -2; mov eax, 0xfffffffe (its low half)",
        (kn_x64_store_imm(&b, 1, s1, -2), kn_x64_load(&b, 0, X_RAX, s1)),
        0x48, 0xc7, 0x43, 0x08, 0xfe, 0xff, 0xff, 0xff, 0xb8, 0xfe, 0xff, 0xff, 0xff);
    ENC("mov qword [rbx+8], -2; mov rcx, -2 (the whole slot, sign-extended)",
        (kn_x64_store_imm(&b, 1, s1, -2), kn_x64_load(&b, 1, X_RCX, s1)),
        0x48, 0xc7, 0x43, 0x08, 0xfe, 0xff, 0xff, 0xff, 0x48, 0xc7, 0xc1, 0xfe, 0xff, 0xff, 0xff);
    ENC("mov dword [rbx+8], 7; mov rax, [rbx+8] (its upper half is not known)",
        (kn_x64_store_imm(&b, 0, s1, 7), kn_x64_load(&b, 1, X_RAX, s1)),
        0xc7, 0x43, 0x08, 0x07, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x43, 0x08);
    ENC("mov qword [rbx+8], 7; mov eax, [rbx+16] (another slot)",
        (kn_x64_store_imm(&b, 1, s1, 7), kn_x64_load(&b, 0, X_RAX, s2)),
        0x48, 0xc7, 0x43, 0x08, 0x07, 0x00, 0x00, 0x00, 0x8b, 0x43, 0x10);
    ENC("mov qword [rbx+8], 7; label; mov eax, [rbx+8]",
        (kn_x64_store_imm(&b, 1, s1, 7), kn_x64_label(&b), kn_x64_load(&b, 0, X_RAX, s1)),
        0x48, 0xc7, 0x43, 0x08, 0x07, 0x00, 0x00, 0x00, 0x8b, 0x43, 0x08);
    ENC("mov qword [rbx+8], 7; cmp dword [rbx+8], 0 (only loads take the constant)",
        (kn_x64_store_imm(&b, 1, s1, 7), kn_x64_cmp0_eq(&b, 0, s1)),
        0x48, 0xc7, 0x43, 0x08, 0x07, 0x00, 0x00, 0x00, 0x83, 0x7b, 0x08, 0x00);
    b.zf_end = b.zx_end = 0;
    ENC("linear memory is not forwarded",
        (kn_x64_store(&b, 1, x64_m(X_R13, 8), X_RAX), kn_x64_load(&b, 1, X_RAX, x64_m(X_R13, 8))),
        0x49, 0x89, 0x45, 0x08, 0x49, 0x8b, 0x45, 0x08);
    ENC("mov eax, r8d (a slot in a register)", kn_x64_load(&b, 0, X_RAX, x64_direct(X_R8)),
        0x41, 0x8b, 0xc0);
    ENC("movsx eax, sil (not dh: a REX)", kn_x64_load_sx(&b, 0, 8, X_RAX, x64_direct(X_RSI)),
        0x40, 0x0f, 0xbe, 0xc6);
    ENC("movzx ecx, dil", kn_x64_load_zx(&b, 0, 8, X_RCX, x64_direct(X_RDI)), 0x40, 0x0f, 0xb6, 0xcf);
    ENC("mov qword r11, -5", kn_x64_store_imm(&b, 1, x64_direct(X_R11), -5),
        0x49, 0xc7, 0xc3, 0xfb, 0xff, 0xff, 0xff);
    ENC("cmp r9d, 0 is not forwarded from a register", kn_x64_alu_mi(&b, 0, X_CMP, x64_direct(X_R9), 0),
        0x41, 0x83, 0xf9, 0x00);
    b.forward = false;
    ENC("off: every load is a load",
        (kn_x64_store(&b, 1, s1, X_RAX), kn_x64_load(&b, 1, X_RAX, s1)),
        0x48, 0x89, 0x43, 0x08, 0x48, 0x8b, 0x43, 0x08);
    free(b.p);
}

TEST(jit_x64_arithmetic)
{
    x64_buf b = {.grow = grow};
    ENC("add eax, [rbx+16]", kn_x64_alu_rm(&b, 0, X_ADD, X_RAX, x64_m(X_RBX, 16)), 0x03, 0x43, 0x10);
    ENC("sub rcx, 1000", kn_x64_alu_ri(&b, 1, X_SUB, X_RCX, 1000),
        0x48, 0x81, 0xe9, 0xe8, 0x03, 0x00, 0x00);
    ENC("cmp rsp, [r12+168]", kn_x64_alu_rm(&b, 1, X_CMP, X_RSP, x64_m(X_R12, 168)),
        0x49, 0x3b, 0xa4, 0x24, 0xa8, 0x00, 0x00, 0x00);
    ENC("and qword [rbp-8], 3", kn_x64_alu_mi(&b, 1, X_AND, x64_m(X_RBP, -8), 3),
        0x48, 0x83, 0x65, 0xf8, 0x03);
    ENC("xor eax, eax", kn_x64_alu_rr(&b, 0, X_XOR, X_RAX, X_RAX), 0x31, 0xc0);
    ENC("imul eax, [rbx+24]", kn_x64_imul_rm(&b, 0, X_RAX, x64_m(X_RBX, 24)), 0x0f, 0xaf, 0x43, 0x18);
    ENC("imul rax, rax, 100000", kn_x64_imul_rri(&b, 1, X_RAX, X_RAX, 100000),
        0x48, 0x69, 0xc0, 0xa0, 0x86, 0x01, 0x00);
    ENC("shl eax, cl", kn_x64_shift_cl(&b, 0, X_SHL, X_RAX), 0xd3, 0xe0);
    ENC("sar rax, 63", kn_x64_shift_i(&b, 1, X_SAR, X_RAX, 63), 0x48, 0xc1, 0xf8, 0x3f);
    ENC("rol eax, 5", kn_x64_shift_i(&b, 0, X_ROL, X_RAX, 5), 0xc1, 0xc0, 0x05);
    ENC("test rcx, rcx", kn_x64_test_rr(&b, 1, X_RCX, X_RCX), 0x48, 0x85, 0xc9);
    ENC("neg rax", kn_x64_neg(&b, 1, X_RAX), 0x48, 0xf7, 0xd8);
    ENC("idiv rcx", kn_x64_div(&b, 1, true, X_RCX), 0x48, 0xf7, 0xf9);
    ENC("div ecx", kn_x64_div(&b, 0, false, X_RCX), 0xf7, 0xf1);
    ENC("cdq", kn_x64_sign_extend_ax(&b, 0), 0x99);
    ENC("cqo", kn_x64_sign_extend_ax(&b, 1), 0x48, 0x99);
    ENC("bsr eax, [rbx+8]", kn_x64_bitscan(&b, 0, 0xbd, X_RAX, x64_m(X_RBX, 8)), 0x0f, 0xbd, 0x43, 0x08);
    ENC("popcnt rax, [rbx+8]", kn_x64_bitscan(&b, 1, 0xb8, X_RAX, x64_m(X_RBX, 8)),
        0xf3, 0x48, 0x0f, 0xb8, 0x43, 0x08);
    ENC("sete al", kn_x64_setcc(&b, X_CC_E, X_RAX), 0x0f, 0x94, 0xc0);
    ENC("setb sil", kn_x64_setcc(&b, X_CC_B, X_RSI), 0x40, 0x0f, 0x92, 0xc6);
    ENC("movzx eax, al", kn_x64_movzx8_rr(&b, X_RAX, X_RAX), 0x0f, 0xb6, 0xc0);
    ENC("cmova eax, ecx", kn_x64_cmov(&b, 0, X_CC_A, X_RAX, X_RCX), 0x0f, 0x47, 0xc1);
    ENC("cmove rax, [rbx+24]", kn_x64_cmov_rm(&b, 1, X_CC_E, X_RAX, x64_m(X_RBX, 24)),
        0x48, 0x0f, 0x44, 0x43, 0x18);
    ENC("dec qword [r12+128]", kn_x64_dec_m(&b, 1, x64_m(X_R12, 128)),
        0x49, 0xff, 0x8c, 0x24, 0x80, 0x00, 0x00, 0x00);
    free(b.p);
}

TEST(jit_x64_sse)
{
    x64_buf b = {.grow = grow};
    ENC("movss xmm0, [rbx+8]", kn_x64_sse_rm(&b, 0, X_SSE_LOAD, 0, x64_m(X_RBX, 8)),
        0xf3, 0x0f, 0x10, 0x43, 0x08);
    ENC("movsd xmm1, [rbx+16]", kn_x64_sse_rm(&b, 1, X_SSE_LOAD, 1, x64_m(X_RBX, 16)),
        0xf2, 0x0f, 0x10, 0x4b, 0x10);
    ENC("addsd xmm0, [rbx+24]", kn_x64_sse_rm(&b, 1, X_SSE_ADD, 0, x64_m(X_RBX, 24)),
        0xf2, 0x0f, 0x58, 0x43, 0x18);
    ENC("mulss xmm0, xmm1", kn_x64_sse_rr(&b, 0, X_SSE_MUL, 0, 1), 0xf3, 0x0f, 0x59, 0xc1);
    ENC("movsd [rbx+8], xmm0", kn_x64_sse_store(&b, 1, x64_m(X_RBX, 8), 0), 0xf2, 0x0f, 0x11, 0x43, 0x08);
    ENC("movss [rbx+8], xmm9", kn_x64_sse_store(&b, 0, x64_m(X_RBX, 8), 9),
        0xf3, 0x44, 0x0f, 0x11, 0x4b, 0x08);
    ENC("ucomiss xmm0, xmm1", kn_x64_ucomis(&b, 0, 0, 1), 0x0f, 0x2e, 0xc1);
    ENC("vzeroupper", kn_x64_vzeroupper(&b), 0xc5, 0xf8, 0x77);
    ENC("nop x 12 bytes (9 + 3)", kn_x64_nops(&b, 12), 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x0f, 0x1f, 0x00);
    ENC("ucomisd xmm1, xmm0", kn_x64_ucomis(&b, 1, 1, 0), 0x66, 0x0f, 0x2e, 0xc8);
    ENC("cvtsi2ss xmm0, eax", kn_x64_cvtsi2s(&b, 0, 0, 0, X_RAX), 0xf3, 0x0f, 0x2a, 0xc0);
    ENC("cvtsi2sd xmm0, rax", kn_x64_cvtsi2s(&b, 1, 1, 0, X_RAX), 0xf2, 0x48, 0x0f, 0x2a, 0xc0);
    ENC("movd xmm1, eax", kn_x64_movd(&b, 0, 1, X_RAX), 0x66, 0x0f, 0x6e, 0xc8);
    ENC("movq xmm1, rax", kn_x64_movd(&b, 1, 1, X_RAX), 0x66, 0x48, 0x0f, 0x6e, 0xc8);
    ENC("movq rax, xmm1", kn_x64_movd_to(&b, 1, X_RAX, 1), 0x66, 0x48, 0x0f, 0x7e, 0xc8);
    ENC("movq r9, xmm10", kn_x64_movd_to(&b, 1, X_R9, 10), 0x66, 0x4d, 0x0f, 0x7e, 0xd1);
    /* xmm register slots: loads and stores between registers copy the
     * whole register (no merge into the destination's old value) */
    ENC("movaps xmm0, xmm9", kn_x64_sse_rm(&b, 1, X_SSE_LOAD, 0, x64_direct((x64_reg)9)),
        0x41, 0x0f, 0x28, 0xc1);
    ENC("movaps xmm9, xmm0", kn_x64_sse_store(&b, 0, x64_direct((x64_reg)9), 0),
        0x44, 0x0f, 0x28, 0xc8);
    ENC("addsd xmm8, xmm10", kn_x64_sse_rm(&b, 1, X_SSE_ADD, 8, x64_direct((x64_reg)10)),
        0xf2, 0x45, 0x0f, 0x58, 0xc2);
    kn_x64_sse_rm(&b, 1, X_SSE_LOAD, 9, x64_direct((x64_reg)9));
    kn_x64_sse_store(&b, 1, x64_direct((x64_reg)9), 9);
    CHECK(b.len == 0);                        /* a register onto itself: nothing */
    ENC("roundss xmm0, [rbx+8], 10", kn_x64_round(&b, 0, 0, x64_m(X_RBX, 8), 2),
        0x66, 0x0f, 0x3a, 0x0a, 0x43, 0x08, 0x0a);
    ENC("roundsd xmm0, [rbx+8], 9", kn_x64_round(&b, 1, 0, x64_m(X_RBX, 8), 1),
        0x66, 0x0f, 0x3a, 0x0b, 0x43, 0x08, 0x09);
    ENC("sqrtsd xmm0, [rbx+16]", kn_x64_sse_rm(&b, 1, X_SSE_SQRT, 0, x64_m(X_RBX, 16)),
        0xf2, 0x0f, 0x51, 0x43, 0x10);
    ENC("cvtss2sd xmm0, [rbx+8]", kn_x64_sse_rm(&b, 0, X_SSE_CVT, 0, x64_m(X_RBX, 8)),
        0xf3, 0x0f, 0x5a, 0x43, 0x08);
    ENC("subsd xmm1, xmm0", kn_x64_sse_rr(&b, 1, X_SSE_SUB, 1, 0), 0xf2, 0x0f, 0x5c, 0xc8);
    ENC("movdqu xmm0, [rbx+8]", kn_x64_movdqu_load(&b, 0, x64_m(X_RBX, 8)),
        0xf3, 0x0f, 0x6f, 0x43, 0x08);
    ENC("movdqu [r13+rax], xmm0", kn_x64_movdqu_store(&b, x64_mi(X_R13, X_RAX, 1, 0), 0),
        0xf3, 0x41, 0x0f, 0x7f, 0x44, 0x05, 0x00);
    /* the constant pool: [rip + disp32], mod 00 r/m 101, no SIB */
    ENC("addsd xmm4, [rip+0x10]", kn_x64_sse_rm(&b, 1, X_SSE_ADD, 4, x64_rip(0x10)),
        0xf2, 0x0f, 0x58, 0x25, 0x10, 0x00, 0x00, 0x00);
    ENC("movss xmm12, [rip-8]", kn_x64_sse_rm(&b, 0, X_SSE_LOAD, 12, x64_rip(-8)),
        0xf3, 0x44, 0x0f, 0x10, 0x25, 0xf8, 0xff, 0xff, 0xff);
    ENC("ucomisd xmm4, [rbx+8]", kn_x64_ucomis_rm(&b, 1, 4, x64_m(X_RBX, 8)),
        0x66, 0x0f, 0x2e, 0x63, 0x08);
    ENC("ucomiss xmm12, [rip+16]", kn_x64_ucomis_rm(&b, 0, 12, x64_rip(16)),
        0x44, 0x0f, 0x2e, 0x25, 0x10, 0x00, 0x00, 0x00);
    ENC("ucomisd xmm1, xmm9", kn_x64_ucomis_rm(&b, 1, 1, x64_direct((x64_reg)9)),
        0x66, 0x41, 0x0f, 0x2e, 0xc9);
    /* lea without a base: SIB base 101 with mod 00 takes a disp32 */
    ENC("lea eax, [4*r9+0x410]", kn_x64_lea(&b, 0, X_RAX, x64_scaled(X_R9, 4, 0x410)),
        0x42, 0x8d, 0x04, 0x8d, 0x10, 0x04, 0x00, 0x00);
    ENC("lea eax, [8*rdx+16]", kn_x64_lea(&b, 0, X_RAX, x64_scaled(X_RDX, 8, 16)),
        0x8d, 0x04, 0xd5, 0x10, 0x00, 0x00, 0x00);
    ENC("lea r8d, [2*rsi-4]", kn_x64_lea(&b, 0, X_R8, x64_scaled(X_RSI, 2, -4)),
        0x44, 0x8d, 0x04, 0x75, 0xfc, 0xff, 0xff, 0xff);
    /* AVX three-operand scalar forms (VEX: two bytes, or three when the
     * r/m operand's base or index needs an extension bit) */
    ENC("vaddsd xmm4, xmm5, xmm6", kn_x64_vsse(&b, 1, X_SSE_ADD, 4, 5, x64_direct((x64_reg)6)),
        0xc5, 0xd3, 0x58, 0xe6);
    ENC("vmulsd xmm0, xmm8, xmm5", kn_x64_vsse(&b, 1, X_SSE_MUL, 0, 8, x64_direct((x64_reg)5)),
        0xc5, 0xbb, 0x59, 0xc5);
    ENC("vsubss xmm12, xmm1, xmm13", kn_x64_vsse(&b, 0, X_SSE_SUB, 12, 1, x64_direct((x64_reg)13)),
        0xc4, 0x41, 0x72, 0x5c, 0xe5);
    ENC("vdivsd xmm1, xmm2, [rbx+24]", kn_x64_vsse(&b, 1, X_SSE_DIV, 1, 2, x64_m(X_RBX, 24)),
        0xc5, 0xeb, 0x5e, 0x4b, 0x18);
    ENC("vaddsd xmm9, xmm10, [r13+r8+8]",
        kn_x64_vsse(&b, 1, X_SSE_ADD, 9, 10, x64_mi(X_R13, X_R8, 1, 8)),
        0xc4, 0x01, 0x2b, 0x58, 0x4c, 0x05, 0x08);
    ENC("vmulsd xmm0, xmm4, [rip+16]", kn_x64_vsse(&b, 1, X_SSE_MUL, 0, 4, x64_rip(16)),
        0xc5, 0xdb, 0x59, 0x05, 0x10, 0x00, 0x00, 0x00);
    ENC("vsqrtsd xmm15, xmm5, xmm5", kn_x64_vsse(&b, 1, X_SSE_SQRT, 15, 5, x64_direct((x64_reg)5)),
        0xc5, 0x53, 0x51, 0xfd);
    ENC("paddd xmm0, xmm1", kn_x64_packed_rr(&b, X_PADDD, 0, 1), 0x66, 0x0f, 0xfe, 0xc1);
    ENC("punpcklqdq xmm0, xmm1", kn_x64_packed_rr(&b, X_PUNPCKLQDQ, 0, 1), 0x66, 0x0f, 0x6c, 0xc1);
    ENC("psraw xmm0, 8", kn_x64_packed_shift_i(&b, 0x71, 4, 0, 8), 0x66, 0x0f, 0x71, 0xe0, 0x08);
    ENC("psllq xmm9, 3", kn_x64_packed_shift_i(&b, 0x73, 6, 9, 3), 0x66, 0x41, 0x0f, 0x73, 0xf1, 0x03);
    ENC("pandn xmm0, xmm9", kn_x64_packed_rr(&b, X_PANDN, 0, 9), 0x66, 0x41, 0x0f, 0xdf, 0xc1);
    free(b.p);
}

TEST(jit_x64_control)
{
    x64_buf b = {.grow = grow};
    ENC("call rax", kn_x64_call_r(&b, X_RAX), 0xff, 0xd0);
    ENC("jmp rax", kn_x64_jmp_r(&b, X_RAX), 0xff, 0xe0);
    ENC("push rbp", kn_x64_push(&b, X_RBP), 0x55);
    ENC("push r15", kn_x64_push(&b, X_R15), 0x41, 0x57);
    ENC("pop r12", kn_x64_pop(&b, X_R12), 0x41, 0x5c);
    ENC("ret", kn_x64_ret(&b), 0xc3);
    ENC("rep stosq", kn_x64_rep_stosq(&b), 0xf3, 0x48, 0xab);
    /* A forward jcc patched to land just after itself, a backward jmp to
     * offset 0 (rel32 = -(0 + 6 + 5)). */
    size_t at = kn_x64_jcc32(&b, X_CC_LE);
    kn_x64_patch_rel32(&b, at, b.len);
    at = kn_x64_jmp32(&b);
    kn_x64_patch_rel32(&b, at, 0);
    static const uint8_t want[] = {0x0f, 0x8e, 0, 0, 0, 0, 0xe9, 0xf5, 0xff, 0xff, 0xff};
    CHECK(same(&b, "jle +0; jmp 0", want, sizeof want));
    free(b.p);
}

/* Growing past the first block keeps every byte; a failed grow is sticky. */
static void *refuse(void *ud, void *p, size_t n)
{
    (void)ud, (void)p, (void)n;
    return NULL;
}

TEST(jit_x64_buffer)
{
    x64_buf b = {.grow = grow};
    for (int i = 0; i < 5000; i++)
        kn_x64_ret(&b);
    CHECK_EQ(b.len, 5000);
    CHECK(!b.oom && b.p[4999] == 0xc3);
    free(b.p);
    x64_buf f = {.grow = refuse};
    kn_x64_ret(&f);
    CHECK(f.oom);
    CHECK_EQ(f.len, 0);
}

/* W^X: a module's compiled code is mapped read+execute, not writable. */
static const unsigned char inc_wasm[] = {
    /* (module (func (export "f") (param i32) (result i32)
     *   (i32.add (local.get 0) (i32.const 1)))) */
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a,
    0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b};

static bool mapped_rx(uintptr_t addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    bool found = false;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
            found = strcmp(perms, "r-xp") == 0;
            break;
        }
    }
    if (f)
        fclose(f);
    return found;
}

TEST(jit_code_is_not_writable)
{
    kiln_config c = {.tier = KILN_TIER_NATIVE};
    kiln_engine *e = NULL;
    kiln_module *mod = NULL;
    CHECK(kiln_engine_new(&c, &e) == NULL);
    CHECK(kiln_module_new(e, inc_wasm, sizeof inc_wasm, &mod) == NULL);
    if (mod) {
        uint32_t defined;
        CHECK_EQ(kiln_module_native_funcs(mod, &defined), 1);
        CHECK_EQ(defined, 1);
        const kn_module *m = &mod->m;
        CHECK(m->jit != NULL);
        if (m->jit)
            CHECK(mapped_rx((uintptr_t)m->jit->mem) &&
                  mapped_rx((uintptr_t)m->jit->mem + m->jit->size - 1));
    }
    kiln_module_free(mod);
    kiln_engine_free(e);
}
