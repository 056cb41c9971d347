/* Unit tests for src/ml/rf.c: fully grown trees fit their training rows,
 * predict_proba is the mean of leaf class frequencies (checked by hand on a
 * stump), regression, NaN routing, determinism for any thread count,
 * save/load, bad parameters, and quality against scikit-learn's
 * RandomForest (ref/trees_ref.h). */
#include "test_util.h"
#include "tree_data.h"
#include "ref/trees_ref.h"

static void test_xor_fits_training(void **state)
{
    (void)state;
    enum { N = 400 };
    float X[N * 2], y[N], p[N];
    tree_uniform(N, 2, 5, X);
    for (int i = 0; i < N; i++)
        y[i] = (X[2 * i] > 0) != (X[2 * i + 1] > 0);
    lt_model *m = tree_fit("rf", "{\"n_estimators\":20,\"bootstrap\":false,\"max_features\":1}",
                           LT_TASK_CLASSIFICATION, X, N, 2, y, 2, NULL);
    assert_ok(lt_model_predict(m, X, N, 2, p));
    for (int i = 0; i < N; i++)
        assert_int_equal((int)p[i], (int)y[i]);
    tree_roundtrip(m, X, N, 2);
    lt_model_free(m);
}

/* A stump without bootstrap: proba = class frequencies on each side. */
static void test_stump_frequencies(void **state)
{
    (void)state;
    float X[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, y[10] = {0, 0, 0, 1, 0, 1, 1, 1, 1, 1}, P[4];
    lt_model *m = tree_fit("rf", "{\"n_estimators\":3,\"bootstrap\":false,\"max_depth\":1}",
                           LT_TASK_CLASSIFICATION, X, 10, 1, y, 2, NULL);
    float q[2] = {0.5f, 8.5f};
    assert_ok(lt_model_predict_proba(m, q, 2, 1, P));
    // Best Gini split: x <= 4.5 (left 4 of 5 zeros, right all ones; weighted
    // impurity 1.6, against 1.71 for x <= 2.5).
    assert_near(P[0], 0.8, 1e-6);
    assert_near(P[1], 0.2, 1e-6);
    assert_near(P[2], 0.0, 1e-6);
    assert_near(P[3], 1.0, 1e-6);
    lt_model_free(m);
}

static void test_regression_and_missing(void **state)
{
    (void)state;
    enum { N = 2000 };
    float *X = malloc(sizeof(float) * N * 3), *y = malloc(sizeof(float) * N), *p = malloc(sizeof(float) * N);
    tree_uniform(N, 3, 9, X);
    for (int i = 0; i < N; i++)
        y[i] = X[3 * i] * X[3 * i] + X[3 * i + 1];
    lt_model *m = tree_fit("rf", NULL, LT_TASK_REGRESSION, X, N / 2, 3, y, 0, NULL);
    assert_ok(lt_model_predict(m, X + 3 * (N / 2), N / 2, 3, p));
    double mse = 0, var = 0, mean = 0;
    for (int i = N / 2; i < N; i++)
        mean += y[i] / (N / 2);
    for (int i = N / 2; i < N; i++) {
        mse += (p[i - N / 2] - y[i]) * (p[i - N / 2] - y[i]) / (N / 2);
        var += (y[i] - mean) * (y[i] - mean) / (N / 2);
    }
    if (!(mse < 0.05 * var))
        fail_msg("rf test MSE %g vs variance %g", mse, var);
    tree_roundtrip(m, X, N, 3);
    lt_model_free(m);
    // y = 1 iff x0 is NaN.
    for (int i = 0; i < N; i++) {
        y[i] = i % 3 == 0;
        if (y[i])
            X[3 * i] = NAN;
    }
    m = tree_fit("rf", "{\"n_estimators\":10,\"max_features\":1}", LT_TASK_CLASSIFICATION, X,
                 N / 2, 3, y, 2, NULL);
    assert_ok(lt_model_predict(m, X + 3 * (N / 2), N / 2, 3, p));
    for (int i = 0; i < N / 2; i++)
        assert_int_equal((int)p[i], (int)y[N / 2 + i]);
    lt_model_free(m);
    free(X), free(y), free(p);
}

static void test_determinism_threads(void **state)
{
    (void)state;
    enum { N = 800 };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *a = malloc(sizeof(float) * N * 2), *b = malloc(sizeof(float) * N * 2);
    tree_data(N, 71, 1, X, y);
    int threads = lt_get_threads();
    lt_set_threads(1);
    lt_model *m1 = tree_fit("rf", "{\"n_estimators\":16}", LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
    lt_set_threads(2);
    lt_model *m2 = tree_fit("rf", "{\"n_estimators\":16}", LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
    lt_set_threads(threads);
    assert_ok(lt_model_predict_proba(m1, X, N, 6, a));
    assert_ok(lt_model_predict_proba(m2, X, N, 6, b));
    assert_memory_equal(a, b, sizeof(float) * N * 2);
    for (int i = 0; i < N; i++)
        assert_near(a[2 * i] + a[2 * i + 1], 1.0, 1e-5);
    lt_model_free(m1), lt_model_free(m2);
    free(X), free(y), free(a), free(b);
}

static void test_bad_params(void **state)
{
    (void)state;
    lt_model *m;
    assert_ok(lt_model_new("rf", &m));
    const char *bad[][2] = {{"max_features", "1.5"}, {"n_estimators", "0"},
                            {"min_samples_leaf", "0"}, {"bootstrap", "maybe"}, {"max_depth", "-1"}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(lt_model_set_param(m, bad[i][0], bad[i][1]), LT_EINVAL);
        assert_error_contains(bad[i][0]);
    }
    lt_model_free(m);
}

static void test_vs_sklearn(void **state)
{
    (void)state;
    enum { N = REF_TREES_NTRAIN, NT = REF_TREES_NTEST };
    float *X = malloc(sizeof(float) * N * 6), *y = malloc(sizeof(float) * N);
    float *Xt = malloc(sizeof(float) * NT * 6), *yt = malloc(sizeof(float) * NT);
    float *P = malloc(sizeof(float) * NT * 2), *s = malloc(sizeof(float) * NT);
    tree_data(N, 11, 1, X, y);
    tree_data(NT, 12, 1, Xt, yt);
    lt_model *m = tree_fit("rf", NULL, LT_TASK_CLASSIFICATION, X, N, 6, y, 2, NULL);
    assert_ok(lt_model_predict_proba(m, Xt, NT, 6, P));
    for (int i = 0; i < NT; i++)
        s[i] = P[2 * i + 1];
    double auc = tree_auc(yt, s, NT);
    print_message("rf AUC %.4f (scikit-learn RandomForestClassifier %.4f)\n", auc, ref_rf_auc);
    if (auc < ref_rf_auc - 0.01)
        fail_msg("rf AUC %.4f more than 0.01 below scikit-learn's %.4f", auc, ref_rf_auc);
    lt_model_free(m);
    tree_data(N, 21, 0, X, y);
    tree_data(NT, 22, 0, Xt, yt);
    m = tree_fit("rf", NULL, LT_TASK_REGRESSION, X, N, 6, y, 0, NULL);
    assert_ok(lt_model_predict(m, Xt, NT, 6, s));
    double mse = 0;
    for (int i = 0; i < NT; i++)
        mse += (s[i] - yt[i]) * (s[i] - yt[i]) / NT;
    print_message("rf RMSE %.4f (scikit-learn RandomForestRegressor %.4f)\n", sqrt(mse), ref_rf_rmse);
    if (sqrt(mse) > ref_rf_rmse * 1.03)
        fail_msg("rf RMSE %.4f more than 3%% above scikit-learn's %.4f", sqrt(mse), ref_rf_rmse);
    double imp[6];
    assert_ok(m->vt->importance(m, imp));
    assert_true(imp[2] > imp[5] && imp[3] > imp[5]);  // x5 is noise
    lt_model_free(m);
    free(X), free(y), free(Xt), free(yt), free(P), free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_fits_training),
        cmocka_unit_test(test_stump_frequencies),
        cmocka_unit_test(test_regression_and_missing),
        cmocka_unit_test(test_determinism_threads),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_vs_sklearn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
