/* CSV reader. The whole input is one mutable buffer b[0..n] with b[n] = '\0'
 * (NUL bytes inside are rejected first, so '\0' marks the end and the inner
 * loops need no bounds checks). The tokenizer (csv_tok.c) unescapes quoted
 * fields in place, NUL-terminates every field and records its offset
 * (row-major, off[rec * ncols + col]). It runs a chunk of records at a time,
 * and each chunk is typed and converted column by column while its bytes
 * are still in cache: the input streams through memory once. No malloc per
 * field. Large inputs without quotes are cut into pieces parsed this way on
 * several threads and joined (see csv_par).
 *
 * Type inference is optimistic: a column is numeric until its first cell
 * that is neither a number nor a missing marker; from then on it is interned
 * as categorical (its earlier cells re-read through the kept offsets). All
 * errors are reported as if the file had been tokenized first and typed
 * after: tokenizer errors, then empty input, names and options, and last the
 * type error of the first bad cell in file order. */
#include "csv_impl.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of input per conversion chunk: small enough that the chunk's text
 * and offsets stay in L2 between tokenizing and converting. */
#define CSV_CHUNK_BYTES (128 << 10)

/* Inputs from this size up are parsed in pieces on all threads. On this
 * 2-vCPU machine two threads run at ~0.65x speed each, and a 2 MB file was
 * still faster on one; 3.5 MB (C-MAPSS) gained ~10%, 14 MB ~15%. */
#define CSV_PAR_BYTES (3 << 20)
#define CSV_MAX_THREADS 16
/* The threads' speeds differ (and vary with the host's load): several
 * pieces per thread, handed out in turn, keep them all busy to the end. */
#define CSV_PIECES_PER_THREAD 4
#define CSV_MAX_PIECES (CSV_MAX_THREADS * CSV_PIECES_PER_THREAD)

lt_csv_options lt_csv_options_default(void)
{
    lt_csv_options o;
    memset(&o, 0, sizeof o);
    o.header = 1;
    o.max_field = 65536;
    return o;
}

/* ---- values ---------------------------------------------------------------------- */

static int ieq(const char *a, const char *lower)
{
    for (; *lower; a++, lower++)
        if ((*a | 0x20) != *lower)
            return 0;
    return *a == '\0';
}

/* Semicolon-separated files are how European spreadsheets export, with a
 * decimal comma: "1,5" is 1.5 there. A copy with the one comma made a point
 * is parsed; the field itself stays as written, in case the column turns
 * out to be text. */
static int csv_decimal_comma(const csv_ctx *c, const char *s, double *out)
{
    if (c->delim != ';')
        return 0;
    const char *comma = strchr(s, ',');
    size_t len = strlen(s);
    if (!comma || strchr(comma + 1, ',') || strchr(s, '.') || len >= 64)
        return 0;
    char tmp[64 + CSV_PAD]; /* padded like the input buffer, for csv_parse_num */
    memcpy(tmp, s, len);
    memset(tmp + len, 0, CSV_PAD);
    tmp[comma - s] = '.';
    return csv_parse_num(tmp, out);
}

/* "", NA, NaN, N/A, null, ?, #N/A (case-insensitive). */
static inline int csv_is_missing(const char *s)
{
    switch (s[0]) {
    case '\0': return 1;
    case '?': return s[1] == '\0';
    case '#': return ieq(s + 1, "n/a");
    case 'n': case 'N': return ieq(s, "na") || ieq(s, "nan") || ieq(s, "n/a") || ieq(s, "null");
    default: return 0;
    }
}

/* ---- names and options ----------------------------------------------------------- */

static int csv_list_columns(const csv_ctx *c, char **names, char *list, size_t cap)
{
    size_t used = 0;
    list[0] = '\0';
    for (int j = 0; j < c->ncols; j++) {
        if (used + strlen(names[j]) + 8 >= cap) {
            snprintf(list + used, cap - used, ", ...");
            break;
        }
        used += (size_t)snprintf(list + used, cap - used, "%s%s", j ? ", " : "", names[j]);
    }
    return 0;
}

static int csv_resolve(const csv_ctx *c, char **names, const char *const *want, int nwant,
                       unsigned char *mark, unsigned char bit)
{
    for (int i = 0; i < nwant; i++) {
        int j = 0;
        while (want[i] && j < c->ncols && strcmp(names[j], want[i]) != 0)
            j++;
        if (!want[i] || j == c->ncols) {
            char list[600];
            csv_list_columns(c, names, list, sizeof list);
            return lt_error(LT_ENOTFOUND, "%s: no column '%s' (needed as a %s column; the file "
                            "has: %s)", c->name, want[i] ? want[i] : "(null)",
                            bit == 1 ? "numeric" : "categorical", list);
        }
        if (mark[j] && mark[j] != bit)
            return lt_error(LT_EINVAL, "%s: column '%s' is listed in both num_cols and cat_cols",
                            c->name, names[j]);
        mark[j] = bit;
    }
    return LT_OK;
}

