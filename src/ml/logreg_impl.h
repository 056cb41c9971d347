/* Private to logreg: the L2-regularised logistic loss as an lt_objective,
 * and the full-Hessian Newton solver that uses it.
 *
 * Objective, divided by the sum S of the sample weights (sw already holds
 * sample weight * class weight), so that `tol` means the same at any n:
 *   f(theta) = (1/S) sum_i sw_i loss_i(theta) + (lam/2) ||W||^2,  lam = 1/(C S)
 * which has the same minimiser as scikit-learn's 0.5||W||^2 + C sum sw loss.
 * Binary (K = 1): loss = log(1 + e^z) - y z,  z = x.w + b,  y in {0, 1}.
 * Multinomial (K = nclass): loss = logsumexp(z) - z_y,  z = W x + b.
 * theta = [W (K, d) row-major, b (K) if fit_intercept]; b is not penalised. */
#ifndef LATHE_ML_LOGREG_IMPL_H
#define LATHE_ML_LOGREG_IMPL_H

#include "optim.h"

typedef struct lr_obj {
    const double *X;     /* (n, d) design, centred when icpt */
    const double *sw;    /* (n) sample * class weights */
    const int32_t *y;    /* (n) class index */
    int64_t n, d;
    int K, icpt;
    double S, lam;
    double *P;           /* (n, K) probabilities at the last full fg (hv uses them) */
    double *R;           /* (n, K) weighted residuals / hv workspace */
    double *Xb, *swb;    /* (cap, d), (cap) mini-batch gather */
    int32_t *yb;         /* (cap) */
    double *Pb, *Rb;     /* (cap, K) mini-batch scores */
    int64_t cap;
} lr_obj;

static inline int64_t lr_dim(const lr_obj *o) { return (int64_t)o->K * (o->d + o->icpt); }

/* Binary logistic link over m rows (logreg_link.c): on entry P holds the
 * margins z - b0, on return the probabilities; R = sw (p - y); returns the
 * weighted loss sum. */
double lr_binary_link(double *P, double b0, const int32_t *y, const double *sw, int64_t m,
                      double *R);
double lr_fg(void *ctx, const double *theta, double *g);
void lr_hv(void *ctx, const double *v, double *hv);
double lr_fg_batch(void *ctx, const double *theta, const int64_t *rows, int64_t nb, double *g);

/* Newton with the full Hessian (dim x dim, Cholesky through LAPACKE_dposv)
 * and an Armijo backtracking line search. */
int lr_newton(lr_obj *o, double *theta, const lt_optim_opts *opts, lt_optim_result *res);

#endif
