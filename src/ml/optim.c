/* Smooth minimisers over lt_objective: L-BFGS with a strong-Wolfe line
 * search (Nocedal & Wright, algorithms 3.5/3.6 with cubic interpolation),
 * accelerated gradient descent with backtracking (FISTA-style, restarted
 * when f goes up), and mini-batch SGD with Polyak-Ruppert averaging and a
 * step halved on plateaus. Workspaces are allocated once per call. */
#include "optim.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

lt_optim_opts lt_optim_opts_default(void)
{
    lt_optim_opts o = {0};
    o.max_iter = 100;
    o.gtol = 1e-4;
    o.ftol = 64 * DBL_EPSILON;
    o.history = 10;
    o.batch_size = 32;
    return o;
}

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double amax(const double *a, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

static void axpy_to(double *out, const double *x, double t, const double *d, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = x[i] + t * d[i];
}

/* Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside
 * [lo + 0.1 w, hi - 0.1 w] of the bracket; bisection when it is unusable. */
static double cubic_step(double a, double fa, double da, double b, double fb, double db)
{
    double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo;
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    double t = 0.5 * (a + b);
    if (disc >= 0) {
        double d2 = copysign(sqrt(disc), b - a);
        double den = db - da + 2 * d2;
        if (den != 0) {
            double c = b - (b - a) * (db + d2 - d1) / den;
            if (isfinite(c))
                t = c;
        }
    }
    if (t < lo + 0.1 * w || t > hi - 0.1 * w)
        t = 0.5 * (a + b);
    return t;
}

typedef struct ls_ctx {
    const lt_objective *obj;
    const double *x0, *d;
    double *x, *g;
    int64_t n;
    double f0, dg0;
    int nfev;
} ls_ctx;

static double ls_eval(ls_ctx *c, double t, double *dg)
{
    axpy_to(c->x, c->x0, t, c->d, c->n);
    double f = c->obj->fg(c->obj->ctx, c->x, c->g);
    c->nfev++;
    *dg = dot(c->g, c->d, c->n);
    return f;
}

/* Strong Wolfe line search from x0 along d. On success x, g and *f hold the
 * accepted point (the last evaluation). Returns 0 on success, 1 when no
 * acceptable step was found (x, g then hold the best decreasing point if
 * any, else x0 is restored by the caller). */
static int line_search(ls_ctx *c, double t, double *f)
{
    const double c1 = 1e-4, c2 = 0.9;
    const int max_eval = 25;
    double t_prev = 0, f_prev = c->f0, dg_prev = c->dg0;
    double lo = 0, f_lo = 0, dg_lo = 0, hi = 0, f_hi = 0, dg_hi = 0;
    int zoom = 0;
    for (int i = 0; i < max_eval; i++) {
        double dg, ft = ls_eval(c, t, &dg);
        if (!isfinite(ft)) {  // overshoot into overflow: shrink
            t = 0.5 * (t_prev + t);
            continue;
        }
        if (ft > c->f0 + c1 * t * c->dg0 || (i > 0 && ft >= f_prev)) {
            lo = t_prev, f_lo = f_prev, dg_lo = dg_prev;
            hi = t, f_hi = ft, dg_hi = dg;
            zoom = 1;
            break;
        }
        if (fabs(dg) <= -c2 * c->dg0) {
            *f = ft;
            return 0;
        }
        if (dg >= 0) {
            lo = t, f_lo = ft, dg_lo = dg;
            hi = t_prev, f_hi = f_prev, dg_hi = dg_prev;
            zoom = 1;
            break;
        }
        t_prev = t, f_prev = ft, dg_prev = dg;
        t *= 2.5;
    }
    if (!zoom)
        return 1;
    for (int i = 0; i < max_eval; i++) {
        double tt = cubic_step(lo, f_lo, dg_lo, hi, f_hi, dg_hi);
        double dg, ft = ls_eval(c, tt, &dg);
        if (!isfinite(ft) || ft > c->f0 + c1 * tt * c->dg0 || ft >= f_lo) {
            hi = tt, f_hi = isfinite(ft) ? ft : DBL_MAX, dg_hi = isfinite(dg) ? dg : 0;
        } else {
            if (fabs(dg) <= -c2 * c->dg0) {
                *f = ft;
                return 0;
            }
            if (dg * (hi - lo) >= 0)
                hi = lo, f_hi = f_lo, dg_hi = dg_lo;
            lo = tt, f_lo = ft, dg_lo = dg;
        }
        if (fabs(hi - lo) <= 1e-12 * fmax(1.0, fabs(lo)))
            break;
    }
    // Bracket collapsed: accept the sufficient-decrease end if it moved.
    if (lo > 0 && f_lo < c->f0) {
        double dg;
        *f = ls_eval(c, lo, &dg);
        return 0;
    }
    return 1;
}

static void report(const lt_optim_opts *o, int it, double f)
{
    if (o->progress)
        o->progress(o->progress_user, it, o->max_iter, f);
}

int lt_lbfgs_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                      lt_optim_result *res)
{
    const int64_t n = obj->dim;
    const int m = o->history > 0 ? o->history : 10;
    // work: g, x0, g0, d (n each), S, Y (m x n), rho, alpha (m)
    double *work = lt_malloc(sizeof(double) * (size_t)(4 * n + 2 * (int64_t)m * n + 2 * m));
    if (!work)
        return LT_ENOMEM;
    double *g = work, *x0 = g + n, *g0 = x0 + n, *d = g0 + n;
    double *S = d + n, *Y = S + (int64_t)m * n, *rho = Y + (int64_t)m * n, *alpha = rho + m;
    memset(res, 0, sizeof *res);

    double f = obj->fg(obj->ctx, x, g);
    res->nfev = 1;
    int rc = LT_OK, len = 0, head = 0;  // ring buffer of the last `len` pairs
    if (!isfinite(f)) {
        rc = lt_error(LT_EINVAL, "objective is not finite at the starting point");
        goto done;
    }
    for (int it = 1; it <= o->max_iter; it++) {
        if (amax(g, n) <= o->gtol) {
            res->converged = 1;
            break;
        }
        // Two-loop recursion: d = -H_k g.
        for (int64_t i = 0; i < n; i++)
            d[i] = -g[i];
        for (int j = 0; j < len; j++) {
            int k = (head - 1 - j + m) % m;
            alpha[k] = rho[k] * dot(S + (int64_t)k * n, d, n);
            axpy_to(d, d, -alpha[k], Y + (int64_t)k * n, n);
        }
        if (len > 0) {
            int k = (head - 1 + m) % m;
            double yy = dot(Y + (int64_t)k * n, Y + (int64_t)k * n, n);
            double gamma = 1.0 / (rho[k] * yy);
            for (int64_t i = 0; i < n; i++)
                d[i] *= gamma;
        }
        for (int j = len - 1; j >= 0; j--) {
            int k = (head - 1 - j + m) % m;
            double beta = rho[k] * dot(Y + (int64_t)k * n, d, n);
            axpy_to(d, d, alpha[k] - beta, S + (int64_t)k * n, n);
        }
        double dg0 = dot(g, d, n);
        if (!(dg0 < 0)) {  // not a descent direction: restart from steepest descent
            for (int64_t i = 0; i < n; i++)
                d[i] = -g[i];
            dg0 = dot(g, d, n);
            len = 0;
        }
        memcpy(x0, x, sizeof(double) * (size_t)n);
        memcpy(g0, g, sizeof(double) * (size_t)n);
        double t0 = len == 0 ? fmin(1.0, 1.0 / sqrt(dot(g, g, n))) : 1.0;
        ls_ctx c = {obj, x0, d, x, g, n, f, dg0, 0};
        double fnew = f;
        int fail = line_search(&c, t0, &fnew);
        res->nfev += c.nfev;
        res->iters = it;
        if (fail) {
            // Keep the last good point; a failed search at a tiny gradient
            // means we are at the precision limit, not an error.
            memcpy(x, x0, sizeof(double) * (size_t)n);
            memcpy(g, g0, sizeof(double) * (size_t)n);
            if (len > 0) {  // retry once with steepest descent next iteration
                len = 0;
                continue;
            }
            break;
        }
        double fold = f;
        f = fnew;
        report(o, it, f);
        // Curvature pair; skipped when s'y is not safely positive.
        double *s = S + (int64_t)head * n, *y = Y + (int64_t)head * n;
        for (int64_t i = 0; i < n; i++) {
            s[i] = x[i] - x0[i];
            y[i] = g[i] - g0[i];
        }
        double sy = dot(s, y, n);
        if (sy > 1e-10 * dot(y, y, n)) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % m;
            if (len < m)
                len++;
        }
        if (fold - f <= o->ftol * fmax(fmax(fabs(fold), fabs(f)), 1.0)) {
            res->converged = 1;
            break;
        }
    }
    if (amax(g, n) <= o->gtol)
        res->converged = 1;
