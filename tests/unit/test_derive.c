/* Derived columns: the expression language (precedence, functions, missing
 * values, every error with its position), canonical text round trips, and
 * pipelines that compute derived features when fitting, predicting from a
 * raw table, after a save/load, and behind the HTTP server. */
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

/* Value of `expr` on one row with a and b. */
static double ev(const char *expr, double a, double b)
{
    char def[512];
    snprintf(def, sizeof def, "y = %s", expr);
    lt_derive *d = NULL;
    int rc = lt_derive_parse(def, &d);
    if (rc)
        fail_msg("'%s' does not parse: %s", def, lt_last_error());
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "a", &a, 1));
    assert_ok(lt_table_add_num(t, "b", &b, 1));
    double y = -12345;
    assert_ok(lt_derive_eval(d, t, &y));
    lt_table_free(t);
    lt_derive_free(d);
    return y;
}

#define assert_ev(expr, a, b, want) \
    assert_near(ev(expr, a, b), want, 1e-12 * (1 + fabs((double)(want))))
#define assert_ev_nan(expr, a, b)                                                  \
    do {                                                                           \
        double y_ = ev(expr, a, b);                                                \
        if (!isnan(y_))                                                            \
            fail_msg("%s with a=%g b=%g = %g, expected NaN", expr, a, b, y_);      \
    } while (0)

static void test_precedence(void **unused)
{
    (void)unused;
    assert_ev("1 + 2 * 3", 0, 0, 7);
    assert_ev("(1 + 2) * 3", 0, 0, 9);
    assert_ev("2 ^ 3 ^ 2", 0, 0, 512);   /* right-associative */
    assert_ev("(2 ^ 3) ^ 2", 0, 0, 64);
    assert_ev("-2 ^ 2", 0, 0, -4);       /* ^ binds tighter than unary minus, as in Python */
    assert_ev("(-2) ^ 2", 0, 0, 4);
    assert_ev("2 ^ -1", 0, 0, 0.5);
    assert_ev("-a ^ 2", 3, 0, -9);
    assert_ev("10 - 4 - 3", 0, 0, 3);    /* left-associative */
    assert_ev("100 / 10 / 5", 0, 0, 2);
    assert_ev("2 * 3 ^ 2", 0, 0, 18);
    assert_ev("- - a", 5, 0, 5);
    assert_ev("+a", 5, 0, 5);
    assert_ev("a - -b", 5, 2, 7);
    assert_ev("1e-3 * 1000", 0, 0, 1);
    assert_ev(".5 + 2.", 0, 0, 2.5);
    assert_ev("1.5E+2", 0, 0, 150);
    assert_ev("pi", 0, 0, M_PI);
    assert_ev("e", 0, 0, M_E);
    assert_ev("2*pi/60", 0, 0, 2 * M_PI / 60);
    /* comparisons: lowest precedence, 1/0 */
    assert_ev("1 + 1 == 2", 0, 0, 1);
    assert_ev("a < b", 1, 2, 1);
    assert_ev("a < b", 2, 2, 0);
    assert_ev("a <= b", 2, 2, 1);
    assert_ev("a > b", 3, 2, 1);
    assert_ev("a >= b", 1, 2, 0);
    assert_ev("a == b", 2, 2, 1);
    assert_ev("a != b", 2, 2, 0);
    assert_ev("(a < b) + (a > b)", 1, 2, 1);
    assert_ev("(a < b) == 1", 1, 2, 1);
    /* spaces are optional */
    assert_ev("a*b+1", 3, 4, 13);
}

static void test_functions(void **unused)
{
    (void)unused;
    assert_ev("abs(a)", -3, 0, 3);
    assert_ev("sqrt(16)", 0, 0, 4);
    assert_ev("log(e)", 0, 0, 1);
    assert_ev("exp(0)", 0, 0, 1);
    assert_ev("exp(log(a))", 7, 0, 7);
    assert_ev("min(a, b)", 3, -2, -2);
    assert_ev("max(a, b)", 3, -2, 3);
    assert_ev("where(a > b, a, b)", 1, 5, 5);
    assert_ev("where(a > b, a, b)", 6, 5, 6);
    assert_ev("where(a, 10, 20)", 0, 0, 20);
    assert_ev("where(a, 10, 20)", -0.5, 0, 10);
    assert_ev("max(min(a, 10), 0) * 2", 42, 0, 20);
    assert_ev("sqrt (a)", 9, 0, 3);  /* space before '(' */
}

