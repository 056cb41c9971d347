/* Histogram tree growth shared by gbdt and rf.
 *
 * A node owns a contiguous range of the row list (ascending within it). Per
 * row, gv (n, S) holds the statistics the histograms sum, gathered once per
 * tree: the C gradients, the hessian and the multiplicity, all times the
 * multiplicity, so the hot loop reads one S-float record per row instead
 * of C + 2 scattered arrays; only for S <= 4 (boosting, rf with two
 * classes or regression): with many classes the per-thread copy would be
 * large, and those rows are read from g, h, cnt directly (row_stats).
 * (Ordering gv with the rows, LightGBM's way,
 * cost more in partition copies than it saved here.) A node's histogram holds, per feature and bin, S = C + 2 doubles: sums of
 * those. Only the smaller child's histogram is built from rows; the larger
 * one is parent - smaller, computed in the parent's buffer, which it takes
 * over. Only the bins a feature uses (nbins plus the missing bin) are
 * cleared, summed or subtracted. Nodes of fewer than TG_SMALL rows have no
 * histogram: their splits come from sorting the rows' bins (a deep random
 * forest has many such nodes, and clearing 256 bins for 5 rows dominated).
 * Splits are "bin <= b" with missing values (bin TB_MISSING) sent to the
 * side that gains more; when a node saw no missing values they go with the
 * larger child.
 *
 * Gain of a split: 0.5 * (score(L) + score(R) - score(P)) with
 * score = sum_c G_c^2 / (H + lambda): XGBoost's gain for boosting (C = 1),
 * and for the random forest (g = -onehot or -y, h = 1, lambda = 0) the
 * decrease of the weighted Gini impurity or squared error.
 *
 * Depth-wise growth works through a stack (depth-first), so only about
 * max_depth histograms are alive; leaf-wise growth expands the open leaf
 * with the largest gain until max_leaves. Memory grows by doubling, never
 * per node. Threads (par_rows): a node of at least 2 * TG_BLOCK rows is cut
 * into blocks whose number depends only on its row count; each block is
 * summed in row order into its own buffer and the buffers are added in
 * block order, so the tree is the same for any thread count. Smaller nodes
 * are built serially: one parallel region per small node cost more in
 * barrier waits (35% of the samples) than the histogram itself, and on a
 * loaded machine every barrier can cost a scheduler time slice. */
#include "tree_impl.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define TG_BLOCK 16384    /* rows per histogram / partition block, at least */
#define TG_MAX_BLOCKS 32  /* blocks per node, at most */
#define TG_ALONE (2 * TG_BLOCK)  /* a node this big is split alone, its rows in blocks */
#define TG_PART_BYTES (32LL << 20)  /* memory for block partial histograms, at most (else 1 partial) */
#define TG_AHEAD 16       /* rows ahead to prefetch in the histogram loop */
#define TG_SMALL 48       /* nodes with fewer rows find splits by sorting (< 256: keys hold the index) */

typedef struct cand {  /* growth state of a node, beside its tg_node */
    int64_t b, e;      /* rows[b..e) */
    int slot;          /* histogram slot or -1 (small node or leaf) */
    int bf, bbin, bdl; /* best split: local feature, bin, missing-left */
    double bgain;
    int refined;       /* 1: the split is "raw value <= thr" inside bins bbin..bbin+1 */
    float thr;
} cand;

typedef struct row_value {  /* a row and its raw value of the feature being refined */
    float v;
    tg_row r;
} row_value;

struct tg_work {
    int64_t d;
    int C, S;
    int64_t hsize;          /* doubles per histogram: d * TB_STRIDE * S */
    double *hist;           /* (slot_cap, hsize) */
    int slot_cap, nfree, *freelist;
    double *part;           /* (part_cap, hsize) row-block partial histograms */
    int part_cap;
    int64_t ncap, nnodes;
    tg_node *node;
    cand *cd;
    double *sum;            /* (ncap, S) node sums */
    double *bleft;          /* (ncap, S) left sums of the best split */
    double *val;            /* (ncap, C) */
    int *open, nopen;
    tg_row *scratch;            /* (2, row_cap) partition scratch */
    int64_t row_cap;
    row_value *rv;          /* (2, row_cap) refinement scratch, when refining */
    float *gv;              /* (n_cap, S) row statistics by row id; NULL for S > 4 */
    int64_t n_cap;
    int nf, *fcol, *nbu;    /* (d) this tree's features: column, numeric bins used */
    int *fperm;             /* (d) feature subset draws */
};

tg_work *tg_work_new(int64_t d, int C)
{
    tg_work *w = lt_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->d = d;
    w->C = C;
    w->S = C + 2;
    w->hsize = d * TB_STRIDE * w->S;
    w->fperm = lt_malloc(sizeof(int) * (size_t)d);
    w->fcol = lt_malloc(sizeof(int) * (size_t)d);
    w->nbu = lt_malloc(sizeof(int) * (size_t)d);
    if (!w->fperm || !w->fcol || !w->nbu) {
        tg_work_free(w);
        return NULL;
    }
    return w;
}

void tg_work_free(tg_work *w)
{
    if (!w)
        return;
    free(w->hist);
    free(w->part);
    free(w->freelist);
    free(w->node);
    free(w->cd);
    free(w->sum);
    free(w->bleft);
    free(w->val);
    free(w->open);
    free(w->scratch);
    free(w->rv);
    free(w->gv);
    free(w->fperm);
    free(w->fcol);
    free(w->nbu);
    free(w);
}

int64_t tg_nnodes(const tg_work *w) { return w->nnodes; }
const tg_node *tg_nodes(const tg_work *w) { return w->node; }
const double *tg_values(const tg_work *w) { return w->val; }

void tg_node_rows(const tg_work *w, int64_t k, int64_t *b, int64_t *e)
{
    *b = w->cd[k].b;
    *e = w->cd[k].e;
}

