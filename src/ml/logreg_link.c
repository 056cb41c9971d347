/* The binary logistic link: one exp and one log per row, the costly part
 * of every loss evaluation. Alone in this file because it is built with
 * -ffast-math (CMakeLists.txt), which lets GCC call glibc's vectorised
 * exp/log (libmvec); target_clones adds an AVX2 version (4 doubles per
 * call) picked at load time on machines that have it. Nothing here tests
 * for NaN or Inf: inputs were validated by the model base. */
#include <math.h>
#include <stdint.h>

#include "logreg_impl.h"

/* e = e^-|z|,  loss = max(z, 0) + log(1 + e) - y z,  p = sigmoid(z);
 * branch-free so it vectorises. */
#define LINK_ROW(i)                                                    \
    do {                                                               \
        double z = P[i] + b0, yi = (double)y[i], e = exp(-fabs(z));    \
        f += sw[i] * (fmax(z, 0.0) + log(1 + e) - yi * z);             \
        double p = (z >= 0 ? 1.0 : e) / (1 + e);                       \
        P[i] = p;                                                      \
        R[i] = sw[i] * (p - yi);                                       \
    } while (0)

__attribute__((target_clones("avx2", "default")))
double lr_binary_link(double *P, double b0, const int32_t *y, const double *sw, int64_t m,
                      double *R)
{
    double f = 0;
    if (m >= 65536) {
        // Threads only pay off on large n: below that, a barrier with a
        // descheduled thread on a busy 2-core box costs more than the loop.
        // Static split: the sum is reproducible for a given thread count.
#pragma omp parallel for simd schedule(static) reduction(+ : f)
        for (int64_t i = 0; i < m; i++)
            LINK_ROW(i);
        return f;
    }
#pragma omp simd reduction(+ : f)
    for (int64_t i = 0; i < m; i++)
        LINK_ROW(i);
    return f;
}
