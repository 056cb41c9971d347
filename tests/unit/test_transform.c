/* lt_prep: imputation, scaling, encoding, fit-on-rows, apply by name with
 * schema errors, and JSON round trip plus rejection of corrupt JSON. */
#include "test_util.h"

/* t: 6 rows; v = 1 2 3 NaN 5 100, c = L M L (missing) H L */
static lt_table *sample(void)
{
    lt_table *t = lt_table_new();
    double v[6] = {1, 2, 3, NAN, 5, 100};
    const char *c[6] = {"L", "M", "L", NULL, "H", "L"};
    assert_ok(lt_table_add_num(t, "v", v, 6));
    assert_ok(lt_table_add_cat(t, "c", c, 6));
    return t;
}

static const char *feats[] = {"v", "c"};

static void test_standard_onehot(void **state)
{
    (void)state;
    lt_table *t = sample();
    int64_t rows[5] = {0, 1, 2, 3, 4}; /* fit without the 100 outlier */
    lt_prep *p = NULL;
    assert_ok(lt_prep_fit(t, feats, 2, rows, 5, NULL, &p));
    assert_int_equal(lt_prep_nin(p), 2);
    assert_int_equal(lt_prep_in_type(p, 1), LT_COL_CAT);
    assert_int_equal(lt_prep_nout(p), 4);
    assert_string_equal(lt_prep_out_name(p, 0), "v");
    assert_string_equal(lt_prep_out_name(p, 1), "c=H");
    assert_string_equal(lt_prep_out_name(p, 2), "c=L");
    assert_string_equal(lt_prep_out_name(p, 3), "c=M");
    float X[6 * 4];
    assert_ok(lt_prep_apply(p, t, X));
    /* imputed column 1 2 3 2.75 5: mean 2.75, population sd */
    double m = 2.75, sd = sqrt(((1 - m) * (1 - m) + (2 - m) * (2 - m) + (3 - m) * (3 - m) +
                                (5 - m) * (5 - m)) / 5.0);
    assert_near(X[0 * 4], (1 - m) / sd, 1e-6);
    assert_near(X[3 * 4], 0, 1e-6); /* missing -> mean -> 0 */
    assert_near(X[5 * 4], (100 - m) / sd, 1e-4);
    assert_true(X[0 * 4 + 2] == 1 && X[0 * 4 + 1] == 0 && X[0 * 4 + 3] == 0);
    assert_true(X[3 * 4 + 2] == 1); /* missing category -> most frequent (L) */
    assert_true(X[4 * 4 + 1] == 1);
    lt_prep_free(p);
    lt_prep_free(NULL);
    lt_table_free(t);
}

static void test_median_minmax_label(void **state)
{
    (void)state;
    lt_table *t = sample();
    lt_prep_params par = {LT_SCALE_MINMAX, LT_IMPUTE_MEDIAN, LT_ENCODE_LABEL};
    lt_prep *p = NULL;
    assert_ok(lt_prep_fit(t, feats, 2, NULL, 0, &par, &p));
    assert_int_equal(lt_prep_nout(p), 2);
    float X[12];
    assert_ok(lt_prep_apply(p, t, X));
    /* median of 1 2 3 5 100 = 3; range 1..100 */
    assert_near(X[0], 0, 1e-7);
    assert_near(X[3 * 2], (3 - 1) / 99.0, 1e-6);
    assert_near(X[5 * 2], 1, 1e-7);
    assert_near(X[1], 1, 0);  /* L is level 1 of H, L, M */
    assert_near(X[4 * 2 + 1], 0, 0);
    lt_prep_free(p);
    /* constant column: std 0 treated as 1, min-max range 0 -> 0 */
    lt_table *k = lt_table_new();
    double c[3] = {7, 7, 7};
    assert_ok(lt_table_add_num(k, "k", c, 3));
    const char *kf[] = {"k"};
    assert_ok(lt_prep_fit(k, kf, 1, NULL, 0, &par, &p));
    assert_ok(lt_prep_apply(p, k, X));
    assert_true(X[0] == 0 && X[2] == 0);
    lt_prep_free(p);
    lt_prep_params std = lt_prep_params_default();
    std.impute = LT_IMPUTE_MOST_FREQUENT;
    assert_ok(lt_prep_fit(k, kf, 1, NULL, 0, &std, &p));
    assert_ok(lt_prep_apply(p, k, X));
    assert_true(X[1] == 0);
    lt_prep_free(p);
    /* a column with no values at all imputes 0 */
    double nan3[3] = {NAN, NAN, NAN};
    assert_ok(lt_table_add_num(k, "e", nan3, 3));
    const char *ef[] = {"e"};
    par.scale = LT_SCALE_NONE;
    assert_ok(lt_prep_fit(k, ef, 1, NULL, 0, &par, &p));
    assert_ok(lt_prep_apply(p, k, X));
    assert_true(X[0] == 0 && X[2] == 0);
    lt_prep_free(p);
    lt_table_free(k);
    lt_table_free(t);
}

