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
 * over D^T (k, rows) so it vectorises across rows. Narrow tables (d <=
 * KM_SMALL_D) skip the GEMM (near_small): at d = 5 half of its time went
 * to packing the rows. */
#include "kmeans_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

int km_pass_begin(const km_plan *p)
{
    return p->nunit > 1 && p->nthr > 1 && p->par ? p->nthr : 1;
}

void km_pass_end(km_plan *p, int nt, double wall, double busy)
{
    if (nt > 1) {
        p->par = busy >= 1.3 * wall;
        p->wait = 16;
    } else if (!p->par && --p->wait <= 0) {
        p->par = 1;
    }
}

double km_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
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
    p->ncopy = p->w <= 512 ? 4 : 1;
    p->ws = p->ncopy * p->w;
    int64_t unit = p->blk * ((4096 + p->blk - 1) / p->blk), maxu = ((int64_t)1 << 22) / p->ws;
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
    p->small = d <= KM_SMALL_D;
    p->par = 1;
    p->part = malloc(sizeof(double) * (size_t)(p->nunit * (p->ws + 1) + 1));
    p->inert = p->part + p->nunit * p->ws;
    // per thread: D^T (k, blk), x^T (d, blk) (small only), best (blk), label (blk)
    p->tw = (k + (p->small ? d : 0) + 2) * p->blk;
    p->scratch = malloc(sizeof(float) * (size_t)(p->nthr * p->tw));
    p->cc = malloc(sizeof(float) * (size_t)k);
    if (!p->part || !p->scratch || !p->cc) {
        km_plan_free(p);
        return lt_error(LT_ENOMEM, "kmeans: out of memory for the pass buffers");
    }
    return LT_OK;
}

int km_transpose(const float *X, int64_t n, int64_t d, float **xt)
{
    *xt = NULL;
    if (d > KM_SMALL_D || n == 0)
        return LT_OK;
    float *t = malloc(sizeof(float) * (size_t)(n * d));
    if (!t)
        return lt_error(LT_ENOMEM, "kmeans: out of memory for the rows' copy");
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t i0 = 0; i0 < n; i0 += 4096) {
        const int64_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
        for (int64_t i = i0; i < i1; i++)
            for (int64_t f = 0; f < d; f++)
                t[f * n + i] = X[i * d + f];
    }
    *xt = t;
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

void km_thread_scratch(const km_plan *p, float **Dt, float **xT, float **best, int32_t **lab)
{
    float *s = p->scratch + (int64_t)km_thread_id() * p->tw;
    const int64_t rows = p->k + (p->small ? p->d : 0);
    *Dt = s;
    *xT = p->small ? s + p->k * p->blk : NULL;
    *best = s + rows * p->blk;
    *lab = (int32_t *)(s + (rows + 1) * p->blk);
}

/* The block's rows column-major: p->xt + i0 (ld n), or copied into xT (ld m). */
static const float *block_xt(const km_plan *p, const float *X, int64_t i0, int64_t m, float *xT,
                             int64_t *ld)
{
    if (p->xt) {
        *ld = p->n;
        return p->xt + i0;
    }
    const int64_t d = p->d;
    const float *Xb = X + i0 * d;
    for (int64_t r = 0; r < m; r++)
        for (int64_t f = 0; f < d; f++)
            xT[f * m + r] = Xb[r * d + f];
    *ld = m;
    return xT;
}

/* out (m): squared distances of the m rows of xt (d, ld) column-major to
 * center c (d), built up feature by feature so every loop runs along rows. */
static inline __attribute__((always_inline)) void
rows_dist2(const float *restrict xt, int64_t ld, int64_t m, int64_t d, const float *restrict c,
           float *restrict out)
{
#pragma omp simd
    for (int64_t r = 0; r < m; r++) {
        const float t = xt[r] - c[0];
        out[r] = t * t;
    }
    for (int64_t f = 1; f < d; f++) {
        const float *xf = xt + f * ld, cf = c[f];
#pragma omp simd
        for (int64_t r = 0; r < m; r++) {
            const float t = xf[r] - cf;
            out[r] += t * t;
        }
    }
}

/* D (kc, m): squared distances of kc centers Cc (kc, d) to each row, in
 * columns of m; the direct kernel's sums for small d (vectorised across
 * rows), else through lt_sgemm and the expansion (clamped at 0). */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
