/* lathe ml: model selection by cross-validation.
 *
 * lt_tune evaluates candidate parameter settings of one model with k-fold
 * cross-validation, ranks them by a score, and refits the best on every row.
 * Each fold fits a whole pipeline (transforms included) on the training
 * folds only and evaluates it on the held-out fold, so nothing the model
 * sees is fitted on the rows it is scored on. Every candidate is scored on
 * the same folds. The same seed gives the same folds, the same random draws
 * and therefore the same choice.
 *
 * Scores are named by the keys of lt_eval_metrics_json: accuracy, precision,
 * recall, f1, f1_macro, roc_auc, pr_auc, log_loss (classification) and rmse,
 * mae, r2 (regression). log_loss, rmse and mae are lower-is-better.
 */
#ifndef LATHE_TUNE_H
#define LATHE_TUNE_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- scores ------------------------------------------------------------ */

/* Task of a score name and whether higher is better. LT_EINVAL listing the
 * accepted names if unknown. Either output pointer may be NULL. */
int lt_score_lookup(const char *name, lt_task *task, int *higher_is_better);
/* Default score: roc_auc for two classes (threshold-free and insensitive to
 * the rarity of failures), f1_macro for more classes (every class counts
 * alike, where accuracy would reward ignoring rare ones), rmse for
 * regression. Static string. */
const char *lt_score_default(lt_task task, int nclass);
/* Value of score `name` in an evaluation; LT_EINVAL if the score does not
 * belong to the evaluation's task. The value may be NaN (AUC with one class). */
int lt_score_get(const lt_eval *e, const char *name, double *out);

/* ---- search spaces ------------------------------------------------------ */

typedef enum {
    LT_DIST_LIST = 0,  /* explicit values: every one (grid) or one uniformly (random) */
    LT_DIST_INT,       /* integer uniform in [lo, hi] */
    LT_DIST_INT_LOG,   /* integer, log-uniform in [lo, hi], lo >= 1 */
    LT_DIST_FLOAT,     /* uniform in [lo, hi) */
    LT_DIST_LOG,       /* log-uniform in [lo, hi), lo > 0 */
} lt_dist_kind;

typedef struct lt_search_space lt_search_space;

lt_search_space *lt_search_space_new(void);  /* NULL on allocation failure */
void lt_search_space_free(lt_search_space *s);  /* NULL-safe */
/* A parameter with a list of values (copied). A name may appear only once. */
int lt_search_space_add_list(lt_search_space *s, const char *name, const char *const *values,
                             int nvalues);
/* A parameter drawn from a range (random search only). lo <= hi. */
int lt_search_space_add_range(lt_search_space *s, const char *name, lt_dist_kind kind, double lo,
                              double hi);
/* Parse "C=0.1,1,10;solver=lbfgs,newton" into lists, or, for random search,
 * entries that may also be ranges: "C=log:0.01:100", "max_iter=int:50:500",
 * "n=intlog:10:1000", "tol=float:1e-5:1e-3", "solver=choice:lbfgs,newton"
 * (a plain list is choices too). Parameters are separated by ';' and values
 * by ','. On a syntax error *out is NULL and the message quotes the entry
 * and the accepted forms. */
int lt_search_space_parse(const char *text, lt_search_space **out);
int lt_search_space_count(const lt_search_space *s);
const char *lt_search_space_name(const lt_search_space *s, int i);
lt_dist_kind lt_search_space_kind(const lt_search_space *s, int i);
/* 1 if every parameter is a list (a grid can be built). */
int lt_search_space_is_grid(const lt_search_space *s);
/* Number of grid points (product of list lengths), or -1 if not a grid or
 * larger than INT32_MAX. */
int64_t lt_search_space_grid_size(const lt_search_space *s);

/* ---- tuning -------------------------------------------------------------- */

typedef enum { LT_TUNE_GRID = 0, LT_TUNE_RANDOM = 1 } lt_tune_mode;

typedef enum {
    LT_CV_AUTO = 0,        /* stratified for classification, plain for regression */
    LT_CV_PLAIN,           /* shuffled rows */
    LT_CV_STRATIFIED,      /* each class spread evenly over the folds */
    LT_CV_GROUP,           /* rows sharing a value of `group_col` stay in one fold */
} lt_cv_kind;

typedef struct lt_tune_trial lt_tune_trial;

