/* Unit tests for the kernel SVMs (src/ml/svc.c, svr.c, svm_smo.c,
 * svm_kernel.c, svm_prob.c): scikit-learn's SVC and SVR numbers
 * (ref/svm_ref.h from ref/svm_ref.py) for every kernel, binary, balanced
 * and one-vs-one; a separable problem whose maximum-margin hyperplane is
 * known exactly; XOR; sin(x) within epsilon; Platt probabilities; the
 * kernel cache under a tiny budget; save -> load; bad parameters. */
#include "test_util.h"

#include "ml/svm_impl.h"
#include "ref/svm_ref.h"

static void int_to_float(const int *y, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = (float)y[i];
}

static lt_model *fit_svc(const char *params, const float *X, int n, int d, const float *y,
                         int nclass)
{
    lt_model *m;
    assert_ok(lt_model_new("svc", &m));
    assert_ok(lt_model_set_params_json(m, params));
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, n, d, y, nclass, NULL));
    return m;
}

static double accuracy(const lt_model *m, const float *X, int n, int d, const float *y)
{
    float *p = malloc(sizeof(float) * (size_t)n);
    assert_ok(lt_model_predict(m, X, n, d, p));
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += p[i] == y[i];
    free(p);
    return (double)ok / n;
}

/* ---- scikit-learn references ---------------------------------------------- */

/* t = 0: both at tol 1e-7, the exact solution: support-vector counts equal,
 * intercepts and decision values to 1e-4 relative (float32 kernel rows and
 * support vectors, as libsvm's Qfloat). t = 1: both at the default tol 1e-3
 * follow the same path (same working-set rule and shrinking) but stop
 * early: a count may differ by one, values by 1e-2 (tol x the scale of the
 * dual coefficients). */
static void check_svc_case(const ref_svc_case *c, int t, int nthreads)
{
    const float *X = c->multi ? ref_xm : ref_xb, *Q = c->multi ? ref_qm : ref_qb;
    const int n = c->multi ? REF_NM : REF_NB, d = c->multi ? 2 : REF_DB;
    const int nq = c->multi ? REF_NQM : REF_NQB, k = c->multi ? 3 : 2, P = k * (k - 1) / 2;
    float y[REF_NM];
    int_to_float(c->multi ? ref_ym : ref_yb, n, y);
    lt_set_threads(nthreads);
    lt_model *m;
    assert_ok(lt_model_new("svc", &m));
    assert_ok(lt_model_set_params_json(m, c->params));
    assert_ok(lt_model_set_param(m, "tol", t ? "1e-3" : "1e-7"));
    assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, n, d, y, k, NULL));
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *ns = lt_state_get(st, "n_support"), *b = lt_state_get(st, "intercept");
    const double vtol = t ? 1e-2 : 1e-4;
    for (int j = 0; j < k; j++)
        if (fabs(ns->data[j] - c->nsv[t][j]) > (t ? 1 : 0))
            fail_msg("svc %s tol %s: n_support[%d] = %g, sklearn %d", c->name, t ? "1e-3" : "1e-7",
                     j, (double)ns->data[j], c->nsv[t][j]);
    for (int p = 0; p < P; p++)
        if (fabs(b->data[p] - c->icpt[t][p]) > vtol * fmax(1.0, fabs(c->icpt[t][p])))
            fail_msg("svc %s tol %s: intercept[%d] = %.7g, sklearn %.7g", c->name,
                     t ? "1e-3" : "1e-7", p, (double)b->data[p], c->icpt[t][p]);
    double dec[REF_NQB * 3];
    assert_ok(svm_svc_decision(m, Q, nq, dec));
    for (int i = 0; i < nq * P; i++)
        if (fabs(dec[i] - c->dec[t][i]) > vtol * fmax(1.0, fabs(c->dec[t][i])))
            fail_msg("svc %s tol %s: decision[%d] = %.7g, sklearn %.7g", c->name,
                     t ? "1e-3" : "1e-7", i, dec[i], c->dec[t][i]);
    lt_state_free(st);
    lt_model_free(m);
    lt_set_threads(0);
}