dist_small(const float *xt, int64_t ld, int64_t m, int64_t d, const float *Cc, int64_t kc,
           float *D)
{
    for (int64_t j = 0; j < kc; j++)
        rows_dist2(xt, ld, m, d, Cc + j * d, D + j * m);
}

void km_plan_dist(const km_plan *p, const float *X, int64_t i0, int64_t m, const float *Cc,
                  int64_t kc, float *D)
{
    const int64_t d = p->d;
    float *Dt, *xT, *best;
    int32_t *bl;
    km_thread_scratch(p, &Dt, &xT, &best, &bl);
    if (p->small) {
        int64_t ld;
        const float *xt = block_xt(p, X, i0, m, xT, &ld);
        dist_small(xt, ld, m, d, Cc, kc, D);
        return;
    }
    const float *Xb = X + i0 * d;
    lt_sgemm(0, 1, kc, m, d, -2.0f, Cc, d, Xb, d, 0.0f, D, m);
    for (int64_t r = 0; r < m; r++) {  // best: the rows' squared norms
        float xx = 0;
        for (int64_t f = 0; f < d; f++)
            xx += Xb[r * d + f] * Xb[r * d + f];
        best[r] = xx;
    }
    for (int64_t j = 0; j < kc; j++) {
        float cc = 0, *Dj = D + j * m;
        for (int64_t f = 0; f < d; f++)
            cc += Cc[j * d + f] * Cc[j * d + f];
#pragma omp simd
        for (int64_t r = 0; r < m; r++) {
            const float v = Dj[r] + cc + best[r];
            Dj[r] = v > 0 ? v : 0;
        }
    }
}

/* Nearest center of m rows given column-major (xt[f * ld + r]), by direct
 * differences: best[r] = min_j ||x_r - c_j||^2 (float), lab[r] = the first
 * j reaching it. Vectorised across rows, j-outer over strips of 256 rows
 * whose x^T stays in L1; d a constant (1..8), spelled out by KM_TERMS, so
 * the r loop vectorises (GCC leaves a runtime-length inner loop scalar). */
// v += (x_f - c[f])^2 for f < d (a constant <= 8): no inner loop, which
// neither GCC nor Clang would vectorise the row loop around
#define KM_TERM(c, F)                                  \
    if (F < d) {                                       \
        const float t_ = xt[(F) * ld + r] - (c)[F];    \
        v += t_ * t_;                                  \
    }
#define KM_TERMS(c) \
    KM_TERM(c, 0) KM_TERM(c, 1) KM_TERM(c, 2) KM_TERM(c, 3) KM_TERM(c, 4) KM_TERM(c, 5) \
    KM_TERM(c, 6) KM_TERM(c, 7)

static inline __attribute__((always_inline)) void
near_small_body(const float *restrict xt, int64_t ld, int64_t m, const int64_t d,
                const float *restrict C, int64_t k, float *restrict best, int32_t *restrict lab)
{
    for (int64_t r0 = 0; r0 < m; r0 += 256) {
        const int64_t r1 = m - r0 < 256 ? m : r0 + 256;
#pragma omp simd
        for (int64_t r = r0; r < r1; r++) {
            float v = 0;
            KM_TERMS(C);
            best[r] = v;
            lab[r] = 0;
        }
        for (int64_t j = 1; j < k; j++) {
            const float *c = C + j * d;
            const int32_t jj = (int32_t)j;
#pragma omp simd
            for (int64_t r = r0; r < r1; r++) {
                float v = 0;
                KM_TERMS(c);
                // label through a mask: GCC 12 leaves `v < b ? jj : l` as a
                // branch ("control flow in loop") and does not vectorise it
                const float b = best[r];
                const int32_t mk = -(int32_t)(v < b);
                lab[r] = (lab[r] & ~mk) | (jj & mk);
                best[r] = v < b ? v : b;
            }
        }
    }
}

#undef KM_TERMS
#undef KM_TERM

/* The same for any d (9..KM_SMALL_D): the distances of a strip build up
 * feature by feature in acc, so every loop is a plain one along rows. */
