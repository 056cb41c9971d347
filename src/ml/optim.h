/* Private: smooth unconstrained minimisers over small objective objects, in
 * the spirit of liblinear's function classes. A model describes its loss as
 * an lt_objective (value + gradient, optionally a Hessian-vector product and
 * a mini-batch gradient) and hands it to L-BFGS, accelerated gradient
 * descent or mini-batch SGD. Every minimiser allocates its workspace once,
 * before its first iteration; nothing is allocated inside the loop. */
#ifndef LATHE_ML_OPTIM_H
#define LATHE_ML_OPTIM_H

#include "lathe/core.h"
#include "lathe/model.h"

typedef struct lt_objective {
    int64_t dim;  /* length of the parameter vector x */
    void *ctx;
    /* f(x); writes g = grad f(x) (dim). Remembers x for hv. */
    double (*fg)(void *ctx, const double *x, double *g);
    /* hv = H(x_last) v, H at the x of the last fg call. May be NULL. */
    void (*hv)(void *ctx, const double *v, double *hv);
    /* Unbiased estimate of f and grad f from the rows rows[0..nb-1]
     * (nb <= batch_cap). May be NULL (then SGD is unavailable). */
    double (*fg_batch)(void *ctx, const double *x, const int64_t *rows, int64_t nb, double *g);
    int64_t nrows;      /* rows the batch estimate samples from */
    int64_t batch_cap;  /* largest nb fg_batch accepts */
} lt_objective;

typedef struct lt_optim_opts {
    int max_iter;        /* iterations (L-BFGS, GD) or epochs (SGD) */
    double gtol;         /* stop when max_i |g_i| <= gtol */
    double ftol;         /* stop when the relative decrease of f is below ftol */
    int history;         /* L-BFGS memory m */
    double learning_rate;/* GD: first step, SGD: eta0; 0 = from the curvature */
    int64_t batch_size;  /* SGD */
    lt_rng *rng;         /* SGD shuffling */
    lt_progress_fn progress;
    void *progress_user;
} lt_optim_opts;

typedef struct lt_optim_result {
    int iters;      /* iterations / epochs done */
    int nfev;       /* objective evaluations */
    double f;       /* final objective */
    double gmax;    /* final max |g_i| */
    int converged;  /* 1 if a tolerance was met */
} lt_optim_result;

lt_optim_opts lt_optim_opts_default(void);

/* Each minimises obj from x (in/out). LT_ENOMEM, or LT_EINVAL when the
 * objective turns non-finite; not converging within max_iter is not an
 * error (res->converged = 0). */
int lt_lbfgs_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                      lt_optim_result *res);
int lt_gd_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                   lt_optim_result *res);
int lt_sgd_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                    lt_optim_result *res);

/* Largest eigenvalue of H(x) by power iteration through obj->hv (fg must
 * have been called at x). work: 2 * dim doubles. */
double lt_optim_curvature(const lt_objective *obj, double *work, int iters);

/* Design matrix in double for the solvers: Xd (n x d) = X - mean, where
 * mean (d) is the sw-weighted column mean when `centre` (else zeros and
 * Xd = X). sw may be NULL (unit weights). Caller frees *Xd. Centring keeps
 * the unpenalised intercept decoupled from the weights, so the solvers
 * see a better conditioned problem with the same minimiser. */
int lt_ml_design(const float *X, int64_t n, int64_t d, const double *sw, int centre,
                 double **Xd, double *mean);
/* mean (d) = the sw-weighted column means of X (n, d); sw may be NULL. */
void lt_ml_means(const float *X, int64_t n, int64_t d, const double *sw, double *mean);

#endif
