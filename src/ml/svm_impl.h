/* Private to the kernel SVMs (svc.c, svr.c) and the linear SVM (linsvm.c):
 * kernels, the LRU kernel-row cache, the SMO solver and Platt scaling.
 *
 *   svm_kernel.c  kernel values: rows K(x_i, X[a:b]) for the solver (one
 *                 sgemv + an elementwise map), blocks K(A, B) for predict
 *                 (one sgemm + the same map); the row cache.
 *   svm_smo.c     libsvm's SMO (Fan, Chen & Lin 2005 working-set selection,
 *                 shrinking) over a Q matrix that is either C-SVC's
 *                 y_i y_j K_ij or epsilon-SVR's 2l x 2l sign-folded K.
 *   svm_prob.c    Platt sigmoid fit (Lin, Lin & Weng 2007) and pairwise
 *                 coupling (Wu, Lin & Weng 2004, libsvm's method 2).
 *
 * Floats for X and the cached Q rows (as libsvm's Qfloat); doubles for the
 * gradient, alphas and every sum. */
#ifndef LATHE_ML_SVM_IMPL_H
#define LATHE_ML_SVM_IMPL_H

#include "lathe/model.h"

#include <stdint.h>

enum { SVM_LINEAR = 0, SVM_RBF, SVM_POLY, SVM_SIGMOID };

typedef struct svm_kparams {
    int type;        /* SVM_* */
    double gamma;    /* resolved (never the 0 = "scale" marker) */
    double coef0;
    int degree;
} svm_kparams;

/* gamma = "scale" as scikit-learn: 1 / (d * var(X)) over all n*d entries;
 * 1 when X is constant. */
double svm_gamma_scale(const float *X, int64_t n, int64_t d);

/* ---- kernel over a training set -------------------------------------- */

/* Owns a copy of X (rows may be permuted by the solver's shrinking). */
typedef struct svm_kernel {
    svm_kparams kp;
    int64_t n, d;
    float *X;        /* (n, d) */
    float *sq;       /* (n) squared norms, rbf only */
} svm_kernel;

/* Copies rows idx[0..n-1] of Xsrc (ld d), or the first n when idx is NULL. */
int svm_kernel_init(svm_kernel *k, const svm_kparams *kp, const float *Xsrc, int64_t d,
                    const int64_t *idx, int64_t n);
void svm_kernel_free(svm_kernel *k);
/* out[j - a] = K(x_i, x_j) for j in [a, b). */
void svm_kernel_row(const svm_kernel *k, int64_t i, int64_t a, int64_t b, float *out);
double svm_kernel_diag(const svm_kernel *k, int64_t i);
void svm_kernel_swap(svm_kernel *k, int64_t i, int64_t j);

/* K (na, nb) = kernel(A (na, d), B (nb, d)); asq/bsq are the squared row
 * norms (rbf only, else may be NULL). One sgemm then an elementwise map. */
void svm_kernel_block(const svm_kparams *kp, const float *A, const float *asq, int64_t na,
                      const float *B, const float *bsq, int64_t nb, int64_t d, float *K);
/* The kernel expansion behind every prediction: for blocks of rows of X,
 * K = kernel(X[r0:r0+m], SV) (m, nsv) is computed and handed to
 * fn(ctx, r0, m, K). sv_sq: squared norms of the SVs (rbf, else NULL). */
typedef void (*svm_block_fn)(void *ctx, int64_t r0, int64_t m, const float *K);
int svm_kernel_blocks(const svm_kparams *kp, const float *X, int64_t n, int64_t d,
                      const float *sv, const float *sv_sq, int64_t nsv, svm_block_fn fn,
                      void *ctx);
/* sq[i] = |x_i|^2 for the n rows of X. */
void svm_sqnorms(const float *X, int64_t n, int64_t d, float *sq);

/* ---- LRU row cache ---------------------------------------------------- */

/* Slots of `l` floats each in one slab, allocated once: no malloc while
 * the solver runs. A cached row i holds its first len[i] entries. */
typedef struct svm_cache {
    int64_t l, nslot;
    float *slab;          /* (nslot, l) */
    int64_t *slot_of;     /* (l) slot of row i, or -1 */
    int64_t *len;         /* (l) valid entries of row i */
    int64_t *owner;       /* (nslot) row held by the slot, or -1 */
    int64_t *prev, *next; /* (nslot + 1) LRU ring of used slots; index nslot is the head */
    int64_t *freelist;    /* (nslot) stack of unused slots */
    int64_t nfree;
} svm_cache;