static inline __attribute__((always_inline)) void
near_small_any(const float *restrict xt, int64_t ld, int64_t m, int64_t d,
               const float *restrict C, int64_t k, float *restrict best, int32_t *restrict lab)
{
    float acc[256];
    for (int64_t r0 = 0; r0 < m; r0 += 256) {
        const int64_t r1 = m - r0 < 256 ? m : r0 + 256, len = r1 - r0;
        const float *x0 = xt + r0;
        for (int64_t j = 0; j < k; j++) {
            rows_dist2(x0, ld, len, d, C + j * d, acc);
            float *b = best + r0;
            int32_t *l = lab + r0;
            const int32_t jj = (int32_t)j;
            if (j == 0) {
#pragma omp simd
                for (int64_t r = 0; r < len; r++) {
                    b[r] = acc[r];
                    l[r] = 0;
                }
                continue;
            }
#pragma omp simd
            for (int64_t r = 0; r < len; r++) {
                const int32_t mk = -(int32_t)(acc[r] < b[r]);
                l[r] = (l[r] & ~mk) | (jj & mk);
                b[r] = acc[r] < b[r] ? acc[r] : b[r];
            }
        }
    }
}

/* An AVX2+FMA clone (picked at load time where the CPU has it) does 8 rows
 * per instruction; the default build targets baseline x86-64 (SSE2). */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static void
near_small(const float *xt, int64_t ld, int64_t m, int64_t d, const float *C, int64_t k,
           float *best, int32_t *lab)
{
    switch (d) {
#define KM_D(D) \
    case D: near_small_body(xt, ld, m, D, C, k, best, lab); return;
        KM_D(1) KM_D(2) KM_D(3) KM_D(4) KM_D(5) KM_D(6) KM_D(7) KM_D(8)
#undef KM_D
    default: near_small_any(xt, ld, m, d, C, k, best, lab);
    }
}

/* Nearest center of the m rows i0.. of X. Small d: near_small on the
 * block's x^T (block_xt); best = the squared distance. Else
 * D^T (k, m) = -2 C Xb^T, then best[r] = min_j D^T[j][r] + ||c_j||^2 (the
 * row's own ||x||^2 left out, see block_dist), lab[r] = the first j
 * reaching it. The j-outer loop runs along rows, so the compiler
 * vectorises it. */
static void block_nearest(const km_plan *p, const float *X, int64_t i0, int64_t m,
                          const float *C, float *restrict Dt, float *restrict xT,
                          float *restrict best, int32_t *restrict lab)
{
    const int64_t k = p->k, d = p->d;
    if (p->small) {
        int64_t ld;
        const float *xt = block_xt(p, X, i0, m, xT, &ld);
        near_small(xt, ld, m, d, C, k, best, lab);
        return;
    }
    lt_sgemm(0, 1, k, m, d, -2.0f, C, d, X + i0 * d, d, 0.0f, Dt, m);
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
            const float v = Dj[r] + cj, b = best[r];
            const int32_t mk = -(int32_t)(v < b);
            lab[r] = (lab[r] & ~mk) | (jj & mk);
            best[r] = v < b ? v : b;
        }
    }
}

/* best (m) of block_nearest -> the rows' squared distances (>= 0). */
static void block_dist(const km_plan *p, const float *X, int64_t i0, int64_t m, float *best)
{
    if (p->small)
        return;
    for (int64_t r = 0; r < m; r++) {
        const float *x = X + (i0 + r) * p->d;
        float xx = 0;
        for (int64_t f = 0; f < p->d; f++)
            xx += x[f] * x[f];
        best[r] = best[r] + xx > 0 ? best[r] + xx : 0;
    }
}