static void test_missing_and_invalid(void **unused)
{
    (void)unused;
    double nan = NAN;
    assert_ev_nan("a + 1", nan, 0);
    assert_ev_nan("a * 0", nan, 0);
    assert_ev_nan("a ^ 0", nan, 0);      /* pow(NaN, 0) is 1 in C */
    assert_ev_nan("1 ^ a", nan, 0);      /* pow(1, NaN) is 1 in C */
    assert_ev_nan("a < 1", nan, 0);
    assert_ev_nan("a == a", nan, 0);
    assert_ev_nan("a != 1", nan, 0);
    assert_ev_nan("min(a, 1)", nan, 0);
    assert_ev_nan("max(1, a)", nan, 0);
    assert_ev_nan("where(a, 1, 2)", nan, 0);
    assert_ev_nan("abs(a)", nan, 0);
    assert_ev("where(b, 5, a)", nan, 1, 5);  /* the branch not taken may be missing */
    assert_ev_nan("where(b, 5, a)", nan, 0);
    /* invalid operations give NaN, never inf */
    assert_ev_nan("a / 0", 1, 0);
    assert_ev_nan("a / b", 0, 0);
    assert_ev_nan("a / b", -1, 0);
    assert_ev_nan("log(a)", -1, 0);
    assert_ev_nan("log(a)", 0, 0);
    assert_ev_nan("sqrt(a)", -1, 0);
    assert_ev_nan("exp(a)", 1000, 0);
    assert_ev_nan("a ^ 0.5", -4, 0);
    assert_ev_nan("0 ^ -1", 0, 0);
    assert_ev_nan("a * a", 1e200, 0);
    assert_ev_nan("1 / (a / 0 + 1)", 1, 0);
}

/* Error text is "'DEF': POS: message" with the 1-based character position. */
static void expect_syntax(const char *def, const char *where_what)
{
    lt_derive *d = (lt_derive *)1;
    int rc = lt_derive_parse(def, &d);
    if (rc != LT_EINVAL)
        fail_msg("'%s' parsed (rc %d), expected an error '%s'", def, rc, where_what);
    assert_null(d);
    char want[512];
    snprintf(want, sizeof want, "'%s': %s", def, where_what);
    if (!strstr(lt_last_error(), want))
        fail_msg("error for '%s' is '%s', expected it to contain '%s'", def, lt_last_error(),
                 want);
}

static void test_syntax_errors(void **unused)
{
    (void)unused;
    lt_derive *d = NULL;
    expect_syntax("power = a * (b", "15: expected ')'");
    expect_syntax("power = (a * b", "15: expected ')'");
    expect_syntax("power a", "7: expected '='");
    expect_syntax("= a", "1: expected the new column's name");
    expect_syntax("2x = a", "1: expected the new column's name");
    expect_syntax("x = a +", "8: expected a number, a column, a function or '(', got the end");
    expect_syntax("x =", "4: expected a number");
    expect_syntax("x = a * * b", "9: expected a number");
    expect_syntax("x = a $ b", "7: unexpected character '$'");
    expect_syntax("x = `a", "5: unterminated `name`");
    expect_syntax("x = ``", "5: empty column name");
    expect_syntax("x = foo(a)", "5: unknown function 'foo'");
    expect_syntax("x = min(a)", "10: expected ','");
    expect_syntax("x = abs(a, b)", "10: expected ')': abs() takes 1 argument");
    expect_syntax("x = where(a, b)", "15: expected ','");
    expect_syntax("x = a < b < c", "11: comparisons do not chain");
    expect_syntax("x = a = b", "7: expected an operator or the end (use == to compare)");
    expect_syntax("x = a b", "7: expected an operator or the end");
    expect_syntax("x = (a))", "8: unmatched ')'");
    expect_syntax("x = 1e", "7: expected the digits of an exponent");
    expect_syntax("x = 1e999", "5: number '1e999' is out of range");
    expect_syntax("x = a ! b", "7: unexpected character '!'");
    expect_syntax("x = ()", "6: expected a number");
    /* positions count characters, not bytes: ° is two bytes */
    expect_syntax("x = `T \xC2\xB0" "C` + $", "14: unexpected character '$'");
    expect_syntax("x = \xC2\xB0", "5: unexpected character (column names with such characters");
    /* surrounding spaces are trimmed first */
    assert_int_equal(lt_derive_parse("  x = a +  ", &d), LT_EINVAL);
    assert_error_contains("'x = a +': 8: expected a number");
    /* deep nesting is refused, not a stack overflow */
    char deep[2100] = "x = ";
    for (int i = 0; i < 1000; i++)
        strcat(deep, "(");
    assert_int_equal(lt_derive_parse(deep, &d), LT_EINVAL);
    assert_error_contains("nested too deeply");
    char neg[2100] = "x = ";
    for (int i = 0; i < 1000; i++)
        strcat(neg, "-");
    strcat(neg, "1");
    assert_int_equal(lt_derive_parse(neg, &d), LT_EINVAL);
    assert_error_contains("nested too deeply");
}

