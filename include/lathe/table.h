/* lathe data: column tables and the CSV reader/writer.
 *
 * A table is a set of named columns of equal length. A column is either
 * numeric (double, NaN = missing) or categorical (int32 codes into a list of
 * level strings, -1 = missing). Tables are immutable once built except for
 * lt_table_add_*; select/drop/take return new tables.
 */
#ifndef LATHE_TABLE_H
#define LATHE_TABLE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LT_COL_NUM = 0, LT_COL_CAT = 1 } lt_coltype;

typedef struct lt_table lt_table;

lt_table *lt_table_new(void);
void lt_table_free(lt_table *t);  /* NULL-safe */

int64_t lt_table_nrows(const lt_table *t);
int lt_table_ncols(const lt_table *t);
const char *lt_table_col_name(const lt_table *t, int j);
lt_coltype lt_table_col_type(const lt_table *t, int j);
/* Index of column `name`, or -1 if absent. */
int lt_table_col_index(const lt_table *t, const char *name);
/* Like lt_table_col_index but sets an LT_ENOTFOUND message listing the columns. */
int lt_table_require(const lt_table *t, const char *name);

/* Numeric column data (nrows values, NaN = missing); NULL if the column is categorical. */
const double *lt_table_num(const lt_table *t, int j);
/* Categorical codes (nrows values, -1 = missing); NULL if the column is numeric. */
const int32_t *lt_table_cat(const lt_table *t, int j);
int lt_table_cat_nlevels(const lt_table *t, int j);
const char *lt_table_cat_level(const lt_table *t, int j, int k);
/* Code of `level` in categorical column j, or -1. */
int lt_table_cat_find(const lt_table *t, int j, const char *level);

/* Append a column (copied). The first column fixes nrows; later ones must
 * match. Duplicate names are an error. */
int lt_table_add_num(lt_table *t, const char *name, const double *v, int64_t n);
/* strings[i] == NULL means missing. Levels are numbered in first-seen order. */
int lt_table_add_cat(lt_table *t, const char *name, const char *const *strings, int64_t n);
/* Categorical column from codes and a level list (copied). */
int lt_table_add_cat_codes(lt_table *t, const char *name, const int32_t *codes, int64_t n,
                           const char *const *levels, int nlevels);

/* New tables; NULL on error with message (e.g. unknown column). */
lt_table *lt_table_select(const lt_table *t, const char *const *names, int k);
lt_table *lt_table_drop(const lt_table *t, const char *const *names, int k);
lt_table *lt_table_take(const lt_table *t, const int64_t *rows, int64_t n);

/* Integer codes of column j for rows (NULL = all, n values) for grouping
 * and stratifying: categorical codes as they are, numbers numbered by
 * ascending value; a missing cell gets one extra code after all others. */
int lt_table_col_codes(const lt_table *t, int j, const int64_t *rows, int64_t n, int64_t *codes);
/* An ordering key per row (all rows) for time splits: the number itself, or
 * for text (ISO 8601 timestamps) the rank of the text in sorted order;
 * missing cells sort first. */
int lt_table_col_order(const lt_table *t, int j, double *key);

/* Numeric columns `cols` (all must be numeric) into a row-major float
 * matrix out (nrows x k). */
int lt_table_to_matrix(const lt_table *t, const int *cols, int k, float *out);
/* Value of cell (i, j) as text (numbers with %.17g trimmed, "" if missing)
 * into buf; returns buf. */
const char *lt_table_cell_str(const lt_table *t, int64_t i, int j, char *buf, size_t cap);

/* ---- CSV ------------------------------------------------------------------ */

typedef struct lt_csv_options {
    char delimiter;          /* 0 = auto: ',', ';', '\t', or runs of spaces (' ') */
    int header;              /* 1 (default): first row names the columns; 0: col1..colN */
    int64_t max_rows;        /* 0 = all */
    size_t max_field;        /* longest field accepted, bytes (default 65536) */
    /* Columns that must be numeric: a value that is not a number nor a
     * missing marker is an LT_ETYPE error with file:line:column. */
    const char *const *num_cols;
    int n_num_cols;
    /* Columns read as categorical even if every value is a number. */
    const char *const *cat_cols;
    int n_cat_cols;
} lt_csv_options;

lt_csv_options lt_csv_options_default(void);

/* Read a CSV file (RFC 4180 quoting; gzip detected by its magic bytes; UTF-8
 * BOM skipped; CRLF or LF; "" / NA / NaN / N/A / null / ? are missing).
 * `path` "-" reads stdin. Column types are inferred: numeric when every
 * non-missing value parses as a number. A column that is mostly numbers with
 * a few text cells is an LT_ETYPE error naming the first bad cell.
 * Errors name `path:line:column`. */
int lt_csv_read(const char *path, const lt_csv_options *opt, lt_table **out);
/* Same from memory; `name` is used in messages. */
int lt_csv_read_mem(const char *buf, size_t len, const char *name, const lt_csv_options *opt,
                    lt_table **out);
/* Write with a header, comma-delimited, quoting where needed; atomic. */
int lt_csv_write(const char *path, const lt_table *t);

#ifdef __cplusplus
}
#endif
#endif
