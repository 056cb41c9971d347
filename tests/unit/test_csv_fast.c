/* The CSV reader's fast paths against their exact references: the inline
 * number parser against strtod bit for bit, the field hash and level map
 * against plain string compares, the 64-byte-block tokenizer against the
 * byte-wise one (quoting every field forces the byte-wise path), and the
 * chunked type inference (late text cells, errors deep in a file). */
#include "test_util.h"

#include "data/csv_impl.h"

/* s copied into a zero-padded buffer, as the reader's fields are. */
static const char *padded(const char *s)
{
    static char buf[512 + CSV_PAD];
    memset(buf, 0, sizeof buf);
    snprintf(buf, 512, "%s", s);
    return buf;
}

static void expect_num(const char *s)
{
    double got = -12345, want = strtod(s, NULL);
    if (!csv_parse_num(padded(s), &got))
        fail_msg("'%s' rejected; strtod gives %.17g", s, want);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("'%s' parsed as %.17g, strtod gives %.17g", s, got, want);
    double slow = -12345;
    assert_true(csv_parse_num_slow(s, &slow));
    assert_memory_equal(&slow, &want, sizeof slow);
}

static void test_parse_num_tricky(void **state)
{
    (void)state;
    static const char *ok[] = {
        "0", "-0", "+0", "-0.0", "0.", "-.0", ".5", "5.", "-5.", "+.25", "007", "000.000",
        "1e400", "-1e400", "1e-400", "4.9e-324", "2.4703282292062327e-324",
        "2.2250738585072011e-308", "2.2250738585072014e-308", "1.7976931348623157e308",
        "1.7976931348623159e308", "9007199254740992", "9007199254740993", "9007199254740993.0",
        "18014398509481985", "1234567890123456789", "12345678901234567890",
        "0.1234567890123456789", "123456789012345678901234567890", "0.30000000000000004",
        "3.141592653589793238462643383279", "1e22", "1e23", "9999999999999999e22",
        "1.5e-22", "100000000000000000000000", "0.000000000000000000001",
        "0.0000000000000000000000001", "89255.0e-22", "8.4195", "1589.70", "-0.0007", "2388",
        "1E5", "1e+5", "1e-5", ".5e1", "5.e1", "inf", "-inf", "+Inf", "INFINITY", "-Infinity",
        "00000000000000000000000000001", "0.00000000000000000000000000001e29",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "7.2057594037927933e16", "72057594037927933", "4503599627370497.5"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        expect_num(ok[i]);
    static const char *bad[] = {"", "-", "+", ".", "-.", "e5", "1e", "1e+", "1x", "--1", " 1",
                                "1 ", "0x10", "nan", "NaN", "in", "infinit", "1.2.3", "1,5",
                                "1e5.5", "+-1", "1_000", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v = 0;
        if (csv_parse_num(padded(bad[i]), &v))
            fail_msg("'%s' accepted as %.17g", bad[i], v);
        assert_false(csv_parse_num_slow(bad[i], &v));
    }
    /* random plain decimals of 1..22 digits (both sides of the 19-digit and
     * 2^53 limits of the fast path) and random exponents */
    lt_rng r;
    lt_rng_seed(&r, 11);
    for (int i = 0; i < 200000; i++) {
        char s[64];
        int k = 0, digits = 1 + (int)lt_rng_below(&r, 22);
        int point = (int)lt_rng_below(&r, (uint64_t)digits + 2) - 1;
        if (lt_rng_below(&r, 2))
            s[k++] = "+-"[lt_rng_below(&r, 2)];
        for (int d = 0; d < digits; d++) {
            if (d == point)
                s[k++] = '.';
            s[k++] = (char)('0' + lt_rng_below(&r, 10));
        }
        if (point < 0 && lt_rng_below(&r, 2)) /* "5." */
            s[k++] = '.';
        if (lt_rng_below(&r, 8) == 0)
            k += snprintf(s + k, sizeof s - (size_t)k, "e%d", (int)lt_rng_below(&r, 700) - 350);
        s[k] = '\0';
        expect_num(s);
    }
}

static void test_hash_and_levels(void **state)
{
    (void)state;
    /* the hash sees the string, not the bytes after its NUL nor its address */
    char a[64 + CSV_PAD], b[64 + CSV_PAD];
    for (int len = 0; len <= 40; len++)
        for (int shift = 0; shift < 8; shift++) {
            memset(a, 'x', sizeof a);
            memset(b, 'y', sizeof b);
            for (int i = 0; i < len; i++)
                a[i] = b[shift + i] = (char)('A' + (i * 7) % 26);
            a[len] = b[shift + len] = '\0';
            size_t la, lb;
            assert_true(csv_hash_field(a, &la) == csv_hash_field(b + shift, &lb));
            assert_int_equal(la, (size_t)len);
            assert_int_equal(lb, (size_t)len);
            assert_true(csv_same(a, b + shift, (size_t)len));
            if (len) {
                b[shift + len - 1] ^= 1;
                assert_false(csv_same(a, b + shift, (size_t)len));
            }
        }
    /* codes in order of first appearance, against a linear search */
    enum { N = 60000, POOL = 30000 };
    char *text = malloc((size_t)N * 16 + CSV_PAD);
    memset(text, 0, (size_t)N * 16 + CSV_PAD);
    lt_rng r;
    lt_rng_seed(&r, 5);
    csv_levels m;
    assert_ok(csv_levels_init(&m, 16));
    int32_t *first = malloc(POOL * sizeof *first);
    for (int i = 0; i < POOL; i++)
        first[i] = -1;
    int32_t next = 0;
    for (int i = 0; i < N; i++) {
        int v = (int)lt_rng_below(&r, POOL);
        char *s = text + (size_t)i * 16;
        snprintf(s, 16, v % 3 ? "id%d" : "a-long-id-%05d", v);
        if (i == N / 2)
            assert_ok(csv_levels_reserve(&m, N));
        size_t len;
        uint64_t h = csv_hash_field(s, &len);
        int32_t code = csv_levels_put_h(&m, s, len, h);
        if (first[v] < 0)
            first[v] = next++;
        assert_int_equal(code, first[v]);
        assert_string_equal(m.key[code], s);
    }
    assert_int_equal(m.n, next);
    csv_levels_free(&m);
    free(first);
    free(text);
}

/* Tables equal: names, types, values bit for bit, levels, codes. */
static void assert_same_table(const lt_table *t, const lt_table *u)
{
    assert_int_equal(lt_table_ncols(t), lt_table_ncols(u));
    assert_int_equal(lt_table_nrows(t), lt_table_nrows(u));
    int64_t n = lt_table_nrows(t);
    for (int j = 0; j < lt_table_ncols(t); j++) {
        assert_string_equal(lt_table_col_name(t, j), lt_table_col_name(u, j));
        assert_int_equal(lt_table_col_type(t, j), lt_table_col_type(u, j));
        if (lt_table_col_type(t, j) == LT_COL_NUM) {
            assert_memory_equal(lt_table_num(t, j), lt_table_num(u, j), (size_t)n * sizeof(double));
            continue;
        }
        assert_int_equal(lt_table_cat_nlevels(t, j), lt_table_cat_nlevels(u, j));
        for (int k = 0; k < lt_table_cat_nlevels(t, j); k++)
            assert_string_equal(lt_table_cat_level(t, j, k), lt_table_cat_level(u, j, k));
        assert_memory_equal(lt_table_cat(t, j), lt_table_cat(u, j), (size_t)n * sizeof(int32_t));
    }
}

/* A random cell: numbers, text with inner spaces, empties, missing markers,
 * long fields that cross 64-byte blocks. */
static void rand_cell(lt_rng *r, int col, char *s, size_t cap)
{
    switch (col % 4 == 3 ? 4 : (int)lt_rng_below(r, 5)) {
    case 0: snprintf(s, cap, "%d", (int)lt_rng_below(r, 100000) - 500); break;
    case 1: snprintf(s, cap, "%.4f", lt_rng_normal(r) * 100); break;
    case 2: snprintf(s, cap, "%s", lt_rng_below(r, 2) ? "" : "NA"); break;
    case 3: snprintf(s, cap, "%.6e", lt_rng_normal(r)); break;
    default: {
        int len = (int)lt_rng_below(r, 90), k = 0;
        for (; k < len && k < (int)cap - 1; k++)
            s[k] = (char)(k && k < len - 1 && lt_rng_below(r, 6) == 0 ? ' ' : 'a' + lt_rng_below(r, 3));
        s[k] = '\0';
    }
    }
}

static void test_fast_matches_bytewise(void **state)
{
    (void)state;
    lt_rng r;
    lt_rng_seed(&r, 9);
    for (int round = 0; round < 40; round++) {
        const int ncols = 1 + (int)lt_rng_below(&r, 7), nrows = 1 + (int)lt_rng_below(&r, 3000);
        const int ws = round % 4 == 3, crlf = round % 3 == 1;
        const char d = ws ? ' ' : ",;\t|"[round % 4];
        size_t cap = (size_t)(nrows + 1) * (size_t)ncols * 200 + 64;
        char *plain = malloc(cap), *quoted = malloc(cap);
        size_t np = 0, nq = 0;
        for (int i = -1; i < nrows; i++) {
            for (int j = 0; j < ncols; j++) {
                char cell[128];
                if (i < 0)
                    snprintf(cell, sizeof cell, "c%d", j);
                else
                    rand_cell(&r, j, cell, sizeof cell);
                if (ws && (!cell[0] || strchr(cell, ' ')))
                    snprintf(cell, sizeof cell, "w%d", (int)lt_rng_below(&r, 50));
                if (ncols == 1 && !cell[0]) /* would be a blank line, skipped */
                    snprintf(cell, sizeof cell, "NA");
                const char *sep = j ? (ws ? (lt_rng_below(&r, 2) ? "  \t " : " ") : (char[]){d, 0})
                                    : "";
                np += (size_t)sprintf(plain + np, "%s%s", sep, cell);
                nq += (size_t)sprintf(quoted + nq, "%s\"%s\"", sep, cell);
            }
            if (ws && lt_rng_below(&r, 3) == 0) /* trailing blanks */
                np += (size_t)sprintf(plain + np, "  ");
            np += (size_t)sprintf(plain + np, crlf ? "\r\n" : "\n");
            nq += (size_t)sprintf(quoted + nq, crlf ? "\r\n" : "\n");
            if (lt_rng_below(&r, 50) == 0) { /* blank lines */
                np += (size_t)sprintf(plain + np, ws ? " \t\n" : "  \n");
                nq += (size_t)sprintf(quoted + nq, "\n");
            }
        }
        lt_csv_options o = lt_csv_options_default();
        o.delimiter = d;
        lt_table *t = NULL, *u = NULL;
        int rc = lt_csv_read_mem(plain, np, "plain.csv", &o, &t);
        char msg[512];
        snprintf(msg, sizeof msg, "%s", rc ? lt_last_error() : "");
        int rc2 = lt_csv_read_mem(quoted, nq, "plain.csv", &o, &u);
        if (rc != rc2)
            fail_msg("round %d: plain %d (%s), quoted %d (%s)", round, rc, msg, rc2,
                     lt_last_error());
        if (rc == LT_OK)
            assert_same_table(t, u);
        else if (rc == LT_ETYPE)
            assert_string_equal(msg, lt_last_error());
        lt_table_free(t);
        lt_table_free(u);
        free(plain);
        free(quoted);
    }
}

/* Big enough for many chunks; `bad` text at row `at` of column 2. */
static char *late_file(int nrows, int at, const char *bad, size_t *len)
{
    char *s = malloc((size_t)nrows * 40 + 64);
    size_t n = (size_t)sprintf(s, "id,v,w\n");
    for (int i = 0; i < nrows; i++)
        n += (size_t)(i == at ? sprintf(s + n, "%d,%s,%d\n", i, bad, i % 7)
                              : sprintf(s + n, "%d,%d.5,%d\n", i, i % 1000, i % 7));
    *len = n;
    return s;
}

static void test_chunked_inference(void **state)
{
    (void)state;
    size_t n;
    /* one text cell deep in a numeric column: an error naming its line */
    char *s = late_file(200000, 150000, "oops", &n);
    lt_table *t = NULL;
    assert_int_equal(lt_csv_read_mem(s, n, "late.csv", NULL, &t), LT_ETYPE);
    assert_null(t);
    assert_error_contains("late.csv:150002:2: column 'v': expected a number, got 'oops'");
    free(s);
    /* a ragged row deep in the file */
    s = late_file(100000, 99000, "1,2", &n);
    assert_int_equal(lt_csv_read_mem(s, n, "ragged.csv", NULL, &t), LT_EFORMAT);
    assert_error_contains("ragged.csv:99002: expected 3 fields, found 4");
    free(s);
    /* a field over max_field deep in the file (taken by the fast path up to there) */
    s = late_file(100000, 88888, "123456789012345678901234567890", &n);
    lt_csv_options o = lt_csv_options_default();
    o.max_field = 20;
    assert_int_equal(lt_csv_read_mem(s, n, "long.csv", &o, &t), LT_ELIMIT);
    assert_error_contains("long.csv:88890:2: field longer than the 20-byte limit");
    free(s);
    /* a column that turns to text late and is mostly text: categorical, with
     * the earlier numbers as levels in order of first appearance */
    enum { R = 50000 };
    s = malloc((size_t)R * 32 + 64);
    n = (size_t)sprintf(s, "k,x\n");
    for (int i = 0; i < R; i++)
        n += (size_t)(i < 20000 ? sprintf(s + n, "%d,%d\n", i, i % 5)
                                : sprintf(s + n, "%d,t%d\n", i, i % 3));
    assert_ok(lt_csv_read_mem(s, n, "turn.csv", NULL, &t));
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    assert_int_equal(lt_table_cat_nlevels(t, 1), 8);
    const char *want[8] = {"0", "1", "2", "3", "4", "t2", "t0", "t1"};
    for (int k = 0; k < 8; k++)
        assert_string_equal(lt_table_cat_level(t, 1, k), want[k]);
    const int32_t *code = lt_table_cat(t, 1);
    assert_int_equal(code[19999], 4);
    assert_int_equal(code[20000], 5);
    assert_int_equal(code[R - 1], 5 + ((R - 1) % 3 + 1) % 3);
    lt_table_free(t);
    free(s);
    /* an id column (every value new): one level per row, in file order */
    s = malloc((size_t)R * 32 + 64);
    n = (size_t)sprintf(s, "id,v\n");
    for (int i = 0; i < R; i++)
        n += (size_t)sprintf(s + n, "%c%07d,%d\n", "LMH"[i % 3], i * 7919 % 1000003, i);
    assert_ok(lt_csv_read_mem(s, n, "ids.csv", NULL, &t));
    assert_int_equal(lt_table_cat_nlevels(t, 0), R);
    for (int i = 0; i < R; i += 997) {
        char id[16];
        snprintf(id, sizeof id, "%c%07d", "LMH"[i % 3], i * 7919 % 1000003);
        assert_int_equal(lt_table_cat(t, 0)[i], i);
        assert_string_equal(lt_table_cat_level(t, 0, i), id);
    }
    lt_table_free(t);
    free(s);
}

/* Parses with LATHE_CSV_THREADS = threads (0: unset); the message on error. */
static int read_threads(const char *buf, size_t n, const char *name, const lt_csv_options *o,
                        int threads, lt_table **t, char *msg, size_t cap)
{
    char v[8];
    snprintf(v, sizeof v, "%d", threads);
    if (threads)
        setenv("LATHE_CSV_THREADS", v, 1);
    else
        unsetenv("LATHE_CSV_THREADS");
    int rc = lt_csv_read_mem(buf, n, name, o, t);
    snprintf(msg, cap, "%s", rc ? lt_last_error() : "");
    unsetenv("LATHE_CSV_THREADS");
    return rc;
}

/* The same table, or the same error, from 2..4 pieces as from one. */
static void expect_same_parallel(const char *buf, size_t n, const lt_csv_options *o)
{
    char m1[1024], m2[1024];
    lt_table *t = NULL;
    int rc = read_threads(buf, n, "p.csv", o, 1, &t, m1, sizeof m1);
    for (int k = 2; k <= 4; k++) {
        lt_table *u = NULL;
        int rc2 = read_threads(buf, n, "p.csv", o, k, &u, m2, sizeof m2);
        if (rc != rc2 || strcmp(m1, m2) != 0)
            fail_msg("%d pieces: %d (%s); one piece: %d (%s)", k, rc2, m2, rc, m1);
        if (rc == LT_OK)
            assert_same_table(t, u);
        lt_table_free(u);
    }
    lt_table_free(t);
}

/* The parallel reader (input cut into pieces at '\n' bytes, one thread per
 * piece) against the one-piece reader: random files with piece edges
 * falling anywhere (CRLF, blank lines, whitespace runs, a text cell or an
 * error in any piece), then files above the size threshold. */
static void test_parallel_matches_serial(void **state)
{
    (void)state;
    lt_rng r;
    lt_rng_seed(&r, 17);
    for (int round = 0; round < 120; round++) {
        const int ncols = 1 + (int)lt_rng_below(&r, 5), nrows = 1 + (int)lt_rng_below(&r, 400);
        const int ws = round % 4 == 3, crlf = round % 3 == 1;
        const char d = ws ? ' ' : ",;\t|"[round % 4];
        const int text_at = lt_rng_below(&r, 2) ? (int)lt_rng_below(&r, (uint64_t)nrows) : -1;
        const int ragged_at = round % 5 == 0 ? (int)lt_rng_below(&r, (uint64_t)nrows) : -1;
        char *buf = malloc((size_t)(nrows + 1) * (size_t)(ncols + 1) * 40 + 64);
        size_t n = 0;
        for (int i = -1; i < nrows; i++) {
            for (int j = 0; j < ncols + (i == ragged_at); j++) {
                char cell[64];
                if (i < 0)
                    snprintf(cell, sizeof cell, "c%d", j);
                else if (i == text_at && j == ncols - 1)
                    snprintf(cell, sizeof cell, "t%d", (int)lt_rng_below(&r, 3));
                else if (j == 0 && ncols > 1)
                    snprintf(cell, sizeof cell, "%c%d", "ab"[lt_rng_below(&r, 2)],
                             (int)lt_rng_below(&r, 20));
                else if (lt_rng_below(&r, 8) == 0)
                    snprintf(cell, sizeof cell, "%s", ws ? "NaN" : lt_rng_below(&r, 2) ? "" : "NA");
                else
                    snprintf(cell, sizeof cell, "%.3f", lt_rng_normal(&r) * 10);
                if (ncols == 1 && !cell[0])
                    snprintf(cell, sizeof cell, "NA");
                const char *sep = j ? (ws ? (lt_rng_below(&r, 2) ? " \t " : " ") : (char[]){d, 0})
                                    : "";
                n += (size_t)sprintf(buf + n, "%s%s", sep, cell);
            }
            if (ws && lt_rng_below(&r, 3) == 0)
                n += (size_t)sprintf(buf + n, "  ");
            n += (size_t)sprintf(buf + n, crlf ? "\r\n" : "\n");
            if (lt_rng_below(&r, 20) == 0)
                n += (size_t)sprintf(buf + n, ws ? " \t\n" : "\n");
        }
        lt_csv_options o = lt_csv_options_default();
        o.delimiter = d;
        o.header = round % 7 != 2;
        if (round % 11 == 4) { /* a forced numeric column */
            static const char *num[] = {"c0"};
            o.num_cols = num;
            o.n_num_cols = 1;
        }
        expect_same_parallel(buf, n, &o);
        free(buf);
    }

    /* Above the 3 MB threshold (~3.4 MB). Column x is numeric in the first half
     * and mostly text in the second; column g has levels that first appear
     * in the second half; column id is unique per row. */
    enum { R = 160000 };
    char *s = malloc((size_t)R * 48 + 64);
    size_t n = (size_t)sprintf(s, "id,x,g,v\n");
    for (int i = 0; i < R; i++)
        n += (size_t)sprintf(s + n, "u%06d,%s%d,%s%d,%d.25\n", i, i < R / 2 + 100 ? "" : "q",
                             i % 9, i < R / 2 + 500 ? "g" : "h", i % 4, i % 1000);
    assert_true(n > (3 << 20));
    expect_same_parallel(s, n, NULL);
    char msg[1024];
    lt_table *t = NULL;
    assert_ok(read_threads(s, n, "big.csv", NULL, 2, &t, msg, sizeof msg));
    assert_int_equal(lt_table_col_type(t, 0), LT_COL_CAT);
    assert_int_equal(lt_table_cat_nlevels(t, 0), R);
    for (int i = 0; i < R; i += 1013)
        assert_int_equal(lt_table_cat(t, 0)[i], i);
    /* x: the numbers 0..8 (first half) then q0..q8, in order of appearance */
    assert_int_equal(lt_table_col_type(t, 1), LT_COL_CAT);
    assert_int_equal(lt_table_cat_nlevels(t, 1), 18);
    assert_string_equal(lt_table_cat_level(t, 1, 0), "0");
    char want[16];
    snprintf(want, sizeof want, "q%d", (R / 2 + 100) % 9);
    assert_string_equal(lt_table_cat_level(t, 1, 9), want);
    assert_int_equal(lt_table_cat(t, 1)[R - 1], 9 + ((R - 1) % 9 - (R / 2 + 100) % 9 + 9) % 9);
    /* g: g0..g3 then h0..h3 */
    assert_int_equal(lt_table_cat_nlevels(t, 2), 8);
    snprintf(want, sizeof want, "h%d", (R / 2 + 500) % 4);
    assert_string_equal(lt_table_cat_level(t, 2, 4), want);
    assert_int_equal(lt_table_cat(t, 2)[R / 2 + 500], 4);
    assert_int_equal(lt_table_col_type(t, 3), LT_COL_NUM);
    assert_true(lt_table_num(t, 3)[R - 1] == (R - 1) % 1000 + 0.25);
    lt_table_free(t);

    /* errors in the second half name their file line; with errors in both
     * halves the first in the file wins */
    const char *cut = s + n * 3 / 4;
    cut = strchr(cut, '\n') + 1;
    int64_t l3 = 1;
    for (const char *p = s; p < cut; p++)
        l3 += *p == '\n';
    char *bad = malloc(n + 64);
    size_t pre = (size_t)(cut - s);
    memcpy(bad, s, pre);
    size_t m = pre + (size_t)sprintf(bad + pre, "z,1,g1,2.5,9\n");
    memcpy(bad + m, cut, n - pre);
    m += n - pre;
    assert_int_equal(read_threads(bad, m, "rag.csv", NULL, 2, &t, msg, sizeof msg), LT_EFORMAT);
    char exp[128];
    snprintf(exp, sizeof exp, "rag.csv:%lld: expected 4 fields, found 5", (long long)l3);
    assert_string_equal(msg, exp);
    expect_same_parallel(bad, m, NULL);
    /* and a ragged row in the first half too: that one is reported */
    char *two = malloc(m + 64);
    const char *early = strchr(bad + 5000, '\n') + 1;
    int64_t l1 = 1;
    for (const char *p = bad; p < early; p++)
        l1 += *p == '\n';
    size_t pre1 = (size_t)(early - bad);
    memcpy(two, bad, pre1);
    size_t m2 = pre1 + (size_t)sprintf(two + pre1, "1,2\n");
    memcpy(two + m2, early, m - pre1);
    m2 += m - pre1;
    assert_int_equal(read_threads(two, m2, "two.csv", NULL, 2, &t, msg, sizeof msg), LT_EFORMAT);
    snprintf(exp, sizeof exp, "two.csv:%lld: expected 4 fields, found 2", (long long)l1);
    assert_string_equal(msg, exp);
    expect_same_parallel(two, m2, NULL);
    /* a bad value in a numeric column in the second half */
    m = pre + (size_t)sprintf(bad + pre, "z,1,g1,oops\n");
    memcpy(bad + m, cut, n - pre);
    m += n - pre;
    assert_int_equal(read_threads(bad, m, "val.csv", NULL, 2, &t, msg, sizeof msg), LT_ETYPE);
    snprintf(exp, sizeof exp, "val.csv:%lld:4: column 'v': expected a number, got 'oops'",
             (long long)l3);
    assert_string_equal(msg, exp);
    expect_same_parallel(bad, m, NULL);
    /* max_rows and header off behave as in one piece */
    lt_csv_options o = lt_csv_options_default();
    o.max_rows = R / 2 + 7;
    expect_same_parallel(s, n, &o);
    o = lt_csv_options_default();
    o.header = 0;
    expect_same_parallel(s, n, &o);
    /* the default (no LATHE_CSV_THREADS) agrees too */
    lt_table *u = NULL;
    assert_ok(read_threads(s, n, "big.csv", NULL, 0, &t, msg, sizeof msg));
    assert_ok(read_threads(s, n, "big.csv", NULL, 1, &u, msg, sizeof msg));
    assert_same_table(t, u);
    lt_table_free(t);
    lt_table_free(u);
    free(two);
    free(bad);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_num_tricky),
        cmocka_unit_test(test_hash_and_levels),
        cmocka_unit_test(test_fast_matches_bytewise),
        cmocka_unit_test(test_chunked_inference),
        cmocka_unit_test(test_parallel_matches_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
