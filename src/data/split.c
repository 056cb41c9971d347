/* Train/test splits and k-fold cross-validation. Every split is a pure
 * function of its inputs and the seed (one lt_rng, consumed in a fixed
 * order); index arrays come back sorted ascending. Internally a split is a
 * per-row side/fold assignment, turned into index arrays at the end. */
#include "lathe/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lt_split_free(lt_split *s)
{
    if (!s)
        return;
    free(s->train);
    free(s->test);
    memset(s, 0, sizeof *s);
}

static int check_frac(int64_t n, double test_frac, lt_split *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "split: out must not be NULL");
    memset(out, 0, sizeof *out);
    if (n < 2)
        return lt_error(LT_EINVAL, "split: need at least 2 rows to split, got %lld", (long long)n);
    if (!(test_frac > 0 && test_frac < 1))
        return lt_error(LT_EINVAL, "split: test_frac must be in (0, 1), got %g", test_frac);
    return LT_OK;
}

/* Number of test items out of n: round(n * frac), kept within [1, n-1]. */
static int64_t test_count(int64_t n, double frac)
{
    int64_t k = (int64_t)llround((double)n * frac);
    return k < 1 ? 1 : (k > n - 1 ? n - 1 : k);
}

/* Fills out from side[i] (1 = test). Arrays are ascending by construction. */
static int split_from_sides(const unsigned char *side, int64_t n, lt_split *out)
{
    int64_t nt = 0;
    for (int64_t i = 0; i < n; i++)
        nt += side[i];
    out->test = lt_malloc((size_t)(nt ? nt : 1) * sizeof(int64_t));
    out->train = lt_malloc((size_t)(n - nt ? n - nt : 1) * sizeof(int64_t));
    if (!out->test || !out->train) {
        lt_split_free(out);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        if (side[i])
            out->test[out->ntest++] = i;
        else
            out->train[out->ntrain++] = i;
    }
    return LT_OK;
}

static int64_t *iota_new(int64_t n)
{
    int64_t *a = lt_malloc((size_t)(n ? n : 1) * sizeof *a);
    if (a)
        for (int64_t i = 0; i < n; i++)
            a[i] = i;
    return a;
}

int lt_split_random(int64_t n, double test_frac, uint64_t seed, lt_split *out)
{
    int rc = check_frac(n, test_frac, out);
    if (rc != LT_OK)
        return rc;
    int64_t *perm = iota_new(n);
    unsigned char *side = lt_calloc((size_t)n, 1);
    if (!perm || !side) {
        free(perm);
        free(side);
        return LT_ENOMEM;
    }
    lt_rng r;
    lt_rng_seed(&r, seed);
    lt_rng_shuffle(&r, perm, n);
    int64_t k = test_count(n, test_frac);
    for (int64_t i = 0; i < k; i++)
        side[perm[i]] = 1;
    rc = split_from_sides(side, n, out);
    free(perm);
    free(side);
    return rc;
}

/* ---- rows grouped by a key (class label or group id) ----------------------------- */

typedef struct keyed {
    int64_t key, row;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Sorts rows by key (then row) and returns the start of each run of equal
 * keys: starts[0..ng], starts[ng] = n. */
static int group_rows(const int32_t *labels, const int64_t *groups, int64_t n, keyed **kv_out,
                      int64_t **starts_out, int64_t *ng_out)
{
    keyed *kv = lt_malloc((size_t)n * sizeof *kv);
    int64_t *starts = lt_malloc((size_t)(n + 1) * sizeof *starts);
    if (!kv || !starts) {
        free(kv);
        free(starts);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        kv[i].key = labels ? labels[i] : groups[i];
        kv[i].row = i;
    }
    qsort(kv, (size_t)n, sizeof *kv, cmp_keyed);
    int64_t ng = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || kv[i].key != kv[i - 1].key)
            starts[ng++] = i;
    starts[ng] = n;
    *kv_out = kv;
    *starts_out = starts;
    *ng_out = ng;
    return LT_OK;
}

/* Sort key with a tiebreak: (score ascending, then position in the input). */
typedef struct ranked {
    double score;
    int64_t pos, id;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int check_labels(const int32_t *labels, int64_t n, const char *what)
{
    if (!labels)
        return lt_error(LT_EINVAL, "%s: labels must not be NULL", what);
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0)
            return lt_error(LT_EINVAL, "%s: label of row %lld is %d; expected a class >= 0", what,
                            (long long)i, labels[i]);
    return LT_OK;
}

