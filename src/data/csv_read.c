/* CSV reader. The whole input is one mutable buffer b[0..n] with b[n] = '\0'
 * (NUL bytes inside are rejected first, so '\0' marks the end and the inner
 * loops need no bounds checks). One tokenizer pass unescapes quoted fields in
 * place, NUL-terminates every field and records its offset (row-major,
 * off[rec * ncols + col]); then each column is typed and converted straight
 * from those offsets. No malloc per field. */
#include "table_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLS (1 << 20)
#define CSV_SNIFF_LINES 5

lt_csv_options lt_csv_options_default(void)
{
    lt_csv_options o;
    memset(&o, 0, sizeof o);
    o.header = 1;
    o.max_field = 65536;
    return o;
}

typedef struct csv_ctx {
    const char *name;
    char *b;          /* owned; b[n .. n+CSV_PAD) are zero */
    size_t n;
    char delim;       /* ',', ';', '\t', other, or ' ' = runs of spaces/tabs */
    size_t max_field;
    int64_t max_recs; /* 0 = all */
    uint64_t *off;    /* field offsets into b, row-major */
    size_t off_len, off_cap;
    int64_t *line;    /* first line of each record */
    int64_t nrec, line_cap;
    int ncols;
} csv_ctx;

/* ---- tokenizer ---------------------------------------------------------------- */

static int is_ws_mode(const csv_ctx *c) { return c->delim == ' '; }

/* Picks the delimiter from the first few lines (outside quotes): the candidate
 * among , \t ; with the same non-zero count on every sampled line wins
 * (largest count first); else the largest count on line one; else runs of
 * spaces if every line splits into the same number (>= 2) of tokens; else ','. */
static char csv_sniff(const char *p)
{
    const char cand[3] = {',', '\t', ';'};
    int64_t cnt[CSV_SNIFF_LINES][4];
    int lines = 0, inq = 0, intok = 0;
    memset(cnt, 0, sizeof cnt);
    for (; *p && lines < CSV_SNIFF_LINES; p++) {
        char ch = *p;
        if (ch == '"')
            inq = !inq;
        if (inq)
            continue;
        if (ch == '\n' || ch == '\r') {
            if (cnt[lines][3] > 0 || cnt[lines][0] || cnt[lines][1] || cnt[lines][2])
                lines++;
            intok = 0;
            continue;
        }
        for (int k = 0; k < 3; k++)
            cnt[lines][k] += ch == cand[k];
        if (ch == ' ' || ch == '\t') {
            intok = 0;
        } else if (!intok) {
            intok = 1;
            cnt[lines][3]++;
        }
    }
    if (lines < CSV_SNIFF_LINES &&
        (cnt[lines][3] || cnt[lines][0] || cnt[lines][1] || cnt[lines][2]))
        lines++;
    if (lines == 0)
        return ',';
    int best = -1;
    for (int k = 0; k < 3; k++) {
        int same = cnt[0][k] > 0;
        for (int l = 1; l < lines && same; l++)
            same = cnt[l][k] == cnt[0][k];
        if (same && (best < 0 || cnt[0][k] > cnt[0][best]))
            best = k;
    }
    if (best >= 0)
        return cand[best];
    for (int k = 0; k < 3; k++)
        if (cnt[0][k] > 0 && (best < 0 || cnt[0][k] > cnt[0][best]))
            best = k;
    if (best >= 0)
        return cand[best];
    int same = cnt[0][3] >= 2;
    for (int l = 1; l < lines && same; l++)
        same = cnt[l][3] == cnt[0][3];
    return same ? ' ' : ',';
}

static int csv_push_field(csv_ctx *c, uint64_t off)
{
    if (c->off_len == c->off_cap) {
        size_t cap = c->off_cap ? c->off_cap * 2 : 4096;
        uint64_t *o = c->off ? realloc(c->off, cap * sizeof *o)
                             : lt_csv_big_alloc(cap * sizeof *o);
        if (!o)
            return lt_error(LT_ENOMEM, "%s: out of memory storing fields", c->name);
        c->off = o;
        c->off_cap = cap;
    }
    c->off[c->off_len++] = off;
    return LT_OK;
}

