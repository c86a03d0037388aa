/*
 * nbody — double-precision gravitational N-body simulation.
 *
 * 24 bodies with pseudo-random masses, positions and velocities interact
 * pairwise (softened Newtonian gravity, sqrt and divide per pair) and are
 * advanced with a symplectic Euler step.  The checksum hashes the exact bit
 * patterns of the final positions and of the total energy.  Floating-point
 * latency (sqrt, div) and small-loop overhead.
 */
#include <stdint.h>

#define NB    24
#define STEPS 24000

typedef struct {
    double x, y, z, vx, vy, vz, m;
} body;

static body bodies[NB];

static uint64_t state = 0x2545F4914F6CDD1Dull;

static double rand_unit(void)          /* [0, 1) from a 64-bit LCG */
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(state >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t bits_of(double d)
{
    union { double d; uint64_t u; } v;
    v.d = d;
    return v.u;
}

static double energy(void)
{
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        body *a = &bodies[i];
        e += 0.5 * a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < NB; j++) {
            body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->m * b->m / __builtin_sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

static void advance(double dt)
{
    for (int i = 0; i < NB; i++) {
        body *a = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz + 0.01;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            double ma = a->m * mag, mb = b->m * mag;
            a->vx -= dx * mb; a->vy -= dy * mb; a->vz -= dz * mb;
            b->vx += dx * ma; b->vy += dy * ma; b->vz += dz * ma;
        }
    }
    for (int i = 0; i < NB; i++) {
        body *a = &bodies[i];
        a->x += dt * a->vx;
        a->y += dt * a->vy;
        a->z += dt * a->vz;
    }
}

uint64_t run(void)
{
    state = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < NB; i++) {
        body *b = &bodies[i];
        b->x = rand_unit() * 20.0 - 10.0;
        b->y = rand_unit() * 20.0 - 10.0;
        b->z = rand_unit() * 20.0 - 10.0;
        b->vx = rand_unit() - 0.5;
        b->vy = rand_unit() - 0.5;
        b->vz = rand_unit() - 0.5;
        b->m = 0.5 + rand_unit();
    }
    /* move to the centre-of-momentum frame */
    double px = 0, py = 0, pz = 0, mt = 0;
    for (int i = 0; i < NB; i++) {
        px += bodies[i].vx * bodies[i].m;
        py += bodies[i].vy * bodies[i].m;
        pz += bodies[i].vz * bodies[i].m;
        mt += bodies[i].m;
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].vx -= px / mt;
        bodies[i].vy -= py / mt;
        bodies[i].vz -= pz / mt;
    }

    uint64_t acc = bits_of(energy());
    for (int s = 0; s < STEPS; s++)
        advance(0.001);
    acc = acc * 31u + bits_of(energy());
    for (int i = 0; i < NB; i++) {
        acc = acc * 31u + bits_of(bodies[i].x);
        acc = acc * 31u + bits_of(bodies[i].y);
        acc = acc * 31u + bits_of(bodies[i].z);
    }
    return acc;
}
