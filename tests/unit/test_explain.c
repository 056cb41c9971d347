/* Explanations: permutation importance ranks what matters, gain and
 * coefficients map to feature names, TreeSHAP adds up to the raw score,
 * occlusion explains the predicted probability, the SVG is well-formed and
 * escaped, and bad input is refused. */
#include "test_util.h"

#include "lathe/explain.h"
#include "lathe/svg.h"

/* y = [2 x1 + 0.3 noise > 0] with a categorical column, pure-noise columns
 * and a constant one. */
static lt_table *make_data(int64_t n, uint64_t seed, int regression)
{
    lt_rng r;
    lt_rng_seed(&r, seed);
    double *x1 = malloc(sizeof(double) * n), *n1 = malloc(sizeof(double) * n);
    double *n2 = malloc(sizeof(double) * n), *c = malloc(sizeof(double) * n);
    double *y = malloc(sizeof(double) * n);
    const char **kind = malloc(sizeof(char *) * n);
    static const char *levels[] = {"A", "B", "C"};
    for (int64_t i = 0; i < n; i++) {
        x1[i] = lt_rng_normal(&r);
        n1[i] = lt_rng_normal(&r);
        n2[i] = lt_rng_uniform(&r) * 10;
        c[i] = 7;
        kind[i] = levels[lt_rng_below(&r, 3)];
        double s = 2 * x1[i] + 0.3 * lt_rng_normal(&r);
        y[i] = regression ? s : s > 0;
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "Torque [Nm]", x1, n));
    assert_ok(lt_table_add_num(t, "noise1", n1, n));
    assert_ok(lt_table_add_num(t, "noise2", n2, n));
    assert_ok(lt_table_add_num(t, "const", c, n));
    assert_ok(lt_table_add_cat(t, "kind", kind, n));
    assert_ok(lt_table_add_num(t, "y", y, n));
    free(x1);
    free(n1);
    free(n2);
    free(c);
    free(y);
    free(kind);
    return t;
}

static lt_pipeline *fit(const lt_table *t, const char *model)
{
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = model;
    spec.target = "y";
    /* A whisker of ridge: one-hot levels plus the intercept are collinear,
     * which the plain lstsq path of linreg does not always survive. */
    const char *k[] = {"alpha"}, *v[] = {"1e-6"};
    if (!strcmp(model, "linreg")) {
        spec.param_keys = k;
        spec.param_values = v;
        spec.nparams = 1;
    }
    lt_pipeline *p = NULL;
    assert_ok(lt_pipeline_fit(t, NULL, 0, &spec, &p));
    return p;
}

static int find_name(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    fail_msg("no '%s' among the names", name);
    return -1;
}

