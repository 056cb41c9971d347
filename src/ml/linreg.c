/* Linear regression "linreg": ordinary least squares or ridge.
 *
 * Minimises  sum_i sw_i (y_i - x_i.w - b)^2 + alpha ||w||^2  (intercept b
 * not penalised), exactly scikit-learn's LinearRegression (alpha = 0) and
 * Ridge. Solvers:
 *   lstsq  centre X and y (sw-weighted), solve the d x d normal equations
 *          by Cholesky (LAPACKE_dposv); when the Gram matrix is singular or
 *          badly conditioned (rcond < 1e-8, so the squared condition would
 *          cost accuracy) fall back to SVD least squares (LAPACKE_dgelsd,
 *          the minimum-norm solution, like sklearn) on the centred design.
 *   gd     accelerated full-batch gradient descent on the same objective
 *          divided by 2 sum(sw) (src/ml/optim.c); step from the curvature.
 *   sgd    mini-batch SGD, batch_size rows, 1/sqrt(epoch) step decay and
 *          per-epoch iterate averaging; max_iter counts epochs.
 * gd and sgd report the objective to the progress callback each epoch. */
#include "lathe/model.h"
#include "optim.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SOLVER_LSTSQ = 0, SOLVER_GD, SOLVER_SGD };

typedef struct linreg {
    lt_model base;
    int solver, fit_intercept, max_iter, batch_size;
    double alpha, tol, learning_rate;
    float *coef;     /* (d) */
    float intercept;
    int n_iter, converged;
} linreg;

static const lt_param_spec linreg_params[] = {
    {"solver", LT_PARAM_CHOICE, offsetof(linreg, solver), SOLVER_LSTSQ, 0, 0, "lstsq|gd|sgd",
     "lstsq: exact (Cholesky, SVD fallback); gd: gradient descent; sgd: mini-batch SGD"},
    {"alpha", LT_PARAM_FLOAT, offsetof(linreg, alpha), 0, 0, LT_PARAM_NOMAX, NULL,
     "L2 penalty alpha*||w||^2 (ridge); intercept not penalised"},
    {"fit_intercept", LT_PARAM_BOOL, offsetof(linreg, fit_intercept), 1, 0, 1, NULL,
     "fit an intercept"},
    {"max_iter", LT_PARAM_INT, offsetof(linreg, max_iter), 0, 0, 1e8, NULL,
     "gd iterations / sgd epochs; 0 = auto (5000 gd, 200 sgd)"},
    {"tol", LT_PARAM_FLOAT, offsetof(linreg, tol), 1e-7, 0, LT_PARAM_NOMAX, NULL,
     "gd/sgd: stop when max |gradient| of the mean objective <= tol"},
    {"learning_rate", LT_PARAM_FLOAT, offsetof(linreg, learning_rate), 0, 0, LT_PARAM_NOMAX,
     NULL, "gd/sgd first step; 0 = from the curvature"},
    {"batch_size", LT_PARAM_INT, offsetof(linreg, batch_size), 32, 1, 1e9, NULL,
     "sgd mini-batch rows"},
};

/* ---- objective for gd/sgd: theta = [w (d), b] ------------------------- */

typedef struct lin_obj {
    const double *X, *y, *sw;  /* X: (n, d) centred; y: (n); sw: (n) or NULL */
    int64_t n, d;
    double S, lam;             /* sum of sw; alpha / S */
    int icpt;
    double *r;                 /* (n) residual workspace */
    double *Xb, *yb, *swb;     /* (cap, d), (cap), (cap) batch gather */
    int64_t cap;
} lin_obj;

/* f = scale/2 sum sw r^2 + lam/2 |w|^2, r = X w + b - y.
 * X: (m, d), theta: (d + icpt) -> g: (d + icpt). */
static double lin_core(lin_obj *o, const double *X, const double *y, const double *sw, int64_t m,
                       double scale, const double *th, double *g)
{
    const int64_t d = o->d;
    double b = o->icpt ? th[d] : 0, f = 0, gb = 0;
    lt_dgemm(0, 0, m, 1, d, 1.0, X, d, th, 1, 0.0, o->r, 1);  // r = X w
    for (int64_t i = 0; i < m; i++) {
        double ri = o->r[i] + b - y[i], wi = sw ? sw[i] : 1.0;
        f += wi * ri * ri;
        o->r[i] = wi * ri;
        gb += o->r[i];
    }
    lt_dgemm(1, 0, d, 1, m, scale, X, d, o->r, 1, 0.0, g, 1);  // g = scale X^T (sw r)
    double ww = 0;
    for (int64_t j = 0; j < d; j++) {
        g[j] += o->lam * th[j];
        ww += th[j] * th[j];
    }
    if (o->icpt)
        g[d] = scale * gb;
    return 0.5 * scale * f + 0.5 * o->lam * ww;
}