static int grow_nodes(tg_work *w, int64_t need)
{
    if (need <= w->ncap)
        return LT_OK;
    int64_t cap = w->ncap ? w->ncap : 64;
    while (cap < need)
        cap *= 2;
    tg_node *nd = realloc(w->node, sizeof(tg_node) * (size_t)cap);
    if (nd)
        w->node = nd;
    cand *cd = realloc(w->cd, sizeof(cand) * (size_t)cap);
    if (cd)
        w->cd = cd;
    double *s = realloc(w->sum, sizeof(double) * (size_t)(cap * w->S));
    if (s)
        w->sum = s;
    double *bl = realloc(w->bleft, sizeof(double) * (size_t)(cap * w->S));
    if (bl)
        w->bleft = bl;
    double *v = realloc(w->val, sizeof(double) * (size_t)(cap * w->C));
    if (v)
        w->val = v;
    int *o = realloc(w->open, sizeof(int) * (size_t)cap);
    if (o)
        w->open = o;
    if (!nd || !cd || !s || !bl || !v || !o)
        return lt_error(LT_ENOMEM, "tree growth: out of memory for %lld nodes", (long long)cap);
    w->ncap = cap;
    return LT_OK;
}

static int slot_alloc(tg_work *w)
{
    if (w->nfree > 0)
        return w->freelist[--w->nfree];
    int cap = w->slot_cap ? w->slot_cap * 2 : 8;
    double *h = realloc(w->hist, sizeof(double) * (size_t)cap * (size_t)w->hsize);
    int *fl = realloc(w->freelist, sizeof(int) * (size_t)cap);
    if (h)
        w->hist = h;
    if (fl)
        w->freelist = fl;
    if (!h || !fl) {
        lt_error(LT_ENOMEM, "tree growth: out of memory for %d histograms", cap);
        return -1;
    }
    for (int s = cap - 1; s > w->slot_cap; s--)
        w->freelist[w->nfree++] = s;
    int got = w->slot_cap;
    w->slot_cap = cap;
    return got;
}

static void slot_free(tg_work *w, int s)
{
    if (s >= 0)
        w->freelist[w->nfree++] = s;
}

static double *slot_ptr(const tg_work *w, int s) { return w->hist + (int64_t)s * w->hsize; }

/* Clear the used bins (0..nbu-1 and TB_MISSING) of every feature of H. */
static void hist_clear(const tg_work *w, double *H)
{
    const int S = w->S;
    for (int lf = 0; lf < w->nf; lf++) {
        double *hf = H + (int64_t)lf * TB_STRIDE * S;
        memset(hf, 0, sizeof(double) * (size_t)(w->nbu[lf] * S));
        memset(hf + TB_MISSING * S, 0, sizeof(double) * (size_t)S);
    }
}

/* H += sign * P over the used bins of local feature lf. */
static void hist_axpy(const tg_work *w, int lf, double *H, const double *P, double sign)
{
    const int S = w->S;
    const int64_t o = (int64_t)lf * TB_STRIDE * S, len = (int64_t)w->nbu[lf] * S;
    double *h = H + o;
    const double *q = P + o;
    for (int64_t i = 0; i < len; i++)
        h[i] += sign * q[i];
    for (int c = 0; c < S; c++)
        h[TB_MISSING * S + c] += sign * q[TB_MISSING * S + c];
}

/* The hot loop: rows[b..e) into H, hist[(lf * TB_STRIDE + bin) * S + c] +=
 * gv[r * S + c] for r = rows[p]. Rows are ascending within a node, so the
 * bins (n, d) and gv are read forward one row at a time. The row's
 * S statistics are widened to double once, outside the feature loop; S = 3
 * (boosting, rf regression) and 4 (rf, two classes) are spelled out. Below
 * the root a node's rows are a sparse subset, so each row's bins and
 * statistics are a cache miss the hardware cannot foresee: the loop asks
 * for them TG_AHEAD rows early (a quarter fewer samples in this loop on a
 * 200k-row fit). */
#define HIST_LOOP(S_, ...)                                                  \
    for (int64_t p = b; p < e; p++) {                                        \
        if (p + TG_AHEAD < e) {                                              \
            __builtin_prefetch(in->bins + rows[p + TG_AHEAD] * d);           \
            __builtin_prefetch(gv + rows[p + TG_AHEAD] * (S_));              \
        }                                                                    \
        const uint8_t *br = in->bins + rows[p] * d;                          \
        const float *v = gv + rows[p] * (S_);                                \
        __VA_ARGS__                                                          \
    }

/* Row r's S statistics, from gv or (S > 4) from the inputs. */
static inline void row_stats(const tg_work *w, const tg_input *in, int64_t r, double *v)
{
    const int S = w->S, C = w->C;
    if (w->gv) {
        for (int c = 0; c < S; c++)
            v[c] = w->gv[r * S + c];
        return;
    }
    const double m = in->cnt ? in->cnt[r] : 1.0;
    for (int c = 0; c < C; c++)
        v[c] = m * in->g[(int64_t)c * in->n + r];
    v[C] = m * in->h[r];
    v[C + 1] = m;
}

static void hist_rows(const tg_work *w, const tg_input *in, const tg_row *rows, int64_t b,
                      int64_t e, double *H)
{
    const int nf = w->nf, S = w->S, *fc = w->fcol;
    const int64_t d = in->d;
    const float *gv = w->gv;
    if (S == 3) {
        HIST_LOOP(3, {
            const double v0 = v[0], v1 = v[1], v2 = v[2];
            for (int lf = 0; lf < nf; lf++) {
                double *hb = H + ((int64_t)lf * TB_STRIDE + br[fc[lf]]) * 3;
                hb[0] += v0, hb[1] += v1, hb[2] += v2;
            }
        })
    } else if (S == 4) {
        HIST_LOOP(4, {
            const double v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
            for (int lf = 0; lf < nf; lf++) {
                double *hb = H + ((int64_t)lf * TB_STRIDE + br[fc[lf]]) * 4;
                hb[0] += v0, hb[1] += v1, hb[2] += v2, hb[3] += v3;
            }
        })
    } else {
        double v[64];
        for (int64_t p = b; p < e; p++) {
            const uint8_t *br = in->bins + rows[p] * d;
            row_stats(w, in, rows[p], v);
            for (int lf = 0; lf < nf; lf++) {
                double *hb = H + ((int64_t)lf * TB_STRIDE + br[fc[lf]]) * S;
                for (int c = 0; c < S; c++)
                    hb[c] += v[c];
            }
        }
    }
}
#undef HIST_LOOP

