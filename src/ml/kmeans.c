/* k-means "kmeans": Lloyd's algorithm with the distance step through BLAS,
 * Hamerly's exact accelerated variant (kmeans_hamerly.c) and Sculley's
 * mini-batch k-means (WWW 2010). Seeding by greedy k-means++ (the variant
 * scikit-learn uses: 2 + floor(ln k) candidates per step, keep the one that
 * lowers the potential most) or k random rows. n_init restarts keep the run
 * with the lowest inertia.
 *
 * Stopping (as scikit-learn): labels unchanged, or the summed squared shift
 * of the centers <= tol * mean feature variance of X. Mini-batch stops after
 * max_iter passes over the data or when the smoothed batch inertia has not
 * improved for 10 batches.
 *
 * Determinism: assignments are independent per row (OpenMP over row blocks),
 * every sum runs serially or over fixed blocks in a fixed order, so the same
 * seed gives the same centers for any thread count. The loops are scheduled
 * dynamically: on a busy machine a thread that loses its core would
 * otherwise hold every other one at the barrier (measured: half the time
 * spinning in libgomp with a static split under load 4 on 2 cores). */
#include "kmeans_impl.h"

#include "lathe/cluster.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per GEMM block: D (rows, k) of about 64 KB, so it stays in L2, and
 * few enough BLAS calls that their fixed cost does not show. */
static int64_t km_block(int64_t k)
{
    int64_t b = 16384 / (k > 0 ? k : 1);
    return b < 64 ? 64 : b > 4096 ? 4096 : b;
}
#define KM_SUMBLK 4096 /* rows per partial sum (fixed: thread-count independent) */

static const char *algo_names[] = {"lloyd", "hamerly", "minibatch"};

static const lt_param_spec kmeans_params[] = {
    {"k", LT_PARAM_INT, offsetof(kmeans, k), 8, 1, LT_PARAM_NOMAX, NULL, "number of clusters"},
    {"init", LT_PARAM_CHOICE, offsetof(kmeans, init), KM_INIT_PP, 0, 0, "kmeans++|random",
     "seeding: greedy k-means++ or k distinct random rows"},
    {"n_init", LT_PARAM_INT, offsetof(kmeans, n_init), 0, 0, 1000, NULL,
     "restarts, the lowest inertia is kept; 0 = auto (1 for kmeans++, 10 for random)"},
    {"max_iter", LT_PARAM_INT, offsetof(kmeans, max_iter), 300, 1, 1e8, NULL,
     "iterations (minibatch: passes over the data)"},
    {"tol", LT_PARAM_FLOAT, offsetof(kmeans, tol), 1e-4, 0, LT_PARAM_NOMAX, NULL,
     "stop when the squared center shift <= tol * mean feature variance"},
    {"algorithm", LT_PARAM_CHOICE, offsetof(kmeans, algorithm), KM_LLOYD, 0, 0,
     "lloyd|hamerly|minibatch", "lloyd (BLAS), hamerly (exact, triangle inequality), minibatch"},
    {"batch_size", LT_PARAM_INT, offsetof(kmeans, batch_size), 1024, 1, 1e9, NULL,
     "minibatch: rows per batch"},
};

/* ---- shared steps ---------------------------------------------------------- */

/* Row r of D (m, k) -> nearest center (and the squared distances). */
static inline void argmin_row(const float *Dr, const float *cc, int64_t k, const float *x,
                              int64_t d, int32_t *lab, float *dist2, float *second2)
{
    float best = Dr[0] + cc[0], sec = FLT_MAX;
    int32_t bj = 0;
    if (!second2) {  // the hot path (Lloyd, predict): branch-free argmin
        for (int64_t j = 1; j < k; j++) {
            float v = Dr[j] + cc[j];
            int lt = v < best;
            best = lt ? v : best;
            bj = lt ? (int32_t)j : bj;
        }
    } else {
        for (int64_t j = 1; j < k; j++) {
            float v = Dr[j] + cc[j];
            if (v < best) {
                sec = best;
                best = v;
                bj = (int32_t)j;
            } else if (v < sec) {
                sec = v;
            }
        }
    }
    *lab = bj;
    if (dist2 || second2) {
        float xx = 0;
        for (int64_t f = 0; f < d; f++)
            xx += x[f] * x[f];
        if (dist2)
            *dist2 = fmaxf(best + xx, 0.0f);
        if (second2)
            *second2 = sec == FLT_MAX ? FLT_MAX : fmaxf(sec + xx, 0.0f);
    }
}

