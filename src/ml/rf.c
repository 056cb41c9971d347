/* Random forest "rf" (Breiman 2001) on the histogram trees of tree_grow.c.
 *
 * Each tree sees a bootstrap sample (row multiplicities) and tries
 * max_features randomly drawn features at every split. Splits minimise the
 * weighted Gini impurity (classification: one gradient channel per class,
 * g_c = -w [y = c], h = w, lambda = 0, so a leaf value -G_c / H is the
 * class frequency) or the squared error (regression: g = -w (y - mean)).
 * Unlike scikit-learn's exact splits, thresholds come from at most max_bins
 * quantile bins; NaN has its own bin and a learned direction as in gbdt.
 * predict_proba is the mean of the trees' leaf class frequencies. Trees are
 * grown in parallel; tree t draws from its own generator seeded by (seed, t),
 * so the forest is the same for any thread count. */
#include "lathe/model.h"
#include "tree_impl.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rf {
    lt_model base;
    int n_estimators, max_depth, min_samples_leaf, bootstrap, max_bins, class_weight, refine;
    double max_features;
    lt_forest f;
} rf;

static const lt_param_spec rf_params[] = {
    {"n_estimators", LT_PARAM_INT, offsetof(rf, n_estimators), 100, 1, 1e6, NULL, "trees"},
    {"max_depth", LT_PARAM_INT, offsetof(rf, max_depth), 0, 0, 1000, NULL,
     "deepest split level; 0 = unlimited (grow until pure or min_samples_leaf)"},
    {"min_samples_leaf", LT_PARAM_INT, offsetof(rf, min_samples_leaf), 1, 1, 1e9, NULL,
     "minimum training rows (with bootstrap multiplicity) in a leaf"},
    {"max_features", LT_PARAM_FLOAT, offsetof(rf, max_features), 0, 0, 1, NULL,
     "fraction of features tried per split; 0 = auto: sqrt(d) for classification, all for "
     "regression (as scikit-learn)"},
    {"bootstrap", LT_PARAM_BOOL, offsetof(rf, bootstrap), 1, 0, 1, NULL,
     "draw n rows with replacement per tree (false: every tree sees all rows)"},
    {"max_bins", LT_PARAM_INT, offsetof(rf, max_bins), 255, 2, TB_MAX_BINS, NULL,
     "quantile bins per feature (missing values get one more)"},
    {"refine", LT_PARAM_BOOL, offsetof(rf, refine), 1, 0, 1, NULL,
     "true: move each split on a quantile-binned feature to the best raw threshold inside "
     "its two bins (exact precision where bins are wide); false: bin edges only"},
    {"class_weight", LT_PARAM_CHOICE, offsetof(rf, class_weight), 0, 0, 0, "none|balanced",
     "balanced: weight class c by n / (k * count_c)"},
};

static void rf_destroy(lt_model *mm) { lt_forest_clear(&((rf *)mm)->f); }

static int rf_nout(const lt_model *m) { return m->task == LT_TASK_CLASSIFICATION ? m->nclass : 1; }

typedef struct grown {  /* one tree's nodes and values, kept until the forest is assembled */
    tg_node *nd;
    double *val;
    int64_t nn;
} grown;

