/* CSV reader/writer: quoting, delimiters, type inference, every malformed
 * input's message (file:line:column), number parsing against strtod, write
 * round trip, and the real AI4I and C-MAPSS files. */
#include "test_util.h"

#include <zlib.h>

static lt_table *rd_opt(const char *text, const lt_csv_options *o)
{
    lt_table *t = NULL;
    assert_ok(lt_csv_read_mem(text, strlen(text), "data.csv", o, &t));
    return t;
}

static lt_table *rd(const char *text) { return rd_opt(text, NULL); }

/* Reading `text` must fail with `status` and a message containing `needle`. */
static void expect_fail(const char *text, size_t len, const lt_csv_options *o, int status,
                        const char *needle)
{
    lt_table *t = (lt_table *)1;
    int rc = lt_csv_read_mem(text, len, "data.csv", o, &t);
    if (rc != status)
        fail_msg("expected %s for %s, got %s: %s", lt_status_name(status), needle,
                 lt_status_name(rc), lt_last_error());
    assert_null(t);
    assert_error_contains(needle);
}

static void test_basic_types(void **state)
{
    (void)state;
    lt_table *t = rd("id,temp,kind,flag\n1,20.5,A,NA\n2,,B,1\n3,-1e3,A,?\n4,NaN,,null\n");
    assert_int_equal(lt_table_nrows(t), 4);
    assert_int_equal(lt_table_ncols(t), 4);
    assert_string_equal(lt_table_col_name(t, 1), "temp");
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_NUM);
    assert_int_equal(lt_table_col_type(t, 2), LT_COL_CAT);
    assert_int_equal(lt_table_col_type(t, 3), LT_COL_NUM);
    const double *temp = lt_table_num(t, 1);
    assert_near(temp[0], 20.5, 0);
    assert_true(isnan(temp[1]));
    assert_near(temp[2], -1000, 0);
    assert_true(isnan(temp[3]));
    const int32_t *kind = lt_table_cat(t, 2);
    assert_int_equal(lt_table_cat_nlevels(t, 2), 2);
    assert_int_equal(kind[0], 0);
    assert_int_equal(kind[1], 1);
    assert_int_equal(kind[3], -1);
    assert_int_equal(lt_table_cat_find(t, 2, "B"), 1);
    const double *flag = lt_table_num(t, 3);
    assert_true(isnan(flag[0]) && flag[1] == 1 && isnan(flag[2]) && isnan(flag[3]));
    lt_table_free(t);
}

static void test_quoting(void **state)
{
    (void)state;
    lt_table *t = rd("name,note,v\n\"Smith, J\",\"said \"\"hi\"\"\",1\n"
                     "plain,\"two\nlines\",2\n\"\",\"\",3\n");
    assert_int_equal(lt_table_nrows(t), 3);
    char buf[64];
    assert_string_equal(lt_table_cell_str(t, 0, 0, buf, sizeof buf), "Smith, J");
    assert_string_equal(lt_table_cell_str(t, 0, 1, buf, sizeof buf), "said \"hi\"");
    assert_string_equal(lt_table_cell_str(t, 1, 1, buf, sizeof buf), "two\nlines");
    assert_int_equal(lt_table_cat(t, 0)[2], -1); /* "" is missing */
    assert_near(lt_table_num(t, 2)[2], 3, 0);
    lt_table_free(t);
    /* a quoted number is still a number; a stray quote inside a field is literal */
    t = rd("a,b\n\"1.5\",12\"\n\"2\",x\n");
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_NUM);
    assert_near(lt_table_num(t, 0)[0], 1.5, 0);
    assert_string_equal(lt_table_cell_str(t, 0, 1, buf, sizeof buf), "12\"");
    lt_table_free(t);
}

