/* The row passes of k-means (private, kmeans_impl.h): nearest centers
 * through lt_sgemm, the fused Lloyd pass (labels and the new centers' sums
 * in one read of X, as scikit-learn's chunked Lloyd does), the center
 * update and the exact inertia.
 *
 * Threads: one OpenMP region per pass over fixed units of rows (km_plan),
 * BLAS single-threaded inside. Each unit writes its own partial sums, added
 * afterwards in unit order, so the result is bit-identical for any thread
 * count; units are handed out dynamically because on a loaded machine a
 * thread that loses its core would otherwise hold the other at the barrier.
 * Profile that led here (250k x 5, k = 8, 2 threads, load ~7): 50% of the
 * fit in libgomp spin-waits with three regions per iteration (assign,
 * sums, reduction), the assign itself dominated by a per-row scalar argmin
 * over D (rows, k). Now: one region per iteration, and the argmin runs
 * over D^T (k, rows) so it vectorises across rows. */
#include "kmeans_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

int km_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

int km_plan_init(km_plan *p, int64_t n, int64_t d, int64_t k)
{
    memset(p, 0, sizeof *p);
    p->n = n, p->d = d, p->k = k;
    // Rows per GEMM block: D^T (k, blk) of about 64 KB, so it stays in L2,
    // and few enough BLAS calls that their fixed cost does not show.
    int64_t b = 16384 / k;
    p->blk = b < 64 ? 64 : b > 4096 ? 4096 : b;
    // Units of >= 4096 rows (whole blocks); at most 4M partial doubles in all.
    p->w = k * d + k;
    int64_t unit = p->blk * ((4096 + p->blk - 1) / p->blk), maxu = ((int64_t)1 << 22) / p->w;
    if (maxu < 1)
        maxu = 1;
    if ((n + unit - 1) / unit > maxu) {
        unit = (n + maxu - 1) / maxu;
        unit = p->blk * ((unit + p->blk - 1) / p->blk);
    }
    p->unit = unit;
    p->nunit = n > 0 ? (n + unit - 1) / unit : 0;
#ifdef _OPENMP
    p->nthr = omp_get_max_threads();
#else
    p->nthr = 1;
#endif
    p->part = malloc(sizeof(double) * (size_t)(p->nunit * (p->w + 1) + 1));
    p->inert = p->part + p->nunit * p->w;
    // per thread: D^T (k, blk), best (blk), label (blk)
    p->tw = (k + 2) * p->blk;
    p->scratch = malloc(sizeof(float) * (size_t)(p->nthr * p->tw));
    p->cc = malloc(sizeof(float) * (size_t)k);
    if (!p->part || !p->scratch || !p->cc) {
        km_plan_free(p);
        return lt_error(LT_ENOMEM, "kmeans: out of memory for the pass buffers");
    }
    return LT_OK;
}

void km_plan_free(km_plan *p)
{
    free(p->part), free(p->scratch), free(p->cc);
    p->part = p->inert = NULL, p->scratch = NULL, p->cc = NULL;
}

/* ||c_j||^2 of every center, for the expansion. */
static void center_norms(const km_plan *p, const float *C)
{
    for (int64_t j = 0; j < p->k; j++) {
        double s = 0;
        for (int64_t f = 0; f < p->d; f++)
            s += (double)C[j * p->d + f] * C[j * p->d + f];
        p->cc[j] = (float)s;
    }
}

/* Nearest center of the m rows Xb (m, d): D^T (k, m) = -2 C Xb^T, then
 * best[r] = min_j D^T[j][r] + ||c_j||^2 (the row's own ||x||^2 left out),
 * lab[r] = the first j reaching it. The j-outer loop runs along rows, so
 * the compiler vectorises it. */
static void block_nearest(const km_plan *p, const float *Xb, int64_t m, const float *C,
                          float *restrict Dt, float *restrict best, int32_t *restrict lab)
{
    const int64_t k = p->k;
    lt_sgemm(0, 1, k, m, p->d, -2.0f, C, p->d, Xb, p->d, 0.0f, Dt, m);
    const float c0 = p->cc[0];
    // omp simd: -O2 (the Release flags) left the argmin scalar and branchy
    // (profiled: 50% of a 1-thread fit on its compare and branch).
#pragma omp simd
    for (int64_t r = 0; r < m; r++) {
        best[r] = Dt[r] + c0;
        lab[r] = 0;
    }
    for (int64_t j = 1; j < k; j++) {
        const float *Dj = Dt + j * m, cj = p->cc[j];
        const int32_t jj = (int32_t)j;
#pragma omp simd
        for (int64_t r = 0; r < m; r++) {
            // label through a mask: GCC 12 leaves `v < b ? jj : l` as a
            // branch ("control flow in loop") and does not vectorise it
            const float v = Dj[r] + cj, b = best[r];
            const int32_t mk = -(int32_t)(v < b);
            lab[r] = (lab[r] & ~mk) | (jj & mk);
            best[r] = v < b ? v : b;
        }
    }
}

static void thread_buffers(const km_plan *p, float **Dt, float **best, int32_t **lab)
{
    float *s = p->scratch + (int64_t)km_thread_id() * p->tw;
    *Dt = s;
    *best = s + p->k * p->blk;
    *lab = (int32_t *)(s + (p->k + 1) * p->blk);
}

