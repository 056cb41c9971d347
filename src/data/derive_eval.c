/* Derived columns: checking definitions against a table and evaluating
 * their RPN programs over it in blocks of rows, with a stack of row blocks
 * (no recursion, no allocation per row). */
#include "derive_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- check and evaluate ------------------------------------------------------- */

int lt_derive_check(const lt_derive *const *d, int n, const lt_table *t)
{
    for (int i = 0; i < n; i++) {
        if (lt_table_col_index(t, d[i]->name) >= 0)
            return lt_error(LT_EINVAL, "'%s': the data already has a column '%s'; choose "
                            "another name", d[i]->src, d[i]->name);
        for (int k = 0; k < i; k++)
            if (!strcmp(d[k]->name, d[i]->name))
                return lt_error(LT_EINVAL, "'%s': column '%s' is defined twice", d[i]->src,
                                d[i]->name);
        for (int r = 0; r < d[i]->nrefs; r++) {
            const char *ref = d[i]->refs[r];
            int j = lt_table_col_index(t, ref);
            if (j >= 0) {
                if (lt_table_col_type(t, j) != LT_COL_NUM)
                    return lt_error(LT_ETYPE, "'%s': column '%s' is categorical; only numeric "
                                    "columns can be used in expressions", d[i]->src, ref);
                continue;
            }
            int k = 0;
            while (k < n && strcmp(d[k]->name, ref))
                k++;
            if (k < i)
                continue;
            if (k == i)
                return lt_error(LT_EINVAL, "'%s': column '%s' uses itself", d[i]->src, ref);
            if (k < n)
                return lt_error(LT_EINVAL, "'%s': column '%s' is defined later; definitions "
                                "run in order", d[i]->src, ref);
            lt_table_require(t, ref);
            return lt_error_wrap(LT_ENOTFOUND, "'%s': unknown column '%s': ", d[i]->src, ref);
        }
    }
    return LT_OK;
}

/* Rows per block: the stack holds depth blocks of this many doubles. */
#define BLOCK 256

static inline double fin(double v) { return isfinite(v) ? v : NAN; }

int lt_derive_eval(const lt_derive *d, const lt_table *t, double *out)
{
    const double **cols = lt_calloc((size_t)d->nrefs + 1, sizeof *cols);
    double *stack = lt_malloc(sizeof(double) * BLOCK * (size_t)d->depth);
    int rc = cols && stack ? LT_OK : LT_ENOMEM;
    for (int r = 0; !rc && r < d->nrefs; r++) {
        int j = lt_table_col_index(t, d->refs[r]);
        if (j < 0) {
            lt_table_require(t, d->refs[r]);
            rc = lt_error_wrap(LT_ENOTFOUND, "derived column '%s' needs column '%s': ", d->name,
                               d->refs[r]);
        } else if (!(cols[r] = lt_table_num(t, j))) {
            rc = lt_error(LT_ETYPE, "derived column '%s': column '%s' is categorical; only "
                          "numeric columns can be used in expressions", d->name, d->refs[r]);
        }
    }
    int64_t n = lt_table_nrows(t);
    /* stack slot s holds rows [i0, i0 + m) of an intermediate: stack[s * BLOCK + i] */
    for (int64_t i0 = 0; !rc && i0 < n; i0 += BLOCK) {
        int m = n - i0 < BLOCK ? (int)(n - i0) : BLOCK;
        int sp = 0;
        for (int k = 0; k < d->nprog; k++) {
            const dop *o = &d->prog[k];
            /* top and below top (only used by ops that have them) */
            double *a = stack + (size_t)(sp >= 1 ? sp - 1 : 0) * BLOCK;
            double *b = stack + (size_t)(sp >= 2 ? sp - 2 : 0) * BLOCK;
            switch (o->op) {
            case OP_NUM: case OP_PI: case OP_E: {
                double v = o->op == OP_NUM ? o->v : o->op == OP_PI ? M_PI : M_E;
                double *s = stack + (size_t)sp++ * BLOCK;
                for (int i = 0; i < m; i++)
                    s[i] = v;
                break;
            }
            case OP_COL:
                memcpy(stack + (size_t)sp++ * BLOCK, cols[o->arg] + i0, sizeof(double) * (size_t)m);
                break;
            case OP_NEG:
                for (int i = 0; i < m; i++)
                    a[i] = -a[i];
                break;
            case OP_ABS:
                for (int i = 0; i < m; i++)
                    a[i] = fabs(a[i]);
                break;
            case OP_SQRT:
                for (int i = 0; i < m; i++)
                    a[i] = a[i] >= 0 ? sqrt(a[i]) : NAN;
                break;
            case OP_LOG:
                for (int i = 0; i < m; i++)
                    a[i] = a[i] > 0 ? fin(log(a[i])) : NAN;
                break;
            case OP_EXP:
                for (int i = 0; i < m; i++)
                    a[i] = fin(exp(a[i]));
                break;
            case OP_ADD:
                for (int i = 0; i < m; i++)
                    b[i] = fin(b[i] + a[i]);
                sp--;
                break;
            case OP_SUB:
                for (int i = 0; i < m; i++)
                    b[i] = fin(b[i] - a[i]);
                sp--;
                break;
            case OP_MUL:
                for (int i = 0; i < m; i++)
                    b[i] = fin(b[i] * a[i]);
                sp--;
                break;
            case OP_DIV:
                for (int i = 0; i < m; i++)
                    b[i] = a[i] != 0 ? fin(b[i] / a[i]) : NAN;
                sp--;
                break;
            case OP_POW:
                /* pow(NaN, 0) and pow(1, NaN) are 1 in C; missing stays missing here */
                for (int i = 0; i < m; i++)
                    b[i] = isnan(a[i]) || isnan(b[i]) ? NAN : fin(pow(b[i], a[i]));
                sp--;
                break;
#define CMP(OPC, EXPR)                                                   \
            case OPC:                                                    \
                for (int i = 0; i < m; i++)                              \
                    b[i] = isnan(a[i]) || isnan(b[i]) ? NAN : (EXPR);    \
                sp--;                                                    \
                break;
            CMP(OP_LT, b[i] < a[i])
            CMP(OP_LE, b[i] <= a[i])
            CMP(OP_GT, b[i] > a[i])
            CMP(OP_GE, b[i] >= a[i])
            CMP(OP_EQ, b[i] == a[i])
            CMP(OP_NE, b[i] != a[i])
            CMP(OP_MIN, b[i] < a[i] ? b[i] : a[i])
            CMP(OP_MAX, b[i] > a[i] ? b[i] : a[i])
#undef CMP
            case OP_WHERE: {
                double *c = stack + (size_t)(sp - 3) * BLOCK;
                for (int i = 0; i < m; i++)
                    c[i] = isnan(c[i]) ? NAN : c[i] != 0 ? b[i] : a[i];
                sp -= 2;
                break;
            }
            }
        }
        memcpy(out + i0, stack, sizeof(double) * (size_t)m);
    }
    free(cols);
    free(stack);
    return rc;
}

int lt_derive_apply(const lt_derive *const *d, int n, lt_table *t)
{
    int rc = lt_derive_check(d, n, t);
    int64_t rows = lt_table_nrows(t);
    double *v = rc ? NULL : lt_malloc(sizeof(double) * (size_t)(rows ? rows : 1));
    if (!rc && !v)
        rc = LT_ENOMEM;
    for (int i = 0; !rc && i < n; i++) {
        rc = lt_derive_eval(d[i], t, v);
        if (!rc)
            rc = lt_table_add_num(t, d[i]->name, v, rows);
    }
    free(v);
    return rc;
}
