/* Column tables: numeric columns (double, NaN = missing) and categorical
 * columns (int32 codes, -1 = missing, into a list of level strings that live
 * in one pool block per column). Also the private helpers of table_impl.h. */
#define _GNU_SOURCE /* qsort_r */
#include "table_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lt_col {
    char *name;
    lt_coltype type;
    double *num;       /* LT_COL_NUM: nrows values */
    int32_t *codes;    /* LT_COL_CAT: nrows codes */
    char **levels;     /* LT_COL_CAT: nlevels pointers into pool */
    char *pool;
    int nlevels;
} lt_col;

struct lt_table {
    lt_col *cols;
    int ncols, cap;
    int64_t nrows;
};

/* ---- string map ------------------------------------------------------------ */

uint64_t lt_strhash(const char *s, size_t len)
{
    /* 8 bytes per step, multiply-xorshift mixing: level strings are short,
     * so this beats byte-wise FNV while staying simple. */
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        s += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

int lt_strmap_init(lt_strmap *m, int64_t hint)
{
    memset(m, 0, sizeof *m);
    uint64_t size = 64;
    while ((int64_t)size < 2 * hint && size < (1ULL << 31))
        size <<= 1;
    m->slots = lt_malloc(size * sizeof *m->slots);
    if (!m->slots)
        return LT_ENOMEM;
    memset(m->slots, 0xff, size * sizeof *m->slots);
    m->mask = size - 1;
    return LT_OK;
}

void lt_strmap_free(lt_strmap *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->keys);
    free(m->lens);
    free(m->hashes);
    memset(m, 0, sizeof *m);
}

static int32_t strmap_lookup(const lt_strmap *m, const char *s, size_t len, uint64_t h,
                             uint64_t *slot)
{
    uint64_t i = h & m->mask;
    for (;;) {
        int32_t k = m->slots[i];
        if (k < 0) {
            *slot = i;
            return -1;
        }
        if (m->hashes[k] == h && m->lens[k] == len && memcmp(m->keys[k], s, len) == 0)
            return k;
        i = (i + 1) & m->mask;
    }
}

int32_t lt_strmap_find(const lt_strmap *m, const char *s, size_t len)
{
    uint64_t slot;
    if (!m->slots)
        return -1;
    return strmap_lookup(m, s, len, lt_strhash(s, len), &slot);
}

static int strmap_grow(lt_strmap *m)
{
    uint64_t size = (m->mask + 1) * 2;
    int32_t *slots = lt_malloc(size * sizeof *slots);
    if (!slots)
        return LT_ENOMEM;
    memset(slots, 0xff, size * sizeof *slots);
    for (int32_t k = 0; k < m->n; k++) {
        uint64_t i = m->hashes[k] & (size - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (size - 1);
        slots[i] = k;
    }
    free(m->slots);
    m->slots = slots;
    m->mask = size - 1;
    return LT_OK;
}

int32_t lt_strmap_put(lt_strmap *m, const char *s, size_t len)
{
    uint64_t h = lt_strhash(s, len), slot;
    int32_t k = strmap_lookup(m, s, len, h, &slot);
    if (k >= 0)
        return k;
    if (len > UINT32_MAX || m->n == INT32_MAX)
        return lt_error(LT_ELIMIT, "too many or too long categorical levels");
    if (m->n == m->cap) {
        int32_t cap = m->cap ? (m->cap > INT32_MAX / 2 ? INT32_MAX : m->cap * 2) : 16;
        const char **keys = realloc(m->keys, (size_t)cap * sizeof *keys);
        if (keys)
            m->keys = keys;
        uint32_t *lens = realloc(m->lens, (size_t)cap * sizeof *lens);
        if (lens)
            m->lens = lens;
        uint64_t *hashes = realloc(m->hashes, (size_t)cap * sizeof *hashes);
        if (hashes)
            m->hashes = hashes;
        if (!keys || !lens || !hashes)
            return lt_error(LT_ENOMEM, "out of memory growing a level map");
        m->cap = cap;
    }
    k = m->n++;
    m->keys[k] = s;
    m->lens[k] = (uint32_t)len;
    m->hashes[k] = h;
    m->slots[slot] = k;
    if ((uint64_t)m->n * 2 > m->mask + 1 && strmap_grow(m) != LT_OK) {
        m->n--;
        return LT_ENOMEM;
    }
    return k;
}

/* ---- number formatting ------------------------------------------------------ */

int lt_fmt_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return 0;
    }
    if (isinf(v))
        return snprintf(buf, cap, "%s", v < 0 ? "-inf" : "inf");
    if (v == 0)
        return snprintf(buf, cap, "%s", signbit(v) ? "-0" : "0");
    if (fabs(v) < 1e15 && v == floor(v))
        return snprintf(buf, cap, "%lld", (long long)v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return n;
}