int km_assign(const float *X, int64_t n, int64_t d, const float *C, int64_t k, int32_t *lab,
              float *dist2, float *second2)
{
    float *cc = lt_malloc(sizeof(float) * (size_t)k);
    if (!cc)
        return LT_ENOMEM;
    for (int64_t j = 0; j < k; j++) {
        double s = 0;
        for (int64_t f = 0; f < d; f++)
            s += (double)C[j * d + f] * C[j * d + f];
        cc[j] = (float)s;
    }
    const int64_t B = km_block(k), nb = (n + B - 1) / B;
    int fail = 0;
    // Row blocks over OpenMP threads, BLAS on one thread inside (as
    // scikit-learn does). One BLAS call per larger chunk, threaded by
    // OpenBLAS, with the argmin on OpenMP threads measured 3-7x slower on
    // this 2-core machine under load: the two thread pools spin against
    // each other.
    lt_blas_serial_begin();
#pragma omp parallel if (nb > 1)
    {
        float *D = malloc(sizeof(float) * (size_t)(B * k));
        if (!D) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!D)
                continue;
            const int64_t i0 = b * B, m = n - i0 < B ? n - i0 : B;
            // D (m, k) = -2 X[i0:i0+m] (m, d) C^T (d, k)
            lt_sgemm(0, 1, m, k, d, -2.0f, X + i0 * d, d, C, d, 0.0f, D, k);
            for (int64_t r = 0; r < m; r++)
                argmin_row(D + r * k, cc, k, X + (i0 + r) * d, d, lab + i0 + r,
                           dist2 ? dist2 + i0 + r : NULL, second2 ? second2 + i0 + r : NULL);
        }
        free(D);
    }
    lt_blas_serial_end();
    free(cc);
    return fail ? lt_error(LT_ENOMEM, "kmeans: out of memory for the distance blocks") : LT_OK;
}

static double row_dist2(const float *x, const float *c, int64_t d)
{
    double s = 0;
    for (int64_t f = 0; f < d; f++) {
        double t = (double)x[f] - c[f];
        s += t * t;
    }
    return s;
}

double km_update(const float *X, int64_t n, int64_t d, float *C, int64_t k, int32_t *lab,
                 double *sum, double *counts, int *moved)
{
    if (moved)
        *moved = 0;
    // Sums over fixed row blocks in parallel, then added in block order: the
    // same result for any thread count.
    const int64_t nblk = (n + KM_SUMBLK - 1) / KM_SUMBLK, w = k * d + k;
    double *part = nblk > 1 ? calloc((size_t)(nblk * w), sizeof(double)) : NULL;
    memset(sum, 0, sizeof(double) * (size_t)(k * d));
    memset(counts, 0, sizeof(double) * (size_t)k);
    if (part) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t b = 0; b < nblk; b++) {
            double *ps = part + b * w, *pc = ps + k * d;
            const int64_t i1 = (b + 1) * KM_SUMBLK < n ? (b + 1) * KM_SUMBLK : n;
            for (int64_t i = b * KM_SUMBLK; i < i1; i++) {
                const int32_t j = lab[i];
                pc[j] += 1;
                double *s = ps + j * d;
                const float *x = X + i * d;
                for (int64_t f = 0; f < d; f++)
                    s[f] += x[f];
            }
        }
        for (int64_t b = 0; b < nblk; b++) {
            const double *ps = part + b * w;
            for (int64_t q = 0; q < k * d; q++)
                sum[q] += ps[q];
            for (int64_t j = 0; j < k; j++)
                counts[j] += ps[k * d + j];
        }
        free(part);
    } else {  // one block (or no memory for the partial sums): serial, same order
        for (int64_t i = 0; i < n; i++) {
            const int32_t j = lab[i];
            counts[j] += 1;
            double *s = sum + j * d;
            const float *x = X + i * d;
            for (int64_t f = 0; f < d; f++)
                s[f] += x[f];
        }
    }
    // Empty clusters (as scikit-learn): move them to the rows farthest from
    // their current center, taken from clusters that keep other members.
    for (int64_t j = 0; j < k; j++) {
        if (counts[j] > 0)
            continue;
        int64_t far = -1;
        double fd = -1;
        for (int64_t i = 0; i < n; i++) {
            if (counts[lab[i]] < 2)
                continue;
            double dd = row_dist2(X + i * d, C + (int64_t)lab[i] * d, d);
            if (dd > fd)
                fd = dd, far = i;
        }
        if (far < 0)
            break;  // fewer distinct rows than clusters: leave it where it is
        const int32_t old = lab[far];
        const float *x = X + far * d;
        counts[old] -= 1;
        counts[j] = 1;
        for (int64_t f = 0; f < d; f++) {
            sum[old * d + f] -= x[f];
            sum[j * d + f] = x[f];
        }
        lab[far] = (int32_t)j;
        if (moved)
            (*moved)++;
    }
    double shift = 0;
    for (int64_t j = 0; j < k; j++) {
        if (counts[j] == 0)
            continue;
        for (int64_t f = 0; f < d; f++) {
            double c = sum[j * d + f] / counts[j], t = c - C[j * d + f];
            shift += t * t;
            C[j * d + f] = (float)c;
        }
    }
    return shift;
}