/* Column names from the header record (empty -> colN), or col1..colN. */
static int csv_names(const csv_ctx *c, int header, char ***out)
{
    char **names = lt_calloc((size_t)c->ncols, sizeof *names);
    if (!names)
        return LT_ENOMEM;
    *out = names;
    for (int j = 0; j < c->ncols; j++) {
        const char *h = header ? c->b + csv_off(c, (size_t)j) : "";
        char tmp[32];
        if (!*h) {
            snprintf(tmp, sizeof tmp, "col%d", j + 1);
            h = tmp;
        }
        if (!(names[j] = lt_strdup(h)))
            return LT_ENOMEM;
    }
    lt_strmap m;
    if (lt_strmap_init(&m, c->ncols) != LT_OK)
        return LT_ENOMEM;
    for (int j = 0; j < c->ncols; j++) {
        int32_t k = lt_strmap_put(&m, names[j], strlen(names[j]));
        if (k >= 0 && k != j) {
            double v;
            lt_error(LT_EFORMAT, "%s:%lld: duplicate column name '%s' (columns %d and %d)%s",
                     c->name, (long long)c->cline0, names[j], k + 1, j + 1,
                     csv_parse_num_slow(names[j], &v) ? " (the first row looks like data: read the "
                                                   "file without a header row)" : "");
            k = LT_EFORMAT;
        }
        if (k < 0) {
            lt_strmap_free(&m);
            return k;
        }
    }
    lt_strmap_free(&m);
    return LT_OK;
}

/* ---- columns ---------------------------------------------------------------------- */

enum { COL_CAND = 0, COL_FAILED = 1, COL_FORCE_CAT = 2, COL_DEAD = 3 };

/* One column while the file streams in. A candidate fills num; a failed or
 * forced-categorical column fills codes through its level map; a column
 * listed in num_cols that failed is dead (its error is certain). nnum and
 * ntext count number and text cells, for the "mostly numbers" rule. */
typedef struct csv_col {
    unsigned char state, mark;
    double *num;
    int32_t *codes;
    csv_levels lv;
    int64_t nnum, ntext;
    int64_t bad, bad_line; /* first cell that is not a number: data row, line */
    const char *bad_s;     /* and its text */
} csv_col;

typedef struct csv_build {
    csv_ctx *c;
    const char *start; /* first byte of record 0 */
    const char *end;   /* end of the bytes whose rows the arrays are sized for */
    int hdr, ncols;
    csv_col *col;
    int64_t cap;       /* rows of room in every num / codes array */
    int sized;         /* level maps of id-like columns pre-sized */
} csv_build;

static void cols_free(csv_build *B)
{
    if (!B->col)
        return;
    for (int j = 0; j < B->ncols; j++) {
        free(B->col[j].num);
        free(B->col[j].codes);
        csv_levels_free(&B->col[j].lv);
    }
    free(B->col);
    B->col = NULL;
}

/* Expected number of data rows, from the average record length so far. */
static int64_t rows_estimate(const csv_build *B)
{
    const csv_ctx *c = B->c;
    double used = (double)(c->pos - B->start), left = (double)(B->end - c->pos);
    double est = (double)c->nrec + (used > 0 ? left / (used / (double)c->nrec) : 0.0);
    est = est * 1.02 + 64;
    if (c->max_recs && est > (double)c->max_recs)
        est = (double)c->max_recs;
    if (est > 9e15)
        est = 9e15;
    return (int64_t)est - B->hdr;
}

/* Room for `need` rows in every column array (and offsets to match). */
static int cols_reserve(csv_build *B, int64_t need)
{
    if (need <= B->cap)
        return LT_OK;
    int64_t cap = rows_estimate(B);
    if (cap < B->cap + B->cap / 2)
        cap = B->cap + B->cap / 2;
    if (cap < need)
        cap = need;
    if (!B->cap) {
        double recs = ((double)cap + B->hdr) * B->ncols;
        if (recs < 1e12 && csv_reserve_offsets(B->c, (size_t)recs) != LT_OK)
            return LT_ENOMEM;
    }
    for (int j = 0; j < B->ncols; j++) {
        csv_col *k = &B->col[j];
        if (k->state == COL_CAND) {
            double *v = k->num ? realloc(k->num, (size_t)cap * sizeof *v)
                               : lt_csv_big_alloc((size_t)cap * sizeof *v);
            if (!v)
                return lt_error(LT_ENOMEM, "%s: out of memory storing values", B->c->name);
            k->num = v;
        } else if (k->state != COL_DEAD) {
            int32_t *v = k->codes ? realloc(k->codes, (size_t)cap * sizeof *v)
                                  : lt_csv_big_alloc((size_t)cap * sizeof *v);
            if (!v)
                return lt_error(LT_ENOMEM, "%s: out of memory storing values", B->c->name);
            k->codes = v;
        }
    }
    B->cap = cap;
    return LT_OK;
}

/* Whether a cell counts as a number for the "mostly numbers" rule. Text
 * that cannot start a number (nor, with ';', a decimal-comma one) is
 * turned away on its first byte. */
static inline int csv_cell_is_num(const csv_ctx *c, const char *s)
{
    unsigned char c0 = (unsigned char)s[0];
    if (c->delim != ';' && (unsigned)(c0 - '0') >= 10 && c0 != '-' && c0 != '+' && c0 != '.' &&
        (c0 | 0x20) != 'i')
        return 0;
    double v;
    return csv_parse_num(s, &v) || csv_decimal_comma(c, s, &v);
}

