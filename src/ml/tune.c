/* Model selection: grid and random search over one model's parameters,
 * scored by k-fold cross-validation of whole pipelines. */
#include "lathe/tune.h"
#include "lathe/split.h"
#include "pipeline_impl.h"
#include "tune_impl.h"

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scores ------------------------------------------------------------ */

typedef struct {
    const char *name;
    lt_task task;
    int higher;
    size_t offset;  /* into lt_eval */
} score_def;

#define CLS(f) offsetof(lt_eval, cls) + offsetof(lt_class_metrics, f)
#define REG(f) offsetof(lt_eval, reg) + offsetof(lt_reg_metrics, f)
static const score_def scores[] = {
    {"accuracy", LT_TASK_CLASSIFICATION, 1, CLS(accuracy)},
    {"precision", LT_TASK_CLASSIFICATION, 1, CLS(precision)},
    {"recall", LT_TASK_CLASSIFICATION, 1, CLS(recall)},
    {"f1", LT_TASK_CLASSIFICATION, 1, CLS(f1)},
    {"f1_macro", LT_TASK_CLASSIFICATION, 1, CLS(f1_macro)},
    {"roc_auc", LT_TASK_CLASSIFICATION, 1, CLS(roc_auc)},
    {"pr_auc", LT_TASK_CLASSIFICATION, 1, CLS(pr_auc)},
    {"log_loss", LT_TASK_CLASSIFICATION, 0, CLS(log_loss)},
    {"rmse", LT_TASK_REGRESSION, 0, REG(rmse)},
    {"mae", LT_TASK_REGRESSION, 0, REG(mae)},
    {"r2", LT_TASK_REGRESSION, 1, REG(r2)},
};
#define NSCORES (int)(sizeof scores / sizeof scores[0])
#define SCORE_NAMES "accuracy, precision, recall, f1, f1_macro, roc_auc, pr_auc, log_loss " \
                    "(classification); rmse, mae, r2 (regression)"

static const score_def *score_find(const char *name)
{
    for (int i = 0; name && i < NSCORES; i++)
        if (!strcmp(scores[i].name, name))
            return &scores[i];
    return NULL;
}

int lt_score_lookup(const char *name, lt_task *task, int *higher_is_better)
{
    const score_def *s = score_find(name);
    if (!s)
        return lt_error(LT_EINVAL, "unknown metric '%s' (accepted: %s)", name ? name : "(null)",
                        SCORE_NAMES);
    if (task)
        *task = s->task;
    if (higher_is_better)
        *higher_is_better = s->higher;
    return LT_OK;
}

const char *lt_score_default(lt_task task, int nclass)
{
    if (task == LT_TASK_REGRESSION)
        return "rmse";
    return nclass > 2 ? "f1_macro" : "roc_auc";
}

int lt_score_get(const lt_eval *e, const char *name, double *out)
{
    const score_def *s = score_find(name);
    if (!s)
        return lt_score_lookup(name, NULL, NULL);
    if (s->task != e->task)
        return lt_error(LT_EINVAL, "metric '%s' is for %s, but the model does %s", name,
                        s->task == LT_TASK_REGRESSION ? "regression" : "classification",
                        e->task == LT_TASK_REGRESSION ? "regression" : "classification");
    *out = *(const double *)((const char *)e + s->offset);
    return LT_OK;
}

/* ---- checks ------------------------------------------------------------ */

lt_tune_params lt_tune_params_default(void)
{
    lt_tune_params p;
    memset(&p, 0, sizeof p);
    p.mode = LT_TUNE_GRID;
    p.n_iter = 10;
    p.cv = 5;
    p.seed = 42;
    p.refit = 1;
    p.max_trials = 10000;
    return p;
}

