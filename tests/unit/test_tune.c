/* Model selection: search-space parsing, checks before work, known best
 * parameters on generated data, folds that keep groups and classes apart,
 * determinism, and bad input. */
#include "test_util.h"

#include "lathe/tune.h"

/* Binary classification: y = [x1 + 0.5 x2 + noise > cut], plus a noise
 * column (cut 0: balanced classes; higher: rare positives). */
static lt_table *make_binary(int64_t n, uint64_t seed, double cut)
{
    lt_rng r;
    lt_rng_seed(&r, seed);
    double *x1 = malloc(sizeof(double) * n), *x2 = malloc(sizeof(double) * n);
    double *x3 = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    for (int64_t i = 0; i < n; i++) {
        x1[i] = lt_rng_normal(&r);
        x2[i] = lt_rng_normal(&r);
        x3[i] = lt_rng_normal(&r);
        y[i] = x1[i] + 0.5 * x2[i] + 0.5 * lt_rng_normal(&r) > cut;
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "x1", x1, n));
    assert_ok(lt_table_add_num(t, "x2", x2, n));
    assert_ok(lt_table_add_num(t, "noise", x3, n));
    assert_ok(lt_table_add_num(t, "y", y, n));
    free(x1);
    free(x2);
    free(x3);
    free(y);
    return t;
}

static void test_space_parse(void **state)
{
    (void)state;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=0.1,1,10; solver=lbfgs,newton", &s));
    assert_int_equal(lt_search_space_count(s), 2);
    assert_string_equal(lt_search_space_name(s, 0), "C");
    assert_string_equal(lt_search_space_name(s, 1), "solver");
    assert_true(lt_search_space_is_grid(s));
    assert_int_equal(lt_search_space_grid_size(s), 6);
    lt_search_space_free(s);

    assert_ok(lt_search_space_parse("C=log:0.01:100;max_iter=int:50:500;n=intlog:1:1000;"
                                    "tol=float:0:1;solver=choice:lbfgs,newton", &s));
    assert_int_equal(lt_search_space_count(s), 5);
    assert_int_equal(lt_search_space_kind(s, 0), LT_DIST_LOG);
    assert_int_equal(lt_search_space_kind(s, 1), LT_DIST_INT);
    assert_int_equal(lt_search_space_kind(s, 2), LT_DIST_INT_LOG);
    assert_int_equal(lt_search_space_kind(s, 3), LT_DIST_FLOAT);
    assert_int_equal(lt_search_space_kind(s, 4), LT_DIST_LIST);
    assert_false(lt_search_space_is_grid(s));
    assert_int_equal(lt_search_space_grid_size(s), -1);
    lt_search_space_free(s);

    static const char *bad[] = {
        "C", "C=", "=1,2", "C=1,,2", "C=log:1", "C=log:0:1", "C=log:5:1", "C=foo:1:2",
        "C=1;C=2", "", " ; ", "C=int:1.5:3", "C=log:a:b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = (lt_search_space *)1;
        if (lt_search_space_parse(bad[i], &s) != LT_EINVAL)
            fail_msg("'%s' should not parse", bad[i]);
        assert_null(s);
        assert_true(strlen(lt_last_error()) > 0);
    }
    assert_int_equal(lt_search_space_parse("C=foo:1:2", &s), LT_EINVAL);
    assert_error_contains("log:LO:HI");  /* the message shows the accepted forms */
}

