/* lathe predict: a saved model's predictions for new rows, as CSV. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"model", "FILE", "saved model (.lt)"},
    {"data", "FILE", "rows to predict (CSV with the model's input columns)"},
    {"out", "FILE", "write CSV here (default or '-': standard output)"},
    {"keep", "COLS", "input columns to copy to the output (default: all)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "predict", "Predict with a saved model. Output: the input columns, 'prediction', and one\n"
               "'proba_CLASS' column per class for classifiers.",
    "--model FILE --data FILE [--out FILE]", NULL, flags,
};

/* --json: the server's predict answer, plus where and how long. */
static int print_json(const lt_pipeline *p, const char *model, int64_t n, const float *pred,
                      const float *proba, double seconds)
{
    char *text = lt_serve_predictions_json(p, pred, proba, n);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!o)
        return lt_error(LT_ENOMEM, "out of memory writing JSON");
    json_object_set_new(o, "model", json_string(model));
    json_object_set_new(o, "n", json_integer(n));
    json_object_set_new(o, "predict_seconds", json_real(seconds));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(7));
    json_decref(o);
    if (!s)
        return lt_error(LT_ENOMEM, "out of memory writing JSON");
    printf("%s\n", s);
    free(s);
    return LT_OK;
}

int cmd_predict(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *model = cli_get(&a, "model"), *data = cli_get(&a, "data");
    const char *out = cli_get(&a, "out"), *keep = cli_get(&a, "keep");
    if (!model || !data)
        return cli_usage_error(&cmd, "--model and --data are required");
    lt_pipeline *p = NULL;
    lt_table *t = NULL, *res = NULL;
    float *pred = NULL, *proba = NULL;
    double *col = NULL;
    char **keepv = NULL;
    const char **names = NULL;
    int exit_code = CLI_FAIL;
    if (lt_pipeline_load(model, &p)) {
        cli_fail(&a, "loading model");
        goto done;
    }
    if (cli_read_for_model(data, p, &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    int64_t n = lt_table_nrows(t);
    int k = lt_pipeline_nproba(p);
    pred = lt_malloc(sizeof(float) * (size_t)(n ? n : 1));
    proba = k ? lt_malloc(sizeof(float) * (size_t)(n > 0 ? n * k : 1)) : NULL;
    col = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    names = lt_malloc(sizeof(char *) * (size_t)(n ? n : 1));
    if (!pred || (k && !proba) || !col || !names) {
        cli_fail(&a, NULL);
        goto done;
    }
    double t0 = lt_now();
    if (lt_pipeline_predict(p, t, pred, proba)) {
        cli_fail(&a, "predicting");
        goto done;
    }
    double seconds = lt_now() - t0;
    if (keep) {
        int nk;
        keepv = cli_split_list(keep, &nk);
        res = lt_table_select(t, (const char *const *)keepv, nk);
    } else {
        int nc = lt_table_ncols(t);
        const char **all = lt_malloc(sizeof(char *) * (size_t)(nc ? nc : 1));
        for (int j = 0; all && j < nc; j++)
            all[j] = lt_table_col_name(t, j);
        res = all ? lt_table_select(t, all, nc) : NULL;
        free(all);
    }
    if (!res) {
        cli_fail(&a, "--keep");
        goto done;
    }
    lt_task task = lt_pipeline_task(p);
    if (task == LT_TASK_CLASSIFICATION) {
        for (int64_t i = 0; i < n; i++)
            names[i] = lt_pipeline_class_name(p, (int)pred[i]);
        rc = lt_table_add_cat(res, "prediction", names, n);
    } else {
        for (int64_t i = 0; i < n; i++)
            col[i] = pred[i];
        rc = lt_table_add_num(res, "prediction", col, n);
    }
    for (int c = 0; !rc && c < k; c++) {
        char name[256];
        if (task == LT_TASK_CLASSIFICATION)
            snprintf(name, sizeof name, "proba_%s", lt_pipeline_class_name(p, c));
        else
            snprintf(name, sizeof name, "score");
        for (int64_t i = 0; i < n; i++)
            col[i] = proba[i * k + c];
        rc = lt_table_add_num(res, name, col, n);
    }
    if (rc) {
        cli_fail(&a, "building output (does the input already have a 'prediction' column?)");
        goto done;
    }
    if (out && !strcmp(out, "-"))
        out = NULL;
    if (a.json ? print_json(p, model, n, pred, proba, seconds)
               : out ? lt_csv_write(out, res) : cli_write_csv(stdout, res)) {
        cli_fail(&a, "writing predictions");
        goto done;
    }
    if (out && !a.quiet)
        fprintf(stderr, "lathe predict: %lld rows in %.3f s -> %s\n", (long long)n, seconds, out);
    exit_code = CLI_OK;
done:
    free(pred);
    free(proba);
    free(col);
    free(names);
    cli_free_list(keepv);
    lt_table_free(res);
    lt_table_free(t);
    lt_pipeline_free(p);
    return exit_code;
}