static int csv_push_line(csv_ctx *c, int64_t line)
{
    if (c->nrec == c->line_cap) {
        int64_t cap = c->line_cap ? c->line_cap * 2 : 1024;
        int64_t *l = realloc(c->line, (size_t)cap * sizeof *l);
        if (!l)
            return lt_error(LT_ENOMEM, "%s: out of memory storing rows", c->name);
        c->line = l;
        c->line_cap = cap;
    }
    c->line[c->nrec++] = line;
    return LT_OK;
}

/* One pass from p to the next '\0'. Fills off[] and line[] (line numbers
 * start at line0); sets ncols from the first record unless ncols_known, and
 * rejects any record with a different field count. */
static int csv_tokenize(csv_ctx *c, char *p, int64_t line0, int ncols_known)
{
    const int ws = is_ws_mode(c);
    const char d = c->delim;
    unsigned char stop[256];
    memset(stop, 0, sizeof stop);
    stop[0] = stop['\n'] = stop['\r'] = 1;
    stop[(unsigned char)d] = 1;
    if (ws)
        stop['\t'] = 1;
    int64_t line = line0;
    int rc;
    for (;;) {
        /* Blank lines (only spaces, or spaces/tabs in whitespace mode) are skipped. */
        char *q = p;
        while (*q == ' ' || (ws && *q == '\t'))
            q++;
        if (*q == '\n' || *q == '\r') {
            p = q + 1;
            if (*q == '\r' && *p == '\n')
                p++;
            line++;
            continue;
        }
        if (*q == '\0')
            break;
        if (c->max_recs && c->nrec >= c->max_recs)
            break;
        if ((rc = csv_push_line(c, line)) != LT_OK)
            return rc;
        int64_t nf = 0;
        const int first = !ncols_known && c->nrec == 1;
        char ch;
        for (;;) {
            while (*p == ' ' || (ws && *p == '\t'))
                p++;
            char *fs, *fe;
            int64_t fline = line;
            if (*p == '"') {
                /* Quoted: unescape "" in place; content is written back from fs. */
                char *w = fs = ++p;
                for (;;) {
                    char x = *p;
                    if (x == '"') {
                        if (p[1] != '"')
                            break;
                        p++;
                    } else if (x == '\0') {
                        return lt_error(LT_EFORMAT,
                                        "%s:%lld:%lld: unterminated quoted field: expected a "
                                        "closing '\"' before the end of the input",
                                        c->name, (long long)fline, (long long)nf + 1);
                    } else if (x == '\n') {
                        line++;
                    }
                    *w++ = *p++;
                }
                p++; /* closing quote */
                if (!ws)
                    while (*p == ' ')
                        p++;
                ch = *p;
                if (!stop[(unsigned char)ch])
                    return lt_error(LT_EFORMAT,
                                    "%s:%lld:%lld: expected a delimiter or end of line after the "
                                    "closing quote, got '%c'",
                                    c->name, (long long)line, (long long)nf + 1, ch);
                fe = w;
            } else {
                fs = p;
                while (!stop[(unsigned char)*p])
                    p++;
                ch = *p;
                fe = p;
                if (!ws)
                    while (fe > fs && fe[-1] == ' ')
                        fe--;
            }
            if ((size_t)(fe - fs) > c->max_field)
                return lt_error(LT_ELIMIT, "%s:%lld:%lld: field longer than the %zu-byte limit "
                                "(max_field)", c->name, (long long)fline, (long long)nf + 1,
                                c->max_field);
            *fe = '\0'; /* may overwrite the delimiter at p: `ch` keeps it */
            if (first || nf < c->ncols) {
                if (first && nf >= CSV_MAX_COLS)
                    return lt_error(LT_ELIMIT, "%s:%lld: more than %d columns", c->name,
                                    (long long)line, CSV_MAX_COLS);
                if ((rc = csv_push_field(c, (uint64_t)(fs - c->b))) != LT_OK)
                    return rc;
            }
            nf++;
            if (ws) {
                if (ch == ' ' || ch == '\t') {
                    p++;
                    while (*p == ' ' || *p == '\t')
                        p++;
                    ch = *p;
                    if (ch != '\n' && ch != '\r' && ch != '\0')
                        continue;
                }
                break;
            }
            if (ch == d) {
                p++;
                continue;
            }
            break;
        }
        /* p is at the record's terminator, whose original byte is ch. */
        if (ch == '\r') {
            p++;
            if (*p == '\n')
                p++;
            line++;
        } else if (ch == '\n') {
            p++;
            line++;
        }
        if (first) {
            c->ncols = (int)nf;
            /* Size the offsets once from the first record's length, so a
             * big file is not copied through repeated doublings. */
            size_t rec_bytes = (size_t)(p - c->b) + 1, want = (c->n / rec_bytes + 16) * nf * 9 / 8;
            if (want > c->off_cap && want < ((size_t)1 << 40)) {
                uint64_t *o = lt_csv_big_alloc(want * sizeof *o);
                if (!o)
                    return lt_error(LT_ENOMEM, "%s: out of memory storing fields", c->name);
                memcpy(o, c->off, c->off_len * sizeof *o);
                free(c->off);
                c->off = o;
                c->off_cap = want;
            }
        }
        else if (nf != c->ncols)
            return lt_error(LT_EFORMAT, "%s:%lld: expected %d fields, found %lld", c->name,
                            (long long)c->line[c->nrec - 1], c->ncols, (long long)nf);
        if (ch == '\0')
            break;
    }
    return LT_OK;
}