static void test_delimiters(void **state)
{
    (void)state;
    lt_table *t = rd("a;b;c\n1;2;3\n4;5;6\n");
    assert_int_equal(lt_table_ncols(t), 3);
    assert_near(lt_table_num(t, 2)[1], 6, 0);
    lt_table_free(t);
    t = rd("a\tb\n1\tx y\n2\tz\n");
    assert_int_equal(lt_table_ncols(t), 2);
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    lt_table_free(t);
    /* C-MAPSS style: runs of spaces, trailing spaces on every line, no header */
    lt_csv_options o = lt_csv_options_default();
    o.header = 0;
    t = rd_opt("1 1 -0.0007  100.0 \n1 2   0.0019 100.0  \n", &o);
    assert_int_equal(lt_table_ncols(t), 4);
    assert_int_equal(lt_table_nrows(t), 2);
    assert_string_equal(lt_table_col_name(t, 2), "col3");
    assert_near(lt_table_num(t, 2)[0], -0.0007, 0);
    lt_table_free(t);
    /* a header with spaces inside names stays comma-separated */
    t = rd("Air temperature [K],Torque [Nm]\n300.1,42.8\n");
    assert_int_equal(lt_table_ncols(t), 2);
    assert_string_equal(lt_table_col_name(t, 0), "Air temperature [K]");
    lt_table_free(t);
    /* explicit delimiter; single column */
    o = lt_csv_options_default();
    o.delimiter = '|';
    t = rd_opt("a|b\n1|2\n", &o);
    assert_int_equal(lt_table_ncols(t), 2);
    lt_table_free(t);
    t = rd("only\n1\n2\n");
    assert_int_equal(lt_table_ncols(t), 1);
    lt_table_free(t);
    o.delimiter = '"';
    expect_fail("a\n1\n", 4, &o, LT_EINVAL, "delimiter");
}

static void test_bom_crlf_blank(void **state)
{
    (void)state;
    lt_table *t = rd("\xEF\xBB\xBFUDI,x\r\n1,a\r\n\r\n2,b\r\n");
    assert_string_equal(lt_table_col_name(t, 0), "UDI");
    assert_int_equal(lt_table_nrows(t), 2);
    char buf[16];
    assert_string_equal(lt_table_cell_str(t, 1, 1, buf, sizeof buf), "b");
    lt_table_free(t);
    t = rd("a,b\n1,2"); /* no final newline */
    assert_int_equal(lt_table_nrows(t), 1);
    assert_near(lt_table_num(t, 1)[0], 2, 0);
    lt_table_free(t);
    t = rd("a,b\n1,\n"); /* trailing empty field */
    assert_true(isnan(lt_table_num(t, 1)[0]));
    lt_table_free(t);
}

static void test_errors_structure(void **state)
{
    (void)state;
    const char *ragged = "a,b,c\n1,2,3\n4,5\n";
    expect_fail(ragged, strlen(ragged), NULL, LT_EFORMAT, "data.csv:3: expected 3 fields, found 2");
    const char *more = "a,b\n1,2\n3,4,5\n";
    expect_fail(more, strlen(more), NULL, LT_EFORMAT, "data.csv:3: expected 2 fields, found 3");
    const char *unterminated = "a,b\n1,\"abc\n2,3\n";
    expect_fail(unterminated, strlen(unterminated), NULL, LT_EFORMAT, "data.csv:2:2: unterminated");
    const char *after = "a,b\n1,\"abc\"x\n";
    expect_fail(after, strlen(after), NULL, LT_EFORMAT, "data.csv:2:2: expected a delimiter");
    expect_fail("", 0, NULL, LT_EFORMAT, "empty file");
    expect_fail("\n\n  \n", 5, NULL, LT_EFORMAT, "empty file");
    expect_fail("a,b,c\n", 6, NULL, LT_EFORMAT, "no data rows");
    const char bin[] = "a,b\n1,2\n3,\0\x01\n";
    expect_fail(bin, sizeof bin - 1, NULL, LT_EFORMAT, "data.csv:3:3: binary data, not text");
    const char *dup = "x,y,x\n1,2,3\n";
    expect_fail(dup, strlen(dup), NULL, LT_EFORMAT, "duplicate column name 'x' (columns 1 and 3)");
    expect_fail("\xff\xfe" "a", 3, NULL, LT_EFORMAT, "UTF-16");
    const char *nohdr = "1,2,1\n3,4,5\n";
    expect_fail(nohdr, strlen(nohdr), NULL, LT_EFORMAT, "looks like data");
    /* a line number after a quoted field that spans lines */
    const char *multi = "a,b\n\"x\ny\",1\n2\n";
    expect_fail(multi, strlen(multi), NULL, LT_EFORMAT, "data.csv:4: expected 2 fields, found 1");
}

