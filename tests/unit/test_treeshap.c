/* Unit tests for src/ml/tree_shap.c: exact TreeSHAP against brute-force
 * Shapley values (every feature subset, the same path-dependent value
 * function) on small trees, and additivity (contributions + expected value
 * = raw output, to 1e-4) for gbdt (regression, binary, softmax) and rf,
 * with missing values. The trees are read back from the saved state, so
 * the raw outputs here come from an independent walk of the stored arrays. */
#include "test_util.h"
#include "tree_data.h"

typedef struct st_trees {
    const float *start, *feat, *thr, *left, *right, *dl, *value, *cover, *base;
    int ntrees, nval, nout;
    double scale;
} st_trees;

static st_trees view(const lt_state *st, int nout, int rf)
{
    st_trees t;
    const lt_tensor *s = lt_state_get(st, "trees.start");
    t.start = s->data;
    t.ntrees = (int)s->shape[0] - 1;
    t.feat = lt_state_get(st, "trees.feature")->data;
    t.thr = lt_state_get(st, "trees.threshold")->data;
    t.left = lt_state_get(st, "trees.left")->data;
    t.right = lt_state_get(st, "trees.right")->data;
    t.dl = lt_state_get(st, "trees.default_left")->data;
    t.cover = lt_state_get(st, "trees.cover")->data;
    const lt_tensor *v = lt_state_get(st, "trees.value");
    t.value = v->data;
    t.nval = (int)v->shape[1];
    t.base = lt_state_get(st, "base_score")->data;
    t.nout = nout;
    t.scale = rf ? 1.0 / t.ntrees : 1.0;
    return t;
}

/* E[tree(x) | x_S] with the path-dependent rule: a split on a feature in S
 * follows x, any other split averages its children by cover. */
static double cond_exp(const st_trees *t, int k, const float *x, unsigned S, int c)
{
    int f = (int)t->feat[k];
    if (f < 0)
        return t->value[k * t->nval + c];
    int l = (int)t->left[k], r = (int)t->right[k];
    if (S >> f & 1) {
        int left = isnan(x[f]) ? t->dl[k] != 0 : x[f] <= t->thr[k];
        return cond_exp(t, left ? l : r, x, S, c);
    }
    return (t->cover[l] * cond_exp(t, l, x, S, c) + t->cover[r] * cond_exp(t, r, x, S, c)) /
           (t->cover[l] + t->cover[r]);
}

/* v(S) for output k: base + scale * sum of the trees adding to k. */
static double value_fn(const st_trees *t, const float *x, unsigned S, int k)
{
    double v = 0;
    for (int i = 0; i < t->ntrees; i++) {
        if (t->nval == 1 && i % t->nout != k)
            continue;
        v += cond_exp(t, (int)t->start[i], x, S, t->nval == 1 ? 0 : k);
    }
    return t->base[k] + t->scale * v;
}

static double fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }

/* Brute-force Shapley values against the model's contributions. */
static void check_brute(lt_model *m, const float *X, int n, int d, int rf)
{
    int nout = m->task == LT_TASK_CLASSIFICATION ? (rf || m->nclass > 2 ? m->nclass : 1) : 1;
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    st_trees t = view(st, nout, rf);
    float *phi = malloc(sizeof(float) * (size_t)n * nout * (d + 1));
    assert_ok(m->vt->contributions(m, X, n, phi));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nout; k++) {
            const float *ph = phi + ((size_t)i * nout + k) * (d + 1);
            assert_near(ph[d], value_fn(&t, X + i * d, 0, k), 1e-5);
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (unsigned S = 0; S < (1u << d); S++) {
                    if (S >> j & 1)
                        continue;
                    int sz = __builtin_popcount(S);
                    double w = fact(sz) * fact(d - sz - 1) / fact(d);
                    s += w * (value_fn(&t, X + i * d, S | 1u << j, k) - value_fn(&t, X + i * d, S, k));
                }
                if (fabs(ph[j] - s) > 1e-5 * (1 + fabs(s)))
                    fail_msg("row %d output %d feature %d: TreeSHAP %.8g, brute force %.8g", i, k,
                             j, (double)ph[j], s);
            }
        }
    free(phi);
    lt_state_free(st);
}

/* Raw output of row x from the stored arrays. */
static double raw_walk(const st_trees *t, const float *x, int k)
{
    double v = 0;
    for (int i = 0; i < t->ntrees; i++) {
        if (t->nval == 1 && i % t->nout != k)
            continue;
        int n = (int)t->start[i];
        while (t->feat[n] >= 0) {
            float xv = x[(int)t->feat[n]];
            int left = isnan(xv) ? t->dl[n] != 0 : xv <= t->thr[n];
            n = (int)(left ? t->left[n] : t->right[n]);
        }
        v += t->value[n * t->nval + (t->nval == 1 ? 0 : k)];
    }
    return t->base[k] + t->scale * v;
}