double km_inertia(const float *X, int64_t n, int64_t d, const float *C, const int32_t *lab)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += row_dist2(X + i * d, C + (int64_t)lab[i] * d, d);
    return s;
}

/* ---- seeding ----------------------------------------------------------------- */

/* Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's local
 * trials). closest (n): squared distance to the nearest chosen center. */
static int init_pp(const float *X, int64_t n, int64_t d, int64_t k, lt_rng *rng, float *C)
{
    const int trials = 2 + (int)log((double)k);
    const int64_t nblk = (n + KM_SUMBLK - 1) / KM_SUMBLK;
    double *closest = lt_malloc(sizeof(double) * (size_t)n);
    double *cum = lt_malloc(sizeof(double) * (size_t)n);
    double *cand = lt_malloc(sizeof(double) * (size_t)(trials * n));
    double *part = lt_malloc(sizeof(double) * (size_t)(trials * nblk));
    if (!closest || !cum || !cand || !part) {
        free(closest), free(cum), free(cand), free(part);
        return LT_ENOMEM;
    }
    int64_t first = (int64_t)lt_rng_below(rng, (uint64_t)n);
    memcpy(C, X + first * d, sizeof(float) * (size_t)d);
#pragma omp parallel for schedule(dynamic, 4096)
    for (int64_t i = 0; i < n; i++)
        closest[i] = row_dist2(X + i * d, C, d);
    double pot = 0;
    for (int64_t i = 0; i < n; i++)
        pot += closest[i];
    int64_t idx[32];
    for (int64_t c = 1; c < k; c++) {
        double acc = 0;
        for (int64_t i = 0; i < n; i++)
            cum[i] = acc += closest[i];
        for (int t = 0; t < trials; t++) {
            double r = lt_rng_uniform(rng) * acc;
            int64_t lo = 0, hi = n - 1;  // first i with cum[i] > r (searchsorted right)
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (cum[mid] > r)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            idx[t] = lo;
        }
        // cand[t] (n) = min(closest, squared distance to candidate t); part = block sums
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t b = 0; b < nblk; b++) {
            const int64_t i1 = (b + 1) * KM_SUMBLK < n ? (b + 1) * KM_SUMBLK : n;
            for (int t = 0; t < trials; t++) {
                const float *cx = X + idx[t] * d;
                double s = 0;
                for (int64_t i = b * KM_SUMBLK; i < i1; i++) {
                    double v = fmin(closest[i], row_dist2(X + i * d, cx, d));
                    cand[t * n + i] = v;
                    s += v;
                }
                part[t * nblk + b] = s;
            }
        }
        int best = 0;
        double best_pot = DBL_MAX;
        for (int t = 0; t < trials; t++) {
            double s = 0;
            for (int64_t b = 0; b < nblk; b++)
                s += part[t * nblk + b];
            if (s < best_pot)
                best_pot = s, best = t;
        }
        memcpy(closest, cand + best * n, sizeof(double) * (size_t)n);
        pot = best_pot;
        memcpy(C + c * d, X + idx[best] * d, sizeof(float) * (size_t)d);
    }
    (void)pot;
    free(closest), free(cum), free(cand), free(part);
    return LT_OK;
}