static void test_sklearn_svc(void **s)
{
    (void)s;
    for (size_t c = 0; c < sizeof ref_svc_cases / sizeof ref_svc_cases[0]; c++)
        for (int t = 0; t < 2; t++) {
            check_svc_case(&ref_svc_cases[c], t, 0);
            check_svc_case(&ref_svc_cases[c], t, 1);  // OvO pairs on one thread: same answer
        }
}

/* The linear kernel's w = sum coef_i sv_i equals sklearn's coef_. */
static void test_sklearn_svc_linear_w(void **s)
{
    (void)s;
    float y[REF_NB];
    int_to_float(ref_yb, REF_NB, y);
    lt_model *m = fit_svc("{\"kernel\":\"linear\",\"C\":0.5,\"tol\":1e-7}", ref_xb, REF_NB,
                          REF_DB, y, 2);
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *sv = lt_state_get(st, "support_vectors"), *c = lt_state_get(st, "dual_coef");
    for (int j = 0; j < REF_DB; j++) {
        double w = 0;
        for (int64_t t = 0; t < sv->shape[0]; t++)
            w += c->data[t] * sv->data[t * REF_DB + j];
        assert_near(w, ref_svc_linear_tight_w[j], 1e-4 * fmax(1, fabs(ref_svc_linear_tight_w[j])));
    }
    lt_state_free(st);
    lt_model_free(m);
}

static void check_svr(const char *params, int t, int nsv, double icpt, const double *pred)
{
    lt_model *m;
    assert_ok(lt_model_new("svr", &m));
    assert_ok(lt_model_set_params_json(m, params));
    assert_ok(lt_model_set_param(m, "tol", t ? "1e-3" : "1e-7"));
    assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, ref_xr, REF_NR, 1, ref_yr, 0, NULL));
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *sv = lt_state_get(st, "support_vectors"), *b = lt_state_get(st, "intercept");
    const double vtol = t ? 1e-2 : 1e-4;
    if (labs((long)sv->shape[0] - nsv) > (t ? 1 : 0))
        fail_msg("svr %s: %lld support vectors, sklearn %d", params, (long long)sv->shape[0], nsv);
    assert_near(b->data[0], icpt, vtol);
    float out[REF_NQR];
    assert_ok(lt_model_predict(m, ref_qr, REF_NQR, 1, out));
    for (int i = 0; i < REF_NQR; i++)
        if (fabs(out[i] - pred[i]) > vtol)
            fail_msg("svr %s tol %d: f(q%d) = %.7g, sklearn %.7g", params, t, i, (double)out[i],
                     pred[i]);
    lt_state_free(st);
    lt_model_free(m);
}

static void test_sklearn_svr(void **s)
{
    (void)s;
    const char *p1 = "{\"kernel\":\"rbf\",\"C\":1,\"epsilon\":0.1}";
    const char *p2 = "{\"kernel\":\"rbf\",\"C\":10,\"epsilon\":0.05,\"gamma\":0.5}";
    const char *p3 = "{\"kernel\":\"linear\",\"C\":1,\"epsilon\":0.2}";
    check_svr(p1, 0, ref_svr_rbf_tight_nsv, ref_svr_rbf_tight_icpt, ref_svr_rbf_tight_pred);
    check_svr(p1, 1, ref_svr_rbf_dflt_nsv, ref_svr_rbf_dflt_icpt, ref_svr_rbf_dflt_pred);
    check_svr(p2, 0, ref_svr_rbf_c10_tight_nsv, ref_svr_rbf_c10_tight_icpt,
              ref_svr_rbf_c10_tight_pred);
    check_svr(p2, 1, ref_svr_rbf_c10_dflt_nsv, ref_svr_rbf_c10_dflt_icpt,
              ref_svr_rbf_c10_dflt_pred);
    check_svr(p3, 0, ref_svr_linear_tight_nsv, ref_svr_linear_tight_icpt,
              ref_svr_linear_tight_pred);
    check_svr(p3, 1, ref_svr_linear_dflt_nsv, ref_svr_linear_dflt_icpt,
              ref_svr_linear_dflt_pred);
}

/* ---- behaviour -------------------------------------------------------------- */

/* Points placed so that the maximum-margin hyperplane is exactly
 * w.x + b = 0 with w = (1, -2), b = 0.5: three points of each class on its
 * margin line (functional margin 1), the rest farther out. A hard-margin
 * linear SVC (large C) must return that w and b, not just a direction. */
