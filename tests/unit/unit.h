/*
 * unit.h — the smallest test harness that does the job: TEST(name) defines
 * and registers a test, CHECK/CHECK_EQ record failures with file:line and
 * both values, and main.c runs everything and prints "unit: N passed, N failed".
 */
#ifndef KN_UNIT_H
#define KN_UNIT_H
#include <inttypes.h>
#include <stdio.h>

void unit_register(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *msg);

#define TEST(name)                                                                   \
    static void name(void);                                                          \
    __attribute__((constructor)) static void reg_##name(void) { unit_register(#name, name); } \
    static void name(void)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond))                                                                 \
            unit_fail(__FILE__, __LINE__, #cond);                                    \
    } while (0)

#define CHECK_EQ(a, b)                                                               \
    do {                                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);                          \
        if (a_ != b_) {                                                              \
            char m_[256];                                                            \
            snprintf(m_, sizeof m_, "%s == %s (%lld vs %lld)", #a, #b, a_, b_);      \
            unit_fail(__FILE__, __LINE__, m_);                                       \
        }                                                                            \
    } while (0)
#endif