/* k distinct rows, uniformly. */
static int init_random(const float *X, int64_t n, int64_t d, int64_t k, lt_rng *rng, float *C)
{
    int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)n);
    if (!idx)
        return LT_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < k; j++) {  // partial Fisher-Yates
        int64_t r = j + (int64_t)lt_rng_below(rng, (uint64_t)(n - j));
        int64_t t = idx[j];
        idx[j] = idx[r], idx[r] = t;
        memcpy(C + j * d, X + idx[j] * d, sizeof(float) * (size_t)d);
    }
    free(idx);
    return LT_OK;
}

static int km_init(const kmeans *m, const float *X, int64_t n, int64_t d, lt_rng *rng, float *C)
{
    return m->init == KM_INIT_RANDOM ? init_random(X, n, d, m->k, rng, C)
                                     : init_pp(X, n, d, m->k, rng, C);
}

/* ---- Lloyd ---------------------------------------------------------------- */

static int km_lloyd(const kmeans *m, const float *X, int64_t n, int64_t d, float *C,
                    int32_t *lab, double tol_abs, km_run *res)
{
    const int64_t k = m->k;
    int32_t *prev = lt_malloc(sizeof(int32_t) * (size_t)n);
    float *dist2 = lt_malloc(sizeof(float) * (size_t)n);
    double *sum = lt_malloc(sizeof(double) * (size_t)(k * d + k));
    int rc = prev && dist2 && sum ? LT_OK : LT_ENOMEM;
    memset(res, 0, sizeof *res);
    for (int it = 0; !rc && it < m->max_iter; it++) {
        if ((rc = km_assign(X, n, d, C, k, lab, dist2, NULL)))
            break;
        res->n_iter = it + 1;
        if (it > 0 && memcmp(prev, lab, sizeof(int32_t) * (size_t)n) == 0) {
            res->converged = 1;  // labels unchanged: C already holds their means
            break;
        }
        memcpy(prev, lab, sizeof(int32_t) * (size_t)n);
        double shift = km_update(X, n, d, C, k, lab, sum, sum + k * d, NULL);
        if (m->base.progress) {
            double in = 0;
            for (int64_t i = 0; i < n; i++)
                in += dist2[i];
            m->base.progress(m->base.progress_user, it + 1, m->max_iter, in);
        }
        if (shift <= tol_abs) {
            res->converged = 1;
            break;
        }
    }
    // Labels consistent with the final centers (scikit-learn does the same).
    if (!rc && (rc = km_assign(X, n, d, C, k, lab, NULL, NULL)) == LT_OK)
        res->inertia = km_inertia(X, n, d, C, lab);
    free(prev), free(dist2), free(sum);
    return rc;
}

/* ---- mini-batch (Sculley 2010) ---------------------------------------------- */

