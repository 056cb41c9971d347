/* Logistic regression "logreg": binary (sigmoid) for nclass == 2 and
 * multinomial (softmax over all K classes, like scikit-learn's
 * multi_class="multinomial") for nclass > 2.
 *
 * Minimises 0.5 ||W||^2 + C sum_i sw_i loss_i with sw = sample weight x
 * class weight; intercepts are not penalised. X is converted once to a
 * double design, centred when fitting an intercept (same minimiser, better
 * conditioning); the loss lives in logreg_loss.c. Solvers:
 *   lbfgs   L-BFGS, m = 10, strong-Wolfe line search (default).
 *   newton  Newton with the full Hessian through Cholesky. Binary: always
 *           when d + 1 <= 4096. Multinomial: the full K(d+1) Hessian when
 *           K(d+1) <= 1024, otherwise it falls back to L-BFGS (describe()
 *           says which solver ran).
 *   gd      accelerated gradient descent with backtracking.
 *   sgd     mini-batch SGD (batch_size rows; max_iter counts epochs).
 * tol: stop when max |gradient| of the objective divided by sum(sw) is
 * <= tol (scikit-learn's newton-cholesky convention). */
#include "lathe/model.h"
#include "linear_head.h"
#include "logreg_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SOLVER_LBFGS = 0, SOLVER_NEWTON, SOLVER_GD, SOLVER_SGD };
static const char *solver_names[] = {"lbfgs", "newton", "gd", "sgd"};

typedef struct logreg {
    lt_model base;
    int solver, max_iter, class_weight, fit_intercept, batch_size;
    double C, tol, learning_rate;
    int K;           /* 1 for binary, nclass for multinomial */
    float *coef;     /* (K, d) */
    float *intercept;/* (K) */
    int n_iter, converged, solver_used;
    double loss;
} logreg;

static const lt_param_spec logreg_params[] = {
    {"solver", LT_PARAM_CHOICE, offsetof(logreg, solver), SOLVER_LBFGS, 0, 0,
     "lbfgs|newton|gd|sgd", "optimiser"},
    {"C", LT_PARAM_FLOAT, offsetof(logreg, C), 1.0, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "inverse L2 strength: 0.5||w||^2 + C sum sw loss (as scikit-learn)"},
    {"max_iter", LT_PARAM_INT, offsetof(logreg, max_iter), 0, 0, 1e8, NULL,
     "iterations (sgd: epochs); 0 = auto (100 lbfgs/newton, 1000 gd, 100 sgd)"},
    {"tol", LT_PARAM_FLOAT, offsetof(logreg, tol), 1e-4, 0, LT_PARAM_NOMAX, NULL,
     "stop when max |gradient| of the objective / sum(sw) <= tol"},
    {"class_weight", LT_PARAM_CHOICE, offsetof(logreg, class_weight), 0, 0, 0, "none|balanced",
     "balanced: weight class c by n / (k * count_c)"},
    {"fit_intercept", LT_PARAM_BOOL, offsetof(logreg, fit_intercept), 1, 0, 1, NULL,
     "fit an intercept (not penalised)"},
    {"learning_rate", LT_PARAM_FLOAT, offsetof(logreg, learning_rate), 0, 0, LT_PARAM_NOMAX,
     NULL, "gd/sgd first step; 0 = from the curvature"},
    {"batch_size", LT_PARAM_INT, offsetof(logreg, batch_size), 64, 1, 1e9, NULL,
     "sgd mini-batch rows"},
};

static void logreg_destroy(lt_model *mm)
{
    logreg *m = (logreg *)mm;
    free(m->coef);
    free(m->intercept);
    m->coef = m->intercept = NULL;
}