/* nslot = clamp(bytes / (4 l), 2, l). */
int svm_cache_init(svm_cache *c, int64_t l, size_t bytes);
void svm_cache_free(svm_cache *c);
/* Row i with at least `want` entries: *data points at it; the return value
 * is the first entry the caller must still fill (== want when cached). */
int64_t svm_cache_get(svm_cache *c, int64_t i, int64_t want, float **data);
void svm_cache_swap(svm_cache *c, int64_t i, int64_t j);

/* ---- SMO ------------------------------------------------------------- */

/* The Q matrix the solver sees, l x l:
 *   C-SVC: Q_ij = y_i y_j K(x_i, x_j), rows cached with partial length and
 *          permuted with the solver's shrinking (kernel rows swapped too).
 *   SVR:   l = 2n, Q_ij = s_i s_j K(x_{i mod n}, x_{j mod n}), s = +1 for
 *          i < n else -1; the cache keeps full kernel rows of the n points. */
typedef struct svm_qmat {
    int svr;
    int64_t l;
    svm_kernel *k;
    svm_cache cache;
    float *y;       /* (l) C-SVC: +-1, permuted with the solver */
    int64_t *index; /* (l) SVR: real row of variable i */
    float *sign;    /* (l) SVR: +-1 */
    float *buf[2];  /* (l) SVR: two row buffers (Q_i and Q_j live together) */
    int next_buf;
    double *qd;     /* (l) diagonal */
    float *tmp;     /* (l) kernel row scratch for C-SVC */
} svm_qmat;

int svm_qmat_init_svc(svm_qmat *q, svm_kernel *k, const int8_t *y, size_t cache_bytes);
int svm_qmat_init_svr(svm_qmat *q, svm_kernel *k, size_t cache_bytes);
void svm_qmat_free(svm_qmat *q);

typedef struct svm_smo_opts {
    double eps;          /* stop when m(alpha) - M(alpha) < eps (libsvm -e) */
    int shrinking;
    int64_t max_iter;    /* 0: libsvm's max(1e7, 100 l) */
    lt_progress_fn progress;
    void *progress_user;
} svm_smo_opts;

typedef struct svm_smo_result {
    double rho, obj;
    int64_t iter;
    int converged;
} svm_smo_result;

/* min 0.5 a'Qa + p'a  s.t. y'a = 0, 0 <= a_i <= C_i  (y = +-1).
 * alpha (l) is the start (feasible) and the answer, in the caller's order.
 * Shrinking leaves q (and a C-SVC kernel's rows) permuted: use q once. */
int svm_smo_solve(svm_qmat *q, const double *p, const int8_t *y, const double *C, double *alpha,
                  const svm_smo_opts *o, svm_smo_result *res);

/* ---- binary C-SVC on a subset, used by svc.c for each OvO pair and for
 * the Platt cross-validation ---------------------------------------- */

typedef struct svm_binary {
    double *coef;    /* (l) alpha_i y_i (0 for non-SVs) */
    double rho;
    int64_t iter;
    double obj;
    int converged;
} svm_binary;

/* Rows idx[0..l) of X (ld d) with labels y (+-1) and per-row bounds C. */
int svm_train_binary(const svm_kparams *kp, const float *X, int64_t d, const int64_t *idx,
                     const int8_t *y, const double *C, int64_t l, size_t cache_bytes,
                     const svm_smo_opts *o, svm_binary *out);

/* count (nclass) = rows per class; Ci (n) = C x class weight (balanced:
 * n / (k_present count_c), scikit-learn's) x sample weight. Returns the
 * number of classes present. */
int svm_class_weights(const float *y, const float *w, int64_t n, int nclass, double C,
                      int balanced, int64_t *count, double *Ci);

/* ---- probabilities ------------------------------------------------------ */

/* Fit P(y = +1 | f) = 1 / (1 + exp(A f + B)) on decisions f with labels +-1
 * (Platt with Lin, Lin & Weng's targets and Newton + backtracking). */
void svm_sigmoid_train(int64_t l, const double *f, const int8_t *y, double *A, double *B);
double svm_sigmoid_predict(double f, double A, double B);
/* k-class probabilities p from pairwise r (k x k, r[i][j] = P(i | i or j)):
 * Wu, Lin & Weng (2004) method 2, as libsvm. Q and Qp are k*k and k scratch. */
void svm_couple(int k, const double *r, double *p, double *Q, double *Qp);

/* decision values of a fitted "svc" for n rows: (n, nclass*(nclass-1)/2),
 * pair (i, j) with i < j in lexicographic order, positive means class i
 * (libsvm's convention; scikit-learn's binary decision_function is the
 * negative of this). Tests use it to compare with scikit-learn. */
int svm_svc_decision(const lt_model *m, const float *X, int64_t n, double *out);

#endif