static void test_names_and_refs(void **unused)
{
    (void)unused;
    lt_derive *d = NULL;
    assert_ok(lt_derive_parse("`power [W]` = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60 "
                              "+ 0 * `Torque [Nm]` + x_1",
                              &d));
    assert_string_equal(lt_derive_name(d), "power [W]");
    assert_int_equal(lt_derive_nrefs(d), 3);
    assert_string_equal(lt_derive_ref(d, 0), "Torque [Nm]");
    assert_string_equal(lt_derive_ref(d, 1), "Rotational speed [rpm]");
    assert_string_equal(lt_derive_ref(d, 2), "x_1");
    assert_null(lt_derive_ref(d, 3));
    lt_derive_free(d);
    /* `` inside backticks is one backtick; a column named like a constant */
    assert_ok(lt_derive_parse("y = `a``b` + `pi` + pi", &d));
    assert_string_equal(lt_derive_ref(d, 0), "a`b");
    assert_string_equal(lt_derive_ref(d, 1), "pi");
    assert_int_equal(lt_derive_nrefs(d), 2);
    assert_string_equal(lt_derive_text(d), "y = `a``b` + `pi` + pi");
    lt_derive_free(d);
    /* a bare function name not followed by '(' is a column */
    assert_ok(lt_derive_parse("y = abs * 2", &d));
    assert_string_equal(lt_derive_ref(d, 0), "abs");
    assert_string_equal(lt_derive_text(d), "y = `abs` * 2");
    lt_derive_free(d);
    lt_derive_free(NULL);
    lt_derive_list_free(NULL, 0);
}

/* Canonical text: minimal parentheses, and it parses back to the same text
 * and the same values. */
static void test_round_trip(void **unused)
{
    (void)unused;
    static const char *const cases[][2] = {
        {"y=(a+b)*c", "y = (a + b) * c"},
        {"y = a - (b - c)", "y = a - (b - c)"},
        {"y = (a - b) - c", "y = a - b - c"},
        {"y = a / (b * c)", "y = a / (b * c)"},
        {"y = (a * b) / c", "y = a * b / c"},
        {"y = (2^3)^2", "y = (2 ^ 3) ^ 2"},
        {"y = 2^(3^2)", "y = 2 ^ 3 ^ 2"},
        {"y = (-2)^2", "y = (-2) ^ 2"},
        {"y = -(2^2)", "y = -2 ^ 2"},
        {"y = 2^(-a)", "y = 2 ^ -a"},
        {"y = -(a + b)", "y = -(a + b)"},
        {"y = -(a * b)", "y = -(a * b)"},
        {"y = (a < b) == (b < c)", "y = (a < b) == (b < c)"},
        {"y = (a + 1) < b", "y = a + 1 < b"},
        {"y = 1e-3 * a", "y = 0.001 * a"},
        {"y = 0.1 + 2.50", "y = 0.1 + 2.5"},
        {"y = where(a>=b, max(a,c), min( b , c ))", "y = where(a >= b, max(a, c), min(b, c))"},
        {"y = (a)", "y = a"},
        {"y = a ^ b ^ -c * 2", "y = a ^ b ^ -c * 2"},
        {"`z z` = `Torque [Nm]` * `a`", "`z z` = `Torque [Nm]` * a"},
        {"y = abs(-a) + sqrt(log(exp(b)))", "y = abs(-a) + sqrt(log(exp(b)))"},
        {"y = a != -b", "y = a != -b"},
        {"y = (a + b) ^ 2", "y = (a + b) ^ 2"},
        {"y = (a ^ 2) * 3", "y = a ^ 2 * 3"},
        {"y = pi * e", "y = pi * e"},
    };
    enum { N = 700 };  /* more rows than one evaluation block */
    double av[N], bv[N], cv[N];
    for (int i = 0; i < N; i++) {
        av[i] = (i % 13) - 6 + 0.25 * (i % 3);
        bv[i] = (i % 7) * 0.5 - 1;
        cv[i] = i % 50 == 0 ? NAN : (i % 11) + 1;
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "a", av, N));
    assert_ok(lt_table_add_num(t, "b", bv, N));
    assert_ok(lt_table_add_num(t, "c", cv, N));
    assert_ok(lt_table_add_num(t, "Torque [Nm]", cv, N));
    double *y1 = malloc(sizeof(double) * N), *y2 = malloc(sizeof(double) * N);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lt_derive *d1 = NULL, *d2 = NULL;
        assert_ok(lt_derive_parse(cases[k][0], &d1));
        if (strcmp(lt_derive_text(d1), cases[k][1]))
            fail_msg("'%s' -> '%s', expected '%s'", cases[k][0], lt_derive_text(d1), cases[k][1]);
        assert_ok(lt_derive_parse(lt_derive_text(d1), &d2));
        assert_string_equal(lt_derive_text(d2), lt_derive_text(d1));
        assert_ok(lt_derive_eval(d1, t, y1));
        assert_ok(lt_derive_eval(d2, t, y2));
        for (int i = 0; i < N; i++)
            if (!(y1[i] == y2[i] || (isnan(y1[i]) && isnan(y2[i]))))
                fail_msg("'%s' row %d: %g vs %g after the round trip", cases[k][0], i, y1[i],
                         y2[i]);
        lt_derive_free(d1);
        lt_derive_free(d2);
    }
    /* block boundaries: every row computed, NaN rows stay missing */
    lt_derive *d = NULL;
    assert_ok(lt_derive_parse("y = a * c + b", &d));
    assert_ok(lt_derive_eval(d, t, y1));
    for (int i = 0; i < N; i++) {
        if (isnan(cv[i]))
            assert_true(isnan(y1[i]));
        else
            assert_true(y1[i] == av[i] * cv[i] + bv[i]);
    }
    lt_derive_free(d);
    free(y1);
    free(y2);
    lt_table_free(t);
}

