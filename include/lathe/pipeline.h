/* lathe ml: a pipeline is what a saved model is: the input schema and
 * fitted transforms (lt_prep), the target's description (name, task, class
 * names), the estimator, its training metrics and provenance. Predicting
 * from a raw table with the same columns just works.
 */
#ifndef LATHE_PIPELINE_H
#define LATHE_PIPELINE_H

#include "derive.h"
#include "metrics.h"
#include "model.h"
#include "table.h"
#include "transform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_pipeline_spec {
    const char *model;                 /* registry name, default "logreg" */
    const char *target;                /* NULL for unsupervised models */
    const char *const *drop;           /* columns never used as features */
    int ndrop;
    /* Derived feature columns, "NAME = EXPRESSION" (lathe/derive.h); an
     * entry may hold several separated by ';'. They are computed in order
     * onto the rows before the transforms, are features like any other
     * column (unless named in `drop`), and are saved with the pipeline, so
     * predicting computes them from the raw columns. The columns they read
     * stay required inputs even when dropped as features; they cannot read
     * the target, and the target cannot be one of them. */
    const char *const *derive;
    int nderive;
    const char *const *param_keys;     /* model parameters as text */
    const char *const *param_values;
    int nparams;
    lt_prep_params prep;
    /* -1 (default): classification if the model only classifies, or the
     * target is categorical, or (for models that do both) the target has
     * at most 20 distinct integer values; else regression. */
    int task;
    uint64_t seed;
    lt_progress_fn progress;
    void *progress_user;
} lt_pipeline_spec;

lt_pipeline_spec lt_pipeline_spec_default(void);

typedef struct lt_pipeline lt_pipeline;

/* The model a spec without one gets: "logreg" for classes, "linreg" for
 * quantities. */
const char *lt_pipeline_default_model(lt_task task);

/* The task lt_pipeline_fit would choose for this table and spec (rows NULL
 * = all), so callers can pick a stratified split before fitting. */
int lt_pipeline_guess_task(const lt_table *t, const int64_t *rows, int64_t nrows,
                           const lt_pipeline_spec *spec, lt_task *out);

/* Fit on rows (NULL = all) of t. Features = every column but the target and
 * `drop`, plus the derived columns. Rows whose target is missing are
 * skipped. A definition that does not parse is LT_EINVAL ("--derive 'DEF':
 * POS: expected ..."); one naming an unknown or categorical column, or a
 * column t already has, fails before any work. */
int lt_pipeline_fit(const lt_table *t, const int64_t *rows, int64_t nrows,
                    const lt_pipeline_spec *spec, lt_pipeline **out);
void lt_pipeline_free(lt_pipeline *p);  /* NULL-safe */

/* pred: n values (regression value, class index, anomaly flag, cluster);
 * proba (may be NULL): n x lt_pipeline_nproba(p). t holds the raw input
 * columns (lt_pipeline_in_*), in any order, with any extra columns; the
 * pipeline computes its derived columns itself (a column of t carrying a
 * derived column's name is ignored). */
int lt_pipeline_predict(const lt_pipeline *p, const lt_table *t, float *pred, float *proba);
int lt_pipeline_nproba(const lt_pipeline *p);

/* Decision threshold of a binary classifier: predict the second class
 * (class 1) where its probability is >= threshold. NaN (the default) means
 * none: the more probable class. Predictions, evaluations and the server
 * all use it; probabilities are unchanged. Set NaN to clear; otherwise it
 * must lie in (0, 1) and the pipeline must be a two-class classifier with
 * probabilities (LT_EINVAL). Saved with the model. */
int lt_pipeline_set_threshold(lt_pipeline *p, double threshold);
double lt_pipeline_threshold(const lt_pipeline *p);

/* Anomaly models: roc_auc/pr_auc of the anomaly score and precision/
 * recall/f1 of the 0/1 prediction against a label (NaN without one or when
 * one class is absent); flagged = share of rows predicted 1. */
typedef struct lt_anomaly_metrics {
    double roc_auc, pr_auc, precision, recall, f1, flagged;
    int64_t positives;         /* rows labelled anomalous */
} lt_anomaly_metrics;
/* Cluster models: adjusted Rand index against a label (NaN without one),
 * inertia (sum of squared distances to the nearest center in the model's
 * feature space; for models without centers, to the cluster means),
 * silhouette (on at most 5000 rows, sampled with a fixed seed), k = clusters
 * present in the prediction. */
