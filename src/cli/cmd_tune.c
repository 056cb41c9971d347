/* lathe tune: cross-validated grid or random search over a model's
 * parameters; saves the best refit on every row. */
#include "cli.h"
#include "lathe/tune.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"data", "FILE", "training data (CSV, optionally gzip)"},
    {"target", "COL", "column to predict"},
    {"model", "NAME", "model type (default logreg; 'lathe models' lists them)"},
    {"drop", "COLS", "comma-separated columns not to use as features"},
    {"derive", "'N = EXPR'", "add a feature computed from numeric columns (repeatable, or "
                             "several separated by ';'); see 'lathe train --help'"},
    {"param", "K=V,..", "fixed model parameters (not searched)"},
    {"task", "TASK", "classification or regression (default: guessed from the target)"},
    {"grid", "SPACE", "grid search: 'C=0.1,1,10;solver=lbfgs,newton'"},
    {"random", "SPACE", "random search: 'C=log:0.01:100;max_iter=int:50:500;solver=lbfgs,newton'"},
    {"n-iter", "N", "candidates drawn by --random (default 10)"},
    {"cv", "K", "folds of cross-validation (default 5)"},
    {"split", "HOW", "stratified | random | group:COL (default: stratified for classification, "
                     "random for regression)"},
    {"metric", "NAME", "score to rank by (default roc_auc for two classes, f1_macro for more, "
                       "rmse for regression)"},
    {"seed", "N", "seed of the folds, the random draws and the model (default 42)"},
    {"tune-threshold", NULL, "two classes: also choose the decision threshold that maximises F1 "
                             "on the out-of-fold probabilities, and save it with the model"},
    {"test", "FILE", "score the saved model on this labelled file (not used for choosing)"},
    {"test-size", "F", "hold out this fraction of the rows (split as by 'lathe train', same "
                       "seed), tune on the rest and score the saved model on it (default 0)"},
    {"out", "FILE", "where to save the best model (default lathe-data/models/TARGET.lt)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "tune", "Choose a model's parameters by cross-validation and save the best, refit on all rows.",
    "--data FILE --target COL [--model NAME] (--grid SPACE | --random SPACE [--n-iter N]) "
    "[--cv K] [--metric NAME] [--out FILE]",
    "SPACE lists parameters separated by ';'. --grid takes lists of values (NAME=V1,V2,...) and\n"
    "tries every combination. --random also takes ranges: NAME=log:LO:HI (log-uniform),\n"
    "float:LO:HI, int:LO:HI, intlog:LO:HI, or a list of choices, and draws --n-iter candidates.\n"
    "With --test or --test-size the hold-out rows play no part in the choice; their score is\n"
    "printed and saved with the model.\n"
    "Transforms are fitted inside each fold. Metrics: accuracy, precision, recall, f1, f1_macro,\n"
    "roc_auc, pr_auc, log_loss (classification); rmse, mae, r2 (regression).\n"
    "Example: lathe tune --data fleet.csv --target failure --drop timestamp,product_id \\\n"
    "           --grid 'C=0.01,0.1,1,10' --split group:machine --out best.lt\n"
    "Derived features are computed inside every fold and saved with the model:\n"
    "  --derive 'temp_diff = `Process temperature [K]` - `Air temperature [K]`'",
    flags,
};

static void tune_progress(void *user, int trial, int ntrials, int fold, int nfolds,
                          const lt_tune_trial *done)
{
    (void)done;
    if (fold < nfolds)
        cli_progress(user, "candidate %d/%d  fold %d/%d", trial + 1, ntrials, fold + 1, nfolds);
}

static const char *split_word(lt_cv_kind k)
{
    return k == LT_CV_STRATIFIED ? "stratified" : k == LT_CV_GROUP ? "group" : "random";
}

static void print_table(const lt_tune_result *r)
{
    const lt_tune_trial *t0 = &r->trials[0];
    int np = t0->nparams;
    int w[64];
    for (int i = 0; i < np && i < 64; i++) {
        w[i] = (int)strlen(t0->keys[i]);
        for (int c = 0; c < r->ntrials; c++) {
            int l = (int)strlen(r->trials[c].values[i]);
            w[i] = l > w[i] ? l : w[i];
        }
    }
    char head[64];
    snprintf(head, sizeof head, "%s (mean \xC2\xB1 std)", r->metric);
    printf("  %3s  ", "#");
    for (int i = 0; i < np && i < 64; i++)
        printf("%-*s  ", w[i], t0->keys[i]);
    printf("%-25s %s\n", head, "fit s");
    for (int c = 0; c < r->ntrials; c++) {
        const lt_tune_trial *tr = &r->trials[c];
        printf("%s %3d  ", c == r->best ? "*" : " ", c + 1);
        for (int i = 0; i < np && i < 64; i++)
            printf("%-*s  ", w[i], tr->values[i]);
        if (tr->status) {
            printf("failed: %s\n", tr->error ? tr->error : lt_status_name(tr->status));
            continue;
        }
        char score[64];
        snprintf(score, sizeof score, "%.4f \xC2\xB1 %.4f", tr->mean, tr->std);
        /* The ± is two bytes but one column. */
        printf("%-25s %.3f\n", score, tr->fit_seconds);
    }
}

