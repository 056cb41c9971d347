/* Exact TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized
 * feature attribution for tree ensembles", Algorithm 2): Shapley values of
 * the path-dependent conditional expectation E[f(x) | x_S], where a split on
 * a feature outside S averages its children weighted by training cover.
 * Polynomial: O(leaves * depth^2) per tree and row.
 *
 * The path is a stack of (feature, zero fraction, one fraction, weight)
 * elements; a child's path is a copy of its parent's extended by one, so a
 * tree of depth D needs (D + 1)(D + 2) / 2 elements per row. Values are in
 * the raw score space: per tree, leaves add to one output (boosting) or to
 * every output (random forest), times the forest's scale. */
#include "tree_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct pelem {
    int feat;
    double zero, one, w;  /* zero/one fraction; pweight */
} pelem;

static void extend(pelem *p, int depth, double zero, double one, int feat)
{
    p[depth].feat = feat;
    p[depth].zero = zero;
    p[depth].one = one;
    p[depth].w = depth == 0 ? 1.0 : 0.0;
    for (int i = depth - 1; i >= 0; i--) {
        p[i + 1].w += one * p[i].w * (i + 1) / (double)(depth + 1);
        p[i].w = zero * p[i].w * (depth - i) / (double)(depth + 1);
    }
}

static void unwind(pelem *p, int depth, int at)
{
    const double one = p[at].one, zero = p[at].zero;
    double next = p[depth].w;
    for (int i = depth - 1; i >= 0; i--) {
        if (one != 0) {
            double tmp = p[i].w;
            p[i].w = next * (depth + 1) / ((i + 1) * one);
            next = tmp - p[i].w * zero * (depth - i) / (double)(depth + 1);
        } else {
            p[i].w = p[i].w * (depth + 1) / (zero * (depth - i));
        }
    }
    for (int i = at; i < depth; i++) {
        p[i].feat = p[i + 1].feat;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

/* Total weight of the path with element `at` unwound (without changing it). */
static double unwound_sum(const pelem *p, int depth, int at)
{
    const double one = p[at].one, zero = p[at].zero;
    double next = p[depth].w, total = 0;
    for (int i = depth - 1; i >= 0; i--) {
        if (one != 0) {
            double tmp = next * (depth + 1) / ((i + 1) * one);
            total += tmp;
            next = p[i].w - tmp * zero * ((depth - i) / (double)(depth + 1));
        } else if (zero != 0) {
            total += (p[i].w / zero) / ((depth - i) / (double)(depth + 1));
        }
    }
    return total;
}

typedef struct shap_ctx {
    const lt_forest *f;
    const float *x;
    double *phi;   /* (nout, d + 1) */
    int out0, nout_tree;  /* outputs this tree adds to */
} shap_ctx;

static void recurse(const shap_ctx *c, int64_t k, pelem *parent, int depth, double pzero,
                    double pone, int pfeat)
{
    const lt_forest *f = c->f;
    pelem *p = parent + depth + 1;  // this node's path lives after its parent's
    memcpy(p, parent, sizeof(pelem) * (size_t)(depth + 1));
    extend(p, depth, pzero, pone, pfeat);
    const int64_t d1 = f->d + 1;
    if (f->feat[k] < 0) {
        const float *v = f->value + k * f->nval;
        for (int i = 1; i <= depth; i++) {
            double w = unwound_sum(p, depth, i) * (p[i].one - p[i].zero) * f->scale;
            for (int o = 0; o < c->nout_tree; o++)
                c->phi[(c->out0 + o) * d1 + p[i].feat] += w * v[f->nval == 1 ? 0 : o];
        }
        return;
    }
    const int feat = f->feat[k];
    const float xv = c->x[feat];
    int left = isnan(xv) ? f->dl[k] : xv <= f->thr[k];
    int64_t hot = left ? f->left[k] : f->right[k], cold = left ? f->right[k] : f->left[k];
    const double w = f->cover[k];
    double hot_zero = w > 0 ? f->cover[hot] / w : 0.5, cold_zero = w > 0 ? f->cover[cold] / w : 0.5;
    double in_zero = 1, in_one = 1;
    // A feature split on again: undo its earlier element and redo it here.
    int at = 0;
    while (at <= depth && p[at].feat != feat)
        at++;
    if (at <= depth) {
        in_zero = p[at].zero;
        in_one = p[at].one;
        unwind(p, depth, at);
        depth -= 1;
    }
    recurse(c, hot, p, depth + 1, hot_zero * in_zero, in_one, feat);
    recurse(c, cold, p, depth + 1, cold_zero * in_zero, 0, feat);
}

/* Cover-weighted mean of the leaves of the subtree at k: E[f] of one tree. */
static void subtree_mean(const lt_forest *f, int64_t k, double *out)
{
    if (f->feat[k] < 0) {
        for (int c = 0; c < f->nval; c++)
            out[c] = f->value[k * f->nval + c];
        return;
    }
    double l[64], r[64];
    subtree_mean(f, f->left[k], l);
    subtree_mean(f, f->right[k], r);
    double cl = f->cover[f->left[k]], cr = f->cover[f->right[k]], s = cl + cr;
    for (int c = 0; c < f->nval; c++)
        out[c] = s > 0 ? (l[c] * cl + r[c] * cr) / s : 0.5 * (l[c] + r[c]);
}

int lt_forest_shap(const lt_forest *f, const float *X, int64_t n, float *out)
{
    const int nout = f->nout;
    const int64_t d1 = f->d + 1;
    if (f->nval > 64)
        return lt_error(LT_EUNSUPPORTED, "TreeSHAP: at most 64 values per leaf (got %d)", f->nval);
    double *expect = lt_calloc((size_t)nout, sizeof(double));
    if (!expect)
        return LT_ENOMEM;
    for (int k = 0; k < nout; k++)
        expect[k] = f->base[k];
    for (int64_t t = 0; t < f->ntrees; t++) {
        double m[64];
        subtree_mean(f, f->start[t], m);
        if (f->nval == nout)
            for (int k = 0; k < nout; k++)
                expect[k] += f->scale * m[k];
        else
            expect[t % nout] += f->scale * m[0];
    }
    const int64_t plen = (int64_t)(f->max_depth + 2) * (f->max_depth + 3) / 2;
    int rc = LT_OK;
#pragma omp parallel
    {
        pelem *path = malloc(sizeof(pelem) * (size_t)plen);
        double *phi = malloc(sizeof(double) * (size_t)(nout * d1));
        if (!path || !phi) {
#pragma omp atomic write
            rc = LT_ENOMEM;
        }
#pragma omp for schedule(dynamic, 16)
        for (int64_t i = 0; i < n; i++) {
            if (!path || !phi)
                continue;
            memset(phi, 0, sizeof(double) * (size_t)(nout * d1));
            shap_ctx c = {f, X + i * f->d, phi, 0, nout};
            for (int64_t t = 0; t < f->ntrees; t++) {
                if (f->nval != nout)
                    c.out0 = (int)(t % nout), c.nout_tree = 1;
                recurse(&c, f->start[t], path, 0, 1, 1, -1);
            }
            for (int k = 0; k < nout; k++) {
                phi[k * d1 + f->d] = expect[k];
                for (int64_t j = 0; j < d1; j++)
                    out[(i * nout + k) * d1 + j] = (float)phi[k * d1 + j];
            }
        }
        free(path);
        free(phi);
    }
    free(expect);
    return rc ? lt_error(rc, "TreeSHAP: out of memory") : LT_OK;
}