static void test_separable_known_margin(void **s)
{
    (void)s;
    enum { N = 46 };
    const double w[2] = {1, -2}, b = 0.5, nw = sqrt(5.0);
    const double u[2] = {w[0] / nw, w[1] / nw}, v[2] = {-u[1], u[0]};
    const double p0[2] = {-b * w[0] / 5.0, -b * w[1] / 5.0};  // on the hyperplane
    float X[2 * N], y[N];
    lt_rng r;
    lt_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        const int pos = i % 2 == 0;
        double t, off;
        if (i < 6) {
            t = -2.0 + 2.0 * (i / 2);
            off = 1.0 / nw;  // on the margin
        } else {
            t = 6 * lt_rng_uniform(&r) - 3;
            off = 1.0 / nw + 0.3 + 2 * lt_rng_uniform(&r);
        }
        const double sg = pos ? 1 : -1;
        X[2 * i] = (float)(p0[0] + t * v[0] + sg * off * u[0]);
        X[2 * i + 1] = (float)(p0[1] + t * v[1] + sg * off * u[1]);
        y[i] = pos ? 0.0f : 1.0f;  // class 0 is the +1 side (libsvm's convention)
    }
    lt_model *m = fit_svc("{\"kernel\":\"linear\",\"C\":1e4,\"tol\":1e-6}", X, N, 2, y, 2);
    assert_near(accuracy(m, X, N, 2, y), 1.0, 0);
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    const lt_tensor *sv = lt_state_get(st, "support_vectors"), *c = lt_state_get(st, "dual_coef");
    const lt_tensor *bi = lt_state_get(st, "intercept");
    double wf[2] = {0, 0};
    for (int64_t t = 0; t < sv->shape[0]; t++)
        for (int j = 0; j < 2; j++)
            wf[j] += c->data[t] * sv->data[t * 2 + j];
    assert_near(wf[0], w[0], 1e-3);
    assert_near(wf[1], w[1], 1e-3);
    assert_near(bi->data[0], b, 1e-3);
    assert_true(sv->shape[0] >= 3 && sv->shape[0] <= 6);  // only margin points are SVs
    lt_state_free(st);
    lt_model_free(m);
}

/* XOR: four clusters at (+-1, +-1), class = sign(x0 x1). rbf solves it;
 * no linear boundary can do much better than chance. */
static void test_xor(void **s)
{
    (void)s;
    enum { N = 200 };
    float X[2 * N], y[N];
    lt_rng r;
    lt_rng_seed(&r, 9);
    for (int i = 0; i < N; i++) {
        double a = i % 2 ? 1 : -1, c = (i / 2) % 2 ? 1 : -1;
        X[2 * i] = (float)(a + 0.3 * lt_rng_normal(&r));
        X[2 * i + 1] = (float)(c + 0.3 * lt_rng_normal(&r));
        y[i] = a * c > 0;
    }
    lt_model *rbf = fit_svc("{\"kernel\":\"rbf\",\"C\":10}", X, N, 2, y, 2);
    lt_model *lin = fit_svc("{\"kernel\":\"linear\",\"C\":10}", X, N, 2, y, 2);
    double ar = accuracy(rbf, X, N, 2, y), al = accuracy(lin, X, N, 2, y);
    print_message("XOR training accuracy: rbf %.3f, linear %.3f\n", ar, al);
    assert_true(ar >= 0.97);
    assert_true(al <= 0.75);
    lt_model_free(rbf);
    lt_model_free(lin);
}

/* Noise-free y = sin(x): with C large enough every training residual is
 * inside the epsilon tube (up to what tol leaves), and points between the
 * training points are close too. */