static int logreg_fit(lt_model *mm, const float *Xf, int64_t n, int64_t d, const float *yf,
                      const float *wf)
{
    logreg *m = (logreg *)mm;
    const int nclass = mm->nclass, K = nclass == 2 ? 1 : nclass, icpt = m->fit_intercept;
    lr_obj o = {0};
    o.n = n, o.d = d, o.K = K, o.icpt = icpt;
    const int64_t dim = lr_dim(&o);
    int64_t cap = m->solver == SOLVER_SGD ? (m->batch_size < n ? m->batch_size : n) : 0;
    // mem: sw (n), P, R (n K), theta (dim), mean (d), batch (cap (d + 1 + 2K)), counts (nclass)
    double *mem = lt_calloc((size_t)(n + 2 * n * K + dim + d + cap * (d + 1 + 2 * K) + nclass),
                            sizeof(double));
    int32_t *y = lt_malloc(sizeof(int32_t) * (size_t)(n + cap));
    float *coef = lt_malloc(sizeof(float) * (size_t)(K * d + K));
    double *Xc = NULL;
    int rc = LT_OK;
    if (!mem || !y || !coef) {
        rc = LT_ENOMEM;
        goto out;
    }
    double *sw = mem, *P = sw + n, *R = P + n * K, *th = R + n * K, *mean = th + dim;
    double *bat = mean + d, *count = bat + cap * (d + 1 + 2 * K);
    for (int64_t i = 0; i < n; i++) {
        y[i] = (int32_t)yf[i];
        sw[i] = wf ? wf[i] : 1.0;
        count[y[i]] += 1;  // unweighted counts, as sklearn's compute_class_weight
    }
    if (m->class_weight == 1) {  // balanced: n / (k_present * count_c)
        int present = 0;
        for (int c = 0; c < nclass; c++)
            present += count[c] > 0;
        for (int64_t i = 0; i < n; i++)
            sw[i] *= (double)n / ((double)present * count[y[i]]);
    }
    double S = 0;
    for (int64_t i = 0; i < n; i++)
        S += sw[i];
    if (!(S > 0)) {
        rc = lt_error(LT_EINVAL, "logreg: sample weights sum to 0");
        goto out;
    }
    if ((rc = lt_ml_design(Xf, n, d, sw, icpt, &Xc, mean)))
        goto out;
    o.X = Xc, o.sw = sw, o.y = y, o.S = S, o.lam = 1.0 / (m->C * S), o.P = P, o.R = R;
    o.cap = cap, o.Xb = bat, o.swb = bat + cap * d, o.Pb = o.swb + cap, o.Rb = o.Pb + cap * K;
    o.yb = y + n;

    // Start from the (weighted) class priors in the intercepts: the same
    // minimiser, fewer iterations on imbalanced data.
    if (icpt) {
        double *wc = R, *b = th + (int64_t)K * d, lm = 0;  // R (n K >= nclass) as scratch
        memset(wc, 0, sizeof(double) * (size_t)nclass);
        for (int64_t i = 0; i < n; i++)
            wc[y[i]] += sw[i];
        if (K == 1) {
            double p1 = fmin(fmax(wc[1] / S, 1e-6), 1 - 1e-6);
            b[0] = log(p1 / (1 - p1));
        } else {
            for (int k = 0; k < K; k++)
                lm += (b[k] = log(fmax(wc[k] / S, 1e-6))) / K;
            for (int k = 0; k < K; k++)
                b[k] -= lm;
        }
    }

    lt_objective obj = {dim, &o, lr_fg, lr_hv, lr_fg_batch, n, cap};
    lt_optim_opts oo = lt_optim_opts_default();
    static const int auto_iter[] = {100, 100, 1000, 100};
    oo.max_iter = m->max_iter ? m->max_iter : auto_iter[m->solver];
    oo.gtol = m->tol;
    oo.learning_rate = m->learning_rate;
    oo.batch_size = m->batch_size;
    oo.progress = mm->progress;
    oo.progress_user = mm->progress_user;
    lt_rng rng;
    lt_rng_seed(&rng, mm->seed);
    oo.rng = &rng;
    lt_optim_result res = {0};
    int solver = m->solver;
    if (solver == SOLVER_NEWTON && (K == 1 ? d + 1 > 4096 : dim > 1024))
        solver = SOLVER_LBFGS;  // the full Hessian would be too large
    // BLAS on one thread: the products here are thin (d columns), where
    // OpenBLAS threads cost more than they give, and the link loop of the
    // loss runs on OpenMP threads that must not meet BLAS threads.
    lt_blas_serial_begin();
    switch (solver) {
    case SOLVER_NEWTON: rc = lr_newton(&o, th, &oo, &res); break;
    case SOLVER_GD: rc = lt_gd_minimize(&obj, th, &oo, &res); break;
    case SOLVER_SGD: rc = lt_sgd_minimize(&obj, th, &oo, &res); break;
    default: rc = lt_lbfgs_minimize(&obj, th, &oo, &res); break;
    }
    lt_blas_serial_end();
    if (rc) {
        lt_error_wrap(rc, "logreg (%s): ", solver_names[solver]);
        goto out;
    }
    m->n_iter = res.iters;
    m->converged = res.converged;
    m->solver_used = solver;
    m->loss = res.f;
    // Back to raw features: b_raw = b - mean . W_k; multinomial intercepts
    // are shifted to sum to zero (the loss does not see a common shift).
    double *braw = P, bmean = 0;  // P (n K >= K) as scratch
    for (int k = 0; k < K; k++) {
        double b = icpt ? th[(int64_t)K * d + k] : 0;
        for (int64_t j = 0; j < d; j++) {
            coef[(int64_t)k * d + j] = (float)th[(int64_t)k * d + j];
            b -= mean[j] * th[(int64_t)k * d + j];
        }
        braw[k] = b;
        bmean += b / K;
    }
    for (int k = 0; k < K; k++)
        coef[(int64_t)K * d + k] = (float)(K > 1 && icpt ? braw[k] - bmean : braw[k]);
    free(m->coef);
    free(m->intercept);
    m->K = K;
    m->coef = coef;
    m->intercept = lt_malloc(sizeof(float) * (size_t)K);
    if (!m->intercept) {
        m->coef = NULL;
        rc = LT_ENOMEM;
        goto out;
    }
    memcpy(m->intercept, coef + (int64_t)K * d, sizeof(float) * (size_t)K);
    coef = NULL;
out:
    free(coef);
    free(Xc);
    free(y);
    free(mem);
    return rc;
}

