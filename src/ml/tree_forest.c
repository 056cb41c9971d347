/* The fitted forest shared by gbdt and rf: concatenated trees in flat
 * per-node arrays, prediction of raw scores, save/load as named float
 * tensors, and gain importance.
 *
 * Saved tensors (all float32; integers are exact below 2^24):
 *   trees.start (ntrees + 1)   first node of each tree, then nnodes
 *   trees.feature (nnodes)     split feature, -1 for a leaf
 *   trees.threshold (nnodes)   go left when x <= threshold
 *   trees.left, trees.right    absolute child ids (-1 for a leaf)
 *   trees.default_left         1: a missing value (NaN) goes left
 *   trees.value (nnodes, nval) leaf values (shrinkage already applied)
 *   trees.gain, trees.cover    split gain, training rows through the node
 *   base_score (nout)          raw score before the first tree */
#include "tree_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int lt_forest_init(lt_forest *f, int64_t d, int nval, int nout)
{
    memset(f, 0, sizeof *f);
    f->d = d;
    f->nval = nval;
    f->nout = nout;
    f->scale = 1.0;
    f->base = lt_calloc((size_t)nout, sizeof(double));
    f->start = lt_calloc(1, sizeof(int64_t));
    return f->base && f->start ? LT_OK : LT_ENOMEM;
}

void lt_forest_clear(lt_forest *f)
{
    free(f->base);
    free(f->start);
    free(f->feat);
    free(f->left);
    free(f->right);
    free(f->dl);
    free(f->thr);
    free(f->value);
    free(f->gain);
    free(f->cover);
    free(f->node);
    free(f->tdepth);
    memset(f, 0, sizeof *f);
}

#define GROW(ptr, n)                                                 \
    do {                                                             \
        void *p_ = realloc((ptr), sizeof(*(ptr)) * (size_t)(n));     \
        if (!p_)                                                     \
            return lt_error(LT_ENOMEM, "forest: out of memory");     \
        (ptr) = p_;                                                  \
    } while (0)

static void pack(lt_forest *f, int64_t a)
{
    const int32_t self = (int32_t)a;
    if (f->feat[a] >= 0 && f->right[a] != f->left[a] + 1)
        f->nonadjacent = 1;  // (a file not written by lathe): no one-compare walk
    f->node[a] = f->feat[a] < 0
                     ? (lt_tnode){INFINITY, LT_TNODE_DL, self, self}
                     : (lt_tnode){f->thr[a], f->feat[a] | (f->dl[a] ? LT_TNODE_DL : 0), f->left[a],
                                  f->right[a]};
}

static int reserve(lt_forest *f, int64_t trees, int64_t nodes)
{
    if (trees + 1 > f->tcap) {
        int64_t cap = f->tcap ? f->tcap : 16;
        while (cap < trees + 1)
            cap *= 2;
        GROW(f->start, cap);
        GROW(f->tdepth, cap);
        f->tcap = cap;
    }
    if (nodes > f->ncap) {
        int64_t cap = f->ncap ? f->ncap : 1024;
        while (cap < nodes)
            cap *= 2;
        GROW(f->feat, cap);
        GROW(f->left, cap);
        GROW(f->right, cap);
        GROW(f->dl, cap);
        GROW(f->thr, cap);
        GROW(f->value, cap * f->nval);
        GROW(f->gain, cap);
        GROW(f->cover, cap);
        GROW(f->node, cap);
        f->ncap = cap;
    }
    return LT_OK;
}

int lt_forest_add(lt_forest *f, const tg_node *nd, const double *val, int64_t nn, double vscale,
                  const double *voffset)
{
    const int64_t base = f->nnodes;
    if (base + nn >= (1 << 24))
        return lt_error(LT_ELIMIT, "forest: more than 2^24 nodes (smaller trees, or fewer)");
    int rc = reserve(f, f->ntrees + 1, base + nn);
    if (rc)
        return rc;
    int depth = 0;
    for (int64_t k = 0; k < nn; k++) {
        int64_t a = base + k;
        int leaf = nd[k].feat < 0;
        f->feat[a] = leaf ? -1 : nd[k].feat;
        f->left[a] = leaf ? -1 : (int32_t)(base + nd[k].left);
        f->right[a] = leaf ? -1 : (int32_t)(base + nd[k].right);
        f->dl[a] = leaf ? 0 : (uint8_t)nd[k].dl;
        f->thr[a] = leaf ? 0.0f : nd[k].thr;
        f->gain[a] = leaf ? 0.0f : (float)nd[k].gain;
        f->cover[a] = (float)nd[k].cover;
        for (int c = 0; c < f->nval; c++)
            f->value[a * f->nval + c] = (float)(vscale * val[k * f->nval + c] + (voffset ? voffset[c] : 0));
        pack(f, a);
        if (leaf && nd[k].depth > depth)
            depth = nd[k].depth;
    }
    if (depth > f->max_depth)
        f->max_depth = depth;
    f->nnodes += nn;
    f->tdepth[f->ntrees] = depth;
    f->start[++f->ntrees] = f->nnodes;
    return LT_OK;
}