static void test_svr_sin(void **s)
{
    (void)s;
    enum { N = 80 };
    float X[N], y[N], f[N];
    for (int i = 0; i < N; i++) {
        X[i] = (float)(-3.0 + 6.0 * i / (N - 1));
        y[i] = sinf(X[i]);
    }
    const char *kernels[] = {"rbf", "poly"};
    for (int kk = 0; kk < 2; kk++) {
        lt_model *m;
        assert_ok(lt_model_new("svr", &m));
        assert_ok(lt_model_set_params_json(
            m, kk == 0 ? "{\"C\":100,\"epsilon\":0.05,\"gamma\":1}"
                       : "{\"kernel\":\"poly\",\"degree\":5,\"gamma\":0.5,\"coef0\":1,\"C\":100,"
                         "\"epsilon\":0.05}"));
        (void)kernels;
        assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, X, N, 1, y, 0, NULL));
        assert_ok(lt_model_predict(m, X, N, 1, f));
        double worst = 0;
        for (int i = 0; i < N; i++)
            worst = fmax(worst, fabs(f[i] - y[i]));
        print_message("svr %s on sin(x): max training residual %.4f (epsilon 0.05)\n",
                      kernels[kk], worst);
        assert_true(worst <= 0.05 + 5e-3);
        float q[3] = {-2.02f, 0.31f, 1.77f}, fq[3];
        assert_ok(lt_model_predict(m, q, 3, 1, fq));
        for (int i = 0; i < 3; i++)
            assert_near(fq[i], sin(q[i]), 0.06);
        lt_model_free(m);
    }
}

/* Every kernel through both models: fits, predicts finite values, and
 * the sigmoid kernel (not positive definite) still terminates. */
static void test_every_kernel(void **s)
{
    (void)s;
    const char *k[] = {"linear", "rbf", "poly", "sigmoid"};
    float y[REF_NB], f[REF_NR];
    int_to_float(ref_yb, REF_NB, y);
    for (int i = 0; i < 4; i++) {
        lt_model *m;
        assert_ok(lt_model_new("svc", &m));
        assert_ok(lt_model_set_param(m, "kernel", k[i]));
        assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, NULL));
        double acc = accuracy(m, ref_xb, REF_NB, REF_DB, y);
        print_message("svc %-7s training accuracy %.3f\n", k[i], acc);
        assert_true(acc > 0.6);
        lt_model_free(m);
        assert_ok(lt_model_new("svr", &m));
        assert_ok(lt_model_set_param(m, "kernel", k[i]));
        assert_ok(lt_model_fit(m, LT_TASK_REGRESSION, ref_xr, REF_NR, 1, ref_yr, 0, NULL));
        assert_ok(lt_model_predict(m, ref_xr, REF_NR, 1, f));
        for (int j = 0; j < REF_NR; j++)
            assert_true(isfinite(f[j]));
        lt_model_free(m);
    }
}

/* Three well separated blobs: OvO gets every point; probabilities are in
 * (0, 1), sum to 1 and agree with the votes. */
static void test_ovo_blobs_and_platt(void **s)
{
    (void)s;
    enum { N = 150, K = 3 };
    float X[2 * N], y[N], pred[N], proba[N * K];
    const double cx[K] = {0, 4, 0}, cy[K] = {0, 0, 4};
    lt_rng r;
    lt_rng_seed(&r, 4);
    for (int i = 0; i < N; i++) {
        int c = i % K;
        X[2 * i] = (float)(cx[c] + 0.6 * lt_rng_normal(&r));
        X[2 * i + 1] = (float)(cy[c] + 0.6 * lt_rng_normal(&r));
        y[i] = (float)c;
    }
    lt_model *m = fit_svc("{\"probability\":true}", X, N, 2, y, K);
    assert_near(accuracy(m, X, N, 2, y), 1.0, 0);
    assert_ok(lt_model_predict(m, X, N, 2, pred));
    assert_ok(lt_model_predict_proba(m, X, N, 2, proba));
    int agree = 0;
    for (int i = 0; i < N; i++) {
        double sum = 0;
        int best = 0;
        for (int c = 0; c < K; c++) {
            double p = proba[i * K + c];
            assert_true(p > 0 && p < 1);
            sum += p;
            if (p > proba[i * K + best])
                best = c;
        }
        assert_near(sum, 1.0, 1e-5);
        agree += best == (int)pred[i];
        assert_true(proba[i * K + (int)y[i]] > 0.5);
    }
    assert_true(agree >= N - 2);
    lt_model_free(m);

    // Binary on the overlapping reference data: P(class 0) rises with the
    // decision value (A < 0), and stays strictly inside (0, 1).
    float yb[REF_NB], pb[REF_NB * 2];
    int_to_float(ref_yb, REF_NB, yb);
    m = fit_svc("{\"probability\":true}", ref_xb, REF_NB, REF_DB, yb, 2);
    double dec[REF_NB];
    assert_ok(svm_svc_decision(m, ref_xb, REF_NB, dec));
    assert_ok(lt_model_predict_proba(m, ref_xb, REF_NB, REF_DB, pb));
    for (int i = 0; i < REF_NB; i++) {
        assert_true(pb[2 * i] > 0 && pb[2 * i] < 1);
        assert_near(pb[2 * i] + pb[2 * i + 1], 1.0, 1e-6);
        for (int j = 0; j < REF_NB; j++)
            if (dec[i] > dec[j] + 1e-9)
                assert_true(pb[2 * i] >= pb[2 * j]);
    }
    lt_model_free(m);
}

