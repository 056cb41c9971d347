/* Hamerly's k-means (SDM 2010): the same iterations as Lloyd's, exact, but
 * each row keeps an upper bound u on the distance to its center and a lower
 * bound l on the distance to the second-nearest one. With s[a] = half the
 * distance from center a to its nearest other center, a row whose
 * u <= max(s[a], l) cannot change cluster (triangle inequality) and costs
 * no distance at all. After centers move by p[j], u grows by p[a] and l
 * shrinks by the largest move of another center. Pays where most rows are
 * settled after a few iterations (well separated clusters); on the
 * simulator's fleet (250k x 5, k = 8, overlapping) a third to two thirds of
 * the rows fail their bounds in the early iterations, and the direct-kernel
 * Lloyd pass is faster (measured 3.0 vs 4.8 ms per iteration, bench).
 * Distances in double; rows are independent (OpenMP over the fixed units
 * of kmeans_pass.c, sums added in unit order: deterministic). */
#include "kmeans_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Exact nearest and second-nearest center of row x: the k distances along
 * centers from CT (d, k), the centers column-major in double (a loop over
 * j the compiler vectorises; was a scalar double loop per center with a
 * branch, 21% of a fit), then one scan. dd: k doubles of scratch. */
static inline __attribute__((always_inline)) int32_t
nearest2_d(const float *x, const double *restrict CT, int64_t k, const int64_t d,
           double *restrict dd, double *b1, double *b2)
{
    const double x0 = x[0];
#pragma omp simd
    for (int64_t j = 0; j < k; j++) {
        const double t = x0 - CT[j];
        dd[j] = t * t;
    }
#pragma GCC unroll 16
    for (int64_t f = 1; f < d; f++) {
        const double xf = x[f], *cf = CT + f * k;
#pragma omp simd
        for (int64_t j = 0; j < k; j++) {
            const double t = xf - cf[j];
            dd[j] += t * t;
        }
    }
    double best = DBL_MAX, sec = DBL_MAX;
    int32_t bj = 0;
    for (int64_t j = 0; j < k; j++) {
        const double v = dd[j];
        if (v < best) {
            sec = best;
            best = v;
            bj = (int32_t)j;
        } else if (v < sec) {
            sec = v;
        }
    }
    *b1 = sqrt(best);
    *b2 = sec == DBL_MAX ? INFINITY : sqrt(sec);
    return bj;
}

/* One fused pass over fixed units of rows (km_plan): bounds follow the last
 * center move (shift: u += p[a], l -= the largest move of another center),
 * rows the bounds cannot settle get their exact nearest two centers (full:
 * every row, for the first pass and after empty clusters were relocated),
 * and each unit keeps the sums of its rows per cluster for the update, so
 * an iteration opens one OpenMP region (was three: the 2-thread profile
 * spent half its time in libgomp). Sums (copy 0 of the unit's slot):
 * HAM_FRESH adds every row (full passes), HAM_MOVES only moves the rows
 * whose label changed from the old cluster's sums to the new one's, so a
 * settled row costs its bounds and nothing else (adding every row again
 * was a third of the pass); HAM_NONE leaves them. The unit's rows are
 * visited in order by one thread: deterministic for any thread count.
 * Returns rows changed. */
typedef struct ham_move {
    const double *p, *s; /* (k) center moves, half-gaps to the nearest other center */
    const double *CT;    /* (d, k) centers column-major, double */
    int32_t r1;          /* the center that moved most */
    double pmax, psec;   /* its move, and the largest move of any other center */
} ham_move;

enum { HAM_NONE = 0, HAM_FRESH, HAM_MOVES };

static inline __attribute__((always_inline)) int64_t
ham_rows(const km_plan *pl, const float *X, const float *C, const ham_move *mv, int full,
         int shift, int sums, int32_t *restrict lab, double *restrict u, double *restrict l,
         int64_t i0, int64_t i1, double *restrict ps, double *restrict dd, const int64_t d)
{
    const int64_t k = pl->k, kd = k * d;
    int64_t changes = 0;
    for (int64_t i = i0; i < i1; i++) {
        const float *x = X + i * d;
        const int32_t a = lab[i];
        int32_t j = a;
        if (full) {
            j = nearest2_d(x, mv->CT, k, d, dd, &u[i], &l[i]);
        } else {
            double ui = u[i], li = l[i];
            if (shift) {
                ui += mv->p[a];
                li -= a == mv->r1 ? mv->psec : mv->pmax;
            }
            const double mb = mv->s[a] > li ? mv->s[a] : li;
            if (ui > mb) {
                ui = sqrt(km_dist2(x, C + (int64_t)a * d, d));  // tighten the upper bound
                if (ui > mb)
                    j = nearest2_d(x, mv->CT, k, d, dd, &ui, &li);
            }
            u[i] = ui, l[i] = li;
        }
        if (j != a) {
            lab[i] = j;
            changes++;
            if (sums == HAM_MOVES) {
                double *s = ps + (int64_t)a * d, *t = ps + (int64_t)j * d;
#pragma GCC unroll 16
                for (int64_t f = 0; f < d; f++) {
                    s[f] -= x[f];
                    t[f] += x[f];
                }
                ps[kd + a] -= 1;
                ps[kd + j] += 1;
            }
        }
        if (sums == HAM_FRESH)
            km_part_add(ps, kd, d, j, x);
    }
    return changes;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) static int64_t