/* ---- values ---------------------------------------------------------------------- */

static const double csv_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int ieq(const char *a, const char *lower)
{
    for (; *lower; a++, lower++)
        if ((*a | 0x20) != *lower)
            return 0;
    return *a == '\0';
}

/* Parses the whole NUL-terminated field as a decimal number (or inf/infinity).
 * Clinger's fast path: a mantissa of at most 2^53 scaled by an exact power
 * of ten up to 1e22 is one correctly rounded IEEE operation, so the result
 * equals strtod's; anything else (long mantissas, big exponents) is first
 * validated here and then handed to strtod. */
static int csv_parse_num_slow(const char *s, double *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    uint64_t w = 0;
    int nd = 0, any = 0;
    int64_t dexp = 0;
    while (*p == '0') {
        p++;
        any = 1;
    }
    while ((unsigned)(*p - '0') < 10) {
        if (nd < 19)
            w = w * 10 + (uint64_t)(*p - '0');
        else
            dexp++;
        nd++;
        p++;
        any = 1;
    }
    if (*p == '.') {
        p++;
        if (nd == 0)
            while (*p == '0') {
                p++;
                dexp--;
                any = 1;
            }
        while ((unsigned)(*p - '0') < 10) {
            if (nd < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                dexp--;
            }
            nd++;
            p++;
            any = 1;
        }
    }
    if (!any) {
        if ((*p | 0x20) == 'i' && (ieq(p, "inf") || ieq(p, "infinity"))) {
            *out = neg ? -INFINITY : INFINITY;
            return 1;
        }
        return 0;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '-' || *p == '+')
            eneg = *p++ == '-';
        if ((unsigned)(*p - '0') >= 10)
            return 0;
        int64_t e = 0;
        while ((unsigned)(*p - '0') < 10) {
            if (e < 100000000)
                e = e * 10 + (*p - '0');
            p++;
        }
        dexp += eneg ? -e : e;
    }
    if (*p != '\0')
        return 0;
    double v;
    if (w == 0)
        v = 0.0;
    else if (nd <= 19 && w <= (1ULL << 53) && dexp >= -22 && dexp <= 22)
        v = dexp >= 0 ? (double)w * csv_pow10[dexp] : (double)w / csv_pow10[-dexp];
    else
        return *out = strtod(s, NULL), 1;
    *out = neg ? -v : v;
    return 1;
}

/* The common shape, [sign] digits [. digits] with at most 19 digits, in a
 * tight loop; anything else (exponent, inf, long mantissa) takes the slow
 * path above. Same results: w <= 2^53 over an exact 10^k is one correctly
 * rounded division. */