static double lin_fg(void *ctx, const double *th, double *g)
{
    lin_obj *o = ctx;
    return lin_core(o, o->X, o->y, o->sw, o->n, 1.0 / o->S, th, g);
}

static double lin_fg_batch(void *ctx, const double *th, const int64_t *rows, int64_t nb,
                           double *g)
{
    lin_obj *o = ctx;
    for (int64_t k = 0; k < nb; k++) {
        memcpy(o->Xb + k * o->d, o->X + rows[k] * o->d, sizeof(double) * (size_t)o->d);
        o->yb[k] = o->y[rows[k]];
        o->swb[k] = o->sw ? o->sw[rows[k]] : 1.0;
    }
    return lin_core(o, o->Xb, o->yb, o->swb, nb, (double)o->n / ((double)nb * o->S), th, g);
}

/* H v = (1/S) X^T diag(sw) (X v_w + v_b) + lam v_w (constant Hessian). */
static void lin_hv(void *ctx, const double *v, double *hv)
{
    lin_obj *o = ctx;
    const int64_t d = o->d;
    double vb = o->icpt ? v[d] : 0, sb = 0;
    lt_dgemm(0, 0, o->n, 1, d, 1.0, o->X, d, v, 1, 0.0, o->r, 1);
    for (int64_t i = 0; i < o->n; i++) {
        o->r[i] = (o->r[i] + vb) * (o->sw ? o->sw[i] : 1.0);
        sb += o->r[i];
    }
    lt_dgemm(1, 0, d, 1, o->n, 1.0 / o->S, o->X, d, o->r, 1, 0.0, hv, 1);
    for (int64_t j = 0; j < d; j++)
        hv[j] += o->lam * v[j];
    if (o->icpt)
        hv[d] = sb / o->S;
}

/* ---- lstsq ---------------------------------------------------------------- */

/* The centred, weighted rows sqrt(sw_i) (x_i - mean) of X (n, d) for rows
 * [i0, i0 + nb) into B (nb, d), and sqrt(sw_i) yc_i into t (nb). */
static void lin_rows(const float *X, const double *yc, const double *sw, const double *mean,
                     int64_t d, int64_t i0, int64_t nb, double *B, double *t)
{
    for (int64_t r = 0; r < nb; r++) {
        int64_t i = i0 + r;
        double s = sw ? sqrt(sw[i]) : 1.0;
        for (int64_t j = 0; j < d; j++)
            B[r * d + j] = s * ((double)X[i * d + j] - mean[j]);
        t[r] = s * yc[i];
    }
}