/* ---- table ---------------------------------------------------------------- */

lt_table *lt_table_new(void) { return lt_calloc(1, sizeof(lt_table)); }

static void col_clear(lt_col *c)
{
    free(c->name);
    free(c->num);
    free(c->codes);
    free(c->levels);
    free(c->pool);
    memset(c, 0, sizeof *c);
}

void lt_table_free(lt_table *t)
{
    if (!t)
        return;
    for (int j = 0; j < t->ncols; j++)
        col_clear(&t->cols[j]);
    free(t->cols);
    free(t);
}

int64_t lt_table_nrows(const lt_table *t) { return t ? t->nrows : 0; }
int lt_table_ncols(const lt_table *t) { return t ? t->ncols : 0; }

static const lt_col *col_at(const lt_table *t, int j)
{
    return (t && j >= 0 && j < t->ncols) ? &t->cols[j] : NULL;
}

const char *lt_table_col_name(const lt_table *t, int j)
{
    const lt_col *c = col_at(t, j);
    return c ? c->name : NULL;
}

lt_coltype lt_table_col_type(const lt_table *t, int j)
{
    const lt_col *c = col_at(t, j);
    return c ? c->type : LT_COL_NUM;
}

int lt_table_col_index(const lt_table *t, const char *name)
{
    if (!t || !name)
        return -1;
    for (int j = 0; j < t->ncols; j++)
        if (strcmp(t->cols[j].name, name) == 0)
            return j;
    return -1;
}

int lt_table_require(const lt_table *t, const char *name)
{
    int j = lt_table_col_index(t, name);
    if (j >= 0)
        return j;
    char list[768];
    size_t used = 0;
    list[0] = '\0';
    int ncols = t ? t->ncols : 0;
    for (int k = 0; k < ncols; k++) {
        const char *nm = t->cols[k].name;
        if (used + strlen(nm) + 8 >= sizeof list) {
            snprintf(list + used, sizeof list - used, "%s...", k ? ", " : "");
            break;
        }
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", nm);
    }
    lt_error(LT_ENOTFOUND, "no column '%s' (columns: %s)", name ? name : "(null)",
             ncols ? list : "none");
    return LT_ENOTFOUND;
}

const double *lt_table_num(const lt_table *t, int j)
{
    const lt_col *c = col_at(t, j);
    return c && c->type == LT_COL_NUM ? c->num : NULL;
}

const int32_t *lt_table_cat(const lt_table *t, int j)
{
    const lt_col *c = col_at(t, j);
    return c && c->type == LT_COL_CAT ? c->codes : NULL;
}

int lt_table_cat_nlevels(const lt_table *t, int j)
{
    const lt_col *c = col_at(t, j);
    return c && c->type == LT_COL_CAT ? c->nlevels : 0;
}

const char *lt_table_cat_level(const lt_table *t, int j, int k)
{
    const lt_col *c = col_at(t, j);
    if (!c || c->type != LT_COL_CAT || k < 0 || k >= c->nlevels)
        return NULL;
    return c->levels[k];
}

