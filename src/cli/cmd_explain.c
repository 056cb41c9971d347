/* lathe explain: what a saved model relies on (global importance) and why
 * it made one prediction (per-row contributions), as tables, JSON or an
 * SVG bar chart. */
#include "cli.h"
#include "lathe/explain.h"
#include "lathe/svg.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"model", "FILE", "saved model (.lt)"},
    {"data", "FILE", "labelled data for permutation importance, or the rows for --row"},
    {"row", "N", "explain the prediction for data row N (1 = first row after the header)"},
    {"method", "M", "for --row: treeshap | occlusion (default: treeshap if the model has it)"},
    {"class", "NAME", "for --row: class to explain (default: the positive class of a binary "
                      "model, the predicted class otherwise)"},
    {"features", NULL, "for --row with TreeSHAP: one entry per prepared feature (one-hot "
                       "levels apart) instead of per input column"},
    {"top", "K", "show only the K largest (default: all)"},
    {"svg", "FILE", "also draw the bars as an SVG chart"},
    {"repeats", "R", "shuffles per column for permutation importance (default 5)"},
    {"metric", "NAME", "score for permutation importance (default as in 'lathe tune')"},
    {"max-rows", "N", "score permutation importance on a sample of N rows (default: all)"},
    {"seed", "N", "seed of the shuffles (default 42)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "explain", "Explain a saved model: which inputs it relies on, or why it made one prediction.",
    "--model FILE [--data FILE [--row N]] [--top K] [--svg FILE] [--json]",
    "Without --data: the model's own importance (split gain of tree models) or the weights of a\n"
    "linear model. With labelled --data: permutation importance of each input column (the drop\n"
    "of the metric when the column is shuffled). With --row N: each feature's contribution to\n"
    "that row's prediction (TreeSHAP, exact, or occlusion: the change when a column is set to\n"
    "its training mean/mode, approximate). See docs/explain.md.",
    flags,
};

typedef struct {
    int idx;
    double mag;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->mag != y->mag)
        return x->mag < y->mag ? 1 : -1;
    return x->idx - y->idx;
}

