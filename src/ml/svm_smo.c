/* SMO for the kernel SVMs: libsvm's Solver (Chang & Lin), written again.
 *
 *   min_a 0.5 a'Qa + p'a   s.t.  y'a = 0,  0 <= a_i <= C_i,  y_i = +-1
 *
 * Working set by second-order information (WSS3 of Fan, Chen & Lin 2005):
 * i = argmax over I_up of -y_i G_i, then j minimising the decrease bound
 * -(b_ij^2 / a_ij) over I_low. Stop when m(a) - M(a) < eps. Shrinking
 * (every min(l, 1000) iterations) moves variables that sit at a bound and
 * are unlikely to move to the end of the arrays, so Q rows are computed
 * and kept only for the active prefix; before the final check the full
 * gradient is rebuilt from G_bar (the bound variables' part of it).
 * Every buffer is allocated before the first iteration: no malloc in the
 * loop (the cache slab is allocated once by svm_cache_init). */
#include "svm_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAU 1e-12
enum { AT_LOWER = 0, AT_UPPER = 1, FREE = 2 };

/* ---- the Q matrix --------------------------------------------------------- */

int svm_qmat_init_svc(svm_qmat *q, svm_kernel *k, const int8_t *y, size_t cache_bytes)
{
    memset(q, 0, sizeof *q);
    const int64_t l = k->n;
    q->l = l;
    q->k = k;
    q->y = lt_malloc(sizeof(float) * (size_t)l);
    q->qd = lt_malloc(sizeof(double) * (size_t)l);
    int rc = q->y && q->qd ? svm_cache_init(&q->cache, l, cache_bytes) : LT_ENOMEM;
    if (rc) {
        svm_qmat_free(q);
        return rc;
    }
    for (int64_t i = 0; i < l; i++) {
        q->y[i] = y[i];
        q->qd[i] = svm_kernel_diag(k, i);
    }
    return LT_OK;
}

int svm_qmat_init_svr(svm_qmat *q, svm_kernel *k, size_t cache_bytes)
{
    memset(q, 0, sizeof *q);
    const int64_t n = k->n, l = 2 * n;
    q->svr = 1;
    q->l = l;
    q->k = k;
    q->index = lt_malloc(sizeof(int64_t) * (size_t)l);
    q->sign = lt_malloc(sizeof(float) * (size_t)(3 * l));
    q->qd = lt_malloc(sizeof(double) * (size_t)l);
    int rc = q->index && q->sign && q->qd ? svm_cache_init(&q->cache, n, cache_bytes) : LT_ENOMEM;
    if (rc) {
        svm_qmat_free(q);
        return rc;
    }
    q->buf[0] = q->sign + l;
    q->buf[1] = q->buf[0] + l;
    for (int64_t i = 0; i < n; i++) {
        q->sign[i] = 1, q->sign[i + n] = -1;
        q->index[i] = q->index[i + n] = i;
        q->qd[i] = q->qd[i + n] = svm_kernel_diag(k, i);
    }
    return LT_OK;
}

void svm_qmat_free(svm_qmat *q)
{
    svm_cache_free(&q->cache);
    free(q->y);
    free(q->index);
    free(q->sign);
    free(q->qd);
    q->y = q->sign = NULL;
    q->index = NULL;
    q->qd = NULL;
}

/* Row i of Q over columns [0, len). The pointer is valid until the next
 * call that could evict it: C-SVC keeps >= 2 cache slots and the LRU never
 * evicts the row fetched last; SVR alternates two buffers. */
static const float *q_row(svm_qmat *q, int64_t i, int64_t len)
{
    float *row;
    if (!q->svr) {
        int64_t a = svm_cache_get(&q->cache, i, len, &row);
        if (a < len) {
            svm_kernel_row(q->k, i, a, len, row + a);
            const float yi = q->y[i];
            for (int64_t j = a; j < len; j++)
                row[j] *= yi * q->y[j];
        }
        return row;
    }
    const int64_t n = q->k->n, ri = q->index[i];
    int64_t a = svm_cache_get(&q->cache, ri, n, &row);
    if (a < n)
        svm_kernel_row(q->k, ri, a, n, row + a);
    float *buf = q->buf[q->next_buf];
    q->next_buf ^= 1;
    const float si = q->sign[i];
    for (int64_t j = 0; j < len; j++)
        buf[j] = si * q->sign[j] * row[q->index[j]];
    return buf;
}