static inline int csv_parse_num(const char *s, double *out)
{
    const unsigned char *p = (const unsigned char *)s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    const unsigned char *d0 = p;
    uint64_t w = 0;
    unsigned dg;
    while ((dg = (unsigned)*p - '0') < 10) {
        w = w * 10 + dg;
        p++;
    }
    size_t nint = (size_t)(p - d0), nfrac = 0;
    if (*p == '.') {
        const unsigned char *f0 = ++p;
        while ((dg = (unsigned)*p - '0') < 10) {
            w = w * 10 + dg;
            p++;
        }
        nfrac = (size_t)(p - f0);
    }
    if (*p != '\0' || nint + nfrac == 0 || nint + nfrac > 19 || w > (1ULL << 53) || nfrac > 22)
        return csv_parse_num_slow(s, out);
    double v = (double)w / csv_pow10[nfrac];
    *out = neg ? -v : v;
    return 1;
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
    char tmp[64];
    memcpy(tmp, s, len + 1);
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

/* ---- columns ------------------------------------------------------------------- */

enum { COL_CAND = 0, COL_FAILED = 1, COL_FORCE_CAT = 2 };

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
        const char *h = header ? c->b + c->off[j] : "";
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
                     c->name, (long long)c->line[0], names[j], k + 1, j + 1,
                     csv_parse_num(names[j], &v) ? " (the first row looks like data: read the "
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

/* Categorical codes for column j (rows 0..nrows-1 after hdr records). */
static int csv_cat_column(const csv_ctx *c, int hdr, int64_t nrows, int j, int32_t **codes_out,
                          char ***levels_out, char **pool_out, int *nlevels_out)
{
    lt_strmap m;
    int32_t *codes = lt_malloc((size_t)(nrows ? nrows : 1) * sizeof *codes);
    if (!codes || lt_strmap_init(&m, 64) != LT_OK) {
        free(codes);
        return LT_ENOMEM;
    }
    const uint64_t *off = c->off + (size_t)hdr * c->ncols + j;
    size_t pool_len = 0;
    for (int64_t r = 0; r < nrows; r++) {
        const char *s = c->b + off[(size_t)r * c->ncols];
        if (csv_is_missing(s)) {
            codes[r] = -1;
            continue;
        }
        int32_t before = m.n;
        int32_t k = lt_strmap_put(&m, s, strlen(s));
        if (k < 0) {
            free(codes);
            lt_strmap_free(&m);
            return k;
        }
        if (m.n != before)
            pool_len += m.lens[k] + 1;
        codes[r] = k;
    }
    char **levels = lt_malloc((size_t)(m.n ? m.n : 1) * sizeof *levels);
    char *pool = lt_malloc(pool_len ? pool_len : 1);
    if (!levels || !pool) {
        free(levels);
        free(pool);
        free(codes);
        lt_strmap_free(&m);
        return LT_ENOMEM;
    }
    char *p = pool;
    for (int32_t k = 0; k < m.n; k++) {
        memcpy(p, m.keys[k], m.lens[k] + 1);
        levels[k] = p;
        p += m.lens[k] + 1;
    }
    *codes_out = codes;
    *levels_out = levels;
    *pool_out = pool;
    *nlevels_out = m.n;
    lt_strmap_free(&m);
    return LT_OK;
}

/* Types and converts every column into a new table. */
static int csv_build(csv_ctx *c, int header, const lt_csv_options *opt, lt_table **out)
{
    const int hdr = header ? 1 : 0, ncols = c->ncols;
    const int64_t nrows = c->nrec - hdr;
    char **names = NULL;
    unsigned char *mark = NULL, *state = NULL;
    double **num = NULL;
    int64_t *bad = NULL;
    lt_table *t = NULL;
    int rc = csv_names(c, header, &names);
    if (rc != LT_OK)
        goto done;
    mark = lt_calloc((size_t)ncols, 1);
    state = lt_calloc((size_t)ncols, 1);
    num = lt_calloc((size_t)ncols, sizeof *num);
    bad = lt_calloc((size_t)ncols, sizeof *bad);
    if (!mark || !state || !num || !bad) {
        rc = LT_ENOMEM;
        goto done;
    }
    if ((rc = csv_resolve(c, names, opt->num_cols, opt->n_num_cols, mark, 1)) ||
        (rc = csv_resolve(c, names, opt->cat_cols, opt->n_cat_cols, mark, 2)))
        goto done;
    for (int j = 0; j < ncols; j++) {
        state[j] = mark[j] == 2 ? COL_FORCE_CAT : COL_CAND;
        if (state[j] == COL_CAND &&
            !(num[j] = lt_malloc((size_t)(nrows ? nrows : 1) * sizeof(double)))) {
            rc = LT_ENOMEM;
            goto done;
        }
    }
    /* Optimistic numeric pass in file order (the buffer streams through the
     * cache once): a column leaves the candidate set at its first cell that
     * is neither a number nor a missing marker. Serial on purpose: on a
     * loaded 2-core gateway a thread team costs more than it saves here. */
    for (int64_t r = 0; r < nrows; r++) {
        const uint64_t *o = c->off + (size_t)(r + hdr) * ncols;
        for (int j = 0; j < ncols; j++) {
            if (state[j] != COL_CAND)
                continue;
            char *s = c->b + o[j];
            if (!csv_parse_num(s, &num[j][r]) && !csv_decimal_comma(c, s, &num[j][r])) {
                if (csv_is_missing(s)) {
                    num[j][r] = NAN;
                } else {
                    state[j] = COL_FAILED;
                    bad[j] = r;
                }
            }
        }
    }
    /* A failed column is an error if it must be numeric or is mostly numbers;
     * report the failing cell that comes first in the file. */
    int err_col = -1;
    for (int j = 0; j < ncols; j++) {
        if (state[j] != COL_FAILED)
            continue;
        int64_t nnum = 0, ntext = 0;
        for (int64_t r = 0; r < nrows; r++) {
            const char *s = c->b + c->off[(size_t)(r + hdr) * ncols + j];
            double v;
            if (csv_parse_num(s, &v) || csv_decimal_comma(c, s, &v))
                nnum++;
            else if (!csv_is_missing(s))
                ntext++;
        }
        int must = mark[j] == 1 || (double)nnum >= 0.9 * (double)(nnum + ntext);
        if (must && (err_col < 0 || bad[j] < bad[err_col] ||
                     (bad[j] == bad[err_col] && j < err_col)))
            err_col = j;
    }
    if (err_col >= 0) {
        int64_t r = bad[err_col];
        const char *s = c->b + c->off[(size_t)(r + hdr) * ncols + err_col];
        rc = lt_error(LT_ETYPE, "%s:%lld:%d: column '%s': expected a number, got '%.40s%s'%s",
                      c->name, (long long)c->line[r + hdr], err_col + 1, names[err_col], s,
                      strlen(s) > 40 ? "..." : "",
                      !header && r == 0 ? " (the first row looks like a header row)" : "");
        goto done;
    }
    if (!(t = lt_table_new())) {
        rc = LT_ENOMEM;
        goto done;
    }
    for (int j = 0; j < ncols; j++) {
        char *nm = names[j];
        names[j] = NULL;
        if (state[j] == COL_CAND) {
            rc = lt_table_adopt_num(t, nm, num[j], nrows);
            num[j] = NULL;
        } else {
            int32_t *codes;
            char **levels, *pool;
            int nlevels;
            rc = csv_cat_column(c, hdr, nrows, j, &codes, &levels, &pool, &nlevels);
            if (rc == LT_OK)
                rc = lt_table_adopt_cat(t, nm, codes, nrows, levels, pool, nlevels);
            else
                free(nm);
        }
        if (rc != LT_OK)
            goto done;
    }
done:
    for (int j = 0; j < ncols; j++) {
        if (names)
            free(names[j]);
        if (num)
            free(num[j]);
    }
    free(names);
    free(mark);
    free(state);
    free(num);
    free(bad);
    if (rc != LT_OK) {
        lt_table_free(t);
        t = NULL;
    }
    *out = t;
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
        rc = csv_tokenize(&c, p, 1, 0);
    }
    if (rc == LT_OK && c.nrec == 0)
        rc = lt_error(LT_EFORMAT, "%s: empty file (expected a header row and data rows)", name);
    if (rc == LT_OK && opt->header && c.nrec == 1)
        rc = lt_error(LT_EFORMAT, "%s:%lld: no data rows (only a header)", name,
                      (long long)c.line[0] + 1);
    if (rc == LT_OK)
        rc = csv_build(&c, opt->header, opt, out);
    free(c.off);
    free(c.line);
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