int lt_table_cat_find(const lt_table *t, int j, const char *level)
{
    const lt_col *c = col_at(t, j);
    if (!c || c->type != LT_COL_CAT || !level)
        return -1;
    for (int k = 0; k < c->nlevels; k++)
        if (strcmp(c->levels[k], level) == 0)
            return k;
    return -1;
}

/* Checks name, length and room for one more column; returns the new slot. */
static int table_slot(lt_table *t, const char *name, int64_t n, lt_col **out)
{
    if (!t || !name)
        return lt_error(LT_EINVAL, "table and column name must not be NULL");
    if (n < 0)
        return lt_error(LT_EINVAL, "column '%s': negative length %lld", name, (long long)n);
    if (t->ncols > 0 && n != t->nrows)
        return lt_error(LT_EINVAL, "column '%s' has %lld rows; the table has %lld", name,
                        (long long)n, (long long)t->nrows);
    for (int j = 0; j < t->ncols; j++)
        if (strcmp(t->cols[j].name, name) == 0)
            return lt_error(LT_EINVAL, "duplicate column name '%s' (columns %d and %d)", name,
                            j + 1, t->ncols + 1);
    if (t->ncols == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        lt_col *cols = realloc(t->cols, (size_t)cap * sizeof *cols);
        if (!cols)
            return lt_error(LT_ENOMEM, "out of memory adding column '%s'", name);
        t->cols = cols;
        t->cap = cap;
    }
    *out = &t->cols[t->ncols];
    memset(*out, 0, sizeof **out);
    return LT_OK;
}

static void table_commit(lt_table *t, int64_t n)
{
    if (t->ncols == 0)
        t->nrows = n;
    t->ncols++;
}

int lt_table_adopt_num(lt_table *t, char *name, double *v, int64_t n)
{
    lt_col *c;
    int rc = table_slot(t, name, n, &c);
    if (rc != LT_OK) {
        free(name);
        free(v);
        return rc;
    }
    c->name = name;
    c->type = LT_COL_NUM;
    c->num = v;
    table_commit(t, n);
    return LT_OK;
}

int lt_table_adopt_cat(lt_table *t, char *name, int32_t *codes, int64_t n, char **levels,
                       char *pool, int nlevels)
{
    lt_col *c;
    int rc = table_slot(t, name, n, &c);
    if (rc != LT_OK) {
        free(name);
        free(codes);
        free(levels);
        free(pool);
        return rc;
    }
    c->name = name;
    c->type = LT_COL_CAT;
    c->codes = codes;
    c->levels = levels;
    c->pool = pool;
    c->nlevels = nlevels;
    table_commit(t, n);
    return LT_OK;
}

int lt_table_add_num(lt_table *t, const char *name, const double *v, int64_t n)
{
    if (!t || !name || (n > 0 && !v))
        return lt_error(LT_EINVAL, "lt_table_add_num: NULL argument");
    char *nm = lt_strdup(name);
    double *copy = lt_malloc((size_t)(n > 0 ? n : 1) * sizeof *copy);
    if (!nm || !copy) {
        free(nm);
        free(copy);
        return LT_ENOMEM;
    }
    if (n > 0)
        memcpy(copy, v, (size_t)n * sizeof *copy);
    return lt_table_adopt_num(t, nm, copy, n);
}

/* Copies nlevels strings into one pool; levels[k] points into it. */
static int levels_pack(const char *const *src, const uint32_t *lens, int nlevels,
                       char ***levels_out, char **pool_out)
{
    size_t total = 0;
    for (int k = 0; k < nlevels; k++)
        total += (lens ? lens[k] : strlen(src[k])) + 1;
    char **levels = lt_malloc((size_t)(nlevels > 0 ? nlevels : 1) * sizeof *levels);
    char *pool = lt_malloc(total ? total : 1);
    if (!levels || !pool) {
        free(levels);
        free(pool);
        return LT_ENOMEM;
    }
    char *p = pool;
    for (int k = 0; k < nlevels; k++) {
        size_t len = lens ? lens[k] : strlen(src[k]);
        memcpy(p, src[k], len);
        p[len] = '\0';
        levels[k] = p;
        p += len + 1;
    }
    *levels_out = levels;
    *pool_out = pool;
    return LT_OK;
}

