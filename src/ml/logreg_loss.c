/* The logistic loss of logreg (see logreg_impl.h for the objective): value
 * and gradient, Hessian-vector product, mini-batch estimate, and a Newton
 * solver with the full Hessian. All products over rows go through the GEMM
 * door; the per-row loops only apply the link function. */
#include "logreg_impl.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y (m) = A (m, n) x, or A^T x when trans. The one matrix-vector product of
 * the binary loss. lt_dgemm with one column costs 3x more here (OpenBLAS
 * 0.3.21 does not send N = 1 to gemv: 100 us against 35 us on 10k x 8),
 * and the product dominates every L-BFGS step, so it calls gemv itself. */
static inline void dgemv(int trans, int64_t m, int64_t n, double alpha, const double *A,
                         const double *x, double *y)
{
    cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, alpha,
                A, (blasint)n, x, 1, 0.0, y, 1);
}

/* Loss over m rows with data-term weight `scale` (1/S for the full sum).
 * X: (m, d), theta -> P: (m, K) probabilities, R: (m, K) = sw (P - onehot),
 * g: (dim). */
static double lr_core(const lr_obj *o, const double *X, const double *sw, const int32_t *y,
                      int64_t m, double scale, const double *th, double *g, double *P, double *R)
{
    const int64_t d = o->d;
    const int K = o->K;
    const double *W = th, *b = o->icpt ? th + (int64_t)K * d : NULL;
    double f = 0;
    if (K == 1) {
        dgemv(0, m, d, 1.0, X, W, P);  // z = X w
        double b0 = b ? b[0] : 0;
        f = lr_binary_link(P, b0, y, sw, m, R);  // P: z -> p; R = sw (p - y)
    } else {
        lt_dgemm(0, 1, m, K, d, 1.0, X, d, W, d, 0.0, P, K);  // Z = X W^T
        for (int64_t i = 0; i < m; i++) {
            double *z = P + i * K, *r = R + i * K, zmax = -INFINITY, se = 0;
            for (int k = 0; k < K; k++) {
                z[k] += b ? b[k] : 0;
                zmax = fmax(zmax, z[k]);
            }
            for (int k = 0; k < K; k++)
                se += exp(z[k] - zmax);
            double lse = zmax + log(se);
            f += sw[i] * (lse - z[y[i]]);
            for (int k = 0; k < K; k++) {
                z[k] = exp(z[k] - lse);
                r[k] = sw[i] * (z[k] - (k == y[i]));
            }
        }
    }
    // G_W (K, d) = scale R^T X + lam W;  g_b (K) = scale colsum(R)
    if (K == 1)
        dgemv(1, m, d, scale, X, R, g);
    else
        lt_dgemm(1, 0, K, d, m, scale, R, K, X, d, 0.0, g, d);
    double ww = 0;
    for (int64_t j = 0; j < (int64_t)K * d; j++) {
        g[j] += o->lam * W[j];
        ww += W[j] * W[j];
    }
    if (b) {
        double *gb = g + (int64_t)K * d;
        for (int k = 0; k < K; k++)
            gb[k] = 0;
        for (int64_t i = 0; i < m; i++)
            for (int k = 0; k < K; k++)
                gb[k] += R[i * K + k];
        for (int k = 0; k < K; k++)
            gb[k] *= scale;
    }
    return scale * f + 0.5 * o->lam * ww;
}

double lr_fg(void *ctx, const double *th, double *g)
{
    lr_obj *o = ctx;
    return lr_core(o, o->X, o->sw, o->y, o->n, 1.0 / o->S, th, g, o->P, o->R);
}

double lr_fg_batch(void *ctx, const double *th, const int64_t *rows, int64_t nb, double *g)
{
    lr_obj *o = ctx;
    for (int64_t k = 0; k < nb; k++) {
        memcpy(o->Xb + k * o->d, o->X + rows[k] * o->d, sizeof(double) * (size_t)o->d);
        o->swb[k] = o->sw[rows[k]];
        o->yb[k] = o->y[rows[k]];
    }
    double scale = (double)o->n / ((double)nb * o->S);
    return lr_core(o, o->Xb, o->swb, o->yb, nb, scale, th, g, o->Pb, o->Rb);
}