void lt_forest_truncate(lt_forest *f, int64_t ntrees)
{
    if (ntrees < f->ntrees) {
        f->ntrees = ntrees;
        f->nnodes = f->start[ntrees];
    }
}

/* Rows in blocks of RAW_BLOCK, trees outer within a block: one tree's top
 * nodes stay in cache across the block's rows (scikit-learn and XGBoost
 * predict tree by tree too). Row-outer, a deep forest (tens of MB of
 * nodes) missed cache on every node of every row. Within a block, four
 * rows walk a tree side by side for exactly its depth (leaves loop to
 * themselves): four independent chains of loads in flight and no branch
 * on the data, where one walk at a time with a branch per level spent
 * most of its time in mispredictions (perf: 79% of `lathe eval` on the
 * fleet's 50k rows). Deep trees (random forests) walk one row at a time
 * and stop at the leaf: lockstep would pay the deepest path for every row.
 * Each row still adds its trees in order 0..ntrees-1: the same sums. */
#define RAW_BLOCK 128
#define LOCKSTEP_DEPTH 16
void lt_forest_raw(const lt_forest *f, const float *X, int64_t n, double *raw)
{
    const int nout = f->nout, nval = f->nval;
    const int64_t d = f->d, nblk = (n + RAW_BLOCK - 1) / RAW_BLOCK;
    const lt_tnode *nd = f->node;
#pragma omp parallel for schedule(static) if (n * f->ntrees > 20000)
    for (int64_t blk = 0; blk < nblk; blk++) {
        const int64_t b = blk * RAW_BLOCK, e = b + RAW_BLOCK < n ? b + RAW_BLOCK : n;
        double *o = raw + b * nout;  // (e - b, nout)
        int32_t leaf[RAW_BLOCK];
        uint8_t nan4[RAW_BLOCK / 4];  // group of 4 rows holds a NaN (or is the short tail)
        for (int64_t i = 0; i < (e - b) * nout; i++)
            o[i] = 0;
        for (int64_t g = 0; g < RAW_BLOCK / 4; g++) {
            const int64_t gb = b + 4 * g, ge = gb + 4 < e ? gb + 4 : e;
            int nan = ge - gb < 4;
            for (int64_t q = gb * d; q < ge * d; q++)
                nan |= X[q] != X[q];
            nan4[g] = (uint8_t)nan;
        }
        for (int64_t t = 0; t < f->ntrees; t++) {
            const int k = nval == nout ? 0 : (int)(t % nout), depth = f->tdepth[t];
            const int32_t root = (int32_t)f->start[t];
            int64_t i = b;
            for (; depth <= LOCKSTEP_DEPTH && i + 4 <= e; i += 4) {
                const float *x0 = X + i * d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
                int32_t k0 = root, k1 = root, k2 = root, k3 = root;
                if (!f->nonadjacent && !nan4[(i - b) >> 2]) {
                    // No NaN in these rows and right = left + 1: one compare per step.
                    for (int s = 0; s < depth; s++) {
                        const lt_tnode *q0 = nd + k0, *q1 = nd + k1, *q2 = nd + k2, *q3 = nd + k3;
                        k0 = q0->left + (x0[q0->fd & (LT_TNODE_DL - 1)] > q0->thr);
                        k1 = q1->left + (x1[q1->fd & (LT_TNODE_DL - 1)] > q1->thr);
                        k2 = q2->left + (x2[q2->fd & (LT_TNODE_DL - 1)] > q2->thr);
                        k3 = q3->left + (x3[q3->fd & (LT_TNODE_DL - 1)] > q3->thr);
                    }
                } else {
                    for (int s = 0; s < depth; s++) {
                        k0 = lt_tnode_step(nd, k0, x0);
                        k1 = lt_tnode_step(nd, k1, x1);
                        k2 = lt_tnode_step(nd, k2, x2);
                        k3 = lt_tnode_step(nd, k3, x3);
                    }
                }
                leaf[i - b] = k0, leaf[i - b + 1] = k1, leaf[i - b + 2] = k2, leaf[i - b + 3] = k3;
            }
            for (; i < e; i++) {
                int32_t q = root;
                while (nd[q].left != q)
                    q = lt_tnode_step(nd, q, X + i * d);
                leaf[i - b] = q;
            }
            for (i = b; i < e; i++) {
                const float *v = f->value + (int64_t)leaf[i - b] * nval;
                double *oi = raw + i * nout;
                if (nval == nout)
                    for (int c = 0; c < nout; c++)
                        oi[c] += v[c];
                else
                    oi[k] += v[0];
            }
        }
        for (int64_t i = b; i < e; i++)
            for (int c = 0; c < nout; c++)
                raw[i * nout + c] = f->base[c] + f->scale * raw[i * nout + c];
    }
}