int lt_table_add_cat(lt_table *t, const char *name, const char *const *strings, int64_t n)
{
    if (!t || !name || (n > 0 && !strings))
        return lt_error(LT_EINVAL, "lt_table_add_cat: NULL argument");
    lt_strmap m;
    if (lt_strmap_init(&m, 16) != LT_OK)
        return LT_ENOMEM;
    int32_t *codes = lt_malloc((size_t)(n > 0 ? n : 1) * sizeof *codes);
    if (!codes) {
        lt_strmap_free(&m);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        if (!strings[i]) {
            codes[i] = -1;
            continue;
        }
        int32_t k = lt_strmap_put(&m, strings[i], strlen(strings[i]));
        if (k < 0) {
            free(codes);
            lt_strmap_free(&m);
            return k;
        }
        codes[i] = k;
    }
    char **levels, *pool, *nm = lt_strdup(name);
    int rc = nm ? levels_pack(m.keys, m.lens, m.n, &levels, &pool) : LT_ENOMEM;
    int nlevels = m.n;
    lt_strmap_free(&m);
    if (rc != LT_OK) {
        free(nm);
        free(codes);
        return rc;
    }
    return lt_table_adopt_cat(t, nm, codes, n, levels, pool, nlevels);
}

int lt_table_add_cat_codes(lt_table *t, const char *name, const int32_t *codes, int64_t n,
                           const char *const *levels, int nlevels)
{
    if (!t || !name || (n > 0 && !codes) || nlevels < 0 || (nlevels > 0 && !levels))
        return lt_error(LT_EINVAL, "lt_table_add_cat_codes: NULL or negative argument");
    for (int k = 0; k < nlevels; k++)
        if (!levels[k])
            return lt_error(LT_EINVAL, "column '%s': level %d is NULL", name, k);
    for (int64_t i = 0; i < n; i++)
        if (codes[i] < -1 || codes[i] >= nlevels)
            return lt_error(LT_EINVAL, "column '%s' row %lld: code %d outside [-1, %d)", name,
                            (long long)i, codes[i], nlevels);
    lt_strmap m;
    if (lt_strmap_init(&m, nlevels) != LT_OK)
        return LT_ENOMEM;
    for (int k = 0; k < nlevels; k++) {
        int32_t got = lt_strmap_put(&m, levels[k], strlen(levels[k]));
        if (got != k) {
            lt_strmap_free(&m);
            return got < 0 ? got
                           : lt_error(LT_EINVAL, "column '%s': level '%s' appears twice", name,
                                      levels[k]);
        }
    }
    lt_strmap_free(&m);
    char **lv, *pool, *nm = lt_strdup(name);
    int32_t *cp = lt_malloc((size_t)(n > 0 ? n : 1) * sizeof *cp);
    if (!nm || !cp || levels_pack(levels, NULL, nlevels, &lv, &pool) != LT_OK) {
        free(nm);
        free(cp);
        return LT_ENOMEM;
    }
    if (n > 0)
        memcpy(cp, codes, (size_t)n * sizeof *cp);
    return lt_table_adopt_cat(t, nm, cp, n, lv, pool, nlevels);
}

