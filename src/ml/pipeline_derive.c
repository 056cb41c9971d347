/* Derived columns in pipelines: the raw input schema, the table the
 * transforms read (raw inputs + derived columns), and the checks and table
 * of a fit with --derive. */
#include "pipeline_impl.h"

#include <stdlib.h>
#include <string.h>

static int name_in(const char *s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int derived_index(const lt_pipeline *p, const char *name)
{
    for (int i = 0; i < p->nderive; i++)
        if (!strcmp(lt_derive_name(p->derive[i]), name))
            return i;
    return -1;
}

static int schema_index(const lt_pipeline *p, const char *name)
{
    for (int j = 0; j < p->nin; j++)
        if (!strcmp(p->in_names[j], name))
            return j;
    return -1;
}

static int schema_add(lt_pipeline *p, const char *name, lt_coltype type)
{
    if (schema_index(p, name) >= 0 || derived_index(p, name) >= 0)
        return LT_OK;
    char *copy = lt_strdup(name);
    if (!copy)
        return LT_ENOMEM;
    p->in_names[p->nin] = copy;
    p->in_types[p->nin++] = type;
    return LT_OK;
}

int lt_pipeline_build_schema(lt_pipeline *p)
{
    int cap = lt_prep_nin(p->prep) + 1;
    for (int i = 0; i < p->nderive; i++)
        cap += lt_derive_nrefs(p->derive[i]);
    p->in_names = lt_calloc((size_t)cap, sizeof(char *));
    p->in_types = lt_calloc((size_t)cap, sizeof(lt_coltype));
    int rc = p->in_names && p->in_types ? LT_OK : LT_ENOMEM;
    for (int j = 0; !rc && j < lt_prep_nin(p->prep); j++)
        rc = schema_add(p, lt_prep_in_name(p->prep, j), lt_prep_in_type(p->prep, j));
    for (int i = 0; !rc && i < p->nderive; i++)
        for (int r = 0; !rc && r < lt_derive_nrefs(p->derive[i]); r++) {
            const char *ref = lt_derive_ref(p->derive[i], r);
            int j = schema_index(p, ref);
            if (j >= 0 && p->in_types[j] != LT_COL_NUM)
                return lt_error(LT_ECORRUPT, "derived column '%s' reads '%s', which the "
                                "transforms take as categorical",
                                lt_derive_name(p->derive[i]), ref);
            rc = schema_add(p, ref, LT_COL_NUM);
        }
    return rc;
}

int lt_pipeline_derive_table(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                             int64_t nrows, const char *keep, lt_table **out)
{
    *out = NULL;
    const char **names = lt_malloc(sizeof(char *) * (size_t)(p->nin + 2));
    if (!names)
        return LT_ENOMEM;
    int k = 0, rc = LT_OK;
    for (int j = 0; j < p->nin && !rc; j++) {
        const char *nm = p->in_names[j];
        int tj = lt_table_col_index(t, nm);
        int is_ref = 0;
        for (int i = 0; i < p->nderive && !is_ref; i++)
            for (int r = 0; r < lt_derive_nrefs(p->derive[i]) && !is_ref; r++)
                is_ref = !strcmp(lt_derive_ref(p->derive[i], r), nm);
        if (tj < 0)
            rc = lt_error(LT_ENOTFOUND, "column '%s' is missing from the data (the model %s)", nm,
                          is_ref ? "computes derived columns from it" : "was fitted with it");
        else if (p->in_types[j] == LT_COL_NUM && lt_table_col_type(t, tj) == LT_COL_CAT)
            rc = lt_error(LT_ETYPE, "column '%s' holds text; expected numbers (it was numeric "
                          "when the model was fitted)", nm);
        else
            names[k++] = nm;
    }
    if (!rc && keep && lt_table_col_index(t, keep) >= 0 && schema_index(p, keep) < 0 &&
        derived_index(p, keep) < 0)
        names[k++] = keep;
    lt_table *sel = rc ? NULL : lt_table_select(t, names, k);
    free(names);
    if (!rc && !sel)
        rc = lt_error_wrap(LT_ENOMEM, "selecting the model's inputs: ");
    lt_table *sub = sel;
    if (!rc && rows) {
        sub = lt_table_take(sel, rows, nrows);
        lt_table_free(sel);
        if (!sub)
            rc = lt_error_wrap(LT_ENOMEM, "selecting rows: ");
    }
    if (!rc && p->nderive)
        rc = lt_derive_apply((const lt_derive *const *)p->derive, p->nderive, sub);
    if (rc) {
        lt_table_free(sub);
        return rc;
    }
    *out = sub;
    return LT_OK;
}

int lt_pipeline_nin(const lt_pipeline *p) { return p->nin; }
const char *lt_pipeline_in_name(const lt_pipeline *p, int j)
{
    return j >= 0 && j < p->nin ? p->in_names[j] : NULL;
}
lt_coltype lt_pipeline_in_type(const lt_pipeline *p, int j)
{
    return j >= 0 && j < p->nin ? p->in_types[j] : LT_COL_NUM;
}
int lt_pipeline_nderive(const lt_pipeline *p) { return p->nderive; }
const char *lt_pipeline_derive_text(const lt_pipeline *p, int i)
{
    return i >= 0 && i < p->nderive ? lt_derive_text(p->derive[i]) : NULL;
}

/* Checks the definitions against t and builds the table fit_core reads:
 * the kept columns of t (all but the dropped ones, except those the
 * definitions read, and the target) for rows, plus the derived columns;
 * *drop2 gets the --drop names that remain in that table. */
int lt_pipeline_derive_for_fit(const lt_table *t, const int64_t *rows, int64_t nrows,
                               const lt_pipeline_spec *spec, lt_derive **defs, int nd,
                               lt_table **out, const char ***drop2, int *ndrop2)
{
    *out = NULL;
    *drop2 = NULL;
    *ndrop2 = 0;
    const lt_derive *const *cd = (const lt_derive *const *)defs;
    for (int i = 0; i < nd && spec->target; i++) {
        if (!strcmp(lt_derive_name(defs[i]), spec->target))
            return lt_error(LT_EINVAL, "target '%s' is a derived column; the target must be a "
                            "column of the data", spec->target);
        for (int r = 0; r < lt_derive_nrefs(defs[i]); r++)
            if (!strcmp(lt_derive_ref(defs[i], r), spec->target))
                return lt_error(LT_EINVAL, "--derive '%s' reads the target '%s': its value is "
                                "unknown when predicting", lt_derive_text(defs[i]),
                                spec->target);
    }
    int rc = lt_derive_check(cd, nd, t);
    if (rc)
        return lt_error_wrap(rc, "--derive ");
    for (int i = 0; i < spec->ndrop; i++) {
        int derived = 0;
        for (int k = 0; k < nd && !derived; k++)
            derived = !strcmp(lt_derive_name(defs[k]), spec->drop[i]);
        if (!derived && lt_table_require(t, spec->drop[i]) < 0)
            return lt_error_wrap(LT_ENOTFOUND, "--drop: ");
    }
    int nc = lt_table_ncols(t);
    const char **keep = lt_malloc(sizeof(char *) * (size_t)(nc + 1));
    const char **d2 = lt_malloc(sizeof(char *) * (size_t)(spec->ndrop + 1));
    if (!keep || !d2) {
        free(keep);
        free(d2);
        return LT_ENOMEM;
    }
    int nk = 0;
    for (int j = 0; j < nc; j++) {
        const char *name = lt_table_col_name(t, j);
        int use = !name_in(name, spec->drop, spec->ndrop) ||
                  (spec->target && !strcmp(name, spec->target));
        for (int i = 0; i < nd && !use; i++)
            for (int r = 0; r < lt_derive_nrefs(defs[i]) && !use; r++)
                use = !strcmp(lt_derive_ref(defs[i], r), name);
        if (use)
            keep[nk++] = name;
    }
    lt_table *sel = lt_table_select(t, keep, nk), *sub = sel;
    free(keep);
    if (sel && rows) {
        sub = lt_table_take(sel, rows, nrows);
        lt_table_free(sel);
    }
    rc = sub ? lt_derive_apply(cd, nd, sub) : LT_ENOMEM;
    if (rc) {
        lt_table_free(sub);
        free(d2);
        return rc ? lt_error_wrap(rc, "--derive ") : rc;
    }
    for (int i = 0; i < spec->ndrop; i++)
        if (lt_table_col_index(sub, spec->drop[i]) >= 0)
            d2[(*ndrop2)++] = spec->drop[i];
    *drop2 = d2;
    *out = sub;
    return LT_OK;
}
