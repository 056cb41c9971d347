/* Histogram gradient-boosted trees "gbdt" (XGBoost / LightGBM style).
 *
 * Each round fits one tree per output to the gradients g and hessians h of
 * the loss at the current raw scores F, with leaf values
 * -learning_rate * G / (H + lambda):
 *   regression      squared: g = F - y, h = 1
 *                   huber:   g = clip(F - y, -delta, delta), h = 1
 *   binary          logistic on the log-odds F: g = p - y, h = p (1 - p)
 *   K > 2 classes   softmax over K raw scores, one tree per class per round:
 *                   g_k = p_k - [y = k], h_k = p_k (1 - p_k)
 * all times the sample weight (times the balanced class weight). F starts
 * at the weighted mean (regression), the prior log-odds (binary) or the log
 * priors (multi-class). Features are quantile-binned once (tree_bins.c);
 * NaN has its own bin and each split learns where it goes (tree_grow.c).
 * Early stopping holds out a stratified random validation_fraction of the
 * training rows and keeps the round with the lowest validation loss. */
#include "lathe/model.h"
#include "tree_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOSS_SQUARED = 0, LOSS_HUBER, LOSS_LOGISTIC, LOSS_SOFTMAX };

typedef struct gbdt {
    lt_model base;
    int n_estimators, max_depth, grow, max_leaves, max_bins, min_samples_leaf;
    int early_stopping_rounds, class_weight, loss, refine;
    double learning_rate, lambda, min_child_weight, subsample, colsample, validation_fraction;
    double huber_delta;
    lt_forest f;
    int rounds, best_round;
    double best_loss;
} gbdt;

static const lt_param_spec gbdt_params[] = {
    {"n_estimators", LT_PARAM_INT, offsetof(gbdt, n_estimators), 100, 1, 1e6, NULL,
     "boosting rounds (trees per output)"},
    {"learning_rate", LT_PARAM_FLOAT, offsetof(gbdt, learning_rate), 0.1, LT_PARAM_GT0, 1, NULL,
     "shrinkage of each tree's leaf values"},
    {"max_depth", LT_PARAM_INT, offsetof(gbdt, max_depth), 6, 0, 64, NULL,
     "deepest split level; 0 = unlimited (then grow=leaf bounds the tree)"},
    {"grow", LT_PARAM_CHOICE, offsetof(gbdt, grow), 0, 0, 0, "depth|leaf",
     "depth: every node to max_depth (XGBoost); leaf: best gain first up to max_leaves (LightGBM)"},
    {"max_leaves", LT_PARAM_INT, offsetof(gbdt, max_leaves), 31, 2, 1e7, NULL,
     "leaves per tree for grow=leaf"},
    {"max_bins", LT_PARAM_INT, offsetof(gbdt, max_bins), 255, 2, TB_MAX_BINS, NULL,
     "quantile bins per feature (missing values get one more)"},
    {"refine", LT_PARAM_BOOL, offsetof(gbdt, refine), 1, 0, 1, NULL,
     "true: move each split on a quantile-binned feature to the best raw threshold inside "
     "its two bins (exact precision where bins are wide); false: bin edges only"},
    {"lambda", LT_PARAM_FLOAT, offsetof(gbdt, lambda), 1.0, 0, LT_PARAM_NOMAX, NULL,
     "L2 penalty on leaf values"},
    {"min_child_weight", LT_PARAM_FLOAT, offsetof(gbdt, min_child_weight), 1e-3, 0,
     LT_PARAM_NOMAX, NULL, "minimum hessian sum in a child"},
    {"min_samples_leaf", LT_PARAM_INT, offsetof(gbdt, min_samples_leaf), 1, 1, 1e9, NULL,
     "minimum training rows in a leaf"},
    {"subsample", LT_PARAM_FLOAT, offsetof(gbdt, subsample), 1.0, LT_PARAM_GT0, 1, NULL,
     "fraction of rows drawn (Bernoulli) for each round"},
    {"colsample", LT_PARAM_FLOAT, offsetof(gbdt, colsample), 1.0, LT_PARAM_GT0, 1, NULL,
     "fraction of features drawn for each round"},
    {"early_stopping_rounds", LT_PARAM_INT, offsetof(gbdt, early_stopping_rounds), 10, 1, 1e6,
     NULL, "stop after this many rounds without a better validation loss"},
    {"validation_fraction", LT_PARAM_FLOAT, offsetof(gbdt, validation_fraction), 0, 0, 0.9, NULL,
     "training rows held out (stratified) for early stopping; 0 = no early stopping"},
    {"class_weight", LT_PARAM_CHOICE, offsetof(gbdt, class_weight), 0, 0, 0, "none|balanced",
     "balanced: weight class c by n / (k * count_c)"},
    {"loss", LT_PARAM_CHOICE, offsetof(gbdt, loss), 0, 0, 0, "squared|huber",
     "regression loss (classification: logistic / softmax)"},
    {"huber_delta", LT_PARAM_FLOAT, offsetof(gbdt, huber_delta), 1.0, LT_PARAM_GT0,
     LT_PARAM_NOMAX, NULL, "huber: residuals beyond delta count linearly"},
};