static void q_swap(svm_qmat *q, int64_t i, int64_t j)
{
    double t = q->qd[i];
    q->qd[i] = q->qd[j];
    q->qd[j] = t;
    if (!q->svr) {
        svm_cache_swap(&q->cache, i, j);
        svm_kernel_swap(q->k, i, j);
        float s = q->y[i];
        q->y[i] = q->y[j];
        q->y[j] = s;
    } else {
        float s = q->sign[i];
        q->sign[i] = q->sign[j];
        q->sign[j] = s;
        int64_t r = q->index[i];
        q->index[i] = q->index[j];
        q->index[j] = r;
    }
}

/* ---- the solver --------------------------------------------------------------- */

typedef struct smo {
    svm_qmat *q;
    int64_t l, active;
    double eps;
    double *alpha, *G, *G_bar, *p, *C;
    int8_t *y, *status;
    int64_t *active_set;
    int unshrink;
} smo;

static void set_status(smo *s, int64_t i)
{
    s->status[i] = s->alpha[i] >= s->C[i] ? AT_UPPER : s->alpha[i] <= 0 ? AT_LOWER : FREE;
}
#define IS_UPPER(s, i) ((s)->status[i] == AT_UPPER)
#define IS_LOWER(s, i) ((s)->status[i] == AT_LOWER)
#define IS_FREE(s, i) ((s)->status[i] == FREE)

static void smo_swap(smo *s, int64_t i, int64_t j)
{
    q_swap(s->q, i, j);
#define SW(T, a)          \
    do {                  \
        T t_ = (a)[i];    \
        (a)[i] = (a)[j];  \
        (a)[j] = t_;      \
    } while (0)
    SW(int8_t, s->y);
    SW(int8_t, s->status);
    SW(double, s->alpha);
    SW(double, s->G);
    SW(double, s->G_bar);
    SW(double, s->p);
    SW(double, s->C);
    SW(int64_t, s->active_set);
#undef SW
}

/* G of the inactive variables from G_bar and the free active alphas. */
static void reconstruct_gradient(smo *s)
{
    const int64_t l = s->l, act = s->active;
    if (act == l)
        return;
    for (int64_t j = act; j < l; j++)
        s->G[j] = s->G_bar[j] + s->p[j];
    int64_t nfree = 0;
    for (int64_t j = 0; j < act; j++)
        nfree += IS_FREE(s, j);
    // Fetch whichever set of rows is cheaper (Q is symmetric).
    if ((double)nfree * (double)l > 2.0 * (double)act * (double)(l - act)) {
        for (int64_t i = act; i < l; i++) {
            const float *Qi = q_row(s->q, i, act);
            double g = 0;
            for (int64_t j = 0; j < act; j++)
                if (IS_FREE(s, j))
                    g += s->alpha[j] * Qi[j];
            s->G[i] += g;
        }
    } else {
        for (int64_t i = 0; i < act; i++)
            if (IS_FREE(s, i)) {
                const float *Qi = q_row(s->q, i, l);
                const double ai = s->alpha[i];
                for (int64_t j = act; j < l; j++)
                    s->G[j] += ai * Qi[j];
            }
    }
}