/* Text of cell i of a column whose offsets start at o32 / o64 (stride
 * ncols), `wide` a constant in the specialised loops. */
static inline __attribute__((always_inline)) const char *
cell_at(const char *b, const uint32_t *o32, const uint64_t *o64, size_t i, const int wide)
{
    return b + (wide ? (size_t)o64[i] : (size_t)o32[i]);
}

/* Interns records [r0, r1) of column j; counting numbers and text too when
 * `count` (a failed column, for the "mostly numbers" rule). In batches: hash
 * a batch and prefetch each key's slot, then probe. A column of ids misses
 * the cache on nearly every probe; this way the misses overlap. */
static inline __attribute__((always_inline)) int
col_intern_v(csv_build *B, int j, int64_t r0, int64_t r1, int count, const int wide)
{
    enum { BATCH = 32 };
    const csv_ctx *c = B->c;
    csv_col *k = &B->col[j];
    const char *const b = c->b;
    const uint32_t *const o32 = wide ? NULL : c->off32 + j;
    const uint64_t *const o64 = wide ? c->off64 + j : NULL;
    const size_t nc = (size_t)B->ncols;
    int32_t *codes = k->codes - B->hdr;
    const char *str[BATCH];
    uint64_t hash[BATCH];
    size_t len[BATCH];
    for (int64_t r = r0; r < r1; r += BATCH) {
        const int nb = r1 - r < BATCH ? (int)(r1 - r) : BATCH;
        for (int i = 0; i < nb; i++) {
            const char *s = cell_at(b, o32, o64, (size_t)(r + i) * nc, wide);
            str[i] = s;
            if (csv_is_missing(s)) {
                str[i] = NULL;
                continue;
            }
            if (count) {
                if (csv_cell_is_num(c, s))
                    k->nnum++;
                else
                    k->ntext++;
            }
            hash[i] = csv_hash_field(s, &len[i]);
            csv_levels_prefetch(&k->lv, hash[i]);
        }
        for (int i = 0; i < nb; i++) {
            int32_t code = -1;
            if (str[i] && (code = csv_levels_put_h(&k->lv, str[i], len[i], hash[i])) < 0)
                return code;
            codes[r + i] = code;
        }
    }
    return LT_OK;
}

static int col_intern(csv_build *B, int j, int64_t r0, int64_t r1, int count)
{
    if (B->c->wide)
        return count ? col_intern_v(B, j, r0, r1, 1, 1) : col_intern_v(B, j, r0, r1, 0, 1);
    return count ? col_intern_v(B, j, r0, r1, 1, 0) : col_intern_v(B, j, r0, r1, 0, 0);
}

/* Numbers of records [r0, r1) of candidate column j, up to its first text
 * cell; returns that record, or r1. */
static inline __attribute__((always_inline)) int64_t
col_numbers_v(csv_build *B, int j, int64_t r0, int64_t r1, const int wide)
{
    const csv_ctx *c = B->c;
    csv_col *k = &B->col[j];
    const char *const b = c->b;
    const uint32_t *const o32 = wide ? NULL : c->off32 + j;
    const uint64_t *const o64 = wide ? c->off64 + j : NULL;
    const size_t nc = (size_t)B->ncols;
    double *num = k->num - B->hdr;
    int64_t nnum = 0, r;
    for (r = r0; r < r1; r++) {
        const char *s = cell_at(b, o32, o64, (size_t)r * nc, wide);
        if (csv_parse_num(s, &num[r])) {
            nnum++;
            continue;
        }
        if (csv_decimal_comma(c, s, &num[r]))
            nnum++;
        else if (csv_is_missing(s))
            num[r] = NAN;
        else
            break;
    }
    k->nnum += nnum;
    return r;
}

/* Candidate column k met its first text cell: data row `bad`, file line
 * `line`, text s. Its numbers go; a column that must be numeric (mark 1)
 * dies (cols_type_error reports that cell), any other turns categorical
 * with codes for cap rows and an empty level map. */
static int col_to_text(csv_col *k, int64_t bad, int64_t line, const char *s, int64_t cap)
{
    k->bad = bad;
    k->bad_line = line;
    k->bad_s = s;
    free(k->num);
    k->num = NULL;
    if (k->mark == 1) {
        k->state = COL_DEAD;
        return LT_OK;
    }
    k->state = COL_FAILED;
    if (!(k->codes = lt_csv_big_alloc((size_t)(cap ? cap : 1) * sizeof *k->codes)) ||
        csv_levels_init(&k->lv, 64) != LT_OK)
        return LT_ENOMEM;
    return LT_OK;
}

/* Numbers of candidate column j; at its first text cell the column turns
 * categorical (or dead) and the rest of the chunk is interned. */
static int col_numbers(csv_build *B, int j, int64_t r0, int64_t r1)
{
    const csv_ctx *c = B->c;
    csv_col *k = &B->col[j];
    int64_t r = c->wide ? col_numbers_v(B, j, r0, r1, 1) : col_numbers_v(B, j, r0, r1, 0);
    if (r == r1)
        return LT_OK;
    /* Record r holds the column's first text cell. */
    if (col_to_text(k, r - B->hdr, c->cline[r - c->chunk0],
                    c->b + csv_off(c, (size_t)r * (size_t)B->ncols + (size_t)j), B->cap) != LT_OK)
        return LT_ENOMEM;
    if (k->state == COL_DEAD)
        return LT_OK;
    /* Earlier cells are numbers or missing (counted already), in order. */
    int rc = col_intern(B, j, B->hdr, r, 0);
    return rc != LT_OK ? rc : col_intern(B, j, r, r1, 1);
}