static void gbdt_destroy(lt_model *mm) { lt_forest_clear(&((gbdt *)mm)->f); }

static int gbdt_nout(const lt_model *m)
{
    return m->task == LT_TASK_CLASSIFICATION && m->nclass > 2 ? m->nclass : 1;
}

static int loss_kind(const gbdt *m)
{
    if (m->base.task == LT_TASK_CLASSIFICATION)
        return m->base.nclass > 2 ? LOSS_SOFTMAX : LOSS_LOGISTIC;
    return m->loss == 1 ? LOSS_HUBER : LOSS_SQUARED;
}

static inline double sigmoid(double z)
{
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* Loss of one row at raw scores F (K of them) for the label y. */
static double row_loss(int kind, const double *F, int K, float y, double delta)
{
    switch (kind) {
    case LOSS_SQUARED: return 0.5 * (F[0] - y) * (F[0] - y);
    case LOSS_HUBER: {
        double r = fabs(F[0] - y);
        return r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
    }
    case LOSS_LOGISTIC: {  // log(1 + e^F) - y F, stable
        double z = F[0];
        return (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z;
    }
    default: {
        double mx = F[0], s = 0;
        for (int k = 1; k < K; k++)
            mx = fmax(mx, F[k]);
        for (int k = 0; k < K; k++)
            s += exp(F[k] - mx);
        return mx + log(s) - F[(int)y];
    }
    }
}

/* Rows are summed in fixed blocks of LOSS_BLOCK, each block in order, then
 * the blocks in order: the same sum for any thread count. */
#define LOSS_BLOCK 4096

/* g, h: (K, n) at raw scores F (n, K). With want_loss, also the weighted
 * mean loss at F from the same pass (one exp serves both: the CLI's
 * progress hook asks for the training loss every round, and a separate
 * pass over exp/log1p was 12% of a fit); otherwise NAN. */
static double gradients(int kind, const double *F, const float *y, const float *w, int64_t n,
                        int K, double delta, int want_loss, float *g, float *h)
{
    const int64_t nb = (n + LOSS_BLOCK - 1) / LOSS_BLOCK;
    double part[2 * 64], s = 0, sw = 0;  // (block, {loss, weight}) for 64 blocks at a time
    for (int64_t b0 = 0; b0 < nb; b0 += 64) {
        const int64_t b1 = b0 + 64 < nb ? b0 + 64 : nb;
#pragma omp parallel for schedule(static) if (n * K > 20000)
        for (int64_t blk = b0; blk < b1; blk++) {
            double ls = 0, ws = 0;
            const int64_t e = (blk + 1) * LOSS_BLOCK < n ? (blk + 1) * LOSS_BLOCK : n;
            if (kind == LOSS_LOGISTIC && !want_loss) {  // the common case, vectorised
                gbdt_logistic_grad(F, y, w, blk * LOSS_BLOCK, e, g, h);
                part[2 * (blk - b0)] = part[2 * (blk - b0) + 1] = 0;
                continue;
            }
            for (int64_t i = blk * LOSS_BLOCK; i < e; i++) {
                const double *f = F + i * K;
                const double wi = w[i];
                double li = 0;
                switch (kind) {
                case LOSS_SQUARED:
                    g[i] = (float)(wi * (f[0] - y[i]));
                    h[i] = (float)wi;
                    li = want_loss ? row_loss(kind, f, K, y[i], delta) : 0;
                    break;
                case LOSS_HUBER:
                    g[i] = (float)(wi * fmin(fmax(f[0] - y[i], -delta), delta));
                    h[i] = (float)wi;
                    li = want_loss ? row_loss(kind, f, K, y[i], delta) : 0;
                    break;
                case LOSS_LOGISTIC: {  // sigmoid and log(1 + e^z) from one exp(-|z|)
                    const double z = f[0], ez = exp(-fabs(z)), p = z >= 0 ? 1 / (1 + ez) : ez / (1 + ez);
                    g[i] = (float)(wi * (p - y[i]));
                    h[i] = (float)(wi * fmax(p * (1 - p), 1e-16));
                    // log, not log1p: 1 + ez is in (1, 2], so the error is ~1e-16 absolute,
                    // and this loss only feeds the progress hook (log1p was 7% of a fit).
                    li = want_loss ? fmax(z, 0) + log(1 + ez) - y[i] * z : 0;
                    break;
                }
                default: {
                    double mx = f[0], sm = 0;
                    for (int k = 1; k < K; k++)
                        mx = fmax(mx, f[k]);
                    for (int k = 0; k < K; k++)
                        sm += exp(f[k] - mx);
                    for (int k = 0; k < K; k++) {
                        double p = exp(f[k] - mx) / sm;
                        g[k * n + i] = (float)(wi * (p - ((int)y[i] == k)));
                        h[k * n + i] = (float)(wi * fmax(p * (1 - p), 1e-16));
                    }
                    li = want_loss ? mx + log(sm) - f[(int)y[i]] : 0;
                }
                }
                ls += wi * li;
                ws += wi;
            }
            part[2 * (blk - b0)] = ls;
            part[2 * (blk - b0) + 1] = ws;
        }
        for (int64_t blk = b0; blk < b1; blk++) {
            s += part[2 * (blk - b0)];
            sw += part[2 * (blk - b0) + 1];
        }
    }
    return !want_loss ? NAN : sw > 0 ? s / sw : 0;
}

/* Weighted mean loss of rows at scores F, summed as in gradients(). */
static double mean_loss(int kind, const double *F, const float *y, const float *w, int64_t n,
                        int K, double delta)
{
    const int64_t nb = (n + LOSS_BLOCK - 1) / LOSS_BLOCK;
    double part[2 * 64], s = 0, sw = 0;  // (block, {loss, weight}) for up to 64 blocks at a time
    for (int64_t b0 = 0; b0 < nb; b0 += 64) {
        const int64_t b1 = b0 + 64 < nb ? b0 + 64 : nb;
#pragma omp parallel for schedule(static) if (n > 20000)
        for (int64_t b = b0; b < b1; b++) {
            double ls = 0, ws = 0;
            const int64_t e = (b + 1) * LOSS_BLOCK < n ? (b + 1) * LOSS_BLOCK : n;
            for (int64_t i = b * LOSS_BLOCK; i < e; i++) {
                ls += w[i] * row_loss(kind, F + i * K, K, y[i], delta);
                ws += w[i];
            }
            part[2 * (b - b0)] = ls;
            part[2 * (b - b0) + 1] = ws;
        }
        for (int64_t b = b0; b < b1; b++) {
            s += part[2 * (b - b0)];
            sw += part[2 * (b - b0) + 1];
        }
    }
    return sw > 0 ? s / sw : 0;
}

/* Validation rows: a random validation_fraction of each class (regression:
 * of all rows). flag[i] = 1 for held-out rows. Returns their count. */
static int64_t holdout(const float *y, int64_t n, int nclass, double frac, lt_rng *rng,
                       int64_t *perm, uint8_t *flag)
{
    memset(flag, 0, (size_t)n);
    int64_t nval = 0;
    for (int c = 0; c < (nclass > 0 ? nclass : 1); c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (nclass == 0 || (int)y[i] == c)
                perm[m++] = i;
        lt_rng_shuffle(rng, perm, m);
        int64_t take = (int64_t)(frac * (double)m + 0.5);
        if (take >= m)
            take = m - 1;
        for (int64_t i = 0; i < take; i++)
            flag[perm[i]] = 1;
        nval += take > 0 ? take : 0;
    }
    return nval;
}

/* Initial raw scores from the weighted targets, rounded to float so a
 * loaded model predicts exactly as the fitted one. */
static void base_score(int kind, const float *y, const float *w, int64_t n, int K, double *base)
{
    double sw = 0, *acc = base;
    for (int k = 0; k < K; k++)
        acc[k] = 0;
    for (int64_t i = 0; i < n; i++) {
        sw += w[i];
        if (kind == LOSS_SOFTMAX)
            acc[(int)y[i]] += w[i];
        else
            acc[0] += w[i] * y[i];
    }
    for (int k = 0; k < K; k++) {
        double v = sw > 0 ? acc[k] / sw : 0;
        if (kind == LOSS_LOGISTIC) {
            v = fmin(fmax(v, 1e-12), 1 - 1e-12);
            v = log(v / (1 - v));
        } else if (kind == LOSS_SOFTMAX) {
            v = log(fmax(v, 1e-12));
        }
        base[k] = (float)v;
    }
}

typedef struct fit_buf {
    int64_t *perm, *fit_rows, *val_rows;
    tg_row *rows, *tree_rows;  /* this round's rows, and the copy tg_grow reorders */
    uint8_t *flag, *bins;
    float *y, *w, *yv, *wv, *g, *h, *Xc;
    double *F, *Fv;
    int *feats;
    tg_work *work;
    tb_bins edges;
} fit_buf;

static void fit_buf_free(fit_buf *b)
{
    free(b->perm), free(b->rows), free(b->fit_rows), free(b->val_rows), free(b->tree_rows);
    free(b->flag), free(b->bins), free(b->y), free(b->w), free(b->yv), free(b->wv);
    free(b->g), free(b->h), free(b->F), free(b->Fv), free(b->feats), free(b->Xc);
    tg_work_free(b->work);
    tb_free(&b->edges);
}

static int gbdt_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                    const float *w)
{
    gbdt *m = (gbdt *)mm;
    const int K = gbdt_nout(mm), kind = loss_kind(m);
    const int nclass = mm->task == LT_TASK_CLASSIFICATION ? mm->nclass : 0;
    if (tg_rows_fit("gbdt", n))
        return LT_ELIMIT;
    fit_buf b = {0};
    int rc = LT_OK;
    lt_forest_clear(&m->f);
    lt_rng rng;
    lt_rng_seed(&rng, mm->seed);
    float *sw = lt_malloc(sizeof(float) * (size_t)n);
    b.perm = lt_malloc(sizeof(int64_t) * (size_t)n);
    b.flag = lt_calloc((size_t)n, 1);
    if (!sw || !b.perm || !b.flag) {
        rc = LT_ENOMEM;
        goto out;
    }
    if ((rc = lt_tree_weights(y, w, n, nclass, m->class_weight == 1, sw)))
        goto out;
    int64_t nval = 0;
    if (m->validation_fraction > 0)
        nval = holdout(y, n, nclass, m->validation_fraction, &rng, b.perm, b.flag);
    const int64_t nfit = n - nval;
    b.fit_rows = lt_malloc(sizeof(int64_t) * (size_t)nfit);
    b.val_rows = lt_malloc(sizeof(int64_t) * (size_t)(nval ? nval : 1));
    b.rows = lt_malloc(sizeof(tg_row) * (size_t)nfit);
    b.tree_rows = lt_malloc(sizeof(tg_row) * (size_t)nfit);
    b.bins = lt_malloc((size_t)(nfit * d));
    b.y = lt_malloc(sizeof(float) * (size_t)nfit);
    b.w = lt_malloc(sizeof(float) * (size_t)nfit);
    b.yv = lt_malloc(sizeof(float) * (size_t)(nval ? nval : 1));
    b.wv = lt_malloc(sizeof(float) * (size_t)(nval ? nval : 1));
    b.g = lt_malloc(sizeof(float) * (size_t)(nfit * K));
    b.h = lt_malloc(sizeof(float) * (size_t)(nfit * K));
    b.F = lt_malloc(sizeof(double) * (size_t)(nfit * K));
    b.Fv = lt_malloc(sizeof(double) * (size_t)((nval ? nval : 1) * K));
    b.feats = lt_malloc(sizeof(int) * (size_t)d);
    b.work = tg_work_new(d, 1);
    if (!b.fit_rows || !b.val_rows || !b.rows || !b.tree_rows || !b.bins || !b.y || !b.w ||
        !b.yv || !b.wv || !b.g || !b.h || !b.F || !b.Fv || !b.feats || !b.work) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (int64_t i = 0, a = 0, v = 0; i < n; i++) {
        if (b.flag[i]) {
            b.val_rows[v] = i, b.yv[v] = y[i], b.wv[v++] = sw[i];
        } else {
            b.fit_rows[a] = i, b.y[a] = y[i], b.w[a++] = sw[i];
        }
    }
    if ((rc = tb_fit(&b.edges, X, d, b.fit_rows, nfit, m->max_bins)))
        goto out;
    tb_apply(&b.edges, X, b.fit_rows, nfit, b.bins);
    if (m->refine && !(b.Xc = lt_tree_columns(X, d, b.fit_rows, nfit))) {
        rc = LT_ENOMEM;
        goto out;
    }
    if ((rc = lt_forest_init(&m->f, d, 1, K)))
        goto out;
    base_score(kind, b.y, b.w, nfit, K, m->f.base);
    for (int64_t i = 0; i < nfit; i++)
        for (int k = 0; k < K; k++)
            b.F[i * K + k] = m->f.base[k];
    for (int64_t i = 0; i < nval; i++)
        for (int k = 0; k < K; k++)
            b.Fv[i * K + k] = m->f.base[k];

    const tg_params tp = {m->max_depth, m->grow == 1 ? m->max_leaves : 0, m->grow == 1, m->lambda,
                          m->min_child_weight, m->min_samples_leaf, 0, 1, m->refine};
    tg_input in = {b.bins, nfit, d, &b.edges, 1, NULL, NULL, NULL, b.Xc};
    int nf = (int)fmax(1, floor(m->colsample * (double)d + 0.5));
    if (nf > d)
        nf = (int)d;
    m->best_loss = INFINITY;
    m->best_round = 0;
    int since_best = 0, round;
    gradients(kind, b.F, b.y, b.w, nfit, K, m->huber_delta, 0, b.g, b.h);
    for (round = 0; round < m->n_estimators; round++) {
        // Rows (Bernoulli, in order) and features (a sorted random subset) of this round.
        int64_t nr = 0;
        for (int64_t i = 0; i < nfit; i++)
            if (m->subsample >= 1 || lt_rng_uniform(&rng) < m->subsample)
                b.rows[nr++] = (tg_row)i;
        for (int j = 0; j < d; j++)
            b.feats[j] = j;
        if (nf < d) {
            for (int j = 0; j < nf; j++) {
                int r = j + (int)lt_rng_below(&rng, (uint64_t)(d - j)), t = b.feats[r];
                b.feats[r] = b.feats[j], b.feats[j] = t;
            }
            for (int j = 1; j < nf; j++)  // insertion sort: features in column order
                for (int q = j; q > 0 && b.feats[q - 1] > b.feats[q]; q--) {
                    int t = b.feats[q];
                    b.feats[q] = b.feats[q - 1], b.feats[q - 1] = t;
                }
        }
        if (nr == 0)
            b.rows[nr++] = (tg_row)lt_rng_below(&rng, (uint64_t)nfit);
        for (int k = 0; k < K; k++) {
            memcpy(b.tree_rows, b.rows, sizeof(tg_row) * (size_t)nr);
            in.g = b.g + (int64_t)k * nfit;
            in.h = b.h + (int64_t)k * nfit;
            if ((rc = tg_grow(b.work, &in, &tp, b.tree_rows, nr, b.feats, nf, &rng)))
                goto out;
            const tg_node *nd = tg_nodes(b.work);
            if ((rc = lt_forest_add(&m->f, nd, tg_values(b.work), tg_nnodes(b.work),
                                    m->learning_rate, NULL)))
                goto out;
            const int64_t t = m->f.ntrees - 1, s = m->f.start[t];
            const float *val = m->f.value;
            if (nr == nfit) {
                // Every row went through the tree: each leaf's rows are a range of tree_rows
                // (XGBoost's prediction cache); no walk, and serial: no barrier per tree.
                for (int64_t q = 0; q < tg_nnodes(b.work); q++) {
                    if (nd[q].feat >= 0)
                        continue;
                    int64_t lb, le;
                    tg_node_rows(b.work, q, &lb, &le);
                    const double v = val[s + q];
                    for (int64_t p = lb; p < le; p++)
                        b.F[b.tree_rows[p] * K + k] += v;
                }
            } else {
#pragma omp parallel for schedule(static) if (nfit > 20000)
                for (int64_t i = 0; i < nfit; i++)
                    b.F[i * K + k] += val[lt_forest_leaf(&m->f, t, X + b.fit_rows[i] * d)];
            }
            for (int64_t i = 0; i < nval; i++)
                b.Fv[i * K + k] += val[lt_forest_leaf(&m->f, t, X + b.val_rows[i] * d)];
        }
        double loss = NAN;
        if (nval > 0) {
            loss = mean_loss(kind, b.Fv, b.yv, b.wv, nval, K, m->huber_delta);
            if (round == 0 || loss < m->best_loss - 1e-9 * fmax(1.0, fabs(m->best_loss))) {
                m->best_loss = loss;
                m->best_round = round;
                since_best = 0;
            } else if (++since_best >= m->early_stopping_rounds) {
                round++;
                break;
            }
        }
        // The next round's gradients at the scores after this round; the training loss at
        // the same scores (for the progress hook) comes out of the same pass.
        const int want = nval == 0 && mm->progress;
        if (round + 1 < m->n_estimators || want) {
            double tl = gradients(kind, b.F, b.y, b.w, nfit, K, m->huber_delta, want, b.g, b.h);
            if (want)
                loss = tl;
        }
        if (mm->progress)
            mm->progress(mm->progress_user, round + 1, m->n_estimators, loss);
    }
    m->rounds = round;
    if (nval > 0)
        lt_forest_truncate(&m->f, (int64_t)(m->best_round + 1) * K);
    else
        m->best_round = round - 1;
out:
    if (rc)
        lt_forest_clear(&m->f);
    free(sw);
    fit_buf_free(&b);
    return rc;
}

/* raw (n, K) in double; NULL on allocation failure. */
static double *raw_scores(const gbdt *m, const float *X, int64_t n)
{
    double *raw = lt_malloc(sizeof(double) * (size_t)n * (size_t)m->f.nout);
    if (raw)
        lt_forest_raw(&m->f, X, n, raw);
    return raw;
}

/* Class decisions (pred) and probabilities (proba), either may be NULL,
 * from raw scores (n, K). */
static void from_raw(const lt_model *mm, const double *raw, int64_t n, int K, float *pred,
                     float *proba)
{
    for (int64_t i = 0; i < n; i++) {
        const double *z = raw + i * K;
        if (mm->task != LT_TASK_CLASSIFICATION) {
            if (pred)
                pred[i] = (float)z[0];
            continue;
        }
        if (K == 1) {
            if (pred)
                pred[i] = z[0] > 0 ? 1.0f : 0.0f;
            if (proba) {
                const double p = sigmoid(z[0]);
                proba[2 * i] = (float)(1 - p);
                proba[2 * i + 1] = (float)p;
            }
            continue;
        }
        int best = 0;
        double mx = z[0], s = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > z[best])
                best = k;
        mx = z[best];
        if (pred)
            pred[i] = (float)best;
        if (!proba)
            continue;
        for (int k = 0; k < K; k++)
            s += exp(z[k] - mx);
        for (int k = 0; k < K; k++)
            proba[i * K + k] = (float)(exp(z[k] - mx) / s);
    }
}