static void test_permutation(void **state)
{
    (void)state;
    lt_table *t = make_data(600, 1, 0);
    lt_pipeline *p = fit(t, "logreg");
    lt_perm_params par = lt_perm_params_default();
    int calls = 0;
    lt_importance imp;
    assert_ok(lt_explain_permutation(p, t, &par, &imp));
    (void)calls;
    assert_int_equal(imp.kind, LT_IMPORTANCE_PERMUTATION);
    assert_int_equal(imp.n, 5);  /* input columns, not features */
    assert_string_equal(imp.metric, "roc_auc");
    assert_true(imp.baseline > 0.95);
    int x = find_name((const char *const *)imp.names, imp.n, "Torque [Nm]");
    int a = find_name((const char *const *)imp.names, imp.n, "noise1");
    int b = find_name((const char *const *)imp.names, imp.n, "noise2");
    int c = find_name((const char *const *)imp.names, imp.n, "const");
    assert_true(imp.mean[x] > 0.3);
    assert_true(imp.mean[x] > 10 * fabs(imp.mean[a]));
    assert_true(fabs(imp.mean[a]) < 0.02 && fabs(imp.mean[b]) < 0.02);
    assert_true(imp.mean[c] == 0 && imp.std[c] == 0);  /* shuffling a constant changes nothing */
    assert_true(imp.std[x] > 0);

    /* Same seed, same answer; a sample of rows; another metric. */
    lt_importance imp2;
    assert_ok(lt_explain_permutation(p, t, &par, &imp2));
    for (int j = 0; j < imp.n; j++)
        assert_true(imp.mean[j] == imp2.mean[j]);
    lt_importance_free(&imp2);
    par.max_rows = 200;
    par.metric = "accuracy";
    par.n_repeats = 2;
    assert_ok(lt_explain_permutation(p, t, &par, &imp2));
    assert_int_equal(imp2.nrows, 200);
    assert_int_equal(imp2.n_repeats, 2);
    assert_true(imp2.mean[x] > 0.2);
    lt_importance_free(&imp2);

    /* Bad input. */
    par.metric = "rmse";
    assert_int_equal(lt_explain_permutation(p, t, &par, &imp2), LT_EINVAL);
    par.metric = "nope";
    assert_int_equal(lt_explain_permutation(p, t, &par, &imp2), LT_EINVAL);
    par.metric = NULL;
    par.n_repeats = 0;
    assert_int_equal(lt_explain_permutation(p, t, &par, &imp2), LT_EINVAL);
    par.n_repeats = 2;
    const char *keep[] = {"Torque [Nm]", "noise1", "noise2", "const", "kind"};
    lt_table *nolabel = lt_table_select(t, keep, 5);
    assert_int_equal(lt_explain_permutation(p, nolabel, &par, &imp2), LT_ENOTFOUND);
    assert_error_contains("y");
    lt_table_free(nolabel);
    lt_importance_free(&imp);
    lt_importance_free(NULL);
    lt_pipeline_free(p);
    lt_table_free(t);
}

static void test_permutation_regression_and_coefficients(void **state)
{
    (void)state;
    lt_table *t = make_data(400, 2, 1);
    lt_pipeline *p = fit(t, "linreg");
    lt_importance imp;
    assert_ok(lt_explain_permutation(p, t, NULL, &imp));
    assert_string_equal(imp.metric, "rmse");
    assert_int_equal(imp.higher_is_better, 0);
    int x = find_name((const char *const *)imp.names, imp.n, "Torque [Nm]");
    int a = find_name((const char *const *)imp.names, imp.n, "noise1");
    assert_true(imp.mean[x] > 1.0);  /* rmse grows when the signal is shuffled */
    assert_true(fabs(imp.mean[a]) < 0.02);
    lt_importance_free(&imp);

    assert_ok(lt_explain_coefficients(p, &imp));
    assert_int_equal(imp.kind, LT_IMPORTANCE_COEFFICIENT);
    assert_int_equal(imp.n, lt_prep_nout(lt_pipeline_prep(p)));
    x = find_name((const char *const *)imp.names, imp.n, "Torque [Nm]");
    find_name((const char *const *)imp.names, imp.n, "kind=A");
    assert_near(imp.mean[x], 2.0, 0.15);  /* x1 ~ N(0,1): the scaled weight is ~2 */
    lt_importance_free(&imp);
    assert_int_equal(lt_explain_gain(p, &imp), LT_EUNSUPPORTED);
    lt_pipeline_free(p);
    lt_table_free(t);
}