done:
    res->f = f;
    res->gmax = amax(g, n);
    free(work);
    return rc;
}

int lt_gd_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                   lt_optim_result *res)
{
    const int64_t n = obj->dim;
    // work: g, y, gy, xn, gn (n each)
    double *work = lt_malloc(sizeof(double) * (size_t)(5 * n));
    if (!work)
        return LT_ENOMEM;
    double *g = work, *y = g + n, *gy = y + n, *xn = gy + n, *gn = xn + n;
    memset(res, 0, sizeof *res);
    int rc = LT_OK;
    double f = obj->fg(obj->ctx, x, g);
    res->nfev = 1;
    double L;  // current inverse step
    if (o->learning_rate > 0)
        L = 1.0 / o->learning_rate;
    else if (obj->hv)
        L = lt_optim_curvature(obj, y, 30);
    else
        L = 1.0;
    if (!(L > 0) || !isfinite(L))
        L = 1.0;
    memcpy(y, x, sizeof(double) * (size_t)n);
    memcpy(gy, g, sizeof(double) * (size_t)n);
    double fy = f, tk = 1;
    for (int it = 1; it <= o->max_iter; it++) {
        if (amax(g, n) <= o->gtol) {
            res->converged = 1;
            break;
        }
        // Backtracking: accept x+ = y - gy / L once f(x+) <= f(y) - |gy|^2 / (2L).
        double gg = dot(gy, gy, n), fn = 0;
        for (int bt = 0; bt < 60; bt++) {
            axpy_to(xn, y, -1.0 / L, gy, n);
            fn = obj->fg(obj->ctx, xn, gn);
            res->nfev++;
            if (isfinite(fn) && fn <= fy - 0.5 / L * gg + 1e-12 * fabs(fy))
                break;
            L *= 2;
        }
        if (!isfinite(fn)) {
            rc = lt_error(LT_EINVAL, "gradient descent diverged (objective not finite)");
            break;
        }
        res->iters = it;
        double fold = f;
        if (fn > f) {  // momentum overshot: restart from x with a plain step
            tk = 1;
            memcpy(y, x, sizeof(double) * (size_t)n);
            memcpy(gy, g, sizeof(double) * (size_t)n);
            fy = f;
            continue;
        }
        double tn = 0.5 * (1 + sqrt(1 + 4 * tk * tk)), mom = (tk - 1) / tn;
        for (int64_t i = 0; i < n; i++)
            y[i] = xn[i] + mom * (xn[i] - x[i]);
        memcpy(x, xn, sizeof(double) * (size_t)n);
        memcpy(g, gn, sizeof(double) * (size_t)n);
        f = fn;
        tk = tn;
        report(o, it, f);
        if (mom == 0) {
            memcpy(gy, g, sizeof(double) * (size_t)n);
            fy = f;
        } else {
            fy = obj->fg(obj->ctx, y, gy);
            res->nfev++;
        }
        L *= 0.9;  // let the step grow back slowly
        if (fold - f <= o->ftol * fmax(fmax(fabs(fold), fabs(f)), 1.0) && fold != f) {
            res->converged = 1;
            break;
        }
    }
    if (amax(g, n) <= o->gtol)
        res->converged = 1;
    res->f = f;
    res->gmax = amax(g, n);
    free(work);
    return rc;
}