static int km_minibatch(const kmeans *m, const float *X, int64_t n, int64_t d, lt_rng *rng,
                        int n_init, float *C, int32_t *lab, km_run *res)
{
    const int64_t k = m->k, b = m->batch_size < n ? m->batch_size : n;
    int64_t ninit = 3 * b > 3 * k ? 3 * b : 3 * k;
    if (ninit > n)
        ninit = n;
    int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)n);
    float *Xs = lt_malloc(sizeof(float) * (size_t)(ninit * d));
    float *Ct = lt_malloc(sizeof(float) * (size_t)(k * d));
    float *d2 = lt_malloc(sizeof(float) * (size_t)(ninit > b ? ninit : b));
    int32_t *lb = lt_malloc(sizeof(int32_t) * (size_t)(ninit > b ? ninit : b));
    double *v = lt_calloc((size_t)(2 * k + k * d), sizeof(double));
    int rc = idx && Xs && Ct && d2 && lb && v ? LT_OK : LT_ENOMEM;
    if (rc)
        goto out;
    memset(res, 0, sizeof *res);
    // Seeding on a random subsample of 3 batches; with n_init > 1 the seeding
    // with the lowest inertia on that subsample wins.
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < ninit && ninit < n; j++) {
        int64_t r = j + (int64_t)lt_rng_below(rng, (uint64_t)(n - j)), t = idx[j];
        idx[j] = idx[r], idx[r] = t;
    }
    for (int64_t j = 0; j < ninit; j++)
        memcpy(Xs + j * d, X + idx[j] * d, sizeof(float) * (size_t)d);
    double best = DBL_MAX;
    for (int r = 0; r < n_init && !rc; r++) {
        if ((rc = km_init(m, Xs, ninit, d, rng, Ct)) ||
            (rc = km_assign(Xs, ninit, d, Ct, k, lb, d2, NULL)))
            break;
        double in = 0;
        for (int64_t i = 0; i < ninit; i++)
            in += d2[i];
        if (in < best) {
            best = in;
            memcpy(C, Ct, sizeof(float) * (size_t)(k * d));
        }
    }
    if (rc)
        goto out;
    // Batches drawn with replacement; center j moves to the running mean of
    // every row ever assigned to it: c += (x - c) / count (Sculley's rate).
    float *Xb = Xs;  // ninit >= b rows: reuse as the batch buffer
    double *cnt = v, *bcnt = v + k, *bsum = v + 2 * k;
    const int64_t steps = (int64_t)m->max_iter * ((n + b - 1) / b);
    const double alpha = fmin(1.0, 2.0 * (double)b / ((double)n + 1));
    double ewa = -1, best_ewa = DBL_MAX;
    int no_improve = 0;
    int64_t s = 0;
    for (; s < steps; s++) {
        for (int64_t r = 0; r < b; r++)
            memcpy(Xb + r * d, X + (int64_t)lt_rng_below(rng, (uint64_t)n) * d,
                   sizeof(float) * (size_t)d);
        if ((rc = km_assign(Xb, b, d, C, k, lb, d2, NULL)))
            goto out;
        double bi = 0;
        memset(bcnt, 0, sizeof(double) * (size_t)(k + k * d));
        for (int64_t r = 0; r < b; r++) {
            bi += d2[r];
            bcnt[lb[r]] += 1;
            for (int64_t f = 0; f < d; f++)
                bsum[lb[r] * d + f] += Xb[r * d + f];
        }
        for (int64_t j = 0; j < k; j++) {
            if (bcnt[j] == 0)
                continue;
            double nc = cnt[j] + bcnt[j];
            for (int64_t f = 0; f < d; f++)
                C[j * d + f] = (float)((C[j * d + f] * cnt[j] + bsum[j * d + f]) / nc);
            cnt[j] = nc;
        }
        bi /= (double)b;
        ewa = ewa < 0 ? bi : ewa * (1 - alpha) + bi * alpha;
        if (m->base.progress && s % 100 == 0)
            m->base.progress(m->base.progress_user, s + 1, steps, ewa);
        if (ewa < best_ewa) {
            best_ewa = ewa;
            no_improve = 0;
        } else if (++no_improve >= 10) {
            res->converged = 1;
            s++;
            break;
        }
    }
    res->n_iter = (int)(s > 2147483647 ? 2147483647 : s);
    if ((rc = km_assign(X, n, d, C, k, lab, NULL, NULL)) == LT_OK)
        res->inertia = km_inertia(X, n, d, C, lab);
out:
    free(idx), free(Xs), free(Ct), free(d2), free(lb), free(v);
    return rc;
}

/* ---- vtable ----------------------------------------------------------------- */

static void kmeans_destroy(lt_model *mm)
{
    kmeans *m = (kmeans *)mm;
    free(m->centers);
    free(m->sizes);
    m->centers = m->sizes = NULL;
}

