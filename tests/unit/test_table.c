/* Tables: building columns, lookups, select/drop/take, to_matrix, cell_str,
 * and the errors each of them reports. */
#include "test_util.h"

/* x: 1..4 with a missing value; kind: A B A (missing) */
static lt_table *sample(void)
{
    lt_table *t = lt_table_new();
    double x[4] = {1.5, NAN, 3, -4};
    const char *kind[4] = {"A", "B", "A", NULL};
    double y[4] = {10, 20, 30, 40};
    assert_ok(lt_table_add_num(t, "x", x, 4));
    assert_ok(lt_table_add_cat(t, "kind", kind, 4));
    assert_ok(lt_table_add_num(t, "y", y, 4));
    return t;
}

static void test_build_and_lookup(void **state)
{
    (void)state;
    lt_table *t = sample();
    assert_int_equal(lt_table_nrows(t), 4);
    assert_int_equal(lt_table_ncols(t), 3);
    assert_int_equal(lt_table_col_index(t, "kind"), 1);
    assert_int_equal(lt_table_col_index(t, "nope"), -1);
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    assert_null(lt_table_num(t, 1));
    assert_null(lt_table_cat(t, 0));
    assert_int_equal(lt_table_cat_nlevels(t, 1), 2);
    assert_string_equal(lt_table_cat_level(t, 1, 1), "B");
    assert_null(lt_table_cat_level(t, 1, 2));
    const int32_t *c = lt_table_cat(t, 1);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[2], 0);
    assert_int_equal(c[3], -1);
    assert_int_equal(lt_table_cat_find(t, 1, "B"), 1);
    assert_int_equal(lt_table_cat_find(t, 1, "C"), -1);
    assert_null(lt_table_col_name(t, 3));
    lt_table_free(t);
    lt_table_free(NULL);
}

static void test_add_errors(void **state)
{
    (void)state;
    lt_table *t = sample();
    double v[3] = {1, 2, 3};
    assert_int_equal(lt_table_add_num(t, "z", v, 3), LT_EINVAL);
    assert_error_contains("3 rows; the table has 4");
    double w[4] = {0};
    assert_int_equal(lt_table_add_num(t, "x", w, 4), LT_EINVAL);
    assert_error_contains("duplicate column name 'x'");
    int32_t codes[4] = {0, 1, 5, -1};
    const char *lv[2] = {"p", "q"};
    assert_int_equal(lt_table_add_cat_codes(t, "c", codes, 4, lv, 2), LT_EINVAL);
    assert_error_contains("code 5");
    codes[2] = 1;
    assert_ok(lt_table_add_cat_codes(t, "c", codes, 4, lv, 2));
    assert_string_equal(lt_table_cat_level(t, 3, 1), "q");
    const char *dup[2] = {"p", "p"};
    assert_int_equal(lt_table_add_cat_codes(t, "d", codes, 4, dup, 2), LT_EINVAL);
    assert_error_contains("appears twice");
    lt_table_free(t);
}

static void test_require_lists_columns(void **state)
{
    (void)state;
    lt_table *t = sample();
    assert_int_equal(lt_table_require(t, "y"), 2);
    assert_int_equal(lt_table_require(t, "Torqe"), LT_ENOTFOUND);
    assert_error_contains("no column 'Torqe' (columns: x, kind, y)");
    lt_table_free(t);
}

static void test_select_drop_take(void **state)
{
    (void)state;
    lt_table *t = sample();
    const char *names[] = {"y", "kind"};
    lt_table *s = lt_table_select(t, names, 2);
    assert_non_null(s);
    assert_int_equal(lt_table_ncols(s), 2);
    assert_string_equal(lt_table_col_name(s, 0), "y");
    assert_int_equal(lt_table_cat(s, 1)[1], 1);
    lt_table_free(s);
    const char *bad[] = {"y", "nope"};
    assert_null(lt_table_select(t, bad, 2));
    assert_error_contains("no column 'nope'");
    lt_table *d = lt_table_drop(t, names, 1);
    assert_int_equal(lt_table_ncols(d), 2);
    assert_int_equal(lt_table_col_index(d, "y"), -1);
    lt_table_free(d);
    assert_null(lt_table_drop(t, bad, 2));
    int64_t rows[3] = {3, 0, 0};
    lt_table *k = lt_table_take(t, rows, 3);
    assert_int_equal(lt_table_nrows(k), 3);
    assert_near(lt_table_num(k, 0)[0], -4, 0);
    assert_near(lt_table_num(k, 0)[1], 1.5, 0);
    assert_int_equal(lt_table_cat(k, 1)[0], -1);
    assert_string_equal(lt_table_cat_level(k, 1, 1), "B"); /* levels kept */
    lt_table_free(k);
    int64_t out_of_range[1] = {4};
    assert_null(lt_table_take(t, out_of_range, 1));
    assert_error_contains("outside [0, 4)");
    lt_table_free(t);
}

