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

/* Nearest center of every row: lab (n), dist2 (n, may be NULL: squared
 * distance, float, from the expansion ||x||^2 - 2 x.c + ||c||^2 through
 * lt_sgemm in row blocks), second2 (n, may be NULL: squared distance to the
 * second-nearest center). Parallel over blocks; deterministic. */
int km_assign(const float *X, int64_t n, int64_t d, const float *C, int64_t k, int32_t *lab,
              float *dist2, float *second2);

/* New centers = member means (serial, fixed order, double sums; sum is
 * k x d scratch, counts (k) is filled). Empty clusters take the rows
 * farthest from their center, from clusters that keep other members (lab
 * changes for them; *moved, if not NULL, counts them). Returns the sum over
 * centers of the squared shift. */
double km_update(const float *X, int64_t n, int64_t d, float *C, int64_t k, int32_t *lab,
                 double *sum, double *counts, int *moved);

/* Exact inertia of the rows against C given their labels (double). */
double km_inertia(const float *X, int64_t n, int64_t d, const float *C, const int32_t *lab);

/* Hamerly's exact k-means (kmeans_hamerly.c): same iterations as Lloyd's,
 * skipping the distance computations the triangle inequality rules out. */
int km_hamerly(const kmeans *m, const float *X, int64_t n, int64_t d, float *C, int32_t *lab,
               double tol_abs, km_run *res);

#endif
