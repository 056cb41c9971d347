/* lathe ml: the one model interface.
 *
 * Every estimator, classical or neural, is an lt_model reached through a
 * const vtable registered in one table (src/ml/registry.c). Parameters are
 * described by a table of lt_param_spec, so setting, validating, printing
 * and saving them is written once. A model sees only dense float32 data:
 * X is n x d row-major; y holds a target value (regression) or a class index
 * 0..nclass-1 (classification) as float.
 */
#ifndef LATHE_MODEL_H
#define LATHE_MODEL_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LT_TASK_REGRESSION = 0,
    LT_TASK_CLASSIFICATION = 1,
    LT_TASK_ANOMALY = 2,   /* unsupervised: score = higher is more anomalous */
    LT_TASK_CLUSTER = 3,   /* unsupervised: predict = cluster index */
} lt_task;

typedef enum { LT_PARAM_INT = 0, LT_PARAM_FLOAT, LT_PARAM_CHOICE, LT_PARAM_BOOL } lt_param_type;

/* One tunable parameter, stored at `offset` in the model's struct:
 * INT/BOOL -> int, FLOAT -> double, CHOICE -> int index into `choices`
 * ("newton|lbfgs|gd|sgd"). Range [min, max] is checked for INT/FLOAT. */
typedef struct lt_param_spec {
    const char *name;
    lt_param_type type;
    size_t offset;
    double def, min, max;
    const char *choices;
    const char *help;
} lt_param_spec;

/* Range helpers for lt_param_spec.min/max: LT_PARAM_GT0 as min means the
 * value must be strictly positive ("> 0"); LT_PARAM_NOMAX as max means no
 * upper bound. */
#define LT_PARAM_GT0 4.9406564584124654e-324
#define LT_PARAM_NOMAX 1e308

typedef struct lt_model lt_model;

/* Progress callback for long fits: iteration, total (0 = unknown), loss. */
typedef void (*lt_progress_fn)(void *user, int64_t iter, int64_t total, double loss);

typedef struct lt_model_vtable {
    const char *name;        /* registry name, e.g. "logreg" */
    const char *summary;     /* one line for --help */
    int supports_regression, supports_classification;
    lt_task unsupervised_task;  /* LT_TASK_ANOMALY / LT_TASK_CLUSTER if it trains without y; else 0 */
    size_t size;             /* sizeof the implementation struct (starts with lt_model) */
    const lt_param_spec *params;
    int nparams;
    /* fit: y NULL for unsupervised models; w (sample weights) may be NULL. */
    int (*fit)(lt_model *m, const float *X, int64_t n, int64_t d, const float *y, const float *w);
    /* predict: regression value, class index, anomaly label (0/1) or cluster. */
    int (*predict)(const lt_model *m, const float *X, int64_t n, float *out);
    /* proba: n x nclass for classifiers; n x 1 score for anomaly models. May be NULL. */
    int (*predict_proba)(const lt_model *m, const float *X, int64_t n, float *out);
    /* Export/import fitted state (tensors); params are saved by the base. */
    int (*save)(const lt_model *m, lt_state *st);
    int (*load)(lt_model *m, const lt_state *st);
    /* Extra JSON object text (malloc'd) describing the fit, or NULL. May be NULL. */
    char *(*describe)(const lt_model *m);
    void (*destroy)(lt_model *m);  /* free what the impl allocated (not m). May be NULL. */
    /* Optional (NULL if not supported): */
    /* 1 if the model routes NaN inputs itself (trees): the pipeline then
     * leaves missing numeric values as NaN instead of imputing them. */
    int handles_missing;
    /* Global importance per input feature (d values, e.g. total split gain). */
    int (*importance)(const lt_model *m, double *out);
    /* Additive per-feature contributions to the raw score (TreeSHAP for trees):
     * out is n x (d + 1) per output k = 0..nout-1 laid out as
     * out[((i * nout) + k) * (d + 1) + j], last column = the expected value. */
    int (*contributions)(const lt_model *m, const float *X, int64_t n, float *out);
    /* 0 when a parameter turned predict_proba off (svc without probability). */
    int (*has_proba)(const lt_model *m);
    /* predict and predict_proba in one pass (pred or proba may be NULL),
     * exactly as the two calls would give them. */
    int (*predict_both)(const lt_model *m, const float *X, int64_t n, float *pred, float *proba);
} lt_model_vtable;

/* Base of every model struct. Impl structs start with `lt_model base;`. */
struct lt_model {
    const lt_model_vtable *vt;
    lt_task task;          /* set by lt_model_fit */
    int64_t nfeat;         /* d seen at fit */
    int nclass;            /* classes for classification, else 0 */
    int fitted;
    uint64_t seed;
    lt_progress_fn progress;
    void *progress_user;
};

/* Registry. */
int lt_model_registry_count(void);
const lt_model_vtable *lt_model_registry_at(int i);
const lt_model_vtable *lt_model_find(const char *name);  /* NULL if unknown */

/* New model with default parameters; LT_ENOTFOUND names the known models. */
int lt_model_new(const char *name, lt_model **out);
void lt_model_free(lt_model *m);  /* NULL-safe */
/* Set from text ("lbfgs", "0.5", "true"); unknown key or bad value is
 * LT_EINVAL naming the key, the value and what is accepted. */
int lt_model_set_param(lt_model *m, const char *key, const char *value);
/* Current parameters as a JSON object text (malloc'd). */
char *lt_model_params_json(const lt_model *m);
/* Apply every key of a JSON object text through lt_model_set_param. */
int lt_model_set_params_json(lt_model *m, const char *json);
void lt_model_set_seed(lt_model *m, uint64_t seed);
void lt_model_set_progress(lt_model *m, lt_progress_fn fn, void *user);

/* task: LT_TASK_REGRESSION or LT_TASK_CLASSIFICATION (y holds 0..nclass-1),
 * or the model's unsupervised task (y ignored, may be NULL). */
int lt_model_fit(lt_model *m, lt_task task, const float *X, int64_t n, int64_t d, const float *y,
                 int nclass, const float *w);
int lt_model_predict(const lt_model *m, const float *X, int64_t n, int64_t d, float *out);
/* 1 if lt_model_predict_proba gives real probabilities (or anomaly scores). */
int lt_model_has_proba(const lt_model *m);
int lt_model_predict_proba(const lt_model *m, const float *X, int64_t n, int64_t d, float *out);
/* Both outputs (either may be NULL), in one pass when the model can. */
int lt_model_predict_both(const lt_model *m, const float *X, int64_t n, int64_t d, float *pred,
                          float *proba);
/* Fitted tensors go in st (names chosen by the model). */
int lt_model_save(const lt_model *m, lt_state *st);
/* Recreate a fitted model from its name, params JSON, header fields and state. */
int lt_model_load(const char *name, const char *params_json, lt_task task, int64_t nfeat,
                  int nclass, const lt_state *st, lt_model **out);

#ifdef __cplusplus
}
#endif
#endif