int lt_tune_check(const lt_pipeline_spec *spec, const lt_search_space *space,
                  const lt_tune_params *par)
{
    if (!spec || !space || !par)
        return lt_error(LT_EINVAL, "lt_tune: NULL argument");
    lt_model *m = NULL;
    int rc = lt_model_new(spec->model ? spec->model : "logreg", &m);
    if (rc)
        return rc;
    const lt_model_vtable *vt = m->vt;
    if (vt->unsupervised_task) {
        lt_model_free(m);
        return lt_error(LT_EINVAL, "model '%s' is unsupervised: tuning needs a target to score",
                        vt->name);
    }
    /* Every value goes through the model's own parser and range check. */
    for (int i = 0; !rc && i < space->n; i++) {
        const space_param *q = &space->p[i];
        if (q->kind == LT_DIST_LIST) {
            for (int k = 0; !rc && k < q->nvalues; k++)
                rc = lt_model_set_param(m, q->name, q->values[k]);
        } else {
            char lo[64], hi[64];
            lt_tune_fmt_value(q, q->lo, lo, sizeof lo);
            lt_tune_fmt_value(q, q->hi, hi, sizeof hi);
            if (!(rc = lt_model_set_param(m, q->name, lo)))
                rc = lt_model_set_param(m, q->name, hi);
        }
    }
    lt_model_free(m);
    if (rc)
        return rc;
    if (space->n == 0)
        return lt_error(LT_EINVAL, "the search space names no parameter");
    if (par->mode == LT_TUNE_GRID && !lt_search_space_is_grid(space))
        return lt_error(LT_EINVAL, "grid search needs a list of values for every parameter; "
                        "ranges (log:, int:, ...) are for random search");
    if (par->mode == LT_TUNE_GRID) {
        int64_t g = lt_search_space_grid_size(space);
        if (g < 0 || g > (par->max_trials > 0 ? par->max_trials : 10000))
            return lt_error(LT_ELIMIT, "the grid has too many points (more than %d); use random "
                            "search", par->max_trials > 0 ? par->max_trials : 10000);
    }
    if (par->mode == LT_TUNE_RANDOM && (par->n_iter < 1 || par->n_iter > 1000000))
        return lt_error(LT_EINVAL, "random search needs n_iter from 1 to 1000000, got %d",
                        par->n_iter);
    if (par->cv < 2 || par->cv > 1000)
        return lt_error(LT_EINVAL, "cross-validation needs 2 to 1000 folds, got %d", par->cv);
    if (par->split == LT_CV_GROUP && (!par->group_col || !*par->group_col))
        return lt_error(LT_EINVAL, "group cross-validation needs a group column");
    if ((unsigned)par->split > LT_CV_GROUP)
        return lt_error(LT_EINVAL, "unknown cross-validation kind %d", (int)par->split);
    if (par->metric) {
        lt_task mt;
        if ((rc = lt_score_lookup(par->metric, &mt, NULL)))
            return rc;
        if ((mt == LT_TASK_REGRESSION && !vt->supports_regression) ||
            (mt == LT_TASK_CLASSIFICATION && !vt->supports_classification))
            return lt_error(LT_EINVAL, "metric '%s' is for %s, which model '%s' does not do",
                            par->metric, mt == LT_TASK_REGRESSION ? "regression" : "classification",
                            vt->name);
    }
    if (spec->task == LT_TASK_REGRESSION && par->split == LT_CV_STRATIFIED)
        return lt_error(LT_EINVAL, "stratified folds need a classification target");
    return LT_OK;
}

/* ---- folds ----------------------------------------------------------------- */