static int rf_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                  const float *w)
{
    rf *m = (rf *)mm;
    const int C = rf_nout(mm), cls = mm->task == LT_TASK_CLASSIFICATION;
    const int T = m->n_estimators;
    if (C > 62)
        return lt_error(LT_EUNSUPPORTED, "rf: at most 62 classes (got %d)", C);
    if (tg_rows_fit("rf", n))
        return LT_ELIMIT;
    lt_forest_clear(&m->f);
    tb_bins edges = {0};
    float *sw = lt_malloc(sizeof(float) * (size_t)n);
    float *g = lt_malloc(sizeof(float) * (size_t)(n * C));
    uint8_t *bins = lt_malloc((size_t)(n * d));
    float *Xc = NULL;  // (d, n) raw columns for refined splits
    grown *trees = lt_calloc((size_t)T, sizeof(grown));
    int rc = LT_OK;
    if (!sw || !g || !bins || !trees) {
        rc = LT_ENOMEM;
        goto out;
    }
    if ((rc = lt_tree_weights(y, w, n, cls ? mm->nclass : 0, m->class_weight == 1, sw)) ||
        (rc = tb_fit(&edges, X, d, NULL, n, m->max_bins)))
        goto out;
    tb_apply(&edges, X, NULL, n, bins);
    double ymean = 0, swsum = 0;
    for (int64_t i = 0; i < n; i++) {
        ymean += (double)sw[i] * y[i];
        swsum += sw[i];
    }
    ymean = swsum > 0 ? ymean / swsum : 0;
    // Regression is centred so the split scores G^2/H do not cancel large numbers.
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < C; c++)
            g[(int64_t)c * n + i] = cls ? -sw[i] * ((int)y[i] == c) : (float)(-sw[i] * (y[i] - ymean));
    int mtry = (int)floor(m->max_features * (double)d);
    if (m->max_features == 0)
        mtry = cls ? (int)floor(sqrt((double)d)) : (int)d;
    if (mtry < 1)
        mtry = 1;
    const tg_params tp = {m->max_depth, 0, 0, 0.0, 0.0, m->min_samples_leaf, mtry, 0, m->refine};
    if (m->refine && !(Xc = lt_tree_columns(X, d, NULL, n))) {
        rc = LT_ENOMEM;
        goto out;
    }
    const tg_input in = {bins, n, d, &edges, C, g, sw, NULL, Xc};
#pragma omp parallel
    {
        tg_work *wk = tg_work_new(d, C);
        tg_row *rows = lt_malloc(sizeof(tg_row) * (size_t)n);
        float *cnt = lt_malloc(sizeof(float) * (size_t)n);
        int *feats = lt_malloc(sizeof(int) * (size_t)d);
        int mine = !wk || !rows || !cnt || !feats ? LT_ENOMEM : LT_OK;
        for (int64_t j = 0; feats && j < d; j++)
            feats[j] = (int)j;
#pragma omp for schedule(dynamic, 1)
        for (int t = 0; t < T; t++) {
            if (mine)
                continue;
            lt_rng r;
            lt_rng_seed(&r, mm->seed * 0x9E3779B97F4A7C15ULL + (uint64_t)t + 1);
            tg_input ti = in;
            int64_t nr = 0;
            if (m->bootstrap) {
                memset(cnt, 0, sizeof(float) * (size_t)n);
                for (int64_t i = 0; i < n; i++)
                    cnt[lt_rng_below(&r, (uint64_t)n)] += 1;
                for (int64_t i = 0; i < n; i++)
                    if (cnt[i] > 0)
                        rows[nr++] = (tg_row)i;
                ti.cnt = cnt;
            } else {
                for (int64_t i = 0; i < n; i++)
                    rows[nr++] = (tg_row)i;
            }
            if ((mine = tg_grow(wk, &ti, &tp, rows, nr, feats, (int)d, &r)))
                continue;
            grown *gt = &trees[t];
            gt->nn = tg_nnodes(wk);
            gt->nd = malloc(sizeof(tg_node) * (size_t)gt->nn);
            gt->val = malloc(sizeof(double) * (size_t)(gt->nn * C));
            if (!gt->nd || !gt->val) {
                mine = LT_ENOMEM;
                continue;
            }
            memcpy(gt->nd, tg_nodes(wk), sizeof(tg_node) * (size_t)gt->nn);
            memcpy(gt->val, tg_values(wk), sizeof(double) * (size_t)(gt->nn * C));
        }
        if (mine) {
#pragma omp critical(rf_fit_error)
            rc = rc ? rc : mine;
        }
        tg_work_free(wk);
        free(rows);
        free(cnt);
        free(feats);
    }
    if (rc) {  // messages set on worker threads stay there (thread-local): say it here
        lt_error(rc, "rf: growing the trees failed (%s)",
                 rc == LT_ENOMEM ? "out of memory" : lt_status_name(rc));
        goto out;
    }
    if ((rc = lt_forest_init(&m->f, d, C, C)))
        goto out;
    m->f.scale = 1.0 / T;
    for (int t = 0; t < T && !rc; t++)
        rc = lt_forest_add(&m->f, trees[t].nd, trees[t].val, trees[t].nn, 1.0, cls ? NULL : &ymean);
