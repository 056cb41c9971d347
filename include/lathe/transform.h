/* lathe data: feature transforms fitted on training rows and applied to new
 * data. An lt_prep turns the chosen columns of a table into a dense float32
 * matrix: numeric columns are imputed then scaled; categorical columns are
 * imputed (most frequent) then one-hot or label encoded. A category never
 * seen in training becomes all zeros (one-hot) or -1 (label), never a crash.
 */
#ifndef LATHE_TRANSFORM_H
#define LATHE_TRANSFORM_H

#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LT_SCALE_NONE = 0, LT_SCALE_STANDARD, LT_SCALE_MINMAX } lt_scale_kind;
/* LT_IMPUTE_NONE leaves missing numeric values as NaN, for models that route
 * them natively (trees); the pipeline picks it for such models. */
typedef enum {
    LT_IMPUTE_MEAN = 0,
    LT_IMPUTE_MEDIAN,
    LT_IMPUTE_MOST_FREQUENT,
    LT_IMPUTE_NONE,
} lt_impute_kind;
typedef enum { LT_ENCODE_ONEHOT = 0, LT_ENCODE_LABEL } lt_encode_kind;

typedef struct lt_prep_params {
    lt_scale_kind scale;    /* default LT_SCALE_STANDARD */
    lt_impute_kind impute;  /* numeric columns; default LT_IMPUTE_MEAN */
    lt_encode_kind encode;  /* categorical columns; default LT_ENCODE_ONEHOT */
} lt_prep_params;

lt_prep_params lt_prep_params_default(void);

typedef struct lt_prep lt_prep;

/* Fit on rows `rows` (NULL = all rows) of t, for the `nfeat` columns named.
 * Statistics ignore missing values; a column with no values at all imputes 0. */
int lt_prep_fit(const lt_table *t, const char *const *features, int nfeat, const int64_t *rows,
                int64_t nrows, const lt_prep_params *params, lt_prep **out);
void lt_prep_free(lt_prep *p);  /* NULL-safe */

/* Input columns (the schema a new table must provide). */
int lt_prep_nin(const lt_prep *p);
const char *lt_prep_in_name(const lt_prep *p, int j);
lt_coltype lt_prep_in_type(const lt_prep *p, int j);
/* Output features: count and names ("Torque", "Type=L"). */
int64_t lt_prep_nout(const lt_prep *p);
const char *lt_prep_out_name(const lt_prep *p, int64_t k);

/* Apply to all rows of t (t may hold extra columns). X is nrows x nout,
 * row-major. A missing column is LT_ENOTFOUND; a categorical column where
 * a numeric one was fitted is LT_ETYPE (and numbers in a categorical column
 * are matched as text). */
int lt_prep_apply(const lt_prep *p, const lt_table *t, float *X);

/* Serialize to / from JSON text (malloc'd; caller frees). */
int lt_prep_to_json(const lt_prep *p, char **json);
int lt_prep_from_json(const char *json, lt_prep **out);

#ifdef __cplusplus
}
#endif
#endif
