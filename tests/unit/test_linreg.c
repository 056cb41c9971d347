/* Unit tests for src/ml/linreg.c: a known answer, scikit-learn's
 * LinearRegression/Ridge numbers (ref/linreg_ref.h from ref/linreg_ref.py),
 * every solver agreeing, the rank-deficient fallback and progress. */
#include "test_util.h"

#include "ref/linreg_ref.h"

/* coef (d) and intercept through the saved state. */
static void coef_of(const lt_model *m, float *coef, float *icpt)
{
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *c = lt_state_get(st, "coef"), *b = lt_state_get(st, "intercept");
    assert_non_null(c);
    assert_non_null(b);
    memcpy(coef, c->data, sizeof(float) * (size_t)m->nfeat);
    *icpt = b->data[0];
    lt_state_free(st);
}

static lt_model *fit(const char *params, const float *X, int64_t n, int64_t d, const float *y,
                     const float *w)
{
    lt_model *m;
    assert_ok(lt_model_new("linreg", &m));
    assert_ok(lt_model_set_params_json(m, params));
    assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, X, n, d, y, 0, w));
    return m;
}

/* y = 3 x1 - 2 x2 + 1 on a deterministic grid, no noise. */
#define KN 50
static void known_data(float *X, float *y)
{
    for (int i = 0; i < KN; i++) {
        X[2 * i] = (float)(i % 10) * 0.3f - 1.0f;
        X[2 * i + 1] = (float)((i * 7) % 11) * 0.25f - 0.5f;
        y[i] = 3 * X[2 * i] - 2 * X[2 * i + 1] + 1;
    }
}

static void test_known_answer_every_solver(void **st)
{
    (void)st;
    float X[2 * KN], y[KN], coef[2], b;
    known_data(X, y);
    const char *solvers[] = {"{\"solver\":\"lstsq\"}", "{\"solver\":\"gd\"}",
                             "{\"solver\":\"sgd\",\"batch_size\":8,\"max_iter\":2000}"};
    for (int s = 0; s < 3; s++) {
        lt_model *m = fit(solvers[s], X, KN, 2, y, NULL);
        coef_of(m, coef, &b);
        assert_near(coef[0], 3.0, 1e-4);
        assert_near(coef[1], -2.0, 1e-4);
        assert_near(b, 1.0, 1e-4);
        float pred[KN];
        assert_ok(lt_model_predict(m, X, KN, 2, pred));
        for (int i = 0; i < KN; i++)
            assert_near(pred[i], y[i], 1e-4);
        lt_model_free(m);
    }
}

static void check_ref(const char *params, const float *w, const double *rc, double ri,
                      double rr2, double tol, double r2tol)
{
    lt_model *m = fit(params, ref_x, REF_N, REF_D, ref_y, w);
    float coef[REF_D], b, pred[REF_N];
    coef_of(m, coef, &b);
    for (int j = 0; j < REF_D; j++)
        assert_near(coef[j], rc[j], tol * fmax(1.0, fabs(rc[j])));
    assert_near(b, ri, tol * fmax(1.0, fabs(ri)));
    assert_ok(lt_model_predict(m, ref_x, REF_N, REF_D, pred));
    double yd[REF_N], pd[REF_N];
    for (int i = 0; i < REF_N; i++)
        yd[i] = ref_y[i], pd[i] = pred[i];
    assert_near(lt_r2(yd, pd, REF_N), rr2, r2tol);
    lt_model_free(m);
}

static void test_sklearn_lstsq(void **st)
{
    (void)st;
    // float32 coefficients: 1e-5 relative is far inside what float32 allows.
    check_ref("{\"solver\":\"lstsq\"}", NULL, ref_ols_coef, ref_ols_icpt, ref_ols_r2, 1e-5, 1e-6);
    check_ref("{\"alpha\":5}", NULL, ref_ridge_coef, ref_ridge_icpt, ref_ridge_r2, 1e-5, 1e-6);
    check_ref("{\"alpha\":2}", ref_sw, ref_ridge_sw_coef, ref_ridge_sw_icpt, ref_ridge_sw_r2,
              1e-5, 1e-6);
    check_ref("{\"fit_intercept\":false}", NULL, ref_ols_noint_coef, 0.0, ref_ols_noint_r2,
              1e-5, 1e-6);
}

static void test_sklearn_gd_sgd(void **st)
{
    (void)st;
    check_ref("{\"solver\":\"gd\",\"tol\":1e-9}", NULL, ref_ols_coef, ref_ols_icpt, ref_ols_r2,
              1e-4, 1e-6);
    check_ref("{\"solver\":\"gd\",\"alpha\":5,\"tol\":1e-9}", NULL, ref_ridge_coef,
              ref_ridge_icpt, ref_ridge_r2, 1e-4, 1e-6);
    check_ref("{\"solver\":\"gd\",\"alpha\":2,\"tol\":1e-9}", ref_sw, ref_ridge_sw_coef,
              ref_ridge_sw_icpt, ref_ridge_sw_r2, 1e-4, 1e-6);
    check_ref("{\"solver\":\"gd\",\"fit_intercept\":false,\"tol\":1e-9}", NULL,
              ref_ols_noint_coef, 0.0, ref_ols_noint_r2, 1e-4, 1e-6);
    // SGD on 40 noisy rows stops near, not at, the optimum: the weight of
    // the low-variance feature lags; the fit itself (r2) is within 1e-3.
    check_ref("{\"solver\":\"sgd\",\"max_iter\":500,\"batch_size\":8}", NULL, ref_ols_coef,
              ref_ols_icpt, ref_ols_r2, 5e-2, 1e-3);
}