/* One pass over the trees for both outputs (the pipeline's evaluation
 * asks for both: two passes were half of its predict time). */
static int gbdt_predict_both(const lt_model *mm, const float *X, int64_t n, float *pred,
                             float *proba)
{
    const gbdt *m = (const gbdt *)mm;
    if (proba && mm->task != LT_TASK_CLASSIFICATION)
        return lt_error(LT_EUNSUPPORTED, "gbdt: predict_proba needs a classifier");
    double *raw = raw_scores(m, X, n);
    if (!raw)
        return LT_ENOMEM;
    from_raw(mm, raw, n, m->f.nout, pred, proba);
    free(raw);
    return LT_OK;
}

static int gbdt_predict_proba(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return gbdt_predict_both(mm, X, n, NULL, out);
}

static int gbdt_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return gbdt_predict_both(mm, X, n, out, NULL);
}

static int gbdt_save(const lt_model *mm, lt_state *st) { return lt_forest_save(&((const gbdt *)mm)->f, st); }

static int gbdt_load(lt_model *mm, const lt_state *st)
{
    gbdt *m = (gbdt *)mm;
    lt_forest f;
    int rc = lt_forest_load(&f, st, mm->nfeat, 1, gbdt_nout(mm));
    if (rc)
        return rc;
    if (f.ntrees % f.nout) {
        lt_forest_clear(&f);
        return lt_error(LT_ECORRUPT, "gbdt: %lld trees is not a multiple of %d outputs",
                        (long long)f.ntrees, f.nout);
    }
    lt_forest_clear(&m->f);
    m->f = f;
    m->rounds = (int)(f.ntrees / f.nout);
    m->best_round = m->rounds - 1;
    m->best_loss = NAN;
    return LT_OK;
}

