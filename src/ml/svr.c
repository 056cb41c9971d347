/* Epsilon-support vector regression "svr", as libsvm's epsilon-SVR (and so
 * scikit-learn's SVR):
 *
 *   min 0.5 (a - a*)'K(a - a*) + eps sum (a + a*) + sum y (a - a*)
 *   s.t. e'(a - a*) = 0,  0 <= a, a* <= C_i  (C_i = C x sample weight)
 *
 * as one SMO problem of 2n variables [a; a*] with signs [+1; -1]
 * (svm_smo.c; the kernel cache holds rows of the n points, each row
 * serving both halves). f(x) = sum_i (a_i - a*_i) K(x_i, x) + b, b = -rho. */
#include "svm_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct svr {
    lt_model base;
    int kernel, degree, shrinking, max_iter;
    double C, epsilon, gamma, coef0, tol, cache_mb;
    /* fitted */
    svm_kparams kp;
    int64_t nsv;
    float *sv;     /* (nsv, d) */
    float *sv_sq;  /* (nsv) */
    float *coef;   /* (nsv) a - a* */
    float icpt;
    int64_t n_iter;
    int converged;
} svr;

static const lt_param_spec svr_params[] = {
    {"kernel", LT_PARAM_CHOICE, offsetof(svr, kernel), SVM_RBF, 0, 0, "linear|rbf|poly|sigmoid",
     "kernel function"},
    {"C", LT_PARAM_FLOAT, offsetof(svr, C), 1.0, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "penalty of errors beyond epsilon"},
    {"epsilon", LT_PARAM_FLOAT, offsetof(svr, epsilon), 0.1, 0, LT_PARAM_NOMAX, NULL,
     "half-width of the tube inside which errors cost nothing"},
    {"gamma", LT_PARAM_FLOAT, offsetof(svr, gamma), 0, 0, LT_PARAM_NOMAX, NULL,
     "kernel coefficient (rbf, poly, sigmoid); 0 = 'scale': 1 / (d var(X))"},
    {"degree", LT_PARAM_INT, offsetof(svr, degree), 3, 1, 20, NULL, "poly kernel degree"},
    {"coef0", LT_PARAM_FLOAT, offsetof(svr, coef0), 0, -LT_PARAM_NOMAX, LT_PARAM_NOMAX, NULL,
     "constant of the poly and sigmoid kernels"},
    {"tol", LT_PARAM_FLOAT, offsetof(svr, tol), 1e-3, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "stop when the maximal KKT violation < tol (libsvm -e)"},
    {"cache_mb", LT_PARAM_FLOAT, offsetof(svr, cache_mb), 200, LT_PARAM_GT0, 1e6, NULL,
     "kernel row cache, MB (at least 2 rows)"},
    {"shrinking", LT_PARAM_BOOL, offsetof(svr, shrinking), 1, 0, 1, NULL,
     "shrink bound variables out of the active set"},
    {"max_iter", LT_PARAM_INT, offsetof(svr, max_iter), 0, 0, 2e9, NULL,
     "SMO iterations; 0 = libsvm's max(1e7, 200 n)"},
};

static void svr_destroy(lt_model *mm)
{
    svr *m = (svr *)mm;
    free(m->sv);
    free(m->sv_sq);
    free(m->coef);
    m->sv = m->sv_sq = m->coef = NULL;
    m->nsv = 0;
}

static int svr_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                   const float *w)
{
    svr *m = (svr *)mm;
    svm_kparams kp = {m->kernel, m->gamma > 0 ? m->gamma : svm_gamma_scale(X, n, d), m->coef0,
                      m->degree};
    const int64_t l = 2 * n;
    svm_kernel k;
    svm_qmat q;
    int rc = svm_kernel_init(&k, &kp, X, d, NULL, n);
    if (rc)
        return rc;
    if ((rc = svm_qmat_init_svr(&q, &k, (size_t)(m->cache_mb * 1048576.0)))) {
        svm_kernel_free(&k);
        return rc;
    }
    // mem: p, C, alpha (l each); ys (l bytes)
    double *mem = lt_malloc(sizeof(double) * (size_t)(3 * l) + (size_t)l);
    float *sv = NULL, *sq = NULL, *coef = NULL;
    if (!mem) {
        rc = LT_ENOMEM;
        goto out;
    }
    double *p = mem, *C = p + l, *alpha = C + l;
    int8_t *ys = (int8_t *)(alpha + l);
    for (int64_t i = 0; i < n; i++) {
        p[i] = m->epsilon - y[i];
        p[i + n] = m->epsilon + y[i];
        ys[i] = 1, ys[i + n] = -1;
        C[i] = C[i + n] = m->C * (w ? w[i] : 1.0);
        alpha[i] = alpha[i + n] = 0;
    }
    svm_smo_opts o = {m->tol, m->shrinking, m->max_iter, mm->progress, mm->progress_user};
    svm_smo_result r;
    lt_blas_serial_begin();  // one kernel row at a time: thin sgemv, serial is faster
    rc = svm_smo_solve(&q, p, ys, C, alpha, &o, &r);
    lt_blas_serial_end();
    if (rc)
        goto out;
    int64_t nsv = 0;
    for (int64_t i = 0; i < n; i++)
        nsv += alpha[i] - alpha[i + n] != 0;
    // No SV (every target inside the tube): keep one zero-weight row so the
    // state always has tensors of positive size.
    const int64_t na = nsv > 0 ? nsv : 1;
    sv = lt_calloc((size_t)(na * d), sizeof(float));
    sq = lt_calloc((size_t)na, sizeof(float));
    coef = lt_calloc((size_t)na, sizeof(float));
    if (!sv || !sq || !coef) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (int64_t i = 0, s = 0; i < n; i++) {
        double c = alpha[i] - alpha[i + n];
        if (c != 0) {
            memcpy(sv + s * d, X + i * d, sizeof(float) * (size_t)d);
            coef[s++] = (float)c;
        }
    }
    svm_sqnorms(sv, na, d, sq);
    svr_destroy(mm);
    m->kp = kp;
    m->nsv = na;
    m->sv = sv;
    m->sv_sq = sq;
    m->coef = coef;
    m->icpt = (float)-r.rho;
    m->n_iter = r.iter;
    m->converged = r.converged;
    sv = sq = coef = NULL;
out:
    free(sv);
    free(sq);
    free(coef);
    free(mem);
    svm_qmat_free(&q);
    svm_kernel_free(&k);
    return rc;
}

