/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rng.c: the simulator's random numbers. xoshiro256** (Blackman and Vigna,
 * 2018) seeded through splitmix64 from (seed, a, b), so that every scan line
 * has its own stream and a run is reproducible bit for bit whatever the number
 * of threads. Normal deviates by the polar Box-Muller method; Poisson by
 * multiplication of uniforms below a mean of 30 and by the normal
 * approximation with continuity correction above (relative error of the
 * variance below 1/(2*30), far under the 3 % the noise tests allow, and it
 * shrinks as the mean grows).
 */
#include <math.h>

#include "sim/sim_int.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void lc__simrng_seed(lc__simrng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed;
    uint64_t k = splitmix64(&x) ^ (a * 0xd1b54a32d192ed03ULL);
    x = k;
    k = splitmix64(&x) ^ (b * 0x8cb92ba72f3d8dd7ULL);
    x = k;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->have_spare = false;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t lc__simrng_next(lc__simrng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double lc__simrng_uniform(lc__simrng *r)
{
    /* 53 random bits, shifted off zero: (k + 0.5) / 2^53 is in (0, 1). */
    return ((double)(lc__simrng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double lc__simrng_normal(lc__simrng *r)
{
    if (r->have_spare) {
        r->have_spare = false;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * lc__simrng_uniform(r) - 1.0;
        v = 2.0 * lc__simrng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->have_spare = true;
    return u * f;
}

double lc__simrng_poisson(lc__simrng *r, double lambda)
{
    if (!(lambda > 0.0))
        return 0.0;
    if (lambda < 30.0) {
        double l = exp(-lambda), p = 1.0;
        int k = 0;
        do {
            k++;
            p *= lc__simrng_uniform(r);
        } while (p > l && k < 1000);
        return (double)(k - 1);
    }
    double x = floor(lambda + sqrt(lambda) * lc__simrng_normal(r) + 0.5);
    return x < 0.0 ? 0.0 : x;
}