int lt_split_stratified(const int32_t *labels, int64_t n, double test_frac, uint64_t seed,
                        lt_split *out)
{
    int rc = check_frac(n, test_frac, out);
    if (rc == LT_OK)
        rc = check_labels(labels, n, "stratified split");
    if (rc != LT_OK)
        return rc;
    keyed *kv;
    int64_t *starts, nc;
    if ((rc = group_rows(labels, NULL, n, &kv, &starts, &nc)) != LT_OK)
        return rc;
    /* Per class floor(count * frac) test rows, then the remaining test rows
     * (to reach the overall round(n * frac)) go to the classes with the
     * largest fractional parts: shares stay within one row of exact. */
    int64_t *take = lt_calloc((size_t)nc, sizeof *take);
    int64_t *order = iota_new(nc);
    double *frac = lt_malloc((size_t)nc * sizeof *frac);
    unsigned char *side = lt_calloc((size_t)n, 1);
    if (!take || !order || !frac || !side) {
        rc = LT_ENOMEM;
        goto done;
    }
    int64_t want = test_count(n, test_frac), have = 0;
    for (int64_t c = 0; c < nc; c++) {
        double exact = (double)(starts[c + 1] - starts[c]) * test_frac;
        take[c] = (int64_t)floor(exact);
        frac[c] = exact - (double)take[c];
        have += take[c];
    }
    /* Largest fractional part first, ties by class order. */
    {
        ranked *rk = lt_malloc((size_t)nc * sizeof *rk);
        if (!rk) {
            rc = LT_ENOMEM;
            goto done;
        }
        for (int64_t c = 0; c < nc; c++)
            rk[c] = (ranked){-frac[c], c, c};
        qsort(rk, (size_t)nc, sizeof *rk, cmp_ranked);
        for (int64_t c = 0; c < nc; c++)
            order[c] = rk[c].id;
        free(rk);
    }
    for (int64_t i = 0; have < want; i = (i + 1) % nc) {
        int64_t c = order[i];
        if (take[c] < starts[c + 1] - starts[c]) {
            take[c]++;
            have++;
        }
    }
    lt_rng r;
    lt_rng_seed(&r, seed);
    for (int64_t c = 0; c < nc; c++) {
        int64_t m = starts[c + 1] - starts[c];
        int64_t *rows = lt_malloc((size_t)m * sizeof *rows);
        if (!rows) {
            rc = LT_ENOMEM;
            goto done;
        }
        for (int64_t i = 0; i < m; i++)
            rows[i] = kv[starts[c] + i].row;
        lt_rng_shuffle(&r, rows, m);
        for (int64_t i = 0; i < take[c]; i++)
            side[rows[i]] = 1;
        free(rows);
    }
    rc = split_from_sides(side, n, out);
done:
    free(kv);
    free(starts);
    free(take);
    free(order);
    free(frac);
    free(side);
    return rc;
}

int lt_split_group(const int64_t *groups, int64_t n, double test_frac, uint64_t seed,
                   lt_split *out)
{
    int rc = check_frac(n, test_frac, out);
    if (rc == LT_OK && !groups)
        rc = lt_error(LT_EINVAL, "group split: groups must not be NULL");
    if (rc != LT_OK)
        return rc;
    keyed *kv;
    int64_t *starts, ng;
    if ((rc = group_rows(NULL, groups, n, &kv, &starts, &ng)) != LT_OK)
        return rc;
    int64_t *perm = NULL;
    unsigned char *side = NULL;
    if (ng < 2) {
        rc = lt_error(LT_EINVAL, "group split: all %lld rows belong to one group (%lld); need at "
                      "least 2 groups", (long long)n, (long long)kv[0].key);
        goto done;
    }
    perm = iota_new(ng);
    side = lt_calloc((size_t)n, 1);
    if (!perm || !side) {
        rc = LT_ENOMEM;
        goto done;
    }
    lt_rng r;
    lt_rng_seed(&r, seed);
    lt_rng_shuffle(&r, perm, ng);
    for (int64_t g = 0, k = test_count(ng, test_frac); g < k; g++)
        for (int64_t i = starts[perm[g]]; i < starts[perm[g] + 1]; i++)
            side[kv[i].row] = 1;
    rc = split_from_sides(side, n, out);
done:
    free(kv);
    free(starts);
    free(perm);
    free(side);
    return rc;
}

typedef struct timed {
    double t;
    int64_t row;
} timed;