/* Solve for w (d) on X (n, d) centred by mean (d), and the centred yc (n). */
static int lin_lstsq(const linreg *m, const float *X, const double *yc, const double *sw,
                     const double *mean, int64_t n, int64_t d, double *w)
{
    // The normal equations A = S^T S + alpha I (d, d), w = S^T t (d) for the
    // rows S = sqrt(sw) (X - mean), t = sqrt(sw) yc, accumulated over blocks
    // of ~128 KB: no n x d double copy (whose fresh pages cost more than the
    // arithmetic here). Only the SVD fallback below builds the whole S.
    int64_t nb = 16384 / (d > 0 ? d : 1);
    nb = nb < 64 ? 64 : nb;
    double *A = lt_calloc((size_t)(2 * d * d + d), sizeof(double));
    double *Bk = lt_malloc(sizeof(double) * (size_t)(nb * (d + 1)));
    if (!A || !Bk) {
        free(A);
        free(Bk);
        return LT_ENOMEM;
    }
    double *A0 = A + d * d, *sv = A0 + d * d, *tk = Bk + nb * d;
    for (int64_t i0 = 0; i0 < n; i0 += nb) {
        int64_t k = n - i0 < nb ? n - i0 : nb;
        lin_rows(X, yc, sw, mean, d, i0, k, Bk, tk);
        double beta = i0 ? 1.0 : 0.0;
        lt_dgemm(1, 0, d, d, k, 1.0, Bk, d, Bk, d, beta, A, d);
        lt_dgemm(1, 0, d, 1, k, 1.0, Bk, d, tk, 1, beta, w, 1);
    }
    free(Bk);
    for (int64_t j = 0; j < d; j++)
        A[j * d + j] += m->alpha;
    // Columns that are identically zero after centring (constant sensors,
    // common in C-MAPSS) carry nothing: solve without them, weight 0 (the
    // minimum-norm answer), so Cholesky still applies instead of the SVD.
    // Compacting in place is safe: act[] increases, so reads stay ahead of writes.
    int64_t *act = (int64_t *)A0, da = 0;
    for (int64_t j = 0; j < d; j++)
        if (A[j * d + j] > 0)
            act[da++] = j;
    for (int64_t r = 0; r < da; r++) {
        for (int64_t c = 0; c < da; c++)
            A[r * da + c] = A[act[r] * d + act[c]];
        w[r] = w[act[r]];
    }
    double anorm = LAPACKE_dlange(LAPACK_ROW_MAJOR, '1', (lapack_int)da, (lapack_int)da, A,
                                  (lapack_int)da);
    int info = da ? LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)da, 1, A, (lapack_int)da, w, 1)
                  : 0;
    double rcond = da ? 0 : 1;
    if (info == 0 && da)
        LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', (lapack_int)da, A, (lapack_int)da, anorm, &rcond);
    if (info == 0 && rcond >= 1e-12 * 1e4) {
        for (int64_t r = da - 1; r >= 0; r--) {
            double v = w[r];
            for (int64_t j = r == da - 1 ? d - 1 : act[r + 1] - 1; j > act[r]; j--)
                w[j] = 0;
            w[act[r]] = v;
        }
        for (int64_t j = da ? act[0] - 1 : d - 1; j >= 0; j--)
            w[j] = 0;
    }
    int rc = LT_OK;
    // Features arrive as float32: a direction of X below ~1e-6 of its
    // largest (collinear one-hot columns next to the intercept, constant
    // sensors) is rounding noise, and Cholesky would fit huge cancelling
    // weights to it. The Gram matrix squares the condition, hence 1e-12 ~ (1e-6)^2.
    if (info != 0 || rcond < 1e-12 * 1e4) {
        // Ridge as an augmented least-squares problem: rows n..n+d-1 hold sqrt(alpha) I.
        int64_t rows = n + (m->alpha > 0 ? d : 0), ldb = rows > d ? rows : d;
        double *B = lt_calloc((size_t)(rows * d + ldb), sizeof(double)), *tb = B + rows * d;
        if (!B) {
            free(A);
            return LT_ENOMEM;
        }
        lin_rows(X, yc, sw, mean, d, 0, n, B, tb);
        if (m->alpha > 0) {
            double sa = sqrt(m->alpha);
            for (int64_t j = 0; j < d; j++)
                B[(n + j) * d + j] = sa;  // tb[n + j] is already 0
        }
        lapack_int rank;
        info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)d, 1, B,
                              (lapack_int)d, tb, 1, sv, 1e-6, &rank);  // drop noise directions
        if (info != 0)
            rc = lt_error(LT_EINVAL, "linreg: SVD least squares did not converge (info %d)",
                          (int)info);
        else
            memcpy(w, tb, sizeof(double) * (size_t)d);
        free(B);
    }
    free(A);
    return rc;
}

static void linreg_destroy(lt_model *mm)
{
    linreg *m = (linreg *)mm;
    free(m->coef);
    m->coef = NULL;
}

