/* lathe train: read a CSV, split, fit a pipeline, evaluate, save. */
#include "cli.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"data", "FILE", "training data (CSV, optionally gzip)"},
    {"target", "COL", "column to predict"},
    {"drop", "COLS", "comma-separated columns not to use as features (ids, leaking labels)"},
    {"derive", "'N = EXPR'", "add a feature computed from numeric columns (repeatable, or "
                             "several separated by ';'); the model computes it when predicting"},
    {"model", "NAME", "model type (default: logreg for classes, linreg for numbers; 'lathe models' "
                      "lists them)"},
    {"solver", "NAME", "solver of the model (e.g. lbfgs, newton, gd, sgd, lstsq)"},
    {"param", "K=V,..", "model parameters, e.g. C=0.5,max_iter=200"},
    {"task", "TASK", "classification or regression (default: guessed from the target)"},
    {"test-size", "F", "fraction held out for evaluation (default 0.2; 0 = train on all rows)"},
    {"test", "FILE", "evaluate on this file instead of a held-out part"},
    {"split", "HOW", "random | stratified | group:COL | time:COL (default: stratified for "
                     "classification, random for regression)"},
    {"seed", "N", "random seed for the split and the model (default 42)"},
    {"threshold", "P", "two classes: predict the second class where its probability is >= P "
                       "(default: the more probable class; 'lathe tune --tune-threshold' "
                       "chooses one by cross-validation)"},
    {"scale", "KIND", "standard | minmax | none (default standard)"},
    {"impute", "KIND", "mean | median | most_frequent for numeric columns (default mean)"},
    {"out", "FILE", "where to save the model (default lathe-data/models/TARGET.lt)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "train", "Train a model on a table, print its metrics on held-out rows, and save it.",
    "--data FILE --target COL [--model NAME] [--drop COLS] [--out FILE]",
    "The saved model holds the input schema, the fitted transforms, the estimator, its metrics\n"
    "and provenance: 'lathe predict --model FILE --data NEW.csv' works on raw rows.\n"
    "Example: lathe train --data ai4i2020.csv --target 'Machine failure' \\\n"
    "           --drop UDI,'Product ID',TWF,HDF,PWF,OSF,RNF --out failure.lt\n"
    "Derived features (names with spaces or brackets in backticks; + - * / ^, comparisons,\n"
    "abs sqrt log exp min max where, pi, e; see docs/cli.md):\n"
    "  --derive 'power = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60' \\\n"
    "  --derive 'temp_diff = `Process temperature [K]` - `Air temperature [K]`'",
    flags,
};

/* 1 if every --param/--solver value is valid for the model, else 0 with the message set. */
static int params_ok(const char *model, const char *const *keys, const char *const *vals, int n)
{
    lt_model *probe = NULL;
    int bad = lt_model_new(model, &probe);
    for (int i = 0; !bad && i < n; i++)
        bad = lt_model_set_param(probe, keys[i], vals[i]);
    lt_model_free(probe);
    return !bad;
}

