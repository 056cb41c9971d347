/* lathe eval: metrics of a saved model on labelled data. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"model", "FILE", "saved model (.lt)"},
    {"data", "FILE", "labelled data (CSV) with the model's input columns and target"},
    {"target", "COL", "label column for anomaly/cluster models (roc_auc, pr_auc / ari); for "
                      "supervised models it must be the model's target (or be omitted)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "eval", "Evaluate a saved model on labelled data and print its metrics.",
    "--model FILE --data FILE [--target COL]",
    "Anomaly models (iforest) report the share of rows flagged and, with --target, ROC AUC and\n"
    "PR AUC of their score against a 0/1 (or normal/anomaly) label. Cluster models (kmeans)\n"
    "report inertia and silhouette and, with --target, the adjusted Rand index against it.",
    flags,
};

int cmd_eval(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *model = cli_get(&a, "model"), *data = cli_get(&a, "data");
    const char *target = cli_get(&a, "target");
    if (!model || !data)
        return cli_usage_error(&cmd, "--model and --data are required");
    lt_pipeline *p = NULL;
    lt_table *t = NULL;
    char *metrics = NULL;
    int exit_code = CLI_FAIL;
    lt_eval ev;
    if (lt_pipeline_load(model, &p)) {
        cli_fail(&a, "loading model");
        goto done;
    }
    lt_task task = lt_pipeline_task(p);
    if (target && task <= LT_TASK_CLASSIFICATION && strcmp(target, lt_pipeline_target(p)) != 0) {
        cli_usage_error(&cmd, "--target '%s' does not match the model's target '%s' (omit it for "
                        "supervised models)", target, lt_pipeline_target(p));
        exit_code = CLI_USAGE;
        goto done;
    }
    if (cli_read_for_model(data, p, &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    if (lt_pipeline_evaluate_labels(p, t, NULL, 0, target, &ev)) {
        cli_fail(&a, "evaluating");
        goto done;
    }
    metrics = lt_eval_metrics_json(&ev);
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "task", json_string(cli_task_name(lt_pipeline_task(p))));
        if (target)
            json_object_set_new(o, "target", json_string(target));
        json_object_set_new(o, "metrics", json_loads(metrics, 0, NULL));
        json_object_set_new(o, "predict_seconds", json_real(ev.predict_seconds));
        json_object_set_new(o, "rows", json_integer(ev.n));
        if (!isnan(lt_pipeline_threshold(p)))
            json_object_set_new(o, "threshold", json_real(lt_pipeline_threshold(p)));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        const char *tgt = lt_pipeline_target(p) ? lt_pipeline_target(p) : target;
        printf("model  %s (%s %s, %s %s)\nrows   %lld   predict %.3f s\n\n", model,
               lt_pipeline_model_name(p), cli_task_name(task),
               lt_pipeline_target(p) ? "target" : "label", tgt ? tgt : "none", (long long)ev.n,
               ev.predict_seconds);
        if (!isnan(lt_pipeline_threshold(p)))
            printf("decisions at the model's threshold %.4f (class %s where its probability is at "
                   "least this)\n\n", lt_pipeline_threshold(p), lt_pipeline_class_name(p, 1));
        cli_print_metrics(stdout, metrics);
    }
    exit_code = CLI_OK;
done:
    free(metrics);
    lt_table_free(t);
    lt_pipeline_free(p);
    return exit_code;
}
