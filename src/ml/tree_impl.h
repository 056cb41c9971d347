/* Private to the tree models (gbdt.c, rf.c): quantile binning (tree_bins.c),
 * histogram tree growth (tree_grow.c), the fitted forest with its
 * prediction, save/load and gain importance (tree_forest.c), and exact
 * TreeSHAP (tree_shap.c).
 *
 * Shapes used throughout: X (n, d) row-major float; binned data (n, d)
 * row-major uint8, so one pass over a node's rows fills the histograms of
 * all its features from one cache line per row (XGBoost / LightGBM's
 * layout; the column-major layout needed one pass per feature); gradients
 * (C, n) channel-major float. */
#ifndef LATHE_TREE_IMPL_H
#define LATHE_TREE_IMPL_H

#include "lathe/model.h"

#include <stdint.h>

/* ---- binning (tree_bins.c) ----------------------------------------------
 * Feature j uses bins 0..nbins[j]-1 for numbers; NaN goes to TB_MISSING.
 * bin(v) = the first b with v <= edges[j][b]; the last edge is +inf, so a
 * split "bin <= b" is exactly "v <= edges[j][b]" on raw values: trees keep
 * float thresholds and predict without the binner. */
#define TB_STRIDE 256
#define TB_MISSING 255
#define TB_MAX_BINS 255

typedef struct tb_bins {
    int64_t d;
    int *nbins;    /* (d) numeric bins per feature, 1..max_bins */
    float *edges;  /* (d, TB_STRIDE) upper edge of each bin, inclusive */
    uint8_t *cut;  /* (d) 1: a bin may hold several distinct values (quantile
                      bins), so a split can be refined inside it (tg_params.refine) */
} tb_bins;

/* Edges from the rows `rows` (NULL = 0..n-1) of X: quantiles of at most
 * 200k of them. */
int tb_fit(tb_bins *b, const float *X, int64_t d, const int64_t *rows, int64_t n, int max_bins);
/* out (n, d): bins of the rows `rows` (NULL = 0..n-1) of X. */
void tb_apply(const tb_bins *b, const float *X, const int64_t *rows, int64_t n, uint8_t *out);
void tb_free(tb_bins *b);
/* (d, n) column-major copy of the rows `rows` (NULL = 0..n-1) of X (.., d),
 * malloc'd (NULL when out of memory). */
float *lt_tree_columns(const float *X, int64_t d, const int64_t *rows, int64_t n);
/* A float e with a <= e < b (for a < b): the threshold between two values. */
float tb_edge_between(float a, float b);

/* g, h (rows b..e) of the binary logistic loss at raw scores F (n):
 * w (p - y) and w max(p (1 - p), 1e-16), p = sigmoid(F) (gbdt_link.c). */
void gbdt_logistic_grad(const double *F, const float *y, const float *w, int64_t b, int64_t e,
                        float *g, float *h);

/* ---- growth (tree_grow.c) ------------------------------------------------ */

typedef struct tg_params {
    int max_depth;           /* 0 = unlimited */
    int max_leaves;          /* leaf-wise only; 0 = unlimited */
    int leafwise;            /* 1: best-first by gain; 0: depth-wise (every node to max_depth) */
    double lambda;           /* L2 on leaf values */
    double min_child_weight; /* hessian sum per child */
    double min_samples_leaf; /* rows (with multiplicity) per child */
    int mtry;                /* features tried per split, 0 = all the tree's features */
    int par_rows;            /* 1: big nodes' histograms in fixed row blocks over the threads
                                (one tree at a time, gbdt); 0: serial (trees in parallel, rf) */
    int refine;              /* 1: move a split on a quantile-binned feature to the best
                                threshold between the raw values of the two bins around it
                                (needs tg_input.Xc) */
} tg_params;

/* Training data for one tree: binned X, C gradient channels sharing one
 * hessian, and optional row multiplicities (bootstrap counts). */
typedef struct tg_input {
    const uint8_t *bins;  /* (n, d) */
    int64_t n, d;
    const tb_bins *edges;
    int C;
    const float *g;       /* (C, n) */
    const float *h;       /* (n) */
    const float *cnt;     /* (n) or NULL = 1 */
    const float *Xc;      /* (d, n) raw values of the binned rows, column-major so a
                             refinement or raw partition reads one feature forward;
                             NULL = no refinement */
} tg_input;

/* A grown node. Leaves have feat = -1. A split sends "raw value <= thr"
 * left (NaN: dl); bin is its bin threshold, -1 for a refined split that
 * falls inside a bin. Children always have larger ids
 * than their parent. */
typedef struct tg_node {
    int32_t feat, bin, dl, left, right, depth;
    float thr;
    double gain, cover;
} tg_node;

typedef struct tg_work tg_work;
/* Work buffers for growing trees with C channels on up to d features; one
 * per thread. */
tg_work *tg_work_new(int64_t d, int C);
void tg_work_free(tg_work *w);
/* A training row's index in the tree code: 32 bits halve the memory traffic
 * of the histogram and partition loops over row lists (fits of 2^31 rows or
 * more are refused). */
typedef int32_t tg_row;
#define TG_MAX_ROWS INT32_MAX
/* LT_OK if n training rows fit tg_row, else LT_ELIMIT with a message
 * naming the model. */