/* Rows with a target, the task, and folds over them (indices into t). */
static int make_folds(const lt_table *t, const lt_pipeline_spec *spec, const lt_tune_params *par,
                      int64_t **rows_out, int64_t *nrows, lt_task *task, lt_cv_kind *kind,
                      lt_split *folds)
{
    int tj = lt_table_require(t, spec->target);
    if (tj < 0)
        return lt_error_wrap(LT_ENOTFOUND, "target: ");
    int64_t n = lt_table_nrows(t), m = 0;
    int64_t *rows = lt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!rows)
        return LT_ENOMEM;
    for (int64_t i = 0; i < n; i++) {
        int miss = lt_table_col_type(t, tj) == LT_COL_CAT ? lt_table_cat(t, tj)[i] < 0
                                                          : isnan(lt_table_num(t, tj)[i]);
        if (!miss)
            rows[m++] = i;
    }
    int rc = lt_pipeline_guess_task(t, rows, m, spec, task);
    if (rc) {
        free(rows);
        return rc;
    }
    *kind = par->split;
    if (*kind == LT_CV_AUTO)
        *kind = *task == LT_TASK_CLASSIFICATION ? LT_CV_STRATIFIED : LT_CV_PLAIN;
    if (*kind == LT_CV_STRATIFIED && *task != LT_TASK_CLASSIFICATION) {
        free(rows);
        return lt_error(LT_EINVAL, "stratified folds need a classification target; use plain "
                        "or group folds for regression");
    }
    if (m < par->cv) {
        free(rows);
        return lt_error(LT_EINVAL, "%d-fold cross-validation needs at least %d rows with a "
                        "target, have %lld", par->cv, par->cv, (long long)m);
    }
    int64_t *codes = NULL;
    int32_t *strata = NULL;
    int gj = -1;
    if (*kind == LT_CV_GROUP && (gj = lt_table_require(t, par->group_col)) < 0) {
        free(rows);
        return lt_error_wrap(LT_ENOTFOUND, "group column: ");
    }
    if (*kind != LT_CV_PLAIN) {
        if (!(codes = lt_malloc(sizeof(int64_t) * (size_t)m))) {
            free(rows);
            return LT_ENOMEM;
        }
        rc = lt_table_col_codes(t, *kind == LT_CV_GROUP ? gj : tj, rows, m, codes);
    }
    if (!rc && *kind == LT_CV_STRATIFIED) {
        if (!(strata = lt_malloc(sizeof(int32_t) * (size_t)m)))
            rc = LT_ENOMEM;
        for (int64_t i = 0; !rc && i < m; i++)
            strata[i] = (int32_t)codes[i];
    }
    /* lt_kfold numbers positions 0..m-1; map them back to table rows. */
    if (!rc)
        rc = lt_kfold(m, par->cv, par->seed, strata, *kind == LT_CV_GROUP ? codes : NULL, folds);
    for (int f = 0; !rc && f < par->cv; f++) {
        for (int64_t i = 0; i < folds[f].ntrain; i++)
            folds[f].train[i] = rows[folds[f].train[i]];
        for (int64_t i = 0; i < folds[f].ntest; i++)
            folds[f].test[i] = rows[folds[f].test[i]];
    }
    free(codes);
    free(strata);
    if (rc) {
        free(rows);
        return rc;
    }
    *rows_out = rows;
    *nrows = m;
    return LT_OK;
}

/* ---- the search ---------------------------------------------------------- */

static void trial_clear(lt_tune_trial *tr)
{
    for (int i = 0; i < tr->nparams; i++) {
        free(tr->keys[i]);
        free(tr->values[i]);
    }
    free(tr->keys);
    free(tr->values);
    free(tr->scores);
    free(tr->folds);
    free(tr->error);
}

void lt_tune_result_free(lt_tune_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->ntrials; i++)
        trial_clear(&r->trials[i]);
    free(r->trials);
    lt_pipeline_free(r->best_pipeline);
    memset(r, 0, sizeof *r);
}

/* Spec for one candidate: the spec's fixed parameters not searched, then
 * the searched ones. keys/vals must hold spec->nparams + s->n entries. */
static lt_pipeline_spec candidate_spec(const lt_pipeline_spec *spec, const lt_tune_trial *tr,
                                       const char **keys, const char **vals)
{
    lt_pipeline_spec cs = *spec;
    int n = 0;
    for (int i = 0; i < spec->nparams; i++) {
        int searched = 0;
        for (int k = 0; k < tr->nparams; k++)
            searched |= !strcmp(spec->param_keys[i], tr->keys[k]);
        if (!searched) {
            keys[n] = spec->param_keys[i];
            vals[n++] = spec->param_values[i];
        }
    }
    for (int k = 0; k < tr->nparams; k++) {
        keys[n] = tr->keys[k];
        vals[n++] = tr->values[k];
    }
    cs.param_keys = keys;
    cs.param_values = vals;
    cs.nparams = n;
    /* Per-fold fits report through lt_tune's own callback, not the model's. */
    cs.progress = NULL;
    cs.progress_user = NULL;
    return cs;
}