static void test_check(void **state)
{
    (void)state;
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    lt_search_space *s = NULL;

    assert_ok(lt_search_space_parse("Cx=1,2", &s));
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    assert_error_contains("unknown parameter 'Cx'");
    assert_error_contains("known:");
    lt_search_space_free(s);

    assert_ok(lt_search_space_parse("C=1,-1", &s));
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    assert_error_contains("'C'");
    lt_search_space_free(s);

    assert_ok(lt_search_space_parse("C=log:0.01:10", &s));
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);  /* a range in a grid */
    assert_error_contains("random");
    par.mode = LT_TUNE_RANDOM;
    assert_ok(lt_tune_check(&spec, s, &par));
    par.metric = "auc";
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    assert_error_contains("roc_auc");
    par.metric = "rmse";  /* logreg does no regression */
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    par.metric = NULL;
    par.cv = 1;
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    par.cv = 5;
    par.split = LT_CV_GROUP;
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_EINVAL);
    par.split = LT_CV_AUTO;
    spec.model = "nosuch";
    assert_int_equal(lt_tune_check(&spec, s, &par), LT_ENOTFOUND);
    lt_search_space_free(s);

    lt_task task;
    int hib;
    assert_ok(lt_score_lookup("rmse", &task, &hib));
    assert_int_equal(task, LT_TASK_REGRESSION);
    assert_int_equal(hib, 0);
    assert_ok(lt_score_lookup("roc_auc", &task, &hib));
    assert_int_equal(hib, 1);
    assert_string_equal(lt_score_default(LT_TASK_CLASSIFICATION, 2), "roc_auc");
    assert_string_equal(lt_score_default(LT_TASK_CLASSIFICATION, 3), "f1_macro");
    assert_string_equal(lt_score_default(LT_TASK_REGRESSION, 0), "rmse");
}

static int progress_calls;
static void count_progress(void *user, int trial, int ntrials, int fold, int nfolds,
                           const lt_tune_trial *done)
{
    (void)user;
    assert_true(trial >= 0 && trial < ntrials);
    assert_true(fold >= 0 && fold <= nfolds);
    assert_true((fold == nfolds) == (done != NULL));
    progress_calls++;
}

/* Strong regularisation squeezes probabilities towards the prior: log loss
 * must prefer C = 1 over C = 1e-4. */
static void test_tune_picks_C(void **state)
{
    (void)state;
    lt_table *t = make_binary(600, 1, 0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    par.metric = "log_loss";
    par.progress = count_progress;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=0.0001,1", &s));
    lt_tune_result r;
    progress_calls = 0;
    assert_ok(lt_tune(t, &spec, s, &par, &r));
    assert_int_equal(progress_calls, 2 * (5 + 1));
    assert_int_equal(r.ntrials, 2);
    assert_int_equal(r.nfolds, 5);
    assert_int_equal(r.nrows, 600);
    assert_int_equal(r.higher_is_better, 0);
    assert_int_equal(r.split, LT_CV_STRATIFIED);
    assert_int_equal(r.best, 1);
    assert_string_equal(r.trials[1].values[0], "1");
    assert_true(r.trials[1].mean < r.trials[0].mean - 0.1);
    assert_true(r.trials[1].std >= 0 && r.trials[1].fit_seconds >= 0);
    assert_non_null(r.best_pipeline);
    char *params = lt_model_params_json(lt_pipeline_model(r.best_pipeline));
    assert_non_null(strstr(params, "\"C\":1"));
    free(params);
    /* The refit saw every row. */
    lt_eval ev;
    assert_ok(lt_pipeline_evaluate(r.best_pipeline, t, NULL, 0, &ev));
    assert_int_equal(ev.n, 600);
    char *js = lt_tune_result_json(&r), *mean = NULL, *sd = NULL;
    assert_non_null(strstr(js, "\"best\":{\"index\":1"));
    assert_ok(lt_tune_best_metrics_json(&r, &mean, &sd));
    assert_non_null(strstr(mean, "\"roc_auc\""));
    assert_non_null(strstr(mean, "\"n\":600"));
    free(js);
    free(mean);
    free(sd);
    lt_tune_result_free(&r);
    lt_search_space_free(s);
    lt_table_free(t);
}

/* Ridge: y = 3 x + noise; a huge alpha flattens the fit, rmse prefers 0. */
static void test_tune_regression(void **state)
{
    (void)state;
    int64_t n = 300;
    lt_rng r;
    lt_rng_seed(&r, 5);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    for (int64_t i = 0; i < n; i++) {
        x[i] = lt_rng_normal(&r);
        y[i] = 3 * x[i] + 0.1 * lt_rng_normal(&r) + 0.001 * i / n;
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "x", x, n));
    assert_ok(lt_table_add_num(t, "y", y, n));
    free(x);
    free(y);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = "linreg";
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    par.cv = 4;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("alpha=100000,10,0", &s));
    lt_tune_result res;
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_string_equal(res.metric, "rmse");
    assert_int_equal(res.split, LT_CV_PLAIN);
    assert_int_equal(res.best, 2);
    assert_true(res.trials[2].mean < 0.2);
    assert_true(res.trials[0].mean > 1.0);
    lt_tune_result_free(&res);

    /* Stratified folds need classes. */
    par.split = LT_CV_STRATIFIED;
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_EINVAL);
    assert_error_contains("stratified");
    /* A classification metric on a regression target. */
    par.split = LT_CV_AUTO;
    par.metric = "accuracy";
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_EINVAL);
    lt_search_space_free(s);
    lt_table_free(t);
}

