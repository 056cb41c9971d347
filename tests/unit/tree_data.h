/* Data generators shared by the tree tests (test_gbdt.c, test_rf.c,
 * test_treeshap.c). tree_data() is mirrored exactly by make() in
 * ref/trees_ref.py, which stores scikit-learn's and XGBoost's figures. */
#ifndef LATHE_TEST_TREE_DATA_H
#define LATHE_TEST_TREE_DATA_H

#include "test_util.h"

/* X (n, 6) in [-2, 2), x4 NaN in 10 % of rows; z = x0 x1 + x2^2 - 1.5 +
 * 0.8 x3 + 0.5 x4 (NaN counts as 1) + U(-1, 1); y = z > 0 (cls) or z. */
static inline void tree_data(int n, uint64_t seed, int cls, float *X, float *y)
{
    lt_rng r;
    lt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        float *x = X + i * 6;
        for (int j = 0; j < 6; j++)
            x[j] = (float)(lt_rng_uniform(&r) * 4.0 - 2.0);
        if (lt_rng_uniform(&r) < 0.1)
            x[4] = NAN;
        double x4 = isnan(x[4]) ? 1.0 : x[4];
        double z = (double)x[0] * x[1] + (double)x[2] * x[2] - 1.5 + 0.8 * x[3] + 0.5 * x4 +
                   (lt_rng_uniform(&r) - 0.5) * 2.0;
        y[i] = cls ? (z > 0 ? 1.0f : 0.0f) : (float)z;
    }
}

/* Uniform [-1, 1) features. */
static inline void tree_uniform(int n, int d, uint64_t seed, float *X)
{
    lt_rng r;
    lt_rng_seed(&r, seed);
    for (int i = 0; i < n * d; i++)
        X[i] = (float)(lt_rng_uniform(&r) * 2.0 - 1.0);
}

/* ROC AUC of scores s for labels y (0/1), ties counted half. O(n^2): small n. */
static inline double tree_auc(const float *y, const float *s, int n)
{
    double num = 0, pos = 0, neg = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] != 1)
            continue;
        pos++;
        for (int j = 0; j < n; j++)
            if (y[j] == 0)
                num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
    }
    for (int j = 0; j < n; j++)
        neg += y[j] == 0;
    return num / (pos * neg);
}

static inline lt_model *tree_fit(const char *name, const char *params, lt_task task,
                                 const float *X, int n, int d, const float *y, int nclass,
                                 const float *w)
{
    lt_model *m;
    assert_ok(lt_model_new(name, &m));
    if (params)
        assert_ok(lt_model_set_params_json(m, params));
    assert_ok(lt_model_fit(m, task, X, n, d, y, nclass, w));
    return m;
}

/* Save to a state and load back: predictions must be bit-identical. */
static inline void tree_roundtrip(lt_model *m, const float *X, int n, int d)
{
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    char *params = lt_model_params_json(m);
    lt_model *m2;
    assert_ok(lt_model_load(m->vt->name, params, m->task, m->nfeat, m->nclass, st, &m2));
    int k = m->task == LT_TASK_CLASSIFICATION ? m->nclass : 1;
    float *a = malloc(sizeof(float) * (size_t)n * k), *b = malloc(sizeof(float) * (size_t)n * k);
    assert_ok(lt_model_predict(m, X, n, d, a));
    assert_ok(lt_model_predict(m2, X, n, d, b));
    assert_memory_equal(a, b, sizeof(float) * (size_t)n);
    if (m->task == LT_TASK_CLASSIFICATION) {
        assert_ok(lt_model_predict_proba(m, X, n, d, a));
        assert_ok(lt_model_predict_proba(m2, X, n, d, b));
        assert_memory_equal(a, b, sizeof(float) * (size_t)n * k);
    }
    free(a);
    free(b);
    free(params);
    lt_model_free(m2);
    lt_state_free(st);
}

#endif