/* Without probability=true, predict_proba is the one-hot vote. */
static void test_proba_without_platt(void **s)
{
    (void)s;
    float y[REF_NM], pred[REF_NM], proba[REF_NM * 3];
    int_to_float(ref_ym, REF_NM, y);
    lt_model *m = fit_svc("{}", ref_xm, REF_NM, 2, y, 3);
    assert_ok(lt_model_predict(m, ref_xm, REF_NM, 2, pred));
    assert_ok(lt_model_predict_proba(m, ref_xm, REF_NM, 2, proba));
    for (int i = 0; i < REF_NM; i++)
        for (int c = 0; c < 3; c++)
            assert_true(proba[i * 3 + c] == (c == (int)pred[i] ? 1.0f : 0.0f));
    lt_model_free(m);
}

/* A one-row cache budget, with and without shrinking, must give the same
 * model as the default (the cache and shrinking are speed, not answers). */
static void test_cache_and_shrinking(void **s)
{
    (void)s;
    float y[REF_NB];
    int_to_float(ref_yb, REF_NB, y);
    const char *variants[] = {
        "{\"C\":10,\"gamma\":0.5,\"tol\":1e-7}",
        "{\"C\":10,\"gamma\":0.5,\"tol\":1e-7,\"cache_mb\":1e-5}",
        "{\"C\":10,\"gamma\":0.5,\"tol\":1e-7,\"shrinking\":false}",
        "{\"C\":10,\"gamma\":0.5,\"tol\":1e-7,\"shrinking\":false,\"cache_mb\":1e-5}",
    };
    double ref[REF_NQB], dec[REF_NQB];
    for (int v = 0; v < 4; v++) {
        lt_model *m;
        assert_ok(lt_model_new("svc", &m));
        assert_ok(lt_model_set_params_json(m, variants[v]));  // 1e-5 MB: 2 rows
        assert_ok(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, NULL));
        assert_ok(svm_svc_decision(m, ref_qb, REF_NQB, v ? dec : ref));
        for (int i = 0; v && i < REF_NQB; i++)
            assert_near(dec[i], ref[i], 1e-4);
        lt_model_free(m);
    }
}

/* The LRU cache itself: eviction order, partial rows, swaps. */
static void test_cache_unit(void **s)
{
    (void)s;
    svm_cache c;
    assert_ok(svm_cache_init(&c, 5, 2 * 5 * sizeof(float)));  // 2 slots of 5
    assert_int_equal(c.nslot, 2);
    float *r;
    assert_int_equal(svm_cache_get(&c, 0, 3, &r), 0);  // new: fill from 0
    for (int j = 0; j < 3; j++)
        r[j] = (float)(10 + j);
    assert_int_equal(svm_cache_get(&c, 0, 5, &r), 3);  // longer: fill from 3
    r[3] = 13, r[4] = 14;
    assert_int_equal(svm_cache_get(&c, 1, 5, &r), 0);
    for (int j = 0; j < 5; j++)
        r[j] = (float)(20 + j);
    assert_int_equal(svm_cache_get(&c, 0, 5, &r), 5);  // hit; 0 is now most recent
    assert_int_equal(svm_cache_get(&c, 2, 5, &r), 0);  // evicts 1, the LRU
    assert_true(c.slot_of[1] < 0 && c.slot_of[0] >= 0);
    for (int j = 0; j < 5; j++)
        r[j] = (float)(30 + j);
    svm_cache_swap(&c, 0, 4);  // row 0 becomes row 4, entries 0 and 4 trade places
    assert_true(c.slot_of[0] < 0 && c.slot_of[4] >= 0);
    assert_int_equal(svm_cache_get(&c, 4, 5, &r), 5);
    assert_true(r[0] == 14 && r[4] == 10 && r[1] == 11);
    svm_cache_free(&c);
}