/* H v at the last full fg.  U = X V^T + v_b (n, K);
 * binary Q = sw p(1-p) U;  multinomial Q_k = sw p_k (U_k - p.U);
 * hv_W = (1/S) Q^T X + lam V,  hv_b = (1/S) colsum(Q). */
void lr_hv(void *ctx, const double *v, double *hv)
{
    lr_obj *o = ctx;
    const int64_t n = o->n, d = o->d;
    const int K = o->K;
    const double *vb = o->icpt ? v + (int64_t)K * d : NULL;
    double *U = o->R;  // R is free between fg calls
    if (K == 1)
        dgemv(0, n, d, 1.0, o->X, v, U);
    else
        lt_dgemm(0, 1, n, K, d, 1.0, o->X, d, v, d, 0.0, U, K);
    for (int64_t i = 0; i < n; i++) {
        double *u = U + i * K;
        const double *p = o->P + i * K;
        if (vb)
            for (int k = 0; k < K; k++)
                u[k] += vb[k];
        if (K == 1) {
            u[0] *= o->sw[i] * p[0] * (1 - p[0]);
        } else {
            double pu = 0;
            for (int k = 0; k < K; k++)
                pu += p[k] * u[k];
            for (int k = 0; k < K; k++)
                u[k] = o->sw[i] * p[k] * (u[k] - pu);
        }
    }
    if (K == 1)
        dgemv(1, n, d, 1.0 / o->S, o->X, U, hv);
    else
        lt_dgemm(1, 0, K, d, n, 1.0 / o->S, U, K, o->X, d, 0.0, hv, d);
    for (int64_t j = 0; j < (int64_t)K * d; j++)
        hv[j] += o->lam * v[j];
    if (vb) {
        double *hb = hv + (int64_t)K * d;
        for (int k = 0; k < K; k++)
            hb[k] = 0;
        for (int64_t i = 0; i < n; i++)
            for (int k = 0; k < K; k++)
                hb[k] += U[i * K + k];
        for (int k = 0; k < K; k++)
            hb[k] /= o->S;
    }
}

/* Full Hessian at the last fg into H (dim, dim). T: (n, d) workspace.
 * Block (k, l) of the data term is X^T diag(c_kl) X with
 * c_kl = sw p_k (delta_kl - p_l) / S (binary: sw p (1 - p) / S); the
 * intercept rows/columns are the column sums of diag(c_kl) X and sum c_kl. */
static void lr_hessian(const lr_obj *o, double *H, double *T, double *blk, double *c)
{
    const int64_t n = o->n, d = o->d, K = o->K, dim = lr_dim(o), off = K * d;
    for (int64_t k = 0; k < K; k++) {
        for (int64_t l = k; l < K; l++) {
            double csum = 0;
            for (int64_t i = 0; i < n; i++) {
                const double *p = o->P + i * K;
                c[i] = K == 1 ? o->sw[i] * p[0] * (1 - p[0])
                              : o->sw[i] * p[k] * ((k == l) - p[l]);
                c[i] /= o->S;
                csum += c[i];
                for (int64_t j = 0; j < d; j++)
                    T[i * d + j] = c[i] * o->X[i * d + j];
            }
            lt_dgemm(1, 0, d, d, n, 1.0, o->X, d, T, d, 0.0, blk, d);  // (d, d)
            for (int64_t a = 0; a < d; a++)
                for (int64_t bb = 0; bb < d; bb++) {
                    H[(k * d + a) * dim + l * d + bb] = blk[a * d + bb];
                    H[(l * d + bb) * dim + k * d + a] = blk[a * d + bb];
                }
            if (o->icpt) {
                for (int64_t a = 0; a < d; a++) {
                    double s = 0;
                    for (int64_t i = 0; i < n; i++)
                        s += T[i * d + a];
                    H[(k * d + a) * dim + off + l] = H[(off + l) * dim + k * d + a] = s;
                    H[(l * d + a) * dim + off + k] = H[(off + k) * dim + l * d + a] = s;
                }
                H[(off + k) * dim + off + l] = H[(off + l) * dim + off + k] = csum;
            }
        }
    }
    for (int64_t j = 0; j < off; j++)
        H[j * dim + j] += o->lam;
}