void lt_forest_importance(const lt_forest *f, double *out)
{
    for (int64_t j = 0; j < f->d; j++)
        out[j] = 0;
    for (int64_t k = 0; k < f->nnodes; k++)
        if (f->feat[k] >= 0)
            out[f->feat[k]] += f->gain[k];
}

/* ---- save / load ----------------------------------------------------------- */

static int put_ints32(lt_state *st, const char *name, const int32_t *v, int64_t n, float *tmp)
{
    for (int64_t i = 0; i < n; i++)
        tmp[i] = (float)v[i];
    return lt_state_put(st, name, 1, &n, tmp);
}

int lt_forest_save(const lt_forest *f, lt_state *st)
{
    const int64_t nn = f->nnodes, nt = f->ntrees;
    float *tmp = lt_malloc(sizeof(float) * (size_t)((nn > nt + 1 ? nn : nt + 1) + f->nout));
    if (!tmp)
        return LT_ENOMEM;
    int rc;
    int64_t shp[2] = {nt + 1, 0};
    for (int64_t t = 0; t <= nt; t++)
        tmp[t] = (float)f->start[t];
    if ((rc = lt_state_put(st, "trees.start", 1, shp, tmp)))
        goto out;
    if ((rc = put_ints32(st, "trees.feature", f->feat, nn, tmp)) ||
        (rc = put_ints32(st, "trees.left", f->left, nn, tmp)) ||
        (rc = put_ints32(st, "trees.right", f->right, nn, tmp)))
        goto out;
    for (int64_t k = 0; k < nn; k++)
        tmp[k] = f->dl[k];
    shp[0] = nn;
    if ((rc = lt_state_put(st, "trees.default_left", 1, shp, tmp)) ||
        (rc = lt_state_put(st, "trees.threshold", 1, shp, f->thr)) ||
        (rc = lt_state_put(st, "trees.gain", 1, shp, f->gain)) ||
        (rc = lt_state_put(st, "trees.cover", 1, shp, f->cover)))
        goto out;
    shp[1] = f->nval;
    if ((rc = lt_state_put(st, "trees.value", 2, shp, f->value)))
        goto out;
    for (int k = 0; k < f->nout; k++)
        tmp[k] = (float)f->base[k];
    shp[0] = f->nout;
    rc = lt_state_put(st, "base_score", 1, shp, tmp);
out:
    free(tmp);
    return rc;
}

/* An integer-valued tensor entry in [lo, hi]. */
static int get_int(const lt_tensor *t, int64_t i, int64_t lo, int64_t hi, const char *name,
                   int64_t *out)
{
    float v = t->data[i];
    if (!(v == floorf(v)) || v < (float)lo || v > (float)hi)
        return lt_error(LT_ECORRUPT, "%s[%lld] = %g is not an integer in [%lld, %lld]", name,
                        (long long)i, (double)v, (long long)lo, (long long)hi);
    *out = (int64_t)v;
    return LT_OK;
}

