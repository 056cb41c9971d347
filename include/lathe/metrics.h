/* lathe ml: evaluation metrics. Accumulations in double. Binary metrics
 * treat class 1 as positive. Metrics that are undefined on the input (AUC
 * with one class present) return NaN. */
#ifndef LATHE_METRICS_H
#define LATHE_METRICS_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

double lt_accuracy(const int32_t *y, const int32_t *pred, int64_t n);
/* Binary precision/recall/F1 of class `pos`. 0 when the denominator is 0. */
void lt_prf_binary(const int32_t *y, const int32_t *pred, int64_t n, int32_t pos,
                   double *precision, double *recall, double *f1);
/* Unweighted mean over the k classes. */
void lt_prf_macro(const int32_t *y, const int32_t *pred, int64_t n, int k,
                  double *precision, double *recall, double *f1);
/* ROC AUC of scores for class 1 (ties handled by mid-ranks). */
double lt_roc_auc(const int32_t *y, const double *score, int64_t n);
/* Area under the precision-recall curve as average precision (sklearn's). */
double lt_pr_auc(const int32_t *y, const double *score, int64_t n);
/* Mean cross-entropy; proba is n x k row-major, clipped to [1e-15, 1-1e-15]. */
double lt_log_loss(const int32_t *y, const float *proba, int64_t n, int k);
/* cm is k x k, row = true class, col = predicted. */
void lt_confusion(const int32_t *y, const int32_t *pred, int64_t n, int k, int64_t *cm);

double lt_rmse(const double *y, const double *pred, int64_t n);
double lt_mae(const double *y, const double *pred, int64_t n);
double lt_r2(const double *y, const double *pred, int64_t n);

/* All classification metrics at once. For k == 2, precision/recall/f1 are
 * of class 1 and roc_auc/pr_auc use proba[:,1]; for k > 2 they are macro
 * averages and roc_auc is the one-vs-rest macro average. */
typedef struct lt_class_metrics {
    double accuracy, precision, recall, f1, f1_macro, roc_auc, pr_auc, log_loss;
} lt_class_metrics;
int lt_class_metrics_compute(const int32_t *y, const float *proba, int64_t n, int k,
                             lt_class_metrics *out);
/* The same with a decision threshold for k == 2: class 1 where
 * proba[:,1] >= threshold (NaN: the most probable class, as above). */
int lt_class_metrics_at(const int32_t *y, const float *proba, int64_t n, int k, double threshold,
                        lt_class_metrics *out);

/* The decision threshold on score (n) that maximises the F1 of class 1:
 * among the cuts between distinct scores with the best F1, the middle one
 * (a plateau of equal F1 is usually noise, and its middle is the choice
 * least tied to single rows); the threshold lies halfway between the
 * scores on either side of that cut. *f1 (may be NULL) = that F1. NaN
 * when no row is positive. */
double lt_f1_best_threshold(const int32_t *y, const double *score, int64_t n, double *f1);

typedef struct lt_reg_metrics { double rmse, mae, r2; } lt_reg_metrics;
int lt_reg_metrics_compute(const double *y, const double *pred, int64_t n, lt_reg_metrics *out);

/* ---- clustering ---- */

/* Mean silhouette coefficient (Euclidean, scikit-learn's silhouette_score)
 * of labels (n, values >= 0) on X (n x d, row-major). A row alone in its
 * cluster scores 0. sample in (0, n): computed on that many rows drawn
 * without replacement from seed (like sample_size=; the cost is
 * O(sample^2 d)); 0 or >= n: all rows. NaN when fewer than 2 or more than
 * n - 1 distinct labels are present (sklearn raises there), or on error. */
double lt_silhouette(const float *X, int64_t n, int64_t d, const int32_t *labels,
                     int64_t sample, uint64_t seed);
/* Adjusted Rand index of two labelings (any int32 values) of n items, in
 * [-1, 1] (1 = same partition, about 0 = chance), as
 * sklearn.metrics.adjusted_rand_score. NaN on allocation failure. */
double lt_adjusted_rand_index(const int32_t *a, const int32_t *b, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
