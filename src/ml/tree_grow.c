/* Histogram tree growth shared by gbdt and rf.
 *
 * A node owns a contiguous range of the row list. Its histogram holds, per
 * feature and bin, S = C + 2 doubles: the C gradient sums, the hessian sum
 * and the row count (with multiplicity). Only the smaller child's histogram
 * is built from rows; the larger one is parent - smaller, computed in the
 * parent's buffer, which it takes over. Splits are "bin <= b" with missing
 * values (bin TB_MISSING) sent to the side that gains more; when a node saw
 * no missing values they go with the larger child.
 *
 * Gain of a split: 0.5 * (score(L) + score(R) - score(P)) with
 * score = sum_c G_c^2 / (H + lambda): XGBoost's gain for boosting (C = 1),
 * and for the random forest (g = -onehot or -y, h = 1, lambda = 0) the
 * decrease of the weighted Gini impurity or squared error.
 *
 * Depth-wise growth works through a stack (depth-first), so only about
 * max_depth histograms are alive; leaf-wise growth expands the open leaf
 * with the largest gain until max_leaves. Memory grows by doubling, never
 * per node. The histogram loop runs in parallel over features, each
 * feature summed in row order by one thread: the same tree for any thread
 * count. */
#include "tree_impl.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct cand {  /* growth state of a node, beside its tg_node */
    int64_t b, e;      /* rows[b..e) */
    int slot;          /* histogram slot or -1 */
    int bf, bbin, bdl; /* best split: local feature, bin, missing-left */
    double bgain;
} cand;