int lt_forest_load(lt_forest *f, const lt_state *st, int64_t d, int nval, int nout)
{
    int rc = lt_forest_init(f, d, nval, nout);
    if (rc)
        return rc;
    const lt_tensor *ts = lt_state_get(st, "trees.start"), *bs;
    if (!ts || ts->ndim != 1 || ts->shape[0] < 2) {
        rc = lt_error(LT_ECORRUPT, "tensor 'trees.start' is missing or not a vector of >= 2");
        goto fail;
    }
    const int64_t nt = ts->shape[0] - 1;
    int64_t nn;
    if ((rc = get_int(ts, nt, 1, (1 << 24) - 1, "trees.start", &nn)))
        goto fail;
    const lt_tensor *tf, *tl, *tr, *td, *th, *tv, *tg, *tc;
    int64_t s1[1] = {nn}, s2[2] = {nn, nval}, sb[1] = {nout};
    if ((rc = lt_state_expect(st, "trees.feature", 1, s1, &tf)) ||
        (rc = lt_state_expect(st, "trees.left", 1, s1, &tl)) ||
        (rc = lt_state_expect(st, "trees.right", 1, s1, &tr)) ||
        (rc = lt_state_expect(st, "trees.default_left", 1, s1, &td)) ||
        (rc = lt_state_expect(st, "trees.threshold", 1, s1, &th)) ||
        (rc = lt_state_expect(st, "trees.gain", 1, s1, &tg)) ||
        (rc = lt_state_expect(st, "trees.cover", 1, s1, &tc)) ||
        (rc = lt_state_expect(st, "trees.value", 2, s2, &tv)) ||
        (rc = lt_state_expect(st, "base_score", 1, sb, &bs)))
        goto fail;
    if ((rc = reserve(f, nt, nn)))
        goto fail;
    int64_t prev = 0;
    f->start[0] = 0;
    for (int64_t t = 0; t <= nt; t++) {
        int64_t s;
        if ((rc = get_int(ts, t, t == 0 ? 0 : prev + 1, nn, "trees.start", &s)))
            goto fail;
        if (t == 0 && s != 0) {
            rc = lt_error(LT_ECORRUPT, "trees.start[0] must be 0");
            goto fail;
        }
        f->start[t] = prev = s;
    }
    int *depth = lt_calloc((size_t)nn, sizeof(int));
    if (!depth) {
        rc = LT_ENOMEM;
        goto fail;
    }
    for (int64_t t = 0; t < nt && !rc; t++) {
        // Children lie after their parent inside the same tree: no cycles, no escape.
        const int64_t b = f->start[t], e = f->start[t + 1];
        f->tdepth[t] = 0;
        for (int64_t k = b; k < e && !rc; k++) {
            int64_t feat, l = -1, r = -1, dl;
            if ((rc = get_int(tf, k, -1, d - 1, "trees.feature", &feat)) ||
                (rc = get_int(td, k, 0, 1, "trees.default_left", &dl)))
                break;
            if (feat >= 0 && ((rc = get_int(tl, k, k + 1, e - 1, "trees.left", &l)) ||
                              (rc = get_int(tr, k, k + 1, e - 1, "trees.right", &r))))
                break;
            if (feat >= 0 && (isnan(th->data[k]) || l == r)) {
                rc = lt_error(LT_ECORRUPT, "node %lld: bad threshold or children", (long long)k);
                break;
            }
            f->feat[k] = (int32_t)feat, f->left[k] = (int32_t)l, f->right[k] = (int32_t)r;
            f->dl[k] = (uint8_t)dl;
            f->thr[k] = th->data[k];
            f->gain[k] = tg->data[k];
            f->cover[k] = tc->data[k];
            pack(f, k);
            if (depth[k] > f->tdepth[t])
                f->tdepth[t] = depth[k];
            if (feat >= 0) {  // parents come first, so depth[k] is already the longest path
                if (depth[l] < depth[k] + 1)
                    depth[l] = depth[k] + 1;
                if (depth[r] < depth[k] + 1)
                    depth[r] = depth[k] + 1;
                if (depth[k] + 1 > f->max_depth)
                    f->max_depth = depth[k] + 1;
            }
        }
    }
    free(depth);
    if (rc)
        goto fail;
    for (int64_t i = 0; i < nn * nval; i++)
        if (!isfinite(tv->data[i])) {
            rc = lt_error(LT_ECORRUPT, "trees.value[%lld] is not finite", (long long)i);
            goto fail;
        }
    memcpy(f->value, tv->data, sizeof(float) * (size_t)(nn * nval));
    for (int k = 0; k < nout; k++)
        f->base[k] = bs->data[k];
    f->ntrees = nt;
    f->nnodes = nn;
    return LT_OK;
fail:
    lt_forest_clear(f);
    return rc;
}