static void test_error_field_limit(void **state)
{
    (void)state;
    lt_csv_options o = lt_csv_options_default();
    o.max_field = 8;
    const char *text = "a,b\n1,short\n2,waytoolongfield\n";
    expect_fail(text, strlen(text), &o, LT_ELIMIT, "data.csv:3:2: field longer than the 8-byte");
    const char *quoted = "a,b\n1,\"waytoolong,quoted\"\n";
    expect_fail(quoted, strlen(quoted), &o, LT_ELIMIT, "data.csv:2:2:");
    /* the default limit is 64 KiB */
    size_t n = 70000;
    char *big = malloc(n + 16);
    memcpy(big, "a\n", 2);
    memset(big + 2, 'x', n);
    memcpy(big + 2 + n, "\n", 2);
    expect_fail(big, n + 3, NULL, LT_ELIMIT, "data.csv:2:1:");
    free(big);
}

static void test_header_names(void **state)
{
    (void)state;
    lt_table *t = rd("a,,c\n1,2,3\n");
    assert_string_equal(lt_table_col_name(t, 1), "col2");
    lt_table_free(t);
}

static void test_type_errors(void **state)
{
    (void)state;
    /* 10 numbers and one text cell: mostly numeric -> error naming the cell */
    char text[512] = "UDI,Torque [Nm]\n";
    for (int i = 1; i <= 12; i++) {
        char line[64];
        snprintf(line, sizeof line, "%d,%s\n", i, i == 7 ? "abc" : "42.5");
        strcat(text, line);
    }
    expect_fail(text, strlen(text), NULL, LT_ETYPE,
                "data.csv:8:2: column 'Torque [Nm]': expected a number, got 'abc'");
    /* forced categorical reads it fine */
    lt_csv_options o = lt_csv_options_default();
    const char *cat[] = {"Torque [Nm]"};
    o.cat_cols = cat;
    o.n_cat_cols = 1;
    lt_table *t = rd_opt(text, &o);
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    assert_int_equal(lt_table_cat_nlevels(t, 1), 2);
    lt_table_free(t);
    /* a half-text column is categorical; listing it in num_cols makes it an error */
    const char *mixed = "id,code\n1,A1\n2,7\n3,B2\n";
    t = rd(mixed);
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    lt_table_free(t);
    const char *num[] = {"code"};
    o = lt_csv_options_default();
    o.num_cols = num;
    o.n_num_cols = 1;
    expect_fail(mixed, strlen(mixed), &o, LT_ETYPE,
                "data.csv:2:2: column 'code': expected a number, got 'A1'");
    /* numbers-only column forced categorical keeps the text */
    o = lt_csv_options_default();
    const char *id[] = {"id"};
    o.cat_cols = id;
    o.n_cat_cols = 1;
    t = rd_opt(mixed, &o);
    assert_int_equal(lt_table_cat_find(t, 0, "2"), 1);
    lt_table_free(t);
    /* a header row read as data: the hint says so */
    lt_csv_options nh = lt_csv_options_default();
    nh.header = 0;
    const char *hdr = "id,temp\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n13,14\n15,16\n17,18\n19,20\n";
    expect_fail(hdr, strlen(hdr), &nh, LT_ETYPE,
                "data.csv:1:1: column 'col1': expected a number, got 'id' "
                "(the first row looks like a header row)");
    /* unknown names in the options, and a name in both lists */
    const char *nope[] = {"nope"};
    o.cat_cols = nope;
    expect_fail(mixed, strlen(mixed), &o, LT_ENOTFOUND, "no column 'nope' (needed as a categorical column");
    o.cat_cols = id;
    o.num_cols = id;
    o.n_num_cols = 1;
    expect_fail(mixed, strlen(mixed), &o, LT_EINVAL, "both num_cols and cat_cols");
}

