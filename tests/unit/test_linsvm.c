/* Unit tests for src/ml/linsvm.c: scikit-learn's LinearSVC coefficients
 * (ref/svm_ref.h from ref/svm_ref.py) for squared hinge, hinge, balanced,
 * no intercept and one-vs-rest; separable data; same seed -> same model;
 * save -> load; bad parameters; no predict_proba. */
#include "test_util.h"

#include "ref/svm_ref.h"

static void int_to_float(const int *y, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (float)y[i];
}

typedef struct lin_case {
    const char *params;
    int multi;
    const double *coef[2], *icpt[2];
} lin_case;

static const lin_case cases[] = {
    {"{\"C\":1}", 0, {ref_lin_sq_tight_coef, ref_lin_sq_dflt_coef},
     {ref_lin_sq_tight_icpt, ref_lin_sq_dflt_icpt}},
    {"{\"C\":0.5,\"loss\":\"hinge\"}", 0, {ref_lin_hinge_tight_coef, ref_lin_hinge_dflt_coef},
     {ref_lin_hinge_tight_icpt, ref_lin_hinge_dflt_icpt}},
    {"{\"C\":1,\"class_weight\":\"balanced\"}", 0, {ref_lin_bal_tight_coef, ref_lin_bal_dflt_coef},
     {ref_lin_bal_tight_icpt, ref_lin_bal_dflt_icpt}},
    {"{\"C\":1,\"fit_intercept\":false}", 0, {ref_lin_noint_tight_coef, ref_lin_noint_dflt_coef},
     {ref_lin_noint_tight_icpt, ref_lin_noint_dflt_icpt}},
    {"{\"C\":1}", 1, {ref_lin_ovr_tight_coef, ref_lin_ovr_dflt_coef},
     {ref_lin_ovr_tight_icpt, ref_lin_ovr_dflt_icpt}},
    {"{\"C\":0.3,\"class_weight\":\"balanced\"}", 1,
     {ref_lin_ovr_bal_tight_coef, ref_lin_ovr_bal_dflt_coef},
     {ref_lin_ovr_bal_tight_icpt, ref_lin_ovr_bal_dflt_icpt}},
};

/* t = 0: both sides at tol 1e-10 reach the unique minimiser (the primal is
 * strictly convex): coefficients to 1e-4 relative (float32 storage, and
 * the hinge dual converging slowly in its last digits). t = 1: both at the
 * default tol 1e-4, but with different random visiting orders, so they stop
 * at different points near the minimiser: 2e-2. */
static void check_case(const lin_case *c, int t)
{
    const float *X = c->multi ? ref_xm : ref_xb;
    const int n = c->multi ? REF_NM : REF_NB, d = c->multi ? 2 : REF_DB;
    const int K = c->multi ? 3 : 1;
    float y[REF_NM];
    int_to_float(c->multi ? ref_ym : ref_yb, n, y);
    lt_model *m;
    assert_ok(lt_model_new("linsvm", &m));
    assert_ok(lt_model_set_params_json(m, c->params));
    if (!t) {
        assert_ok(lt_model_set_param(m, "tol", "1e-10"));
        assert_ok(lt_model_set_param(m, "max_iter", "1000000"));
    }
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, n, d, y, K == 1 ? 2 : K, NULL));
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *w = lt_state_get(st, "coef"), *b = lt_state_get(st, "intercept");
    const double tol = t ? 2e-2 : 1e-4;
    for (int j = 0; j < K * d; j++)
        if (fabs(w->data[j] - c->coef[t][j]) > tol * fmax(1.0, fabs(c->coef[t][j])))
            fail_msg("linsvm %s tol %s: coef[%d] = %.7g, sklearn %.7g", c->params,
                     t ? "default" : "1e-10", j, (double)w->data[j], c->coef[t][j]);
    for (int k = 0; k < K; k++)
        if (fabs(b->data[k] - c->icpt[t][k]) > tol * fmax(1.0, fabs(c->icpt[t][k])))
            fail_msg("linsvm %s tol %s: intercept[%d] = %.7g, sklearn %.7g", c->params,
                     t ? "default" : "1e-10", k, (double)b->data[k], c->icpt[t][k]);
    lt_state_free(st);
    lt_model_free(m);
}

static void test_sklearn(void **s)
{
    (void)s;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        check_case(&cases[c], 0);
        check_case(&cases[c], 1);
    }
}

/* Linearly separable with a gap: every training point right, with either
 * loss; blobs one-vs-rest: nearly every point right. */