/* WSS3. Returns 1 when optimal within eps (or nothing to pick). */
static int select_working_set(smo *s, int64_t *out_i, int64_t *out_j)
{
    double Gmax = -INFINITY, Gmax2 = -INFINITY, obj_min = INFINITY;
    int64_t imax = -1, jmin = -1;
    const int64_t act = s->active;
    const double *G = s->G;
    for (int64_t t = 0; t < act; t++) {
        if (s->y[t] == 1) {
            if (!IS_UPPER(s, t) && -G[t] >= Gmax)
                Gmax = -G[t], imax = t;
        } else if (!IS_LOWER(s, t) && G[t] >= Gmax) {
            Gmax = G[t], imax = t;
        }
    }
    if (imax < 0)
        return 1;
    const int64_t i = imax;
    const float *Qi = q_row(s->q, i, act);
    const double *QD = s->q->qd, qdi = QD[i], yi = s->y[i];
    for (int64_t j = 0; j < act; j++) {
        double diff, quad;
        if (s->y[j] == 1) {
            if (IS_LOWER(s, j))
                continue;
            diff = Gmax + G[j];
            if (G[j] >= Gmax2)
                Gmax2 = G[j];
            if (diff <= 0)
                continue;
            quad = qdi + QD[j] - 2.0 * yi * Qi[j];
        } else {
            if (IS_UPPER(s, j))
                continue;
            diff = Gmax - G[j];
            if (-G[j] >= Gmax2)
                Gmax2 = -G[j];
            if (diff <= 0)
                continue;
            quad = qdi + QD[j] + 2.0 * yi * Qi[j];
        }
        double od = -(diff * diff) / (quad > 0 ? quad : TAU);
        if (od <= obj_min)
            jmin = j, obj_min = od;
    }
    if (Gmax + Gmax2 < s->eps || jmin < 0)
        return 1;
    *out_i = imax;
    *out_j = jmin;
    return 0;
}

static int be_shrunk(const smo *s, int64_t i, double Gmax1, double Gmax2)
{
    if (IS_UPPER(s, i))
        return s->y[i] == 1 ? -s->G[i] > Gmax1 : -s->G[i] > Gmax2;
    if (IS_LOWER(s, i))
        return s->y[i] == 1 ? s->G[i] > Gmax2 : s->G[i] > Gmax1;
    return 0;
}

static void do_shrinking(smo *s)
{
    double Gmax1 = -INFINITY;  // max { -y_i G_i | i in I_up }
    double Gmax2 = -INFINITY;  // max { y_i G_i | i in I_low }
    for (int64_t i = 0; i < s->active; i++) {
        const double g = s->G[i];
        if (s->y[i] == 1) {
            if (!IS_UPPER(s, i) && -g >= Gmax1)
                Gmax1 = -g;
            if (!IS_LOWER(s, i) && g >= Gmax2)
                Gmax2 = g;
        } else {
            if (!IS_UPPER(s, i) && -g >= Gmax2)
                Gmax2 = -g;
            if (!IS_LOWER(s, i) && g >= Gmax1)
                Gmax1 = g;
        }
    }
    // Near the end, bring everything back once so nothing is shrunk wrongly.
    if (!s->unshrink && Gmax1 + Gmax2 <= s->eps * 10) {
        s->unshrink = 1;
        reconstruct_gradient(s);
        s->active = s->l;
    }
    for (int64_t i = 0; i < s->active; i++) {
        if (!be_shrunk(s, i, Gmax1, Gmax2))
            continue;
        s->active--;
        while (s->active > i) {
            if (!be_shrunk(s, s->active, Gmax1, Gmax2)) {
                smo_swap(s, i, s->active);
                break;
            }
            s->active--;
        }
    }
}

static double calculate_rho(const smo *s)
{
    double ub = INFINITY, lb = -INFINITY, sum_free = 0;
    int64_t nfree = 0;
    for (int64_t i = 0; i < s->active; i++) {
        const double yG = s->y[i] * s->G[i];
        if (IS_UPPER(s, i)) {
            if (s->y[i] == -1)
                ub = fmin(ub, yG);
            else
                lb = fmax(lb, yG);
        } else if (IS_LOWER(s, i)) {
            if (s->y[i] == 1)
                ub = fmin(ub, yG);
            else
                lb = fmax(lb, yG);
        } else {
            nfree++;
            sum_free += yG;
        }
    }
    if (nfree > 0)
        return sum_free / (double)nfree;
    // Degenerate problems (a class with no usable rows) leave a side open.
    return isinf(ub) && isinf(lb) ? 0 : isinf(ub) ? lb : isinf(lb) ? ub : (ub + lb) / 2;
}

