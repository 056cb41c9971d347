/* Unit tests for src/ml/gbdt.c (and tree_bins.c / tree_grow.c /
 * tree_forest.c): known answers (a step learned exactly, XOR, x0^2 + x1,
 * NaN carrying the signal), softmax on blobs, early stopping, class
 * weights, seeded subsampling, thread-count independence, save/load,
 * bad parameters, and quality against scikit-learn's
 * HistGradientBoosting and XGBoost (ref/trees_ref.h from ref/trees_ref.py)
 * on the same generated rows. */
#include "test_util.h"
#include "tree_data.h"
#include "ref/trees_ref.h"
#include "ml/tree_impl.h"

#include <omp.h>

static void test_generator_matches_python(void **state)
{
    (void)state;
    float X[6], y;
    tree_data(1, 11, 1, X, &y);
    for (int j = 0; j < 6; j++)
        if (!(X[j] == ref_first_row[j]) && !(isnan(X[j]) && isnan(ref_first_row[j])))
            fail_msg("generated x[%d] = %.9g, trees_ref.py %.9g", j, (double)X[j],
                     (double)ref_first_row[j]);
}

/* tb_apply's guided lookup against the definition (the first bin whose
 * upper edge is >= the value) on skewed, tied, tiny-range and out-of-range
 * values, NaN and infinities, with few and many bins. */
static void test_binning_matches_definition(void **state)
{
    (void)state;
    enum { N = 20000, D = 5 };
    float *X = malloc(sizeof(float) * N * D);
    uint8_t *bins = malloc(N * D);
    assert_non_null(X);
    assert_non_null(bins);
    lt_rng rng;
    lt_rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) {
        const double u = lt_rng_uniform(&rng);
        X[i * D + 0] = (float)(-log(1 - u) * 1000);           // long right tail
        X[i * D + 1] = (float)floor(u * 40) * 0.25f;          // 40 tied values
        X[i * D + 2] = (float)(1e-6 * u + 300);               // range below float spacing steps
        X[i * D + 3] = (float)(u * u * u * 1e6 - 5e5);        // dense near -5e5
        X[i * D + 4] = i % 97 == 0 ? NAN : (float)(lt_rng_uniform(&rng) * 2 - 1);
    }
    for (int max_bins = 8; max_bins <= 255; max_bins += 247) {
        tb_bins b;
        assert_int_equal(tb_fit(&b, X, D, NULL, N / 2, max_bins), LT_OK);  // edges from half
        // The other half also holds values outside the fitted range.
        X[(N - 1) * D + 0] = INFINITY, X[(N - 2) * D + 0] = -INFINITY, X[(N - 3) * D + 3] = 1e9f;
        tb_apply(&b, X, NULL, N, bins);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++) {
                const float v = X[i * D + j], *e = b.edges + j * TB_STRIDE;
                int want = TB_MISSING;
                if (!isnan(v))
                    for (want = 0; want < b.nbins[j] - 1 && !(v <= e[want]); want++) {
                    }
                if (bins[i * D + j] != want)
                    fail_msg("row %d feature %d value %.9g: bin %d, definition %d (%d bins)", i, j,
                             (double)v, bins[i * D + j], want, b.nbins[j]);
            }
        tb_free(&b);
    }
    free(X);
    free(bins);
}

/* One depth-1 tree with learning rate 1 and no penalty learns a step exactly. */
static void test_step_exact(void **state)
{
    (void)state;
    enum { N = 200 };
    float X[N], y[N], p[N];
    tree_uniform(N, 1, 3, X);
    for (int i = 0; i < N; i++)
        y[i] = X[i] > 0.3f ? 2.0f : -1.0f;
    lt_model *m = tree_fit("gbdt", "{\"n_estimators\":1,\"learning_rate\":1,\"max_depth\":1,"
                           "\"lambda\":0}", LT_TASK_REGRESSION, X, N, 1, y, 0, NULL);
    assert_ok(lt_model_predict(m, X, N, 1, p));
    for (int i = 0; i < N; i++)
        assert_near(p[i], y[i], 1e-5);
    lt_model_free(m);
}

/* A step inside one quantile bin: 20000 distinct values in 255 bins put
 * ~80 rows per bin, so bin edges alone cannot cut at 0.3 and a stump
 * misplaces the rows between the step and the nearest edge; the refined
 * split finds the exact threshold (between the two raw values around 0.3)
 * and fits every row, for gbdt and, with every row in the tree, for rf. */