static int kmeans_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                      const float *w)
{
    kmeans *m = (kmeans *)mm;
    (void)y;
    if (w)
        return lt_error(LT_EUNSUPPORTED, "kmeans: sample weights are not supported");
    const int64_t k = m->k;
    if (k < 1)
        return lt_error(LT_EINVAL, "kmeans: parameter 'k' must be >= 1 (got %d)", m->k);
    if (k > n)
        return lt_error(LT_EINVAL,
                        "kmeans: parameter 'k' = %lld is larger than the number of rows (%lld)",
                        (long long)k, (long long)n);
    const int n_init = m->n_init ? m->n_init : m->init == KM_INIT_RANDOM ? 10 : 1;
    // tol is relative to the data: scikit-learn's tol * mean(var(X, axis=0)).
    double mv = 0;
    for (int64_t f = 0; f < d; f++) {
        double mean = 0, ss = 0;
        for (int64_t i = 0; i < n; i++)
            mean += X[i * d + f];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++)
            ss += (X[i * d + f] - mean) * (X[i * d + f] - mean);
        mv += ss / (double)n;
    }
    const double tol_abs = m->tol * mv / (double)d;

    float *C = lt_malloc(sizeof(float) * (size_t)(k * d));
    float *bestC = lt_malloc(sizeof(float) * (size_t)(k * d));
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)n);
    float *sizes = lt_calloc((size_t)k, sizeof(float));
    int rc = C && bestC && lab && sizes ? LT_OK : LT_ENOMEM;
    lt_rng rng;
    lt_rng_seed(&rng, mm->seed);
    km_run best = {DBL_MAX, 0, 0}, run;
    lt_blas_serial_begin();  // once for the fit: every pass below nests inside
    if (!rc && m->algorithm == KM_MINIBATCH) {
        rc = km_minibatch(m, X, n, d, &rng, n_init, bestC, lab, &best);
    } else {
        for (int r = 0; !rc && r < n_init; r++) {
            if ((rc = km_init(m, X, n, d, &rng, C)))
                break;
            rc = m->algorithm == KM_HAMERLY ? km_hamerly(m, X, n, d, C, lab, tol_abs, &run)
                                            : km_lloyd(m, X, n, d, C, lab, tol_abs, &run);
            if (!rc && run.inertia < best.inertia) {
                best = run;
                memcpy(bestC, C, sizeof(float) * (size_t)(k * d));
            }
        }
        if (!rc && n_init > 1)  // labels of the kept run, for the sizes
            rc = km_assign(X, n, d, bestC, k, lab, NULL, NULL);
    }
    lt_blas_serial_end();
    if (!rc) {
        for (int64_t i = 0; i < n; i++)
            sizes[lab[i]] += 1;
        kmeans_destroy(mm);
        m->centers = bestC, m->sizes = sizes, m->kfit = k;
        bestC = NULL, sizes = NULL;
        m->inertia = best.inertia;
        m->n_iter = best.n_iter;
        m->converged = best.converged;
    } else {
        lt_error_wrap(rc, "kmeans (%s): ", algo_names[m->algorithm]);
    }
    free(C), free(bestC), free(lab), free(sizes);
    return rc;
}

static int kmeans_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const kmeans *m = (const kmeans *)mm;
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)n);
    if (!lab)
        return LT_ENOMEM;
    int rc = km_assign(X, n, mm->nfeat, m->centers, m->kfit, lab, NULL, NULL);
    for (int64_t i = 0; !rc && i < n; i++)
        out[i] = (float)lab[i];
    free(lab);
    return rc;
}

static int kmeans_save(const lt_model *mm, lt_state *st)
{
    const kmeans *m = (const kmeans *)mm;
    int64_t cs[2] = {m->kfit, mm->nfeat}, ks[1] = {m->kfit}, fs[1] = {3};
    float fit[3] = {(float)m->inertia, (float)m->n_iter, (float)m->converged};
    int rc = lt_state_put(st, "centers", 2, cs, m->centers);
    if (!rc)
        rc = lt_state_put(st, "sizes", 1, ks, m->sizes);
    return rc ? rc : lt_state_put(st, "fit", 1, fs, fit);
}

