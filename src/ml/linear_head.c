/* Scores, class decisions and save/load of a linear head (linear_head.h). */
#include "linear_head.h"

#include <stdlib.h>
#include <string.h>

void lt_linear_scores(const float *coef, const float *icpt, int K, int64_t d, const float *X,
                      int64_t n, float *Z)
{
    if (K == 1) /* one output: gemv is several times cheaper than a one-column gemm */
        lt_sgemv(0, n, d, 1.0f, X, d, coef, 0.0f, Z);
    else
        lt_sgemm(0, 1, n, K, d, 1.0f, X, d, coef, d, 0.0f, Z, K);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < K; k++)
            Z[i * K + k] += icpt[k];
}

int lt_linear_classes(const float *coef, const float *icpt, int K, int64_t d, const float *X,
                      int64_t n, float *out)
{
    if (K == 1) {
        lt_linear_scores(coef, icpt, 1, d, X, n, out);
        for (int64_t i = 0; i < n; i++)
            out[i] = out[i] > 0 ? 1.0f : 0.0f;
        return LT_OK;
    }
    float *Z = lt_malloc(sizeof(float) * (size_t)n * (size_t)K);
    if (!Z)
        return LT_ENOMEM;
    lt_linear_scores(coef, icpt, K, d, X, n, Z);
    for (int64_t i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (Z[i * K + k] > Z[i * K + best])
                best = k;
        out[i] = (float)best;
    }
    free(Z);
    return LT_OK;
}

int lt_linear_save(const float *coef, const float *icpt, int K, int64_t d, lt_state *st)
{
    int64_t cs[2] = {K, d}, bs[1] = {K};
    int rc = lt_state_put(st, "coef", 2, cs, coef);
    return rc ? rc : lt_state_put(st, "intercept", 1, bs, icpt);
}

int lt_linear_load(const lt_state *st, int K, int64_t d, float **coef, float **icpt)
{
    int64_t cs[2] = {K, d}, bs[1] = {K};
    const lt_tensor *c, *b;
    int rc = lt_state_expect(st, "coef", 2, cs, &c);
    if (rc || (rc = lt_state_expect(st, "intercept", 1, bs, &b)))
        return rc;
    float *cw = lt_malloc(sizeof(float) * (size_t)(K * d));
    float *bw = lt_malloc(sizeof(float) * (size_t)K);
    if (!cw || !bw) {
        free(cw);
        free(bw);
        return LT_ENOMEM;
    }
    memcpy(cw, c->data, sizeof(float) * (size_t)(K * d));
    memcpy(bw, b->data, sizeof(float) * (size_t)K);
    *coef = cw;
    *icpt = bw;
    return LT_OK;
}
