/* Unit tests for src/ml/model.c and registry.c: lookup, table-driven
 * parameters and their error messages, input validation before any work,
 * and the save -> lt_state -> load round trip. */
#include "test_util.h"

static void test_registry(void **st)
{
    (void)st;
    assert_true(lt_model_registry_count() >= 2);
    for (int i = 0; i < lt_model_registry_count(); i++) {
        const lt_model_vtable *vt = lt_model_registry_at(i);
        assert_non_null(vt);
        assert_ptr_equal(lt_model_find(vt->name), vt);
    }
    assert_null(lt_model_registry_at(-1));
    assert_null(lt_model_registry_at(lt_model_registry_count()));
    assert_non_null(lt_model_find("linreg"));
    assert_non_null(lt_model_find("logreg"));
    assert_null(lt_model_find("nope"));
    lt_model *m = (lt_model *)1;
    assert_int_equal(lt_model_new("forest9", &m), LT_ENOTFOUND);
    assert_null(m);
    assert_error_contains("unknown model 'forest9'");
    assert_error_contains("linreg");
    assert_error_contains("logreg");
    lt_model_free(NULL);
}

static void test_defaults_and_json(void **st)
{
    (void)st;
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    char *js = lt_model_params_json(m);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"solver\":\"lbfgs\""));
    assert_non_null(strstr(js, "\"C\":1.0"));
    assert_non_null(strstr(js, "\"class_weight\":\"none\""));
    assert_non_null(strstr(js, "\"fit_intercept\":true"));
    free(js);
    assert_ok(lt_model_set_param(m, "solver", "newton"));
    assert_ok(lt_model_set_param(m, "C", "0.25"));
    assert_ok(lt_model_set_param(m, "max_iter", "55"));
    assert_ok(lt_model_set_param(m, "fit_intercept", "false"));
    assert_ok(lt_model_set_param(m, "class_weight", "BALANCED"));
    js = lt_model_params_json(m);
    // The JSON text configures a fresh model identically.
    lt_model *m2;
    assert_ok(lt_model_new("logreg", &m2));
    assert_ok(lt_model_set_params_json(m2, js));
    char *js2 = lt_model_params_json(m2);
    assert_string_equal(js, js2);
    assert_non_null(strstr(js2, "\"solver\":\"newton\""));
    assert_non_null(strstr(js2, "\"C\":0.25"));
    assert_non_null(strstr(js2, "\"max_iter\":55"));
    assert_non_null(strstr(js2, "\"class_weight\":\"balanced\""));
    free(js);
    free(js2);
    // Numbers and booleans in JSON work as well as strings.
    assert_ok(lt_model_set_params_json(m2, "{\"C\": 3, \"tol\": \"1e-6\", \"fit_intercept\": true}"));
    assert_ok(lt_model_set_params_json(m2, NULL));
    lt_model_free(m);
    lt_model_free(m2);
}

