/* Evaluation metrics with scikit-learn's definitions, accumulated in double:
 * roc_auc_score (ties as mid-ranks, i.e. the trapezoid rule), average
 * precision (step interpolation over distinct thresholds), log_loss
 * (clip to [1e-15, 1 - 1e-15], then renormalise rows), precision/recall/F1
 * (0 when undefined) and r2_score (1 or 0 when y is constant). */
#include "lathe/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double lt_accuracy(const int32_t *y, const int32_t *pred, int64_t n)
{
    if (n <= 0)
        return NAN;
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++)
        ok += y[i] == pred[i];
    return (double)ok / (double)n;
}

static double safe_div(double a, double b) { return b > 0 ? a / b : 0.0; }

void lt_prf_binary(const int32_t *y, const int32_t *pred, int64_t n, int32_t pos,
                   double *precision, double *recall, double *f1)
{
    int64_t tp = 0, fp = 0, fn = 0;
    for (int64_t i = 0; i < n; i++) {
        int t = y[i] == pos, p = pred[i] == pos;
        tp += t && p;
        fp += !t && p;
        fn += t && !p;
    }
    double pr = safe_div((double)tp, (double)(tp + fp));
    double re = safe_div((double)tp, (double)(tp + fn));
    if (precision)
        *precision = pr;
    if (recall)
        *recall = re;
    if (f1)
        *f1 = pr + re > 0 ? 2 * pr * re / (pr + re) : 0.0;
}

/* Like sklearn's average='macro' with labels=None: the mean runs over the
 * classes 0..k-1 that occur in y or pred (all k when every class occurs). */
void lt_prf_macro(const int32_t *y, const int32_t *pred, int64_t n, int k, double *precision,
                  double *recall, double *f1)
{
    double sp = 0, sr = 0, sf = 0;
    int used = 0;
    for (int c = 0; c < k; c++) {
        int seen = 0;
        for (int64_t i = 0; i < n && !seen; i++)
            seen = y[i] == c || pred[i] == c;
        if (!seen)
            continue;
        double p, r, f;
        lt_prf_binary(y, pred, n, c, &p, &r, &f);
        sp += p, sr += r, sf += f;
        used++;
    }
    double inv = used ? 1.0 / used : 0.0;
    if (precision)
        *precision = sp * inv;
    if (recall)
        *recall = sr * inv;
    if (f1)
        *f1 = sf * inv;
}

typedef struct scored { double s; int pos; } scored;

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* (score, is-positive) pairs sorted by score, descending; NULL on no memory.
 * `cls` is the positive label. */
static scored *sorted_pairs(const int32_t *y, const double *score, int64_t n, int32_t cls,
                            int64_t *npos)
{
    scored *v = malloc(sizeof(scored) * (size_t)(n > 0 ? n : 1));
    if (!v)
        return NULL;
    *npos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i].s = score[i];
        v[i].pos = y[i] == cls;
        *npos += v[i].pos;
    }
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    return v;
}

/* Mann-Whitney U with mid-ranks for ties == area under the ROC curve by the
 * trapezoid rule, which is what sklearn computes. */
static double auc_of(const int32_t *y, const double *score, int64_t n, int32_t cls)
{
    int64_t npos;
    scored *v = sorted_pairs(y, score, n, cls, &npos);
    if (!v)
        return NAN;
    int64_t nneg = n - npos;
    if (npos == 0 || nneg == 0) {
        free(v);
        return NAN;
    }
    // Walk groups of tied scores from the top: each positive in a group beats
    // every negative below it and half-beats the negatives it ties with.
    double wins = 0;
    int64_t neg_below = nneg;
    for (int64_t i = 0; i < n;) {
        int64_t j = i, gp = 0, gn = 0;
        while (j < n && v[j].s == v[i].s) {
            gp += v[j].pos;
            gn += !v[j].pos;
            j++;
        }
        neg_below -= gn;
        wins += (double)gp * ((double)neg_below + 0.5 * (double)gn);
        i = j;
    }
    free(v);
    return wins / ((double)npos * (double)nneg);
}

double lt_roc_auc(const int32_t *y, const double *score, int64_t n)
{
    return auc_of(y, score, n, 1);
}

/* AP = sum_t (R_t - R_{t-1}) P_t over distinct thresholds, descending. */
static double ap_of(const int32_t *y, const double *score, int64_t n, int32_t cls)
{
    int64_t npos;
    scored *v = sorted_pairs(y, score, n, cls, &npos);
    if (!v)
        return NAN;
    if (npos == 0) {
        free(v);
        return NAN;
    }
    double ap = 0, prev_recall = 0;
    int64_t tp = 0, seen = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j].s == v[i].s) {
            tp += v[j].pos;
            j++;
        }
        seen = j;
        double recall = (double)tp / (double)npos, prec = (double)tp / (double)seen;
        ap += (recall - prev_recall) * prec;
        prev_recall = recall;
        i = j;
    }
    free(v);
    return ap;
}

double lt_pr_auc(const int32_t *y, const double *score, int64_t n)
{
    return ap_of(y, score, n, 1);
}

