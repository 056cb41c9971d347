/* Quantile binning for the histogram trees: each feature's numbers go to at
 * most max_bins bins, NaN to its own bin (TB_MISSING). Few distinct values:
 * one bin each, edges at the midpoints (as scikit-learn). Many: edges at
 * max_bins quantiles of the (sub)sample, duplicates merged. */
#include "tree_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TB_SAMPLE 200000  /* rows used to place the edges, as scikit-learn's subsample */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Sort s[0..m) (no NaN) ascending: LSD radix, 3 passes of 11 bits over
 * order-preserving keys (sign bit flipped for positives, all bits for
 * negatives). qsort's comparator call per comparison was 7% of a boosting
 * fit on 200k rows. Falls back to qsort when the key buffers (2m) are not
 * available. */
static void sort_floats(float *s, int64_t m)
{
    uint32_t *k = m > 0 ? lt_malloc(sizeof(uint32_t) * 2 * (size_t)m) : NULL, *t = k + m;
    if (!k) {
        qsort(s, (size_t)m, sizeof(float), cmp_float);
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        uint32_t u;
        memcpy(&u, &s[i], 4);
        k[i] = u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
    }
    for (int shift = 0; shift < 33; shift += 11) {
        int64_t cnt[2048] = {0};
        for (int64_t i = 0; i < m; i++)
            cnt[(k[i] >> shift) & 2047]++;
        for (int64_t j = 0, acc = 0; j < 2048; j++) {
            int64_t c = cnt[j];
            cnt[j] = acc;
            acc += c;
        }
        for (int64_t i = 0; i < m; i++)
            t[cnt[(k[i] >> shift) & 2047]++] = k[i];
        uint32_t *x = k;
        k = t, t = x;
    }
    // After three passes (an odd number) k is the second half of the allocation.
    for (int64_t i = 0; i < m; i++) {
        uint32_t u = k[i] ^ ((k[i] >> 31) ? 0x80000000u : 0xFFFFFFFFu);
        memcpy(&s[i], &u, 4);
    }
    free(k < t ? k : t);
}

/* An edge e with a <= e < b, so a goes left and b right of "v <= e". */
float tb_edge_between(float a, float b)
{
    float e = (float)(0.5 * ((double)a + (double)b));
    return e >= b ? a : e;
}

/* Edges of one feature from its sorted non-NaN values s[0..m). */
static int feature_edges(const float *s, int64_t m, int max_bins, float *edges, uint8_t *cut)
{
    int64_t distinct = 0;
    for (int64_t i = 0; i < m && distinct <= max_bins; i++)
        distinct += i == 0 || s[i] != s[i - 1];
    int nb = 0;
    *cut = distinct > max_bins;
    if (distinct <= max_bins) {
        for (int64_t i = 1; i < m; i++)
            if (s[i] != s[i - 1])
                edges[nb++] = tb_edge_between(s[i - 1], s[i]);
    } else {
        for (int k = 1; k < max_bins; k++) {
            int64_t pos = (int64_t)((double)k * (double)m / max_bins);
            if (pos < 1)
                pos = 1;
            float e = tb_edge_between(s[pos - 1], s[pos]);
            if (nb == 0 || e > edges[nb - 1])
                edges[nb++] = e;
        }
    }
    edges[nb++] = INFINITY;  // the last bin takes everything above
    return nb;
}

int tb_fit(tb_bins *b, const float *X, int64_t d, const int64_t *rows, int64_t n, int max_bins)
{
    memset(b, 0, sizeof *b);
    if (max_bins < 2 || max_bins > TB_MAX_BINS)
        return lt_error(LT_EINVAL, "max_bins must be in [2, %d] (got %d)", TB_MAX_BINS, max_bins);
    b->d = d;
    b->nbins = lt_calloc((size_t)d, sizeof(int));
    b->edges = lt_malloc(sizeof(float) * (size_t)d * TB_STRIDE);
    b->cut = lt_calloc((size_t)d, 1);
    // Deterministic stride subsample for the edges: no RNG, same for any thread count.
    int64_t step = n > TB_SAMPLE ? (n + TB_SAMPLE - 1) / TB_SAMPLE : 1, cap = (n + step - 1) / step;
    float *buf = lt_malloc(sizeof(float) * (size_t)(cap ? cap : 1) * (size_t)d);
    if (!b->nbins || !b->edges || !b->cut || !buf) {
        free(buf);
        tb_free(b);
        return LT_ENOMEM;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t j = 0; j < d; j++) {
        float *s = buf + j * cap;
        int64_t m = 0;
        for (int64_t i = 0; i < n; i += step) {
            float v = X[(rows ? rows[i] : i) * d + j];
            if (!isnan(v))
                s[m++] = v;
        }
        sort_floats(s, m);
        b->nbins[j] = feature_edges(s, m, max_bins, b->edges + j * TB_STRIDE, &b->cut[j]);
        b->cut[j] |= step > 1;  // values outside the sample may share a bin
    }
    free(buf);
    return LT_OK;
}

