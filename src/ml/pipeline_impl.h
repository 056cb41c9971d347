/* Private to src/ml: the pipeline's fields (pipeline.c, pipeline_derive.c),
 * and entry points for callers that have already computed the derived
 * columns (lt_pipeline_derive_table), so a column they changed on purpose
 * (explain permutes and occludes features) is not computed again from the
 * raw columns. */
#ifndef LATHE_ML_PIPELINE_IMPL_H
#define LATHE_ML_PIPELINE_IMPL_H

#include "lathe/pipeline.h"

struct lt_pipeline {
    char *model_name;
    lt_model *model;
    lt_prep *prep;
    lt_task task;
    char *target;     /* NULL when unsupervised */
    int nclass;
    char **classes;   /* class names, as they appear in the target column */
    char *metrics_json, *provenance_json;
    /* Binary classification: class 1 where proba[:,1] >= threshold, when
     * has_threshold (else the more probable class). */
    int has_threshold;
    double threshold;
    lt_derive **derive;   /* derived columns, computed in order before prep */
    int nderive;
    /* Raw input schema: prep inputs that are not derived, then the columns
     * the definitions read. */
    int nin;
    char **in_names;
    lt_coltype *in_types;
};

/* p->in_*: the prep's inputs that are not derived, then the columns the
 * definitions read (pipeline_derive.c). */
int lt_pipeline_build_schema(lt_pipeline *p);
/* For lt_pipeline_fit with definitions defs[0..nd): checks them against t
 * (names, columns, the target) and --drop, and builds *out = the kept
 * columns of t for rows (NULL = all) plus the derived columns; *drop2
 * (malloc'd, borrowed names) = the --drop names present in *out. */
int lt_pipeline_derive_for_fit(const lt_table *t, const int64_t *rows, int64_t nrows,
                               const lt_pipeline_spec *spec, lt_derive **defs, int nd,
                               lt_table **out, const char ***drop2, int *ndrop2);

/* lt_pipeline_predict on a table holding the transforms' inputs. */
int lt_pipeline_predict_derived(const lt_pipeline *p, const lt_table *t, float *pred,
                                float *proba);
/* lt_pipeline_evaluate (all rows) on a table holding the transforms'
 * inputs and the target. */
int lt_pipeline_evaluate_derived(const lt_pipeline *p, const lt_table *t, lt_eval *out);
/* lt_pipeline_evaluate of a two-class model with probabilities (else
 * LT_EINVAL) that also hands back what it computed for each evaluated row,
 * in the order of rows: the probability of class 1 (p1) and the class index
 * (y), both (nrows; lt_table_nrows(t) when rows is NULL). */
int lt_pipeline_evaluate_binary(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                                int64_t nrows, lt_eval *out, float *p1, int32_t *y);

#endif
