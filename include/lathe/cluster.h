/* lathe ml: what is specific to the clustering and anomaly models beyond the
 * model interface (model.h). The models themselves are "kmeans"
 * (LT_TASK_CLUSTER) and "iforest" (LT_TASK_ANOMALY) in the registry; their
 * scores (silhouette, adjusted Rand index) are in metrics.h.
 */
#ifndef LATHE_CLUSTER_H
#define LATHE_CLUSTER_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Centers of a fitted "kmeans" model: *k rows of m->nfeat floats, row-major,
 * in the model's (transformed) feature space. Borrowed: valid while m lives.
 * LT_EINVAL if m is not a kmeans model, LT_ESTATE if it is not fitted. */
int lt_kmeans_centers(const lt_model *m, const float **centers, int64_t *k);

/* Inertia of n rows X (n x m->nfeat) against a fitted kmeans model: the sum
 * of squared distances of each row to its nearest center (double). */
int lt_kmeans_inertia(const lt_model *m, const float *X, int64_t n, double *out);

/* Decision threshold of a fitted "iforest" model on its anomaly score
 * (predict_proba): rows scoring above it are predicted 1 (anomaly). 0.5
 * for contamination "auto" (scikit-learn's offset_ = -0.5). */
int lt_iforest_threshold(const lt_model *m, double *out);

#ifdef __cplusplus
}
#endif
#endif