/* Order of entries by |value|, largest first (NaN last). */
static ranked *rank_by_magnitude(const double *v, int n)
{
    ranked *r = malloc(sizeof(ranked) * (size_t)(n ? n : 1));
    for (int i = 0; r && i < n; i++)
        r[i] = (ranked){i, isfinite(v[i]) ? fabs(v[i]) : -1};
    if (r)
        qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    return r;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void perm_progress(void *user, int done, int total)
{
    cli_progress(user, "permutation importance: column %d/%d", done, total);
}

static int write_svg(const cli_args *a, const char *path, const lt_bar_chart *c)
{
    if (lt_svg_bar_chart_write(c, path))
        return cli_fail(a, "writing --svg");
    if (!a->json)
        printf("\nchart written to %s\n", path);
    return CLI_OK;
}

static int print_importance(const cli_args *a, const char *model, const lt_pipeline *p,
                            const lt_importance *imp, int top, const char *svg)
{
    ranked *r = rank_by_magnitude(imp->mean, imp->n);
    if (!r)
        return cli_fail(a, "out of memory");
    int n = top > 0 && top < imp->n ? top : imp->n;
    const char *kind = imp->kind == LT_IMPORTANCE_PERMUTATION ? "permutation"
                       : imp->kind == LT_IMPORTANCE_GAIN      ? "gain"
                                                              : "coefficient";
    if (a->json) {
        json_t *o = json_object(), *arr = json_array();
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "kind", json_string(kind));
        if (imp->kind == LT_IMPORTANCE_PERMUTATION) {
            json_object_set_new(o, "metric", json_string(imp->metric));
            json_object_set_new(o, "baseline", json_real(imp->baseline));
            json_object_set_new(o, "repeats", json_integer(imp->n_repeats));
            json_object_set_new(o, "rows", json_integer(imp->nrows));
        }
        for (int k = 0; k < n; k++) {
            int i = r[k].idx;
            json_t *e = json_pack("{s:s,s:f}", "name", imp->names[i], "importance",
                                  isfinite(imp->mean[i]) ? imp->mean[i] : 0.0);
            if (imp->kind == LT_IMPORTANCE_PERMUTATION)
                json_object_set_new(e, "std", json_real(imp->std[i]));
            json_array_append_new(arr, e);
        }
        json_object_set_new(o, "importance", arr);
        if (svg)
            json_object_set_new(o, "svg", json_string(svg));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(8));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        int w = 8;
        for (int i = 0; i < imp->n; i++)
            w = (int)strlen(imp->names[i]) > w ? (int)strlen(imp->names[i]) : w;
        w = w > 48 ? 48 : w;
        if (imp->kind == LT_IMPORTANCE_PERMUTATION) {
            printf("permutation importance of %s (%s) on %lld rows, %d repeats\n", model,
                   lt_pipeline_model_name(p), (long long)imp->nrows, imp->n_repeats);
            printf("%s on the rows as they are: %.4f; %s when a column is shuffled:\n\n",
                   imp->metric, imp->baseline,
                   imp->higher_is_better ? "drop" : "increase (worse)");
            printf("  %-*s  %10s  %8s\n", w, "column", "drop", "std");
        } else if (imp->kind == LT_IMPORTANCE_GAIN) {
            printf("gain importance of %s (%s): share of the total split gain per feature\n\n",
                   model, lt_pipeline_model_name(p));
            printf("  %-*s  %10s\n", w, "feature", "share");
        } else {
            printf("coefficients of %s (%s) on the prepared (scaled) features%s\n\n", model,
                   lt_pipeline_model_name(p),
                   lt_pipeline_nclass(p) > 2 ? ": mean |weight| over the classes" : "");
            printf("  %-*s  %10s\n", w, "feature", "weight");
        }
        for (int k = 0; k < n; k++) {
            int i = r[k].idx;
            printf("  %-*s  %10.4f", w, imp->names[i], imp->mean[i]);
            if (imp->kind == LT_IMPORTANCE_PERMUTATION)
                printf("  %8.4f", imp->std[i]);
            printf("\n");
        }
        if (n < imp->n)
            printf("  (%d more)\n", imp->n - n);
        if (imp->kind == LT_IMPORTANCE_PERMUTATION)
            printf("\nnear 0 or below: the model does not rely on the column (or a correlated "
                   "column stands in for it)\n");
    }
    free(r);
    if (!svg)
        return CLI_OK;
    char title[256], sub[256], axis[96];
    lt_bar_chart c = {0};
    c.n = imp->n;
    c.labels = (const char *const *)imp->names;
    c.values = imp->mean;
    c.top = top;
    c.title = title;
    c.subtitle = sub;
    c.axis_label = axis;
    if (imp->kind == LT_IMPORTANCE_PERMUTATION) {
        snprintf(title, sizeof title, "Permutation importance: %s", base_name(model));
        snprintf(sub, sizeof sub, "%s %s when a column is shuffled (%.4f as is; %lld rows, "
                 "%d repeats, bars: mean \xC2\xB1 std)", imp->metric,
                 imp->higher_is_better ? "drop" : "increase", imp->baseline,
                 (long long)imp->nrows, imp->n_repeats);
        snprintf(axis, sizeof axis, "%s %s", imp->higher_is_better ? "drop in" : "increase of",
                 imp->metric);
        c.errors = imp->std;
    } else if (imp->kind == LT_IMPORTANCE_GAIN) {
        snprintf(title, sizeof title, "Gain importance: %s", base_name(model));
        snprintf(sub, sizeof sub, "%s: share of the total split gain per feature",
                 lt_pipeline_model_name(p));
        snprintf(axis, sizeof axis, "share of gain");
    } else {
        snprintf(title, sizeof title, "Coefficients: %s", base_name(model));
        snprintf(sub, sizeof sub, "%s weights on the prepared (scaled) features",
                 lt_pipeline_model_name(p));
        snprintf(axis, sizeof axis, "weight");
        if (lt_pipeline_nclass(p) <= 2) {
            c.signed_colors = 1;
            c.pos_legend = "raises the prediction";
            c.neg_legend = "lowers it";
        }
    }
    return write_svg(a, svg, &c);
}

