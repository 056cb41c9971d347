/* lathe ml: explanations of a fitted pipeline (see docs/explain.md).
 *
 * Global importance, three kinds:
 *  - permutation: for each raw input column, shuffle it across the rows of a
 *    labelled table and measure how much a score drops. Works for any model;
 *    names are the pipeline's input columns.
 *  - gain: the model's own importance (vtable `importance`, e.g. total split
 *    gain of a tree ensemble), normalised to sum to 1; names are the
 *    prepared features the model sees (lt_prep_out_name).
 *  - coefficient: a linear model's weights on the prepared features (which
 *    the default transforms standardise, so they are comparable).
 * Per prediction, for one row of a table:
 *  - TreeSHAP (vtable `contributions`): exact additive contributions to the
 *    model's raw score, base + sum = raw score; per prepared feature.
 *  - occlusion (any model): each input column of the row in turn is set to
 *    its training baseline (the value the pipeline imputes for a missing
 *    value: the training mean, or median, or most frequent level) and the
 *    change of the predicted probability/value is its contribution. An
 *    approximation: interactions make the parts not add up to the whole.
 */
#ifndef LATHE_EXPLAIN_H
#define LATHE_EXPLAIN_H

#include "pipeline.h"
#include "tune.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LT_IMPORTANCE_PERMUTATION = 0,
    LT_IMPORTANCE_GAIN,
    LT_IMPORTANCE_COEFFICIENT,
} lt_importance_kind;

typedef struct lt_importance {
    lt_importance_kind kind;
    int n;
    char **names;           /* input columns (permutation) or prepared features */
    double *mean;           /* permutation: mean score drop (positive = the column matters);
                             * gain: share of the total; coefficient: the weight */
    double *std;            /* permutation: std over the repeats; else all 0 */
    char metric[32];        /* permutation: the score used */
    int higher_is_better;
    double baseline;        /* permutation: score on the unshuffled rows */
    int n_repeats;
    int64_t nrows;          /* permutation: rows scored */
} lt_importance;

void lt_importance_free(lt_importance *imp);  /* frees the contents; NULL-safe */

typedef struct lt_perm_params {
    int n_repeats;          /* shuffles per column (default 5) */
    uint64_t seed;          /* default 42 */
    const char *metric;     /* score name (tune.h); NULL = lt_score_default */
    int64_t max_rows;       /* 0 = all rows; else a seeded sample of this many */
    /* Called after each column: done columns, total. May be NULL. */
    void (*progress)(void *user, int done, int total);
    void *progress_user;
} lt_perm_params;

lt_perm_params lt_perm_params_default(void);

/* Permutation importance of every input column of p on labelled table t
 * (which must hold p's inputs and target). drop = baseline - shuffled for
 * higher-is-better scores and shuffled - baseline otherwise, so a larger
 * drop always means a more important column; values near 0 (or below) mean
 * the model does not rely on the column. LT_EUNSUPPORTED for unsupervised
 * pipelines; LT_EINVAL if the score is undefined on the rows. */
int lt_explain_permutation(const lt_pipeline *p, const lt_table *t, const lt_perm_params *par,
                           lt_importance *out);
/* The model's own importance; LT_EUNSUPPORTED if its vtable has none. */
int lt_explain_gain(const lt_pipeline *p, lt_importance *out);
/* Weights of a linear model (linreg; logreg: binary weights, or the mean
 * |weight| over classes for more classes); LT_EUNSUPPORTED otherwise. */
int lt_explain_coefficients(const lt_pipeline *p, lt_importance *out);

typedef enum { LT_CONTRIB_AUTO = 0, LT_CONTRIB_TREESHAP, LT_CONTRIB_OCCLUSION } lt_contrib_method;

typedef struct lt_contrib {
    lt_contrib_method method;
    int n;
    char **names;           /* treeshap: prepared features; occlusion: input columns */
    char **values;          /* the row's raw value of the (feature's) input column, as text */
    double *contrib;        /* per name */
    double base;            /* treeshap: expected raw score; occlusion: the output with
                             * every column at its baseline */
    double output;          /* the explained output for the row (raw score for treeshap,
                             * probability of class `cls` or regression value for occlusion) */
    int cls;                /* class explained, -1 for regression */
    char *predicted;        /* the row's prediction as text (class name or value) */
    char output_desc[128];  /* what `output` is, e.g. "probability of class '1'" */
} lt_contrib;

void lt_contrib_free(lt_contrib *c);  /* frees the contents; NULL-safe */

typedef struct lt_row_params {
    lt_contrib_method method;  /* AUTO: TreeSHAP if the model has it, else occlusion */
    int cls;                   /* class to explain; -1 (default): class 1 of a binary model,
                                * the predicted class of a multi-class one */
} lt_row_params;

lt_row_params lt_row_params_default(void);

/* Contributions for row `row` (0-based) of t. */
int lt_explain_row(const lt_pipeline *p, const lt_table *t, int64_t row, const lt_row_params *par,
                   lt_contrib *out);

/* Fold TreeSHAP contributions of prepared features into their input
 * columns (the one-hot levels of a column summed: exact, SHAP values add),
 * so names and values read like occlusion's. No-op for occlusion. */
int lt_contrib_group_inputs(const lt_pipeline *p, lt_contrib *c);

/* Index of the input column that prepared feature `k` comes from (numeric
 * "x" from "x", one-hot "Type=L" from "Type"), or -1. */
int lt_explain_feature_input(const lt_prep *prep, int64_t k);

#ifdef __cplusplus
}
#endif
#endif