/* Row blocks of a node of m rows (1: serial). The number depends only on
 * m, never on the thread count, and histogram, partition and refinement
 * cut a node the same way. */
static int64_t row_blocks(const tg_params *p, int64_t m)
{
    const int64_t nblk = p->par_rows && m >= TG_ALONE ? m / TG_BLOCK : 1;
    return nblk > TG_MAX_BLOCKS ? TG_MAX_BLOCKS : nblk;
}

/* Block k of rows[b..e) cut in blocks of len: [*kb, *ke). */
static inline void block_range(int64_t b, int64_t e, int64_t len, int64_t k, int64_t *kb,
                               int64_t *ke)
{
    *kb = b + k * len < e ? b + k * len : e;
    *ke = *kb + len < e ? *kb + len : e;
}

/* Histogram of rows[b..e) over the tree's features into slot. */
static int build_hist(tg_work *w, const tg_input *in, const tg_params *p, const tg_row *rows,
                      int64_t b, int64_t e, int slot)
{
    double *H = slot_ptr(w, slot);
    const int64_t m = e - b;
    // Block partials cost (nblk - 1) histograms: at most TG_PART_BYTES (wide data gets fewer
    // blocks; the cap depends on d and S only, never on the thread count).
    int64_t cap = TG_PART_BYTES / ((int64_t)sizeof(double) * w->hsize) + 1;
    cap = cap < 2 ? 2 : cap > TG_MAX_BLOCKS ? TG_MAX_BLOCKS : cap;
    int64_t nblk = row_blocks(p, m);
    if (nblk > cap)
        nblk = cap;
    if (nblk == 1) {
        hist_clear(w, H);
        hist_rows(w, in, rows, b, e, H);
        return LT_OK;
    }
    if (nblk - 1 > w->part_cap) {
        double *q = realloc(w->part, sizeof(double) * (size_t)(cap - 1) * (size_t)w->hsize);
        if (!q)
            return lt_error(LT_ENOMEM, "tree growth: out of memory for block histograms");
        w->part = q;
        w->part_cap = (int)(cap - 1);
    }
    const int64_t len = (m + nblk - 1) / nblk;  // block k: rows[b + k len, b + (k + 1) len)
#pragma omp parallel if (!omp_in_parallel())
    {
#pragma omp for schedule(dynamic, 1)
        for (int64_t k = 0; k < nblk; k++) {
            double *P = k ? w->part + (k - 1) * w->hsize : H;
            int64_t kb = b + k * len, ke = kb + len < e ? kb + len : e;
            hist_clear(w, P);
            hist_rows(w, in, rows, kb < e ? kb : e, ke, P);
        }
        // Fixed order: block 0 (in H) + block 1 + ... whatever thread summed them.
#pragma omp for schedule(static)
        for (int lf = 0; lf < w->nf; lf++)
            for (int64_t k = 1; k < nblk; k++)
                hist_axpy(w, lf, H, w->part + (k - 1) * w->hsize, 1.0);
    }
    return LT_OK;
}

static inline double score(const double *s, int C, double lambda)
{
    double den = s[C] + lambda, v = 0;
    if (!(den > 0))
        return 0;
    for (int c = 0; c < C; c++)
        v += s[c] * s[c];
    return v / den;
}

static int can_split(const tg_work *w, const tg_params *p, int64_t k)
{
    const double *s = w->sum + k * w->S;
    return (p->max_depth == 0 || w->node[k].depth < p->max_depth) && w->cd[k].e - w->cd[k].b >= 2 &&
           s[w->C + 1] >= 2 * p->min_samples_leaf && s[w->C] >= 2 * p->min_child_weight;
}

/* The running best split of one node. */
typedef struct best_split {
    const tg_params *p;
    const double *tot;  /* (S) node sums */
    double parent, min_gain, best, bmiss;
    int C, S, bf, bbin, bdl;
    double *left;       /* (S) left sums of the best */
} best_split;

/* Candidate "bin <= bin" of local feature lf: acc (S) the sums of the rows
 * in bins 0..bin, miss (S) of the missing rows, tried on both sides. */
static inline void try_split(best_split *bs, const double *acc, const double *miss, int lf, int bin)
{
    const int C = bs->C, S = bs->S, has_miss = miss[C + 1] > 0;
    const tg_params *p = bs->p;
    double L[64], R[64];
    for (int dl = 0; dl <= has_miss; dl++) {
        for (int c = 0; c < S; c++) {
            L[c] = acc[c] + (dl ? miss[c] : 0);
            R[c] = bs->tot[c] - L[c];
        }
        if (L[C + 1] < p->min_samples_leaf || R[C + 1] < p->min_samples_leaf ||
            L[C] < p->min_child_weight || R[C] < p->min_child_weight)
            continue;
        double gain = 0.5 * (score(L, C, p->lambda) + score(R, C, p->lambda) - bs->parent);
        if (gain > bs->best && gain > bs->min_gain) {
            bs->best = gain;
            bs->bf = lf, bs->bbin = bin, bs->bdl = dl;
            bs->bmiss = miss[C + 1];
            memcpy(bs->left, L, sizeof(double) * (size_t)S);
        }
    }
}

/* scan_hist for one channel without missing values (boosting's common
 * case): the gain inline, try_split only for a candidate that beats the
 * best, so it keeps the exact same choice and left sums. */