double lt_log_loss(const int32_t *y, const float *proba, int64_t n, int k)
{
    if (n <= 0 || k < 1)
        return NAN;
    const double eps = 1e-15;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= k)
            return NAN;
        double rs = 0, py = 0;
        for (int c = 0; c < k; c++) {
            double p = fmin(fmax((double)proba[i * k + c], eps), 1 - eps);
            rs += p;
            if (c == y[i])
                py = p;
        }
        sum -= log(py / rs);
    }
    return sum / (double)n;
}

void lt_confusion(const int32_t *y, const int32_t *pred, int64_t n, int k, int64_t *cm)
{
    memset(cm, 0, sizeof(int64_t) * (size_t)k * (size_t)k);
    for (int64_t i = 0; i < n; i++)
        if (y[i] >= 0 && y[i] < k && pred[i] >= 0 && pred[i] < k)
            cm[(int64_t)y[i] * k + pred[i]]++;
}

double lt_rmse(const double *y, const double *pred, int64_t n)
{
    if (n <= 0)
        return NAN;
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (y[i] - pred[i]) * (y[i] - pred[i]);
    return sqrt(s / (double)n);
}

double lt_mae(const double *y, const double *pred, int64_t n)
{
    if (n <= 0)
        return NAN;
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += fabs(y[i] - pred[i]);
    return s / (double)n;
}

double lt_r2(const double *y, const double *pred, int64_t n)
{
    if (n <= 0)
        return NAN;
    double mean = 0;
    for (int64_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    double ss_res = 0, ss_tot = 0;
    for (int64_t i = 0; i < n; i++) {
        ss_res += (y[i] - pred[i]) * (y[i] - pred[i]);
        ss_tot += (y[i] - mean) * (y[i] - mean);
    }
    if (ss_tot == 0)  // sklearn's force_finite: perfect -> 1, else 0
        return ss_res == 0 ? 1.0 : 0.0;
    return 1 - ss_res / ss_tot;
}

int lt_class_metrics_compute(const int32_t *y, const float *proba, int64_t n, int k,
                             lt_class_metrics *out)
{
    if (!y || !proba || !out)
        return lt_error(LT_EINVAL, "class metrics: NULL argument");
    if (n < 1 || k < 2)
        return lt_error(LT_EINVAL, "class metrics: need n >= 1 and k >= 2 (got n = %lld, k = %d)",
                        (long long)n, k);
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= k)
            return lt_error(LT_EINVAL, "class metrics: y[%lld] = %d is not in 0..%d",
                            (long long)i, y[i], k - 1);
        for (int c = 0; c < k; c++)
            if (!isfinite(proba[i * k + c]))
                return lt_error(LT_EINVAL,
                                "class metrics: proba[%lld][%d] is not finite", (long long)i, c);
    }
    // pred: (n) argmax of each row; score: (n) one column of proba.
    int32_t *pred = malloc(sizeof(int32_t) * (size_t)n);
    double *score = malloc(sizeof(double) * (size_t)n);
    if (!pred || !score) {
        free(pred);
        free(score);
        return lt_error(LT_ENOMEM, "class metrics: out of memory for %lld rows", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < k; c++)
            if (proba[i * k + c] > proba[i * k + best])
                best = c;
        pred[i] = best;
    }
    memset(out, 0, sizeof *out);
    out->accuracy = lt_accuracy(y, pred, n);
    lt_prf_macro(y, pred, n, k, NULL, NULL, &out->f1_macro);
    out->log_loss = lt_log_loss(y, proba, n, k);
    if (k == 2) {
        lt_prf_binary(y, pred, n, 1, &out->precision, &out->recall, &out->f1);
        for (int64_t i = 0; i < n; i++)
            score[i] = proba[i * 2 + 1];
        out->roc_auc = auc_of(y, score, n, 1);
        out->pr_auc = ap_of(y, score, n, 1);
    } else {
        lt_prf_macro(y, pred, n, k, &out->precision, &out->recall, &out->f1);
        // One-vs-rest macro averages over the classes whose AUC is defined.
        double sa = 0, sp = 0;
        int na = 0, np = 0;
        for (int c = 0; c < k; c++) {
            for (int64_t i = 0; i < n; i++)
                score[i] = proba[i * k + c];
            double a = auc_of(y, score, n, c), p = ap_of(y, score, n, c);
            if (!isnan(a))
                sa += a, na++;
            if (!isnan(p))
                sp += p, np++;
        }
        out->roc_auc = na ? sa / na : NAN;
        out->pr_auc = np ? sp / np : NAN;
    }
    free(pred);
    free(score);
    return LT_OK;
}

int lt_reg_metrics_compute(const double *y, const double *pred, int64_t n, lt_reg_metrics *out)
{
    if (!y || !pred || !out)
        return lt_error(LT_EINVAL, "regression metrics: NULL argument");
    if (n < 1)
        return lt_error(LT_EINVAL, "regression metrics: need n >= 1 (got %lld)", (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(y[i]) || !isfinite(pred[i]))
            return lt_error(LT_EINVAL, "regression metrics: row %lld is not finite", (long long)i);
    out->rmse = lt_rmse(y, pred, n);
    out->mae = lt_mae(y, pred, n);
    out->r2 = lt_r2(y, pred, n);
    return LT_OK;
}
