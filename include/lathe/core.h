/* lathe core: status codes and error messages, logging, threads, clock,
 * seeded RNG, float32 tensors, and the one GEMM door over OpenBLAS.
 *
 * Every function that can fail on input returns LT_OK (0) or a negative
 * LT_E* code and leaves a human message in lt_last_error(): what went
 * wrong, where (file:line:column, JSON field, HTTP parameter) and what was
 * expected. The message is thread-local. The library never prints or exits.
 */
#ifndef LATHE_CORE_H
#define LATHE_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LATHE_VERSION_MAJOR 0
#define LATHE_VERSION_MINOR 1
#define LATHE_VERSION_PATCH 0
#define LATHE_VERSION "0.1.0"

/* ---- status codes ---------------------------------------------------- */

enum lt_status {
    LT_OK = 0,
    LT_EINVAL = -1,      /* bad argument or parameter value */
    LT_EIO = -2,         /* file or socket could not be read/written */
    LT_EFORMAT = -3,     /* malformed input: CSV, JSON, model file */
    LT_ENOMEM = -4,      /* allocation failed */
    LT_ENOTFOUND = -5,   /* named thing absent: column, model, file */
    LT_ETYPE = -6,       /* value of the wrong type (text in a numeric column) */
    LT_ECORRUPT = -7,    /* checksum mismatch, truncated file */
    LT_EUNSUPPORTED = -8,/* valid but not supported (yet) */
    LT_ESTATE = -9,      /* call out of order (predict before fit) */
    LT_ELIMIT = -10,     /* a size limit was exceeded */
};

/* Message of the last failure on this thread ("" if none). Never NULL. */
const char *lt_last_error(void);
/* Short name of a status code: "EINVAL", ... */
const char *lt_status_name(int status);
/* Set the thread's message (printf-style) and return `status` so callers
 * can write `return lt_error(LT_EINVAL, "C must be > 0, got %g", c);` */
int lt_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current message with context: "reading model.lt: " + old. */
int lt_error_wrap(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_error_clear(void);

/* ---- logging: the library logs through a hook; default is silent ------ */

typedef enum { LT_LOG_DEBUG = 0, LT_LOG_INFO, LT_LOG_WARN, LT_LOG_ERROR } lt_log_level;
typedef void (*lt_log_fn)(lt_log_level level, const char *msg, void *user);
void lt_log_set_hook(lt_log_fn fn, void *user);
void lt_log(lt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- threads and time -------------------------------------------------- */

/* Sets OpenBLAS and OpenMP together (n <= 0: all cores). Code inside an
 * OpenMP region must call BLAS single-threaded: see lt_blas_serial_begin. */
void lt_set_threads(int n);
int lt_get_threads(void);
/* Monotonic seconds. */
double lt_now(void);

/* ---- random numbers: xoshiro256** seeded through splitmix64 ----------- */

typedef struct lt_rng { uint64_t s[4]; } lt_rng;
void lt_rng_seed(lt_rng *r, uint64_t seed);
uint64_t lt_rng_u64(lt_rng *r);
double lt_rng_uniform(lt_rng *r);              /* [0, 1) */
double lt_rng_normal(lt_rng *r);               /* N(0, 1) */
uint64_t lt_rng_below(lt_rng *r, uint64_t n);  /* [0, n), unbiased; n > 0 */
void lt_rng_shuffle(lt_rng *r, int64_t *idx, int64_t n);

/* ---- tensors ----------------------------------------------------------- */

#define LT_MAX_DIMS 4

/* Contiguous row-major float32 tensor of up to 4 dimensions. A view shares
 * its base's data (owns_data = 0) and must not outlive it. */
typedef struct lt_tensor {
    float *data;
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    int owns_data;
} lt_tensor;

/* New zero-filled tensor; NULL on bad shape/alloc (message set). Free with lt_tensor_free. */
lt_tensor *lt_tensor_new(int ndim, const int64_t *shape);
lt_tensor *lt_tensor_new2(int64_t rows, int64_t cols);
/* View of `base` with a new shape of the same or smaller element count, starting
 * at element `offset`. Caller frees the view (not the data) with lt_tensor_free. */
lt_tensor *lt_tensor_view(lt_tensor *base, int ndim, const int64_t *shape, int64_t offset);
lt_tensor *lt_tensor_clone(const lt_tensor *t);
int64_t lt_tensor_numel(const lt_tensor *t);
void lt_tensor_free(lt_tensor *t);  /* NULL-safe */

/* ---- the one GEMM door -------------------------------------------------
 * C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, row-major;
 * op(X) = X or X^T per trans flag. lda/ldb/ldc are row strides. */
void lt_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
              float *c, int64_t ldc);
void lt_dgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
              const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
              double *c, int64_t ldc);
