/* Unit tests for the isolation forest (src/ml/iforest.c): planted outliers,
 * the path-length formula against scikit-learn (ref/clustering_ref.h),
 * contamination, determinism across thread counts, save/load. */
#include "test_util.h"

#include "ref/clustering_ref.h"

/* n normal rows N(0, 1) in d dims, then m outliers at radius 5..8. */
static float *planted(int n, int m, int d, uint64_t seed, int32_t *y)
{
    float *X = malloc(sizeof(float) * (size_t)((n + m) * d));
    lt_rng r;
    lt_rng_seed(&r, seed);
    for (int i = 0; i < n + m; i++) {
        double nrm = 0;
        for (int f = 0; f < d; f++) {
            X[i * d + f] = (float)lt_rng_normal(&r);
            nrm += X[i * d + f] * (double)X[i * d + f];
        }
        if (i >= n) {  // push along its own direction to radius 5..8
            double rad = 5 + 3 * lt_rng_uniform(&r);
            for (int f = 0; f < d; f++)
                X[i * d + f] = (float)(X[i * d + f] / sqrt(nrm) * rad);
        }
        y[i] = i >= n;
    }
    return X;
}

static lt_model *fit_if(const float *X, int64_t n, int64_t d, const char *params, uint64_t seed)
{
    lt_model *m;
    assert_ok(lt_model_new("iforest", &m));
    assert_ok(lt_model_set_params_json(m, params));
    lt_model_set_seed(m, seed);
    assert_ok(lt_model_fit(m, LT_TASK_ANOMALY, X, n, d, NULL, 0, NULL));
    return m;
}

static void test_planted_outliers(void **st)
{
    (void)st;
    int n = 2000, m = 40, d = 4;
    int32_t y[2040];
    float *X = planted(n, m, d, 1, y);
    lt_model *f = fit_if(X, n + m, d, "{}", 3);
    float s[2040], p[2040];
    double sd[2040];
    assert_ok(lt_model_predict_proba(f, X, n + m, d, s));
    assert_ok(lt_model_predict(f, X, n + m, d, p));
    for (int i = 0; i < n + m; i++) {
        sd[i] = s[i];
        assert_true(s[i] > 0 && s[i] <= 1);
        assert_true(p[i] == (s[i] > 0.5f ? 1.0f : 0.0f));  // auto: threshold 0.5
    }
    double auc = lt_roc_auc(y, sd, n + m);
    if (!(auc > 0.95))
        fail_msg("ROC AUC of planted outliers is %g", auc);
    double thr;
    assert_ok(lt_iforest_threshold(f, &thr));
    assert_near(thr, 0.5, 0);
    lt_model_free(f);
    free(X);
}

/* Rows {0, 0, 0, 10}, psi = 4: h(10) = 1 and h(0) = 1 + c(3) in every tree,
 * whatever the threshold drawn; scikit-learn's score_samples is -s. */
static void test_path_length_by_hand(void **st)
{
    (void)st;
    float X[4] = {0, 0, 0, 10}, q[2] = {0, 10}, s[2];
    lt_model *f = fit_if(X, 4, 1, "{\"n_estimators\":3,\"max_samples\":4}", 0);
    assert_ok(lt_model_predict_proba(f, q, 2, 1, s));
    const double c3 = 2 * (log(2.0) + 0.5772156649015329) - 4.0 / 3;
    const double c4 = 2 * (log(3.0) + 0.5772156649015329) - 6.0 / 4;
    assert_near(s[0], pow(2, -(1 + c3) / c4), 1e-6);
    assert_near(s[1], pow(2, -1 / c4), 1e-6);
    assert_near(s[0], -cref_iso_score0, 1e-6);
    assert_near(s[1], -cref_iso_score10, 1e-6);
    lt_model_free(f);
    // Two rows, psi 2: one split, both leaves at depth 1; c(2) = 1 -> s = 0.5.
    float X2[2] = {1, 3};
    f = fit_if(X2, 2, 1, "{\"n_estimators\":1,\"max_samples\":2}", 0);
    assert_ok(lt_model_predict_proba(f, X2, 2, 1, s));
    assert_near(s[0], 0.5, 1e-7);
    assert_near(s[1], 0.5, 1e-7);
    lt_model_free(f);
}

static void test_contamination(void **st)
{
    (void)st;
    int n = 3000, d = 3;
    int32_t y[3000];
    float *X = planted(n, 0, d, 5, y);
    const double fr[] = {0.01, 0.1, 0.25};
    for (int c = 0; c < 3; c++) {
        char params[64];
        snprintf(params, sizeof params, "{\"contamination\":%g}", fr[c]);
        lt_model *f = fit_if(X, n, d, params, 7);
        float p[3000];
        assert_ok(lt_model_predict(f, X, n, d, p));
        double flagged = 0;
        for (int i = 0; i < n; i++)
            flagged += p[i];
        flagged /= n;
        if (fabs(flagged - fr[c]) > 0.002)
            fail_msg("contamination %g flagged %g of the training rows", fr[c], flagged);
        lt_model_free(f);
    }
    free(X);
}