/* Copies column c into t, taking rows `rows` (NULL = all nrows). */
static int col_copy_into(lt_table *t, const lt_col *c, const int64_t *rows, int64_t n)
{
    char *nm = lt_strdup(c->name);
    if (!nm)
        return LT_ENOMEM;
    if (c->type == LT_COL_NUM) {
        double *v = lt_malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
        if (!v) {
            free(nm);
            return LT_ENOMEM;
        }
        for (int64_t i = 0; i < n; i++)
            v[i] = c->num[rows ? rows[i] : i];
        return lt_table_adopt_num(t, nm, v, n);
    }
    int32_t *codes = lt_malloc((size_t)(n > 0 ? n : 1) * sizeof *codes);
    char **lv = NULL, *pool = NULL;
    if (!codes || levels_pack((const char *const *)c->levels, NULL, c->nlevels, &lv, &pool)) {
        free(nm);
        free(codes);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        codes[i] = c->codes[rows ? rows[i] : i];
    return lt_table_adopt_cat(t, nm, codes, n, lv, pool, c->nlevels);
}

lt_table *lt_table_select(const lt_table *t, const char *const *names, int k)
{
    if (!t || k < 0 || (k > 0 && !names)) {
        lt_error(LT_EINVAL, "lt_table_select: NULL table or names");
        return NULL;
    }
    lt_table *r = lt_table_new();
    if (!r)
        return NULL;
    for (int i = 0; i < k; i++) {
        int j = lt_table_require(t, names[i]);
        if (j < 0 || col_copy_into(r, &t->cols[j], NULL, t->nrows) != LT_OK) {
            lt_table_free(r);
            return NULL;
        }
    }
    r->nrows = t->nrows;
    return r;
}

lt_table *lt_table_drop(const lt_table *t, const char *const *names, int k)
{
    if (!t || k < 0 || (k > 0 && !names)) {
        lt_error(LT_EINVAL, "lt_table_drop: NULL table or names");
        return NULL;
    }
    for (int i = 0; i < k; i++)
        if (lt_table_require(t, names[i]) < 0)
            return NULL;
    lt_table *r = lt_table_new();
    if (!r)
        return NULL;
    for (int j = 0; j < t->ncols; j++) {
        int dropped = 0;
        for (int i = 0; i < k && !dropped; i++)
            dropped = strcmp(names[i], t->cols[j].name) == 0;
        if (!dropped && col_copy_into(r, &t->cols[j], NULL, t->nrows) != LT_OK) {
            lt_table_free(r);
            return NULL;
        }
    }
    r->nrows = t->nrows;
    return r;
}

lt_table *lt_table_take(const lt_table *t, const int64_t *rows, int64_t n)
{
    if (!t || n < 0 || (n > 0 && !rows)) {
        lt_error(LT_EINVAL, "lt_table_take: NULL table or rows, or negative count");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        if (rows[i] < 0 || rows[i] >= t->nrows) {
            lt_error(LT_EINVAL,
                     "lt_table_take: row index %lld at position %lld is outside [0, %lld)",
                     (long long)rows[i], (long long)i, (long long)t->nrows);
            return NULL;
        }
    lt_table *r = lt_table_new();
    if (!r)
        return NULL;
    for (int j = 0; j < t->ncols; j++)
        if (col_copy_into(r, &t->cols[j], rows, n) != LT_OK) {
            lt_table_free(r);
            return NULL;
        }
    r->nrows = n;
    return r;
}

int lt_table_to_matrix(const lt_table *t, const int *cols, int k, float *out)
{
    if (!t || k < 0 || (k > 0 && (!cols || !out)))
        return lt_error(LT_EINVAL, "lt_table_to_matrix: NULL argument");
    for (int c = 0; c < k; c++) {
        const lt_col *col = col_at(t, cols[c]);
        if (!col)
            return lt_error(LT_EINVAL, "column index %d outside [0, %d)", cols[c], t->ncols);
        if (col->type != LT_COL_NUM)
            return lt_error(LT_ETYPE, "column '%s' is categorical; expected a numeric column",
                            col->name);
    }
    /* out: (nrows, k) row-major; walk one column at a time so each source
     * column is read sequentially. */
    for (int c = 0; c < k; c++) {
        const double *v = t->cols[cols[c]].num;
        for (int64_t i = 0; i < t->nrows; i++)
            out[i * k + c] = (float)v[i];
    }
    return LT_OK;
}

const char *lt_table_cell_str(const lt_table *t, int64_t i, int j, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return buf;
    buf[0] = '\0';
    const lt_col *c = col_at(t, j);
    if (!c || i < 0 || i >= t->nrows)
        return buf;
    if (c->type == LT_COL_NUM) {
        char tmp[40];
        lt_fmt_double(c->num[i], tmp, sizeof tmp);
        snprintf(buf, cap, "%s", tmp);
    } else if (c->codes[i] >= 0) {
        snprintf(buf, cap, "%s", c->levels[c->codes[i]]);
    }
    return buf;
}

/* ---- codes and ordering keys for splits ------------------------------------ */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int lt_table_col_codes(const lt_table *t, int j, const int64_t *rows, int64_t n, int64_t *c)
{
    if (j < 0 || j >= lt_table_ncols(t))
        return lt_error(LT_EINVAL, "column index %d out of range", j);
    if (lt_table_col_type(t, j) == LT_COL_CAT) {
        const int32_t *k = lt_table_cat(t, j);
        int64_t miss = lt_table_cat_nlevels(t, j);
        for (int64_t i = 0; i < n; i++) {
            int32_t v = k[rows ? rows[i] : i];
            c[i] = v < 0 ? miss : v;
        }
        return LT_OK;
    }
    /* Numbers: sort the distinct values once, then binary-search each row. */
    const double *v = lt_table_num(t, j);
    double *u = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!u)
        return LT_ENOMEM;
    int64_t m = 0, d = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[rows ? rows[i] : i]))
            u[m++] = v[rows ? rows[i] : i];
    qsort(u, (size_t)m, sizeof(double), cmp_dbl);
    for (int64_t i = 0; i < m; i++)
        if (!i || u[i] != u[d - 1])
            u[d++] = u[i];
    for (int64_t i = 0; i < n; i++) {
        double x = v[rows ? rows[i] : i];
        if (isnan(x)) {
            c[i] = d;
            continue;
        }
        int64_t lo = 0, hi = d - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (u[mid] < x)
                lo = mid + 1;
            else
                hi = mid;
        }
        c[i] = lo;
    }
    free(u);
    return LT_OK;
}