static void test_separable(void **s)
{
    (void)s;
    enum { N = 120 };
    float X[3 * N], y[N], p[N];
    lt_rng r;
    lt_rng_seed(&r, 21);
    for (int i = 0; i < N; i++) {
        double z;
        do {
            for (int j = 0; j < 3; j++)
                X[3 * i + j] = (float)(2 * lt_rng_normal(&r));
            z = X[3 * i] - 0.5 * X[3 * i + 1] + 2 * X[3 * i + 2] - 0.3;
        } while (fabs(z) < 0.5);
        y[i] = z > 0;
    }
    const char *loss[] = {"hinge", "squared_hinge"};
    for (int l = 0; l < 2; l++) {
        lt_model *m;
        assert_ok(lt_model_new("linsvm", &m));
        assert_ok(lt_model_set_param(m, "loss", loss[l]));
        assert_ok(lt_model_set_param(m, "C", "100"));
        assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, N, 3, y, 2, NULL));
        assert_ok(lt_model_predict(m, X, N, 3, p));
        for (int i = 0; i < N; i++)
            assert_true(p[i] == y[i]);
        lt_model_free(m);
    }
    float ym[REF_NM], pm[REF_NM];
    int_to_float(ref_ym, REF_NM, ym);
    lt_model *m;
    assert_ok(lt_model_new("linsvm", &m));
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xm, REF_NM, 2, ym, 3, NULL));
    assert_ok(lt_model_predict(m, ref_xm, REF_NM, 2, pm));
    int ok = 0;
    for (int i = 0; i < REF_NM; i++)
        ok += pm[i] == ym[i];
    print_message("linsvm OvR on the 3 overlapping blobs: training accuracy %.3f\n",
                  (double)ok / REF_NM);
    assert_true(ok >= 0.8 * REF_NM);
    // No probabilities: the pipeline then scores hard predictions.
    float pr[3 * REF_NM];
    assert_int_equal(lt_model_predict_proba(m, ref_xm, REF_NM, 2, pr), LT_EUNSUPPORTED);
    lt_model_free(m);
}

/* Same seed, same model (threads over the OvR classes included); another
 * seed, another visiting order, but the same minimiser up to tol. */
static void test_determinism_and_save_load(void **s)
{
    (void)s;
    float y[REF_NM];
    int_to_float(ref_ym, REF_NM, y);
    lt_model *a, *b;
    assert_ok(lt_model_new("linsvm", &a));
    assert_ok(lt_model_new("linsvm", &b));
    assert_ok(lt_model_fit(a, LT_TASK_CLASSIFICATION, ref_xm, REF_NM, 2, y, 3, NULL));
    lt_set_threads(1);
    assert_ok(lt_model_fit(b, LT_TASK_CLASSIFICATION, ref_xm, REF_NM, 2, y, 3, NULL));
    lt_set_threads(0);
    lt_state *sa = lt_state_new(), *sb = lt_state_new();
    assert_ok(lt_model_save(a, sa));
    assert_ok(lt_model_save(b, sb));
    assert_memory_equal(lt_state_get(sa, "coef")->data, lt_state_get(sb, "coef")->data,
                        sizeof(float) * 6);
    char *params = lt_model_params_json(a);
    lt_model *c;
    assert_ok(lt_model_load("linsvm", params, LT_TASK_CLASSIFICATION, 2, 3, sa, &c));
    float p1[REF_NQM], p2[REF_NQM];
    assert_ok(lt_model_predict(a, ref_qm, REF_NQM, 2, p1));
    assert_ok(lt_model_predict(c, ref_qm, REF_NQM, 2, p2));
    assert_memory_equal(p1, p2, sizeof p1);
    // Wrong shapes in the state: rejected with a message.
    lt_model *bad;
    assert_true(lt_model_load("linsvm", params, LT_TASK_CLASSIFICATION, 3, 3, sa, &bad) < 0);
    assert_null(bad);
    free(params);
    lt_state_free(sa);
    lt_state_free(sb);
    lt_model_free(a);
    lt_model_free(b);
    lt_model_free(c);
}

static void test_bad_params(void **s)
{
    (void)s;
    lt_model *m;
    assert_ok(lt_model_new("linsvm", &m));
    assert_int_equal(lt_model_set_param(m, "C", "0"), LT_EINVAL);
    assert_error_contains("'C'");
    assert_int_equal(lt_model_set_param(m, "C", "-2"), LT_EINVAL);
    assert_int_equal(lt_model_set_param(m, "tol", "-1"), LT_EINVAL);
    assert_error_contains("'tol'");
    assert_int_equal(lt_model_set_param(m, "loss", "log"), LT_EINVAL);
    assert_error_contains("hinge|squared_hinge");
    assert_int_equal(lt_model_set_param(m, "max_iter", "0"), LT_EINVAL);
    float y[REF_NB] = {0};
    assert_int_equal(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, NULL),
                     LT_EINVAL);
    assert_error_contains("only one class");
    lt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn),
        cmocka_unit_test(test_separable),
        cmocka_unit_test(test_determinism_and_save_load),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