static void scan_hist1(best_split *bs, const double *hf, int nb, int lf)
{
    const tg_params *p = bs->p;
    const double G = bs->tot[0], Hs = bs->tot[1], N = bs->tot[2], lam = p->lambda;
    const double msl = p->min_samples_leaf, mcw = p->min_child_weight;
    double g = 0, h = 0, c = 0;
    for (int bin = 0; bin < nb - 1; bin++) {
        g += hf[bin * 3], h += hf[bin * 3 + 1], c += hf[bin * 3 + 2];
        const double gr = G - g, hr = Hs - h, cr = N - c;
        if (c < msl || cr < msl || h < mcw || hr < mcw)
            continue;
        const double dl = h + lam, dr = hr + lam;
        const double sl = dl > 0 ? g * g / dl : 0, sr = dr > 0 ? gr * gr / dr : 0;
        const double gain = 0.5 * (sl + sr - bs->parent);
        if (gain > bs->best && gain > bs->min_gain) {
            const double acc[3] = {g, h, c}, none[3] = {0, 0, 0};
            try_split(bs, acc, none, lf, bin);
        }
    }
}

/* Feature lf of a node with a histogram: scan its bins in order. */
static void scan_hist(best_split *bs, const tg_work *w, const double *H, int lf)
{
    const int S = w->S, nb = w->nbu[lf];
    const double *hf = H + (int64_t)lf * TB_STRIDE * S, *miss = hf + TB_MISSING * S;
    if (S == 3 && miss[2] == 0) {
        scan_hist1(bs, hf, nb, lf);
        return;
    }
    double acc[64];
    for (int c = 0; c < S; c++)
        acc[c] = 0;
    for (int bin = 0; bin < nb - 1; bin++) {
        const double *hb = hf + bin * S;
        for (int c = 0; c < S; c++)
            acc[c] += hb[c];
        try_split(bs, acc, miss, lf, bin);
    }
}

/* Feature lf of a small node (rows[b..e), e - b < TG_SMALL): sort its rows
 * by bin (keys bin << 8 | index: stable) and try the boundaries between
 * distinct bins, the same candidates as scan_hist without 256 bins. */
static void scan_rows(best_split *bs, const tg_work *w, const tg_input *in, const tg_row *rows,
                      int64_t b, int64_t e, int lf)
{
    const int S = w->S, col = w->fcol[lf];
    uint32_t key[TG_SMALL];
    double acc[64], miss[64];
    int nk = 0;
    for (int c = 0; c < S; c++)
        acc[c] = miss[c] = 0;
    for (int64_t q = b; q < e; q++) {
        int bin = in->bins[rows[q] * in->d + col];
        if (bin == TB_MISSING) {
            double v[64];
            row_stats(w, in, rows[q], v);
            for (int c = 0; c < S; c++)
                miss[c] += v[c];
        } else {
            uint32_t k = (uint32_t)bin << 8 | (uint32_t)(q - b);
            int at = nk++;
            for (; at > 0 && key[at - 1] > k; at--)  // insertion sort: a few dozen keys
                key[at] = key[at - 1];
            key[at] = k;
        }
    }
    for (int j = 0; j < nk; j++) {
        double v[64];
        row_stats(w, in, rows[b + (key[j] & 255)], v);
        for (int c = 0; c < S; c++)
            acc[c] += v[c];
        if (j + 1 < nk && key[j + 1] >> 8 != key[j] >> 8)
            try_split(bs, acc, miss, lf, (int)(key[j] >> 8));
    }
    // All numbers left, missing right: scan_hist finds it at the last used bin below nb - 1.
    if (nk > 0 && (int)(key[nk - 1] >> 8) < w->nbu[lf] - 1)
        try_split(bs, acc, miss, lf, (int)(key[nk - 1] >> 8));
}

/* Best split of node k, over all the tree's features or a random subset of
 * p->mtry of them, from its histogram or its sorted rows. Sets cd[k].bgain
 * (0 = no split). */
static void find_best(tg_work *w, const tg_input *in, const tg_params *p, const tg_row *rows,
                      int64_t k, lt_rng *rng)
{
    const int C = w->C, S = w->S, nf = w->nf;
    cand *cd = &w->cd[k];
    best_split bs = {p, w->sum + k * S, 0, 0, 0, 0, C, S, -1, 0, 0, w->bleft + k * S};
    bs.parent = score(bs.tot, C, p->lambda);
    // Splits must beat rounding noise: a pure node scores ~0 in exact arithmetic.
    bs.min_gain = 1e-10 * (fabs(bs.parent) + 1e-300);
    int ntry = p->mtry > 0 && p->mtry < nf ? p->mtry : nf;
    if (ntry < nf)  // (only then: nodes may look for splits side by side)
        for (int f = 0; f < nf; f++)
            w->fperm[f] = f;
    for (int t = 0; t < ntry; t++) {
        int lf = ntry < nf ? w->fperm[t] : t;
        if (ntry < nf) {  // partial Fisher-Yates: a fresh subset per split
            int j = t + (int)lt_rng_below(rng, (uint64_t)(nf - t));
            lf = w->fperm[j];
            w->fperm[j] = w->fperm[t];
            w->fperm[t] = lf;
        }
        if (cd->slot >= 0)
            scan_hist(&bs, w, slot_ptr(w, cd->slot), lf);
        else
            scan_rows(&bs, w, in, rows, cd->b, cd->e, lf);
    }
    cd->bgain = bs.bf >= 0 ? bs.best : 0;
    cd->bf = bs.bf, cd->bbin = bs.bbin, cd->bdl = bs.bdl;
    if (bs.bf >= 0 && bs.bmiss == 0)  // unseen NaN: larger side
        cd->bdl = bs.left[C + 1] >= bs.tot[C + 1] - bs.left[C + 1];
}

/* Node value -G_c / (H + lambda); internal nodes keep theirs too. */
static void set_value(tg_work *w, const tg_params *p, int64_t k)
{
    const double *s = w->sum + k * w->S;
    double den = s[w->C] + p->lambda;
    for (int c = 0; c < w->C; c++)
        w->val[k * w->C + c] = den > 0 ? -s[c] / den : 0;
}

static void make_leaf(tg_work *w, const tg_params *p, int64_t k)
{
    set_value(w, p, k);
    w->node[k].feat = -1;
    w->node[k].left = w->node[k].right = -1;
    slot_free(w, w->cd[k].slot);
    w->cd[k].slot = -1;
}

/* Whether row r goes left of split (gf, bin, dl), or with raw of
 * "X value <= thr" (a refined split; NaN: dl). */