/* Converts records [r0, r1) (all data rows) column by column. */
static int cols_convert(csv_build *B, int64_t r0, int64_t r1)
{
    int rc = cols_reserve(B, r1 - B->hdr);
    for (int j = 0; j < B->ncols && rc == LT_OK; j++) {
        switch (B->col[j].state) {
        case COL_CAND: rc = col_numbers(B, j, r0, r1); break;
        case COL_FAILED: rc = col_intern(B, j, r0, r1, 1); break;
        case COL_FORCE_CAT: rc = col_intern(B, j, r0, r1, 0); break;
        default: break;
        }
    }
    if (rc != LT_OK || B->sized)
        return rc;
    /* After the first chunk: a column whose values were nearly all new is an
     * id; size its map for the whole file now instead of doubling 12 times. */
    B->sized = 1;
    for (int j = 0; j < B->ncols; j++) {
        csv_col *k = &B->col[j];
        if ((k->state == COL_FAILED || k->state == COL_FORCE_CAT) && r1 - r0 >= 64 &&
            k->lv.n > (r1 - r0) / 2 && csv_levels_reserve(&k->lv, B->cap) != LT_OK)
            return LT_ENOMEM;
    }
    return LT_OK;
}

/* The first bad cell in file order among the columns that must be numeric,
 * as an error; LT_OK if there is none. */
static int cols_type_error(const csv_build *B, char **names, int header)
{
    const csv_ctx *c = B->c;
    int err_col = -1;
    for (int j = 0; j < B->ncols; j++) {
        const csv_col *k = &B->col[j];
        if (k->state != COL_FAILED && k->state != COL_DEAD)
            continue;
        int must = k->mark == 1 || (double)k->nnum >= 0.9 * (double)(k->nnum + k->ntext);
        if (must && (err_col < 0 || k->bad < B->col[err_col].bad))
            err_col = j;
    }
    if (err_col < 0)
        return LT_OK;
    const csv_col *k = &B->col[err_col];
    int64_t r = k->bad;
    const char *s = k->bad_s;
    return lt_error(LT_ETYPE, "%s:%lld:%d: column '%s': expected a number, got '%.40s%s'%s",
                    c->name, (long long)k->bad_line, err_col + 1, names[err_col], s,
                    strlen(s) > 40 ? "..." : "",
                    !header && r == 0 ? " (the first row looks like a header row)" : "");
}

/* Hands the converted columns to a new table. */
static int cols_table(csv_build *B, char **names, int64_t nrows, lt_table **out)
{
    lt_table *t = lt_table_new();
    if (!t)
        return LT_ENOMEM;
    int rc = LT_OK;
    for (int j = 0; j < B->ncols && rc == LT_OK; j++) {
        csv_col *k = &B->col[j];
        char *nm = names[j];
        names[j] = NULL;
        if (k->state == COL_CAND) {
            double *v = k->num;
            if (B->cap > nrows && !(v = realloc(k->num, (size_t)nrows * sizeof *v)))
                v = k->num;
            k->num = NULL;
            rc = lt_table_adopt_num(t, nm, v, nrows);
            continue;
        }
        int32_t *codes = k->codes;
        if (B->cap > nrows && !(codes = realloc(k->codes, (size_t)nrows * sizeof *codes)))
            codes = k->codes;
        k->codes = NULL;
        const csv_levels *m = &k->lv;
        char **levels = lt_malloc((size_t)(m->n ? m->n : 1) * sizeof *levels);
        char *pool = lt_malloc(m->pool_len ? m->pool_len : 1);
        if (!levels || !pool) {
            free(levels);
            free(pool);
            free(codes);
            free(nm);
            rc = LT_ENOMEM;
            break;
        }
        char *p = pool;
        for (int32_t l = 0; l < m->n; l++) {
            memcpy(p, m->key[l], m->len[l]);
            p[m->len[l]] = '\0';
            levels[l] = p;
            p += m->len[l] + 1;
        }
        rc = lt_table_adopt_cat(t, nm, codes, nrows, levels, pool, m->n);
    }
    if (rc != LT_OK) {
        lt_table_free(t);
        return rc;
    }
    *out = t;
    return LT_OK;
}

/* Tokenizes the records from c->pos to the end, converting them a chunk at
 * a time (nothing is converted while a name or option error is pending). */
static int csv_run(csv_build *B, int64_t chunk, int pending)
{
    csv_ctx *c = B->c;
    int rc;
    for (int64_t conv = B->hdr;;) {
        if (!c->done) {
            c->chunk0 = conv;
            if ((rc = csv_tokenize(c, conv + chunk)) != LT_OK)
                return rc;
        }
        if (!pending && c->nrec > conv && (rc = cols_convert(B, conv, c->nrec)) != LT_OK)
            return rc;
        conv = c->nrec;
        if (c->done)
            return LT_OK;
    }
}

