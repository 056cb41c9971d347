/* lathe info: what a saved model is and what it expects. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"model", "FILE", "saved model (.lt); may also be given as the only argument"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "info", "Describe a saved model: type, task, target and classes, input columns,\n"
            "derived columns, parameters, metrics and provenance.",
    "FILE | --model FILE", NULL, flags,
};

int cmd_info(int argc, char **argv)
{
    /* Accept "lathe info FILE [flags]" as well as --model FILE: take the
     * first bare argument out before the flag parser sees it. */
    const char *path = NULL;
    char *args2[64];
    int n2 = 0;
    for (int i = 0; i < argc && n2 < 63; i++) {
        if (i > 0 && !path && argv[i][0] != '-' && strncmp(argv[i - 1], "--model", 8) != 0)
            path = argv[i];
        else
            args2[n2++] = argv[i];
    }
    args2[n2] = NULL;
    argc = n2;
    argv = args2;
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (!path)
        path = cli_get(&a, "model");
    if (!path)
        return cli_usage_error(&cmd, "which model? give FILE or --model FILE");
    lt_pipeline *p = NULL;
    if (lt_pipeline_load(path, &p))
        return cli_fail(&a, "loading model");
    const lt_prep *prep = lt_pipeline_prep(p);
    char *params = lt_model_params_json(lt_pipeline_model(p));
    json_t *o = json_object();
    json_object_set_new(o, "file", json_string(path));
    json_object_set_new(o, "model", json_string(lt_pipeline_model_name(p)));
    json_object_set_new(o, "task", json_string(cli_task_name(lt_pipeline_task(p))));
    if (lt_pipeline_target(p))
        json_object_set_new(o, "target", json_string(lt_pipeline_target(p)));
    json_t *cls = json_array();
    for (int k = 0; k < lt_pipeline_nclass(p); k++)
        json_array_append_new(cls, json_string(lt_pipeline_class_name(p, k)));
    json_object_set_new(o, "classes", cls);
    if (!isnan(lt_pipeline_threshold(p)))
        json_object_set_new(o, "threshold", json_real(lt_pipeline_threshold(p)));
    /* inputs: the raw columns a table must provide (derived ones are computed). */
    json_t *in = json_array();
    for (int j = 0; j < lt_pipeline_nin(p); j++)
        json_array_append_new(in, json_pack("{s:s,s:s}", "name", lt_pipeline_in_name(p, j),
                                            "type", lt_pipeline_in_type(p, j) == LT_COL_NUM
                                                        ? "numeric" : "categorical"));
    json_object_set_new(o, "inputs", in);
    json_t *dv = json_array();
    for (int i = 0; i < lt_pipeline_nderive(p); i++)
        json_array_append_new(dv, json_string(lt_pipeline_derive_text(p, i)));
    json_object_set_new(o, "derived", dv);
    json_object_set_new(o, "features", json_integer(lt_prep_nout(prep)));
    json_object_set_new(o, "params", params ? json_loads(params, 0, NULL) : json_object());
    const char *m = lt_pipeline_metrics_json(p), *pv = lt_pipeline_provenance_json(p);
    json_object_set_new(o, "metrics", m ? json_loads(m, 0, NULL) : json_object());
    json_object_set_new(o, "provenance", pv ? json_loads(pv, 0, NULL) : json_object());
    if (a.json) {
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        printf("%s\n", s);
        free(s);
    } else {
        printf("model     %s (%s)\n", lt_pipeline_model_name(p), cli_task_name(lt_pipeline_task(p)));
        if (lt_pipeline_target(p))
            printf("target    %s\n", lt_pipeline_target(p));
        if (lt_pipeline_nclass(p)) {
            printf("classes  ");
            for (int k = 0; k < lt_pipeline_nclass(p); k++)
                printf(" %s", lt_pipeline_class_name(p, k));
            printf("\n");
        }
        if (!isnan(lt_pipeline_threshold(p)))
            printf("threshold %.4f (predicts %s where its probability is at least this)\n",
                   lt_pipeline_threshold(p), lt_pipeline_class_name(p, 1));
        printf("inputs    %d columns -> %lld features\n", lt_pipeline_nin(p),
               (long long)lt_prep_nout(prep));
        for (int j = 0; j < lt_pipeline_nin(p); j++)
            printf("  %-32s %s\n", lt_pipeline_in_name(p, j),
                   lt_pipeline_in_type(p, j) == LT_COL_NUM ? "numeric" : "categorical");
        if (lt_pipeline_nderive(p)) {
            printf("derived   %d columns, computed from the inputs\n", lt_pipeline_nderive(p));
            for (int i = 0; i < lt_pipeline_nderive(p); i++)
                printf("  %s\n", lt_pipeline_derive_text(p, i));
        }
        printf("params    %s\n", params ? params : "{}");
        json_t *mj = json_object_get(o, "metrics");
        json_t *ev = json_object_get(mj, "evaluated_on");
        if (json_is_string(ev)) {
            json_t *mm = json_object_get(mj, json_string_value(ev));
            char *s = mm ? json_dumps(mm, JSON_COMPACT) : NULL;
            printf("metrics on %s rows:\n", json_string_value(ev));
            cli_print_metrics(stdout, s);
            free(s);
        }
        if (pv)
            printf("provenance %s\n", pv);
    }
    json_decref(o);
    free(params);
    lt_pipeline_free(p);
    return CLI_OK;
}