static int print_row(const cli_args *a, const char *model, const char *data, long row,
                     const lt_pipeline *p, const lt_contrib *c, int top, const char *svg)
{
    ranked *r = rank_by_magnitude(c->contrib, c->n);
    if (!r)
        return cli_fail(a, "out of memory");
    int n = top > 0 && top < c->n ? top : c->n;
    const char *method = c->method == LT_CONTRIB_TREESHAP ? "treeshap" : "occlusion";
    if (a->json) {
        json_t *o = json_object(), *arr = json_array();
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "row", json_integer(row));
        json_object_set_new(o, "method", json_string(method));
        json_object_set_new(o, "predicted", json_string(c->predicted));
        if (c->cls >= 0)
            json_object_set_new(o, "class", json_string(lt_pipeline_class_name(p, c->cls)));
        json_object_set_new(o, "explained", json_string(c->output_desc));
        json_object_set_new(o, "output", json_real(c->output));
        json_object_set_new(o, "base", json_real(c->base));
        for (int k = 0; k < n; k++) {
            int i = r[k].idx;
            json_array_append_new(arr, json_pack("{s:s,s:s,s:f}", "name", c->names[i], "value",
                                                 c->values[i], "contribution", c->contrib[i]));
        }
        json_object_set_new(o, "contributions", arr);
        if (svg)
            json_object_set_new(o, "svg", json_string(svg));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(8));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        int w = 8, vw = 5;
        for (int i = 0; i < c->n; i++) {
            w = (int)strlen(c->names[i]) > w ? (int)strlen(c->names[i]) : w;
            vw = (int)strlen(c->values[i]) > vw ? (int)strlen(c->values[i]) : vw;
        }
        w = w > 40 ? 40 : w;
        vw = vw > 24 ? 24 : vw;
        printf("row %ld of %s: predicted %s by %s (%s)\n", row, data, c->predicted, model,
               lt_pipeline_model_name(p));
        if (c->method == LT_CONTRIB_TREESHAP)
            printf("treeshap: %s = %.4f = base %.4f + the contributions below (exact)\n\n",
                   c->output_desc, c->output, c->base);
        else
            printf("occlusion: %s = %.4f; each contribution is the change when that column is\n"
                   "set to its training mean/mode (%.4f with every column so); approximate\n\n",
                   c->output_desc, c->output, c->base);
        /* Grouped TreeSHAP and occlusion name input columns; --features names
         * prepared features ("type=L"). */
        int by_feature = c->n != lt_prep_nin(lt_pipeline_prep(p));
        printf("  %-*s  %-*s  %12s\n", w, by_feature ? "feature" : "input", vw, "value",
               "contribution");
        for (int k = 0; k < n; k++) {
            int i = r[k].idx;
            printf("  %-*s  %-*s  %+12.4f\n", w, c->names[i], vw, c->values[i], c->contrib[i]);
        }
        if (n < c->n)
            printf("  (%d more)\n", c->n - n);
    }
    free(r);
    if (!svg)
        return CLI_OK;
    /* Labels "name = value" so the chart reads on its own. */
    char **labels = calloc((size_t)c->n, sizeof(char *));
    if (!labels)
        return cli_fail(a, "out of memory");
    for (int i = 0; i < c->n; i++) {
        size_t len = strlen(c->names[i]) + strlen(c->values[i]) + 4;
        if ((labels[i] = malloc(len)))
            snprintf(labels[i], len, "%s = %s", c->names[i], c->values[i]);
    }
    char title[256], sub[320];
    snprintf(title, sizeof title, "Why row %ld: predicted %s", row, c->predicted);
    if (c->method == LT_CONTRIB_TREESHAP)
        snprintf(sub, sizeof sub, "TreeSHAP contributions to the %s (%.4f = base %.4f + bars)",
                 c->output_desc, c->output, c->base);
    else
        snprintf(sub, sizeof sub, "occlusion: change of the %s (%.4f) when a column is set to "
                 "its training mean/mode", c->output_desc, c->output);
    lt_bar_chart ch = {0};
    ch.title = title;
    ch.subtitle = sub;
    ch.axis_label = "contribution";
    ch.n = c->n;
    ch.labels = (const char *const *)labels;
    ch.values = c->contrib;
    ch.signed_colors = 1;
    ch.pos_legend = "raises the prediction";
    ch.neg_legend = "lowers it";
    ch.top = top;
    int ok = 1;
    for (int i = 0; i < c->n; i++)
        ok &= labels[i] != NULL;
    int rc = ok ? write_svg(a, svg, &ch) : cli_fail(a, "out of memory");
    for (int i = 0; i < c->n; i++)
        free(labels[i]);
    free(labels);
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *model = cli_get(&a, "model"), *data = cli_get(&a, "data");
    const char *svg = cli_get(&a, "svg"), *method = cli_get(&a, "method");
    const char *cls = cli_get(&a, "class");
    if (!model)
        return cli_usage_error(&cmd, "--model is required");
    long row, top, repeats, seed, max_rows;
    if ((rc = cli_get_int(&a, "row", 0, &row)) || (rc = cli_get_int(&a, "top", 0, &top)) ||
        (rc = cli_get_int(&a, "repeats", 5, &repeats)) || (rc = cli_get_int(&a, "seed", 42, &seed)) ||
        (rc = cli_get_int(&a, "max-rows", 0, &max_rows)))
        return rc;
    int want_row = cli_get(&a, "row") != NULL;
    if (want_row && !data)
        return cli_usage_error(&cmd, "--row needs --data (the table the row is in)");
    if (want_row && row < 1)
        return cli_usage_error(&cmd, "--row counts data rows from 1, got %ld", row);
    if (top < 0)
        return cli_usage_error(&cmd, "--top must be >= 0, got %ld", top);
    if (repeats < 1 || repeats > 1000)
        return cli_usage_error(&cmd, "--repeats must be from 1 to 1000, got %ld", repeats);
    if (max_rows < 0)
        return cli_usage_error(&cmd, "--max-rows must be >= 0");
    lt_row_params rp = lt_row_params_default();
    if (method) {
        if (!strcmp(method, "treeshap"))
            rp.method = LT_CONTRIB_TREESHAP;
        else if (!strcmp(method, "occlusion"))
            rp.method = LT_CONTRIB_OCCLUSION;
        else
            return cli_usage_error(&cmd, "--method must be treeshap or occlusion, got '%s'", method);
        if (!want_row)
            return cli_usage_error(&cmd, "--method goes with --row");
    }
    if ((cls || cli_get(&a, "features")) && !want_row)
        return cli_usage_error(&cmd, "--%s goes with --row", cls ? "class" : "features");
    const char *metric = cli_get(&a, "metric");
    if (metric && lt_score_lookup(metric, NULL, NULL))
        return cli_usage_error(&cmd, "--metric: %s", lt_last_error());

    lt_pipeline *p = NULL;
    lt_table *t = NULL;
    lt_importance imp = {0};
    lt_contrib con = {0};
    int exit_code = CLI_FAIL;
    if (lt_pipeline_load(model, &p)) {
        cli_fail(&a, "loading model");
        goto done;
    }
    const lt_model *m = lt_pipeline_model(p);
    if (metric) {
        lt_task mt;
        lt_score_lookup(metric, &mt, NULL);
        if (mt != lt_pipeline_task(p)) {
            exit_code = cli_usage_error(&cmd, "--metric %s is for %s, but the model does %s",
                                        metric, cli_task_name(mt),
                                        cli_task_name(lt_pipeline_task(p)));
            goto done;
        }
    }
    if (cls) {
        rp.cls = lt_pipeline_class_index(p, cls);
        if (rp.cls < 0) {
            exit_code = cli_usage_error(&cmd, "--class '%s' is not one of the model's %d classes",
                                        cls, lt_pipeline_nclass(p));
            goto done;
        }
    }
    if (rp.method == LT_CONTRIB_TREESHAP && !m->vt->contributions) {
        exit_code = cli_usage_error(&cmd, "model '%s' has no TreeSHAP; use --method occlusion",
                                    m->vt->name);
        goto done;
    }
    if (!data) {
        rc = m->vt->importance ? lt_explain_gain(p, &imp) : lt_explain_coefficients(p, &imp);
        if (rc == LT_EUNSUPPORTED) {
            exit_code = cli_usage_error(&cmd, "model '%s' has no built-in importance: give "
                                        "labelled --data for permutation importance",
                                        m->vt->name);
            goto done;
        }
        if (rc) {
            cli_fail(&a, "explaining");
            goto done;
        }
        exit_code = print_importance(&a, model, p, &imp, (int)top, svg);
        goto done;
    }
    if (cli_read_for_model(data, p, &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    if (want_row && row > lt_table_nrows(t)) { /* say it in the user's 1-based terms */
        lt_error(LT_EINVAL, "--row %ld is past the end: %s has %lld data rows", row, data,
                 (long long)lt_table_nrows(t));
        cli_fail(&a, NULL);
        goto done;
    }
    if (want_row) {
        if (lt_explain_row(p, t, row - 1, &rp, &con) ||
            (!cli_get(&a, "features") && lt_contrib_group_inputs(p, &con))) {
            cli_fail(&a, "explaining the row");
            goto done;
        }
        exit_code = print_row(&a, model, data, row, p, &con, (int)top, svg);
        goto done;
    }
    lt_perm_params pp = lt_perm_params_default();
    pp.n_repeats = (int)repeats;
    pp.seed = (uint64_t)seed;
    pp.metric = metric;
    pp.max_rows = max_rows;
    pp.progress = perm_progress;
    pp.progress_user = &a;
    if (lt_explain_permutation(p, t, &pp, &imp)) {
        cli_fail(&a, "permutation importance");
        goto done;
    }
    cli_progress_done(&a);
    exit_code = print_importance(&a, model, p, &imp, (int)top, svg);
done:
    cli_progress_done(&a);
    lt_importance_free(&imp);
    lt_contrib_free(&con);
    lt_table_free(t);
    lt_pipeline_free(p);
    return exit_code;
}