static int trial_init(lt_tune_trial *tr, const lt_search_space *s, const char *const *vals,
                      int nfolds)
{
    memset(tr, 0, sizeof *tr);
    tr->keys = lt_calloc((size_t)s->n, sizeof(char *));
    tr->values = lt_calloc((size_t)s->n, sizeof(char *));
    tr->scores = lt_calloc((size_t)nfolds, sizeof(double));
    tr->folds = lt_calloc((size_t)nfolds, sizeof(lt_eval));
    if (!tr->keys || !tr->values || !tr->scores || !tr->folds)
        return LT_ENOMEM;
    for (int i = 0; i < s->n; i++) {
        tr->keys[i] = lt_strdup(s->p[i].name);
        tr->values[i] = lt_strdup(vals[i]);
        tr->nparams++;
        if (!tr->keys[i] || !tr->values[i])
            return LT_ENOMEM;
    }
    tr->nfolds = nfolds;
    tr->mean = tr->std = NAN;
    return LT_OK;
}

static int same_values(const lt_tune_trial *a, const char (*vals)[64], int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a->values[i], vals[i]))
            return 0;
    return 1;
}

/* Out-of-fold predictions of one candidate for the decision threshold:
 * for table row i, the probability of class 1 from the fold model that did
 * not see the row, and the row's class index under that model. */
typedef struct oof_buf {
    float *p1;       /* (table rows) */
    int32_t *y;      /* (table rows) */
    char class1[64]; /* class 1's name in the first fold model: the others must agree */
    int ok;          /* every fold scored two classes with the same class 1 */
} oof_buf;

/* Scores the fold model p on its test rows into *ev and, when o is given
 * and p has two classes with the same class 1 as the earlier folds, keeps
 * the rows' probabilities and classes in o (one prediction for both). */
static int score_fold(const lt_pipeline *p, const lt_table *t, const lt_split *fold, int f,
                      lt_eval *ev, oof_buf *o)
{
    if (o && (lt_pipeline_nclass(p) != 2 || lt_pipeline_nproba(p) != 2 ||
              (f > 0 && strcmp(o->class1, lt_pipeline_class_name(p, 1)) != 0)))
        o->ok = 0;
    if (!o || !o->ok)
        return lt_pipeline_evaluate(p, t, fold->test, fold->ntest, ev);
    if (f == 0)
        snprintf(o->class1, sizeof o->class1, "%s", lt_pipeline_class_name(p, 1));
    const int64_t n = fold->ntest;
    float *p1 = lt_malloc(sizeof(float) * (size_t)(n + 1));
    int32_t *y = lt_malloc(sizeof(int32_t) * (size_t)(n + 1));
    int rc = p1 && y ? lt_pipeline_evaluate_binary(p, t, fold->test, n, ev, p1, y) : LT_ENOMEM;
    for (int64_t i = 0; !rc && i < n; i++) {
        o->p1[fold->test[i]] = p1[i];
        o->y[fold->test[i]] = y[i];
    }
    free(p1);
    free(y);
    return rc;
}

/* Fit and score one candidate on every fold. Failures of the candidate
 * (a fit that does not converge, a class missing from a fold) are kept in
 * the trial; only allocation failures abort the search. */
