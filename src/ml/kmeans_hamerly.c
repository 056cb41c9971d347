/* Hamerly's k-means (SDM 2010): the same iterations as Lloyd's, exact, but
 * each row keeps an upper bound u on the distance to its center and a lower
 * bound l on the distance to the second-nearest one. With s[a] = half the
 * distance from center a to its nearest other center, a row whose
 * u <= max(s[a], l) cannot change cluster (triangle inequality) and costs
 * no distance at all. After centers move by p[j], u grows by p[a] and l
 * shrinks by the largest move of another center. Best for low dimensions
 * (sensor tables), where most rows are settled after a few iterations.
 * Distances in double; rows are independent (OpenMP, deterministic). */
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

static void full_pass(const float *X, int64_t n, int64_t d, const float *C, int64_t k,
                      int32_t *lab, double *u, double *l)
{
#pragma omp parallel for schedule(dynamic, 2048)
    for (int64_t i = 0; i < n; i++)
        lab[i] = nearest2(X + i * d, C, k, d, &u[i], &l[i]);
}

/* One bounded assignment pass; returns the number of rows that changed. */
static int64_t bounded_pass(const float *X, int64_t n, int64_t d, const float *C, int64_t k,
                            const double *s, int32_t *lab, double *u, double *l)
{
    int64_t changes = 0;
#pragma omp parallel for schedule(dynamic, 2048) reduction(+ : changes)
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        const int32_t a = lab[i];
        const double mb = s[a] > l[i] ? s[a] : l[i];
        if (u[i] <= mb)
            continue;
        u[i] = sqrt(dist2(x, C + (int64_t)a * d, d));  // tighten the upper bound
        if (u[i] <= mb)
            continue;
        int32_t j = nearest2(x, C, k, d, &u[i], &l[i]);
        if (j != a) {
            lab[i] = j;
            changes++;
        }
    }
    return changes;
}

int km_hamerly(const kmeans *m, const float *X, int64_t n, int64_t d, float *C, int32_t *lab,
               double tol_abs, km_run *res)
{
    const int64_t k = m->k;
    double *u = lt_malloc(sizeof(double) * (size_t)n), *l = lt_malloc(sizeof(double) * (size_t)n);
    double *work = lt_malloc(sizeof(double) * (size_t)(k * d + 3 * k));
    float *Cold = lt_malloc(sizeof(float) * (size_t)(k * d));
    if (!u || !l || !work || !Cold) {
        free(u), free(l), free(work), free(Cold);
        return LT_ENOMEM;
    }
    double *sum = work, *counts = sum + k * d, *p = counts + k, *s = p + k;
    memset(res, 0, sizeof *res);
    full_pass(X, n, d, C, k, lab, u, l);
    int need_final = 1;
    for (int it = 0; it < m->max_iter; it++) {
        if (it > 0 && bounded_pass(X, n, d, C, k, s, lab, u, l) == 0) {
            res->n_iter = it + 1;
            res->converged = 1;  // labels unchanged: C already holds their means
            need_final = 0;
            break;
        }
        res->n_iter = it + 1;
        memcpy(Cold, C, sizeof(float) * (size_t)(k * d));
        int moved;
        double shift = km_update(X, n, d, C, k, lab, sum, counts, &moved);
        // p[j]: how far center j moved; bounds follow the centers.
        int64_t r1 = 0;
        for (int64_t j = 0; j < k; j++) {
            p[j] = sqrt(dist2(C + j * d, Cold + j * d, d));
            if (p[j] > p[r1])
                r1 = j;
        }
        double pmax = p[r1], psec = 0;
        for (int64_t j = 0; j < k; j++)
            if (j != r1 && p[j] > psec)
                psec = p[j];
        if (moved) {
            full_pass(X, n, d, C, k, lab, u, l);  // relocated empty clusters: start over
        } else {
#pragma omp parallel for schedule(dynamic, 4096)
            for (int64_t i = 0; i < n; i++) {
                u[i] += p[lab[i]];
                l[i] -= lab[i] == r1 ? psec : pmax;
            }
        }
        for (int64_t j = 0; j < k; j++) {  // s[j] = half the gap to the nearest other center
            double best = INFINITY;
            for (int64_t q = 0; q < k; q++)
                if (q != j)
                    best = fmin(best, dist2(C + j * d, C + q * d, d));
            s[j] = 0.5 * sqrt(best);
        }
        if (m->base.progress)
            m->base.progress(m->base.progress_user, it + 1, m->max_iter, shift);
        if (shift <= tol_abs) {
            res->converged = 1;
            break;
        }
    }
    if (need_final)  // labels consistent with the final centers
        bounded_pass(X, n, d, C, k, s, lab, u, l);
    res->inertia = km_inertia(X, n, d, C, lab);
    free(u), free(l), free(work), free(Cold);
    return LT_OK;
}