typedef struct lt_cluster_metrics {
    double ari, inertia, silhouette;
    int k;
} lt_cluster_metrics;

/* Evaluation of a pipeline on labelled rows (NULL = all rows of t). */
typedef struct lt_eval {
    lt_task task;
    int64_t n;
    lt_class_metrics cls;      /* classification */
    lt_reg_metrics reg;        /* regression */
    double predict_seconds;
    lt_anomaly_metrics anom;   /* anomaly */
    lt_cluster_metrics clu;    /* cluster */
    int labelled;              /* unsupervised: 1 when a label column was scored */
} lt_eval;
/* Supervised models are scored against their target; unsupervised ones
 * without labels (anomaly: flagged share; cluster: inertia, silhouette). */
int lt_pipeline_evaluate(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                         int64_t nrows, lt_eval *out);
/* Like lt_pipeline_evaluate with a label column (NULL = none) for
 * unsupervised models; rows whose label is missing are skipped.
 *  - anomaly: the label must have two values (or one); the positive
 *    (anomalous) one is the value named 1/true/yes/anomaly/anomalous/outlier/
 *    abnormal/fault/failure/fail when the other is not, else the one named
 *    0/false/no/normal/inlier/ok's counterpart, else the rarer value.
 *  - cluster: any labels; scored by the adjusted Rand index.
 * For supervised models label_col must be NULL or the model's target. */
int lt_pipeline_evaluate_labels(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                                int64_t nrows, const char *label_col, lt_eval *out);
/* {"accuracy":..,"f1":..}, {"rmse":..}, {"roc_auc":..,"pr_auc":..,"flagged":..}
 * or {"ari":..,"inertia":..,"silhouette":..}: malloc'd JSON object text. */
char *lt_eval_metrics_json(const lt_eval *e);

/* Accessors. */
lt_task lt_pipeline_task(const lt_pipeline *p);
const char *lt_pipeline_model_name(const lt_pipeline *p);
const lt_model *lt_pipeline_model(const lt_pipeline *p);
const lt_prep *lt_pipeline_prep(const lt_pipeline *p);
const char *lt_pipeline_target(const lt_pipeline *p);      /* NULL if unsupervised */
int lt_pipeline_nclass(const lt_pipeline *p);
const char *lt_pipeline_class_name(const lt_pipeline *p, int k);
/* Class index of a target value given as text ("1", "fail"), or -1. */
int lt_pipeline_class_index(const lt_pipeline *p, const char *value);
/* Target column of t as class indices (classification) or values; rows
 * whose class is unknown are an LT_EINVAL error naming the row and value. */
int lt_pipeline_target_values(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                              int64_t nrows, float *y);

/* The raw columns a table must provide to predict (the schema a server
 * validates): the transforms' inputs that are not derived, then the
 * columns the derived definitions read (numeric), each once. */
int lt_pipeline_nin(const lt_pipeline *p);
const char *lt_pipeline_in_name(const lt_pipeline *p, int j);
lt_coltype lt_pipeline_in_type(const lt_pipeline *p, int j);
/* Derived column definitions, in order, as canonical text (owned by p). */
int lt_pipeline_nderive(const lt_pipeline *p);
const char *lt_pipeline_derive_text(const lt_pipeline *p, int i);
/* The table the transforms read, for rows (NULL = all) of t: t's input
 * columns (lt_pipeline_in_*), the column `keep` when t has it (NULL =
 * none; e.g. the target), and the derived columns computed from them. A
 * missing input is LT_ENOTFOUND. *out is a new table (lt_table_free). */
int lt_pipeline_derive_table(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                             int64_t nrows, const char *keep, lt_table **out);

/* Free-form JSON objects kept with the model (copied; text may be NULL). */
int lt_pipeline_set_metrics_json(lt_pipeline *p, const char *json);
const char *lt_pipeline_metrics_json(const lt_pipeline *p);
int lt_pipeline_set_provenance_json(lt_pipeline *p, const char *json);
const char *lt_pipeline_provenance_json(const lt_pipeline *p);

/* To/from a state plus one JSON text (the model file's metadata). */
int lt_pipeline_to_state(const lt_pipeline *p, lt_state *st, char **meta_json);
int lt_pipeline_from_state(const lt_state *st, const char *meta_json, lt_pipeline **out);

#ifdef __cplusplus
}
#endif
#endif