/* Duplicate column: the Gram matrix is singular, lstsq falls back to the
 * SVD and returns the minimum-norm solution (sklearn gives [1, 1]). */
static void test_rank_deficient(void **st)
{
    (void)st;
    float X[2 * 20], y[20], coef[2], b;
    for (int i = 0; i < 20; i++) {
        X[2 * i] = X[2 * i + 1] = (float)i * 0.1f;
        y[i] = 2 * X[2 * i] + 0.5f;
    }
    lt_model *m = fit("{}", X, 20, 2, y, NULL);
    coef_of(m, coef, &b);
    assert_near(coef[0], 1.0, 1e-5);
    assert_near(coef[1], 1.0, 1e-5);
    assert_near(b, 0.5, 1e-5);
    lt_model_free(m);
    // Ridge on the same data is well posed: both halves equal as well.
    m = fit("{\"alpha\":0.1}", X, 20, 2, y, NULL);
    coef_of(m, coef, &b);
    assert_near(coef[0], coef[1], 1e-6);
    lt_model_free(m);
}

static int64_t calls;
static double last_loss;
static void on_progress(void *user, int64_t iter, int64_t total, double loss)
{
    (void)user, (void)total;
    assert_true(iter >= 1);
    calls++;
    last_loss = loss;
}

static void test_progress_and_unsupported(void **st)
{
    (void)st;
    float X[2 * KN], y[KN];
    known_data(X, y);
    lt_model *m;
    assert_ok(lt_model_new("linreg", &m));
    assert_ok(lt_model_set_param(m, "solver", "gd"));
    lt_model_set_progress(m, on_progress, NULL);
    calls = 0;
    assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, X, KN, 2, y, 0, NULL));
    assert_true(calls > 0);
    assert_true(last_loss < 1e-8);
    float cls[KN];
    for (int i = 0; i < KN; i++)
        cls[i] = (float)(i % 2);
    assert_int_equal(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, KN, 2, cls, 2, NULL),
                     LT_EUNSUPPORTED);
    assert_error_contains("linreg: does not support classification");
    lt_model_free(m);
}

/* One-hot columns that sum to one are collinear with the intercept. With
 * float32 features the Gram matrix is then only nearly singular; lstsq must
 * still take the SVD path and fit, not blow up (a bug seen in real use:
 * RMSE 4e6 on simulator data). */
static void test_onehot_collinear(void **st)
{
    (void)st;
    /* The case that exposed it: tool wear from the simulator's machine and
     * type (standardized one-hot, both collinear with the intercept) and
     * sensors. Tool wear is unrelated to them, so the best fit is about the
     * mean: RMSE near the standard deviation (~62 min), not millions. */
    lt_sim_params sp = lt_sim_params_default();
    sp.machines = 20;
    sp.hours = 300;
    sp.seed = 7;
    lt_table *t = NULL;
    assert_ok(lt_simulate(&sp, &t));
    const char *feats[6] = {"machine", "type", "air_temp_k", "process_temp_k",
                            "rotational_speed_rpm", "torque_nm"};
    lt_prep *p = NULL;
    assert_ok(lt_prep_fit(t, feats, 6, NULL, 0, NULL, &p));
    int64_t n = lt_table_nrows(t), d = lt_prep_nout(p);
    float *X = malloc(sizeof(float) * n * d), *y = malloc(sizeof(float) * n);
    float *pred = malloc(sizeof(float) * n);
    assert_ok(lt_prep_apply(p, t, X));
    const double *wear = lt_table_num(t, lt_table_col_index(t, "tool_wear_min"));
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; i++)
        mean += (y[i] = (float)wear[i]) / n;
    for (int64_t i = 0; i < n; i++)
        var += (y[i] - mean) * (y[i] - mean) / n;
    lt_model *m = NULL;
    assert_ok(lt_model_new("linreg", &m));
    assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, X, n, d, y, 0, NULL));
    assert_ok(lt_model_predict(m, X, n, d, pred));
    double se = 0;
    for (int64_t i = 0; i < n; i++)
        se += (pred[i] - y[i]) * (pred[i] - y[i]);
    assert_true(sqrt(se / n) <= sqrt(var) * 1.001);
    lt_model_free(m);
    lt_prep_free(p);
    lt_table_free(t);
    free(X);
    free(y);
    free(pred);
}

/* A constant column (zero after centring, as constant C-MAPSS sensors are)
 * gets weight 0 and the others are still solved exactly. */
static void test_constant_column(void **st)
{
    (void)st;
    enum { N = 50 };
    float X[N * 3], y[N], coef[3], icpt;
    for (int i = 0; i < N; i++) {
        X[i * 3 + 0] = (float)i / 10;
        X[i * 3 + 1] = 7.0f; /* constant */
        X[i * 3 + 2] = (float)((i * 37) % 11);
        y[i] = 3 * X[i * 3 + 0] - 2 * X[i * 3 + 2] + 1;
    }
    lt_model *m = NULL;
    assert_ok(lt_model_new("linreg", &m));
    assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, X, N, 3, y, 0, NULL));
    coef_of(m, coef, &icpt);
    assert_near(coef[0], 3, 1e-4);
    assert_near(coef[1], 0, 1e-12);
    assert_near(coef[2], -2, 1e-4);
    assert_near(icpt, 1, 1e-3);
    lt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer_every_solver),
        cmocka_unit_test(test_sklearn_lstsq),
        cmocka_unit_test(test_sklearn_gd_sgd),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_onehot_collinear),
        cmocka_unit_test(test_constant_column),
        cmocka_unit_test(test_progress_and_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