static int run_trial(const lt_table *t, const lt_pipeline_spec *spec, const lt_tune_params *par,
                     const char *metric, const lt_split *folds, lt_tune_trial *tr, int ti,
                     int ntrials, oof_buf *oof)
{
    const char **keys = lt_malloc(sizeof(char *) * (size_t)(spec->nparams + tr->nparams + 1));
    const char **vals = lt_malloc(sizeof(char *) * (size_t)(spec->nparams + tr->nparams + 1));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return LT_ENOMEM;
    }
    lt_pipeline_spec cs = candidate_spec(spec, tr, keys, vals);
    double fit_total = 0, sum = 0;
    int rc = LT_OK;
    for (int f = 0; f < tr->nfolds && !rc; f++) {
        lt_pipeline *p = NULL;
        double t0 = lt_now();
        rc = lt_pipeline_fit(t, folds[f].train, folds[f].ntrain, &cs, &p);
        fit_total += lt_now() - t0;
        if (!rc)
            rc = score_fold(p, t, &folds[f], f, &tr->folds[f], oof);
        if (!rc)
            rc = lt_score_get(&tr->folds[f], metric, &tr->scores[f]);
        lt_pipeline_free(p);
        if (rc) {
            const char *msg = lt_last_error();
            size_t len = strlen(msg) + 32;
            tr->status = rc;
            if ((tr->error = malloc(len)))
                snprintf(tr->error, len, "fold %d: %s", f + 1, msg);
        } else {
            sum += tr->scores[f];
        }
        if (par->progress)
            par->progress(par->progress_user, ti, ntrials, f, tr->nfolds, NULL);
    }
    free(keys);
    free(vals);
    tr->fit_seconds = fit_total / tr->nfolds;
    if (tr->status == LT_ENOMEM)
        return LT_ENOMEM;
    if (!tr->status) {
        tr->mean = sum / tr->nfolds;
        double ss = 0;
        for (int f = 0; f < tr->nfolds; f++)
            ss += (tr->scores[f] - tr->mean) * (tr->scores[f] - tr->mean);
        tr->std = sqrt(ss / tr->nfolds);
    }
    if (par->progress)
        par->progress(par->progress_user, ti, ntrials, tr->nfolds, tr->nfolds, tr);
    return LT_OK;
}

/* The F1-best threshold on the best trial's out-of-fold predictions, set on
 * the refit pipeline (when there is one). */
static int choose_threshold(const oof_buf *o, const int64_t *rows, int64_t n,
                            lt_tune_result *out)
{
    int32_t *y = lt_malloc(sizeof(int32_t) * (size_t)(2 * n + 1)), *pred = y + n;
    double *s = lt_malloc(sizeof(double) * (size_t)(n + 1));
    if (!y || !s) {
        free(y);
        free(s);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        y[i] = o->y[rows[i]];
        s[i] = o->p1[rows[i]];
        pred[i] = s[i] > 0.5;  // the more probable class; a tie goes to class 0
    }
    double prec, rec;
    lt_prf_binary(y, pred, n, 1, &prec, &rec, &out->default_f1);
    out->threshold = lt_f1_best_threshold(y, s, n, &out->threshold_f1);
    free(y);
    free(s);
    // Scores clustered at 0 or 1 can put the cut outside (0, 1): clamp into it.
    if (isfinite(out->threshold))
        out->threshold = fmin(fmax(out->threshold, 1e-6), 1 - 1e-6);
    if (isfinite(out->threshold) && out->best_pipeline)
        return lt_pipeline_set_threshold(out->best_pipeline, out->threshold);
    return LT_OK;
}