static void test_list_and_check(void **unused)
{
    (void)unused;
    double a[4] = {1, 2, 3, 4}, b[4] = {10, 20, NAN, 40};
    const char *kind[4] = {"L", "M", "L", "H"};
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "a", a, 4));
    assert_ok(lt_table_add_num(t, "b [x]", b, 4));
    assert_ok(lt_table_add_cat(t, "Type", kind, 4));

    /* ';' separates definitions, except inside backticks; later ones read earlier ones */
    const char *texts[] = {"s = a + `b [x]`; d = s * 2 ;", " `q;r` = d - a", ""};
    lt_derive **list = NULL;
    int n = 0;
    assert_ok(lt_derive_parse_list(texts, 3, &list, &n));
    assert_int_equal(n, 3);
    assert_string_equal(lt_derive_name(list[2]), "q;r");
    assert_ok(lt_derive_check((const lt_derive *const *)list, n, t));
    assert_ok(lt_derive_apply((const lt_derive *const *)list, n, t));
    assert_int_equal(lt_table_ncols(t), 6);
    int j = lt_table_col_index(t, "q;r");
    assert_true(j >= 0);
    assert_true(lt_table_col_type(t, j) == LT_COL_NUM);
    const double *q = lt_table_num(t, j);
    assert_near(q[0], 2 * 11 - 1, 0);
    assert_near(q[3], 2 * 44 - 4, 0);
    assert_true(isnan(q[2]));  /* missing input -> missing */
    /* applying again: the names now clash with columns of the table */
    assert_int_equal(lt_derive_apply((const lt_derive *const *)list, n, t), LT_EINVAL);
    assert_error_contains("'s = a + `b [x]`': the data already has a column 's'");
    lt_derive_list_free(list, n);

    /* defined twice */
    const char *twice[] = {"s = a; s = a * 2"};
    assert_int_equal(lt_derive_parse_list(twice, 1, &list, &n), LT_EINVAL);
    assert_error_contains("'s = a * 2': column 's' is defined twice");
    assert_null(list);
    /* a syntax error in the second piece names that piece */
    const char *bad[] = {"s = a; t = (a"};
    assert_int_equal(lt_derive_parse_list(bad, 1, &list, &n), LT_EINVAL);
    assert_error_contains("'t = (a': 7: expected ')'");

    lt_table *t2 = lt_table_new();
    assert_ok(lt_table_add_num(t2, "a", a, 4));
    assert_ok(lt_table_add_cat(t2, "Type", kind, 4));
    struct { const char *text, *msg; int rc; } cases[] = {
        {"u = a * torque", "'u = a * torque': unknown column 'torque': no column 'torque' "
                           "(columns: a, Type)", LT_ENOTFOUND},
        {"u = a * Type", "'u = a * Type': column 'Type' is categorical", LT_ETYPE},
        {"a = 2", "'a = 2': the data already has a column 'a'", LT_EINVAL},
        {"u = u + 1", "'u = u + 1': column 'u' uses itself", LT_EINVAL},
        {"u = v; v = a", "'u = v': column 'v' is defined later", LT_EINVAL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_ok(lt_derive_parse_list(&cases[k].text, 1, &list, &n));
        assert_int_equal(lt_derive_check((const lt_derive *const *)list, n, t2), cases[k].rc);
        assert_error_contains(cases[k].msg);
        lt_derive_list_free(list, n);
    }
    /* eval names the derived column and the missing one */
    lt_derive *d = NULL;
    assert_ok(lt_derive_parse("u = zz + 1", &d));
    double out[4];
    assert_int_equal(lt_derive_eval(d, t2, out), LT_ENOTFOUND);
    assert_error_contains("derived column 'u' needs column 'zz'");
    lt_derive_free(d);
    lt_table_free(t);
    lt_table_free(t2);
}