/* Rows with sample weight 0 are as good as absent. */
static void test_sample_weights(void **s)
{
    (void)s;
    float y[REF_NB], w[REF_NB], Xs[REF_NB * REF_DB], ys[REF_NB];
    int_to_float(ref_yb, REF_NB, y);
    int ns = 0;
    for (int i = 0; i < REF_NB; i++) {
        w[i] = i % 4 == 1 ? 0.0f : 1.0f + (i % 3);
        if (w[i] == 0)
            continue;
        memcpy(Xs + ns * REF_DB, ref_xb + i * REF_DB, sizeof(float) * REF_DB);
        ys[ns++] = y[i];
    }
    // weights 1..3 on the kept rows: same as C scaled per row; compare with
    // the kept rows fitted with the same weights.
    float ws[REF_NB];
    for (int i = 0, t = 0; i < REF_NB; i++)
        if (w[i] != 0)
            ws[t++] = w[i];
    lt_model *a, *b;
    const char *p = "{\"gamma\":0.4,\"tol\":1e-7}";
    assert_ok(lt_model_new("svc", &a));
    assert_ok(lt_model_set_params_json(a, p));
    assert_ok(lt_model_fit(a, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, w));
    assert_ok(lt_model_new("svc", &b));
    assert_ok(lt_model_set_params_json(b, p));
    assert_ok(lt_model_fit(b, LT_TASK_CLASSIFICATION, Xs, ns, REF_DB, ys, 2, ws));
    double da[REF_NQB], db[REF_NQB];
    assert_ok(svm_svc_decision(a, ref_qb, REF_NQB, da));
    assert_ok(svm_svc_decision(b, ref_qb, REF_NQB, db));
    for (int i = 0; i < REF_NQB; i++)
        assert_near(da[i], db[i], 1e-4);
    lt_model_free(a);
    lt_model_free(b);
}

/* nclass = 3 but class 1 has no training rows: never predicted, P ~ 0. */
static void test_absent_class(void **s)
{
    (void)s;
    float y[REF_NM], X[REF_NM * 2], proba[REF_NM * 3], pred[REF_NM];
    int n = 0;
    for (int i = 0; i < REF_NM; i++)
        if (ref_ym[i] != 1) {
            X[2 * n] = ref_xm[2 * i], X[2 * n + 1] = ref_xm[2 * i + 1];
            y[n++] = (float)ref_ym[i];
        }
    lt_model *m = fit_svc("{\"probability\":true}", X, n, 2, y, 3);
    assert_ok(lt_model_predict(m, ref_xm, REF_NM, 2, pred));
    assert_ok(lt_model_predict_proba(m, ref_xm, REF_NM, 2, proba));
    for (int i = 0; i < REF_NM; i++) {
        assert_true(pred[i] != 1.0f);
        assert_true(proba[i * 3 + 1] < 1e-3);
    }
    assert_true(accuracy(m, X, n, 2, y) > 0.85);
    lt_model_free(m);
}

/* ---- save / load ------------------------------------------------------------ */

static lt_model *round_trip(const lt_model *m, lt_task task, int nclass)
{
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    char *params = lt_model_params_json(m);
    lt_model *back;
    assert_ok(lt_model_load(m->vt->name, params, task, m->nfeat, nclass, st, &back));
    free(params);
    lt_state_free(st);
    return back;
}