static void test_to_matrix(void **state)
{
    (void)state;
    lt_table *t = sample();
    int cols[2] = {2, 0};
    float m[8];
    assert_ok(lt_table_to_matrix(t, cols, 2, m));
    assert_near(m[0], 10, 0);
    assert_near(m[1], 1.5, 0);
    assert_near(m[6], 40, 0);
    assert_true(isnan(m[3]));
    int bad[1] = {1};
    assert_int_equal(lt_table_to_matrix(t, bad, 1, m), LT_ETYPE);
    assert_error_contains("'kind' is categorical");
    int oob[1] = {9};
    assert_int_equal(lt_table_to_matrix(t, oob, 1, m), LT_EINVAL);
    lt_table_free(t);
}

static void test_cell_str(void **state)
{
    (void)state;
    lt_table *t = lt_table_new();
    double v[5] = {0.1, 3, NAN, 1.0 / 3.0, -1e300};
    assert_ok(lt_table_add_num(t, "v", v, 5));
    char buf[64];
    assert_string_equal(lt_table_cell_str(t, 0, 0, buf, sizeof buf), "0.1");
    assert_string_equal(lt_table_cell_str(t, 1, 0, buf, sizeof buf), "3");
    assert_string_equal(lt_table_cell_str(t, 2, 0, buf, sizeof buf), "");
    assert_true(strtod(lt_table_cell_str(t, 3, 0, buf, sizeof buf), NULL) == 1.0 / 3.0);
    assert_string_equal(lt_table_cell_str(t, 4, 0, buf, sizeof buf), "-1e+300");
    assert_string_equal(lt_table_cell_str(t, 9, 0, buf, sizeof buf), "");
    char tiny[3];
    assert_string_equal(lt_table_cell_str(t, 3, 0, tiny, sizeof tiny), "0.");
    lt_table_free(t);
}

/* Codes for grouping/stratifying and ordering keys for time splits. */
static void test_codes_and_order(void **state)
{
    (void)state;
    lt_table *t = lt_table_new();
    double v[5] = {3.5, 1, NAN, 3.5, -2};
    const char *s[5] = {"2026-03-01", "2025-12-31", NULL, "2026-01-15", "2026-03-01"};
    assert_ok(lt_table_add_num(t, "v", v, 5));
    assert_ok(lt_table_add_cat(t, "ts", s, 5));
    int64_t c[5], rows[2] = {4, 0};
    assert_ok(lt_table_col_codes(t, 0, NULL, 5, c));
    assert_int_equal(c[0], 2); /* -2 < 1 < 3.5 */
    assert_int_equal(c[1], 1);
    assert_int_equal(c[2], 3); /* missing: one code after the others */
    assert_int_equal(c[3], 2);
    assert_int_equal(c[4], 0);
    assert_ok(lt_table_col_codes(t, 0, rows, 2, c));
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 1);
    double key[5];
    assert_ok(lt_table_col_order(t, 1, key)); /* text dates order as strings */
    assert_true(key[1] < key[3] && key[3] < key[0] && key[0] == key[4]);
    assert_true(isinf(key[2]) && key[2] < 0);
    assert_ok(lt_table_col_order(t, 0, key));
    assert_true(key[4] < key[1] && key[1] < key[0]);
    assert_int_not_equal(lt_table_col_codes(t, 7, NULL, 5, c), LT_OK);
    lt_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_lookup), cmocka_unit_test(test_codes_and_order), cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_require_lists_columns), cmocka_unit_test(test_select_drop_take),
        cmocka_unit_test(test_to_matrix),        cmocka_unit_test(test_cell_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