/* ---- pipelines ------------------------------------------------------------- */

enum { PN = 400 };

/* Raw machine data; the failure depends on power = torque * speed and on
 * the temperature difference, which trees find far more easily when given. */
static lt_table *raw_table(int with_derived)
{
    double torque[PN], speed[PN], tair[PN], tproc[PN], power[PN], dt[PN];
    const char *kind[PN], *fail[PN];
    lt_rng r;
    lt_rng_seed(&r, 7);
    for (int i = 0; i < PN; i++) {
        torque[i] = 20 + 40 * lt_rng_uniform(&r);
        speed[i] = 1200 + 1500 * lt_rng_uniform(&r);
        tair[i] = 295 + 10 * lt_rng_uniform(&r);
        tproc[i] = tair[i] + 8 + 4 * lt_rng_uniform(&r);
        if (i % 37 == 5)
            torque[i] = NAN;  /* a missing sensor value */
        power[i] = torque[i] * speed[i] * 2 * M_PI / 60;
        dt[i] = tproc[i] - tair[i];
        kind[i] = i % 3 ? "L" : "M";
        fail[i] = (power[i] > 6500 || dt[i] < 8.6) ? "yes" : "no";
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "Torque [Nm]", torque, PN));
    assert_ok(lt_table_add_num(t, "Rotational speed [rpm]", speed, PN));
    assert_ok(lt_table_add_num(t, "Air temperature [K]", tair, PN));
    assert_ok(lt_table_add_num(t, "Process temperature [K]", tproc, PN));
    assert_ok(lt_table_add_cat(t, "Type", kind, PN));
    assert_ok(lt_table_add_cat(t, "failure", fail, PN));
    if (with_derived) {
        /* computed here by hand, as a user would without --derive */
        assert_ok(lt_table_add_num(t, "power", power, PN));
        assert_ok(lt_table_add_num(t, "temp_diff", dt, PN));
    }
    return t;
}

static const char *const DEFS[] = {
    "power = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60",
    "temp_diff = `Process temperature [K]` - `Air temperature [K]`; hot = temp_diff > 10",
};