static void test_apply_by_name(void **state)
{
    (void)state;
    lt_table *t = sample();
    lt_prep *p = NULL;
    assert_ok(lt_prep_fit(t, feats, 2, NULL, 0, NULL, &p));
    /* new table: other order, an extra column, an unseen level */
    lt_table *u = lt_table_new();
    const char *c[2] = {"Z", "M"};
    double v[2] = {2, 3}, extra[2] = {0, 0};
    assert_ok(lt_table_add_num(u, "extra", extra, 2));
    assert_ok(lt_table_add_cat(u, "c", c, 2));
    assert_ok(lt_table_add_num(u, "v", v, 2));
    float X[8];
    assert_ok(lt_prep_apply(p, u, X));
    assert_true(X[1] == 0 && X[2] == 0 && X[3] == 0); /* unknown -> all zeros */
    assert_true(X[4 + 3] == 1);
    lt_table_free(u);
    /* missing column */
    u = lt_table_new();
    assert_ok(lt_table_add_num(u, "v", v, 2));
    assert_int_equal(lt_prep_apply(p, u, X), LT_ENOTFOUND);
    assert_error_contains("column 'c' is missing");
    lt_table_free(u);
    /* numeric column arriving as text */
    u = lt_table_new();
    assert_ok(lt_table_add_cat(u, "v", c, 2));
    assert_ok(lt_table_add_cat(u, "c", c, 2));
    assert_int_equal(lt_prep_apply(p, u, X), LT_ETYPE);
    assert_error_contains("column 'v'");
    lt_table_free(u);
    lt_prep_free(p);
    lt_table_free(t);
    /* categorical fitted on "1","2" text, applied to numbers: matched as text */
    t = lt_table_new();
    const char *codes[3] = {"1", "2", "2"};
    assert_ok(lt_table_add_cat(t, "code", codes, 3));
    const char *cf[] = {"code"};
    assert_ok(lt_prep_fit(t, cf, 1, NULL, 0, NULL, &p));
    u = lt_table_new();
    double nums[3] = {1, 2.5, NAN};
    assert_ok(lt_table_add_num(u, "code", nums, 3));
    assert_ok(lt_prep_apply(p, u, X));
    assert_true(X[0] == 1 && X[1] == 0);
    assert_true(X[2] == 0 && X[3] == 0); /* 2.5 unknown */
    assert_true(X[4] == 0 && X[5] == 1); /* missing -> most frequent "2" */
    lt_table_free(u);
    lt_prep_free(p);
    lt_table_free(t);
}

static void test_fit_errors(void **state)
{
    (void)state;
    lt_table *t = sample();
    lt_prep *p = (lt_prep *)1;
    const char *bad[] = {"v", "nope"};
    assert_int_equal(lt_prep_fit(t, bad, 2, NULL, 0, NULL, &p), LT_ENOTFOUND);
    assert_null(p);
    assert_error_contains("no column 'nope'");
    const char *twice[] = {"v", "v"};
    assert_int_equal(lt_prep_fit(t, twice, 2, NULL, 0, NULL, &p), LT_EINVAL);
    int64_t rows[1] = {6};
    assert_int_equal(lt_prep_fit(t, feats, 2, rows, 1, NULL, &p), LT_EINVAL);
    lt_prep_params par = lt_prep_params_default();
    par.scale = 9;
    assert_int_equal(lt_prep_fit(t, feats, 2, NULL, 0, &par, &p), LT_EINVAL);
    lt_table_free(t);
}

