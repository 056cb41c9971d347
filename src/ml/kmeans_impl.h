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

/* Result of one k-means run from given initial centers (updated in place). */
typedef struct km_run {
    double inertia;
    int n_iter, converged;
} km_run;

/* Fixed work split of the row passes (kmeans_pass.c): units of `unit`
 * rows, each a whole number of GEMM blocks of `blk` rows, chosen from
 * (n, d, k) only. Each unit writes its partial sums to its own slot of
 * part (nunit, w = k*d + k: sums (k, d) then counts (k)); adding them in
 * unit order makes every sum identical for any thread count. Buffers are
 * allocated once per fit: no malloc inside an iteration. */
typedef struct km_plan {
    int64_t n, d, k, blk, unit, nunit, w, tw;
    int nthr;
    double *part;   /* (nunit, w) partial sums and counts */
    double *inert;  /* (nunit) partial inertia */
    float *scratch; /* (nthr, tw): per thread D^T (k, blk), best (blk), labels (blk) */
    float *cc;      /* (k) squared center norms */
} km_plan;

/* omp_get_thread_num(), 0 without OpenMP. */
int km_thread_id(void);
int km_plan_init(km_plan *p, int64_t n, int64_t d, int64_t k);
void km_plan_free(km_plan *p);

/* Nearest center of every row: lab (n), dist2 (n, may be NULL: squared
 * distance from the float expansion ||x||^2 - 2 x.c + ||c||^2). Call with
 * BLAS serial (lt_blas_serial_begin). */
void km_plan_assign(const km_plan *p, const float *X, const float *C, int32_t *lab, float *dist2);

/* One fused Lloyd pass: new labels against C (returns how many changed),
 * and the sums (k*d) and counts (k) of the rows per new label. xx (n, may
 * be NULL): squared row norms; with it, *inertia gets the pass's inertia
 * from the expansion (for progress reports). BLAS serial. */
int64_t km_plan_lloyd(const km_plan *p, const float *X, const float *C, int32_t *lab,
                      const float *xx, double *sum, double *counts, double *inertia);

/* Adds the unit partials in unit order into sum (k*d) and counts (k). */
void km_plan_reduce(const km_plan *p, double *sum, double *counts);
/* Adds row x (d) to cluster a of a unit's partial ps: sums (k, d) at 0,
 * counts (k) at kd = k*d. Inline: it runs once per row per pass. */
static inline void km_part_add(double *ps, int64_t kd, int64_t d, int32_t a, const float *x)
{
    double *s = ps + (int64_t)a * d;
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
int km_hamerly(const kmeans *m, const float *X, int64_t n, int64_t d, float *C, int32_t *lab,
               double tol_abs, km_run *res);

#endif