/* ---- parallel parse ------------------------------------------------------------------ */

/* A large input without quotes is cut at '\n' bytes into pieces (without
 * quotes every '\n' ends a record). Each piece is tokenized
 * and converted like a whole file, into its own offsets and columns, with
 * lines counted from its start; then the pieces' columns are appended to the
 * first's in file order, with the same types, level order, counts and
 * first bad cell as one pass over the file would give. */

typedef struct csv_piece {
    csv_ctx c;          /* pieces after the first; the first is the caller's */
    csv_build B;
    int rc;
    int crlf;           /* the '\n' before the piece ended a "\r\n" */
    int64_t line0;      /* file line of the piece's line 1 */
    int64_t row0;       /* data rows before the piece */
    char msg[1024];     /* its error message (raised on the calling thread) */
} csv_piece;

/* Threads to parse with: LATHE_CSV_THREADS if set (tests force the parallel
 * path on small inputs with it; 1 forces one pass), else all from
 * CSV_PAR_BYTES up. */
static int csv_threads_wanted(size_t bytes)
{
    const char *env = getenv("LATHE_CSV_THREADS");
    long k;
    if (env && *env)
        k = strtol(env, NULL, 10);
    else if (bytes < CSV_PAR_BYTES || omp_in_parallel())
        k = 1;
    else
        k = omp_get_max_threads();
    return k < 1 ? 1 : k > CSV_MAX_THREADS ? CSV_MAX_THREADS : (int)k;
}

static int cols_init(csv_build *B, const unsigned char *mark)
{
    if (!(B->col = lt_calloc((size_t)B->ncols, sizeof *B->col)))
        return LT_ENOMEM;
    for (int j = 0; j < B->ncols; j++) {
        B->col[j].mark = mark[j];
        B->col[j].state = mark[j] == 2 ? COL_FORCE_CAT : COL_CAND;
        if (mark[j] == 2 && csv_levels_init(&B->col[j].lv, 64) != LT_OK)
            return LT_ENOMEM;
    }
    return LT_OK;
}

/* Interns all rows of column j of piece Q into K's map and codes from row
 * r0 on (K is another build's column). */
static int col_intern_into(csv_build *Q, int j, csv_col *K, int64_t r0)
{
    csv_col *q = &Q->col[j], save = *q;
    q->lv = K->lv;
    q->codes = K->codes + r0;
    int rc = col_intern(Q, j, Q->hdr, Q->c->nrec, 0);
    K->lv = q->lv;
    *q = save;
    return rc;
}

/* Appends column j of piece i to column j of the first piece (A), whose
 * arrays have room for every row. */
static int col_merge(csv_build *A, csv_piece *P, int i, int j)
{
    csv_col *K = &A->col[j], *q = &P[i].B.col[j];
    const int64_t rows = P[i].c.nrec, r0 = P[i].row0;
    if (K->state == COL_DEAD)
        return LT_OK;
    if (q->state == COL_DEAD || (q->state == COL_FAILED && K->state == COL_CAND)) {
        /* The column's first text cell is in this piece (a piece's column
         * dies exactly where the whole one would: both have its mark). */
        if (col_to_text(K, q->bad + r0, q->bad_line - 1 + P[i].line0, q->bad_s, A->cap) != LT_OK)
            return LT_ENOMEM;
        if (K->state == COL_DEAD)
            return LT_OK;
        /* Earlier pieces' cells are numbers or missing (counted already). */
        int rc = col_intern(A, j, A->hdr, A->c->nrec, 0);
        for (int p = 1; p < i && rc == LT_OK; p++)
            rc = col_intern_into(&P[p].B, j, K, P[p].row0);
        if (rc != LT_OK)
            return rc;
    }
    K->nnum += q->nnum;
    K->ntext += q->ntext;
    if (rows == 0)
        return LT_OK;
    if (K->state == COL_CAND) {
        memcpy(K->num + r0, q->num, (size_t)rows * sizeof *q->num);
        return LT_OK;
    }
    if (q->state == COL_CAND)
        return col_intern_into(&P[i].B, j, K, r0);
    /* Both interned: the piece's levels join K's in their order of first
     * appearance, and its codes are renumbered. */
    enum { BATCH = 32 };
    const int32_t nl = q->lv.n;
    int32_t *map = lt_malloc((size_t)(nl ? nl : 1) * sizeof *map);
    if (!map || csv_levels_reserve(&K->lv, (int64_t)K->lv.n + nl) != LT_OK) {
        free(map);
        return LT_ENOMEM;
    }
    /* In batches with prefetched slots, as in col_intern_v: for a column
     * of ids nearly every probe misses the cache. */
    uint64_t hash[BATCH];
    for (int32_t l0 = 0; l0 < nl; l0 += BATCH) {
        const int nb = nl - l0 < BATCH ? nl - l0 : BATCH;
        for (int t = 0; t < nb; t++) {
            size_t len;
            hash[t] = csv_hash_field(q->lv.key[l0 + t], &len);
            csv_levels_prefetch(&K->lv, hash[t]);
        }
        for (int t = 0; t < nb; t++) {
            const int32_t l = l0 + t;
            if ((map[l] = csv_levels_put_h(&K->lv, q->lv.key[l], q->lv.len[l], hash[t])) < 0) {
                int rc = map[l];
                free(map);
                return rc;
            }
        }
    }
    int32_t *dst = K->codes + r0;
    const int32_t *src = q->codes;
    for (int64_t r = 0; r < rows; r++)
        dst[r] = src[r] < 0 ? -1 : map[src[r]];
    free(map);
    return LT_OK;
}