int tg_rows_fit(const char *model, int64_t n);

/* Grow one tree on rows[0..nrows) (ascending; reordered in place) using
 * the features feats[0..nf). rng draws the per-split feature subsets
 * (mtry). Nodes and leaf values (-G_c / (H + lambda), (nnodes, C)) stay in
 * w until the next call. */
int tg_grow(tg_work *w, const tg_input *in, const tg_params *p, tg_row *rows, int64_t nrows,
            const int *feats, int nf, lt_rng *rng);
int64_t tg_nnodes(const tg_work *w);
const tg_node *tg_nodes(const tg_work *w);
const double *tg_values(const tg_work *w);
/* Node k of the last grown tree owns rows[*b..*e) of the row list tg_grow
 * reordered: a leaf's training rows, without walking the tree. */
void tg_node_rows(const tg_work *w, int64_t k, int64_t *b, int64_t *e);

/* ---- the fitted forest (tree_forest.c) ------------------------------------
 * Trees are concatenated; tree t holds nodes start[t]..start[t+1]-1 with
 * absolute child ids. Each node has nval values. Raw output k of a row is
 * base[k] + scale * sum of its leaves' values: with nval == nout every tree
 * adds its leaf vector to all outputs (random forest), with nval == 1 tree t
 * adds to output t % nout (boosting: one tree per class per round). */
/* The walk's view of a node, 16 bytes so a deep tree's path touches one
 * cache line per node: fd = feature | LT_TNODE_DL (NaN goes left). A leaf
 * loops to itself (left = right = its own id, threshold +inf, feature 0),
 * so a walk of exactly the tree's depth ends on the leaf with no test for
 * leaves on the way: every step is the same select, no branch to
 * mispredict. */
#define LT_TNODE_DL 0x40000000
typedef struct lt_tnode {
    float thr;
    int32_t fd, left, right;
} lt_tnode;

/* One step of a walk from node k for row x. */
static inline int32_t lt_tnode_step(const lt_tnode *nd, int32_t k, const float *x)
{
    const lt_tnode *q = nd + k;
    const float v = x[q->fd & (LT_TNODE_DL - 1)];
    const int32_t go_left = (v <= q->thr) | ((v != v) & (q->fd >> 30));
    return q->right ^ ((q->left ^ q->right) & -go_left);
}

typedef struct lt_forest {
    int64_t ntrees, nnodes, tcap, ncap;
    int nval, nout;
    int64_t d;
    double scale;
    double *base;      /* (nout) */
    int64_t *start;    /* (ntrees + 1) */
    int32_t *feat, *left, *right;
    uint8_t *dl;
    float *thr, *value, *gain, *cover;  /* value: (nnodes, nval) */
    lt_tnode *node;    /* (nnodes) packed copy of feat/dl/thr/left/right for prediction */
    int32_t *tdepth;   /* (ntrees) depth of each tree's deepest leaf */
    int nonadjacent;   /* 1: some node's right child is not left + 1 (lathe always
                          places them side by side; a file might not) */
    int max_depth;     /* deepest leaf, for TreeSHAP's path buffers */
} lt_forest;

int lt_forest_init(lt_forest *f, int64_t d, int nval, int nout);
void lt_forest_clear(lt_forest *f);
/* Append a grown tree (nodes and their (nn, nval) values, as tg_grow
 * leaves them): leaf values vscale * val + voffset[c] (voffset NULL = 0). */
int lt_forest_add(lt_forest *f, const tg_node *nd, const double *val, int64_t nn, double vscale,
                  const double *voffset);
/* Keep the first ntrees trees. */
void lt_forest_truncate(lt_forest *f, int64_t ntrees);
/* Leaf node of row x in tree t. */
static inline int64_t lt_forest_leaf(const lt_forest *f, int64_t t, const float *x)
{
    int32_t k = (int32_t)f->start[t];
    for (int s = 0; s < f->tdepth[t]; s++)
        k = lt_tnode_step(f->node, k, x);
    return k;
}
/* raw (n, nout) = base + scale * sum of leaves; parallel over rows. */
void lt_forest_raw(const lt_forest *f, const float *X, int64_t n, double *raw);
int lt_forest_save(const lt_forest *f, lt_state *st);
/* Validates everything it reads (indices, acyclic, features < d). */
int lt_forest_load(lt_forest *f, const lt_state *st, int64_t d, int nval, int nout);
/* Total split gain per feature (d). */
void lt_forest_importance(const lt_forest *f, double *out);

/* ---- TreeSHAP (tree_shap.c) -----------------------------------------------
 * out as lt_model_vtable.contributions: (n, nout, d + 1), last column the
 * expected value (base + scale * cover-weighted mean leaf). */
int lt_forest_shap(const lt_forest *f, const float *X, int64_t n, float *out);

/* ---- shared by gbdt.c and rf.c -------------------------------------------- */

/* Class counts and balanced weights: w_out[i] = w[i] (or 1) times, if
 * balanced, n / (k_present * count[y_i]). */
int lt_tree_weights(const float *y, const float *w, int64_t n, int nclass, int balanced,
                    float *w_out);

#endif