static int cmp_timed(const void *a, const void *b)
{
    const timed *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

int lt_split_time(const double *time, int64_t n, double test_frac, lt_split *out)
{
    int rc = check_frac(n, test_frac, out);
    if (rc == LT_OK && !time)
        rc = lt_error(LT_EINVAL, "time split: time must not be NULL");
    for (int64_t i = 0; rc == LT_OK && i < n; i++)
        if (isnan(time[i]))
            rc = lt_error(LT_EINVAL, "time split: time of row %lld is missing (NaN)",
                          (long long)i);
    if (rc != LT_OK)
        return rc;
    timed *tv = lt_malloc((size_t)n * sizeof *tv);
    unsigned char *side = lt_calloc((size_t)n, 1);
    if (!tv || !side) {
        free(tv);
        free(side);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        tv[i].t = time[i];
        tv[i].row = i;
    }
    /* Ties keep row order (the row is the second key), so the last rows of
     * a tie go to test. */
    qsort(tv, (size_t)n, sizeof *tv, cmp_timed);
    for (int64_t i = n - test_count(n, test_frac); i < n; i++)
        side[tv[i].row] = 1;
    rc = split_from_sides(side, n, out);
    free(tv);
    free(side);
    return rc;
}

/* ---- k-fold -------------------------------------------------------------------- */

/* Fold i's test = rows with fold[row] == i; train = the rest. */
static int folds_from(const int *fold, int64_t n, int k, lt_split *folds)
{
    unsigned char *side = lt_malloc((size_t)n);
    if (!side)
        return LT_ENOMEM;
    int rc = LT_OK;
    for (int f = 0; f < k && rc == LT_OK; f++) {
        for (int64_t i = 0; i < n; i++)
            side[i] = fold[i] == f;
        rc = split_from_sides(side, n, &folds[f]);
    }
    free(side);
    return rc;
}

int lt_kfold(int64_t n, int k, uint64_t seed, const int32_t *strata, const int64_t *groups,
             lt_split *folds)
{
    if (!folds)
        return lt_error(LT_EINVAL, "kfold: folds must not be NULL");
    if (k >= 1)
        memset(folds, 0, (size_t)k * sizeof *folds);
    if (k < 2)
        return lt_error(LT_EINVAL, "kfold: k must be >= 2, got %d", k);
    if (n < k)
        return lt_error(LT_EINVAL, "kfold: k = %d folds need at least k rows, got %lld", k,
                        (long long)n);
    if (strata && groups)
        return lt_error(LT_EINVAL, "kfold: strata and groups are exclusive; pass one of them");
    int rc = strata ? check_labels(strata, n, "stratified kfold") : LT_OK;
    if (rc != LT_OK)
        return rc;
    int *fold = lt_malloc((size_t)n * sizeof *fold);
    int64_t *perm = NULL, *starts = NULL, *load = NULL;
    keyed *kv = NULL;
    if (!fold)
        return LT_ENOMEM;
    lt_rng r;
    lt_rng_seed(&r, seed);
    if (!strata && !groups) {
        /* Shuffled rows dealt in contiguous blocks: sizes differ by at most 1. */
        if (!(perm = iota_new(n))) {
            rc = LT_ENOMEM;
            goto done;
        }
        lt_rng_shuffle(&r, perm, n);
        for (int64_t i = 0; i < n; i++)
            fold[perm[i]] = (int)(i * k / n);
    } else if (strata) {
        /* Each class shuffled, then dealt round-robin with one counter running
         * across classes: every class spreads evenly, fold sizes within 1. */
        int64_t nc, dealt = 0;
        if ((rc = group_rows(strata, NULL, n, &kv, &starts, &nc)) != LT_OK)
            goto done;
        if (!(perm = lt_malloc((size_t)n * sizeof *perm))) {
            rc = LT_ENOMEM;
            goto done;
        }
        for (int64_t c = 0; c < nc; c++) {
            int64_t m = starts[c + 1] - starts[c];
            for (int64_t i = 0; i < m; i++)
                perm[i] = kv[starts[c] + i].row;
            lt_rng_shuffle(&r, perm, m);
            for (int64_t i = 0; i < m; i++)
                fold[perm[i]] = (int)(dealt++ % k);
        }
    } else {
        /* Groups shuffled, then largest first into the fold with the fewest
         * rows (ties: lowest fold), as GroupKFold balances them. */
        int64_t ng;
        if ((rc = group_rows(NULL, groups, n, &kv, &starts, &ng)) != LT_OK)
            goto done;
        if (ng < k) {
            rc = lt_error(LT_EINVAL, "group kfold: %lld distinct groups cannot fill k = %d folds",
                          (long long)ng, k);
            goto done;
        }
        perm = iota_new(ng);
        load = lt_calloc((size_t)k, sizeof *load);
        if (!perm || !load) {
            rc = LT_ENOMEM;
            goto done;
        }
        lt_rng_shuffle(&r, perm, ng);
        /* Shuffled groups sorted by size, descending; ties keep shuffled order. */
        ranked *rk = lt_malloc((size_t)ng * sizeof *rk);
        if (!rk) {
            rc = LT_ENOMEM;
            goto done;
        }
        for (int64_t a = 0; a < ng; a++)
            rk[a] = (ranked){-(double)(starts[perm[a] + 1] - starts[perm[a]]), a, perm[a]};
        qsort(rk, (size_t)ng, sizeof *rk, cmp_ranked);
        for (int64_t a = 0; a < ng; a++)
            perm[a] = rk[a].id;
        free(rk);
        for (int64_t a = 0; a < ng; a++) {
            int64_t g = perm[a];
            int best = 0;
            for (int f = 1; f < k; f++)
                if (load[f] < load[best])
                    best = f;
            load[best] += starts[g + 1] - starts[g];
            for (int64_t i = starts[g]; i < starts[g + 1]; i++)
                fold[kv[i].row] = best;
        }
    }
    rc = folds_from(fold, n, k, folds);
done:
    if (rc != LT_OK)
        for (int f = 0; f < k; f++)
            lt_split_free(&folds[f]);
    free(fold);
    free(perm);
    free(starts);
    free(load);
    free(kv);
    return rc;
}