/* Piece q of the file from st to e (e: the next piece's start or the end
 * of the input), parsed with c's settings: its context, columns, and its
 * first records. LT_ENOMEM only for its own buffers; a parse error of
 * those records goes to q->rc (and q->msg), as csv_par expects. */
static int piece_init(csv_piece *q, const csv_ctx *c, char *st, char *e, int64_t chunk,
                      const unsigned char *mark)
{
    csv_ctx *ci = &q->c;
    ci->name = c->name;
    ci->b = c->b;
    ci->n = c->n;
    ci->delim = c->delim;
    ci->ws = c->ws;
    ci->max_field = c->max_field;
    memcpy(ci->stop, c->stop, sizeof ci->stop);
    ci->wide = c->wide;
    ci->ncols = c->ncols;
    ci->pos = st;
    ci->line = 1;
    ci->defer = 1;
    ci->lim = e < c->b + c->n ? (size_t)(e - c->b) : c->n + CSV_PAD;
    ci->cline_cap = chunk + 1;
    csv_build *B = &q->B;
    B->c = ci;
    B->start = st;
    B->end = e;
    B->ncols = c->ncols;
    if (!(ci->cline = lt_malloc((size_t)ci->cline_cap * sizeof *ci->cline)) ||
        cols_init(B, mark) != LT_OK)
        return LT_ENOMEM;
    /* A few records on this thread: the previous piece's last fields are
     * read a word at a time up to 7 bytes past their end, so the bytes
     * written there go first (32 records are >= 64 bytes); and they size the
     * piece's offsets and arrays, allocated here because another thread's
     * malloc arena gives its pages back on free and faults them in again on
     * every parse. */
    q->rc = csv_tokenize(ci, 32);
    if (q->rc == LT_OK && ci->nrec > 0)
        q->rc = cols_reserve(B, ci->nrec);
    if (q->rc != LT_OK && !ci->err_rc)
        snprintf(q->msg, sizeof q->msg, "%s", lt_last_error());
    return LT_OK;
}

/* Parses from c->pos (after the first record) on nt threads, in pieces,
 * into A's columns; *nrec gets the records of the whole file. Sets *taken = 0
 * and touches nothing if the input cannot be cut (quotes, too few lines):
 * the caller parses it in one piece. */
static int csv_par(csv_build *A, const unsigned char *mark, int64_t chunk, int nt, int *taken,
                   int64_t *nrec)
{
    const int k = nt * CSV_PIECES_PER_THREAD;
    csv_ctx *c = A->c;
    char *const b = c->b, *const p0 = c->pos, *const end = c->b + c->n;
    char *st[CSV_MAX_PIECES]; /* piece starts; st[i][-1] is the '\n' ending piece i - 1 */
    int np = 1;
    *taken = 0;
    st[0] = p0;
    for (int i = 1; i < k; i++) {
        char *t = p0 + (size_t)(end - p0) / (size_t)k * (size_t)i;
        if (t < st[np - 1])
            t = st[np - 1];
        char *nl = memchr(t, '\n', (size_t)(end - t));
        if (!nl || nl + 1 >= end)
            break;
        st[np++] = nl + 1;
    }
    if (np < 2)
        return LT_OK;
    int quoted = 0;
#pragma omp parallel for num_threads(nt) reduction(| : quoted)
    for (int i = 0; i < np; i++) {
        const char *e = i + 1 < np ? st[i + 1] : end;
        quoted |= memchr(st[i], '"', (size_t)(e - st[i])) != NULL;
    }
    if (quoted)
        return LT_OK;
    *taken = 1;
    csv_piece *P = lt_calloc((size_t)np, sizeof *P);
    if (!P)
        return LT_ENOMEM;
    for (int i = 1; i < np; i++) {
        P[i].crlf = st[i][-2] == '\r';
        st[i][-1] = '\0';
    }
    c->lim = (size_t)(st[1] - b);
    int rc = LT_OK;
    for (int i = 1; i < np && rc == LT_OK; i++)
        rc = piece_init(&P[i], c, st[i], i + 1 < np ? st[i + 1] : end, chunk, mark);
    if (rc == LT_OK) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (int i = 0; i < np; i++) {
            csv_piece *q = &P[i];
            if (q->rc != LT_OK)
                continue;
            q->rc = csv_run(i ? &q->B : A, chunk, 0);
            if (q->rc != LT_OK && !(i && q->c.err_rc))
                snprintf(q->msg, sizeof q->msg, "%s", lt_last_error());
        }
        /* The first error in file order; each piece's first line follows
         * from the previous one's count, which is whole if it had none. */
        int64_t rows = c->nrec - A->hdr, line = c->line;
        for (int i = 0; i < np && rc == LT_OK; i++) {
            csv_piece *q = &P[i];
            if (i) {
                q->line0 = line + (q->crlf ? 0 : 1);
                q->row0 = rows;
                rows += q->c.nrec;
                line = q->c.line - 1 + q->line0;
            }
            if (q->rc == LT_OK)
                continue;
            if (i && q->c.err_rc)
                rc = lt_error(q->rc, "%s:%lld%s", c->name,
                              (long long)(q->c.err_line - 1 + q->line0), q->c.err_rest);
            else
                rc = lt_error(q->rc, "%s", q->msg);
        }
        *nrec = rows + A->hdr;
        if (rc == LT_OK)
            rc = cols_reserve(A, rows);
    }
    if (rc == LT_OK) {
        int err = LT_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
        for (int j = 0; j < A->ncols; j++) {
            int r = LT_OK;
            for (int i = 1; i < np && r == LT_OK; i++)
                r = col_merge(A, P, i, j);
            if (r != LT_OK) {
#pragma omp critical(csv_merge_error)
                if (err == LT_OK) { /* out of memory or too many levels: one of them */
                    err = r;
                    snprintf(P[0].msg, sizeof P[0].msg, "%s", lt_last_error());
                }
            }
        }
        rc = err == LT_OK ? LT_OK : lt_error(err, "%s", P[0].msg);
    }
    for (int i = 1; i < np; i++) {
        cols_free(&P[i].B);
        free(P[i].c.off32);
        free(P[i].c.off64);
        free(P[i].c.cline);
    }
    free(P);
    return rc;
}