/* Two-variable update of (i, j); returns the changes of alpha_i, alpha_j. */
static void update_pair(smo *s, int64_t i, int64_t j, const float *Qi, double *dai, double *daj)
{
    double *a = s->alpha;
    const double Ci = s->C[i], Cj = s->C[j], oi = a[i], oj = a[j];
    const double *QD = s->q->qd;
    if (s->y[i] != s->y[j]) {
        double quad = QD[i] + QD[j] + 2.0 * Qi[j];
        if (quad <= 0)
            quad = TAU;
        double delta = (-s->G[i] - s->G[j]) / quad, diff = a[i] - a[j];
        a[i] += delta;
        a[j] += delta;
        if (diff > 0) {
            if (a[j] < 0)
                a[j] = 0, a[i] = diff;
        } else if (a[i] < 0) {
            a[i] = 0, a[j] = -diff;
        }
        if (diff > Ci - Cj) {
            if (a[i] > Ci)
                a[i] = Ci, a[j] = Ci - diff;
        } else if (a[j] > Cj) {
            a[j] = Cj, a[i] = Cj + diff;
        }
    } else {
        double quad = QD[i] + QD[j] - 2.0 * Qi[j];
        if (quad <= 0)
            quad = TAU;
        double delta = (s->G[i] - s->G[j]) / quad, sum = a[i] + a[j];
        a[i] -= delta;
        a[j] += delta;
        if (sum > Ci) {
            if (a[i] > Ci)
                a[i] = Ci, a[j] = sum - Ci;
        } else if (a[j] < 0) {
            a[j] = 0, a[i] = sum;
        }
        if (sum > Cj) {
            if (a[j] > Cj)
                a[j] = Cj, a[i] = sum - Cj;
        } else if (a[i] < 0) {
            a[i] = 0, a[j] = sum;
        }
    }
    *dai = a[i] - oi;
    *daj = a[j] - oj;
}