static void check_additive(lt_model *m, const float *X, int n, int d, int rf)
{
    int nout = m->task == LT_TASK_CLASSIFICATION ? (rf || m->nclass > 2 ? m->nclass : 1) : 1;
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    st_trees t = view(st, nout, rf);
    float *phi = malloc(sizeof(float) * (size_t)n * nout * (d + 1));
    float *pred = malloc(sizeof(float) * (size_t)n * (nout > 2 ? nout : 2));
    assert_ok(m->vt->contributions(m, X, n, phi));
    if (m->task == LT_TASK_REGRESSION)
        assert_ok(lt_model_predict(m, X, n, d, pred));
    else
        assert_ok(lt_model_predict_proba(m, X, n, d, pred));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < nout; k++) {
            const float *ph = phi + ((size_t)i * nout + k) * (d + 1);
            double s = 0;
            for (int j = 0; j <= d; j++)
                s += ph[j];
            double raw = raw_walk(&t, X + i * d, k);
            if (fabs(s - raw) > 1e-4 * (1 + fabs(raw)))
                fail_msg("row %d output %d: sum of contributions %.8g, raw %.8g", i, k, s, raw);
            if (m->task == LT_TASK_REGRESSION || rf)  // the model's own output is the raw score
                assert_near(raw, pred[i * (rf ? nout : 1) + (rf ? k : 0)], 1e-4 * (1 + fabs(raw)));
            else if (nout == 1)
                assert_near(1 / (1 + exp(-raw)), pred[2 * i + 1], 1e-5);
        }
    free(phi);
    free(pred);
    lt_state_free(st);
}

static void test_brute_force_small(void **state)
{
    (void)state;
    enum { N = 300, D = 4 };
    float X[N * D], y[N];
    tree_uniform(N, D, 81, X);
    for (int i = 0; i < N; i++) {
        float *x = X + i * D;
        y[i] = x[0] * x[1] + (x[2] > 0.2f) - 0.5f * x[3];
        if (i % 7 == 0)
            x[1] = NAN;
    }
    lt_model *m = tree_fit("gbdt", "{\"n_estimators\":3,\"max_depth\":3}", LT_TASK_REGRESSION, X,
                           N, D, y, 0, NULL);
    check_brute(m, X, 20, D, 0);
    lt_model_free(m);
    // Binary and 3-class gbdt, and rf classification (a vector per leaf).
    float yc[N];
    for (int i = 0; i < N; i++)
        yc[i] = y[i] > 0;
    m = tree_fit("gbdt", "{\"n_estimators\":2,\"max_depth\":4}", LT_TASK_CLASSIFICATION, X, N, D,
                 yc, 2, NULL);
    check_brute(m, X, 10, D, 0);
    lt_model_free(m);
    for (int i = 0; i < N; i++)
        yc[i] = (float)(y[i] < -0.3f ? 0 : y[i] < 0.5f ? 1 : 2);
    m = tree_fit("gbdt", "{\"n_estimators\":2,\"max_depth\":3}", LT_TASK_CLASSIFICATION, X, N, D,
                 yc, 3, NULL);
    check_brute(m, X, 10, D, 0);
    lt_model_free(m);
    m = tree_fit("rf", "{\"n_estimators\":3,\"max_depth\":4}", LT_TASK_CLASSIFICATION, X, N, D, yc,
                 3, NULL);
    check_brute(m, X, 10, D, 1);
    lt_model_free(m);
}

static void test_additivity(void **state)
{
    (void)state;
    enum { N = 1000, D = 6 };
    float *X = malloc(sizeof(float) * N * D), *y = malloc(sizeof(float) * N);
    tree_data(N, 91, 0, X, y);
    lt_model *m = tree_fit("gbdt", NULL, LT_TASK_REGRESSION, X, N, D, y, 0, NULL);
    check_additive(m, X, 200, D, 0);
    lt_model_free(m);
    m = tree_fit("gbdt", "{\"grow\":\"leaf\",\"max_depth\":0,\"max_leaves\":40}",
                 LT_TASK_REGRESSION, X, N, D, y, 0, NULL);
    check_additive(m, X, 200, D, 0);
    lt_model_free(m);
    m = tree_fit("rf", "{\"n_estimators\":20}", LT_TASK_REGRESSION, X, N, D, y, 0, NULL);
    check_additive(m, X, 100, D, 1);
    lt_model_free(m);
    for (int i = 0; i < N; i++)
        y[i] = y[i] > 0.5f ? 2.0f : y[i] > -0.5f;
    m = tree_fit("gbdt", NULL, LT_TASK_CLASSIFICATION, X, N, D, y, 3, NULL);
    check_additive(m, X, 200, D, 0);
    lt_model_free(m);
    m = tree_fit("rf", "{\"n_estimators\":20}", LT_TASK_CLASSIFICATION, X, N, D, y, 3, NULL);
    check_additive(m, X, 100, D, 1);
    lt_model_free(m);
    for (int i = 0; i < N; i++)
        y[i] = y[i] > 0;
    m = tree_fit("gbdt", NULL, LT_TASK_CLASSIFICATION, X, N, D, y, 2, NULL);
    check_additive(m, X, 200, D, 0);
    lt_model_free(m);
    free(X), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brute_force_small),
        cmocka_unit_test(test_additivity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