/* Tokenizes and converts the whole input into *out. */
static int csv_stream(csv_ctx *c, const lt_csv_options *opt, lt_table **out)
{
    csv_build B;
    memset(&B, 0, sizeof B);
    B.c = c;
    B.start = c->pos;
    B.end = c->b + c->n;
    B.hdr = opt->header ? 1 : 0;
    char **names = NULL;
    unsigned char *mark = NULL;
    int64_t line0 = 0;
    c->cline = &line0;
    c->cline_cap = 1;
    int rc = csv_tokenize(c, 1);
    c->cline = NULL;
    if (rc != LT_OK)
        goto done;
    if (c->nrec == 0) {
        rc = lt_error(LT_EFORMAT, "%s: empty file (expected a header row and data rows)",
                      c->name);
        goto done;
    }
    c->cline0 = line0;
    const int ncols = B.ncols = c->ncols;
    /* Chunks of about CSV_CHUNK_BYTES, judged by the first record. */
    size_t rec_bytes = (size_t)(c->pos - B.start) + 1;
    int64_t chunk = (int64_t)(CSV_CHUNK_BYTES / rec_bytes);
    if ((int64_t)ncols * chunk > (1 << 20))
        chunk = (1 << 20) / ncols;
    chunk = chunk < 64 ? 64 : chunk > 8192 ? 8192 : chunk;
    c->cline_cap = chunk + 1;
    mark = lt_calloc((size_t)ncols, 1);
    if (!(c->cline = lt_malloc((size_t)c->cline_cap * sizeof *c->cline)) || !mark) {
        rc = LT_ENOMEM;
        goto done;
    }
    c->cline[0] = line0;
    /* A bad name or option is reported only after the tokenizer has had its
     * say (as if the whole file were read first); meanwhile nothing is
     * converted. */
    int pending = csv_names(c, opt->header, &names) != LT_OK ||
                  csv_resolve(c, names, opt->num_cols, opt->n_num_cols, mark, 1) != LT_OK ||
                  csv_resolve(c, names, opt->cat_cols, opt->n_cat_cols, mark, 2) != LT_OK;
    if ((rc = cols_init(&B, mark)) != LT_OK)
        goto done;
    int64_t nrec = 0;
    int taken = 0;
    /* max_rows stops the tokenizer at a count that only one pass knows. */
    const int nt = pending || c->max_recs || c->done ? 1
                   : csv_threads_wanted((size_t)(c->b + c->n - c->pos));
    if (nt > 1)
        rc = csv_par(&B, mark, chunk, nt, &taken, &nrec);
    if (!taken) {
        rc = csv_run(&B, chunk, pending);
        nrec = c->nrec;
    }
    if (rc != LT_OK)
        goto done;
    if (opt->header && nrec == 1) {
        rc = lt_error(LT_EFORMAT, "%s:%lld: no data rows (only a header)", c->name,
                      (long long)c->cline0 + 1);
        goto done;
    }
    if (pending) {
        /* Again, now for the message. */
        if (names)
            for (int j = 0; j < ncols; j++)
                free(names[j]);
        free(names);
        names = NULL;
        memset(mark, 0, (size_t)ncols);
        if ((rc = csv_names(c, opt->header, &names)) == LT_OK &&
            (rc = csv_resolve(c, names, opt->num_cols, opt->n_num_cols, mark, 1)) == LT_OK)
            rc = csv_resolve(c, names, opt->cat_cols, opt->n_cat_cols, mark, 2);
        if (rc == LT_OK)
            rc = lt_error(LT_EINVAL, "%s: internal error: column names", c->name);
        goto done;
    }
    if ((rc = cols_type_error(&B, names, opt->header)) != LT_OK)
        goto done;
    rc = cols_table(&B, names, nrec - B.hdr, out);
done:
    if (names)
        for (int j = 0; j < c->ncols; j++)
            free(names[j]);
    free(names);
    free(mark);
    free(c->cline);
    c->cline = NULL;
    cols_free(&B);
    return rc;
}