int lt_tune(const lt_table *t, const lt_pipeline_spec *spec, const lt_search_space *space,
            const lt_tune_params *par, lt_tune_result *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "lt_tune: out is NULL");
    memset(out, 0, sizeof *out);
    if (!t)
        return lt_error(LT_EINVAL, "lt_tune: table is NULL");
    int rc = lt_tune_check(spec, space, par);
    if (rc)
        return rc;
    if (!spec->target)
        return lt_error(LT_EINVAL, "tuning needs a target column");

    int64_t *rows = NULL, nrows = 0;
    oof_buf oof[2] = {{0}};  /* [0]: the current trial's, [1]: the best trial's */
    int lead = -1;           /* the trial whose predictions oof[1] holds */
    lt_split *folds = lt_calloc((size_t)par->cv, sizeof(lt_split));
    if (!folds)
        return LT_ENOMEM;
    lt_task task = LT_TASK_CLASSIFICATION;
    lt_cv_kind kind = LT_CV_PLAIN;
    if ((rc = make_folds(t, spec, par, &rows, &nrows, &task, &kind, folds)))
        goto done;
    /* Metric: as asked (it must suit the task) or the task's default. The
     * class count for the default comes from the rows with a target. */
    const char *metric = par->metric;
    if (!metric) {
        int nclass = 2;
        if (task == LT_TASK_CLASSIFICATION) {
            int64_t *codes = lt_malloc(sizeof(int64_t) * (size_t)nrows);
            if (!codes) {
                rc = LT_ENOMEM;
                goto done;
            }
            rc = lt_table_col_codes(t, lt_table_col_index(t, spec->target), rows, nrows, codes);
            int64_t mx = 0;
            for (int64_t i = 0; !rc && i < nrows; i++)
                mx = codes[i] > mx ? codes[i] : mx;
            /* Count distinct codes present. */
            char *seen = rc ? NULL : lt_calloc((size_t)mx + 1, 1);
            nclass = 0;
            for (int64_t i = 0; seen && i < nrows; i++)
                if (!seen[codes[i]]) {
                    seen[codes[i]] = 1;
                    nclass++;
                }
            free(seen);
            free(codes);
            if (rc)
                goto done;
        }
        metric = lt_score_default(task, nclass);
    }
    lt_task mt;
    lt_score_lookup(metric, &mt, &out->higher_is_better);
    if (mt != task) {
        rc = lt_error(LT_EINVAL, "metric '%s' is for %s, but this target makes a %s task",
                      metric, mt == LT_TASK_REGRESSION ? "regression" : "classification",
                      task == LT_TASK_REGRESSION ? "regression" : "classification");
        goto done;
    }
    snprintf(out->metric, sizeof out->metric, "%s", metric);
    out->threshold = out->threshold_f1 = out->default_f1 = NAN;
    /* Out-of-fold predictions for the threshold: this trial's (oof[0]) and
     * the best trial's so far (oof[1]), swapped when a trial takes the lead. */
    int64_t nt = lt_table_nrows(t);
    int want_oof = par->threshold && task == LT_TASK_CLASSIFICATION;
    if (want_oof) {
        oof[0].p1 = lt_malloc(sizeof(float) * (size_t)(nt + 1));
        oof[0].y = lt_malloc(sizeof(int32_t) * (size_t)(nt + 1));
        oof[1].p1 = lt_malloc(sizeof(float) * (size_t)(nt + 1));
        oof[1].y = lt_malloc(sizeof(int32_t) * (size_t)(nt + 1));
        if (!oof[0].p1 || !oof[0].y || !oof[1].p1 || !oof[1].y) {
            rc = LT_ENOMEM;
            goto done;
        }
    }
    out->task = task;
    out->split = kind;
    out->nfolds = par->cv;
    out->nrows = nrows;

    /* Candidates: the whole grid, or n_iter draws. A random search over
     * lists only that asks for at least the grid's size runs the grid. */
    int64_t gsize = lt_search_space_grid_size(space);
    int grid = par->mode == LT_TUNE_GRID || (gsize > 0 && gsize <= par->n_iter);
    int ntrials = grid ? (int)gsize : par->n_iter;
    if (!(out->trials = lt_calloc((size_t)ntrials, sizeof(lt_tune_trial)))) {
        rc = LT_ENOMEM;
        goto done;
    }
    lt_rng rng;
    /* A stream apart from the folds' (lt_kfold seeds with par->seed). */
    lt_rng_seed(&rng, par->seed ^ 0x9e3779b97f4a7c15ULL);
    const char **gv = lt_malloc(sizeof(char *) * (size_t)space->n);
    char(*dv)[64] = lt_malloc(64 * (size_t)space->n);
    if (!gv || !dv) {
        free(gv);
        free(dv);
        rc = LT_ENOMEM;
        goto done;
    }
    for (int c = 0; c < ntrials && !rc; c++) {
        if (grid) {
            lt_tune_grid_point(space, c, gv);
        } else {
            /* Redraw exact repeats of earlier candidates a few times: they
             * would cost a full CV for no information. */
            for (int tries = 0; tries < 20; tries++) {
                lt_tune_draw_point(space, &rng, dv);
                int dup = 0;
                for (int e = 0; e < c && !dup; e++)
                    dup = same_values(&out->trials[e], (const char(*)[64])dv, space->n);
                if (!dup)
                    break;
            }
            for (int i = 0; i < space->n; i++)
                gv[i] = dv[i];
        }
        rc = trial_init(&out->trials[c], space, gv, par->cv);
        out->ntrials = c + 1;
        oof[0].ok = 1;
        if (!rc)
            rc = run_trial(t, spec, par, metric, folds, &out->trials[c], c, ntrials,
                           want_oof ? &oof[0] : NULL);
        const lt_tune_trial *tr = &out->trials[c];
        if (!rc && want_oof && !tr->status && isfinite(tr->mean) &&
            (lead < 0 || (out->higher_is_better ? tr->mean > out->trials[lead].mean
                                                : tr->mean < out->trials[lead].mean))) {
            oof_buf tmp = oof[1];
            oof[1] = oof[0], oof[0] = tmp;
            lead = c;
        }
    }
    free(gv);
    free(dv);
    if (rc)
        goto done;

    /* Best: highest (or lowest) finite mean; ties keep the earlier trial. */
    out->best = -1;
    for (int c = 0; c < out->ntrials; c++) {
        const lt_tune_trial *tr = &out->trials[c];
        if (tr->status || !isfinite(tr->mean))
            continue;
        if (out->best < 0)
            out->best = c;
        else {
            double b = out->trials[out->best].mean;
            if (out->higher_is_better ? tr->mean > b : tr->mean < b)
                out->best = c;
        }
    }
    if (out->best < 0) {
        const lt_tune_trial *tr = &out->trials[0];
        rc = tr->status ? lt_error(tr->status, "every candidate failed; the first: %s",
                                   tr->error ? tr->error : lt_status_name(tr->status))
                        : lt_error(LT_EINVAL, "every candidate has an undefined %s on some fold "
                                   "(e.g. AUC on a fold with one class); use more rows, fewer "
                                   "folds or another --metric", metric);
        goto done;
    }
    if (par->refit) {
        const lt_tune_trial *tr = &out->trials[out->best];
        const char **keys = lt_malloc(sizeof(char *) * (size_t)(spec->nparams + tr->nparams + 1));
        const char **vals = lt_malloc(sizeof(char *) * (size_t)(spec->nparams + tr->nparams + 1));
        if (!keys || !vals)
            rc = LT_ENOMEM;
        if (!rc) {
            lt_pipeline_spec cs = candidate_spec(spec, tr, keys, vals);
            cs.progress = spec->progress;
            cs.progress_user = spec->progress_user;
            double t0 = lt_now();
            rc = lt_pipeline_fit(t, rows, nrows, &cs, &out->best_pipeline);
            out->refit_seconds = lt_now() - t0;
            if (rc)
                lt_error_wrap(rc, "refitting the best candidate on every row: ");
        }
        free(keys);
        free(vals);
    }
    if (!rc && want_oof && lead == out->best && oof[1].ok)
        rc = choose_threshold(&oof[1], rows, nrows, out);