int cmd_train(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *data = cli_get(&a, "data"), *target = cli_get(&a, "target");
    if (!data)
        return cli_usage_error(&cmd, "--data is required");

    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = target;
    spec.model = cli_get(&a, "model"); /* NULL: logreg for classes, linreg for quantities */
    const lt_model_vtable *vt = spec.model ? lt_model_find(spec.model) : NULL;
    if (spec.model && !vt) {
        lt_model *m = NULL;
        lt_model_new(spec.model, &m);
        return cli_usage_error(&cmd, "%s", lt_last_error());
    }
    if (!target && !(vt && vt->unsupervised_task))
        return cli_usage_error(&cmd, "--target is required%s%s", vt ? " for model " : "",
                               vt ? vt->name : "");
    double frac;
    long seed;
    if ((rc = cli_get_double(&a, "test-size", 0.2, &frac)) || (rc = cli_get_int(&a, "seed", 42, &seed)))
        return rc;
    if (frac < 0 || frac >= 1)
        return cli_usage_error(&cmd, "--test-size must be in [0, 1), got %g", frac);
    double threshold;
    if ((rc = cli_get_double(&a, "threshold", NAN, &threshold)))
        return rc;
    if (cli_get(&a, "threshold") && !(threshold > 0 && threshold < 1))
        return cli_usage_error(&cmd, "--threshold must be a probability strictly between 0 and 1, "
                               "got %s", cli_get(&a, "threshold"));
    spec.seed = (uint64_t)seed;
    if ((rc = cli_get_task(&a, &spec.task)))
        return rc;
    const char *scale = cli_get(&a, "scale"), *impute = cli_get(&a, "impute");
    if (scale) {
        if (!strcmp(scale, "standard")) spec.prep.scale = LT_SCALE_STANDARD;
        else if (!strcmp(scale, "minmax")) spec.prep.scale = LT_SCALE_MINMAX;
        else if (!strcmp(scale, "none")) spec.prep.scale = LT_SCALE_NONE;
        else return cli_usage_error(&cmd, "--scale must be standard, minmax or none");
    }
    if (impute) {
        if (!strcmp(impute, "mean")) spec.prep.impute = LT_IMPUTE_MEAN;
        else if (!strcmp(impute, "median")) spec.prep.impute = LT_IMPUTE_MEDIAN;
        else if (!strcmp(impute, "most_frequent")) spec.prep.impute = LT_IMPUTE_MOST_FREQUENT;
        else return cli_usage_error(&cmd, "--impute must be mean, median or most_frequent");
    }

    /* Model parameters: --solver plus --param K=V,... */
    int nd = 0, nkv = 0;
    const char *keys[65], *vals[65];
    char **plist = NULL, **drop = NULL;
    if (cli_get(&a, "solver")) {
        keys[nkv] = "solver";
        vals[nkv++] = cli_get(&a, "solver");
    }
    if ((rc = cli_get_params(&a, &plist, keys, vals, 65, &nkv))) {
        cli_free_list(plist);
        return rc;
    }
    drop = cli_get(&a, "drop") ? cli_split_list(cli_get(&a, "drop"), &nd) : NULL;
    spec.param_keys = keys;
    spec.param_values = vals;
    spec.nparams = nkv;
    if (vt && !params_ok(vt->name, keys, vals, nkv)) { /* before reading any data */
        cli_free_list(plist);
        cli_free_list(drop);
        return cli_usage_error(&cmd, "%s", lt_last_error());
    }
    spec.drop = (const char *const *)drop;
    spec.ndrop = nd;
    const char **derive = NULL;
    int nderive = 0;
    if ((rc = cli_get_derive(&a, &derive, &nderive))) { /* syntax, before reading any data */
        cli_free_list(plist);
        cli_free_list(drop);
        return rc;
    }
    spec.derive = derive;
    spec.nderive = nderive;
    /* Only when a line will be shown: some models compute the loss just for it. */
    if (cli_progress_visible(&a)) {
        spec.progress = cli_model_progress;
        spec.progress_user = &a;
    }

    int exit_code = CLI_FAIL;
    lt_table *t = NULL, *test = NULL;
    lt_pipeline *p = NULL;
    lt_split split = {0};
    char *metrics = NULL, *train_metrics = NULL, *describe = NULL;
    char out_default[512];
    const char *out = cli_get(&a, "out");

    cli_progress(&a, "reading %s", data);
    if (lt_csv_read(data, cli_csv_options(), &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    lt_task guessed;
    if (lt_pipeline_guess_task(t, NULL, 0, &spec, &guessed)) {
        cli_fail(&a, NULL);
        goto done;
    }
    /* The default model follows the task (lt_pipeline_spec.model = NULL). */
    if (!vt && !params_ok(lt_pipeline_default_model(guessed), keys, vals, nkv)) {
        exit_code = cli_usage_error(&cmd, "%s", lt_last_error());
        goto done;
    }
    const char *test_file = cli_get(&a, "test");
    int holdout = !test_file && frac > 0;
    if (holdout && cli_make_split(t, cli_get(&a, "split"), frac, spec.seed, &spec, guessed, &split)) {
        cli_fail(&a, "splitting");
        goto done;
    }
    double t0 = lt_now();
    cli_progress(&a, "training %s on %lld rows", spec.model ? spec.model : "a model",
                 (long long)(holdout ? split.ntrain : lt_table_nrows(t)));
    if (lt_pipeline_fit(t, holdout ? split.train : NULL, split.ntrain, &spec, &p)) {
        cli_fail(&a, "training");
        goto done;
    }
    double fit_seconds = lt_now() - t0;
    cli_progress_done(&a);
    if (!isnan(threshold) && lt_pipeline_set_threshold(p, threshold)) {
        cli_fail(&a, "--threshold");
        goto done;
    }

    /* Evaluate on the held-out part, the --test file, or (said so) the training rows. */
    lt_eval ev;
    const char *evaluated_on = "test";
    int eval_ok = 1;
    if (test_file) {
        if (lt_csv_read(test_file, cli_csv_options(), &test)) {
            cli_fail(&a, "reading --test");
            goto done;
        }
        eval_ok = !lt_pipeline_evaluate(p, test, NULL, 0, &ev);
    } else if (holdout) {
        eval_ok = !lt_pipeline_evaluate(p, t, split.test, split.ntest, &ev);
    } else {
        evaluated_on = "train";
        eval_ok = !lt_pipeline_evaluate(p, t, NULL, 0, &ev);
    }
    int can_eval = 1;  /* every task: unsupervised models get inertia/silhouette or flagged */
    if (can_eval && !eval_ok) {
        cli_fail(&a, "evaluating");
        goto done;
    }
    if (can_eval)
        metrics = lt_eval_metrics_json(&ev);
    double predict_seconds = can_eval ? ev.predict_seconds : 0;
    if (can_eval && holdout) {
        lt_eval tr;
        if (!lt_pipeline_evaluate(p, t, split.train, split.ntrain, &tr))
            train_metrics = lt_eval_metrics_json(&tr);
    }

    /* Metrics and provenance travel with the model. */
    json_t *mj = json_object();
    json_object_set_new(mj, "evaluated_on", json_string(evaluated_on));
    if (metrics)
        json_object_set_new(mj, evaluated_on, json_loads(metrics, 0, NULL));
    if (train_metrics)
        json_object_set_new(mj, "train", json_loads(train_metrics, 0, NULL));
    json_object_set_new(mj, "fit_seconds", json_real(fit_seconds));
    char *mtext = json_dumps(mj, JSON_COMPACT | JSON_REAL_PRECISION(10));
    lt_pipeline_set_metrics_json(p, mtext);
    free(mtext);
    json_decref(mj);
    char *ptext = cli_provenance_json(data, lt_table_nrows(t),
                                      holdout ? split.ntrain : lt_table_nrows(t),
                                      holdout ? split.ntest : test ? lt_table_nrows(test) : 0,
                                      spec.seed, NULL);
    lt_pipeline_set_provenance_json(p, ptext);
    free(ptext);

    if (!out) {
        char safe[200];
        const char *base = target ? target : lt_pipeline_model_name(p);
        size_t k = 0;
        for (; base[k] && k < sizeof safe - 1; k++)
            safe[k] = (base[k] == '/' || base[k] == ' ') ? '_' : base[k];
        safe[k] = '\0';
        snprintf(out_default, sizeof out_default, "lathe-data/models/%s.lt", safe);
        out = out_default;
        cli_mkdir_parents(out); /* only our own default place; a given path must exist */
    }
    if (lt_pipeline_save(p, out)) {
        cli_fail(&a, "saving model");
        goto done;
    }

    const lt_model *fitted = lt_pipeline_model(p);
    describe = fitted->vt->describe ? fitted->vt->describe(fitted) : NULL;
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "model", json_string(lt_pipeline_model_name(p)));
        json_object_set_new(o, "task", json_string(cli_task_name(lt_pipeline_task(p))));
        if (target)
            json_object_set_new(o, "target", json_string(target));
        json_object_set_new(o, "evaluated_on", json_string(evaluated_on));
        json_object_set_new(o, "metrics", metrics ? json_loads(metrics, 0, NULL) : json_object());
        if (train_metrics)
            json_object_set_new(o, "train_metrics", json_loads(train_metrics, 0, NULL));
        json_object_set_new(o, "fit_seconds", json_real(fit_seconds));
        json_object_set_new(o, "predict_seconds", json_real(predict_seconds));
        json_object_set_new(o, "train_rows", json_integer(holdout ? split.ntrain : lt_table_nrows(t)));
        json_object_set_new(o, "test_rows", json_integer(can_eval ? ev.n : 0));
        json_object_set_new(o, "features", json_integer(lt_prep_nout(lt_pipeline_prep(p))));
        if (lt_pipeline_nderive(p)) {
            json_t *dv = json_array();
            for (int i = 0; i < lt_pipeline_nderive(p); i++)
                json_array_append_new(dv, json_string(lt_pipeline_derive_text(p, i)));
            json_object_set_new(o, "derived", dv);
        }
        json_object_set_new(o, "out", json_string(out));
        if (describe)
            json_object_set_new(o, "model_info", json_loads(describe, 0, NULL));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        printf("model     %s (%s)\n", lt_pipeline_model_name(p), cli_task_name(lt_pipeline_task(p)));
        if (target)
            printf("target    %s", target);
        if (lt_pipeline_nclass(p))
            printf(" (%d classes)", lt_pipeline_nclass(p));
        printf("\nrows      %lld train, %lld %s\n",
               (long long)(holdout ? split.ntrain : lt_table_nrows(t)), (long long)(can_eval ? ev.n : 0),
               evaluated_on);
        printf("features  %lld (from %d columns)\n", (long long)lt_prep_nout(lt_pipeline_prep(p)),
               lt_prep_nin(lt_pipeline_prep(p)));
        for (int i = 0; i < lt_pipeline_nderive(p); i++)
            printf("derived   %s\n", lt_pipeline_derive_text(p, i));
        printf("fit       %.3f s   predict %.3f s\n\n", fit_seconds, predict_seconds);
        if (metrics) {
            printf("metrics on %s rows:\n", evaluated_on);
            cli_print_metrics(stdout, metrics);
        }
        if (lt_pipeline_task(p) > LT_TASK_CLASSIFICATION && train_metrics) {
            printf("\nmetrics on train rows:\n");
            cli_print_metrics(stdout, train_metrics);
        }
        if (lt_pipeline_task(p) > LT_TASK_CLASSIFICATION && describe)
            printf("\ndetails   %s\n", describe);
        printf("\nsaved model to %s\n", out);
    }
    exit_code = CLI_OK;
done:
    cli_progress_done(&a);
    free(metrics);
    free(train_metrics);
    free(describe);
    lt_split_free(&split);
    lt_pipeline_free(p);
    lt_table_free(t);
    lt_table_free(test);
    cli_free_list(plist);
    cli_free_list(drop);
    free(derive);
    return exit_code;
}