typedef struct {
    const lt_table *t;
    int j;
} level_ctx;

static int cmp_level(const void *a, const void *b, void *ctx)
{
    const level_ctx *c = ctx;
    return strcmp(lt_table_cat_level(c->t, c->j, *(const int *)a),
                  lt_table_cat_level(c->t, c->j, *(const int *)b));
}

int lt_table_col_order(const lt_table *t, int j, double *key)
{
    if (j < 0 || j >= lt_table_ncols(t))
        return lt_error(LT_EINVAL, "column index %d out of range", j);
    int64_t n = lt_table_nrows(t);
    if (lt_table_col_type(t, j) == LT_COL_NUM) {
        const double *v = lt_table_num(t, j);
        for (int64_t i = 0; i < n; i++)
            key[i] = isnan(v[i]) ? -INFINITY : v[i];
        return LT_OK;
    }
    /* Text: rank of each level among the levels sorted as strings. */
    int nl = lt_table_cat_nlevels(t, j);
    int *order = lt_malloc(sizeof(int) * (size_t)(nl ? nl : 1));
    double *rank = lt_malloc(sizeof(double) * (size_t)(nl ? nl : 1));
    if (!order || !rank) {
        free(order);
        free(rank);
        return LT_ENOMEM;
    }
    for (int k = 0; k < nl; k++)
        order[k] = k;
    level_ctx ctx = {t, j};
    qsort_r(order, (size_t)nl, sizeof(int), cmp_level, &ctx);
    for (int k = 0; k < nl; k++)
        rank[order[k]] = k;
    const int32_t *c = lt_table_cat(t, j);
    for (int64_t i = 0; i < n; i++)
        key[i] = c[i] < 0 ? -INFINITY : rank[c[i]];
    free(order);
    free(rank);
    return LT_OK;
}