done:
    free(oof[0].p1);
    free(oof[0].y);
    free(oof[1].p1);
    free(oof[1].y);
    for (int f = 0; f < par->cv; f++)
        lt_split_free(&folds[f]);
    free(folds);
    free(rows);
    if (rc)
        lt_tune_result_free(out);
    return rc;
}

/* ---- reporting ------------------------------------------------------------ */

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static const char *cv_name(lt_cv_kind k)
{
    static const char *n[] = {"auto", "random", "stratified", "group"};
    return (unsigned)k <= LT_CV_GROUP ? n[k] : "unknown";
}

static json_t *trial_params(const lt_tune_trial *tr)
{
    json_t *o = json_object();
    for (int i = 0; i < tr->nparams; i++)
        json_object_set_new(o, tr->keys[i], json_string(tr->values[i]));
    return o;
}

char *lt_tune_result_json(const lt_tune_result *r)
{
    json_t *o = json_object(), *ts = json_array();
    json_object_set_new(o, "metric", json_string(r->metric));
    json_object_set_new(o, "higher_is_better", json_boolean(r->higher_is_better));
    json_object_set_new(o, "task", json_string(r->task == LT_TASK_REGRESSION ? "regression"
                                                                             : "classification"));
    json_object_set_new(o, "split", json_string(cv_name(r->split)));
    json_object_set_new(o, "folds", json_integer(r->nfolds));
    json_object_set_new(o, "rows", json_integer(r->nrows));
    for (int c = 0; c < r->ntrials; c++) {
        const lt_tune_trial *tr = &r->trials[c];
        json_t *j = json_object(), *sc = json_array();
        json_object_set_new(j, "params", trial_params(tr));
        json_object_set_new(j, "mean", num_or_null(tr->mean));
        json_object_set_new(j, "std", num_or_null(tr->std));
        for (int f = 0; f < tr->nfolds && !tr->status; f++)
            json_array_append_new(sc, num_or_null(tr->scores[f]));
        json_object_set_new(j, "scores", sc);
        json_object_set_new(j, "fit_seconds", json_real(tr->fit_seconds));
        if (tr->status)
            json_object_set_new(j, "error", json_string(tr->error ? tr->error : ""));
        json_array_append_new(ts, j);
    }
    json_object_set_new(o, "trials", ts);
    if (r->best >= 0 && r->best < r->ntrials) {
        const lt_tune_trial *b = &r->trials[r->best];
        json_t *j = json_object();
        json_object_set_new(j, "index", json_integer(r->best));
        json_object_set_new(j, "params", trial_params(b));
        json_object_set_new(j, "mean", num_or_null(b->mean));
        json_object_set_new(j, "std", num_or_null(b->std));
        json_object_set_new(o, "best", j);
    }
    if (isfinite(r->threshold)) {
        json_t *j = json_object();
        json_object_set_new(j, "value", json_real(r->threshold));
        json_object_set_new(j, "oof_f1", num_or_null(r->threshold_f1));
        json_object_set_new(j, "default_oof_f1", num_or_null(r->default_f1));
        json_object_set_new(o, "threshold", j);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!s)
        lt_error(LT_ENOMEM, "out of memory writing the tuning result");
    return s;
}

