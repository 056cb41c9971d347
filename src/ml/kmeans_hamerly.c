/* Hamerly's k-means (SDM 2010): the same iterations as Lloyd's, exact, but
 * each row keeps an upper bound u on the distance to its center and a lower
 * bound l on the distance to the second-nearest one. With s[a] = half the
 * distance from center a to its nearest other center, a row whose
 * u <= max(s[a], l) cannot change cluster (triangle inequality) and costs
 * no distance at all. After centers move by p[j], u grows by p[a] and l
 * shrinks by the largest move of another center. Best for low dimensions
 * (sensor tables), where most rows are settled after a few iterations.
 * Distances in double; rows are independent (OpenMP over the fixed units
 * of kmeans_pass.c, sums added in unit order: deterministic). */
#include "kmeans_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double dist2(const float *x, const float *c, int64_t d)
{
    double s = 0;
    for (int64_t f = 0; f < d; f++) {
        double t = (double)x[f] - c[f];
        s += t * t;
    }
    return s;
}

/* Exact nearest and second-nearest center of row x. */
static int32_t nearest2(const float *x, const float *C, int64_t k, int64_t d, double *b1,
                        double *b2)
{
    double best = DBL_MAX, sec = DBL_MAX;
    int32_t bj = 0;
    for (int64_t j = 0; j < k; j++) {
        double v = dist2(x, C + j * d, d);
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
 * and with sums each row joins its unit's partial sums for the update, so
 * an iteration reads X once and opens one OpenMP region (was three: the
 * 2-thread profile spent half its time in libgomp). Returns rows changed. */
typedef struct ham_move {
    const double *p, *s; /* (k) center moves, half-gaps to the nearest other center */
    int32_t r1;          /* the center that moved most */
    double pmax, psec;   /* its move, and the largest move of any other center */
} ham_move;

static int64_t ham_pass(const km_plan *pl, const float *X, const float *C, const ham_move *mv,
                        int full, int shift, int sums, int32_t *lab, double *u, double *l)
{
    const int64_t n = pl->n, d = pl->d, k = pl->k, kd = k * d;
    int64_t changes = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : changes) if (pl->nunit > 1)
    for (int64_t q = 0; q < pl->nunit; q++) {
        double *ps = pl->part + q * pl->w;
        if (sums)
            memset(ps, 0, sizeof(double) * (size_t)pl->w);
        const int64_t i1 = (q + 1) * pl->unit < n ? (q + 1) * pl->unit : n;
        for (int64_t i = q * pl->unit; i < i1; i++) {
            const float *x = X + i * d;
            const int32_t a = lab[i];
            int32_t j = a;
            if (full) {
                j = nearest2(x, C, k, d, &u[i], &l[i]);
            } else {
                if (shift) {
                    u[i] += mv->p[a];
                    l[i] -= a == mv->r1 ? mv->psec : mv->pmax;
                }
                const double mb = mv->s[a] > l[i] ? mv->s[a] : l[i];
                if (u[i] > mb) {
                    u[i] = sqrt(dist2(x, C + (int64_t)a * d, d));  // tighten the upper bound
                    if (u[i] > mb)
                        j = nearest2(x, C, k, d, &u[i], &l[i]);
                }
            }
            if (j != a) {
                lab[i] = j;
                changes++;
            }
            if (sums)
                km_part_add(ps, kd, d, j, x);
        }
    }
    return changes;
}

int km_hamerly(const kmeans *m, const float *X, int64_t n, int64_t d, float *C, int32_t *lab,
               double tol_abs, km_run *res)
{
    const int64_t k = m->k;
    km_plan pl;
    int rc = km_plan_init(&pl, n, d, k);
    if (rc)
        return rc;
    double *u = lt_malloc(sizeof(double) * (size_t)n), *l = lt_malloc(sizeof(double) * (size_t)n);
    double *work = lt_malloc(sizeof(double) * (size_t)(k * d + 3 * k));
    float *Cold = lt_malloc(sizeof(float) * (size_t)(k * d));
    if (!u || !l || !work || !Cold) {
        free(u), free(l), free(work), free(Cold);
        km_plan_free(&pl);
        return LT_ENOMEM;
    }
    double *sum = work, *counts = sum + k * d, *p = counts + k, *s = p + k;
    ham_move mv = {p, s, 0, 0, 0};
    memset(res, 0, sizeof *res);
    memset(lab, 0xff, sizeof(int32_t) * (size_t)n);  // -1: every row "changes" in pass 0
    int full = 1, shift = 0, need_final = 1;
    for (int it = 0; it < m->max_iter; it++) {
        int64_t changes = ham_pass(&pl, X, C, &mv, full, shift, 1, lab, u, l);
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
        // p[j]: how far center j moved; the next pass moves the bounds by it.
        int64_t r1 = 0;
        for (int64_t j = 0; j < k; j++) {
            p[j] = sqrt(dist2(C + j * d, Cold + j * d, d));
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
                    best = fmin(best, dist2(C + j * d, C + q * d, d));
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
        ham_pass(&pl, X, C, &mv, full, shift, 0, lab, u, l);
    res->inertia = km_inertia(X, n, d, C, lab);
    free(u), free(l), free(work), free(Cold);
    km_plan_free(&pl);
    return LT_OK;
}