static void test_occlusion(void **state)
{
    (void)state;
    lt_table *t = make_data(500, 3, 0);
    lt_pipeline *p = fit(t, "logreg");
    float pred[500], proba[1000];
    assert_ok(lt_pipeline_predict(p, t, pred, proba));
    int64_t row = 0;  /* a row far from the boundary */
    for (int64_t i = 0; i < 500; i++)
        if (fabs(lt_table_num(t, 0)[i]) > 1.5) {
            row = i;
            break;
        }
    lt_contrib c;
    assert_ok(lt_explain_row(p, t, row, NULL, &c));
    assert_int_equal(c.method, LT_CONTRIB_OCCLUSION);
    assert_int_equal(c.n, 5);
    assert_int_equal(c.cls, 1);
    assert_near(c.output, proba[row * 2 + 1], 1e-6);
    int x = find_name((const char *const *)c.names, c.n, "Torque [Nm]");
    int k = find_name((const char *const *)c.names, c.n, "const");
    for (int j = 0; j < c.n; j++)
        if (j != x)
            assert_true(fabs(c.contrib[x]) > fabs(c.contrib[j]));
    assert_true(c.contrib[k] == 0);
    /* The sign follows the value: a high x1 raises P(y = 1). */
    assert_true((lt_table_num(t, 0)[row] > 0) == (c.contrib[x] > 0));
    assert_string_equal(c.values[k], "7");
    assert_non_null(strstr(c.output_desc, "probability"));
    assert_string_equal(c.predicted, lt_table_num(t, 0)[row] > 0 ? "1" : "0");
    lt_contrib_free(&c);

    lt_row_params rp = lt_row_params_default();
    rp.cls = 0;
    assert_ok(lt_explain_row(p, t, row, &rp, &c));
    assert_near(c.output, proba[row * 2], 1e-6);
    lt_contrib_free(&c);
    rp.cls = 5;
    assert_int_equal(lt_explain_row(p, t, row, &rp, &c), LT_EINVAL);
    rp.cls = -1;
    rp.method = LT_CONTRIB_TREESHAP;
    assert_int_equal(lt_explain_row(p, t, row, &rp, &c), LT_EUNSUPPORTED);
    assert_int_equal(lt_explain_row(p, t, 500, NULL, &c), LT_EINVAL);
    assert_error_contains("500");
    assert_int_equal(lt_explain_row(p, t, -1, NULL, &c), LT_EINVAL);
    lt_contrib_free(NULL);
    lt_pipeline_free(p);
    lt_table_free(t);
}

static void test_feature_input(void **state)
{
    (void)state;
    lt_table *t = make_data(50, 4, 0);
    lt_pipeline *p = fit(t, "logreg");
    const lt_prep *prep = lt_pipeline_prep(p);
    for (int64_t k = 0; k < lt_prep_nout(prep); k++) {
        int j = lt_explain_feature_input(prep, k);
        assert_true(j >= 0);
        const char *in = lt_prep_in_name(prep, j), *out = lt_prep_out_name(prep, k);
        assert_int_equal(strncmp(in, out, strlen(in)), 0);
    }
    lt_pipeline_free(p);
    lt_table_free(t);
}

