/* Splits and k-fold: partition, sortedness, class shares, whole groups,
 * latest rows to test, each row in exactly one fold, determinism, errors. */
#include "test_util.h"

/* Train and test are sorted, disjoint, and cover 0..n-1. */
static void check_partition(const lt_split *s, int64_t n)
{
    assert_int_equal(s->ntrain + s->ntest, n);
    assert_true(s->ntrain >= 1 && s->ntest >= 1);
    char *seen = calloc((size_t)n, 1);
    for (int64_t i = 0; i < s->ntrain; i++) {
        assert_true(i == 0 || s->train[i] > s->train[i - 1]);
        seen[s->train[i]]++;
    }
    for (int64_t i = 0; i < s->ntest; i++) {
        assert_true(i == 0 || s->test[i] > s->test[i - 1]);
        seen[s->test[i]]++;
    }
    for (int64_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
}

static void test_random(void **state)
{
    (void)state;
    lt_split a, b, c;
    assert_ok(lt_split_random(1000, 0.2, 42, &a));
    check_partition(&a, 1000);
    assert_int_equal(a.ntest, 200);
    assert_ok(lt_split_random(1000, 0.2, 42, &b));
    assert_memory_equal(a.test, b.test, (size_t)a.ntest * sizeof(int64_t));
    assert_ok(lt_split_random(1000, 0.2, 43, &c));
    assert_true(memcmp(a.test, c.test, (size_t)a.ntest * sizeof(int64_t)) != 0);
    lt_split_free(&a);
    lt_split_free(&b);
    lt_split_free(&c);
    lt_split_free(NULL);
    /* tiny inputs keep one row per side */
    assert_ok(lt_split_random(2, 0.01, 1, &a));
    check_partition(&a, 2);
    lt_split_free(&a);
    assert_ok(lt_split_random(3, 0.99, 1, &a));
    check_partition(&a, 3);
    lt_split_free(&a);
}

static void test_errors(void **state)
{
    (void)state;
    lt_split s;
    assert_int_equal(lt_split_random(10, 0, 1, &s), LT_EINVAL);
    assert_error_contains("test_frac must be in (0, 1)");
    assert_int_equal(lt_split_random(10, 1, 1, &s), LT_EINVAL);
    assert_int_equal(lt_split_random(10, NAN, 1, &s), LT_EINVAL);
    assert_int_equal(lt_split_random(1, 0.5, 1, &s), LT_EINVAL);
    assert_error_contains("at least 2 rows");
    int64_t g[4] = {7, 7, 7, 7};
    assert_int_equal(lt_split_group(g, 4, 0.5, 1, &s), LT_EINVAL);
    assert_error_contains("one group");
    int32_t lab[3] = {0, -1, 1};
    assert_int_equal(lt_split_stratified(lab, 3, 0.5, 1, &s), LT_EINVAL);
    assert_error_contains("row 1");
    double tm[3] = {1, NAN, 2};
    assert_int_equal(lt_split_time(tm, 3, 0.5, &s), LT_EINVAL);
    lt_split f[5];
    assert_int_equal(lt_kfold(10, 1, 1, NULL, NULL, f), LT_EINVAL);
    assert_error_contains("k must be >= 2");
    assert_int_equal(lt_kfold(4, 5, 1, NULL, NULL, f), LT_EINVAL);
    int32_t st[10] = {0};
    int64_t gr[10] = {0};
    assert_int_equal(lt_kfold(10, 2, 1, st, gr, f), LT_EINVAL);
    assert_error_contains("exclusive");
    int64_t two[10] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    assert_int_equal(lt_kfold(10, 3, 1, NULL, two, f), LT_EINVAL);
    assert_error_contains("2 distinct groups");
}

static void test_stratified(void **state)
{
    (void)state;
    enum { N = 1000 };
    int32_t lab[N];
    for (int i = 0; i < N; i++)
        lab[i] = i % 100 < 3 ? 1 : (i % 100 < 10 ? 2 : 0); /* 3%, 7%, 90% */
    lt_split s;
    assert_ok(lt_split_stratified(lab, N, 0.25, 9, &s));
    check_partition(&s, N);
    assert_int_equal(s.ntest, 250);
    int cnt[3] = {0};
    for (int64_t i = 0; i < s.ntest; i++)
        cnt[lab[s.test[i]]]++;
    assert_true(abs(cnt[1] - 8) <= 1);  /* 30 * 0.25 = 7.5 */
    assert_true(abs(cnt[2] - 18) <= 1); /* 70 * 0.25 = 17.5 */
    assert_true(abs(cnt[0] - 225) <= 1);
    lt_split u;
    assert_ok(lt_split_stratified(lab, N, 0.25, 9, &u));
    assert_memory_equal(s.test, u.test, (size_t)s.ntest * sizeof(int64_t));
    lt_split_free(&s);
    lt_split_free(&u);
}

static void test_group(void **state)
{
    (void)state;
    enum { N = 600 };
    int64_t g[N];
    for (int i = 0; i < N; i++)
        g[i] = 1000 + (i * 7) % 20; /* 20 machines, interleaved rows */
    lt_split s;
    assert_ok(lt_split_group(g, N, 0.3, 5, &s));
    check_partition(&s, N);
    char side[2000] = {0};
    for (int64_t i = 0; i < s.ntest; i++)
        side[g[s.test[i]]] |= 1;
    for (int64_t i = 0; i < s.ntrain; i++)
        side[g[s.train[i]]] |= 2;
    int ntest_groups = 0;
    for (int k = 0; k < 2000; k++) {
        assert_true(side[k] != 3); /* no group straddles */
        ntest_groups += side[k] == 1;
    }
    assert_int_equal(ntest_groups, 6);
    lt_split_free(&s);
}

static void test_time(void **state)
{
    (void)state;
    double t[10] = {5, 1, 9, 3, 9, 0, 7, 2, 8, 4};
    lt_split s;
    assert_ok(lt_split_time(t, 10, 0.3, &s));
    check_partition(&s, 10);
    assert_int_equal(s.ntest, 3);
    /* latest: 9 (row 2), 9 (row 4), 8 (row 8) */
    assert_int_equal(s.test[0], 2);
    assert_int_equal(s.test[1], 4);
    assert_int_equal(s.test[2], 8);
    lt_split_free(&s);
    /* ties keep row order: with all times equal the last rows go to test */
    double same[4] = {1, 1, 1, 1};
    assert_ok(lt_split_time(same, 4, 0.5, &s));
    assert_int_equal(s.test[0], 2);
    assert_int_equal(s.test[1], 3);
    lt_split_free(&s);
}

/* Each row is in exactly one test fold; each fold partitions 0..n-1. */
static void check_folds(lt_split *f, int k, int64_t n)
{
    int *hits = calloc((size_t)n, sizeof *hits);
    for (int i = 0; i < k; i++) {
        check_partition(&f[i], n);
        for (int64_t j = 0; j < f[i].ntest; j++)
            hits[f[i].test[j]]++;
    }
    for (int64_t j = 0; j < n; j++)
        assert_int_equal(hits[j], 1);
    free(hits);
}

static void test_kfold(void **state)
{
    (void)state;
    enum { N = 103, K = 5 };
    lt_split f[K], h[K];
    assert_ok(lt_kfold(N, K, 3, NULL, NULL, f));
    check_folds(f, K, N);
    for (int i = 0; i < K; i++)
        assert_true(f[i].ntest == 20 || f[i].ntest == 21);
    assert_ok(lt_kfold(N, K, 3, NULL, NULL, h));
    for (int i = 0; i < K; i++) {
        assert_memory_equal(f[i].test, h[i].test, (size_t)f[i].ntest * sizeof(int64_t));
        lt_split_free(&f[i]);
        lt_split_free(&h[i]);
    }
    /* stratified: every fold holds 2 of the 10 minority rows */
    int32_t lab[N];
    for (int i = 0; i < N; i++)
        lab[i] = i < 10 ? 1 : 0;
    assert_ok(lt_kfold(N, K, 3, lab, NULL, f));
    check_folds(f, K, N);
    for (int i = 0; i < K; i++) {
        int minority = 0;
        for (int64_t j = 0; j < f[i].ntest; j++)
            minority += lab[f[i].test[j]];
        assert_int_equal(minority, 2);
        lt_split_free(&f[i]);
    }
    /* grouped: no group in two folds */
    int64_t g[N];
    for (int i = 0; i < N; i++)
        g[i] = i % 13;
    assert_ok(lt_kfold(N, K, 3, NULL, g, f));
    check_folds(f, K, N);
    int fold_of[13];
    for (int i = 0; i < 13; i++)
        fold_of[i] = -1;
    for (int i = 0; i < K; i++) {
        for (int64_t j = 0; j < f[i].ntest; j++) {
            int64_t grp = g[f[i].test[j]];
            assert_true(fold_of[grp] == -1 || fold_of[grp] == i);
            fold_of[grp] = i;
        }
        lt_split_free(&f[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stratified), cmocka_unit_test(test_group),
        cmocka_unit_test(test_time),   cmocka_unit_test(test_kfold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