int lr_newton(lr_obj *o, double *th, const lt_optim_opts *opts, lt_optim_result *res)
{
    const int64_t n = o->n, d = o->d, dim = lr_dim(o);
    // work: H, H0 (dim^2), T (n d), blk (d^2), c (n), g, step, xt, gt (dim)
    double *work = lt_malloc(sizeof(double) *
                             (size_t)(2 * dim * dim + n * d + d * d + n + 4 * dim));
    if (!work)
        return LT_ENOMEM;
    double *H = work, *H0 = H + dim * dim, *T = H0 + dim * dim, *blk = T + n * d;
    double *c = blk + d * d, *g = c + n, *p = g + dim, *xt = p + dim, *gt = xt + dim;
    memset(res, 0, sizeof *res);
    int rc = LT_OK;
    double f = lr_fg(o, th, g);
    res->nfev = 1;
    for (int it = 1; it <= opts->max_iter; it++) {
        double gmax = 0;
        for (int64_t j = 0; j < dim; j++)
            gmax = fmax(gmax, fabs(g[j]));
        if (gmax <= opts->gtol) {
            res->converged = 1;
            break;
        }
        lr_hessian(o, H, T, blk, c);
        double dmax = 0;
        for (int64_t j = 0; j < dim; j++)
            dmax = fmax(dmax, H[j * dim + j]);
        // The multinomial intercepts can all shift by one constant without
        // changing the loss: a tiny ridge there keeps the Cholesky defined.
        if (o->K > 1 && o->icpt)
            for (int64_t k = 0; k < o->K; k++)
                H[(o->K * d + k) * dim + o->K * d + k] += 1e-10 * dmax;
        memcpy(H0, H, sizeof(double) * (size_t)(dim * dim));
        double jitter = 1e-10 * (dmax > 0 ? dmax : 1.0);
        int info = 1;
        for (int attempt = 0; attempt < 8 && info != 0; attempt++) {
            if (attempt > 0) {  // not positive definite numerically: damp it
                memcpy(H, H0, sizeof(double) * (size_t)(dim * dim));
                for (int64_t j = 0; j < dim; j++)
                    H[j * dim + j] += jitter;
                jitter *= 100;
            }
            for (int64_t j = 0; j < dim; j++)
                p[j] = -g[j];
            info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)dim, 1, H, (lapack_int)dim, p,
                                 1);
        }
        if (info != 0) {
            rc = lt_error(LT_EINVAL, "newton: Hessian is not positive definite (info %d)",
                          (int)info);
            break;
        }
        // Armijo backtracking from the full Newton step.
        double gp = 0;
        for (int64_t j = 0; j < dim; j++)
            gp += g[j] * p[j];
        double t = 1, ft = f;
        int ok = 0;
        for (int bt = 0; bt < 40; bt++) {
            for (int64_t j = 0; j < dim; j++)
                xt[j] = th[j] + t * p[j];
            ft = lr_fg(o, xt, gt);
            res->nfev++;
            if (isfinite(ft) && ft <= f + 1e-4 * t * gp) {
                ok = 1;
                break;
            }
            t *= 0.5;
        }
        res->iters = it;
        if (!ok) {  // no decrease possible: at the precision limit
            lr_fg(o, th, g);
            res->nfev++;
            break;
        }
        double fold = f;
        memcpy(th, xt, sizeof(double) * (size_t)dim);
        memcpy(g, gt, sizeof(double) * (size_t)dim);
        f = ft;
        if (opts->progress)
            opts->progress(opts->progress_user, it, opts->max_iter, f);
        if (fold - f <= opts->ftol * fmax(fabs(f), 1.0)) {
            res->converged = 1;
            break;
        }
    }
    double gmax = 0;
    for (int64_t j = 0; j < dim; j++)
        gmax = fmax(gmax, fabs(g[j]));
    if (gmax <= opts->gtol)
        res->converged = 1;
    res->f = f;
    res->gmax = gmax;
    free(work);
    return rc;
}