/* gbdt and rf implement gain importance and TreeSHAP (skipped if absent). */
static void test_trees(void **state)
{
    (void)state;
    if (!lt_model_find("gbdt") || !lt_model_find("rf")) {
        print_message("SKIPPED: no gbdt/rf model in this build\n");
        skip();
    }
    lt_table *t = make_data(400, 5, 0);
    static const char *models[] = {"gbdt", "rf"};
    for (int mi = 0; mi < 2; mi++) {
        lt_pipeline_spec spec = lt_pipeline_spec_default();
        spec.model = models[mi];
        spec.target = "y";
        const char *k[] = {"n_estimators"}, *v[] = {"30"};
        spec.param_keys = k;
        spec.param_values = v;
        spec.nparams = 1;
        lt_pipeline *p = NULL;
        assert_ok(lt_pipeline_fit(t, NULL, 0, &spec, &p));
        lt_importance imp;
        assert_ok(lt_explain_gain(p, &imp));
        assert_int_equal(imp.kind, LT_IMPORTANCE_GAIN);
        double sum = 0;
        int x = find_name((const char *const *)imp.names, imp.n, "Torque [Nm]");
        for (int j = 0; j < imp.n; j++) {
            sum += imp.mean[j];
            if (j != x)
                assert_true(imp.mean[x] > imp.mean[j]);
        }
        assert_near(sum, 1.0, 1e-9);
        lt_importance_free(&imp);

        float pred[400], proba[800];
        assert_ok(lt_pipeline_predict(p, t, pred, proba));
        for (int64_t row = 0; row < 5; row++) {
            lt_contrib c;
            assert_ok(lt_explain_row(p, t, row, NULL, &c));
            assert_int_equal(c.method, LT_CONTRIB_TREESHAP);
            assert_int_equal(c.n, lt_prep_nout(lt_pipeline_prep(p)));
            double s = c.base;
            for (int j = 0; j < c.n; j++)
                s += c.contrib[j];
            assert_near(s, c.output, 1e-4);
            /* gbdt explains the log-odds of class 1, rf its probability. */
            double want = mi == 0 ? 1 / (1 + exp(-c.output)) : c.output;
            assert_near(want, proba[row * 2 + 1], 2e-4);
            /* Folding one-hot levels into their column keeps the total. */
            assert_ok(lt_contrib_group_inputs(p, &c));
            assert_int_equal(c.n, 5);
            double s2 = c.base;
            for (int j = 0; j < c.n; j++)
                s2 += c.contrib[j];
            assert_near(s2, s, 1e-6);
            find_name((const char *const *)c.names, c.n, "kind");
            lt_contrib_free(&c);
        }
        /* Occlusion also works for trees. */
        lt_row_params rp = lt_row_params_default();
        rp.method = LT_CONTRIB_OCCLUSION;
        lt_contrib c;
        assert_ok(lt_explain_row(p, t, 0, &rp, &c));
        assert_near(c.output, proba[1], 1e-6);
        lt_contrib_free(&c);
        lt_pipeline_free(p);
    }
    lt_table_free(t);
}

/* ---- SVG ---------------------------------------------------------------- */

/* Rough well-formedness: every tag closes in order, text holds no raw '<',
 * '&' starts an entity, and quotes balance inside tags. */