typedef struct pred_ctx {
    const svr *m;
    float *out;
} pred_ctx;

static void pred_block(void *c, int64_t r0, int64_t rows, const float *K)
{
    const pred_ctx *x = c;
    // out (rows) = K (rows, nsv) . coef (nsv) + b
    lt_sgemv(0, rows, x->m->nsv, 1.0f, K, x->m->nsv, x->m->coef, 0.0f, x->out + r0);
    for (int64_t r = 0; r < rows; r++)
        x->out[r0 + r] += x->m->icpt;
}

static int svr_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const svr *m = (const svr *)mm;
    pred_ctx c = {m, out};
    return svm_kernel_blocks(&m->kp, X, n, mm->nfeat, m->sv, m->sv_sq, m->nsv, pred_block, &c);
}

static int svr_save(const lt_model *mm, lt_state *st)
{
    const svr *m = (const svr *)mm;
    int64_t s_sv[2] = {m->nsv, mm->nfeat}, s_c[1] = {m->nsv}, s_1[1] = {1};
    float g = (float)m->kp.gamma;
    int rc = lt_state_put(st, "support_vectors", 2, s_sv, m->sv);
    if (!rc)
        rc = lt_state_put(st, "dual_coef", 1, s_c, m->coef);
    if (!rc)
        rc = lt_state_put(st, "intercept", 1, s_1, &m->icpt);
    if (!rc)
        rc = lt_state_put(st, "gamma", 1, s_1, &g);
    return rc;
}

static int svr_load(lt_model *mm, const lt_state *st)
{
    svr *m = (svr *)mm;
    const lt_tensor *sv = lt_state_get(st, "support_vectors"), *c, *b, *g;
    if (!sv || sv->ndim != 2 || sv->shape[0] < 1)
        return lt_error(LT_ECORRUPT, "svr: 'support_vectors' is missing or not (n >= 1, %lld)",
                        (long long)mm->nfeat);
    const int64_t nsv = sv->shape[0];
    int64_t s_sv[2] = {nsv, mm->nfeat}, s_c[1] = {nsv}, s_1[1] = {1};
    int rc;
    if ((rc = lt_state_expect(st, "support_vectors", 2, s_sv, &sv)) ||
        (rc = lt_state_expect(st, "dual_coef", 1, s_c, &c)) ||
        (rc = lt_state_expect(st, "intercept", 1, s_1, &b)) ||
        (rc = lt_state_expect(st, "gamma", 1, s_1, &g)))
        return rc;
    svr_destroy(mm);
    m->sv = lt_malloc(sizeof(float) * (size_t)(nsv * mm->nfeat));
    m->sv_sq = lt_malloc(sizeof(float) * (size_t)nsv);
    m->coef = lt_malloc(sizeof(float) * (size_t)nsv);
    if (!m->sv || !m->sv_sq || !m->coef) {
        svr_destroy(mm);
        return LT_ENOMEM;
    }
    memcpy(m->sv, sv->data, sizeof(float) * (size_t)(nsv * mm->nfeat));
    memcpy(m->coef, c->data, sizeof(float) * (size_t)nsv);
    svm_sqnorms(m->sv, nsv, mm->nfeat, m->sv_sq);
    m->nsv = nsv;
    m->icpt = b->data[0];
    m->kp = (svm_kparams){m->kernel, g->data[0], m->coef0, m->degree};
    return LT_OK;
}

static char *svr_describe(const lt_model *mm)
{
    const svr *m = (const svr *)mm;
    char buf[192];
    snprintf(buf, sizeof buf,
             "{\"n_support\":%lld,\"gamma\":%.9g,\"intercept\":%.9g,\"n_iter\":%lld,"
             "\"converged\":%s}",
             (long long)m->nsv, m->kp.gamma, (double)m->icpt, (long long)m->n_iter,
             m->converged ? "true" : "false");
    return lt_strdup(buf);
}

const lt_model_vtable lt_svr_vtable = {
    .name = "svr",
    .summary = "epsilon-support vector regression (rbf, linear, poly, sigmoid kernels; SMO "
               "as libsvm)",
    .supports_regression = 1,
    .supports_classification = 0,
    .unsupervised_task = 0,
    .size = sizeof(svr),
    .params = svr_params,
    .nparams = (int)(sizeof svr_params / sizeof svr_params[0]),
    .fit = svr_fit,
    .predict = svr_predict,
    .predict_proba = NULL,
    .save = svr_save,
    .load = svr_load,
    .describe = svr_describe,
    .destroy = svr_destroy,
};