static void test_pipeline_roundtrip(void **unused)
{
    (void)unused;
    static const char *const models[] = {"gbdt", "logreg"};
    for (int mi = 0; mi < 2; mi++) {
        lt_table *raw = raw_table(0), *pre = raw_table(1);
        /* "hot" is derived and then dropped: computed, never a feature. The raw
         * speed column is dropped as a feature but still read by "power". */
        const char *drop[] = {"hot", "Rotational speed [rpm]"};
        lt_pipeline_spec spec = lt_pipeline_spec_default();
        spec.model = models[mi];
        spec.target = "failure";
        spec.derive = DEFS;
        spec.nderive = 2;
        spec.drop = drop;
        spec.ndrop = 2;
        lt_pipeline *p = NULL, *q = NULL, *loaded = NULL;
        assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
        assert_int_equal(lt_pipeline_nderive(p), 3);
        assert_string_equal(lt_pipeline_derive_text(p, 0),
                            "power = `Torque [Nm]` * `Rotational speed [rpm]` * 2 * pi / 60");
        assert_string_equal(lt_pipeline_derive_text(p, 2), "hot = temp_diff > 10");
        assert_null(lt_pipeline_derive_text(p, 3));
        /* raw schema: no derived names, the dropped speed column still required */
        int nin = lt_pipeline_nin(p), has_speed = 0;
        assert_int_equal(nin, 5);
        for (int j = 0; j < nin; j++) {
            const char *nm = lt_pipeline_in_name(p, j);
            assert_true(strcmp(nm, "power") && strcmp(nm, "temp_diff") && strcmp(nm, "hot"));
            has_speed |= !strcmp(nm, "Rotational speed [rpm]");
        }
        assert_true(has_speed);
        /* the transforms see the derived features under their names */
        const lt_prep *prep = lt_pipeline_prep(p);
        int found = 0;
        for (int j = 0; j < lt_prep_nin(prep); j++) {
            found += !strcmp(lt_prep_in_name(prep, j), "power");
            found += !strcmp(lt_prep_in_name(prep, j), "temp_diff");
            assert_string_not_equal(lt_prep_in_name(prep, j), "hot");
            assert_string_not_equal(lt_prep_in_name(prep, j), "Rotational speed [rpm]");
        }
        assert_int_equal(found, 2);

        /* the same model fitted on hand-computed columns */
        lt_pipeline_spec s2 = spec;
        s2.derive = NULL;
        s2.nderive = 0;
        s2.drop = drop + 1;
        s2.ndrop = 1;
        assert_ok(lt_pipeline_fit(pre, NULL, 0, &s2, &q));

        char path[700];
        snprintf(path, sizeof path, "%s/derive_%s.lt", test_tmp_dir(), models[mi]);
        assert_ok(lt_pipeline_save(p, path));
        assert_ok(lt_pipeline_load(path, &loaded));
        assert_int_equal(lt_pipeline_nderive(loaded), 3);
        assert_int_equal(lt_pipeline_nin(loaded), 5);
        for (int i = 0; i < 3; i++)
            assert_string_equal(lt_pipeline_derive_text(loaded, i), lt_pipeline_derive_text(p, i));

        float pr[PN], pl[PN], pq[PN], prob_r[2 * PN], prob_l[2 * PN], prob_q[2 * PN];
        assert_ok(lt_pipeline_predict(p, raw, pr, prob_r));
        assert_ok(lt_pipeline_predict(loaded, raw, pl, prob_l));
        assert_ok(lt_pipeline_predict(q, pre, pq, prob_q));
        for (int i = 0; i < PN; i++) {
            assert_true(pr[i] == pl[i]);
            assert_true(pr[i] == pq[i]);
            assert_true(prob_r[2 * i + 1] == prob_l[2 * i + 1]);
            assert_true(prob_r[2 * i + 1] == prob_q[2 * i + 1]);
        }
        /* a stale column named like a derived one is ignored: the model computes its own */
        float ps[PN];
        assert_ok(lt_pipeline_predict(loaded, pre, ps, NULL));
        for (int i = 0; i < PN; i++)
            assert_true(ps[i] == pl[i]);
        /* derived features help: the tree model learns the physics rule */
        lt_eval e1, e2;
        int64_t rows[100];
        for (int i = 0; i < 100; i++)
            rows[i] = 3 * i + 1;
        assert_ok(lt_pipeline_evaluate(loaded, raw, rows, 100, &e1));
        assert_ok(lt_pipeline_evaluate(q, pre, rows, 100, &e2));
        assert_int_equal(e1.n, 100);
        assert_true(e1.cls.accuracy == e2.cls.accuracy);
        if (mi == 0)
            assert_true(e1.cls.accuracy > 0.9);

        /* only the raw columns, in another order, extra columns welcome */
        const char *cols[] = {"Type", "Air temperature [K]", "Process temperature [K]",
                              "Rotational speed [rpm]", "Torque [Nm]"};
        lt_table *only = lt_table_select(raw, cols, 5);
        assert_non_null(only);
        float po[PN];
        assert_ok(lt_pipeline_predict(loaded, only, po, NULL));
        for (int i = 0; i < PN; i++)
            assert_true(po[i] == pl[i]);
        lt_table_free(only);
        /* a raw column the derived ones need is missing */
        const char *cols4[] = {"Type", "Air temperature [K]", "Process temperature [K]",
                               "Torque [Nm]"};
        lt_table *lack = lt_table_select(raw, cols4, 4);
        assert_int_equal(lt_pipeline_predict(loaded, lack, po, NULL), LT_ENOTFOUND);
        assert_error_contains("column 'Rotational speed [rpm]' is missing from the data (the "
                              "model computes derived columns from it)");
        lt_table_free(lack);

        lt_pipeline_free(p);
        lt_pipeline_free(q);
        lt_pipeline_free(loaded);
        lt_table_free(raw);
        lt_table_free(pre);
    }
}