void km_plan_assign(const km_plan *p, const float *X, const float *C, int32_t *lab, float *dist2)
{
    const int64_t n = p->n, d = p->d;
    center_norms(p, C);
#pragma omp parallel if (p->nunit > 1)
    {
        float *Dt, *best;
        int32_t *bl;
        thread_buffers(p, &Dt, &best, &bl);
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < p->nunit; u++) {
            const int64_t i1 = (u + 1) * p->unit < n ? (u + 1) * p->unit : n;
            for (int64_t i0 = u * p->unit; i0 < i1; i0 += p->blk) {
                const int64_t m = i1 - i0 < p->blk ? i1 - i0 : p->blk;
                block_nearest(p, X + i0 * d, m, C, Dt, best, lab + i0);
                if (dist2)
                    for (int64_t r = 0; r < m; r++) {
                        const float *x = X + (i0 + r) * d;
                        float xx = 0;
                        for (int64_t f = 0; f < d; f++)
                            xx += x[f] * x[f];
                        dist2[i0 + r] = best[r] + xx > 0 ? best[r] + xx : 0;
                    }
            }
        }
    }
}

int km_assign(const float *X, int64_t n, int64_t d, const float *C, int64_t k, int32_t *lab,
              float *dist2)
{
    km_plan p;
    if (n == 0)
        return LT_OK;
    int rc = km_plan_init(&p, n, d, k);
    if (rc)
        return rc;
    lt_blas_serial_begin();
    km_plan_assign(&p, X, C, lab, dist2);
    lt_blas_serial_end();
    km_plan_free(&p);
    return LT_OK;
}

void km_plan_reduce(const km_plan *p, double *sum, double *counts)
{
    const int64_t kd = p->k * p->d;
    memset(sum, 0, sizeof(double) * (size_t)kd);
    memset(counts, 0, sizeof(double) * (size_t)p->k);
    for (int64_t u = 0; u < p->nunit; u++) {  // unit order: thread-count independent
        const double *ps = p->part + u * p->w;
        for (int64_t q = 0; q < kd; q++)
            sum[q] += ps[q];
        for (int64_t j = 0; j < p->k; j++)
            counts[j] += ps[kd + j];
    }
}

/* Block rows Xb (m, d) join their unit's partial ps by new label bl (m);
 * returns how many differ from lab (m), which is updated. Inlined with a
 * constant d for narrow tables (the sensor case), so the row's d adds
 * unroll: the generic loop was 40% of the pass in the profile. */
static inline __attribute__((always_inline)) int64_t
block_sums(double *restrict ps, int64_t kd, int64_t d, const float *restrict Xb,
           const int32_t *restrict bl, int32_t *restrict lab, int64_t m)
{
    int64_t changes = 0;
    for (int64_t r = 0; r < m; r++) {
        const int32_t a = bl[r];
        changes += lab[r] != a;
        lab[r] = a;
        km_part_add(ps, kd, d, a, Xb + r * d);
    }
    return changes;
}

static int64_t block_sums_d(double *ps, int64_t kd, int64_t d, const float *Xb, const int32_t *bl,
                            int32_t *lab, int64_t m)
{
    switch (d) {
#define KM_D(D) \
    case D: return block_sums(ps, kd, D, Xb, bl, lab, m);
        KM_D(1) KM_D(2) KM_D(3) KM_D(4) KM_D(5) KM_D(6) KM_D(7) KM_D(8)
#undef KM_D
    default: return block_sums(ps, kd, d, Xb, bl, lab, m);
    }
}

int64_t km_plan_lloyd(const km_plan *p, const float *X, const float *C, int32_t *lab,
                      const float *xx, double *sum, double *counts, double *inertia)
{
    const int64_t n = p->n, d = p->d, kd = p->k * d;
    int64_t changes = 0;
    center_norms(p, C);
#pragma omp parallel if (p->nunit > 1) reduction(+ : changes)
    {
        float *Dt, *best;
        int32_t *bl;
        thread_buffers(p, &Dt, &best, &bl);
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < p->nunit; u++) {
            double *ps = p->part + u * p->w, uin = 0;
            memset(ps, 0, sizeof(double) * (size_t)p->w);
            const int64_t i1 = (u + 1) * p->unit < n ? (u + 1) * p->unit : n;
            for (int64_t i0 = u * p->unit; i0 < i1; i0 += p->blk) {
                const int64_t m = i1 - i0 < p->blk ? i1 - i0 : p->blk;
                block_nearest(p, X + i0 * d, m, C, Dt, best, bl);
                changes += block_sums_d(ps, kd, d, X + i0 * d, bl, lab + i0, m);
                if (xx) {  // progress only: the block's inertia, float within a block
                    float bin = 0;
#pragma omp simd reduction(+ : bin)
                    for (int64_t r = 0; r < m; r++) {
                        const float v = best[r] + xx[i0 + r];
                        bin += v > 0 ? v : 0;
                    }
                    uin += bin;
                }
            }
            p->inert[u] = uin;
        }
    }
    km_plan_reduce(p, sum, counts);
    if (xx && inertia) {
        double in = 0;
        for (int64_t u = 0; u < p->nunit; u++)
            in += p->inert[u];
        *inertia = in;
    }
    return changes;
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

double km_finish(const float *X, int64_t n, int64_t d, float *C, int64_t k, int32_t *lab,
                 double *sum, double *counts, int *moved)
{
    if (moved)
        *moved = 0;
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
