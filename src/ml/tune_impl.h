/* Private to the tuner: the search space's layout and the candidate
 * generators shared by tune.c and tune_space.c. */
#ifndef LATHE_TUNE_IMPL_H
#define LATHE_TUNE_IMPL_H

#include "lathe/tune.h"

typedef struct {
    char *name;
    lt_dist_kind kind;
    char **values;
    int nvalues;
    double lo, hi;
} space_param;

struct lt_search_space {
    space_param *p;
    int n, cap;
};

/* Value of a range parameter as text (integers without a fraction). */
void lt_tune_fmt_value(const space_param *q, double v, char *buf, size_t cap);
/* Candidate c of a grid: vals[i] points into the space; the last
 * parameter varies fastest. */
void lt_tune_grid_point(const lt_search_space *s, int64_t c, const char **vals);
/* One random candidate as text into bufs (64 bytes each). */
void lt_tune_draw_point(const lt_search_space *s, lt_rng *r, char (*bufs)[64]);

#endif