static void test_save_load(void **s)
{
    (void)s;
    float y[REF_NM], p1[REF_NQM * 3], p2[REF_NQM * 3];
    int_to_float(ref_ym, REF_NM, y);
    const char *cases[] = {"{\"probability\":true}", "{\"kernel\":\"poly\",\"degree\":2}",
                           "{\"kernel\":\"sigmoid\",\"gamma\":0.2}"};
    for (int c = 0; c < 3; c++) {
        lt_model *m = fit_svc(cases[c], ref_xm, REF_NM, 2, y, 3);
        lt_model *b = round_trip(m, LT_TASK_CLASSIFICATION, 3);
        assert_ok(lt_model_predict(m, ref_qm, REF_NQM, 2, p1));
        assert_ok(lt_model_predict(b, ref_qm, REF_NQM, 2, p2));
        assert_memory_equal(p1, p2, sizeof(float) * REF_NQM);
        assert_ok(lt_model_predict_proba(m, ref_qm, REF_NQM, 2, p1));
        assert_ok(lt_model_predict_proba(b, ref_qm, REF_NQM, 2, p2));
        assert_memory_equal(p1, p2, sizeof(float) * REF_NQM * 3);
        lt_model_free(m);
        lt_model_free(b);
    }
    lt_model *r;
    assert_ok(lt_model_new("svr", &r));
    assert_ok(lt_model_fit(r, LT_TASK_REGRESSION, ref_xr, REF_NR, 1, ref_yr, 0, NULL));
    lt_model *rb = round_trip(r, LT_TASK_REGRESSION, 0);
    float f1[REF_NQR], f2[REF_NQR];
    assert_ok(lt_model_predict(r, ref_qr, REF_NQR, 1, f1));
    assert_ok(lt_model_predict(rb, ref_qr, REF_NQR, 1, f2));
    assert_memory_equal(f1, f2, sizeof f1);
    lt_model_free(r);
    lt_model_free(rb);

    // A state whose shapes disagree with the header is rejected, not read.
    lt_model *m = fit_svc("{}", ref_xm, REF_NM, 2, y, 3);
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    float bad[3] = {1e9f, 1, 1};
    int64_t sh[1] = {3};
    assert_ok(lt_state_put(st, "n_support", 1, sh, bad));
    lt_model *out;
    int rc = lt_model_load("svc", "{}", LT_TASK_CLASSIFICATION, 2, 3, st, &out);
    assert_true(rc < 0);
    assert_null(out);
    lt_state_free(st);
    lt_model_free(m);
}

/* ---- errors ------------------------------------------------------------------- */

static void expect_bad(const char *model, const char *key, const char *value)
{
    lt_model *m;
    assert_ok(lt_model_new(model, &m));
    assert_int_equal(lt_model_set_param(m, key, value), LT_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "'%s'", key);
    assert_error_contains(want);
    lt_model_free(m);
}

static void test_bad_params(void **s)
{
    (void)s;
    expect_bad("svc", "C", "0");
    expect_bad("svc", "C", "-1");
    expect_bad("svc", "gamma", "-0.5");
    expect_bad("svc", "degree", "0");
    expect_bad("svc", "kernel", "cubic");
    expect_bad("svc", "tol", "0");
    expect_bad("svc", "class_weight", "heavy");
    expect_bad("svr", "epsilon", "-0.1");
    expect_bad("svr", "C", "0");
    expect_bad("svr", "gamma", "-1");
    expect_bad("svr", "degree", "0");
    // One class only: the base refuses before any work.
    float y[REF_NB] = {0};
    lt_model *m;
    assert_ok(lt_model_new("svc", &m));
    assert_int_equal(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, NULL),
                     LT_EINVAL);
    assert_error_contains("only one class");
    assert_int_equal(lt_model_fit(m, LT_TASK_REGRESSION, ref_xb, REF_NB, REF_DB, y, 0, NULL),
                     LT_EUNSUPPORTED);
    lt_model_free(m);
    assert_ok(lt_model_new("svr", &m));
    assert_int_equal(lt_model_fit(m, LT_TASK_CLASSIFICATION, ref_xb, REF_NB, REF_DB, y, 2, NULL),
                     LT_EUNSUPPORTED);
    lt_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn_svc),
        cmocka_unit_test(test_sklearn_svc_linear_w),
        cmocka_unit_test(test_sklearn_svr),
        cmocka_unit_test(test_separable_known_margin),
        cmocka_unit_test(test_xor),
        cmocka_unit_test(test_svr_sin),
        cmocka_unit_test(test_every_kernel),
        cmocka_unit_test(test_ovo_blobs_and_platt),
        cmocka_unit_test(test_proba_without_platt),
        cmocka_unit_test(test_cache_and_shrinking),
        cmocka_unit_test(test_cache_unit),
        cmocka_unit_test(test_sample_weights),
        cmocka_unit_test(test_absent_class),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