/* ---- entry points ------------------------------------------------------------------ */

static int csv_check_options(const lt_csv_options *o, const char *name)
{
    char d = o->delimiter;
    if (d == '"' || d == '\n' || d == '\r' || (d != 0 && (unsigned char)d < 0x20 && d != '\t'))
        return lt_error(LT_EINVAL, "%s: delimiter 0x%02x is not usable; expected ',', ';', "
                        "'\\t', ' ' or 0 (auto)", name, (unsigned char)d);
    if (o->max_rows < 0)
        return lt_error(LT_EINVAL, "%s: max_rows must be >= 0, got %lld", name,
                        (long long)o->max_rows);
    if (o->n_num_cols < 0 || o->n_cat_cols < 0 || (o->n_num_cols && !o->num_cols) ||
        (o->n_cat_cols && !o->cat_cols))
        return lt_error(LT_EINVAL, "%s: num_cols/cat_cols must be arrays of n_num_cols/"
                        "n_cat_cols names", name);
    return LT_OK;
}

/* Parses the owned buffer b (n bytes, then CSV_PAD zero bytes) and frees it. */
static int csv_parse(char *b, size_t n, const char *name, const lt_csv_options *opt,
                     lt_table **out)
{
    csv_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.b = b;
    c.n = n;
    c.max_field = opt->max_field ? opt->max_field : 65536;
    int rc = LT_OK;
    const char *nul = memchr(b, '\0', n);
    if (n >= 2 && (((unsigned char)b[0] == 0xff && (unsigned char)b[1] == 0xfe) ||
                   ((unsigned char)b[0] == 0xfe && (unsigned char)b[1] == 0xff))) {
        rc = lt_error(LT_EFORMAT, "%s: UTF-16 text is not supported; expected UTF-8", name);
    } else if (nul) {
        int64_t line = 1;
        const char *ls = b;
        for (const char *q = b; q < nul; q++)
            if (*q == '\n') {
                line++;
                ls = q + 1;
            }
        rc = lt_error(LT_EFORMAT, "%s:%lld:%lld: binary data, not text (NUL byte); expected a "
                      "CSV text file", name, (long long)line, (long long)(nul - ls) + 1);
    }
    if (rc == LT_OK) {
        char *p = b;
        if (n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        c.delim = opt->delimiter ? opt->delimiter : csv_sniff(p);
        c.max_recs = opt->max_rows ? opt->max_rows + (opt->header ? 1 : 0) : 0;
        csv_tok_init(&c, p);
        rc = csv_stream(&c, opt, out);
    }
    free(c.off32);
    free(c.off64);
    free(b);
    return rc;
}

int lt_csv_read_mem(const char *buf, size_t len, const char *name, const lt_csv_options *opt,
                    lt_table **out)
{
    lt_csv_options def = lt_csv_options_default();
    if (!out)
        return lt_error(LT_EINVAL, "lt_csv_read_mem: out must not be NULL");
    *out = NULL;
    if (!name)
        name = "<memory>";
    if (!opt)
        opt = &def;
    if (!buf && len)
        return lt_error(LT_EINVAL, "%s: NULL buffer with length %zu", name, len);
    int rc = csv_check_options(opt, name);
    if (rc != LT_OK)
        return rc;
    char *b;
    size_t n;
    if (lt_csv_is_gzip(buf, len)) {
        if ((rc = lt_csv_gunzip((const unsigned char *)buf, len, name, &b, &n)) != LT_OK)
            return rc;
    } else {
        if (!(b = lt_malloc(len + CSV_PAD)))
            return LT_ENOMEM;
        if (len)
            memcpy(b, buf, len);
        memset(b + len, 0, CSV_PAD);
        n = len;
    }
    return csv_parse(b, n, name, opt, out);
}

int lt_csv_read(const char *path, const lt_csv_options *opt, lt_table **out)
{
    lt_csv_options def = lt_csv_options_default();
    if (!out)
        return lt_error(LT_EINVAL, "lt_csv_read: out must not be NULL");
    *out = NULL;
    if (!path)
        return lt_error(LT_EINVAL, "lt_csv_read: path must not be NULL");
    if (!opt)
        opt = &def;
    const int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    int rc = csv_check_options(opt, name);
    if (rc != LT_OK)
        return rc;
    char *raw = NULL, *b;
    size_t n = 0;
    if ((rc = lt_csv_slurp(is_stdin ? "/dev/stdin" : path, &raw, &n)) != LT_OK)
        return rc;
    if (lt_csv_is_gzip(raw, n)) {
        rc = lt_csv_gunzip((const unsigned char *)raw, n, name, &b, &n);
        free(raw);
        if (rc != LT_OK)
            return rc;
    } else {
        b = realloc(raw, n + CSV_PAD);
        if (!b) {
            free(raw);
            return lt_error(LT_ENOMEM, "%s: out of memory", name);
        }
        memset(b + n, 0, CSV_PAD);
    }
    return csv_parse(b, n, name, opt, out);
}
