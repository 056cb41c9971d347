/* lathe eval: metrics of a saved model on labelled data. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>

static const cli_flag flags[] = {
    {"model", "FILE", "saved model (.lt)"},
    {"data", "FILE", "labelled data (CSV) with the model's input columns and target"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "eval", "Evaluate a saved model on labelled data and print its metrics.",
    "--model FILE --data FILE", NULL, flags,
};

int cmd_eval(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *model = cli_get(&a, "model"), *data = cli_get(&a, "data");
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
    if (cli_read_for_model(data, p, &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    if (lt_pipeline_evaluate(p, t, NULL, 0, &ev)) {
        cli_fail(&a, "evaluating");
        goto done;
    }
    metrics = lt_eval_metrics_json(&ev);
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(model));
        json_object_set_new(o, "task", json_string(cli_task_name(lt_pipeline_task(p))));
        json_object_set_new(o, "metrics", json_loads(metrics, 0, NULL));
        json_object_set_new(o, "predict_seconds", json_real(ev.predict_seconds));
        json_object_set_new(o, "rows", json_integer(ev.n));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        printf("model  %s (%s %s, target %s)\nrows   %lld   predict %.3f s\n\n", model,
               lt_pipeline_model_name(p), cli_task_name(lt_pipeline_task(p)),
               lt_pipeline_target(p), (long long)ev.n, ev.predict_seconds);
        cli_print_metrics(stdout, metrics);
    }
    exit_code = CLI_OK;
done:
    free(metrics);
    lt_table_free(t);
    lt_pipeline_free(p);
    return exit_code;
}