static void check_xml(const char *s)
{
    const char *stack[256];
    size_t lens[256];
    int depth = 0, seen_root = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '&') {
            const char *semi = strchr(p, ';');
            assert_non_null(semi);
            assert_true(semi - p <= 6);
            continue;
        }
        if (*p != '<')
            continue;
        const char *end = strchr(p, '>');
        assert_non_null(end);
        int quotes = 0;
        for (const char *q = p; q < end; q++)
            quotes += *q == '"';
        assert_int_equal(quotes % 2, 0);
        if (p[1] == '?') {
            p = end;
            continue;
        }
        if (p[1] == '/') {
            assert_true(depth > 0);
            depth--;
            assert_int_equal(strncmp(p + 2, stack[depth], lens[depth]), 0);
        } else if (end[-1] != '/') {
            const char *nm = p + 1;
            size_t len = strcspn(nm, " >/\n");
            assert_true(depth < 256);
            if (depth == 0) {
                assert_false(seen_root);
                seen_root = 1;
            }
            stack[depth] = nm;
            lens[depth++] = len;
        }
        p = end;
    }
    assert_int_equal(depth, 0);
    assert_true(seen_root);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_svg(void **state)
{
    (void)state;
    const char *labels[] = {"Torque [Nm]", "a<b&c", "say \"hi\" it's", "Temperatur \xC2\xB0" "C",
                            "bad \xFF byte", "ctl\x01x"};
    double values[] = {0.5, -0.25, 0.1, 0.0, NAN, 1e-7};
    double errors[] = {0.05, 0.01, 0.2, 0, 0, 0};
    lt_bar_chart c = {0};
    c.title = "Importance <of> & \"things\"";
    c.subtitle = "sub";
    c.axis_label = "drop in roc_auc";
    c.n = 6;
    c.labels = labels;
    c.values = values;
    c.errors = errors;
    char *svg = NULL;
    assert_ok(lt_svg_bar_chart(&c, &svg));
    check_xml(svg);
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, ">Torque [Nm]<"));
    assert_non_null(strstr(svg, ">a&lt;b&amp;c<"));
    assert_non_null(strstr(svg, "say &quot;hi&quot; it&#39;s"));
    assert_non_null(strstr(svg, "Temperatur \xC2\xB0" "C"));
    assert_non_null(strstr(svg, "bad \xEF\xBF\xBD byte"));
    assert_non_null(strstr(svg, "ctl x"));
    assert_non_null(strstr(svg, "Importance &lt;of&gt; &amp; &quot;things&quot;"));
    assert_null(strstr(svg, "\xFF"));
    assert_int_equal(count(svg, "<title>"), 6);
    /* Sorted by magnitude: the 0.5 bar comes before the -0.25 one. */
    assert_true(strstr(svg, ">Torque [Nm]<") < strstr(svg, ">a&lt;b&amp;c<"));
    assert_true(strstr(svg, ">a&lt;b&amp;c<") < strstr(svg, ">say &quot;"));
    assert_non_null(strstr(svg, "n/a"));
    free(svg);

    /* 40 bars with signed colours, and a top-5 cut. */
    char names[40][24];
    const char *lab40[40];
    double v40[40];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "feature_%02d", i);
        lab40[i] = names[i];
        v40[i] = (i % 2 ? -1 : 1) * (i + 1) * 0.1;
    }
    lt_bar_chart d = {0};
    d.n = 40;
    d.labels = lab40;
    d.values = v40;
    d.signed_colors = 1;
    d.pos_legend = "raises";
    d.neg_legend = "lowers";
    assert_ok(lt_svg_bar_chart(&d, &svg));
    check_xml(svg);
    for (int i = 0; i < 40; i++)
        assert_non_null(strstr(svg, names[i]));
    assert_true(count(svg, "#d9534f") >= 20 && count(svg, "#3d7ab8") >= 20);
    assert_non_null(strstr(svg, "raises"));
    int h = 0;
    assert_int_equal(sscanf(strstr(svg, "height=\""), "height=\"%d", &h), 1);
    assert_true(h > 40 * 15 && h < 1200);
    free(svg);
    d.top = 5;
    assert_ok(lt_svg_bar_chart(&d, &svg));
    check_xml(svg);
    assert_int_equal(count(svg, "<title>"), 5);
    assert_non_null(strstr(svg, "feature_39"));
    assert_null(strstr(svg, "feature_00"));
    free(svg);

    /* Written atomically to a file. */
    char path[600];
    snprintf(path, sizeof path, "%s/chart.svg", test_tmp_dir());
    assert_ok(lt_svg_bar_chart_write(&c, path));
    char *buf = NULL;
    size_t len = 0;
    assert_ok(lt_read_file(path, 0, &buf, &len));
    check_xml(buf);
    free(buf);
    snprintf(path, sizeof path, "%s/no/such/dir/chart.svg", test_tmp_dir());
    assert_int_not_equal(lt_svg_bar_chart_write(&c, path), LT_OK);

    /* Bad input. */
    c.n = 0;
    assert_int_equal(lt_svg_bar_chart(&c, &svg), LT_EINVAL);
    c.n = 2;
    c.labels = NULL;
    assert_int_equal(lt_svg_bar_chart(&c, &svg), LT_EINVAL);
    assert_int_equal(lt_svg_bar_chart(NULL, &svg), LT_EINVAL);

    char *e = lt_xml_escape("x<y & z>\"'");
    assert_string_equal(e, "x&lt;y &amp; z&gt;&quot;&#39;");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permutation),
        cmocka_unit_test(test_permutation_regression_and_coefficients),
        cmocka_unit_test(test_occlusion),
        cmocka_unit_test(test_feature_input),
        cmocka_unit_test(test_trees),
        cmocka_unit_test(test_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