static void test_json(void **state)
{
    (void)state;
    lt_table *t = sample();
    lt_prep *p = NULL, *q = NULL;
    assert_ok(lt_prep_fit(t, feats, 2, NULL, 0, NULL, &p));
    char *js = NULL;
    assert_ok(lt_prep_to_json(p, &js));
    assert_ok(lt_prep_from_json(js, &q));
    assert_int_equal(lt_prep_nout(q), lt_prep_nout(p));
    float X[24], Y[24];
    assert_ok(lt_prep_apply(p, t, X));
    assert_ok(lt_prep_apply(q, t, Y));
    assert_memory_equal(X, Y, sizeof X);
    free(js);
    lt_prep_free(q);
    lt_prep_free(p);
    lt_table_free(t);

    static const struct {
        const char *json, *needle;
    } bad[] = {
        {"", "prep JSON: line"},
        {"{\"format\":\"lathe.prep\"", "prep JSON: line"},
        {"[1]", "top level"},
        {"{\"format\":\"x\"}", "'format'"},
        {"{\"format\":\"lathe.prep\",\"version\":2}", "'version'"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"big\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[]}", "field 'scale' is 'big'"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[]}", "'columns' must be a non-empty array"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"num\",\"fill\":0,"
         "\"center\":0}]}", "columns[0].scale"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"num\",\"fill\":0,"
         "\"center\":0,\"scale\":0}]}", "columns[0].scale must be > 0"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"cat\",\"levels\":"
         "[\"b\",\"a\"],\"fill\":null}]}", "sorted and unique"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"cat\",\"levels\":"
         "[\"a\",3],\"fill\":null}]}", "columns[0].levels[1] must be a string"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"cat\",\"levels\":"
         "[\"a\"],\"fill\":\"q\"}]}", "columns[0].fill"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"cat\",\"levels\":[],"
         "\"fill\":null},{\"name\":\"a\",\"type\":\"txt\"}]}", "columns[1].type"},
        {"{\"format\":\"lathe.prep\",\"version\":1,\"scale\":\"none\",\"impute\":\"mean\","
         "\"encode\":\"onehot\",\"columns\":[{\"name\":\"a\",\"type\":\"cat\",\"levels\":[],"
         "\"fill\":null},{\"name\":\"a\",\"type\":\"cat\",\"levels\":[],\"fill\":null}]}",
         "appears twice"},
        {"{\"format\":\"lathe.prep\",\"format\":\"lathe.prep\"}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lt_prep *r = (lt_prep *)1;
        int rc = lt_prep_from_json(bad[i].json, &r);
        if (rc != LT_EFORMAT || r != NULL || !strstr(lt_last_error(), bad[i].needle))
            fail_msg("case %zu: rc %s, message '%s', expected '%s'", i, lt_status_name(rc),
                     lt_last_error(), bad[i].needle);
    }
}

/* AI4I: numeric sensors plus the 3-level Type, fitted on a split's train rows. */
static void test_real_ai4i(void **state)
{
    (void)state;
    char buf[600];
    const char *path = test_data_file("ai4i2020/ai4i2020.csv", buf, sizeof buf);
    if (!path)
        return;
    lt_table *t = NULL;
    assert_ok(lt_csv_read(path, NULL, &t));
    const char *f[] = {"Type", "Air temperature [K]", "Torque [Nm]", "Product ID"};
    lt_split s;
    assert_ok(lt_split_random(lt_table_nrows(t), 0.2, 1, &s));
    lt_prep *p = NULL;
    lt_prep_params par = lt_prep_params_default();
    par.encode = LT_ENCODE_LABEL;
    assert_ok(lt_prep_fit(t, f, 3, s.train, s.ntrain, NULL, &p));
    assert_int_equal(lt_prep_nout(p), 5);
    assert_string_equal(lt_prep_out_name(p, 0), "Type=H");
    float *X = malloc((size_t)lt_table_nrows(t) * 5 * sizeof *X);
    assert_ok(lt_prep_apply(p, t, X));
    double mean = 0;
    for (int64_t i = 0; i < s.ntrain; i++)
        mean += X[s.train[i] * 5 + 4];
    assert_near(mean / (double)s.ntrain, 0, 1e-4); /* standardised on the train rows */
    lt_prep_free(p);
    /* 10,000-level ID column, label-encoded */
    assert_ok(lt_prep_fit(t, f, 4, s.train, s.ntrain, &par, &p));
    assert_int_equal(lt_prep_nout(p), 4);
    assert_ok(lt_prep_apply(p, t, X));
    lt_prep_free(p);
    free(X);
    lt_split_free(&s);
    lt_table_free(t);
}

/* LT_IMPUTE_NONE (trees): missing stays NaN, statistics from observed
 * values only, and the NaN survives a JSON round trip. */
static void test_impute_none(void **state)
{
    (void)state;
    lt_table *t = sample();
    lt_prep_params par = lt_prep_params_default();
    par.impute = LT_IMPUTE_NONE;
    lt_prep *p = NULL, *q = NULL;
    assert_ok(lt_prep_fit(t, feats, 2, NULL, 0, &par, &p));
    float X[6 * 4], Y[6 * 4];
    assert_ok(lt_prep_apply(p, t, X));
    assert_true(isnan(X[3 * 4 + 0]));
    /* mean of the 5 observed values 1 2 3 5 100 = 22.2 -> row 0 is below it */
    assert_true(X[0] < 0 && !isnan(X[0]));
    char *json = NULL;
    assert_ok(lt_prep_to_json(p, &json));
    assert_ok(lt_prep_from_json(json, &q));
    assert_ok(lt_prep_apply(q, t, Y));
    for (int i = 0; i < 24; i++)
        assert_true((isnan(X[i]) && isnan(Y[i])) || X[i] == Y[i]);
    free(json);
    lt_prep_free(p);
    lt_prep_free(q);
    lt_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_onehot), cmocka_unit_test(test_median_minmax_label),
        cmocka_unit_test(test_apply_by_name),   cmocka_unit_test(test_fit_errors),
        cmocka_unit_test(test_json), cmocka_unit_test(test_impute_none),            cmocka_unit_test(test_real_ai4i),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