static char *gbdt_describe(const lt_model *mm)
{
    const gbdt *m = (const gbdt *)mm;
    char buf[256], loss[32] = "null";
    if (isfinite(m->best_loss))
        snprintf(loss, sizeof loss, "%.9g", m->best_loss);
    snprintf(buf, sizeof buf,
             "{\"trees\":%lld,\"nodes\":%lld,\"rounds_run\":%d,\"rounds_kept\":%d,"
             "\"validation_loss\":%s}",
             (long long)m->f.ntrees, (long long)m->f.nnodes, m->rounds, m->best_round + 1, loss);
    return lt_strdup(buf);
}

static int gbdt_importance(const lt_model *mm, double *out)
{
    lt_forest_importance(&((const gbdt *)mm)->f, out);
    return LT_OK;
}

static int gbdt_contributions(const lt_model *mm, const float *X, int64_t n, float *out)
{
    return lt_forest_shap(&((const gbdt *)mm)->f, X, n, out);
}

const lt_model_vtable lt_gbdt_vtable = {
    .name = "gbdt",
    .summary = "histogram gradient-boosted trees (squared/huber, logistic, softmax), NaN-aware",
    .supports_regression = 1,
    .supports_classification = 1,
    .unsupervised_task = 0,
    .size = sizeof(gbdt),
    .params = gbdt_params,
    .nparams = (int)(sizeof gbdt_params / sizeof gbdt_params[0]),
    .fit = gbdt_fit,
    .predict = gbdt_predict,
    .predict_proba = gbdt_predict_proba,
    .predict_both = gbdt_predict_both,
    .save = gbdt_save,
    .load = gbdt_load,
    .describe = gbdt_describe,
    .destroy = gbdt_destroy,
    .handles_missing = 1,
    .importance = gbdt_importance,
    .contributions = gbdt_contributions,
};