/* Each machine's rows share a random label, and the machine is a feature:
 * with rows of a machine on both sides a model looks it up (near perfect);
 * with whole machines held out it cannot (near chance). */
static void test_group_folds_do_not_leak(void **state)
{
    (void)state;
    int64_t ng = 40, per = 15, n = ng * per;
    lt_rng r;
    lt_rng_seed(&r, 9);
    const char **mach = malloc(sizeof(char *) * n);
    char (*names)[8] = malloc(8 * ng);
    double *y = malloc(sizeof(double) * n), *lab = malloc(sizeof(double) * ng);
    double *z = malloc(sizeof(double) * n);
    for (int64_t g = 0; g < ng; g++) {
        snprintf(names[g], 8, "M%02d", (int)g);
        lab[g] = g % 2;  /* balanced, unrelated to anything else */
    }
    for (int64_t i = 0; i < n; i++) {
        mach[i] = names[i / per];
        y[i] = lab[i / per];
        z[i] = lt_rng_normal(&r);
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_cat(t, "machine", mach, n));
    assert_ok(lt_table_add_num(t, "z", z, n));
    assert_ok(lt_table_add_num(t, "y", y, n));
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    par.metric = "accuracy";
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=10", &s));
    lt_tune_result res;
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_true(res.trials[0].mean > 0.95);
    lt_tune_result_free(&res);
    par.split = LT_CV_GROUP;
    par.group_col = "machine";
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_int_equal(res.split, LT_CV_GROUP);
    assert_true(res.trials[0].mean < 0.7);
    lt_tune_result_free(&res);
    par.group_col = "nosuch";
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_ENOTFOUND);
    lt_search_space_free(s);
    lt_table_free(t);
    free(mach);
    free(names);
    free(y);
    free(lab);
    free(z);
}

/* 5 positives in 200 rows and 5 folds: only stratified folds put one in
 * every fold, so AUC is defined on each and every fold has 40 rows. */
static void test_stratified_folds(void **state)
{
    (void)state;
    int64_t n = 200;
    lt_rng r;
    lt_rng_seed(&r, 4);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    for (int64_t i = 0; i < n; i++) {
        y[i] = i % 40 == 7;
        x[i] = lt_rng_normal(&r) + 3 * y[i];
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "x", x, n));
    assert_ok(lt_table_add_num(t, "y", y, n));
    free(x);
    free(y);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=1", &s));
    lt_tune_result res;
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_string_equal(res.metric, "roc_auc");
    for (int f = 0; f < 5; f++) {
        assert_true(isfinite(res.trials[0].scores[f]));
        assert_int_equal(res.trials[0].folds[f].n, 40);
        /* One positive per fold: recall is 0 or 1. */
        double rc = res.trials[0].folds[f].cls.recall;
        assert_true(rc == 0 || rc == 1);
    }
    lt_tune_result_free(&res);
    lt_search_space_free(s);
    lt_table_free(t);
}