static void test_determinism_threads(void **st)
{
    (void)st;
    int n = 5000, m = 50, d = 5;
    int32_t y[5050];
    float *X = planted(n, m, d, 9, y);
    static float s1[5050], s2[5050], s3[5050];
    lt_set_threads(1);
    lt_model *a = fit_if(X, n + m, d, "{\"n_estimators\":64,\"max_features\":0.6}", 42);
    assert_ok(lt_model_predict_proba(a, X, n + m, d, s1));
    lt_set_threads(2);
    lt_model *b = fit_if(X, n + m, d, "{\"n_estimators\":64,\"max_features\":0.6}", 42);
    assert_ok(lt_model_predict_proba(b, X, n + m, d, s2));
    assert_memory_equal(s1, s2, sizeof s1);
    lt_model *c = fit_if(X, n + m, d, "{\"n_estimators\":64,\"max_features\":0.6}", 43);
    assert_ok(lt_model_predict_proba(c, X, n + m, d, s3));
    assert_true(memcmp(s1, s3, sizeof s1) != 0);  // another seed, another forest
    lt_set_threads(0);
    lt_model_free(a);
    lt_model_free(b);
    lt_model_free(c);
    free(X);
}

static void test_save_load(void **st)
{
    (void)st;
    int n = 800, m = 10, d = 3;
    int32_t y[810];
    float *X = planted(n, m, d, 2, y);
    lt_model *f = fit_if(X, n + m, d, "{\"contamination\":0.05,\"bootstrap\":true,\"max_samples\":0.5}", 1), *g;
    lt_state *s = lt_state_new();
    assert_ok(lt_model_save(f, s));
    char *params = lt_model_params_json(f);
    assert_ok(lt_model_load("iforest", params, LT_TASK_ANOMALY, d, 0, s, &g));
    float a[810], b[810], pa[810], pb[810];
    assert_ok(lt_model_predict_proba(f, X, n + m, d, a));
    assert_ok(lt_model_predict_proba(g, X, n + m, d, b));
    assert_ok(lt_model_predict(f, X, n + m, d, pa));
    assert_ok(lt_model_predict(g, X, n + m, d, pb));
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(pa, pb, sizeof pa);
    char *desc = g->vt->describe(g);
    assert_non_null(strstr(desc, "\"max_samples\":405"));
    free(desc);
    // A corrupt offset is refused, not followed.
    lt_state *bad = lt_state_new();
    const lt_tensor *nodes = lt_state_get(s, "nodes");
    lt_tensor *copy = lt_tensor_clone(nodes);
    copy->data[2] = 1e6f;  // root's right offset far past the tree
    assert_ok(lt_state_put(bad, "nodes", 2, copy->shape, copy->data));
    for (int i = 0; i < lt_state_count(s); i++)
        if (strcmp(lt_state_name_at(s, i), "nodes"))
            assert_ok(lt_state_put(bad, lt_state_name_at(s, i), lt_state_tensor_at(s, i)->ndim,
                                   lt_state_tensor_at(s, i)->shape, lt_state_tensor_at(s, i)->data));
    lt_model *h = NULL;
    assert_int_equal(lt_model_load("iforest", params, LT_TASK_ANOMALY, d, 0, bad, &h), LT_ECORRUPT);
    lt_tensor_free(copy);
    lt_state_free(bad);
    free(params);
    lt_state_free(s);
    lt_model_free(f);
    lt_model_free(g);
    free(X);
}

static void test_errors(void **st)
{
    (void)st;
    lt_model *m;
    assert_ok(lt_model_new("iforest", &m));
    assert_int_equal(lt_model_set_param(m, "contamination", "0.6"), LT_EINVAL);
    assert_error_contains("contamination");
    assert_int_equal(lt_model_set_param(m, "n_estimators", "0"), LT_EINVAL);
    float X[4] = {1, 2, 3, 4};
    assert_int_equal(lt_model_fit(m, LT_TASK_ANOMALY, X, 1, 4, NULL, 0, NULL), LT_EINVAL);
    assert_error_contains("at least 2 rows");
    assert_ok(lt_model_set_param(m, "max_samples", "2.5"));
    assert_int_equal(lt_model_fit(m, LT_TASK_ANOMALY, X, 4, 1, NULL, 0, NULL), LT_EINVAL);
    assert_error_contains("max_samples");
    lt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planted_outliers),
        cmocka_unit_test(test_path_length_by_hand),
        cmocka_unit_test(test_contamination),
        cmocka_unit_test(test_determinism_threads),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