out:
    if (rc)
        lt_forest_clear(&m->f);
    for (int t = 0; trees && t < T; t++) {
        free(trees[t].nd);
        free(trees[t].val);
    }
    free(trees);
    free(sw);
    free(g);
    free(bins);
    free(Xc);
    tb_free(&edges);
    return rc;
}

/* Class decisions (pred) and class shares (proba), either may be NULL,
 * from one pass over the trees. */
static int rf_predict_both(const lt_model *mm, const float *X, int64_t n, float *pred,
                           float *proba)
{
    const rf *m = (const rf *)mm;
    if (proba && mm->task != LT_TASK_CLASSIFICATION)
        return lt_error(LT_EUNSUPPORTED, "rf: predict_proba needs a classifier");
    const int K = m->f.nout;
    double *raw = lt_malloc(sizeof(double) * (size_t)(n * K));
    if (!raw)
        return LT_ENOMEM;
    lt_forest_raw(&m->f, X, n, raw);
    for (int64_t i = 0; proba && i < n * K; i++)
        proba[i] = (float)raw[i];
    for (int64_t i = 0; pred && i < n; i++) {
        if (mm->task != LT_TASK_CLASSIFICATION) {
            pred[i] = (float)raw[i];
            continue;
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            if (raw[i * K + k] > raw[i * K + best])
                best = k;
        pred[i] = (float)best;
    }
    free(raw);
    return LT_OK;
}

static int rf_predict_proba(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return rf_predict_both(mm, X, n, NULL, out);
}

static int rf_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return rf_predict_both(mm, X, n, out, NULL);
}

static int rf_save(const lt_model *mm, lt_state *st) { return lt_forest_save(&((const rf *)mm)->f, st); }

static int rf_load(lt_model *mm, const lt_state *st)
{
    rf *m = (rf *)mm;
    lt_forest f;
    int C = rf_nout(mm);
    int rc = lt_forest_load(&f, st, mm->nfeat, C, C);
    if (rc)
        return rc;
    f.scale = 1.0 / (double)f.ntrees;
    lt_forest_clear(&m->f);
    m->f = f;
    return LT_OK;
}

static char *rf_describe(const lt_model *mm)
{
    const rf *m = (const rf *)mm;
    char buf[160];
    snprintf(buf, sizeof buf, "{\"trees\":%lld,\"nodes\":%lld,\"max_depth_seen\":%d}",
             (long long)m->f.ntrees, (long long)m->f.nnodes, m->f.max_depth);
    return lt_strdup(buf);
}

static int rf_importance(const lt_model *mm, double *out)
{
    lt_forest_importance(&((const rf *)mm)->f, out);
    return LT_OK;
}

static int rf_contributions(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return lt_forest_shap(&((const rf *)mm)->f, X, n, out);
}

const lt_model_vtable lt_rf_vtable = {
    .name = "rf",
    .summary = "random forest (Gini / squared error), histogram splits, NaN-aware",
    .supports_regression = 1,
    .supports_classification = 1,
    .unsupervised_task = 0,
    .size = sizeof(rf),
    .params = rf_params,
    .nparams = (int)(sizeof rf_params / sizeof rf_params[0]),
    .fit = rf_fit,
    .predict = rf_predict,
    .predict_proba = rf_predict_proba,
    .predict_both = rf_predict_both,
    .save = rf_save,
    .load = rf_load,
    .describe = rf_describe,
    .destroy = rf_destroy,
    .handles_missing = 1,
    .importance = rf_importance,
    .contributions = rf_contributions,
};