int lt_tune_best_metrics_json(const lt_tune_result *r, char **mean_json, char **std_json)
{
    *mean_json = *std_json = NULL;
    if (!r || r->best < 0 || r->best >= r->ntrials)
        return lt_error(LT_ESTATE, "no best trial");
    const lt_tune_trial *b = &r->trials[r->best];
    json_t *mo = json_object(), *so = json_object();
    int64_t n = 0;
    for (int s = 0; s < NSCORES; s++) {
        if (scores[s].task != r->task)
            continue;
        double sum = 0, ss = 0;
        for (int f = 0; f < b->nfolds; f++)
            sum += *(const double *)((const char *)&b->folds[f] + scores[s].offset);
        double mean = sum / b->nfolds;
        for (int f = 0; f < b->nfolds; f++) {
            double v = *(const double *)((const char *)&b->folds[f] + scores[s].offset);
            ss += (v - mean) * (v - mean);
        }
        json_object_set_new(mo, scores[s].name, num_or_null(mean));
        json_object_set_new(so, scores[s].name, num_or_null(sqrt(ss / b->nfolds)));
    }
    for (int f = 0; f < b->nfolds; f++)
        n += b->folds[f].n;
    json_object_set_new(mo, "n", json_integer(n));
    *mean_json = json_dumps(mo, JSON_COMPACT | JSON_REAL_PRECISION(10));
    *std_json = json_dumps(so, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(mo);
    json_decref(so);
    if (!*mean_json || !*std_json) {
        free(*mean_json);
        free(*std_json);
        *mean_json = *std_json = NULL;
        return lt_error(LT_ENOMEM, "out of memory");
    }
    return LT_OK;
}
