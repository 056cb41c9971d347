/* Unit tests for src/ml/logreg.c and logreg_loss.c: scikit-learn's
 * LogisticRegression numbers (ref/logreg_ref.h from ref/logreg_ref.py) for
 * binary, weighted, balanced, no-intercept and multinomial fits with every
 * solver; the loss gradient and Hessian-vector product against central
 * finite differences; separable data. */
#include "test_util.h"

#include "ml/logreg_impl.h"
#include "ref/logreg_ref.h"

static const char *solvers[] = {"lbfgs", "newton", "gd", "sgd"};

/* Tight tolerances so the fitted weights are the minimiser, not a stop. */
static const char *tight[] = {
    "{\"solver\":\"lbfgs\",\"tol\":1e-9,\"max_iter\":1000}",
    "{\"solver\":\"newton\",\"tol\":1e-9}",
    "{\"solver\":\"gd\",\"tol\":1e-8,\"max_iter\":20000}",
    "{\"solver\":\"sgd\",\"tol\":1e-8,\"max_iter\":3000,\"batch_size\":16}",
};

typedef struct ref_case {
    const char *params;
    const float *X, *w;
    const int *y;
    int n, d, nclass;
    const double *coef, *icpt;
    double logloss;
} ref_case;

static void int_to_float(const int *y, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (float)y[i];
}

/* Fit with `solver`, then compare coef/intercept (relative tol ctol) and the
 * log loss of predict_proba (tol ltol) with scikit-learn. */
static void check_case(const ref_case *c, int solver, double ctol, double ltol)
{
    float y[128], proba[128 * 3];
    int_to_float(c->y, c->n, y);
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    assert_ok(lt_model_set_params_json(m, tight[solver]));
    assert_ok(lt_model_set_params_json(m, c->params));
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, c->X, c->n, c->d, y, c->nclass, c->w));
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *coef = lt_state_get(st, "coef"), *icpt = lt_state_get(st, "intercept");
    int K = c->nclass == 2 ? 1 : c->nclass;
    assert_int_equal(coef->shape[0], K);
    assert_int_equal(coef->shape[1], c->d);
    for (int j = 0; j < K * c->d; j++)
        if (fabs(coef->data[j] - c->coef[j]) > ctol * fmax(1.0, fabs(c->coef[j])))
            fail_msg("%s %s: coef[%d] = %.7g, sklearn %.7g (tol %g)", solvers[solver], c->params,
                     j, (double)coef->data[j], c->coef[j], ctol);
    for (int k = 0; k < K; k++)
        if (fabs(icpt->data[k] - c->icpt[k]) > ctol * fmax(1.0, fabs(c->icpt[k])))
            fail_msg("%s %s: intercept[%d] = %.7g, sklearn %.7g (tol %g)", solvers[solver],
                     c->params, k, (double)icpt->data[k], c->icpt[k], ctol);
    assert_ok(lt_model_predict_proba(m, c->X, c->n, c->d, proba));
    int32_t yi[128];
    for (int i = 0; i < c->n; i++)
        yi[i] = c->y[i];
    double ll = lt_log_loss(yi, proba, c->n, c->nclass);
    if (fabs(ll - c->logloss) > ltol)
        fail_msg("%s %s: log loss %.9g, sklearn %.9g (tol %g)", solvers[solver], c->params, ll,
                 c->logloss, ltol);
    lt_state_free(st);
    lt_model_free(m);
}