static int kmeans_load(lt_model *mm, const lt_state *st)
{
    kmeans *m = (kmeans *)mm;
    int64_t cs[2] = {m->k, mm->nfeat}, ks[1] = {m->k}, fs[1] = {3};
    const lt_tensor *c, *s, *f;
    int rc = lt_state_expect(st, "centers", 2, cs, &c);
    if (rc || (rc = lt_state_expect(st, "sizes", 1, ks, &s)) ||
        (rc = lt_state_expect(st, "fit", 1, fs, &f)))
        return rc;
    for (int64_t i = 0; i < m->k * mm->nfeat; i++)
        if (!isfinite(c->data[i]))
            return lt_error(LT_ECORRUPT, "kmeans: centers hold a non-finite value");
    float *C = lt_malloc(sizeof(float) * (size_t)(m->k * mm->nfeat));
    float *S = lt_malloc(sizeof(float) * (size_t)m->k);
    if (!C || !S) {
        free(C), free(S);
        return LT_ENOMEM;
    }
    memcpy(C, c->data, sizeof(float) * (size_t)(m->k * mm->nfeat));
    memcpy(S, s->data, sizeof(float) * (size_t)m->k);
    kmeans_destroy(mm);
    m->centers = C, m->sizes = S, m->kfit = m->k;
    m->inertia = f->data[0], m->n_iter = (int)f->data[1], m->converged = f->data[2] != 0;
    return LT_OK;
}

static char *kmeans_describe(const lt_model *mm)
{
    const kmeans *m = (const kmeans *)mm;
    size_t cap = 160 + 24 * (size_t)m->kfit, len;
    char *s = lt_malloc(cap);
    if (!s)
        return NULL;
    len = (size_t)snprintf(s, cap,
                           "{\"inertia\":%.10g,\"n_iter\":%d,\"k\":%lld,\"converged\":%s,"
                           "\"algorithm\":\"%s\",\"sizes\":[",
                           m->inertia, m->n_iter, (long long)m->kfit,
                           m->converged ? "true" : "false", algo_names[m->algorithm]);
    for (int64_t j = 0; j < m->kfit && len < cap; j++)
        len += (size_t)snprintf(s + len, cap - len, "%s%.0f", j ? "," : "", (double)m->sizes[j]);
    if (len < cap)
        snprintf(s + len, cap - len, "]}");
    return s;
}

const lt_model_vtable lt_kmeans_vtable = {
    .name = "kmeans",
    .summary = "k-means clustering (lloyd via BLAS, hamerly, minibatch; k-means++ seeding)",
    .unsupervised_task = LT_TASK_CLUSTER,
    .size = sizeof(kmeans),
    .params = kmeans_params,
    .nparams = (int)(sizeof kmeans_params / sizeof kmeans_params[0]),
    .fit = kmeans_fit,
    .predict = kmeans_predict,
    .save = kmeans_save,
    .load = kmeans_load,
    .describe = kmeans_describe,
    .destroy = kmeans_destroy,
};

/* ---- public accessors (lathe/cluster.h) ---------------------------------------- */

static int as_kmeans(const lt_model *m, const kmeans **out)
{
    if (!m || m->vt != &lt_kmeans_vtable)
        return lt_error(LT_EINVAL, "not a kmeans model (%s)", m ? m->vt->name : "NULL");
    if (!m->fitted)
        return lt_error(LT_ESTATE, "kmeans: model is not fitted");
    *out = (const kmeans *)m;
    return LT_OK;
}

int lt_kmeans_centers(const lt_model *mm, const float **centers, int64_t *k)
{
    const kmeans *m = NULL;
    int rc = as_kmeans(mm, &m);
    if (rc)
        return rc;
    *centers = m->centers;
    *k = m->kfit;
    return LT_OK;
}

int lt_kmeans_inertia(const lt_model *mm, const float *X, int64_t n, double *out)
{
    const kmeans *m = NULL;
    int rc = as_kmeans(mm, &m);
    if (rc)
        return rc;
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!lab)
        return LT_ENOMEM;
    rc = km_assign(X, n, mm->nfeat, m->centers, m->kfit, lab, NULL, NULL);
    if (!rc)
        *out = km_inertia(X, n, mm->nfeat, m->centers, lab);
    free(lab);
    return rc;
}