static inline int goes_left(const tg_input *in, int64_t r, int gf, int bin, int dl, int raw,
                            float thr)
{
    if (raw) {
        const float x = in->Xc[gf * in->n + r];
        return isnan(x) ? dl : x <= thr;
    }
    const int v = in->bins[r * in->d + gf];
    return v == TB_MISSING ? dl : v <= bin;
}

/* The n rows of src into lefts and rights in order; returns the lefts.
 * Every row is written to both sides and only one count advances: no
 * branch to mispredict on a split that cuts rows at random. lefts may be
 * src itself (it never overtakes the reads). */
static int64_t split_run(const tg_input *in, const tg_row *src, int64_t n, tg_row *lefts,
                         tg_row *rights, int gf, int bin, int dl, int raw, float thr)
{
    int64_t nl = 0, nr = 0;
    for (int64_t q = 0; q < n; q++) {
        const int64_t r = src[q];
        const int left = goes_left(in, r, gf, bin, dl, raw, thr);
        lefts[nl] = r;
        rights[nr] = r;
        nl += left;
        nr += !left;
    }
    return nl;
}

/* Stable partition of rows[b..e): left rows first, both sides ascending.
 * A big node (par_rows) is cut into the same blocks as its histogram: each
 * block splits into its own stretch of scratch (lefts in the first half,
 * rights in the second), then the pieces are copied back in block order:
 * the serial result, in parallel (the serial partition was 10% of a fit
 * and the largest part left unparallelised). */
static int64_t partition(tg_work *w, const tg_input *in, const tg_params *p, tg_row *rows,
                         int64_t b, int64_t e, int gf, int bin, int dl, int raw, float thr)
{
    tg_row *sc = w->scratch + b;  // the node's own stretch: nodes may split side by side
    const int64_t nblk = row_blocks(p, e - b);
    if (nblk == 1) {
        int64_t nl = split_run(in, rows + b, e - b, rows + b, sc, gf, bin, dl, raw, thr);
        memcpy(rows + b + nl, sc, sizeof(tg_row) * (size_t)(e - b - nl));
        return b + nl;
    }
    const int64_t len = (e - b + nblk - 1) / nblk;  // block k: rows[b + k len, b + (k + 1) len)
    tg_row *A = sc, *B = sc + w->row_cap;  // (m) lefts, (m) rights, by block
    int64_t nleft[TG_MAX_BLOCKS], total = 0;
#pragma omp parallel if (!omp_in_parallel())
    {
#pragma omp for schedule(static)
        for (int64_t k = 0; k < nblk; k++) {
            int64_t kb, ke;
            block_range(b, e, len, k, &kb, &ke);
            nleft[k] = split_run(in, rows + kb, ke - kb, A + (kb - b), B + (kb - b), gf, bin, dl,
                                 raw, thr);
        }
        // Every thread works out the destinations itself: one barrier fewer than a single.
        int64_t lo[TG_MAX_BLOCKS], ro[TG_MAX_BLOCKS], tl = 0;
        for (int64_t k = 0; k < nblk; k++)
            tl += nleft[k];
        for (int64_t k = 0, at = b, rt = b + tl; k < nblk; k++) {
            int64_t kb, ke;
            block_range(b, e, len, k, &kb, &ke);
            lo[k] = at, ro[k] = rt;
            at += nleft[k];
            rt += ke - kb - nleft[k];
        }
#pragma omp for schedule(static)
        for (int64_t k = 0; k < nblk; k++) {
            int64_t kb, ke;
            block_range(b, e, len, k, &kb, &ke);
            memcpy(rows + lo[k], A + (kb - b), sizeof(tg_row) * (size_t)nleft[k]);
            memcpy(rows + ro[k], B + (kb - b), sizeof(tg_row) * (size_t)(ke - kb - nleft[k]));
        }
#pragma omp master
        total = tl;
    }
    return b + total;
}

/* Order-preserving unsigned key of a float (not NaN). */
static inline uint32_t float_key(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u ^ ((u >> 31) ? 0xFFFFFFFFu : 0x80000000u);
}

/* Sort a[0..n) by value, stably (ties keep their ascending rows): insertion
 * sort for a few, else LSD radix on 11-bit digits through tmp (n): qsort's
 * comparator calls were most of a refinement's cost. */
