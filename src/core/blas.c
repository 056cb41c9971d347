/* The one GEMM door over OpenBLAS, and the thread-count setting shared by
 * OpenBLAS and OpenMP (they must never multiply: see DESIGN.md). */
#include "lathe/core.h"

#include <cblas.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int nthreads = 0; /* 0 = not set yet: all cores */
static _Thread_local int serial_depth;

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void lt_set_threads(int n)
{
    nthreads = n > 0 ? n : cores();
    openblas_set_num_threads(nthreads);
#ifdef _OPENMP
    omp_set_num_threads(nthreads);
#endif
}

int lt_get_threads(void) { return nthreads > 0 ? nthreads : cores(); }

double lt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Set once by a server before its worker threads start: from then on BLAS
 * stays on one thread for the whole process (each request runs on its own
 * worker, so concurrency comes from requests), and nobody toggles the
 * process-wide OpenBLAS setting while another thread is inside a BLAS call. */
static int serving;

void lt_threads_for_serving(void)
{
    serving = 1;
    openblas_set_num_threads(1);
}

void lt_blas_serial_begin(void)
{
    if (serving)
        return;
    /* Only the outermost call switches; OpenBLAS's setting is process-wide,
     * so callers do this around an OpenMP region, not inside every thread. */
    if (serial_depth++ == 0)
        openblas_set_num_threads(1);
}

void lt_blas_serial_end(void)
{
    if (serving)
        return;
    if (serial_depth > 0 && --serial_depth == 0)
        openblas_set_num_threads(lt_get_threads());
}

void lt_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

void lt_dgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
              const double *a, int64_t lda, const double *b, int64_t ldb, double beta, double *c,
              int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

void lt_sgemv(int trans, int64_t m, int64_t n, float alpha, const float *a, int64_t lda,
              const float *x, float beta, float *y)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, alpha,
                a, (blasint)lda, x, 1, beta, y, 1);
}
