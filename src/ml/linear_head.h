/* The linear head shared by the linear classifiers (logreg, linsvm):
 * weights coef (K, d) and intercepts (K), K = 1 for two classes.
 * Saved as the tensors "coef" and "intercept". */
#ifndef LATHE_LINEAR_HEAD_H
#define LATHE_LINEAR_HEAD_H

#include "lathe/core.h"

/* Z (n, K) = X (n, d) coef^T + intercept */
void lt_linear_scores(const float *coef, const float *icpt, int K, int64_t d, const float *X,
                      int64_t n, float *Z);
/* Class per row: K == 1 -> decision > 0 (class 1, as scikit-learn), else the argmax. */
int lt_linear_classes(const float *coef, const float *icpt, int K, int64_t d, const float *X,
                      int64_t n, float *out);
int lt_linear_save(const float *coef, const float *icpt, int K, int64_t d, lt_state *st);
/* New arrays in *coef and *icpt (the caller frees the old ones), checked
 * against the shapes (K, d) and (K). */
int lt_linear_load(const lt_state *st, int K, int64_t d, float **coef, float **icpt);

#endif