static void test_refine_exact_threshold(void **state)
{
    (void)state;
    enum { N = 20000 };
    float *X = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N), *p = malloc(sizeof(float) * N);
    tree_uniform(N, 1, 9, X);
    for (int i = 0; i < N; i++)
        y[i] = X[i] > 0.3f ? 2.0f : -1.0f;
    const char *stump = "{\"n_estimators\":1,\"learning_rate\":1,\"max_depth\":1,\"lambda\":0,"
                        "\"refine\":%s}";
    for (int refine = 0; refine <= 1; refine++) {
        char params[160];
        snprintf(params, sizeof params, stump, refine ? "true" : "false");
        lt_model *m = tree_fit("gbdt", params, LT_TASK_REGRESSION, X, N, 1, y, 0, NULL);
        assert_ok(lt_model_predict(m, X, N, 1, p));
        int wrong = 0;
        for (int i = 0; i < N; i++)
            wrong += fabsf(p[i] - y[i]) > 1e-3f;
        print_message("gbdt stump, refine=%d: %d of %d rows off the step\n", refine, wrong, N);
        if (refine)
            assert_int_equal(wrong, 0);
        else
            assert_true(wrong > 0);  // else the data would not test the refinement
        if (refine)
            tree_roundtrip(m, X, N, 1);
        lt_model_free(m);
        snprintf(params, sizeof params,
                 "{\"n_estimators\":1,\"max_depth\":1,\"bootstrap\":false,\"refine\":%s}",
                 refine ? "true" : "false");
        m = tree_fit("rf", params, LT_TASK_REGRESSION, X, N, 1, y, 0, NULL);
        assert_ok(lt_model_predict(m, X, N, 1, p));
        wrong = 0;
        for (int i = 0; i < N; i++)
            wrong += fabsf(p[i] - y[i]) > 1e-3f;
        assert_true(refine ? wrong == 0 : wrong > 0);
        lt_model_free(m);
    }
    free(X), free(y), free(p);
}

static void test_xor(void **state)
{
    (void)state;
    enum { N = 400 };
    float X[N * 2], y[N], p[N];
    tree_uniform(N, 2, 5, X);
    for (int i = 0; i < N; i++)
        y[i] = (X[2 * i] > 0) != (X[2 * i + 1] > 0);
    lt_model *m = tree_fit("gbdt", "{\"max_depth\":2,\"n_estimators\":50,\"learning_rate\":0.5}",
                           LT_TASK_CLASSIFICATION, X, N, 2, y, 2, NULL);
    assert_ok(lt_model_predict(m, X, N, 2, p));
    int wrong = 0;
    for (int i = 0; i < N; i++)
        wrong += p[i] != y[i];
    assert_int_equal(wrong, 0);
    lt_model_free(m);
}

/* y = x0^2 + x1: test MSE well below the variance, depth- and leaf-wise. */
static void test_regression_quadratic(void **state)
{
    (void)state;
    enum { N = 2000 };
    float *X = malloc(sizeof(float) * N * 3), *y = malloc(sizeof(float) * N), *p = malloc(sizeof(float) * N);
    tree_uniform(N, 3, 9, X);
    for (int i = 0; i < N; i++)
        y[i] = X[3 * i] * X[3 * i] + X[3 * i + 1];
    const char *grows[] = {"{}", "{\"grow\":\"leaf\",\"max_leaves\":15,\"max_depth\":0}",
                           "{\"loss\":\"huber\",\"huber_delta\":0.5}"};
    for (int g = 0; g < 3; g++) {
        lt_model *m = tree_fit("gbdt", grows[g], LT_TASK_REGRESSION, X, N / 2, 3, y, 0, NULL);
        assert_ok(lt_model_predict(m, X + 3 * (N / 2), N / 2, 3, p));
        double mse = 0, mean = 0, var = 0;
        for (int i = N / 2; i < N; i++)
            mean += y[i] / (N / 2);
        for (int i = N / 2; i < N; i++) {
            mse += (p[i - N / 2] - y[i]) * (p[i - N / 2] - y[i]) / (N / 2);
            var += (y[i] - mean) * (y[i] - mean) / (N / 2);
        }
        if (!(mse < 0.02 * var))
            fail_msg("%s: test MSE %g vs variance %g", grows[g], mse, var);
        lt_model_free(m);
    }
    free(X), free(y), free(p);
}