static void test_bad_params(void **st)
{
    (void)st;
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    assert_int_equal(lt_model_set_param(m, "C", "-1"), LT_EINVAL);
    assert_error_contains("logreg: parameter 'C' must be > 0 (got -1)");
    assert_int_equal(lt_model_set_param(m, "C", "0"), LT_EINVAL);
    assert_int_equal(lt_model_set_param(m, "C", "abc"), LT_EINVAL);
    assert_error_contains("must be a number");
    assert_int_equal(lt_model_set_param(m, "C", "nan"), LT_EINVAL);
    assert_int_equal(lt_model_set_param(m, "solvr", "lbfgs"), LT_EINVAL);
    assert_error_contains("logreg: unknown parameter 'solvr' (known: solver, C, max_iter, tol, "
                          "class_weight");
    assert_int_equal(lt_model_set_param(m, "solver", "adam"), LT_EINVAL);
    assert_error_contains("'solver' must be one of lbfgs|newton|gd|sgd (got 'adam')");
    assert_int_equal(lt_model_set_param(m, "max_iter", "-3"), LT_EINVAL);
    assert_error_contains("'max_iter' must be in [0, 100000000] (got -3)");
    assert_int_equal(lt_model_set_param(m, "max_iter", "12.5"), LT_EINVAL);
    assert_error_contains("must be an integer");
    assert_int_equal(lt_model_set_param(m, "fit_intercept", "maybe"), LT_EINVAL);
    assert_error_contains("must be true or false (got 'maybe')");
    assert_int_equal(lt_model_set_params_json(m, "{\"C\": "), LT_EFORMAT);
    assert_error_contains("parameters JSON");
    assert_int_equal(lt_model_set_params_json(m, "[1]"), LT_EFORMAT);
    assert_int_equal(lt_model_set_params_json(m, "{\"C\": [1]}"), LT_EINVAL);
    assert_int_equal(lt_model_set_params_json(m, "{\"C\": -2}"), LT_EINVAL);
    assert_error_contains("must be > 0 (got -2)");
    // A failed set leaves the old value.
    char *js = lt_model_params_json(m);
    assert_non_null(strstr(js, "\"C\":1.0"));
    free(js);
    lt_model_free(m);

    assert_ok(lt_model_new("linreg", &m));
    assert_int_equal(lt_model_set_param(m, "alpha", "-0.5"), LT_EINVAL);
    assert_error_contains("linreg: parameter 'alpha' must be >= 0 (got -0.5)");
    lt_model_free(m);
}

#define N 12
static void small_data(float *X, float *y)
{
    for (int i = 0; i < N; i++) {
        X[2 * i] = (float)i / N;
        X[2 * i + 1] = (float)((i * 5) % N) / N;
        y[i] = (float)(i % 2);
    }
}

static void test_bad_inputs(void **st)
{
    (void)st;
    float X[2 * N], y[N], out[2 * N];
    small_data(X, y);
    lt_model *m;
    assert_ok(lt_model_new("logreg", &m));
    const lt_task C = LT_TASK_CLASSIFICATION;
    assert_int_equal(lt_model_predict(m, X, N, 2, out), LT_ESTATE);
    assert_error_contains("before fit");
    assert_int_equal(lt_model_fit(m, C, X, 0, 2, y, 2, NULL), LT_EINVAL);
    assert_error_contains("n >= 1");
    assert_int_equal(lt_model_fit(m, C, X, N, 0, y, 2, NULL), LT_EINVAL);
    assert_int_equal(lt_model_fit(m, C, X, N, 2, NULL, 2, NULL), LT_EINVAL);
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 1, NULL), LT_EINVAL);
    assert_error_contains("nclass >= 2");
    X[2 * 3 + 1] = NAN;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    assert_error_contains("row 3, column 1");
    X[2 * 3 + 1] = INFINITY;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    small_data(X, y);
    y[4] = 2;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    assert_error_contains("y[4] = 2 is not a class index in 0..1");
    y[4] = 0.5f;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    y[4] = NAN;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    assert_error_contains("y has a non-finite value");
    for (int i = 0; i < N; i++)
        y[i] = 1;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, NULL), LT_EINVAL);
    assert_error_contains("only one class present");
    small_data(X, y);
    float w[N];
    for (int i = 0; i < N; i++)
        w[i] = 1;
    w[2] = -1;
    assert_int_equal(lt_model_fit(m, C, X, N, 2, y, 2, w), LT_EINVAL);
    assert_error_contains("sample weight at row 2");
    assert_int_equal(lt_model_fit(m, LT_TASK_ANOMALY, X, N, 2, NULL, 0, NULL), LT_EUNSUPPORTED);
    // Good fit, then predict with the wrong width and with a NaN.
    assert_ok(lt_model_fit(m, C, X, N, 2, y, 2, NULL));
    assert_int_equal(lt_model_predict(m, X, N / 2, 4, out), LT_EINVAL);
    assert_error_contains("X has 4 columns but the model was fitted on 2");
    assert_ok(lt_model_predict(m, X, 0, 2, out));
    X[0] = NAN;
    assert_int_equal(lt_model_predict_proba(m, X, N, 2, out), LT_EINVAL);
    lt_model_free(m);
}