ham_unit(const km_plan *pl, const float *X, const float *C, const ham_move *mv, int full,
         int shift, int sums, int32_t *lab, double *u, double *l, int64_t i0, int64_t i1,
         double *ps, double *dd)
{
    switch (pl->d) {
#define KM_D(D) \
    case D: return ham_rows(pl, X, C, mv, full, shift, sums, lab, u, l, i0, i1, ps, dd, D);
        KM_D(1) KM_D(2) KM_D(3) KM_D(4) KM_D(5) KM_D(6) KM_D(7) KM_D(8)
#undef KM_D
    default: return ham_rows(pl, X, C, mv, full, shift, sums, lab, u, l, i0, i1, ps, dd, pl->d);
    }
}

static int64_t ham_pass(km_plan *pl, const float *X, const float *C, const ham_move *mv,
                        int full, int shift, int sums, int32_t *lab, double *u, double *l)
{
    const int64_t n = pl->n;
    int64_t changes = 0;
    const int nt = km_pass_begin(pl);
    double busy = 0, t0 = lt_now();
#pragma omp parallel num_threads(nt) if (nt > 1) reduction(+ : changes, busy)
    {
        const double c0 = nt > 1 ? km_cpu_now() : 0;
        // k doubles of the thread's scratch (tw >= 2k floats)
        double *dd = (double *)(void *)(pl->scratch + (int64_t)km_thread_id() * pl->tw);
#pragma omp for schedule(dynamic, 1) nowait
        for (int64_t q = 0; q < pl->nunit; q++) {
            double *ps = pl->part + q * pl->ws;  // copy 0 only
            if (sums == HAM_FRESH)
                memset(ps, 0, sizeof(double) * (size_t)pl->ws);
            const int64_t i0 = q * pl->unit, i1 = (q + 1) * pl->unit < n ? (q + 1) * pl->unit : n;
            changes += ham_unit(pl, X, C, mv, full, shift, sums, lab, u, l, i0, i1, ps, dd);
        }
        if (nt > 1)
            busy += km_cpu_now() - c0;
    }
    km_pass_end(pl, nt, lt_now() - t0, busy);
    return changes;
}

int km_hamerly(const kmeans *m, const float *X, const float *xt, int64_t n, int64_t d, float *C,
               int32_t *lab, double tol_abs, km_run *res)
{
    const int64_t k = m->k;
    km_plan pl;
    int rc = km_plan_init(&pl, n, d, k);
    if (rc)
        return rc;
    pl.xt = xt;
    double *u = lt_malloc(sizeof(double) * (size_t)n), *l = lt_malloc(sizeof(double) * (size_t)n);
    double *work = lt_malloc(sizeof(double) * (size_t)(2 * k * d + 3 * k));
    float *Cold = lt_malloc(sizeof(float) * (size_t)(k * d));
    if (!u || !l || !work || !Cold) {
        free(u), free(l), free(work), free(Cold);
        km_plan_free(&pl);
        return LT_ENOMEM;
    }
    double *sum = work, *counts = sum + k * d, *p = counts + k, *s = p + k, *CT = s + k;
    ham_move mv = {p, s, CT, 0, 0, 0};
    for (int64_t j = 0; j < k; j++)
        for (int64_t f = 0; f < d; f++)
            CT[f * k + j] = C[j * d + f];
    memset(res, 0, sizeof *res);
    memset(lab, 0xff, sizeof(int32_t) * (size_t)n);  // -1: every row "changes" in pass 0
    int full = 1, shift = 0, need_final = 1;
    for (int it = 0; it < m->max_iter; it++) {
        int64_t changes =
            ham_pass(&pl, X, C, &mv, full, shift, full ? HAM_FRESH : HAM_MOVES, lab, u, l);
        res->n_iter = it + 1;
        if (it > 0 && changes == 0) {
            res->converged = 1;  // labels unchanged: C already holds their means
            need_final = 0;
            break;
        }
        km_plan_reduce(&pl, sum, counts);
        memcpy(Cold, C, sizeof(float) * (size_t)(k * d));
        int moved;
        double sh = km_finish(X, n, d, C, k, lab, sum, counts, &moved);
        for (int64_t j = 0; j < k; j++)
            for (int64_t f = 0; f < d; f++)
                CT[f * k + j] = C[j * d + f];
        // p[j]: how far center j moved; the next pass moves the bounds by it.
        int64_t r1 = 0;
        for (int64_t j = 0; j < k; j++) {
            p[j] = sqrt(km_dist2(C + j * d, Cold + j * d, d));
            if (p[j] > p[r1])
                r1 = j;
        }
        mv.r1 = (int32_t)r1, mv.pmax = p[r1], mv.psec = 0;
        for (int64_t j = 0; j < k; j++)
            if (j != r1 && p[j] > mv.psec)
                mv.psec = p[j];
        full = moved != 0;  // relocated empty clusters: start the bounds over
        shift = !full;
        for (int64_t j = 0; j < k; j++) {  // s[j] = half the gap to the nearest other center
            double best = INFINITY;
            for (int64_t q = 0; q < k; q++)
                if (q != j)
                    best = fmin(best, km_dist2(C + j * d, C + q * d, d));
            s[j] = 0.5 * sqrt(best);
        }
        if (m->base.progress)
            m->base.progress(m->base.progress_user, it + 1, m->max_iter, sh);
        if (sh <= tol_abs) {
            res->converged = 1;
            break;
        }
    }
    if (need_final)  // labels consistent with the final centers
        ham_pass(&pl, X, C, &mv, full, shift, HAM_NONE, lab, u, l);
    res->inertia = km_inertia(X, n, d, C, lab);
    free(u), free(l), free(work), free(Cold);
    km_plan_free(&pl);
    return LT_OK;
}
