/* The logistic gradients of a boosting round: one exp per row, 12% of a
 * 200k-row fit when computed row by row through libm. Alone in this file
 * because it is built with -ffast-math (CMakeLists.txt), which lets GCC
 * call glibc's vectorised exp (libmvec); target_clones adds an AVX2
 * version picked at load time (as logreg_link.c). Inputs are finite: the
 * raw scores come from finite leaf values. */
#include <math.h>
#include <stdint.h>

#include "tree_impl.h"

__attribute__((target_clones("avx2", "default")))
void gbdt_logistic_grad(const double *F, const float *y, const float *w, int64_t b, int64_t e,
                        float *g, float *h)
{
#pragma omp simd
    for (int64_t i = b; i < e; i++) {
        const double z = F[i], ez = exp(-fabs(z)), p = (z >= 0 ? 1.0 : ez) / (1 + ez);
        g[i] = (float)(w[i] * (p - y[i]));
        h[i] = (float)(w[i] * fmax(p * (1 - p), 1e-16));
    }
}
