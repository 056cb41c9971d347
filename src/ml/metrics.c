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
    return lt_class_metrics_at(y, proba, n, k, NAN, out);
}

double lt_f1_best_threshold(const int32_t *y, const double *score, int64_t n, double *f1)
{
    int64_t npos = 0;
    scored *v = sorted_pairs(y, score, n, 1, &npos);
    // f[i]: F1 of the cut after row i (the first i + 1 predicted positive),
    // 2 tp / (2 tp + fp + fn) = 2 tp / (i + 1 + npos); NaN where row i + 1
    // has the same score (no cut there).
    double *f = v ? malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)) : NULL;
    if (f1)
        *f1 = NAN;
    if (!f || npos == 0 || n < 1) {
        free(v);
        free(f);
        return NAN;
    }
    double best = -1;
    int64_t tp = 0, nbest = 0, mid = 0;
    for (int64_t i = 0; i < n; i++) {
        tp += v[i].pos;
        int cut = i + 1 == n || v[i + 1].s != v[i].s;
        f[i] = cut ? 2.0 * (double)tp / (double)(i + 1 + npos) : NAN;
        best = cut && f[i] > best ? f[i] : best;
    }
    for (int64_t i = 0; i < n; i++)
        nbest += f[i] > best - 1e-12;
    for (int64_t i = 0, k = 0; i < n; i++)  // the middle of the best cuts
        if (f[i] > best - 1e-12 && k++ == (nbest - 1) / 2) {
            mid = i;
            break;
        }
    double hi = v[mid].s, lo = mid + 1 < n ? v[mid + 1].s : hi - 1e-6;
    free(v);
    free(f);
    if (f1)
        *f1 = best;
    return 0.5 * (hi + lo);
}

int lt_class_metrics_at(const int32_t *y, const float *proba, int64_t n, int k, double threshold,
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
        pred[i] = k == 2 && !isnan(threshold) ? proba[i * 2 + 1] >= threshold : best;
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

/* ---- clustering ------------------------------------------------------------ */

#define SIL_BLOCK 256

double lt_silhouette(const float *X, int64_t n, int64_t d, const int32_t *labels,
                     int64_t sample, uint64_t seed)
{
    if (!X || !labels || n < 2 || d < 1)
        return NAN;
    const int64_t s = sample > 0 && sample < n ? sample : n;
    int32_t kmax = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0)
            return NAN;
        kmax = labels[i] > kmax ? labels[i] : kmax;
    }
    const int64_t k = (int64_t)kmax + 1;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)n);
    double *Xs = malloc(sizeof(double) * (size_t)(s * d));
    double *nrm = malloc(sizeof(double) * (size_t)s);
    double *cnt = calloc((size_t)k, sizeof(double));
    double *sil = malloc(sizeof(double) * (size_t)s);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)s);
    double result = NAN;
    int fail = 0;
    if (!idx || !Xs || !nrm || !cnt || !sil || !lab)
        goto out;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    if (s < n) {
        lt_rng rng;
        lt_rng_seed(&rng, seed);
        for (int64_t j = 0; j < s; j++) {
            int64_t r = j + (int64_t)lt_rng_below(&rng, (uint64_t)(n - j)), t = idx[j];
            idx[j] = idx[r];
            idx[r] = t;
        }
    }
    for (int64_t j = 0; j < s; j++) {
        double q = 0;
        for (int64_t f = 0; f < d; f++) {
            double v = X[idx[j] * d + f];
            Xs[j * d + f] = v;
            q += v * v;
        }
        nrm[j] = q;
        lab[j] = labels[idx[j]];
        cnt[lab[j]] += 1;
    }
    int present = 0;
    for (int64_t c = 0; c < k; c++)
        present += cnt[c] > 0;
    if (present < 2 || present > s - 1)
        goto out;
    // Per block of rows: G (b, s) = Xb Xs^T through BLAS, then the distance
    // sqrt(|x|^2 + |y|^2 - 2 x.y) summed per cluster of the column.
    const int64_t nb = (s + SIL_BLOCK - 1) / SIL_BLOCK;
    lt_blas_serial_begin();