/* y = 1 iff x0 is missing: only the NaN route carries the signal. */
static void test_missing_signal(void **state)
{
    (void)state;
    enum { N = 600 };
    float X[N * 2], y[N], p[N];
    tree_uniform(N, 2, 13, X);
    for (int i = 0; i < N; i++) {
        y[i] = i % 3 == 0;
        if (y[i])
            X[2 * i] = NAN;
    }
    lt_model *m = tree_fit("gbdt", "{\"n_estimators\":20}", LT_TASK_CLASSIFICATION, X, N / 2, 2,
                           y, 2, NULL);
    assert_ok(lt_model_predict(m, X + N, N / 2, 2, p));
    for (int i = 0; i < N / 2; i++)
        assert_int_equal((int)p[i], (int)y[N / 2 + i]);
    tree_roundtrip(m, X, N, 2);
    lt_model_free(m);
    // Trained without any NaN: a NaN at predict time follows the larger child.
    float Xc[N * 2], q[2];
    tree_uniform(N, 2, 14, Xc);
    for (int i = 0; i < N; i++)
        y[i] = Xc[2 * i] > 0.5f;  // most rows go left
    m = tree_fit("gbdt", "{\"n_estimators\":5,\"max_depth\":1}", LT_TASK_CLASSIFICATION, Xc, N, 2,
                 y, 2, NULL);
    float row[4] = {NAN, 0.0f, 0.9f, 0.0f};
    assert_ok(lt_model_predict(m, row, 2, 2, q));
    assert_int_equal((int)q[0], 0);
    assert_int_equal((int)q[1], 1);
    lt_model_free(m);
}

static void test_softmax_blobs(void **state)
{
    (void)state;
    enum { N = 600, K = 3 };
    float X[N * 2], y[N], p[N], P[N * K];
    lt_rng r;
    lt_rng_seed(&r, 17);
    const float cx[K] = {-2, 2, 0}, cy[K] = {0, 0, 2.5f};
    for (int i = 0; i < N; i++) {
        int k = i % K;
        y[i] = (float)k;
        X[2 * i] = cx[k] + 0.7f * (float)lt_rng_normal(&r);
        X[2 * i + 1] = cy[k] + 0.7f * (float)lt_rng_normal(&r);
    }
    lt_model *m = tree_fit("gbdt", "{\"n_estimators\":50}", LT_TASK_CLASSIFICATION, X, N / 2, 2,
                           y, K, NULL);
    assert_ok(lt_model_predict(m, X + N, N / 2, 2, p));
    assert_ok(lt_model_predict_proba(m, X + N, N / 2, 2, P));
    int right = 0;
    for (int i = 0; i < N / 2; i++) {
        right += p[i] == y[N / 2 + i];
        assert_near(P[i * K] + P[i * K + 1] + P[i * K + 2], 1.0, 1e-5);
    }
    if (right < 0.95 * N / 2)
        fail_msg("softmax accuracy %d / %d", right, N / 2);
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    assert_int_equal(lt_state_get(st, "trees.start")->shape[0], 50 * K + 1);
    lt_state_free(st);
    tree_roundtrip(m, X, N, 2);
    lt_model_free(m);
}

static int64_t ntrees(const lt_model *m)
{
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    int64_t t = lt_state_get(st, "trees.start")->shape[0] - 1;
    lt_state_free(st);
    return t;
}