static void test_numbers_match_strtod(void **state)
{
    (void)state;
    static const char *fixed[] = {"0", "-0", "+3", "1.", ".5", "-.25", "007", "1e10", "1E-5",
                                  "2.5e+3", "123456789012345678901234", "0.1", "0.3",
                                  "9007199254740993", "1.7976931348623157e308", "4.9e-324",
                                  "1e-400", "123.456e-7", "0.000000000000000000001", "inf",
                                  "-Infinity", "641.82", "8.4195", "1589.70"};
    char text[4096] = "v\n";
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        strcat(text, fixed[i]);
        strcat(text, "\n");
    }
    lt_table *t = rd(text);
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_NUM);
    const double *v = lt_table_num(t, 0);
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        double want = strtod(fixed[i], NULL);
        if (memcmp(&want, &v[i], sizeof want) != 0)
            fail_msg("'%s' parsed as %.17g, strtod gives %.17g", fixed[i], v[i], want);
    }
    lt_table_free(t);
    /* random decimals of up to 17 significant digits, bit-exact against strtod */
    lt_rng r;
    lt_rng_seed(&r, 7);
    enum { N = 20000 };
    char *big = malloc((size_t)N * 40 + 8), (*strs)[40] = malloc((size_t)N * 40);
    size_t len = 0;
    len += (size_t)sprintf(big, "x\n");
    for (int i = 0; i < N; i++) {
        int digits = 1 + (int)lt_rng_below(&r, 17);
        int point = (int)lt_rng_below(&r, (uint64_t)digits + 1);
        char *s = strs[i];
        int k = 0;
        if (lt_rng_below(&r, 2))
            s[k++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                s[k++] = '.';
            s[k++] = (char)('0' + lt_rng_below(&r, 10));
        }
        if (lt_rng_below(&r, 4) == 0)
            k += sprintf(s + k, "e%d", (int)lt_rng_below(&r, 60) - 30);
        s[k] = '\0';
        len += (size_t)sprintf(big + len, "%s\n", s);
    }
    t = NULL;
    assert_ok(lt_csv_read_mem(big, len, "rand.csv", NULL, &t));
    v = lt_table_num(t, 0);
    for (int i = 0; i < N; i++) {
        double want = strtod(strs[i], NULL);
        if (memcmp(&want, &v[i], sizeof want) != 0)
            fail_msg("'%s' parsed as %.17g, strtod gives %.17g", strs[i], v[i], want);
    }
    lt_table_free(t);
    free(big);
    free(strs);
}

static void test_max_rows(void **state)
{
    (void)state;
    lt_csv_options o = lt_csv_options_default();
    o.max_rows = 2;
    lt_table *t = rd_opt("a\n1\n2\n3\n4,5\n", &o); /* the ragged row is never read */
    assert_int_equal(lt_table_nrows(t), 2);
    lt_table_free(t);
    o.max_rows = -1;
    expect_fail("a\n1\n", 4, &o, LT_EINVAL, "max_rows");
}

static void test_write_roundtrip(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/rt.csv", test_tmp_dir());
    lt_table *t = lt_table_new();
    double v[5] = {0.1, 1.0 / 3.0, -2.5e-300, NAN, 12345678901234567.0};
    const char *s[5] = {"plain", "with, comma", "say \"hi\"", NULL, "two\nlines"};
    assert_ok(lt_table_add_num(t, "num", v, 5));
    assert_ok(lt_table_add_cat(t, "text", s, 5));
    assert_ok(lt_csv_write(path, t));
    lt_table *u = NULL;
    assert_ok(lt_csv_read(path, NULL, &u));
    assert_int_equal(lt_table_nrows(u), 5);
    const double *w = lt_table_num(u, 0);
    for (int i = 0; i < 5; i++)
        assert_true(isnan(v[i]) ? isnan(w[i]) : v[i] == w[i]);
    char a[64], b[64];
    for (int i = 0; i < 5; i++)
        assert_string_equal(lt_table_cell_str(t, i, 1, a, sizeof a),
                            lt_table_cell_str(u, i, 1, b, sizeof b));
    /* shortest form: 0.1 is written as 0.1 */
    char *raw;
    size_t n;
    assert_ok(lt_read_file(path, 0, &raw, &n));
    assert_non_null(strstr(raw, "\n0.1,plain\n"));
    assert_non_null(strstr(raw, "\"with, comma\""));
    free(raw);
    lt_table_free(t);
    lt_table_free(u);
    assert_int_equal(lt_csv_read("/nonexistent/x.csv", NULL, &u), LT_EIO);
    assert_error_contains("/nonexistent/x.csv");
}

/* A file above 4 MiB takes the huge-page buffers; values survive the trip. */
static void test_large_file(void **state)
{
    (void)state;
    enum { N = 250000 };
    char path[600];
    snprintf(path, sizeof path, "%s/large.csv", test_tmp_dir());
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    lt_rng r;
    lt_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        a[i] = lt_rng_normal(&r) * 1000;
        b[i] = (double)i;
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "a", a, N));
    assert_ok(lt_table_add_num(t, "b", b, N));
    assert_ok(lt_csv_write(path, t));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > (4 << 20));
    lt_table *u = NULL;
    assert_ok(lt_csv_read(path, NULL, &u));
    assert_int_equal(lt_table_nrows(u), N);
    assert_memory_equal(lt_table_num(u, 0), a, N * sizeof *a);
    assert_memory_equal(lt_table_num(u, 1), b, N * sizeof *b);
    lt_table_free(t);
    lt_table_free(u);
    free(a);
    free(b);
    unlink(path);
}