static const ref_case cases[] = {
    {"{\"C\":1}", ref_xb, NULL, ref_yb, REF_NB, REF_DB, 2, ref_bin_c1_coef, ref_bin_c1_icpt,
     ref_bin_c1_logloss},
    {"{\"C\":0.1}", ref_xb, NULL, ref_yb, REF_NB, REF_DB, 2, ref_bin_c01_coef, ref_bin_c01_icpt,
     ref_bin_c01_logloss},
    {"{\"class_weight\":\"balanced\"}", ref_xb, NULL, ref_yb, REF_NB, REF_DB, 2,
     ref_bin_bal_coef, ref_bin_bal_icpt, ref_bin_bal_logloss},
    {"{\"C\":0.5}", ref_xb, ref_swb, ref_yb, REF_NB, REF_DB, 2, ref_bin_sw_coef, ref_bin_sw_icpt,
     ref_bin_sw_logloss},
    {"{\"fit_intercept\":false}", ref_xb, NULL, ref_yb, REF_NB, REF_DB, 2, ref_bin_noint_coef,
     ref_bin_noint_icpt, ref_bin_noint_logloss},
    {"{\"C\":1}", ref_xm, NULL, ref_ym, REF_NM, REF_DM, 3, ref_mn_c1_coef, ref_mn_c1_icpt,
     ref_mn_c1_logloss},
    {"{\"C\":0.3,\"class_weight\":\"balanced\"}", ref_xm, NULL, ref_ym, REF_NM, REF_DM, 3,
     ref_mn_bal_coef, ref_mn_bal_icpt, ref_mn_bal_logloss},
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* lbfgs and newton reach sklearn's minimiser: coef 1e-4 relative (float32
 * storage), log loss 1e-6. */
static void test_sklearn_lbfgs_newton(void **st)
{
    (void)st;
    for (int c = 0; c < NCASES; c++) {
        check_case(&cases[c], 0, 1e-4, 1e-6);
        check_case(&cases[c], 1, 1e-4, 1e-6);
    }
}

/* gd to 1e-3 relative; sgd, a stochastic method, to 3e-2 and log loss 1e-3. */
static void test_sklearn_gd_sgd(void **st)
{
    (void)st;
    for (int c = 0; c < NCASES; c++) {
        check_case(&cases[c], 2, 1e-3, 1e-5);
        check_case(&cases[c], 3, 3e-2, 1e-3);
    }
}

/* ---- gradient check ------------------------------------------------------- */

/* The objective of logreg_impl.h on the reference data: binary (K = 1) with
 * sample weights, or multinomial (K = 3). */
static void check_gradient(int K)
{
    int n = K == 1 ? REF_NB : REF_NM, d = K == 1 ? REF_DB : REF_DM;
    const float *Xf = K == 1 ? ref_xb : ref_xm;
    double X[REF_NM * REF_DM], sw[REF_NM], P[REF_NM * 3], R[REF_NM * 3];
    int32_t y[REF_NM];
    double S = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            X[i * d + j] = Xf[i * d + j] - 0.1 * j;
        y[i] = K == 1 ? ref_yb[i] : ref_ym[i];
        sw[i] = 0.5 + (i % 4);
        S += sw[i];
    }
    lr_obj o = {0};
    o.X = X, o.sw = sw, o.y = y, o.n = n, o.d = d, o.K = K, o.icpt = 1;
    o.S = S, o.lam = 1.0 / (0.7 * S), o.P = P, o.R = R;
    const int64_t dim = lr_dim(&o);
    double th[16], g[16], gp[16], gm[16], v[16], hv[16], t2[16];
    lt_rng rng;
    lt_rng_seed(&rng, 5);
    for (int j = 0; j < dim; j++) {
        th[j] = lt_rng_normal(&rng);
        v[j] = lt_rng_normal(&rng);
    }
    const double h = 1e-6;
    lr_fg(&o, th, g);
    for (int j = 0; j < dim; j++) {
        memcpy(t2, th, sizeof th);
        t2[j] = th[j] + h;
        double fp = lr_fg(&o, t2, gp);
        t2[j] = th[j] - h;
        double fm = lr_fg(&o, t2, gm);
        double fd = (fp - fm) / (2 * h);
        if (fabs(fd - g[j]) > 1e-7 * fmax(1.0, fabs(g[j])))
            fail_msg("K=%d: dF/dtheta[%d] = %.10g, finite difference %.10g", K, j, g[j], fd);
    }
    // H v against the difference of gradients along v.
    lr_fg(&o, th, g);
    lr_hv(&o, v, hv);
    for (int j = 0; j < dim; j++)
        t2[j] = th[j] + h * v[j];
    lr_fg(&o, t2, gp);
    for (int j = 0; j < dim; j++)
        t2[j] = th[j] - h * v[j];
    lr_fg(&o, t2, gm);
    for (int j = 0; j < dim; j++) {
        double fd = (gp[j] - gm[j]) / (2 * h);
        if (fabs(fd - hv[j]) > 1e-6 * fmax(1.0, fabs(hv[j])))
            fail_msg("K=%d: (Hv)[%d] = %.10g, finite difference %.10g", K, j, hv[j], fd);
    }
}