/* y = alpha * op(A) x + beta * y, A is m x n row-major. */
void lt_sgemv(int trans, int64_t m, int64_t n, float alpha, const float *a, int64_t lda,
              const float *x, float beta, float *y);
/* For servers, before worker threads start: BLAS on one thread from now on
 * (concurrency comes from requests), and lt_blas_serial_* become no-ops.
 * Each worker should also call omp_set_num_threads(1) for itself. */
void lt_threads_for_serving(void);
/* Run BLAS on one thread until _end (use inside OpenMP regions). Nestable. */
void lt_blas_serial_begin(void);
void lt_blas_serial_end(void);

/* ---- named-tensor state ------------------------------------------------
 * What a model hands to io/ to be saved and gets back on load: an ordered
 * set of named float32 tensors. Names are unique. */
typedef struct lt_state lt_state;
lt_state *lt_state_new(void);
void lt_state_free(lt_state *s);  /* NULL-safe; frees the tensors it holds */
/* Copies `data` (numel from shape) under `name`; replaces an existing entry. */
int lt_state_put(lt_state *s, const char *name, int ndim, const int64_t *shape, const float *data);
/* Borrowed pointer, NULL if absent. */
const lt_tensor *lt_state_get(const lt_state *s, const char *name);
/* Like lt_state_get but fails with a message unless the shape matches exactly. */
int lt_state_expect(const lt_state *s, const char *name, int ndim, const int64_t *shape,
                    const lt_tensor **out);
int lt_state_count(const lt_state *s);
const char *lt_state_name_at(const lt_state *s, int i);
const lt_tensor *lt_state_tensor_at(const lt_state *s, int i);

/* ---- small helpers used everywhere --------------------------------------- */

/* malloc that sets an LT_ENOMEM message on failure. */
void *lt_malloc(size_t n);
void *lt_calloc(size_t n, size_t size);
/* lt_malloc for big buffers (feature matrices, CSV text and columns): from
 * LT_BIG_BYTES up they are 2 MiB aligned, rounded up to whole 2 MiB pages
 * and advised as transparent huge pages. A fresh 4 KiB page costs a trap
 * on first touch (~15 us on a virtual machine: a 512 KB design matrix took
 * 2 ms to fill), a 2 MiB page one trap for 512 of them. Freed with free(). */
#define LT_BIG_BYTES ((size_t)256 << 10)
void *lt_malloc_big(size_t n);
char *lt_strdup(const char *s);
/* Process-wide allocator setting for programs that, like the lathe command,
 * allocate and free large buffers (CSV text, feature matrices, work arrays)
 * one after another: glibc then serves blocks up to 32 MB from its heap and
 * keeps up to 64 MB of freed heap, so a new buffer reuses pages already
 * touched instead of faulting in fresh ones (each first touch is a trap,
 * ~10 us on a virtual machine). The cost is freed memory kept until exit.
 * Call once at start, before threads; no effect off glibc. */
void lt_keep_freed_pages(void);
/* Read a whole file (max_bytes 0 = no limit), NUL-terminated (not counted in
 * *len). Caller frees *buf. */
int lt_read_file(const char *path, size_t max_bytes, char **buf, size_t *len);
/* Write atomically: temp file beside `path`, fsync, rename. */
int lt_write_file_atomic(const char *path, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