static void test_early_stopping(void **state)
{
    (void)state;
    enum { N = 1000 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    tree_data(N, 31, 1, X, y);
    lt_model *m = tree_fit("gbdt", "{\"n_estimators\":1000,\"learning_rate\":0.3,"
                           "\"validation_fraction\":0.2,\"early_stopping_rounds\":5}",
                           LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
    int64_t t = ntrees(m);
    if (!(t >= 1 && t < 200))
        fail_msg("early stopping kept %lld trees of 1000", (long long)t);
    char *js = m->vt->describe(m);
    assert_non_null(strstr(js, "\"validation_loss\":0."));
    free(js);
    lt_model_free(m);
    free(X), free(y);
}

static void test_class_weight(void **state)
{
    (void)state;
    enum { N = 1000 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *P = malloc(sizeof(float) * N * 2);
    tree_data(N, 41, 1, X, y);
    for (int i = 0; i < N; i++)  // make positives rare
        if (y[i] == 1 && i % 5)
            y[i] = 0;
    double mean[2];
    const char *cw[] = {"{\"class_weight\":\"none\"}", "{\"class_weight\":\"balanced\"}"};
    for (int c = 0; c < 2; c++) {
        lt_model *m = tree_fit("gbdt", cw[c], LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
        assert_ok(lt_model_predict_proba(m, X, N, 6, P));
        mean[c] = 0;
        for (int i = 0; i < N; i++)
            mean[c] += P[2 * i + 1] / N;
        lt_model_free(m);
    }
    if (!(mean[1] > mean[0] + 0.03))
        fail_msg("balanced mean p(1) %g not above unweighted %g", mean[1], mean[0]);
    free(X), free(y), free(P);
}

/* Same seed: same model, whatever the thread count; another seed: another. */
static void test_determinism(void **state)
{
    (void)state;
    enum { N = 1500 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    tree_data(N, 51, 0, X, y);
    const char *ps = "{\"subsample\":0.7,\"colsample\":0.5,\"n_estimators\":30}";
    int threads = lt_get_threads();
    lt_set_threads(1);
    lt_model *m1 = tree_fit("gbdt", ps, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL);
    lt_set_threads(2);
    lt_model *m2 = tree_fit("gbdt", ps, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL);
    lt_set_threads(threads);
    assert_ok(lt_model_predict(m1, X, N, 6, a));
    assert_ok(lt_model_predict(m2, X, N, 6, b));
    assert_memory_equal(a, b, sizeof(float) * N);
    lt_model *m3;
    assert_ok(lt_model_new("gbdt", &m3));
    assert_ok(lt_model_set_params_json(m3, ps));
    lt_model_set_seed(m3, 7);
    assert_ok(lt_model_fit(m3, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL));
    assert_ok(lt_model_predict(m3, X, N, 6, b));
    assert_true(memcmp(a, b, sizeof(float) * N) != 0);
    tree_roundtrip(m1, X, N, 6);
    lt_model_free(m1), lt_model_free(m2), lt_model_free(m3);
    free(X), free(y), free(a), free(b);
}

/* Nodes of >= 32768 rows build histograms and partition in row blocks over
 * the threads: still the same model for any thread count, with all rows
 * (leaf ranges update the scores) and subsampled (the tree is walked). */
static void test_determinism_blocks(void **state)
{
    (void)state;
    enum { N = 70000 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *a = malloc(sizeof(float) * N * 2), *b = malloc(sizeof(float) * N * 2);
    tree_data(N, 53, 1, X, y);
    const char *ps[] = {"{\"n_estimators\":4,\"max_depth\":5}",
                        "{\"n_estimators\":4,\"max_depth\":5,\"subsample\":0.8}"};
    int threads = lt_get_threads();
    for (int k = 0; k < 2; k++) {
        lt_set_threads(1);
        lt_model *m1 = tree_fit("gbdt", ps[k], LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
        lt_set_threads(2);
        lt_model *m2 = tree_fit("gbdt", ps[k], LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
        assert_ok(lt_model_predict_proba(m1, X, N, 6, a));
        assert_ok(lt_model_predict_proba(m2, X, N, 6, b));
        assert_memory_equal(a, b, sizeof(float) * N * 2);
        lt_model_free(m1), lt_model_free(m2);
    }
    lt_set_threads(threads);
    free(X), free(y), free(a), free(b);
}

static void test_bad_params_and_state(void **state)
{
    (void)state;
    lt_model *m;
    assert_ok(lt_model_new("gbdt", &m));
    const char *bad[][2] = {{"learning_rate", "0"}, {"max_bins", "300"}, {"grow", "wide"},
                            {"subsample", "1.5"}, {"colsample", "0"}, {"n_estimators", "0"},
                            {"lambda", "-1"}, {"validation_fraction", "0.95"}};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(lt_model_set_param(m, bad[i][0], bad[i][1]), LT_EINVAL);
        assert_error_contains(bad[i][0]);
    }
    // Infinity is still rejected (NaN is a missing value).
    float X[4] = {1, INFINITY, 2, 3}, y[2] = {0, 1};
    assert_int_equal(lt_model_fit(m, LT_TASK_REGRESSION, X, 2, 2, y, 0, NULL), LT_EINVAL);
    lt_model_free(m);
    // A corrupt state (a child pointing back at its parent) is rejected.
    enum { N = 200 };
    float Xs[N], ys[N];
    tree_uniform(N, 1, 3, Xs);
    for (int i = 0; i < N; i++)
        ys[i] = Xs[i] > 0;
    m = tree_fit("gbdt", "{\"n_estimators\":2}", LT_TASK_REGRESSION, Xs, N, 1, ys, 0, NULL);
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    lt_tensor *left = (lt_tensor *)lt_state_get(st, "trees.left");
    left->data[0] = 0;
    lt_model *m2 = NULL;
    assert_int_equal(lt_model_load("gbdt", NULL, LT_TASK_REGRESSION, 1, 0, st, &m2), LT_ECORRUPT);
    assert_error_contains("trees.left");
    lt_state_free(st);
    lt_model_free(m);
}

/* Quality on the generated set against scikit-learn and XGBoost: bin-edge
 * splits (refine=false) against their histogram methods, refined splits
 * against XGBoost's exact greedy method. */
static void test_vs_sklearn_xgboost(void **state)
{
    (void)state;
    enum { N = REF_TREES_NTRAIN, NT = REF_TREES_NTEST };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *Xt = malloc(sizeof(float) * NT * 6), *yt = malloc(sizeof(float) * NT);
    float *P = malloc(sizeof(float) * NT * 2), *s = malloc(sizeof(float) * NT);
    for (int refine = 0; refine <= 1; refine++) {
        const char *params = refine ? "{\"refine\":true}" : "{\"refine\":false}";
        const double auc_ref = refine ? ref_xgb_exact_auc : fmax(ref_hgb_auc, ref_xgb_auc);
        const double rmse_ref = refine ? ref_xgb_exact_rmse : fmin(ref_hgb_rmse, ref_xgb_rmse);
        tree_data(N, 11, 1, X, y);
        tree_data(NT, 12, 1, Xt, yt);
        lt_model *m = tree_fit("gbdt", params, LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
        assert_ok(lt_model_predict_proba(m, Xt, NT, 6, P));
        for (int i = 0; i < NT; i++)
            s[i] = P[2 * i + 1];
        double auc = tree_auc(yt, s, NT);
        print_message("gbdt refine=%d AUC %.4f (%s %.4f)\n", refine, auc,
                      refine ? "XGBoost exact" : "best of HistGradientBoosting, XGBoost hist", auc_ref);
        if (auc < auc_ref - 0.01)
            fail_msg("gbdt AUC %.4f more than 0.01 below the peer's %.4f", auc, auc_ref);
        lt_model_free(m);
        tree_data(N, 21, 0, X, y);
        tree_data(NT, 22, 0, Xt, yt);
        m = tree_fit("gbdt", params, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL);
        assert_ok(lt_model_predict(m, Xt, NT, 6, s));
        double mse = 0;
        for (int i = 0; i < NT; i++)
            mse += (s[i] - yt[i]) * (s[i] - yt[i]) / NT;
        print_message("gbdt refine=%d RMSE %.4f (peer %.4f)\n", refine, sqrt(mse), rmse_ref);
        if (sqrt(mse) > rmse_ref * 1.03)
            fail_msg("gbdt RMSE %.4f more than 3%% above the peer's %.4f", sqrt(mse), rmse_ref);
        lt_model_free(m);
    }
    free(X), free(y), free(Xt), free(yt), free(P), free(s);
}

static void test_importance(void **state)
{
    (void)state;
    enum { N = 1000 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    tree_data(N, 61, 0, X, y);
    for (int i = 0; i < N; i++)
        X[i * 6 + 5] = 0.0f;  // x5 is constant: no gain
    lt_model *m = tree_fit("gbdt", NULL, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL);
    double imp[6];
    assert_ok(m->vt->importance(m, imp));
    assert_true(imp[5] == 0);
    assert_true(imp[2] > imp[4] && imp[0] > imp[4]);  // x2^2 and x0 x1 matter more than 0.5 x4
    lt_model_free(m);
    free(X), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_matches_python),
        cmocka_unit_test(test_binning_matches_definition),
        cmocka_unit_test(test_step_exact),
        cmocka_unit_test(test_refine_exact_threshold),
        cmocka_unit_test(test_xor),
        cmocka_unit_test(test_regression_quadratic),
        cmocka_unit_test(test_missing_signal),
        cmocka_unit_test(test_softmax_blobs),
        cmocka_unit_test(test_early_stopping),
        cmocka_unit_test(test_class_weight),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_determinism_blocks),
        cmocka_unit_test(test_bad_params_and_state),
        cmocka_unit_test(test_vs_sklearn_xgboost),
        cmocka_unit_test(test_importance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