/* Z (n, K) = X (n, d) coef^T + intercept */
static void scores(const logreg *m, const float *X, int64_t n, float *Z)
{
    lt_linear_scores(m->coef, m->intercept, m->K, m->base.nfeat, X, n, Z);
}

/* out (n, nclass): binary [1 - p, p], multinomial softmax. */
static int logreg_predict_proba(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const logreg *m = (const logreg *)mm;
    const int K = m->K;
    if (K == 1) {
        scores(m, X, n, out + n);  // scratch in the upper half; read before overwritten
        for (int64_t i = 0; i < n; i++) {
            double z = out[n + i];
            double p = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
            out[2 * i] = (float)(1 - p);
            out[2 * i + 1] = (float)p;
        }
        return LT_OK;
    }
    scores(m, X, n, out);
    for (int64_t i = 0; i < n; i++) {
        float *z = out + i * K;
        double zmax = z[0], s = 0;
        for (int k = 1; k < K; k++)
            zmax = fmax(zmax, z[k]);
        for (int k = 0; k < K; k++)
            s += exp(z[k] - zmax);
        for (int k = 0; k < K; k++)
            z[k] = (float)(exp(z[k] - zmax) / s);
    }
    return LT_OK;
}

static int logreg_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const logreg *m = (const logreg *)mm;
    return lt_linear_classes(m->coef, m->intercept, m->K, mm->nfeat, X, n, out);
}

static int logreg_save(const lt_model *mm, lt_state *st)
{
    const logreg *m = (const logreg *)mm;
    return lt_linear_save(m->coef, m->intercept, m->K, mm->nfeat, st);
}

static int logreg_load(lt_model *mm, const lt_state *st)
{
    logreg *m = (logreg *)mm;
    const int K = mm->nclass == 2 ? 1 : mm->nclass;
    float *coef, *icpt;
    int rc = lt_linear_load(st, K, mm->nfeat, &coef, &icpt);
    if (rc)
        return rc;
    logreg_destroy(mm);
    m->coef = coef;
    m->intercept = icpt;
    m->K = K;
    return LT_OK;
}

static char *logreg_describe(const lt_model *mm)
{
    const logreg *m = (const logreg *)mm;
    char buf[192];
    snprintf(buf, sizeof buf,
             "{\"solver\":\"%s\",\"n_iter\":%d,\"converged\":%s,\"objective\":%.9g}",
             solver_names[m->solver_used], m->n_iter, m->converged ? "true" : "false", m->loss);
    return lt_strdup(buf);
}

const lt_model_vtable lt_logreg_vtable = {
    .name = "logreg",
    .summary = "logistic regression, binary or multinomial, L2 (lbfgs, newton, gd, sgd)",
    .supports_regression = 0,
    .supports_classification = 1,
    .unsupervised_task = 0,
    .size = sizeof(logreg),
    .params = logreg_params,
    .nparams = (int)(sizeof logreg_params / sizeof logreg_params[0]),
    .fit = logreg_fit,
    .predict = logreg_predict,
    .predict_proba = logreg_predict_proba,
    .save = logreg_save,
    .load = logreg_load,
    .describe = logreg_describe,
    .destroy = logreg_destroy,
};