int lt_sgd_minimize(const lt_objective *obj, double *x, const lt_optim_opts *o,
                    lt_optim_result *res)
{
    const int64_t n = obj->dim, nrows = obj->nrows;
    if (!obj->fg_batch || nrows < 1)
        return lt_error(LT_EUNSUPPORTED, "sgd: objective has no mini-batch gradient");
    int64_t bs = o->batch_size > 0 ? o->batch_size : 32;
    if (bs > nrows)
        bs = nrows;
    if (bs > obj->batch_cap)
        bs = obj->batch_cap;
    // work: g, it (the SGD iterate), avg, best (n each), idx (nrows)
    double *work = lt_malloc(sizeof(double) * (size_t)(4 * n));
    int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)nrows);
    if (!work || !idx) {
        free(work);
        free(idx);
        return LT_ENOMEM;
    }
    double *g = work, *it = g + n, *avg = it + n, *best = avg + n;
    memset(res, 0, sizeof *res);
    for (int64_t i = 0; i < nrows; i++)
        idx[i] = i;
    int rc = LT_OK;
    double f = obj->fg(obj->ctx, x, g);
    res->nfev = 1;
    double eta0 = o->learning_rate;
    if (!(eta0 > 0)) {
        double L = obj->hv ? lt_optim_curvature(obj, avg, 30) : 1.0;
        eta0 = (L > 0 && isfinite(L)) ? 0.5 / L : 0.01;
    }
    lt_rng local;
    lt_rng_seed(&local, 0);
    lt_rng *rng = o->rng ? o->rng : &local;
    // Constant step with Polyak-Ruppert averaging of every iterate since the
    // last step change (x is that average). When the average has not set a
    // new best full objective for 10 epochs the step is halved and the run
    // restarts from the best point.
    double eta = eta0, fbest = f;
    int stale = 0;
    int64_t navg = 0;
    memcpy(best, x, sizeof(double) * (size_t)n);
    memcpy(it, x, sizeof(double) * (size_t)n);
    memset(avg, 0, sizeof(double) * (size_t)n);
    for (int ep = 1; ep <= o->max_iter; ep++) {
        if (amax(g, n) <= o->gtol) {
            res->converged = 1;
            break;
        }
        lt_rng_shuffle(rng, idx, nrows);
        for (int64_t off = 0; off < nrows; off += bs) {
            int64_t nb = nrows - off < bs ? nrows - off : bs;
            obj->fg_batch(obj->ctx, it, idx + off, nb, g);
            for (int64_t i = 0; i < n; i++) {
                it[i] -= eta * g[i];
                avg[i] += it[i];
            }
            navg++;
        }
        // Far from the optimum the last iterate beats the average (bias,
        // not noise, dominates): then the average restarts from here.
        double fi = obj->fg(obj->ctx, it, g);
        for (int64_t i = 0; i < n; i++)
            x[i] = avg[i] / (double)navg;
        f = obj->fg(obj->ctx, x, g);
        res->nfev += 2;
        if (fi < f) {
            memcpy(x, it, sizeof(double) * (size_t)n);
            f = obj->fg(obj->ctx, x, g);
            res->nfev++;
            navg = 0;
            memset(avg, 0, sizeof(double) * (size_t)n);
        }
        res->iters = ep;
        if (!isfinite(f)) {
            rc = lt_error(LT_EINVAL,
                          "sgd diverged at epoch %d (objective not finite); lower learning_rate",
                          ep);
            break;
        }
        report(o, ep, f);
        if (f < fbest) {
            fbest = f;
            stale = 0;
            memcpy(best, x, sizeof(double) * (size_t)n);
        } else if (++stale >= 10) {
            eta *= 0.5;
            stale = 0;
            navg = 0;
            memcpy(it, best, sizeof(double) * (size_t)n);
            memset(avg, 0, sizeof(double) * (size_t)n);
            if (eta < 1e-6 * eta0) {  // no step left that improves f
                res->converged = 1;
                break;
            }
        }
    }
    if (f > fbest) {  // hand back the best epoch, not the last
        memcpy(x, best, sizeof(double) * (size_t)n);
        f = obj->fg(obj->ctx, x, g);
        res->nfev++;
    }
    if (amax(g, n) <= o->gtol)
        res->converged = 1;
    res->f = f;
    res->gmax = amax(g, n);
    free(work);
    free(idx);
    return rc;
}

