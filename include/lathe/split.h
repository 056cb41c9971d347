/* lathe data: train/test splits and k-fold cross-validation. All index
 * arrays are malloc'd, sorted ascending, and freed by lt_split_free.
 * The same seed gives the same split. */
#ifndef LATHE_SPLIT_H
#define LATHE_SPLIT_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_split {
    int64_t *train, ntrain;
    int64_t *test, ntest;
} lt_split;

void lt_split_free(lt_split *s);  /* frees the arrays, NULL-safe */

/* test_frac in (0, 1). Every split leaves at least one row on each side. */
int lt_split_random(int64_t n, double test_frac, uint64_t seed, lt_split *out);
/* Keeps each class's share in both parts (labels >= 0). */
int lt_split_stratified(const int32_t *labels, int64_t n, double test_frac, uint64_t seed,
                        lt_split *out);
/* Whole groups go to one side (rows of one machine/unit never straddle);
 * about test_frac of the groups go to test. */
int lt_split_group(const int64_t *groups, int64_t n, double test_frac, uint64_t seed,
                   lt_split *out);
/* The latest test_frac of rows by `time` go to test (ties keep row order). */
int lt_split_time(const double *time, int64_t n, double test_frac, lt_split *out);

/* k folds; folds[i].test is fold i, folds[i].train the rest. If strata is
 * non-NULL folds are stratified; if groups is non-NULL whole groups stay in
 * one fold (strata and groups are exclusive). folds must hold k entries. */
int lt_kfold(int64_t n, int k, uint64_t seed, const int32_t *strata, const int64_t *groups,
             lt_split *folds);

#ifdef __cplusplus
}
#endif
#endif