struct tg_work {
    int64_t d;
    int C, S;
    int64_t hsize;          /* doubles per histogram: d * TB_STRIDE * S */
    double *hist;           /* (slot_cap, hsize) */
    int slot_cap, nfree, *freelist;
    int64_t ncap, nnodes;
    tg_node *node;
    cand *cd;
    double *sum;            /* (ncap, S) node sums */
    double *bleft;          /* (ncap, S) left sums of the best split */
    double *val;            /* (ncap, C) */
    int *open, nopen;
    int64_t *scratch, scratch_cap;
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
    if (!w->fperm) {
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
    free(w->freelist);
    free(w->node);
    free(w->cd);
    free(w->sum);
    free(w->bleft);
    free(w->val);
    free(w->open);
    free(w->scratch);
    free(w->fperm);
    free(w);
}

int64_t tg_nnodes(const tg_work *w) { return w->nnodes; }
const tg_node *tg_nodes(const tg_work *w) { return w->node; }
const double *tg_values(const tg_work *w) { return w->val; }

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

/* Histogram of rows[b..e) over the features feats[0..nf) into slot:
 * hist[(lf * TB_STRIDE + bin) * S + c]. The hot loop: one pass over the
 * node's rows per feature, rows ascending so g/h/bins are read forward. */
static void build_hist(tg_work *w, const tg_input *in, const int64_t *rows, int64_t b, int64_t e,
                       const int *feats, int nf, int slot)
{
    const int S = w->S, C = w->C;
    const int64_t n = in->n;
    double *H = w->hist + (int64_t)slot * w->hsize;
    const float *g = in->g, *h = in->h, *cnt = in->cnt;
    int par = (e - b) * nf > 30000 && !omp_in_parallel();
#pragma omp parallel for schedule(static, 1) if (par)
    for (int lf = 0; lf < nf; lf++) {
        double *hf = H + (int64_t)lf * TB_STRIDE * S;
        memset(hf, 0, sizeof(double) * TB_STRIDE * (size_t)S);
        const uint8_t *col = in->bins + (int64_t)feats[lf] * n;
        if (C == 1 && !cnt) {
            for (int64_t p = b; p < e; p++) {
                int64_t r = rows[p];
                double *hb = hf + col[r] * 3;
                hb[0] += g[r];
                hb[1] += h[r];
                hb[2] += 1.0;
            }
        } else {
            for (int64_t p = b; p < e; p++) {
                int64_t r = rows[p];
                double *hb = hf + col[r] * S;
                double m = cnt ? cnt[r] : 1.0;
                for (int c = 0; c < C; c++)
                    hb[c] += m * g[c * n + r];
                hb[C] += m * h[r];
                hb[C + 1] += m;
            }
        }
    }
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

/* Best split of node k from its histogram, over all nf features or a
 * random subset of p->mtry of them. Sets cd[k].bgain (0 = no split). */
static void find_best(tg_work *w, const tg_input *in, const tg_params *p, int64_t k,
                      const int *feats, int nf, lt_rng *rng)
{
    const int C = w->C, S = w->S;
    const double *tot = w->sum + k * S, *H = w->hist + (int64_t)w->cd[k].slot * w->hsize;
    double *best_left = w->bleft + k * S;
    const double lam = p->lambda, parent = score(tot, C, lam);
    // Splits must beat rounding noise: a pure node scores ~0 in exact arithmetic.
    const double min_gain = 1e-10 * (fabs(parent) + 1e-300);
    double best = 0, L[64], R[64];
    int bf = -1, bbin = 0, bdl = 0;
    int ntry = p->mtry > 0 && p->mtry < nf ? p->mtry : nf;
    for (int f = 0; f < nf; f++)
        w->fperm[f] = f;
    for (int t = 0; t < ntry; t++) {
        int lf = w->fperm[t];
        if (ntry < nf) {  // partial Fisher-Yates: a fresh subset per split
            int j = t + (int)lt_rng_below(rng, (uint64_t)(nf - t));
            lf = w->fperm[j];
            w->fperm[j] = w->fperm[t];
            w->fperm[t] = lf;
        }
        const int nb = in->edges->nbins[feats[lf]];
        const double *hf = H + (int64_t)lf * TB_STRIDE * S, *miss = hf + TB_MISSING * S;
        const int has_miss = miss[C + 1] > 0;
        double acc[64];
        for (int c = 0; c < S; c++)
            acc[c] = 0;
        for (int bin = 0; bin < nb - 1; bin++) {
            const double *hb = hf + bin * S;
            for (int c = 0; c < S; c++)
                acc[c] += hb[c];
            for (int dl = 0; dl <= has_miss; dl++) {
                for (int c = 0; c < S; c++) {
                    L[c] = acc[c] + (dl ? miss[c] : 0);
                    R[c] = tot[c] - L[c];
                }
                if (L[C + 1] < p->min_samples_leaf || R[C + 1] < p->min_samples_leaf ||
                    L[C] < p->min_child_weight || R[C] < p->min_child_weight)
                    continue;
                double gain = 0.5 * (score(L, C, lam) + score(R, C, lam) - parent);
                if (gain > best && gain > min_gain) {
                    best = gain;
                    bf = lf, bbin = bin, bdl = dl;
                    memcpy(best_left, L, sizeof(double) * (size_t)S);
                }
            }
        }
    }
    cand *cd = &w->cd[k];
    cd->bgain = bf >= 0 ? best : 0;
    cd->bf = bf, cd->bbin = bbin, cd->bdl = bdl;
    if (bf >= 0 && H[((int64_t)bf * TB_STRIDE + TB_MISSING) * S + C + 1] == 0)
        cd->bdl = best_left[C + 1] >= tot[C + 1] - best_left[C + 1];  // unseen NaN: larger side
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

/* Stable partition of rows[b..e): left rows first, both sides ascending. */
static int64_t partition(tg_work *w, const tg_input *in, int64_t *rows, int64_t b, int64_t e,
                         int gf, int bin, int dl)
{
    const uint8_t *col = in->bins + (int64_t)gf * in->n;
    int64_t nl = b, nr = 0;
    for (int64_t p = b; p < e; p++) {
        int64_t r = rows[p];
        int v = col[r];
        if (v == TB_MISSING ? dl : v <= bin)
            rows[nl++] = r;
        else
            w->scratch[nr++] = r;
    }
    memcpy(rows + nl, w->scratch, sizeof(int64_t) * (size_t)nr);
    return nl;
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

int tg_grow(tg_work *w, const tg_input *in, const tg_params *p, int64_t *rows, int64_t nrows,
            const int *feats, int nf, lt_rng *rng)
{
    const int C = w->C, S = w->S;
    if (in->C != C || C > 62 || nf > w->d)
        return lt_error(LT_EINVAL, "tree growth: %d channels / %d features do not fit the work",
                        in->C, nf);
    if (nrows > w->scratch_cap) {
        int64_t *s = realloc(w->scratch, sizeof(int64_t) * (size_t)nrows);
        if (!s)
            return lt_error(LT_ENOMEM, "tree growth: out of memory for %lld rows", (long long)nrows);
        w->scratch = s;
        w->scratch_cap = nrows;
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
    w->cd[0] = (cand){0, nrows, slot_alloc(w), -1, 0, 0, 0};
    if (w->cd[0].slot < 0)
        return LT_ENOMEM;
    build_hist(w, in, rows, 0, nrows, feats, nf, w->cd[0].slot);
    {  // root sums: all bins of the first feature
        double *s = w->sum, *h0 = w->hist + (int64_t)w->cd[0].slot * w->hsize;
        memset(s, 0, sizeof(double) * (size_t)S);
        for (int bin = 0; bin < TB_STRIDE; bin++)
            for (int c = 0; c < S; c++)
                s[c] += h0[bin * S + c];
        w->node[0].cover = s[C + 1];
    }
    if (can_split(w, p, 0))
        find_best(w, in, p, 0, feats, nf, rng);
    else
        w->cd[0].bgain = 0;
    push_open(w, 0);
    int64_t nleaves = 1;
    while (w->nopen > 0) {
        if (p->leafwise && p->max_leaves > 0 && nleaves >= p->max_leaves)
            break;
        int64_t k = pop_open(w, p->leafwise);
        cand cd = w->cd[k];
        if (cd.bf < 0 || !(cd.bgain > 0)) {
            make_leaf(w, p, k);
            continue;
        }
        if ((rc = grow_nodes(w, w->nnodes + 2)))
            return rc;
        const int gf = feats[cd.bf];
        int64_t mid = partition(w, in, rows, cd.b, cd.e, gf, cd.bbin, cd.bdl);
        int64_t l = w->nnodes, r = l + 1;
        w->nnodes += 2;
        nleaves++;
        tg_node *nd = &w->node[k];
        nd->feat = gf, nd->bin = cd.bbin, nd->dl = cd.bdl, nd->left = (int32_t)l,
        nd->right = (int32_t)r, nd->gain = cd.bgain;
        nd->thr = in->edges->edges[(int64_t)gf * TB_STRIDE + cd.bbin];
        const double *ps = w->sum + k * S, *bl = w->bleft + k * S;
        for (int c = 0; c < S; c++) {
            w->sum[l * S + c] = bl[c];
            w->sum[r * S + c] = ps[c] - bl[c];
        }
        w->cd[l] = (cand){cd.b, mid, -1, -1, 0, 0, 0};
        w->cd[r] = (cand){mid, cd.e, -1, -1, 0, 0, 0};
        for (int64_t c = l; c <= r; c++) {
            w->node[c] = (tg_node){0};
            w->node[c].depth = w->node[k].depth + 1;
            w->node[c].cover = w->sum[c * S + C + 1];
            w->node[c].feat = -1;
        }
        set_value(w, p, k);
        int split_l = can_split(w, p, l), split_r = can_split(w, p, r);
        if (split_l || split_r) {
            // Smaller child from rows, larger = parent - smaller in the parent's slot.
            int64_t small = (mid - cd.b) <= (cd.e - mid) ? l : r, large = small == l ? r : l;
            int s = slot_alloc(w);
            if (s < 0)
                return LT_ENOMEM;
            build_hist(w, in, rows, w->cd[small].b, w->cd[small].e, feats, nf, s);
            double *hp = w->hist + (int64_t)cd.slot * w->hsize, *hs = w->hist + (int64_t)s * w->hsize;
            const int64_t len = (int64_t)nf * TB_STRIDE * S;
            for (int64_t i = 0; i < len; i++)
                hp[i] -= hs[i];
            w->cd[small].slot = s;
            w->cd[large].slot = cd.slot;
        } else {
            slot_free(w, cd.slot);
        }
        // Depth-wise: push right first so the left subtree is expanded first.
        for (int64_t c = r; c >= l; c--) {
            if (c == l ? split_l : split_r) {
                find_best(w, in, p, c, feats, nf, rng);
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