static void test_random_deterministic(void **state)
{
    (void)state;
    lt_table *t = make_binary(300, 2, 0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    par.mode = LT_TUNE_RANDOM;
    par.n_iter = 5;
    par.cv = 3;
    par.refit = 0;
    par.seed = 11;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=log:0.001:100;max_iter=int:50:60;solver=lbfgs,newton", &s));
    lt_tune_result a, b, c;
    assert_ok(lt_tune(t, &spec, s, &par, &a));
    assert_ok(lt_tune(t, &spec, s, &par, &b));
    assert_null(a.best_pipeline);
    assert_int_equal(a.ntrials, 5);
    assert_int_equal(a.best, b.best);
    for (int i = 0; i < 5; i++) {
        for (int k = 0; k < 3; k++)
            assert_string_equal(a.trials[i].values[k], b.trials[i].values[k]);
        assert_true(a.trials[i].mean == b.trials[i].mean);
        double C = atof(a.trials[i].values[0]);
        int it = atoi(a.trials[i].values[1]);
        assert_true(C >= 0.001 && C <= 100);
        assert_true(it >= 50 && it <= 60);
    }
    par.seed = 12;
    assert_ok(lt_tune(t, &spec, s, &par, &c));
    int differ = 0;
    for (int i = 0; i < 5; i++)
        differ |= strcmp(a.trials[i].values[0], c.trials[i].values[0]) != 0;
    assert_true(differ);
    lt_tune_result_free(&a);
    lt_tune_result_free(&b);
    lt_tune_result_free(&c);
    lt_search_space_free(s);

    /* A random search over lists as large as the grid runs the grid. */
    assert_ok(lt_search_space_parse("C=0.1,1", &s));
    par.n_iter = 10;
    assert_ok(lt_tune(t, &spec, s, &par, &a));
    assert_int_equal(a.ntrials, 2);
    lt_tune_result_free(&a);
    lt_search_space_free(s);
    lt_table_free(t);
}

static void test_bad_input(void **state)
{
    (void)state;
    lt_table *t = make_binary(50, 3, 0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    lt_tune_params par = lt_tune_params_default();
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=1", &s));
    lt_tune_result res;
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_EINVAL);  /* no target */
    spec.target = "nosuch";
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_ENOTFOUND);
    assert_error_contains("nosuch");
    spec.target = "y";
    par.cv = 60;
    assert_int_equal(lt_tune(t, &spec, s, &par, &res), LT_EINVAL);
    assert_error_contains("rows");
    lt_search_space_free(s);
    lt_table_free(t);
    lt_tune_result_free(NULL);
    lt_search_space_free(NULL);
}

/* Tree models through the same interface (skipped if gbdt is absent). */
static void test_tune_gbdt(void **state)
{
    (void)state;
    if (!lt_model_find("gbdt")) {
        print_message("SKIPPED: no gbdt model in this build\n");
        skip();
    }
    lt_table *t = make_binary(300, 6, 0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = "gbdt";
    spec.target = "y";
    const char *k[] = {"n_estimators"}, *v[] = {"30"};
    spec.param_keys = k;
    spec.param_values = v;
    spec.nparams = 1;
    lt_tune_params par = lt_tune_params_default();
    par.cv = 3;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("max_depth=1,3;learning_rate=0.1,0.3", &s));
    lt_tune_result res;
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_int_equal(res.ntrials, 4);
    assert_true(res.trials[res.best].mean > 0.85);
    char *params = lt_model_params_json(lt_pipeline_model(res.best_pipeline));
    assert_non_null(strstr(params, "\"n_estimators\":30"));  /* the fixed parameter kept */
    free(params);
    lt_tune_result_free(&res);
    lt_search_space_free(s);
    lt_table_free(t);
}

/* Rare positives (~12 %): F1 at the more probable class misses most of
 * them; the out-of-fold threshold sits lower, scores better out of fold,
 * and travels with the model (predictions, evaluation, model file). */