#pragma omp parallel
    {
        double *G = malloc(sizeof(double) * (size_t)(SIL_BLOCK * s));
        double *acc = malloc(sizeof(double) * (size_t)k);
        if (!G || !acc) {
#pragma omp atomic write
            fail = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < nb; b++) {
            if (!G || !acc)
                continue;
            const int64_t i0 = b * SIL_BLOCK, m = s - i0 < SIL_BLOCK ? s - i0 : SIL_BLOCK;
            lt_dgemm(0, 1, m, s, d, 1.0, Xs + i0 * d, d, Xs, d, 0.0, G, s);
            for (int64_t r = 0; r < m; r++) {
                const int64_t i = i0 + r;
                const double *g = G + r * s;
                memset(acc, 0, sizeof(double) * (size_t)k);
                for (int64_t j = 0; j < s; j++) {
                    double q = nrm[i] + nrm[j] - 2 * g[j];
                    acc[lab[j]] += j == i || q <= 0 ? 0.0 : sqrt(q);
                }
                const int32_t own = lab[i];
                if (cnt[own] < 2) {
                    sil[i] = 0;
                    continue;
                }
                double a = acc[own] / (cnt[own] - 1), bmin = INFINITY;
                for (int64_t c = 0; c < k; c++)
                    if (c != own && cnt[c] > 0)
                        bmin = fmin(bmin, acc[c] / cnt[c]);
                double den = fmax(a, bmin);
                sil[i] = den > 0 ? (bmin - a) / den : 0.0;
            }
        }
        free(G);
        free(acc);
    }
    lt_blas_serial_end();
    if (!fail) {
        double sum = 0;
        for (int64_t j = 0; j < s; j++)
            sum += sil[j];
        result = sum / (double)s;
    }
out:
    free(idx), free(Xs), free(nrm), free(cnt), free(sil), free(lab);
    return result;
}

static int cmp_pair(const void *x, const void *y)
{
    const int32_t *a = x, *b = y;
    if (a[0] != b[0])
        return (a[0] > b[0]) - (a[0] < b[0]);
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static int cmp_i32(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* Sum over the groups of equal keys (sorted) of C(size, 2). */
static double comb2_runs(const int32_t *v, int64_t n, int stride, int both)
{
    double s = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && v[j * stride] == v[i * stride] &&
               (!both || v[j * stride + 1] == v[i * stride + 1]))
            j++;
        double c = (double)(j - i);
        s += c * (c - 1) / 2;
        i = j;
    }
    return s;
}

double lt_adjusted_rand_index(const int32_t *a, const int32_t *b, int64_t n)
{
    if (n <= 1)
        return 1.0;
    int32_t *p = malloc(sizeof(int32_t) * 2 * (size_t)n);
    int32_t *q = malloc(sizeof(int32_t) * (size_t)n);
    if (!p || !q) {
        free(p);
        free(q);
        return NAN;
    }
    // Pairs (a, b) sorted: runs are the contingency cells; a and b sorted
    // alone give the row and column sums.
    for (int64_t i = 0; i < n; i++) {
        p[2 * i] = a[i];
        p[2 * i + 1] = b[i];
    }
    qsort(p, (size_t)n, 2 * sizeof(int32_t), cmp_pair);
    double index = comb2_runs(p, n, 2, 1), sa = comb2_runs(p, n, 2, 0);
    memcpy(q, b, sizeof(int32_t) * (size_t)n);
    qsort(q, (size_t)n, sizeof(int32_t), cmp_i32);
    double sb = comb2_runs(q, n, 1, 0);
    free(p);
    free(q);
    double total = (double)n * (double)(n - 1) / 2;
    double expected = sa * sb / total, max = 0.5 * (sa + sb);
    if (max == expected)  // both partitions trivial and equal
        return 1.0;
    return (index - expected) / (max - expected);
}