static char *params_text(const lt_tune_trial *tr)
{
    size_t cap = 16;
    for (int i = 0; i < tr->nparams; i++)
        cap += strlen(tr->keys[i]) + strlen(tr->values[i]) + 2;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < tr->nparams; i++) {
        strcat(s, i ? " " : "");
        strcat(s, tr->keys[i]);
        strcat(s, "=");
        strcat(s, tr->values[i]);
    }
    return s;
}

int cmd_tune(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *data = cli_get(&a, "data"), *target = cli_get(&a, "target");
    const char *grid = cli_get(&a, "grid"), *random = cli_get(&a, "random");
    if (!data)
        return cli_usage_error(&cmd, "--data is required");
    if (!target)
        return cli_usage_error(&cmd, "--target is required");
    if (!!grid == !!random)
        return cli_usage_error(&cmd, "give exactly one of --grid or --random");
    if (cli_get(&a, "n-iter") && !random)
        return cli_usage_error(&cmd, "--n-iter goes with --random");
    double frac;
    if ((rc = cli_get_double(&a, "test-size", 0, &frac)))
        return rc;
    if (frac < 0 || frac >= 1)
        return cli_usage_error(&cmd, "--test-size must be in [0, 1), got %g", frac);
    if (frac > 0 && cli_get(&a, "test"))
        return cli_usage_error(&cmd, "give --test or --test-size, not both");

    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = target;
    if (cli_get(&a, "model"))
        spec.model = cli_get(&a, "model");
    lt_tune_params tp = lt_tune_params_default();
    long seed, cv, n_iter;
    if ((rc = cli_get_int(&a, "seed", 42, &seed)) || (rc = cli_get_int(&a, "cv", 5, &cv)) ||
        (rc = cli_get_int(&a, "n-iter", 10, &n_iter)))
        return rc;
    if (cv < 2 || cv > 1000)
        return cli_usage_error(&cmd, "--cv must be from 2 to 1000, got %ld", cv);
    if (n_iter < 1 || n_iter > 1000000)
        return cli_usage_error(&cmd, "--n-iter must be from 1 to 1000000, got %ld", n_iter);
    spec.seed = tp.seed = (uint64_t)seed;
    tp.cv = (int)cv;
    tp.n_iter = (int)n_iter;
    tp.mode = grid ? LT_TUNE_GRID : LT_TUNE_RANDOM;
    tp.metric = cli_get(&a, "metric");
    tp.threshold = cli_get(&a, "tune-threshold") != NULL;
    if ((rc = cli_get_task(&a, &spec.task)))
        return rc;
    const char *split = cli_get(&a, "split");
    if (split) {
        if (!strcmp(split, "stratified"))
            tp.split = LT_CV_STRATIFIED;
        else if (!strcmp(split, "random"))
            tp.split = LT_CV_PLAIN;
        else if (!strncmp(split, "group:", 6) && split[6]) {
            tp.split = LT_CV_GROUP;
            tp.group_col = split + 6;
        } else
            return cli_usage_error(&cmd, "--split must be stratified, random or group:COL, got '%s'",
                                   split);
    }

    int np = 0, nd = 0, nderive = 0;
    const char **derive = NULL;
    char **plist = NULL;
    char **drop = cli_get(&a, "drop") ? cli_split_list(cli_get(&a, "drop"), &nd) : NULL;
    const char *keys[64], *vals[64];
    lt_search_space *space = NULL;
    lt_table *t = NULL;      /* the rows tuned on */
    lt_table *whole = NULL;  /* with --test-size: the file read, t being its training part */
    lt_table *tfile = NULL;  /* the --test file */
    lt_split hold = {0};
    lt_tune_result res = {0};
    char *rjson = NULL, *cv_mean = NULL, *cv_std = NULL, *best_text = NULL, *test_metrics = NULL;
    int exit_code = CLI_USAGE;
    if (cli_get_params(&a, &plist, keys, vals, 64, &np))
        goto done;
    spec.param_keys = keys;
    spec.param_values = vals;
    spec.nparams = np;
    spec.drop = (const char *const *)drop;
    spec.ndrop = nd;

    /* Everything that needs no data is checked before reading it: usage errors. */
    if (cli_get_derive(&a, &derive, &nderive))
        goto done;
    spec.derive = derive;
    spec.nderive = nderive;
    if (lt_search_space_parse(grid ? grid : random, &space)) {
        cli_usage_error(&cmd, "--%s: %s", grid ? "grid" : "random", lt_last_error());
        goto done;
    }
    if (lt_tune_check(&spec, space, &tp)) {
        cli_usage_error(&cmd, "%s", lt_last_error());
        goto done;
    }
    exit_code = CLI_FAIL;
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
    lt_task mt;
    if (tp.metric && !lt_score_lookup(tp.metric, &mt, NULL) && mt != guessed) {
        exit_code = cli_usage_error(&cmd, "--metric %s is for %s, but '%s' makes a %s task",
                                    tp.metric, cli_task_name(mt), target, cli_task_name(guessed));
        goto done;
    }
    /* A hold-out part: tune on the rest (t), score the result on `test`'s
     * test_rows (NULL: all ntest of them). */
    const lt_table *test = NULL;
    const int64_t *test_rows = NULL;
    int64_t ntest = 0;
    if (frac > 0) {
        if (cli_make_split(t, cli_get(&a, "split"), frac, spec.seed, &spec, guessed,
                           &hold)) {
            cli_fail(&a, "splitting off the hold-out rows");
            goto done;
        }
        whole = t;
        if (!(t = lt_table_take(whole, hold.train, hold.ntrain))) {
            cli_fail(&a, "splitting off the hold-out rows");
            goto done;
        }
        test = whole;
        test_rows = hold.test;
        ntest = hold.ntest;
    } else if (cli_get(&a, "test")) {
        if (lt_csv_read(cli_get(&a, "test"), cli_csv_options(), &tfile)) {
            cli_fail(&a, "reading --test");
            goto done;
        }
        test = tfile;
        ntest = lt_table_nrows(tfile);
        /* Before the search, not after: the score needs the target, the
         * model every column the training file gives it. */
        for (int j = 0; j < lt_table_ncols(t); j++) {
            const char *name = lt_table_col_name(t, j);
            int dropped = 0;
            for (int k = 0; k < nd && !dropped; k++)
                dropped = !strcmp(drop[k], name);
            if (!dropped && lt_table_col_index(test, name) < 0) {
                lt_error(LT_ENOTFOUND, "%s has no column '%s', which %s has", cli_get(&a, "test"),
                         name, data);
                cli_fail(&a, "reading --test");
                goto done;
            }
        }
    }
    tp.progress = tune_progress;
    tp.progress_user = &a;
    if (lt_tune(t, &spec, space, &tp, &res)) {
        cli_fail(&a, "tuning");
        goto done;
    }
    cli_progress_done(&a);
    lt_eval tev;
    if (test && lt_pipeline_evaluate(res.best_pipeline, test, test_rows, ntest, &tev)) {
        cli_fail(&a, frac > 0 ? "scoring the hold-out rows" : "scoring --test");
        goto done;
    }
    if (test && !(test_metrics = lt_eval_metrics_json(&tev))) {
        cli_fail(&a, "reporting");
        goto done;
    }

    /* The CV score and the search travel with the model. */
    const lt_tune_trial *best = &res.trials[res.best];
    if (lt_tune_best_metrics_json(&res, &cv_mean, &cv_std) || !(rjson = lt_tune_result_json(&res))) {
        cli_fail(&a, "reporting");
        goto done;
    }
    json_t *mj = json_object(), *tj = json_object(), *bp = json_object();
    for (int i = 0; i < best->nparams; i++)
        json_object_set_new(bp, best->keys[i], json_string(best->values[i]));
    json_object_set_new(tj, "mode", json_string(grid ? "grid" : "random"));
    json_object_set_new(tj, "metric", json_string(res.metric));
    json_object_set_new(tj, "mean", json_real(best->mean));
    json_object_set_new(tj, "std", json_real(best->std));
    json_object_set_new(tj, "folds", json_integer(res.nfolds));
    json_object_set_new(tj, "split", json_string(split_word(res.split)));
    json_object_set_new(tj, "candidates", json_integer(res.ntrials));
    json_object_set_new(tj, "best_params", bp);
    json_object_set_new(mj, "evaluated_on", json_string(test_metrics ? "test" : "cv"));
    if (test_metrics)
        json_object_set_new(mj, "test", json_loads(test_metrics, 0, NULL));
    if (isfinite(res.threshold))
        json_object_set_new(tj, "threshold", json_real(res.threshold));
    json_object_set_new(mj, "cv", json_loads(cv_mean, 0, NULL));
    json_object_set_new(mj, "cv_std", json_loads(cv_std, 0, NULL));
    json_object_set_new(mj, "tuning", tj);
    json_object_set_new(mj, "fit_seconds", json_real(res.refit_seconds));
    char *mtext = json_dumps(mj, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(mj);
    int set_rc = lt_pipeline_set_metrics_json(res.best_pipeline, mtext);
    free(mtext);
    char *ptext = cli_provenance_json(data, lt_table_nrows(t), res.nrows, 0, spec.seed,
                                      "lathe tune");
    if (!set_rc)
        set_rc = lt_pipeline_set_provenance_json(res.best_pipeline, ptext);
    free(ptext);
    if (set_rc) {
        cli_fail(&a, "recording metrics");
        goto done;
    }

    char out_default[512];
    const char *out = cli_get(&a, "out");
    if (!out) {
        char safe[200];
        size_t k = 0;
        for (; target[k] && k < sizeof safe - 1; k++)
            safe[k] = (target[k] == '/' || target[k] == ' ') ? '_' : target[k];
        safe[k] = '\0';
        snprintf(out_default, sizeof out_default, "lathe-data/models/%s.lt", safe);
        out = out_default;
        cli_mkdir_parents(out); /* only our own default place; a given path must exist */
    }
    if (lt_pipeline_save(res.best_pipeline, out)) {
        cli_fail(&a, "saving model");
        goto done;
    }

    if (a.json) {
        json_t *o = json_loads(rjson, 0, NULL);
        json_object_set_new(o, "model", json_string(lt_pipeline_model_name(res.best_pipeline)));
        json_object_set_new(o, "target", json_string(target));
        json_object_set_new(o, "mode", json_string(grid ? "grid" : "random"));
        json_object_set_new(o, "cv_metrics", json_loads(cv_mean, 0, NULL));
        json_object_set_new(o, "refit_seconds", json_real(res.refit_seconds));
        json_object_set_new(o, "out", json_string(out));
        if (test_metrics) {
            json_object_set_new(o, "test_metrics", json_loads(test_metrics, 0, NULL));
            json_object_set_new(o, "test_rows", json_integer(ntest));
        }
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        best_text = params_text(best);
        printf("model     %s (%s), target %s\n", lt_pipeline_model_name(res.best_pipeline),
               cli_task_name(res.task), target);
        printf("search    %s, %d candidates x %d folds (%s) on %lld rows\n",
               grid ? "grid" : "random", res.ntrials, res.nfolds, split_word(res.split),
               (long long)res.nrows);
        printf("metric    %s (%s is better)\n\n", res.metric,
               res.higher_is_better ? "higher" : "lower");
        print_table(&res);
        printf("\nbest      %s: %s %.4f \xC2\xB1 %.4f\n", best_text ? best_text : "", res.metric,
               best->mean, best->std);
        if (isfinite(res.threshold))
            printf("threshold %.4f: out-of-fold F1 %.4f (%.4f at the more probable class)\n",
                   res.threshold, res.threshold_f1, res.default_f1);
        else if (tp.threshold)
            printf("threshold not tuned: the target does not have two classes\n");
        printf("saved model (refit on all %lld rows in %.3f s) to %s\n", (long long)res.nrows,
               res.refit_seconds, out);
        if (test_metrics) {
            printf("\nmetrics on %lld %s rows (not used for choosing):\n",
                   (long long)ntest,
                   frac > 0 ? "held-out" : "--test");
            cli_print_metrics(stdout, test_metrics);
        }
    }
    exit_code = CLI_OK;
done:
    cli_progress_done(&a);
    free(rjson);
    free(cv_mean);
    free(cv_std);
    free(best_text);
    lt_tune_result_free(&res);
    lt_search_space_free(space);
    free(test_metrics);
    lt_table_free(t);
    lt_table_free(whole);
    lt_table_free(tfile);
    lt_split_free(&hold);
    cli_free_list(plist);
    cli_free_list(drop);
    free(derive);
    return exit_code;
}