static void test_pipeline_errors(void **unused)
{
    (void)unused;
    lt_table *raw = raw_table(0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "failure";
    lt_pipeline *p = NULL;
    struct { const char *def, *msg; int rc; } cases[] = {
        {"power = a * (b", "--derive 'power = a * (b': 15: expected ')'", LT_EINVAL},
        {"power = `Torque [N]` * 2", "--derive 'power = `Torque [N]` * 2': unknown column "
                                     "'Torque [N]': no column 'Torque [N]'", LT_ENOTFOUND},
        {"k = Type * 2", "column 'Type' is categorical", LT_ETYPE},
        {"Type = 1", "the data already has a column 'Type'", LT_EINVAL},
        {"leak = failure", "reads the target 'failure'", LT_EINVAL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        spec.derive = &cases[k].def;
        spec.nderive = 1;
        assert_int_equal(lt_pipeline_fit(raw, NULL, 0, &spec, &p), cases[k].rc);
        assert_error_contains(cases[k].msg);
        assert_null(p);
    }
    const char *ok = "x2 = `Torque [Nm]` * 2";
    spec.derive = &ok;
    spec.target = "x2";
    assert_int_equal(lt_pipeline_fit(raw, NULL, 0, &spec, &p), LT_EINVAL);
    assert_error_contains("target 'x2' is a derived column");
    spec.target = "failure";
    const char *drop[] = {"nope"};
    spec.drop = drop;
    spec.ndrop = 1;
    assert_int_equal(lt_pipeline_fit(raw, NULL, 0, &spec, &p), LT_ENOTFOUND);
    assert_error_contains("--drop: no column 'nope'");
    /* empty definitions are nothing */
    const char *empty = " ; ";
    spec.derive = &empty;
    spec.ndrop = 0;
    assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
    assert_int_equal(lt_pipeline_nderive(p), 0);
    lt_pipeline_free(p);
    lt_table_free(raw);
}

/* Model files: definitions in the metadata; none in older files; a corrupt
 * one is a load error that says where. */
static void test_pipeline_metadata(void **unused)
{
    (void)unused;
    lt_table *raw = raw_table(0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "failure";
    lt_pipeline *p = NULL, *back = NULL;
    assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
    lt_state *st = lt_state_new();
    char *meta = NULL;
    assert_ok(lt_pipeline_to_state(p, st, &meta));
    assert_null(strstr(meta, "\"derive\""));  /* as before derived columns existed */
    assert_ok(lt_pipeline_from_state(st, meta, &back));
    assert_int_equal(lt_pipeline_nderive(back), 0);
    assert_int_equal(lt_pipeline_nin(back), lt_prep_nin(lt_pipeline_prep(back)));
    lt_pipeline_free(back);
    lt_pipeline_free(p);
    lt_state_free(st);
    free(meta);

    const char *defs[] = {"power = `Torque [Nm]` * `Rotational speed [rpm]`"};
    spec.derive = defs;
    spec.nderive = 1;
    assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
    st = lt_state_new();
    assert_ok(lt_pipeline_to_state(p, st, &meta));
    const char *at = strstr(meta, "\"derive\":[\"power = `Torque [Nm]` * `Rotational speed [rpm]`\"]");
    assert_non_null(at);
    /* break the expression: "* `Rot..." -> "* (Rot..." */
    char *bad = strdup(meta);
    char *star = strstr(bad, "* `Rotational");
    star[2] = '(';
    assert_int_equal(lt_pipeline_from_state(st, bad, &back), LT_ECORRUPT);
    assert_error_contains("model metadata: derive[0]: 'power = `Torque [Nm]` * (Rotational");
    assert_null(back);
    free(bad);
    /* not an array */
    bad = strdup(meta);
    char *arr = strstr(bad, "\"derive\":[") + 9;
    arr[0] = '7';
    char *close = strstr(arr, "\"]") + 1;
    memset(arr + 1, ' ', (size_t)(close - arr));
    assert_int_equal(lt_pipeline_from_state(st, bad, &back), LT_ECORRUPT);
    assert_error_contains("'derive' is not an array");
    free(bad);
    lt_pipeline_free(p);
    lt_state_free(st);
    free(meta);
    lt_table_free(raw);
}

/* Permutation importance and TreeSHAP name derived features. */
static void test_explain(void **unused)
{
    (void)unused;
    lt_table *raw = raw_table(0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = "gbdt";
    spec.target = "failure";
    spec.derive = DEFS;
    spec.nderive = 1;
    lt_pipeline *p = NULL;
    assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
    lt_importance imp;
    lt_perm_params pp = lt_perm_params_default();
    pp.n_repeats = 2;
    assert_ok(lt_explain_permutation(p, raw, &pp, &imp));
    int k = -1;
    for (int j = 0; j < imp.n; j++)
        if (!strcmp(imp.names[j], "power"))
            k = j;
    assert_true(k >= 0);
    assert_true(imp.mean[k] > 0.01);  /* shuffling power hurts: it is permuted itself */
    lt_importance_free(&imp);
    for (int method = LT_CONTRIB_TREESHAP; method <= LT_CONTRIB_OCCLUSION; method++) {
        lt_row_params rp = lt_row_params_default();
        rp.method = method;
        lt_contrib c;
        assert_ok(lt_explain_row(p, raw, 0, &rp, &c));
        int has = 0;
        for (int j = 0; j < c.n; j++)
            if (!strcmp(c.names[j], "power")) {
                has = 1;
                char want[64];
                snprintf(want, sizeof want, "%.6g",
                         lt_table_num(raw, 0)[0] * lt_table_num(raw, 1)[0] * 2 * M_PI / 60);
                assert_string_equal(c.values[j], want);
            }
        assert_true(has);
        lt_contrib_free(&c);
    }
    lt_pipeline_free(p);
    lt_table_free(raw);
}

/* ---- the server takes rows with the raw columns only ------------------------ */

static int post(int port, const char *path, const char *method, const char *body, char **out)
{
    *out = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char hdr[512];
    size_t blen = body ? strlen(body) : 0;
    int hl = snprintf(hdr, sizeof hdr,
                      "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, blen);
    (void)!send(fd, hdr, (size_t)hl, MSG_NOSIGNAL);
    if (blen)
        (void)!send(fd, body, blen, MSG_NOSIGNAL);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fd);
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    char *b = strstr(buf, "\r\n\r\n");
    *out = strdup(b ? b + 4 : "");
    free(buf);
    return status;
}

static void test_serve(void **unused)
{
    (void)unused;
    lt_table *raw = raw_table(0);
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = "gbdt";
    spec.target = "failure";
    spec.derive = DEFS;
    spec.nderive = 2;
    lt_pipeline *p = NULL;
    assert_ok(lt_pipeline_fit(raw, NULL, 0, &spec, &p));
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/srv_derive", test_tmp_dir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/phys.lt", dir);
    assert_ok(lt_pipeline_save(p, path));
    /* the expected answers for two rows */
    const char *cols[] = {"Torque [Nm]", "Rotational speed [rpm]", "Air temperature [K]",
                          "Process temperature [K]", "Type"};
    double v0[] = {58, 2600, 300, 309}, v1[] = {25, 1300, 300, 311};
    lt_table *two = lt_table_new();
    for (int j = 0; j < 4; j++) {
        double v[2] = {v0[j], v1[j]};
        assert_ok(lt_table_add_num(two, cols[j], v, 2));
    }
    const char *kinds[2] = {"L", "M"};
    assert_ok(lt_table_add_cat(two, "Type", kinds, 2));
    float want[2];
    assert_ok(lt_pipeline_predict(p, two, want, NULL));
    assert_true(want[0] != want[1]);  /* high power fails, the other does not */
    lt_table_free(two);

    lt_server_options o = lt_server_options_default();
    o.port = 0;
    o.models_dir = dir;
    lt_server *s = NULL;
    assert_ok(lt_server_start(&o, &s));
    int port = lt_server_port(s);
    char *out = NULL;
    assert_int_equal(post(port, "/v1/models", "GET", NULL, &out), 200);
    assert_non_null(strstr(out, "\"name\":\"Rotational speed [rpm]\",\"type\":\"numeric\""));
    assert_null(strstr(out, "\"name\":\"power\""));
    assert_non_null(strstr(out, "\"derived\":[\"power = `Torque [Nm]` * "));
    free(out);
    const char *body =
        "{\"rows\":[{\"Torque [Nm]\":58,\"Rotational speed [rpm]\":2600,\"Air temperature [K]\":300,"
        "\"Process temperature [K]\":309,\"Type\":\"L\"},"
        "{\"Torque [Nm]\":25,\"Rotational speed [rpm]\":1300,\"Air temperature [K]\":300,"
        "\"Process temperature [K]\":311,\"Type\":\"M\"}]}";
    assert_int_equal(post(port, "/v1/models/phys/predict", "POST", body, &out), 200);
    char expect_pred[128];
    snprintf(expect_pred, sizeof expect_pred, "\"predictions\":[\"%s\",\"%s\"]",
             lt_pipeline_class_name(p, (int)want[0]), lt_pipeline_class_name(p, (int)want[1]));
    if (!strstr(out, expect_pred))
        fail_msg("predict answered '%s', expected '%s'", out, expect_pred);
    free(out);
    /* a raw column only a derived feature reads is still required */
    const char *lacking = "{\"Torque [Nm]\":58,\"Air temperature [K]\":300,"
                          "\"Process temperature [K]\":309,\"Type\":\"L\"}";
    assert_int_equal(post(port, "/v1/models/phys/predict", "POST", lacking, &out), 400);
    assert_non_null(strstr(out, "missing column 'Rotational speed [rpm]'"));
    free(out);
    lt_server_stop(s);
    lt_pipeline_free(p);
    lt_table_free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_missing_and_invalid),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_names_and_refs),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_list_and_check),
        cmocka_unit_test(test_pipeline_roundtrip),
        cmocka_unit_test(test_pipeline_errors),
        cmocka_unit_test(test_pipeline_metadata),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_serve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