double lt_optim_curvature(const lt_objective *obj, double *work, int iters)
{
    const int64_t n = obj->dim;
    double *v = work, *hv = work + n, lam = 0;
    for (int64_t i = 0; i < n; i++)
        v[i] = 1.0 + 0.01 * (double)(i % 7);
    double nv = sqrt(dot(v, v, n));
    for (int64_t i = 0; i < n; i++)
        v[i] /= nv;
    for (int k = 0; k < iters; k++) {
        obj->hv(obj->ctx, v, hv);
        lam = sqrt(dot(hv, hv, n));
        if (!(lam > 0))
            return 0;
        for (int64_t i = 0; i < n; i++)
            v[i] = hv[i] / lam;
    }
    return lam;
}

void lt_ml_means(const float *X, int64_t n, int64_t d, const double *sw, double *mean)
{
    memset(mean, 0, sizeof(double) * (size_t)d);
    double S = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = sw ? sw[i] : 1.0;
        S += wi;
        for (int64_t j = 0; j < d; j++)
            mean[j] += wi * X[i * d + j];
    }
    for (int64_t j = 0; j < d; j++)
        mean[j] /= S;
}

int lt_ml_design(const float *X, int64_t n, int64_t d, const double *sw, int centre,
                 double **Xd, double *mean)
{
    double *A = lt_malloc_big(sizeof(double) * (size_t)n * (size_t)d);
    *Xd = A;
    if (!A)
        return LT_ENOMEM;
    if (centre)
        lt_ml_means(X, n, d, sw, mean);
    else
        memset(mean, 0, sizeof(double) * (size_t)d);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            A[i * d + j] = (double)X[i * d + j] - mean[j];
    return LT_OK;
}