static void sort_row_values(row_value *a, row_value *tmp, int64_t n)
{
    if (n <= 32) {
        for (int64_t i = 1; i < n; i++) {
            row_value x = a[i];
            int64_t j = i;
            for (; j > 0 && a[j - 1].v > x.v; j--)
                a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    enum { BITS = 11, NB = 1 << BITS };
    row_value *src = a, *dst = tmp;
    for (int shift = 0; shift < 32; shift += BITS) {
        int64_t cnt[NB] = {0};
        for (int64_t i = 0; i < n; i++)
            cnt[(float_key(src[i].v) >> shift) & (NB - 1)]++;
        if (cnt[(float_key(src[0].v) >> shift) & (NB - 1)] == n)
            continue;  // every key has this digit: nothing moves
        for (int64_t b = 0, at = 0; b < NB; b++) {
            int64_t c = cnt[b];
            cnt[b] = at;
            at += c;
        }
        for (int64_t i = 0; i < n; i++)
            dst[cnt[(float_key(src[i].v) >> shift) & (NB - 1)]++] = src[i];
        row_value *t = src;
        src = dst, dst = t;
    }
    if (src != a)
        memcpy(a, src, sizeof(row_value) * (size_t)n);
}

/* Refinement of node k's split "bin <= bbin" on a quantile-binned feature.
 * Quantile bins are wide where data is sparse, which is where a physical
 * limit often sits (AI4I's power failures below 3500 W lie in the sparse
 * tail of the power distribution, and 255-bin edges missed them by tens of
 * watts). The rows of bins bbin and bbin + 1 are sorted by raw value and
 * every threshold between two distinct values is scored with the rest of
 * the node fixed: exact greedy search where it matters, for one pass over
 * the node's rows of one feature. The histogram's own threshold is among
 * the candidates, so the gain never drops. */
static void refine_split(tg_work *w, const tg_input *in, const tg_params *p, const tg_row *rows,
                         int64_t k)
{
    cand *cd = &w->cd[k];
    const int C = w->C, S = w->S, gf = w->fcol[cd->bf], b0 = cd->bbin;
    if (!in->edges->cut[gf])
        return;  // one bin per distinct value: the threshold is already exact
    const int64_t d = in->d;
    const float *xc = in->Xc + gf * in->n;
    row_value *rv = w->rv + cd->b;  // the node's own stretch (and row_cap further for sorting)
    const double *tot = w->sum + k * S;
    double *bl = w->bleft + k * S, base[64], st[64];
    // Gather the rows of bins b0, b0 + 1 (ascending) and sum bin b0's statistics. A big node
    // (par_rows) is cut into the same fixed blocks as its partition, each gathered into its own
    // stretch with its own sums, then packed and added in block order: the serial result's rows,
    // sums that depend on the row count only, and no idle core.
    const int64_t m = cd->e - cd->b;
    const int64_t nblk = S > 4 ? 1 : row_blocks(p, m);  // (S > 4: rf, never par_rows)
    const int64_t len = (m + nblk - 1) / nblk;
    int64_t cnt[TG_MAX_BLOCKS], miss[TG_MAX_BLOCKS];
    double part[TG_MAX_BLOCKS][4];  // per-block sums of bin b0 (S <= 4 when blocked)
    for (int c = 0; c < S; c++)
        base[c] = 0;
#pragma omp parallel for schedule(static) if (nblk > 1 && !omp_in_parallel())
    for (int64_t blk = 0; blk < nblk; blk++) {
        int64_t kb, ke;
        block_range(cd->b, cd->e, len, blk, &kb, &ke);
        row_value *out = rv + (kb - cd->b);
        double *sb = nblk > 1 ? part[blk] : base, sv[64];
        int64_t c2 = 0, nm = 0;
        for (int c = 0; c < S && nblk > 1; c++)
            sb[c] = 0;
        for (int64_t q = kb; q < ke; q++) {
            const int64_t r = rows[q];
            const int v = in->bins[r * d + gf];
            if (v == b0 || v == b0 + 1) {
                out[c2++] = (row_value){xc[r], r};
                if (v == b0) {
                    row_stats(w, in, r, sv);
                    for (int c = 0; c < S; c++)
                        sb[c] += sv[c];
                }
            } else {
                nm += v == TB_MISSING;
            }
        }
        cnt[blk] = c2, miss[blk] = nm;
    }
    int64_t n2 = cnt[0], nmiss = miss[0];
    for (int64_t blk = 1; blk < nblk; blk++) {
        memmove(rv + n2, rv + blk * len, sizeof(row_value) * (size_t)cnt[blk]);
        n2 += cnt[blk], nmiss += miss[blk];
    }
    if (nblk > 1)
        for (int64_t blk = 0; blk < nblk; blk++)
            for (int c = 0; c < S; c++)
                base[c] += part[blk][c];
    for (int c = 0; c < S; c++)
        base[c] = bl[c] - base[c];  // left sums without bin b0: the fixed part of every candidate
    if (n2 < 2)
        return;
    sort_row_values(rv, rv + w->row_cap, n2);
    const double parent = score(tot, C, p->lambda);
    // Only a real improvement moves the threshold, not the rounding of a different sum order.
    double acc[64], L[64], R[64], best = cd->bgain + 1e-9 * fabs(cd->bgain);
    int64_t at = -1;
    for (int c = 0; c < S; c++)
        acc[c] = base[c];
    for (int64_t j = 0; j + 1 < n2; j++) {
        row_stats(w, in, rv[j].r, st);
        for (int c = 0; c < S; c++)
            acc[c] += st[c];
        if (rv[j + 1].v == rv[j].v)
            continue;
        for (int c = 0; c < S; c++)
            R[c] = tot[c] - acc[c];
        if (acc[C + 1] < p->min_samples_leaf || R[C + 1] < p->min_samples_leaf ||
            acc[C] < p->min_child_weight || R[C] < p->min_child_weight)
            continue;
        const double gain = 0.5 * (score(acc, C, p->lambda) + score(R, C, p->lambda) - parent);
        if (gain > best) {
            best = gain;
            at = j;
            memcpy(L, acc, sizeof(double) * (size_t)S);
        }
    }
    if (at < 0)
        return;
    cd->refined = 1;
    cd->thr = tb_edge_between(rv[at].v, rv[at + 1].v);
    cd->bgain = best;
    memcpy(bl, L, sizeof(double) * (size_t)S);
    if (nmiss == 0)  // unseen NaN: larger side, as find_best decides
        cd->bdl = L[C + 1] >= tot[C + 1] - L[C + 1];
}

static void push_open(tg_work *w, int64_t k) { w->open[w->nopen++] = (int)k; }

/* The next node to expand: leaf-wise the largest gain (ties: lowest id),
 * depth-wise the top of the stack. */
static int64_t pop_open(tg_work *w, int leafwise)
{
    int at = w->nopen - 1;
    if (leafwise)
        for (int i = 0; i < w->nopen; i++) {
            const cand *a = &w->cd[w->open[i]], *b = &w->cd[w->open[at]];
            if (a->bgain > b->bgain || (a->bgain == b->bgain && w->open[i] < w->open[at]))
                at = i;
        }
    int64_t k = w->open[at];
    w->open[at] = w->open[--w->nopen];
    return k;
}

/* ---- one split in three steps --------------------------------------------
 * split_rows (refine, partition) and child_hist (the smaller child's
 * histogram) touch only the node's own rows, scratch stretch and slots, so
 * several nodes can run them side by side; split_children numbers the
 * children and hands out histogram slots, serially. */

/* Refine node k's split and partition its rows; returns where the right
 * child's rows start. */
static int64_t split_rows(tg_work *w, const tg_input *in, const tg_params *p, tg_row *rows,
                          int64_t k)
{
    if (p->refine && in->Xc)
        refine_split(w, in, p, rows, k);
    const cand *cd = &w->cd[k];
    return partition(w, in, p, rows, cd->b, cd->e, w->fcol[cd->bf], cd->bbin, cd->bdl, cd->refined,
                     cd->thr);
}

/* Children l = nnodes, r = l + 1 of node k (rows split at mid; nodes
 * already grown): the parent's split fields, the children's rows, sums and
 * depth. *build = the child whose histogram child_hist must build (the
 * smaller; the larger takes the parent's slot), or -1 when neither needs
 * one (the parent's slot is freed). */
static int split_children(tg_work *w, const tg_input *in, const tg_params *p, int64_t k,
                          int64_t mid, int64_t *build)
{
    const int C = w->C, S = w->S;
    const cand cd = w->cd[k];
    const int gf = w->fcol[cd.bf];
    int64_t l = w->nnodes, r = l + 1;
    w->nnodes += 2;
    tg_node *nd = &w->node[k];
    nd->feat = gf, nd->bin = cd.refined ? -1 : cd.bbin, nd->dl = cd.bdl, nd->left = (int32_t)l,
    nd->right = (int32_t)r, nd->gain = cd.bgain;
    nd->thr = cd.refined ? cd.thr : in->edges->edges[(int64_t)gf * TB_STRIDE + cd.bbin];
    const double *ps = w->sum + k * S, *bl = w->bleft + k * S;
    for (int c = 0; c < S; c++) {
        w->sum[l * S + c] = bl[c];
        w->sum[r * S + c] = ps[c] - bl[c];
    }
    w->cd[l] = (cand){cd.b, mid, -1, -1, 0, 0, 0, 0, 0};
    w->cd[r] = (cand){mid, cd.e, -1, -1, 0, 0, 0, 0, 0};
    for (int64_t c = l; c <= r; c++) {
        w->node[c] = (tg_node){0};
        w->node[c].depth = w->node[k].depth + 1;
        w->node[c].cover = w->sum[c * S + C + 1];
        w->node[c].feat = -1;
    }
    set_value(w, p, k);
    const int64_t nsmall = (mid - cd.b) <= (cd.e - mid) ? mid - cd.b : cd.e - mid;
    *build = -1;
    if ((can_split(w, p, l) || can_split(w, p, r)) && cd.slot >= 0 &&
        cd.e - cd.b - nsmall >= TG_SMALL) {
        // Smaller child from rows, larger = parent - smaller in the parent's slot.
        int64_t small = (mid - cd.b) <= (cd.e - mid) ? l : r, large = small == l ? r : l;
        int sl = slot_alloc(w);
        if (sl < 0)
            return LT_ENOMEM;
        w->cd[small].slot = sl;
        w->cd[large].slot = cd.slot;
        *build = small;
    } else {
        slot_free(w, cd.slot);  // both children small (or leaves): splits by sorting
    }
    return LT_OK;
}

/* The histogram of child c from its rows; its sibling's (in the parent's
 * slot) becomes parent - c. Children come in pairs (l odd, r = l + 1). */
static int child_hist(tg_work *w, const tg_input *in, const tg_params *p, const tg_row *rows,
                      int64_t c)
{
    const int64_t sib = c & 1 ? c + 1 : c - 1;
    int rc = build_hist(w, in, p, rows, w->cd[c].b, w->cd[c].e, w->cd[c].slot);
    if (rc)
        return rc;
    double *hp = slot_ptr(w, w->cd[sib].slot);
    const double *hs = slot_ptr(w, w->cd[c].slot);
    for (int lf = 0; lf < w->nf; lf++)
        hist_axpy(w, lf, hp, hs, -1.0);
    return LT_OK;
}

/* 1: node k is split alone (row blocks over the threads), 0: beside others. */
static inline int alone(const tg_work *w, int64_t k) { return w->cd[k].e - w->cd[k].b >= TG_ALONE; }

/* Depth-wise growth level by level for boosting (par_rows): the open list
 * holds one level. Below TG_ALONE rows a node's work is serial, and most of
 * a tree's nodes are that small: one at a time they left the second core
 * idle for half of a 200k-row fit. Every node gets exactly the arithmetic
 * it gets depth-first, so the tree is the same (its nodes numbered by
 * level) for any thread count. */
static int grow_levels(tg_work *w, const tg_input *in, const tg_params *p, tg_row *rows, lt_rng *rng)
{
    int rc = LT_OK;
    while (w->nopen > 0 && !rc) {
        const int nlev = w->nopen;
        int64_t *lev = lt_malloc(sizeof(int64_t) * 3 * (size_t)nlev), *mid = lev + nlev,
                *build = mid + nlev;
        if (!lev)
            return LT_ENOMEM;
        int n = 0;
        for (int i = 0; i < nlev; i++) {  // the open list is the level, in order
            int64_t k = w->open[i];
            if (w->cd[k].bf < 0 || !(w->cd[k].bgain > 0))
                make_leaf(w, p, k);
            else
                lev[n++] = k;
        }
        w->nopen = 0;
        for (int i = 0; i < n; i++)
            if (alone(w, lev[i]))
                mid[i] = split_rows(w, in, p, rows, lev[i]);
#pragma omp parallel for schedule(dynamic, 1) if (n > 1 && !omp_in_parallel())
        for (int i = 0; i < n; i++)
            if (!alone(w, lev[i]))
                mid[i] = split_rows(w, in, p, rows, lev[i]);
        if ((rc = grow_nodes(w, w->nnodes + 2 * (int64_t)n))) {
            free(lev);
            return rc;
        }
        const int64_t first = w->nnodes;  // the children: first .. first + 2n - 1
        for (int i = 0; i < n && !rc; i++)
            rc = split_children(w, in, p, lev[i], mid[i], &build[i]);
        for (int i = 0; i < n && !rc; i++)
            if (build[i] >= 0 && alone(w, build[i]))
                rc = child_hist(w, in, p, rows, build[i]);
#pragma omp parallel for schedule(dynamic, 1) if (n > 1 && !omp_in_parallel())
        for (int i = 0; i < n; i++)
            if (!rc && build[i] >= 0 && !alone(w, build[i]))
                child_hist(w, in, p, rows, build[i]);  // serial build: no allocation, no error
#pragma omp parallel for schedule(dynamic, 4) if (n > 1 && !omp_in_parallel())
        for (int64_t c = first; c < first + 2 * (int64_t)n; c++) {
            if (rc)
                continue;
            if (can_split(w, p, c))
                find_best(w, in, p, rows, c, rng);
            else
                w->cd[c].bf = -1;
        }
        for (int64_t c = first; c < first + 2 * (int64_t)n && !rc; c++) {
            if (w->cd[c].bf >= 0)
                push_open(w, c);
            else
                make_leaf(w, p, c);
        }
        free(lev);
    }
    return rc;
}

int tg_rows_fit(const char *model, int64_t n)
{
    if (n > TG_MAX_ROWS)
        return lt_error(LT_ELIMIT, "%s: at most %d training rows (got %lld)", model, TG_MAX_ROWS,
                        (long long)n);
    return LT_OK;
}

int tg_grow(tg_work *w, const tg_input *in, const tg_params *p, tg_row *rows, int64_t nrows,
            const int *feats, int nf, lt_rng *rng)
{
    const int C = w->C, S = w->S;
    if (in->C != C || C > 62 || nf > w->d)
        return lt_error(LT_EINVAL, "tree growth: %d channels / %d features do not fit the work",
                        in->C, nf);
    if (nrows > w->row_cap) {
        tg_row *sc = realloc(w->scratch, sizeof(tg_row) * 2 * (size_t)nrows);  // (2, nrows)
        if (!sc)
            return lt_error(LT_ENOMEM, "tree growth: out of memory for %lld rows", (long long)nrows);
        w->scratch = sc;
        w->row_cap = nrows;
        free(w->rv);
        w->rv = NULL;
    }
    if (p->refine && in->Xc && !w->rv &&
        !(w->rv = lt_malloc(sizeof(row_value) * 2 * (size_t)w->row_cap)))  // (2, row_cap): sort scratch
        return LT_ENOMEM;
    if (S <= 4 && in->n > w->n_cap) {
        float *g = realloc(w->gv, sizeof(float) * (size_t)(in->n * S));
        if (!g)
            return lt_error(LT_ENOMEM, "tree growth: out of memory for %lld rows", (long long)in->n);
        w->gv = g;
        w->n_cap = in->n;
    }
    w->nf = nf;
    for (int lf = 0; lf < nf; lf++) {
        w->fcol[lf] = feats[lf];
        w->nbu[lf] = in->edges->nbins[feats[lf]];
    }
    if (S <= 4) {  // gv (n, S) for the tree's rows: their statistics times their multiplicity
        const float *g = in->g, *h = in->h, *cnt = in->cnt;
        const int64_t n = in->n;
        float *gv = w->gv;
#pragma omp parallel for schedule(static) if (p->par_rows && nrows > 50000 && !omp_in_parallel())
        for (int64_t q = 0; q < nrows; q++) {
            int64_t r = rows[q];
            double m = cnt ? cnt[r] : 1.0;
            for (int c = 0; c < C; c++)
                gv[r * S + c] = (float)(m * g[c * n + r]);
            gv[r * S + C] = (float)(m * h[r]);
            gv[r * S + C + 1] = (float)m;
        }
    }
    // Histograms of a previous tree are all free again.
    w->nfree = 0;
    for (int s = w->slot_cap - 1; s >= 0; s--)
        w->freelist[w->nfree++] = s;
    w->nopen = 0;
    w->nnodes = 1;
    int rc = grow_nodes(w, 1);
    if (rc)
        return rc;
    memset(&w->node[0], 0, sizeof(tg_node));
    w->cd[0] = (cand){0, nrows, -1, -1, 0, 0, 0, 0, 0};
    double *s = w->sum;
    memset(s, 0, sizeof(double) * (size_t)S);
    if (nrows >= TG_SMALL) {
        if ((w->cd[0].slot = slot_alloc(w)) < 0)
            return LT_ENOMEM;
        if ((rc = build_hist(w, in, p, rows, 0, nrows, w->cd[0].slot)))
            return rc;
        // Root sums: the used bins of the first feature.
        const double *h0 = slot_ptr(w, w->cd[0].slot);
        for (int bin = 0; bin < w->nbu[0]; bin++)
            for (int c = 0; c < S; c++)
                s[c] += h0[bin * S + c];
        for (int c = 0; c < S; c++)
            s[c] += h0[TB_MISSING * S + c];
    } else {
        double v[64];
        for (int64_t q = 0; q < nrows; q++) {
            row_stats(w, in, rows[q], v);
            for (int c = 0; c < S; c++)
                s[c] += v[c];
        }
    }
    w->node[0].cover = s[C + 1];
    if (can_split(w, p, 0))
        find_best(w, in, p, rows, 0, rng);
    else
        w->cd[0].bgain = 0;
    push_open(w, 0);
    if (p->par_rows && !p->leafwise)
        return grow_levels(w, in, p, rows, rng);
    int64_t nleaves = 1;
    while (w->nopen > 0) {
        if (p->leafwise && p->max_leaves > 0 && nleaves >= p->max_leaves)
            break;
        int64_t k = pop_open(w, p->leafwise);
        if (w->cd[k].bf < 0 || !(w->cd[k].bgain > 0)) {
            make_leaf(w, p, k);
            continue;
        }
        if ((rc = grow_nodes(w, w->nnodes + 2)))
            return rc;
        int64_t build, l = w->nnodes;
        if ((rc = split_children(w, in, p, k, split_rows(w, in, p, rows, k), &build)) ||
            (build >= 0 && (rc = child_hist(w, in, p, rows, build))))
            return rc;
        nleaves++;
        // Depth-wise: push right first so the left subtree is expanded first.
        for (int64_t c = l + 1; c >= l; c--) {
            if (can_split(w, p, c)) {
                find_best(w, in, p, rows, c, rng);
                if (w->cd[c].bf >= 0) {
                    push_open(w, c);
                    continue;
                }
            }
            make_leaf(w, p, c);
        }
    }
    while (w->nopen > 0)
        make_leaf(w, p, w->open[--w->nopen]);
    return LT_OK;
}