static void test_tune_threshold(void **state)
{
    (void)state;
    enum { N = 1500 };
    lt_table *t = make_binary(N, 7, 1.4);
    const double *y = lt_table_num(t, lt_table_col_index(t, "y"));
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "y";
    lt_tune_params par = lt_tune_params_default();
    par.metric = "f1";
    par.threshold = 1;
    lt_search_space *s = NULL;
    assert_ok(lt_search_space_parse("C=1", &s));
    lt_tune_result res;
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_true(res.threshold > 0.05 && res.threshold < 0.5);
    assert_true(res.threshold_f1 > res.default_f1 + 0.01);
    assert_true(res.default_f1 > 0.2);
    lt_pipeline *p = res.best_pipeline;
    assert_true(lt_pipeline_threshold(p) == res.threshold);
    char *js = lt_tune_result_json(&res);
    assert_non_null(strstr(js, "\"threshold\":{\"value\":"));
    free(js);

    /* Predictions are class 1 exactly where proba >= threshold. */
    float pred[N], proba[2 * N], pred2[N], proba2[2 * N];
    assert_ok(lt_pipeline_predict(p, t, pred, proba));
    int64_t ones = 0, below = 0;
    for (int i = 0; i < N; i++) {
        assert_true(pred[i] == (proba[2 * i + 1] >= res.threshold));
        ones += pred[i] == 1;
        below += pred[i] == 1 && proba[2 * i + 1] < 0.5;
    }
    assert_true(below > 0);  /* the threshold changed some decisions */
    assert_ok(lt_pipeline_predict(p, t, pred2, NULL));  /* without a proba buffer too */
    assert_memory_equal(pred, pred2, sizeof pred);

    /* Evaluation scores the thresholded decisions. */
    lt_eval ev;
    assert_ok(lt_pipeline_evaluate(p, t, NULL, 0, &ev));
    int32_t yi[N], pi[N];
    for (int i = 0; i < N; i++)
        yi[i] = (int32_t)y[i], pi[i] = (int32_t)pred[i];
    double pr, rc, f1;
    lt_prf_binary(yi, pi, N, 1, &pr, &rc, &f1);
    assert_near(ev.cls.f1, f1, 1e-12);

    /* Saved and loaded with the model. */
    char path[600];
    snprintf(path, sizeof path, "%s/threshold.lt", test_tmp_dir());
    assert_ok(lt_pipeline_save(p, path));
    lt_pipeline *q = NULL;
    assert_ok(lt_pipeline_load(path, &q));
    assert_true(lt_pipeline_threshold(q) == res.threshold);
    assert_ok(lt_pipeline_predict(q, t, pred2, proba2));
    assert_memory_equal(pred, pred2, sizeof pred);

    /* Bad thresholds are refused and leave the old one; NaN clears it. */
    assert_int_equal(lt_pipeline_set_threshold(q, 1.0), LT_EINVAL);
    assert_int_equal(lt_pipeline_set_threshold(q, 0.0), LT_EINVAL);
    assert_true(lt_pipeline_threshold(q) == res.threshold);
    assert_ok(lt_pipeline_set_threshold(q, NAN));
    assert_true(isnan(lt_pipeline_threshold(q)));
    assert_ok(lt_pipeline_predict(q, t, pred2, proba2));
    for (int i = 0; i < N; i++)
        assert_true(pred2[i] == (proba2[2 * i + 1] > proba2[2 * i]));
    lt_pipeline_free(q);
    lt_tune_result_free(&res);

    /* Regression: nothing to threshold. */
    spec.task = LT_TASK_REGRESSION;
    par.metric = "rmse";
    lt_search_space_free(s);
    assert_ok(lt_search_space_parse("alpha=0,1", &s));
    spec.model = "linreg";
    assert_ok(lt_tune(t, &spec, s, &par, &res));
    assert_true(isnan(res.threshold));
    assert_int_equal(lt_pipeline_set_threshold(res.best_pipeline, 0.3), LT_EINVAL);
    lt_tune_result_free(&res);
    lt_search_space_free(s);
    lt_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space_parse),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_tune_picks_C),
        cmocka_unit_test(test_tune_regression),
        cmocka_unit_test(test_group_folds_do_not_leak),
        cmocka_unit_test(test_stratified_folds),
        cmocka_unit_test(test_random_deterministic),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_tune_gbdt),
        cmocka_unit_test(test_tune_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
