/* Private to k-means (kmeans.c, kmeans_hamerly.c): the model struct and the
 * shared steps. Shapes: X (n, d) row-major float32, centers C (k, d),
 * labels (n) int32 in 0..k-1. Distances are Euclidean; "dist2" is squared. */
#ifndef LATHE_ML_KMEANS_IMPL_H
#define LATHE_ML_KMEANS_IMPL_H

#include "lathe/model.h"

enum { KM_LLOYD = 0, KM_HAMERLY, KM_MINIBATCH };
enum { KM_INIT_PP = 0, KM_INIT_RANDOM };

typedef struct kmeans {
    lt_model base;
    int k, init, n_init, max_iter, algorithm, batch_size;
    double tol;
    /* fitted */
    int64_t kfit;       /* rows of centers */
    float *centers;     /* (kfit, d) */
    float *sizes;       /* (kfit) training rows per cluster */
    double inertia;     /* sum of squared distances of training rows to their center */
    int n_iter, converged;
} kmeans;

/* Squared distance of x and c (d each) in double. Inlined, so a caller with
 * a constant d (Hamerly's per-width copies) gets it unrolled. */
static inline __attribute__((always_inline)) double km_dist2(const float *x, const float *c,
                                                            const int64_t d)
{
    double s = 0;
#pragma GCC unroll 16
    for (int64_t f = 0; f < d; f++) {
        double t = (double)x[f] - c[f];
        s += t * t;
    }
    return s;
}

/* Result of one k-means run from given initial centers (updated in place). */
typedef struct km_run {
    double inertia;
    int n_iter, converged;
} km_run;

/* Fixed work split of the row passes (kmeans_pass.c): units of `unit`
 * rows, each a whole number of blocks of `blk` rows, chosen from (n, d, k)
 * only. Each unit writes its partial sums to its own slot of part (nunit,
 * ws): ncopy copies of w = k*d + k (sums (k, d) then counts (k)), row r of
 * a block going to copy r % ncopy; adding them in unit and copy order
 * makes every sum identical for any thread count. Four copies when they
 * are small (w <= 512): consecutive rows of one cluster then no longer
 * wait for each other's store (the adds were latency-bound, profiled).
 * Buffers are allocated once per fit: no malloc inside an iteration.
 *
 * Narrow tables (d <= KM_SMALL_D, the sensor case) skip BLAS: a GEMM with
 * an inner dimension of 5 spent half its time packing (profiled), so the
 * distances are computed directly, vectorised across rows, from the rows
 * in column-major order: xt (d, n), a copy of X made once per fit by
 * km_transpose (d*n floats more memory), or, without it (predict, the
 * mini-batch subsets), block by block in the thread's scratch. */
enum { KM_SMALL_D = 16 };

typedef struct km_plan {
    int64_t n, d, k, blk, unit, nunit, w, ncopy, ws, tw;
    int nthr, small;
    int par, wait; /* km_pass_begin/end: passes on nthr threads or 1, passes to the next probe */
    double *part;   /* (nunit, ws) partial sums and counts */
    double *inert;  /* (nunit) partial inertia */
    float *scratch; /* (nthr, tw): per thread D^T (k, blk), x^T (d, blk) if small, best (blk),
                       labels (blk) */
    float *cc;      /* (k) squared center norms */
    const float *xt; /* small: (d, n) X column-major (km_transpose, the caller's), or NULL */
} km_plan;

/* omp_get_thread_num(), 0 without OpenMP. */
int km_thread_id(void);

/* Threads of the iterated passes (Lloyd's, Hamerly's), adapted to the
 * machine: each parallel pass measures the CPU time its threads spent in
 * the work (km_cpu_now, barrier waits excluded) against its wall time; when
 * that speed-up is below 1.3 (a thread lost its core to another process
 * and the other waited for it at the barrier: on a busy 2-core machine a
 * 2-thread pass measured 1.1-1.7x slower than 1 thread), the next 16
 * passes run on one thread, then one probes again. Results do not depend
 * on it (fixed units, sums in unit order). begin returns the threads for
 * this pass; end takes its wall time and the summed busy CPU time. */
int km_pass_begin(const km_plan *p);
void km_pass_end(km_plan *p, int nt, double wall, double busy);
double km_cpu_now(void);
int km_plan_init(km_plan *p, int64_t n, int64_t d, int64_t k);
void km_plan_free(km_plan *p);
/* *xt = X (n, d) column-major if d <= KM_SMALL_D (free it), else NULL. */
int km_transpose(const float *X, int64_t n, int64_t d, float **xt);
/* The calling thread's scratch (km_plan.scratch); xT is NULL unless small. */
void km_thread_scratch(const km_plan *p, float **Dt, float **xT, float **best, int32_t **lab);
/* D (kc, m): squared distances (float) of rows i0..i0+m-1 to the kc <= k
 * centers Cc (kc, d), row j of D for center j. Uses the thread's xT and
 * best scratch: D may be its Dt. BLAS serial. */
void km_plan_dist(const km_plan *p, const float *X, int64_t i0, int64_t m, const float *Cc,
                  int64_t kc, float *D);

/* Nearest center of every row: lab (n), dist2 (n, may be NULL: squared
 * distance in float, direct differences for small d, else the expansion
 * ||x||^2 - 2 x.c + ||c||^2). Call with BLAS serial (lt_blas_serial_begin). */
void km_plan_assign(const km_plan *p, const float *X, const float *C, int32_t *lab, float *dist2);

/* One fused Lloyd pass: new labels against C (returns how many changed),
 * and the sums (k*d) and counts (k) of the rows per new label. inertia
 * (may be NULL): the pass's inertia in float distances, for progress
 * reports. BLAS serial. */
int64_t km_plan_lloyd(km_plan *p, const float *X, const float *C, int32_t *lab,
                      double *sum, double *counts, double *inertia);

/* Adds the unit partials in unit and copy order into sum (k*d) and counts (k). */
void km_plan_reduce(const km_plan *p, double *sum, double *counts);
/* Adds row x (d) to cluster a of a unit's partial ps: sums (k, d) at 0,
 * counts (k) at kd = k*d. Inline: it runs once per row per pass. */
static inline void km_part_add(double *ps, int64_t kd, int64_t d, int32_t a, const float *x)
{
    double *s = ps + (int64_t)a * d;
#pragma GCC unroll 16
    for (int64_t f = 0; f < d; f++)
        s[f] += x[f];
    ps[kd + a] += 1;
}

/* km_plan_assign for one call (plan, BLAS serial, free). */
int km_assign(const float *X, int64_t n, int64_t d, const float *C, int64_t k, int32_t *lab,
              float *dist2);

/* New centers = sum / counts. Empty clusters first take the rows farthest
 * from their center, from clusters that keep other members (lab, sum and
 * counts change for them; *moved, if not NULL, counts them). Returns the
 * sum over centers of the squared shift. */
double km_finish(const float *X, int64_t n, int64_t d, float *C, int64_t k, int32_t *lab,
                 double *sum, double *counts, int *moved);

/* Exact inertia of the rows against C given their labels (double). */
double km_inertia(const float *X, int64_t n, int64_t d, const float *C, const int32_t *lab);

/* Hamerly's exact k-means (kmeans_hamerly.c): same iterations as Lloyd's,
 * skipping the distance computations the triangle inequality rules out. */
int km_hamerly(const kmeans *m, const float *X, const float *xt, int64_t n, int64_t d, float *C,
               int32_t *lab, double tol_abs, km_run *res);

#endif