/* First b with v <= e[b]; e[nb - 1] = +inf bounds the search. */
static inline int bin_of(const float *e, int nb, float v)
{
    int lo = 0, hi = nb - 1;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (v <= e[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A feature's guide for bin lookups: its finite edges' range [lo, lo + TB_CELLS / scale)
 * cut into TB_CELLS equal cells, and per cell the number of edges in earlier cells.
 * (The binary search's 8 unpredictable steps per value made binning 200k rows of 8
 * features take 27 ms on 2 threads, 5% of a boosting fit; guided: 4 ms.)
 * The cell of a value is monotone in the value, so an edge in an earlier cell is
 * below every value of this cell: the bin is at least start[cell], and a forward
 * scan over the few edges inside the cell finds it exactly. */
#define TB_CELLS 4096
typedef struct bin_guide {
    float lo, scale;  /* scale 0: no guide (few bins), binary search */
    uint8_t *start;   /* (TB_CELLS) */
} bin_guide;

static inline int cell_of(const bin_guide *g, float v)
{
    const float t = (v - g->lo) * g->scale;
    return t <= 0 ? 0 : t >= TB_CELLS - 1 ? TB_CELLS - 1 : (int)t;
}

/* Guide g (zeroed: no guide) for the nb edges e, its table in start (TB_CELLS). */
static void guide_init(bin_guide *g, const float *e, int nb, uint8_t *start)
{
    g->start = start;
    const float lo = e[0], hi = e[nb - 2 > 0 ? nb - 2 : 0];
    const float scale = (float)TB_CELLS / (hi - lo);
    if (nb <= 16 || !(hi > lo) || !isfinite(scale))
        return;
    g->lo = lo, g->scale = scale;
    int cnt[TB_CELLS + 1] = {0}, most = 0;
    for (int k = 0; k < nb - 1; k++) {  // finite edges (the last is +inf)
        const int c = cell_of(g, e[k]) + 1;
        most = ++cnt[c] > most ? cnt[c] : most;
    }
    if (most > 16) {  // edges crowded into a few cells: the scans would be long
        g->scale = 0;
        return;
    }
    for (int c = 0, acc = 0; c < TB_CELLS; c++) {
        acc += cnt[c];
        start[c] = (uint8_t)acc;
    }
}

static inline int bin_guided(const bin_guide *g, const float *e, int nb, float v)
{
    if (g->scale == 0)
        return bin_of(e, nb, v);
    int k = g->start[cell_of(g, v)];
    while (v > e[k])  // stops at the +inf edge at the latest
        k++;
    return k;
}

void tb_apply(const tb_bins *b, const float *X, const int64_t *rows, int64_t n, uint8_t *out)
{
    const int64_t d = b->d;
    // Guides cost 4 KB per feature: up to 4096 features (16 MB), then (or without the
    // memory, which is no error: plain malloc) binary search.
    bin_guide *g = d <= 4096 ? calloc((size_t)d, sizeof *g) : NULL;  // scale 0: no guide
    uint8_t *starts = g ? malloc((size_t)TB_CELLS * (size_t)d) : NULL;
    if (!starts) {
        free(g);
        g = NULL;
    }
    for (int64_t j = 0; g && j < d; j++)
        guide_init(&g[j], b->edges + j * TB_STRIDE, b->nbins[j], starts + j * TB_CELLS);
    // Row-major in and out: both read and written once in order.
#pragma omp parallel for schedule(static) if (n * d > 100000)
    for (int64_t i = 0; i < n; i++) {
        const float *x = X + (rows ? rows[i] : i) * d;
        for (int64_t j = 0; j < d; j++) {
            const float v = x[j], *e = b->edges + j * TB_STRIDE;
            out[i * d + j] = isnan(v) ? TB_MISSING
                             : g     ? (uint8_t)bin_guided(&g[j], e, b->nbins[j], v)
                                     : (uint8_t)bin_of(e, b->nbins[j], v);
        }
    }
    free(g);
    free(starts);
}

float *lt_tree_columns(const float *X, int64_t d, const int64_t *rows, int64_t n)
{
    float *Xc = lt_malloc(sizeof(float) * (size_t)(n * d) + 1);
    if (!Xc)
        return NULL;
    // In tiles of rows: a tile of X stays in cache while each column takes its part (a pass
    // over all of X per column read a cache line per value).
    enum { TILE = 512 };
#pragma omp parallel for schedule(static) if (n * d > 100000)
    for (int64_t i0 = 0; i0 < n; i0 += TILE) {
        const int64_t i1 = i0 + TILE < n ? i0 + TILE : n;
        for (int64_t j = 0; j < d; j++)
            for (int64_t i = i0; i < i1; i++)
                Xc[j * n + i] = X[(rows ? rows[i] : i) * d + j];
    }
    return Xc;
}

void tb_free(tb_bins *b)
{
    if (!b)
        return;
    free(b->nbins);
    free(b->edges);
    free(b->cut);
    b->nbins = NULL;
    b->edges = NULL;
    b->cut = NULL;
}

int lt_tree_weights(const float *y, const float *w, int64_t n, int nclass, int balanced,
                    float *w_out)
{
    double *count = NULL;
    if (balanced && nclass > 0) {
        count = lt_calloc((size_t)nclass, sizeof(double));
        if (!count)
            return LT_ENOMEM;
        for (int64_t i = 0; i < n; i++)
            count[(int)y[i]] += 1;  // unweighted counts, as scikit-learn's compute_class_weight
    }
    int present = 0;
    for (int c = 0; count && c < nclass; c++)
        present += count[c] > 0;
    for (int64_t i = 0; i < n; i++) {
        double v = w ? w[i] : 1.0;
        if (count)
            v *= (double)n / ((double)present * count[(int)y[i]]);
        w_out[i] = (float)v;
    }
    free(count);
    return LT_OK;
}