static void test_gradient_binary(void **st)
{
    (void)st;
    check_gradient(1);
}

static void test_gradient_multinomial(void **st)
{
    (void)st;
    check_gradient(3);
}

/* ---- behaviour -------------------------------------------------------------- */

/* Separable: x0 > 0 <=> class 1. Every solver classifies the training set
 * perfectly with confident, well-ordered probabilities. */
static void test_separable(void **st)
{
    (void)st;
    enum { N = 60 };
    float X[2 * N], y[N], pred[N], proba[2 * N];
    for (int i = 0; i < N; i++) {
        X[2 * i] = (float)(i - N / 2) / 10.0f + (i >= N / 2 ? 0.5f : -0.5f);
        X[2 * i + 1] = (float)((i * 13) % 7) - 3.0f;
        y[i] = i >= N / 2;
    }
    for (int s = 0; s < 4; s++) {
        lt_model *m;
        assert_ok(lt_model_new("logreg", &m));
        assert_ok(lt_model_set_param(m, "solver", solvers[s]));
        assert_ok(lt_model_set_param(m, "C", "10"));
        assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, N, 2, y, 2, NULL));
        assert_ok(lt_model_predict(m, X, N, 2, pred));
        assert_ok(lt_model_predict_proba(m, X, N, 2, proba));
        for (int i = 0; i < N; i++) {
            if (pred[i] != y[i])
                fail_msg("%s: row %d predicted %g, truth %g", solvers[s], i, (double)pred[i],
                         (double)y[i]);
            assert_near(proba[2 * i] + proba[2 * i + 1], 1.0, 1e-6);
        }
        assert_true(proba[1] < 0.05 && proba[2 * N - 1] > 0.95);
        lt_model_free(m);
    }
}

/* Multinomial probabilities sum to one and predict is their argmax. */
static void test_multinomial_proba(void **st)
{
    (void)st;
    float y[REF_NM], proba[REF_NM * 3], pred[REF_NM];
    int_to_float(ref_ym, REF_NM, y);
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xm, REF_NM, REF_DM, y, 3, NULL));
    assert_ok(lt_model_predict_proba(m, ref_xm, REF_NM, REF_DM, proba));
    assert_ok(lt_model_predict(m, ref_xm, REF_NM, REF_DM, pred));
    for (int i = 0; i < REF_NM; i++) {
        const float *p = proba + 3 * i;
        assert_near(p[0] + p[1] + p[2], 1.0, 1e-6);
        int best = p[1] > p[0] ? 1 : 0;
        best = p[2] > p[best] ? 2 : best;
        assert_int_equal((int)pred[i], best);
    }
    char *desc = m->vt->describe(m);
    assert_non_null(strstr(desc, "\"converged\":true"));
    free(desc);
    lt_model_free(m);
}

static void test_regression_unsupported(void **st)
{
    (void)st;
    float y[REF_NB];
    int_to_float(ref_yb, REF_NB, y);
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    assert_int_equal(lt_model_fit(m, LT_TASK_REGRESSION, ref_xb, REF_NB, REF_DB, y, 0, NULL),
                     LT_EUNSUPPORTED);
    assert_error_contains("logreg: does not support regression");
    lt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn_lbfgs_newton),
        cmocka_unit_test(test_sklearn_gd_sgd),
        cmocka_unit_test(test_gradient_binary),
        cmocka_unit_test(test_gradient_multinomial),
        cmocka_unit_test(test_separable),
        cmocka_unit_test(test_multinomial_proba),
        cmocka_unit_test(test_regression_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
