/* Search spaces of the tuner: building, parsing "C=0.1,1;solver=a,b" and
 * "C=log:0.01:100", and turning a space into candidates (grid points or
 * seeded random draws). */
#include "tune_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- search spaces ------------------------------------------------------ */

lt_search_space *lt_search_space_new(void) { return lt_calloc(1, sizeof(lt_search_space)); }

void lt_search_space_free(lt_search_space *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->p[i].name);
        for (int k = 0; k < s->p[i].nvalues; k++)
            free(s->p[i].values[k]);
        free(s->p[i].values);
    }
    free(s->p);
    free(s);
}

static int space_push(lt_search_space *s, const char *name, space_param **out)
{
    if (!name || !*name)
        return lt_error(LT_EINVAL, "search space: a parameter name is empty");
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->p[i].name, name))
            return lt_error(LT_EINVAL, "search space: parameter '%s' is given twice", name);
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        space_param *np = realloc(s->p, sizeof *np * (size_t)cap);
        if (!np)
            return lt_error(LT_ENOMEM, "out of memory");
        s->p = np;
        s->cap = cap;
    }
    space_param *q = &s->p[s->n];
    memset(q, 0, sizeof *q);
    if (!(q->name = lt_strdup(name)))
        return LT_ENOMEM;
    s->n++;
    *out = q;
    return LT_OK;
}

int lt_search_space_add_list(lt_search_space *s, const char *name, const char *const *values,
                             int nvalues)
{
    if (!s || !values || nvalues < 1)
        return lt_error(LT_EINVAL, "search space: parameter '%s' needs at least one value",
                        name ? name : "");
    for (int k = 0; k < nvalues; k++)
        if (!values[k] || !*values[k])
            return lt_error(LT_EINVAL, "search space: parameter '%s' has an empty value", name);
    space_param *q;
    int rc = space_push(s, name, &q);
    if (rc)
        return rc;
    q->kind = LT_DIST_LIST;
    q->values = lt_calloc((size_t)nvalues, sizeof(char *));
    for (int k = 0; q->values && k < nvalues; k++) {
        if (!(q->values[k] = lt_strdup(values[k])))
            return LT_ENOMEM;
        q->nvalues++;
    }
    return q->values ? LT_OK : LT_ENOMEM;
}

int lt_search_space_add_range(lt_search_space *s, const char *name, lt_dist_kind kind, double lo,
                              double hi)
{
    if (!s || kind == LT_DIST_LIST || kind > LT_DIST_LOG)
        return lt_error(LT_EINVAL, "search space: '%s' needs a range kind", name ? name : "");
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return lt_error(LT_EINVAL, "search space: '%s' range needs low <= high, got %g:%g", name,
                        lo, hi);
    if ((kind == LT_DIST_LOG && lo <= 0) || (kind == LT_DIST_INT_LOG && lo < 1))
        return lt_error(LT_EINVAL, "search space: '%s' log range needs low > 0%s, got %g", name,
                        kind == LT_DIST_INT_LOG ? " (and >= 1 for integers)" : "", lo);
    if ((kind == LT_DIST_INT || kind == LT_DIST_INT_LOG) &&
        (lo != floor(lo) || hi != floor(hi) || fabs(lo) > 2e9 || fabs(hi) > 2e9))
        return lt_error(LT_EINVAL, "search space: '%s' integer range needs whole numbers, got %g:%g",
                        name, lo, hi);
    space_param *q;
    int rc = space_push(s, name, &q);
    if (rc)
        return rc;
    q->kind = kind;
    q->lo = lo;
    q->hi = hi;
    return LT_OK;
}

int lt_search_space_count(const lt_search_space *s) { return s ? s->n : 0; }
const char *lt_search_space_name(const lt_search_space *s, int i)
{
    return s && i >= 0 && i < s->n ? s->p[i].name : NULL;
}
lt_dist_kind lt_search_space_kind(const lt_search_space *s, int i) { return s->p[i].kind; }

int lt_search_space_is_grid(const lt_search_space *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->p[i].kind != LT_DIST_LIST)
            return 0;
    return 1;
}

int64_t lt_search_space_grid_size(const lt_search_space *s)
{
    if (!lt_search_space_is_grid(s))
        return -1;
    int64_t n = 1;
    for (int i = 0; i < s->n; i++) {
        n *= s->p[i].nvalues;
        if (n > INT32_MAX)
            return -1;
    }
    return n;
}

#define SPACE_FORMS "NAME=V1,V2,... (a list), or for --random NAME=log:LO:HI, int:LO:HI, " \
                    "intlog:LO:HI, float:LO:HI, choice:A,B; entries separated by ';'"

static int parse_num(const char *s, const char *entry, double *out)
{
    char *end;
    *out = strtod(s, &end);
    if (end == s || *end || !isfinite(*out))
        return lt_error(LT_EINVAL, "search space entry '%s': '%s' is not a number (forms: %s)",
                        entry, s, SPACE_FORMS);
    return LT_OK;
}