void km_plan_assign(const km_plan *p, const float *X, const float *C, int32_t *lab, float *dist2)
{
    const int64_t n = p->n;
    if (!p->small)
        center_norms(p, C);
#pragma omp parallel if (p->nunit > 1)
    {
        float *Dt, *xT, *best;
        int32_t *bl;
        km_thread_scratch(p, &Dt, &xT, &best, &bl);
#pragma omp for schedule(dynamic, 1)
        for (int64_t u = 0; u < p->nunit; u++) {
            const int64_t i1 = (u + 1) * p->unit < n ? (u + 1) * p->unit : n;
            for (int64_t i0 = u * p->unit; i0 < i1; i0 += p->blk) {
                const int64_t m = i1 - i0 < p->blk ? i1 - i0 : p->blk;
                block_nearest(p, X, i0, m, C, Dt, xT, best, lab + i0);
                if (dist2) {
                    block_dist(p, X, i0, m, best);
                    memcpy(dist2 + i0, best, sizeof(float) * (size_t)m);
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
        for (int64_t c = 0; c < p->ncopy; c++) {
            const double *ps = p->part + u * p->ws + c * p->w;
            for (int64_t q = 0; q < kd; q++)
                sum[q] += ps[q];
            for (int64_t j = 0; j < p->k; j++)
                counts[j] += ps[kd + j];
        }
    }
}

/* Block rows Xb (m, d) join their unit's partial ps by new label bl (m),
 * row r in copy r % ncopy (w apart); returns how many differ from lab
 * (m), which is updated. Inlined with a constant d for narrow tables (the
 * sensor case), so the row's d adds unroll: the generic loop was 40% of
 * the pass in the profile. */
static inline __attribute__((always_inline)) int64_t
block_sums(double *restrict ps, int64_t w, int64_t ncopy, int64_t kd, int64_t d,
           const float *restrict Xb, const int32_t *restrict bl, int32_t *restrict lab, int64_t m)
{
    int64_t changes = 0;
#pragma omp simd reduction(+ : changes)
    for (int64_t r = 0; r < m; r++) {
        changes += lab[r] != bl[r];
        lab[r] = bl[r];
    }
    int64_t r = 0;
    if (ncopy == 4)
        for (; r + 4 <= m; r += 4) {
            km_part_add(ps, kd, d, bl[r], Xb + r * d);
            km_part_add(ps + w, kd, d, bl[r + 1], Xb + (r + 1) * d);
            km_part_add(ps + 2 * w, kd, d, bl[r + 2], Xb + (r + 2) * d);
            km_part_add(ps + 3 * w, kd, d, bl[r + 3], Xb + (r + 3) * d);
        }
    for (; r < m; r++)
        km_part_add(ps + (r % ncopy) * w, kd, d, bl[r], Xb + r * d);
    return changes;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) static int64_t
block_sums_d(const km_plan *p, double *ps, const float *Xb, const int32_t *bl, int32_t *lab,
             int64_t m)
{
    const int64_t w = p->w, nc = p->ncopy, kd = p->k * p->d;
    switch (p->d) {
#define KM_D(D) \
    case D: return block_sums(ps, w, nc, kd, D, Xb, bl, lab, m);
        KM_D(1) KM_D(2) KM_D(3) KM_D(4) KM_D(5) KM_D(6) KM_D(7) KM_D(8)
#undef KM_D
    default: return block_sums(ps, w, nc, kd, p->d, Xb, bl, lab, m);
    }
}

int64_t km_plan_lloyd(km_plan *p, const float *X, const float *C, int32_t *lab,
                      double *sum, double *counts, double *inertia)
{
    const int64_t n = p->n, d = p->d;
    int64_t changes = 0;
    if (!p->small)
        center_norms(p, C);
    const int nt = km_pass_begin(p);
    double busy = 0, t0 = lt_now();
#pragma omp parallel num_threads(nt) if (nt > 1) reduction(+ : changes, busy)
    {
        const double c0 = nt > 1 ? km_cpu_now() : 0;
        float *Dt, *xT, *best;
        int32_t *bl;
        km_thread_scratch(p, &Dt, &xT, &best, &bl);
#pragma omp for schedule(dynamic, 1) nowait
        for (int64_t u = 0; u < p->nunit; u++) {
            double *ps = p->part + u * p->ws, uin = 0;
            memset(ps, 0, sizeof(double) * (size_t)p->ws);
            const int64_t i1 = (u + 1) * p->unit < n ? (u + 1) * p->unit : n;
            for (int64_t i0 = u * p->unit; i0 < i1; i0 += p->blk) {
                const int64_t m = i1 - i0 < p->blk ? i1 - i0 : p->blk;
                block_nearest(p, X, i0, m, C, Dt, xT, best, bl);
                changes += block_sums_d(p, ps, X + i0 * d, bl, lab + i0, m);
                if (inertia) {  // progress only: float within a block
                    block_dist(p, X, i0, m, best);
                    float bin = 0;
#pragma omp simd reduction(+ : bin)
                    for (int64_t r = 0; r < m; r++)
                        bin += best[r];
                    uin += bin;
                }
            }
            p->inert[u] = uin;
        }
        if (nt > 1)
            busy += km_cpu_now() - c0;
    }
    km_pass_end(p, nt, lt_now() - t0, busy);
    km_plan_reduce(p, sum, counts);
    if (inertia) {
        double in = 0;
        for (int64_t u = 0; u < p->nunit; u++)
            in += p->inert[u];
        *inertia = in;
    }
    return changes;
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
            double dd = km_dist2(X + i * d, C + (int64_t)lab[i] * d, d);
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
        s += km_dist2(X + i * d, C + (int64_t)lab[i] * d, d);
    return s;
}