static void test_gzip(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/g.csv.gz", test_tmp_dir());
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    gzputs(g, "a,b\n1,x\n2,y\n");
    gzclose(g);
    lt_table *t = NULL;
    assert_ok(lt_csv_read(path, NULL, &t));
    assert_int_equal(lt_table_nrows(t), 2);
    lt_table_free(t);
    /* truncated and corrupt gzip are errors, not crashes */
    char *raw;
    size_t n;
    assert_ok(lt_read_file(path, 0, &raw, &n));
    expect_fail(raw, n - 6, NULL, LT_EFORMAT, "data.csv: truncated gzip");
    raw[12] ^= 0x55;
    raw[13] ^= 0x55;
    lt_table *u = NULL;
    assert_true(lt_csv_read_mem(raw, n, "data.csv", NULL, &u) < 0);
    assert_null(u);
    free(raw);
}

static void test_real_ai4i(void **state)
{
    (void)state;
    char buf[600];
    const char *path = test_data_file("ai4i2020/ai4i2020.csv", buf, sizeof buf);
    if (!path)
        return;
    lt_table *t = NULL;
    assert_ok(lt_csv_read(path, NULL, &t));
    assert_int_equal(lt_table_nrows(t), 10000);
    assert_int_equal(lt_table_ncols(t), 14);
    assert_string_equal(lt_table_col_name(t, 0), "UDI");
    int j = lt_table_require(t, "Type");
    assert_true(j >= 0);
    assert_int_equal(lt_table_col_type(t, j), LT_COL_CAT);
    assert_int_equal(lt_table_cat_nlevels(t, j), 3);
    j = lt_table_require(t, "Machine failure");
    assert_int_equal(lt_table_col_type(t, j), LT_COL_NUM);
    const double *mf = lt_table_num(t, j);
    int ones = 0;
    for (int i = 0; i < 10000; i++)
        ones += mf[i] == 1;
    assert_int_equal(ones, 339);
    assert_true(lt_table_require(t, "Torqe") < 0);
    assert_error_contains("no column 'Torqe' (columns: UDI, Product ID, Type");
    lt_table_free(t);
}

static void test_real_cmapss(void **state)
{
    (void)state;
    char buf[600];
    const char *path = test_data_file("cmapss/train_FD001.txt.gz", buf, sizeof buf);
    if (!path)
        return;
    lt_csv_options o = lt_csv_options_default();
    o.header = 0;
    lt_table *t = NULL;
    assert_ok(lt_csv_read(path, &o, &t));
    assert_int_equal(lt_table_nrows(t), 20631);
    assert_int_equal(lt_table_ncols(t), 26);
    for (int j = 0; j < 26; j++)
        assert_int_equal(lt_table_col_type(t, j), LT_COL_NUM);
    assert_near(lt_table_num(t, 0)[20630], 100, 0);   /* last unit */
    assert_near(lt_table_num(t, 5)[0], 518.67, 0);
    lt_table_free(t);
}

/* Semicolon files from European spreadsheets use decimal commas. */
static void test_decimal_comma(void **state)
{
    (void)state;
    lt_table *t = rd("a;b;c\n1,5;2;x\n-3,25;4;y\n;1e3;z\n");
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_NUM);
    assert_near(lt_table_num(t, 0)[0], 1.5, 0);
    assert_near(lt_table_num(t, 0)[1], -3.25, 0);
    assert_true(isnan(lt_table_num(t, 0)[2]));
    assert_near(lt_table_num(t, 1)[2], 1000, 0);
    lt_table_free(t);
    /* In a comma-separated file "1,5" is two fields, and quoted it is text. */
    t = rd("a,b\n\"1,5\",2\n\"2,5\",3\n");
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_CAT);
    lt_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_types),      cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_delimiters),       cmocka_unit_test(test_bom_crlf_blank),
        cmocka_unit_test(test_errors_structure), cmocka_unit_test(test_error_field_limit),
        cmocka_unit_test(test_header_names),     cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_numbers_match_strtod), cmocka_unit_test(test_max_rows),
        cmocka_unit_test(test_write_roundtrip),  cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_large_file),       cmocka_unit_test(test_decimal_comma),
        cmocka_unit_test(test_real_ai4i),        cmocka_unit_test(test_real_cmapss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