/* One "name=spec" entry (modified in place). */
static int parse_entry(lt_search_space *s, char *entry, const char *orig)
{
    char *eq = strchr(entry, '=');
    if (!eq)
        return lt_error(LT_EINVAL, "search space entry '%s' has no '=' (forms: %s)", orig,
                        SPACE_FORMS);
    *eq = '\0';
    char *name = entry, *spec = eq + 1;
    while (*name == ' ')
        name++;
    for (char *e = name + strlen(name); e > name && e[-1] == ' '; e--)
        e[-1] = '\0';
    if (!*name || !*spec)
        return lt_error(LT_EINVAL, "search space entry '%s' needs a name and values (forms: %s)",
                        orig, SPACE_FORMS);
    static const struct { const char *prefix; lt_dist_kind kind; } ranges[] = {
        {"log:", LT_DIST_LOG}, {"int:", LT_DIST_INT}, {"intlog:", LT_DIST_INT_LOG},
        {"float:", LT_DIST_FLOAT}, {"uniform:", LT_DIST_FLOAT},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        size_t pl = strlen(ranges[r].prefix);
        if (strncmp(spec, ranges[r].prefix, pl))
            continue;
        char *lo = spec + pl, *colon = strchr(lo, ':');
        if (!colon || strchr(colon + 1, ':'))
            return lt_error(LT_EINVAL, "search space entry '%s': a range is %sLO:HI (forms: %s)",
                            orig, ranges[r].prefix, SPACE_FORMS);
        *colon = '\0';
        double a, b;
        int rc;
        if ((rc = parse_num(lo, orig, &a)) || (rc = parse_num(colon + 1, orig, &b)))
            return rc;
        return lt_search_space_add_range(s, name, ranges[r].kind, a, b);
    }
    if (!strncmp(spec, "choice:", 7))
        spec += 7;
    /* A list: values separated by ','. */
    int nv = 1;
    for (char *c = spec; *c; c++)
        nv += *c == ',';
    const char **vals = lt_malloc(sizeof(char *) * (size_t)nv);
    if (!vals)
        return LT_ENOMEM;
    int k = 0;
    for (char *tok = spec;;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        while (*tok == ' ')
            tok++;
        for (char *e = tok + strlen(tok); e > tok && e[-1] == ' '; e--)
            e[-1] = '\0';
        if (!*tok) {
            free(vals);
            return lt_error(LT_EINVAL, "search space entry '%s' has an empty value (forms: %s)",
                            orig, SPACE_FORMS);
        }
        if (strchr(tok, ':')) {
            free(vals);
            return lt_error(LT_EINVAL, "search space entry '%s': unknown range '%s' (forms: %s)",
                            orig, tok, SPACE_FORMS);
        }
        vals[k++] = tok;
        if (!comma)
            break;
        tok = comma + 1;
    }
    int rc = lt_search_space_add_list(s, name, vals, k);
    free(vals);
    return rc;
}

int lt_search_space_parse(const char *text, lt_search_space **out)
{
    *out = NULL;
    if (!text)
        return lt_error(LT_EINVAL, "search space is empty (forms: %s)", SPACE_FORMS);
    lt_search_space *s = lt_search_space_new();
    char *buf = lt_strdup(text), *orig = lt_strdup(text);
    int rc = s && buf && orig ? LT_OK : LT_ENOMEM;
    char *p = buf;
    while (!rc && p) {
        char *semi = strchr(p, ';');
        if (semi)
            *semi = '\0';
        char *q = p;
        while (*q == ' ')
            q++;
        if (*q) {
            /* The entry's own text for messages. */
            snprintf(orig, strlen(text) + 1, "%s", q);
            rc = parse_entry(s, q, orig);
        }
        p = semi ? semi + 1 : NULL;
    }
    if (!rc && s->n == 0)
        rc = lt_error(LT_EINVAL, "search space '%s' names no parameter (forms: %s)", text,
                      SPACE_FORMS);
    free(buf);
    free(orig);
    if (rc) {
        lt_search_space_free(s);
        return rc;
    }
    *out = s;
    return LT_OK;
}

void lt_tune_fmt_value(const space_param *q, double v, char *buf, size_t cap)
{
    if (q->kind == LT_DIST_INT || q->kind == LT_DIST_INT_LOG)
        snprintf(buf, cap, "%lld", (long long)llround(v));
    else
        snprintf(buf, cap, "%.6g", v);
}

/* ---- candidates ---------------------------------------------------------- */

/* Candidate c of a grid: the last parameter varies fastest. vals[i] points
 * into the space. */
void lt_tune_grid_point(const lt_search_space *s, int64_t c, const char **vals)
{
    for (int i = s->n - 1; i >= 0; i--) {
        vals[i] = s->p[i].values[c % s->p[i].nvalues];
        c /= s->p[i].nvalues;
    }
}

/* One random candidate as text into bufs (64 bytes each). */
void lt_tune_draw_point(const lt_search_space *s, lt_rng *r, char (*bufs)[64])
{
    for (int i = 0; i < s->n; i++) {
        const space_param *q = &s->p[i];
        double v = 0;
        switch (q->kind) {
        case LT_DIST_LIST:
            snprintf(bufs[i], 64, "%s", q->values[lt_rng_below(r, (uint64_t)q->nvalues)]);
            continue;
        case LT_DIST_INT:
            v = q->lo + (double)lt_rng_below(r, (uint64_t)(q->hi - q->lo) + 1);
            break;
        case LT_DIST_INT_LOG:
            /* Uniform in log over [lo, hi + 1) then floored: each integer gets the
             * log-width of its unit interval. */
            v = floor(exp(log(q->lo) + lt_rng_uniform(r) * (log(q->hi + 1) - log(q->lo))));
            if (v > q->hi)
                v = q->hi;
            break;
        case LT_DIST_FLOAT:
            v = q->lo + lt_rng_uniform(r) * (q->hi - q->lo);
            break;
        case LT_DIST_LOG:
            v = exp(log(q->lo) + lt_rng_uniform(r) * (log(q->hi) - log(q->lo)));
            break;
        }
        lt_tune_fmt_value(q, v, bufs[i], 64);
    }
}