/* Called after each fold (fold = 0..nfolds-1, trial_done = NULL) and after
 * each trial (fold = nfolds, trial_done = its result). trial is 0-based. */
typedef void (*lt_tune_progress_fn)(void *user, int trial, int ntrials, int fold, int nfolds,
                                    const lt_tune_trial *trial_done);

typedef struct lt_tune_params {
    lt_tune_mode mode;       /* default LT_TUNE_GRID */
    int n_iter;              /* random search: candidates drawn (default 10) */
    int cv;                  /* folds (default 5, >= 2) */
    lt_cv_kind split;        /* default LT_CV_AUTO */
    const char *group_col;   /* column for LT_CV_GROUP */
    const char *metric;      /* score name; NULL = lt_score_default */
    uint64_t seed;           /* folds and random draws (default 42) */
    int refit;               /* 1 (default): refit the best on every row */
    int max_trials;          /* refuse grids larger than this (default 10000) */
    /* 1: for a two-class target, also choose the decision threshold that
     * maximises F1 on the best candidate's out-of-fold probabilities (every
     * row scored by the fold model that did not see it; see
     * lt_f1_best_threshold) and set it on the refit pipeline. Default 0. */
    int threshold;
    lt_tune_progress_fn progress;
    void *progress_user;
} lt_tune_params;

lt_tune_params lt_tune_params_default(void);

struct lt_tune_trial {
    int nparams;
    char **keys, **values;   /* the candidate's searched parameters, as text */
    double mean, std;        /* of the score over the folds (std: population); NaN if undefined */
    double *scores;          /* one per fold */
    lt_eval *folds;          /* every metric of every fold (nfolds entries) */
    int nfolds;
    double fit_seconds;      /* mean fit time of one fold */
    int status;              /* LT_OK, or the failure of a fold (the trial is then unranked) */
    char *error;             /* message of that failure, else NULL */
};

typedef struct lt_tune_result {
    char metric[32];
    int higher_is_better;
    lt_task task;
    lt_cv_kind split;        /* the kind actually used (never AUTO) */
    int nfolds;
    int64_t nrows;           /* rows with a target, the ones cross-validated */
    int ntrials;
    lt_tune_trial *trials;   /* in evaluation order */
    int best;                /* index into trials */
    double refit_seconds;
    /* With par.threshold on two classes: the chosen threshold, the
     * out-of-fold F1 at it and at the default decision (the more probable
     * class); else NaN. */
    double threshold, threshold_f1, default_f1;
    lt_pipeline *best_pipeline;  /* the best refit on every row; owned, NULL if refit = 0.
                                  * Take it by setting the field to NULL before freeing. */
} lt_tune_result;

void lt_tune_result_free(lt_tune_result *r);  /* frees the contents; NULL-safe */

/* Checks everything that does not need the data, before any work: the model
 * exists, every searched parameter is one of its parameters and every listed
 * value (and range end) is accepted, the score name is known and fits the
 * model, the mode fits the space (a grid needs lists), cv >= 2, n_iter >= 1,
 * a group column is named for LT_CV_GROUP. LT_EINVAL with a message. */
int lt_tune_check(const lt_pipeline_spec *spec, const lt_search_space *space,
                  const lt_tune_params *par);

/* Tune on the rows of t whose target is present. `spec` gives the model,
 * target, dropped columns, transforms, task and any fixed parameters
 * (searched ones override them). A trial whose fit fails on some fold is
 * kept with its error and unranked; if every trial fails, the first failure
 * is returned. Ties keep the earlier trial. *out is filled on success and
 * must be released with lt_tune_result_free. */
int lt_tune(const lt_table *t, const lt_pipeline_spec *spec, const lt_search_space *space,
            const lt_tune_params *par, lt_tune_result *out);

/* The result as a JSON object text (malloc'd): metric, higher_is_better,
 * task, split, folds, rows, trials [{params, mean, std, scores, fit_seconds
 * [, error]}], best {index, params, mean, std}. */
char *lt_tune_result_json(const lt_tune_result *r);
/* Mean (and population std) of every metric of the best trial over its
 * folds, as lt_eval_metrics_json would give them: two malloc'd JSON texts. */
int lt_tune_best_metrics_json(const lt_tune_result *r, char **mean_json, char **std_json);

#ifdef __cplusplus
}
#endif
#endif