int svm_smo_solve(svm_qmat *q, const double *p, const int8_t *y, const double *C, double *alpha,
                  const svm_smo_opts *o, svm_smo_result *res)
{
    const int64_t l = q->l;
    smo s = {0};
    s.q = q;
    s.l = l;
    s.active = l;
    s.eps = o->eps;
    // mem: alpha, G, G_bar, p, C (5 l doubles); active_set (l); y, status (2 l bytes)
    double *mem = lt_malloc(sizeof(double) * (size_t)(6 * l) + 2 * (size_t)l);
    if (!mem)
        return LT_ENOMEM;
    s.alpha = mem;
    s.G = mem + l;
    s.G_bar = mem + 2 * l;
    s.p = mem + 3 * l;
    s.C = mem + 4 * l;
    s.active_set = (int64_t *)(mem + 5 * l);
    s.y = (int8_t *)(mem + 6 * l);
    s.status = s.y + l;
    for (int64_t i = 0; i < l; i++) {
        s.alpha[i] = alpha[i];
        s.p[i] = p[i];
        s.C[i] = C[i];
        s.y[i] = y[i];
        s.active_set[i] = i;
        s.G[i] = p[i];
        s.G_bar[i] = 0;
        set_status(&s, i);
    }
    // Variables with C_i = 0 (sample weight 0) are fixed at 0 and would sit
    // at both bounds at once: move them past the end of the problem, as if
    // absent (scikit-learn's libsvm removes zero-weight rows too).
    for (int64_t i = 0; i < s.l;) {
        if (s.C[i] > 0) {
            i++;
            continue;
        }
        s.alpha[i] = 0;
        smo_swap(&s, i, --s.l);
    }
    s.active = s.l;
    // G = p + Q alpha; G_bar = sum over alphas at the upper bound of C_i Q_i.
    for (int64_t i = 0; i < s.l; i++) {
        if (IS_LOWER(&s, i))
            continue;
        const float *Qi = q_row(q, i, s.l);
        const double ai = s.alpha[i];
        for (int64_t j = 0; j < s.l; j++)
            s.G[j] += ai * Qi[j];
        if (IS_UPPER(&s, i))
            for (int64_t j = 0; j < s.l; j++)
                s.G_bar[j] += s.C[i] * Qi[j];
    }

    const int64_t max_iter =
        o->max_iter > 0 ? o->max_iter : (100 * s.l > 10000000 ? 100 * s.l : 10000000);
    int64_t iter = 0, counter = (s.l < 1000 ? s.l : 1000) + 1;
    int converged = 0;
    while (iter < max_iter) {
        if (--counter == 0) {
            counter = s.l < 1000 ? s.l : 1000;
            if (o->shrinking)
                do_shrinking(&s);
            if (o->progress && iter % 10000 < 1000)
                o->progress(o->progress_user, iter, 0, 0);
        }
        int64_t i, j;
        if (select_working_set(&s, &i, &j)) {
            // Optimal on the active set: check again on the whole problem.
            reconstruct_gradient(&s);
            s.active = s.l;
            if (select_working_set(&s, &i, &j)) {
                converged = 1;
                break;
            }
            counter = 1;  // shrink at the next iteration
        }
        iter++;
        const int64_t act = s.active;
        // Q_i, Q_j: (act) rows; the hot loop of SMO is the G update below.
        const float *Qi = q_row(q, i, act);
        const float *Qj = q_row(q, j, act);
        const int ui = IS_UPPER(&s, i), uj = IS_UPPER(&s, j);
        double dai, daj;
        update_pair(&s, i, j, Qi, &dai, &daj);
        double *G = s.G;
        for (int64_t k = 0; k < act; k++)
            G[k] += Qi[k] * dai + Qj[k] * daj;
        set_status(&s, i);
        set_status(&s, j);
        if (ui != IS_UPPER(&s, i)) {
            const float *Q = q_row(q, i, s.l);
            const double c = ui ? -s.C[i] : s.C[i];
            for (int64_t k = 0; k < s.l; k++)
                s.G_bar[k] += c * Q[k];
        }
        if (uj != IS_UPPER(&s, j)) {
            const float *Q = q_row(q, j, s.l);
            const double c = uj ? -s.C[j] : s.C[j];
            for (int64_t k = 0; k < s.l; k++)
                s.G_bar[k] += c * Q[k];
        }
    }
    if (!converged && s.active < s.l) {
        reconstruct_gradient(&s);
        s.active = s.l;
    }
    res->rho = calculate_rho(&s);
    double v = 0;
    for (int64_t i = 0; i < s.l; i++)
        v += s.alpha[i] * (s.G[i] + s.p[i]);
    res->obj = v / 2;
    res->iter = iter;
    res->converged = converged;
    for (int64_t i = 0; i < l; i++)
        alpha[s.active_set[i]] = s.alpha[i];
    free(mem);
    return LT_OK;
}

int svm_train_binary(const svm_kparams *kp, const float *X, int64_t d, const int64_t *idx,
                     const int8_t *y, const double *C, int64_t l, size_t cache_bytes,
                     const svm_smo_opts *o, svm_binary *out)
{
    memset(out, 0, sizeof *out);
    svm_kernel k;
    svm_qmat q;
    int rc = svm_kernel_init(&k, kp, X, d, idx, l);
    if (rc)
        return rc;
    if ((rc = svm_qmat_init_svc(&q, &k, y, cache_bytes))) {
        svm_kernel_free(&k);
        return rc;
    }
    double *p = lt_malloc(sizeof(double) * (size_t)l);
    out->coef = lt_calloc((size_t)l, sizeof(double));
    if (!p || !out->coef) {
        rc = LT_ENOMEM;
        goto done;
    }
    for (int64_t i = 0; i < l; i++)
        p[i] = -1;
    svm_smo_result r;
    if ((rc = svm_smo_solve(&q, p, y, C, out->coef, o, &r)))
        goto done;
    for (int64_t i = 0; i < l; i++)
        out->coef[i] *= y[i];
    out->rho = r.rho;
    out->iter = r.iter;
    out->obj = r.obj;
    out->converged = r.converged;
done:
    if (rc) {
        free(out->coef);
        out->coef = NULL;
    }
    free(p);
    svm_qmat_free(&q);
    svm_kernel_free(&k);
    return rc;
}