/* Fit, save into an lt_state, load a new model from name + params JSON +
 * header fields + state: predictions and probabilities are identical. */
static void round_trip(const char *name, const char *params, lt_task task, int nclass)
{
    enum { R = 40 };
    float X[R * 3], y[R], p1[R * 4], p2[R * 4];
    for (int i = 0; i < R; i++) {
        for (int j = 0; j < 3; j++)
            X[i * 3 + j] = sinf(0.7f * (float)i + 1.3f * (float)j);
        y[i] = task == LT_TASK_REGRESSION ? X[i * 3] * 2 - X[i * 3 + 2] : (float)(i % nclass);
    }
    lt_model *m, *m2;
    assert_ok(lt_model_new(name, &m));
    assert_ok(lt_model_set_params_json(m, params));
    assert_ok(lt_model_fit(m, task, X, R, 3, y, nclass, NULL));
    lt_state *st = lt_state_new();
    assert_ok(lt_model_save(m, st));
    char *js = lt_model_params_json(m);
    assert_ok(lt_model_load(name, js, task, 3, nclass, st, &m2));
    assert_true(m2->fitted);
    assert_ok(lt_model_predict(m, X, R, 3, p1));
    assert_ok(lt_model_predict(m2, X, R, 3, p2));
    assert_memory_equal(p1, p2, sizeof(float) * R);
    if (task == LT_TASK_CLASSIFICATION) {
        assert_ok(lt_model_predict_proba(m, X, R, 3, p1));
        assert_ok(lt_model_predict_proba(m2, X, R, 3, p2));
        assert_memory_equal(p1, p2, sizeof(float) * R * (size_t)nclass);
    }
    char *js2 = lt_model_params_json(m2);
    assert_string_equal(js, js2);
    // A state for another shape is refused with a clear error.
    lt_model *m3 = (lt_model *)1;
    assert_int_equal(lt_model_load(name, js, task, 5, nclass, st, &m3), LT_ECORRUPT);
    assert_null(m3);
    assert_error_contains("coef");
    free(js);
    free(js2);
    lt_state_free(st);
    lt_model_free(m);
    lt_model_free(m2);
}

static void test_save_load_round_trip(void **st)
{
    (void)st;
    round_trip("linreg", "{\"alpha\":0.5}", LT_TASK_REGRESSION, 0);
    round_trip("linreg", "{\"solver\":\"gd\"}", LT_TASK_REGRESSION, 0);
    round_trip("logreg", "{\"C\":2}", LT_TASK_CLASSIFICATION, 2);
    round_trip("logreg", "{\"solver\":\"newton\"}", LT_TASK_CLASSIFICATION, 4);
}

static void test_load_errors(void **st)
{
    (void)st;
    lt_state *s = lt_state_new();
    lt_model *m = NULL;
    assert_int_equal(lt_model_load("logreg", "{}", LT_TASK_CLASSIFICATION, 3, 2, s, &m),
                     LT_ECORRUPT);
    assert_error_contains("'coef' is missing");
    assert_int_equal(lt_model_load("logreg", "{}", LT_TASK_REGRESSION, 3, 0, s, &m),
                     LT_EUNSUPPORTED);
    assert_int_equal(lt_model_load("logreg", "{\"C\":-1}", LT_TASK_CLASSIFICATION, 3, 2, s, &m),
                     LT_EINVAL);
    assert_int_equal(lt_model_load("nope", "{}", LT_TASK_CLASSIFICATION, 3, 2, s, &m),
                     LT_ENOTFOUND);
    assert_null(m);
    lt_model *u;
    assert_ok(lt_model_new("linreg", &u));
    assert_int_equal(lt_model_save(u, s), LT_ESTATE);
    lt_model_free(u);
    lt_state_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_defaults_and_json),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