static int linreg_fit(lt_model *mm, const float *Xf, int64_t n, int64_t d, const float *yf,
                      const float *wf)
{
    linreg *m = (linreg *)mm;
    int64_t dim = d + (m->fit_intercept ? 1 : 0);
    double *mem = lt_calloc((size_t)(3 * n + 2 * d + dim + 8), sizeof(double));
    double *Xc = NULL;
    float *coef = lt_malloc(sizeof(float) * (size_t)d);
    if (!mem || !coef) {
        free(mem);
        free(coef);
        return LT_ENOMEM;
    }
    double *y = mem, *sw = y + n, *r = sw + n, *mean = r + n, *th = mean + d;
    double S = 0, ymean = 0;
    for (int64_t i = 0; i < n; i++) {
        sw[i] = wf ? wf[i] : 1.0;
        S += sw[i];
        ymean += sw[i] * yf[i];
    }
    ymean = m->fit_intercept ? ymean / S : 0;
    for (int64_t i = 0; i < n; i++)
        y[i] = yf[i] - ymean;
    int rc = LT_OK;
    m->n_iter = 0;
    m->converged = 1;
    double b = 0;
    if (m->solver == SOLVER_LSTSQ) {
        if (m->fit_intercept)
            lt_ml_means(Xf, n, d, wf ? sw : NULL, mean);
        rc = lin_lstsq(m, Xf, y, wf ? sw : NULL, mean, n, d, th);
    } else if (!(rc = lt_ml_design(Xf, n, d, wf ? sw : NULL, m->fit_intercept, &Xc, mean))) {
        int64_t cap = m->solver == SOLVER_SGD ? (m->batch_size < n ? m->batch_size : n) : 0;
        double *bat = cap ? lt_malloc(sizeof(double) * (size_t)(cap * (d + 2))) : NULL;
        if (cap && !bat) {
            rc = LT_ENOMEM;
            goto out;
        }
        lin_obj o = {Xc, y, wf ? sw : NULL, n, d, S, m->alpha / S, m->fit_intercept, r,
                     bat, bat ? bat + cap * d : NULL, bat ? bat + cap * (d + 1) : NULL, cap};
        lt_objective obj = {dim, &o, lin_fg, lin_hv, lin_fg_batch, n, cap};
        lt_optim_opts oo = lt_optim_opts_default();
        oo.max_iter = m->max_iter ? m->max_iter : (m->solver == SOLVER_GD ? 5000 : 200);
        oo.gtol = m->tol;
        oo.learning_rate = m->learning_rate;
        oo.batch_size = m->batch_size;
        oo.progress = mm->progress;
        oo.progress_user = mm->progress_user;
        lt_rng rng;
        lt_rng_seed(&rng, mm->seed);
        oo.rng = &rng;
        lt_optim_result res = {0};
        rc = m->solver == SOLVER_GD ? lt_gd_minimize(&obj, th, &oo, &res)
                                    : lt_sgd_minimize(&obj, th, &oo, &res);
        free(bat);
        m->n_iter = res.iters;
        m->converged = res.converged;
        b = m->fit_intercept ? th[d] : 0;
        if (rc)
            lt_error_wrap(rc, "linreg: ");
    }
    if (rc)
        goto out;
    // Back to the raw features: y = (x - mean).w + b + ymean.
    double icpt = ymean + b;
    for (int64_t j = 0; j < d; j++) {
        coef[j] = (float)th[j];
        icpt -= mean[j] * th[j];
    }
    free(m->coef);
    m->coef = coef;
    coef = NULL;
    m->intercept = (float)icpt;
out:
    free(coef);
    free(Xc);
    free(mem);
    return rc;
}

/* out (n) = X (n, d) coef (d) + intercept */
static int linreg_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const linreg *m = (const linreg *)mm;
    lt_sgemv(0, n, mm->nfeat, 1.0f, X, mm->nfeat, m->coef, 0.0f, out);
    for (int64_t i = 0; i < n; i++)
        out[i] += m->intercept;
    return LT_OK;
}

static int linreg_save(const lt_model *mm, lt_state *st)
{
    const linreg *m = (const linreg *)mm;
    int64_t shape[1] = {mm->nfeat}, one[1] = {1};
    int rc = lt_state_put(st, "coef", 1, shape, m->coef);
    return rc ? rc : lt_state_put(st, "intercept", 1, one, &m->intercept);
}

static int linreg_load(lt_model *mm, const lt_state *st)
{
    linreg *m = (linreg *)mm;
    int64_t shape[1] = {mm->nfeat}, one[1] = {1};
    const lt_tensor *c, *b;
    int rc = lt_state_expect(st, "coef", 1, shape, &c);
    if (rc || (rc = lt_state_expect(st, "intercept", 1, one, &b)))
        return rc;
    float *coef = lt_malloc(sizeof(float) * (size_t)mm->nfeat);
    if (!coef)
        return LT_ENOMEM;
    memcpy(coef, c->data, sizeof(float) * (size_t)mm->nfeat);
    free(m->coef);
    m->coef = coef;
    m->intercept = b->data[0];
    return LT_OK;
}

static char *linreg_describe(const lt_model *mm)
{
    const linreg *m = (const linreg *)mm;
    char buf[128];
    snprintf(buf, sizeof buf, "{\"n_iter\":%d,\"converged\":%s,\"intercept\":%.9g}", m->n_iter,
             m->converged ? "true" : "false", (double)m->intercept);
    return lt_strdup(buf);
}

const lt_model_vtable lt_linreg_vtable = {
    .name = "linreg",
    .summary = "linear regression: least squares or ridge (lstsq, gd, sgd)",
    .supports_regression = 1,
    .supports_classification = 0,
    .unsupervised_task = 0,
    .size = sizeof(linreg),
    .params = linreg_params,
    .nparams = (int)(sizeof linreg_params / sizeof linreg_params[0]),
    .fit = linreg_fit,
    .predict = linreg_predict,
    .predict_proba = NULL,
    .save = linreg_save,
    .load = linreg_load,
    .describe = linreg_describe,
    .destroy = linreg_destroy,
};
