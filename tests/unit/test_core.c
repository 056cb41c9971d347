/* Unit tests for src/core: errors, RNG, tensors, the GEMM door, named state,
 * file helpers and the thread setting. */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>

/* ---- errors ---------------------------------------------------------------- */

static void test_error_basic(void **st)
{
    (void)st;
    lt_error_clear();
    assert_string_equal(lt_last_error(), "");
    assert_int_equal(lt_error(LT_EINVAL, "C must be > 0, got %g", -1.5), LT_EINVAL);
    assert_string_equal(lt_last_error(), "C must be > 0, got -1.5");
    assert_int_equal(lt_error_wrap(LT_EIO, "reading %s: ", "model.lt"), LT_EIO);
    assert_string_equal(lt_last_error(), "reading model.lt: C must be > 0, got -1.5");
    lt_error_clear();
    assert_string_equal(lt_last_error(), "");
    assert_non_null(lt_last_error());
}

static void test_error_self_reference(void **st)
{
    (void)st;
    /* Callers naturally write lt_error(rc, "...: %s", lt_last_error()); the
     * old message must survive being an argument of the new one. */
    lt_error(LT_EIO, "disk full");
    lt_error(LT_EIO, "saving x: %s (retry)", lt_last_error());
    assert_string_equal(lt_last_error(), "saving x: disk full (retry)");
    lt_error_wrap(LT_EIO, "[%s] ", lt_last_error());
    assert_string_equal(lt_last_error(),
                        "[saving x: disk full (retry)] saving x: disk full (retry)");
}

static void test_error_long_message_truncated(void **st)
{
    (void)st;
    char big[5000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lt_error(LT_EINVAL, "%s", big);
    size_t n = strlen(lt_last_error());
    assert_true(n > 100 && n < sizeof big);
    lt_error_wrap(LT_EINVAL, "%s", big);
    assert_true(strlen(lt_last_error()) < sizeof big);
}

static void *thread_body(void *arg)
{
    int *seen_empty = arg;
    /* A fresh thread starts with no message, whatever the main thread set. */
    *seen_empty = lt_last_error()[0] == '\0';
    lt_error(LT_EFORMAT, "set in the worker");
    return NULL;
}

static void test_error_thread_local(void **st)
{
    (void)st;
    lt_error(LT_EINVAL, "set in main");
    pthread_t th;
    int seen_empty = 0;
    assert_int_equal(pthread_create(&th, NULL, thread_body, &seen_empty), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(seen_empty);
    assert_string_equal(lt_last_error(), "set in main");
}

static void test_status_names(void **st)
{
    (void)st;
    assert_string_equal(lt_status_name(LT_OK), "OK");
    assert_string_equal(lt_status_name(LT_EINVAL), "EINVAL");
    assert_string_equal(lt_status_name(LT_EIO), "EIO");
    assert_string_equal(lt_status_name(LT_EFORMAT), "EFORMAT");
    assert_string_equal(lt_status_name(LT_ENOMEM), "ENOMEM");
    assert_string_equal(lt_status_name(LT_ENOTFOUND), "ENOTFOUND");
    assert_string_equal(lt_status_name(LT_ETYPE), "ETYPE");
    assert_string_equal(lt_status_name(LT_ECORRUPT), "ECORRUPT");
    assert_string_equal(lt_status_name(LT_EUNSUPPORTED), "EUNSUPPORTED");
    assert_string_equal(lt_status_name(LT_ESTATE), "ESTATE");
    assert_string_equal(lt_status_name(LT_ELIMIT), "ELIMIT");
    assert_string_equal(lt_status_name(-999), "EUNKNOWN");
    assert_string_equal(lt_status_name(5), "EUNKNOWN");
}

static int log_calls;
static char log_last[256];
static void log_hook(lt_log_level level, const char *msg, void *user)
{
    (void)level;
    log_calls += *(int *)user;
    snprintf(log_last, sizeof log_last, "%s", msg);
}

static void test_log_hook(void **st)
{
    (void)st;
    lt_log(LT_LOG_INFO, "silent by default %d", 1); /* must not crash or print */
    int one = 1;
    lt_log_set_hook(log_hook, &one);
    lt_log(LT_LOG_WARN, "epoch %d loss %.2f", 3, 0.25);
    assert_int_equal(log_calls, 1);
    assert_string_equal(log_last, "epoch 3 loss 0.25");
    lt_log_set_hook(NULL, NULL);
    lt_log(LT_LOG_WARN, "dropped");
    assert_int_equal(log_calls, 1);
}

/* ---- rng ------------------------------------------------------------------- */

static void test_rng_deterministic(void **st)
{
    (void)st;
    lt_rng a, b, c;
    lt_rng_seed(&a, 42);
    lt_rng_seed(&b, 42);
    lt_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = lt_rng_u64(&a), y = lt_rng_u64(&b), z = lt_rng_u64(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_true(differ > 990);
    /* Seed 0 must not give the all-zero (stuck) xoshiro state. */
    lt_rng_seed(&a, 0);
    assert_true(a.s[0] | a.s[1] | a.s[2] | a.s[3]);
    uint64_t first = lt_rng_u64(&a);
    assert_true(first != lt_rng_u64(&a));
}

static void test_rng_uniform(void **st)
{
    (void)st;
    lt_rng r;
    lt_rng_seed(&r, 7);
    const int n = 200000;
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        double u = lt_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        sum2 += u * u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    assert_near(mean, 0.5, 0.005);      /* SE = 0.29/sqrt(2e5) = 6.5e-4 */
    assert_near(var, 1.0 / 12.0, 0.002);
    assert_true(lo < 1e-3 && hi > 1 - 1e-3);
}

static void test_rng_normal(void **st)
{
    (void)st;
    lt_rng r;
    lt_rng_seed(&r, 11);
    const int n = 200000;
    double sum = 0, sum2 = 0, sum3 = 0;
    int beyond2 = 0;
    for (int i = 0; i < n; i++) {
        double z = lt_rng_normal(&r);
        assert_true(isfinite(z));
        sum += z;
        sum2 += z * z;
        sum3 += z * z * z;
        beyond2 += fabs(z) > 2.0;
    }
    assert_near(sum / n, 0.0, 0.01);
    assert_near(sum2 / n, 1.0, 0.02);
    assert_near(sum3 / n, 0.0, 0.05);
    assert_near((double)beyond2 / n, 0.0455, 0.003); /* two-sided tail beyond 2 sigma */
}

static void test_rng_below(void **st)
{
    (void)st;
    lt_rng r;
    lt_rng_seed(&r, 3);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(lt_rng_below(&r, 1), 0);
    enum { K = 7, N = 70000 };
    int count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t x = lt_rng_below(&r, K);
        assert_true(x < K);
        count[x]++;
    }
    /* Chi-square with 6 degrees of freedom; 22.5 is the 0.1 % critical value. */
    double chi2 = 0, e = (double)N / K;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    assert_true(chi2 < 22.5);
    /* Huge bounds, including one just above 2^63 where naive modulo is most biased. */
    uint64_t big = (UINT64_C(1) << 63) + 12345;
    int upper = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = lt_rng_below(&r, big);
        assert_true(x < big);
        upper += x >= big / 2;
    }
    assert_true(upper > 4700 && upper < 5300);
    assert_true(lt_rng_below(&r, UINT64_MAX) < UINT64_MAX);
}

static void test_rng_shuffle(void **st)
{
    (void)st;
    lt_rng r;
    lt_rng_seed(&r, 5);
    enum { N = 100 };
    int64_t idx[N];
    for (int i = 0; i < N; i++)
        idx[i] = i;
    lt_rng_shuffle(&r, idx, N);
    int seen[N] = {0}, fixed = 0;
    for (int i = 0; i < N; i++) {
        assert_true(idx[i] >= 0 && idx[i] < N);
        seen[idx[i]]++;
        fixed += idx[i] == i;
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_true(fixed < 10); /* expected 1 fixed point */

    /* Same seed, same permutation; n = 0 and n = 1 are no-ops. */
    int64_t a[N], b[N];
    for (int i = 0; i < N; i++)
        a[i] = b[i] = i;
    lt_rng ra, rb;
    lt_rng_seed(&ra, 9);
    lt_rng_seed(&rb, 9);
    lt_rng_shuffle(&ra, a, N);
    lt_rng_shuffle(&rb, b, N);
    assert_memory_equal(a, b, sizeof a);
    int64_t one = 17;
    lt_rng_shuffle(&r, &one, 1);
    assert_int_equal(one, 17);
    lt_rng_shuffle(&r, NULL, 0);

    /* Every position is equally likely: element 0 of a 4-shuffle lands
     * anywhere with probability 1/4. */
    int pos[4] = {0};
    for (int t = 0; t < 40000; t++) {
        int64_t v[4] = {0, 1, 2, 3};
        lt_rng_shuffle(&r, v, 4);
        for (int i = 0; i < 4; i++)
            if (v[i] == 0)
                pos[i]++;
    }
    for (int i = 0; i < 4; i++)
        assert_true(pos[i] > 9500 && pos[i] < 10500);
}

/* ---- tensors --------------------------------------------------------------- */

static void test_tensor_new(void **st)
{
    (void)st;
    int64_t shape[3] = {2, 3, 4};
    lt_tensor *t = lt_tensor_new(3, shape);
    assert_non_null(t);
    assert_int_equal(t->ndim, 3);
    assert_int_equal(lt_tensor_numel(t), 24);
    assert_true(t->owns_data);
    for (int i = 0; i < 24; i++)
        assert_true(t->data[i] == 0.0f);
    lt_tensor_free(t);

    t = lt_tensor_new2(5, 7);
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 5);
    assert_int_equal(t->shape[1], 7);
    assert_int_equal(lt_tensor_numel(t), 35);
    lt_tensor_free(t);

    /* Empty tensors are legal (a batch of zero rows). */
    t = lt_tensor_new2(0, 7);
    assert_non_null(t);
    assert_int_equal(lt_tensor_numel(t), 0);
    lt_tensor_free(t);

    int64_t four[4] = {1, 2, 1, 2};
    t = lt_tensor_new(4, four);
    assert_non_null(t);
    assert_int_equal(lt_tensor_numel(t), 4);
    lt_tensor_free(t);
    lt_tensor_free(NULL);
}

static void test_tensor_bad_shapes(void **st)
{
    (void)st;
    int64_t shape[5] = {1, 1, 1, 1, 1};
    lt_error_clear();
    assert_null(lt_tensor_new(0, shape));
    assert_error_contains("ndim");
    assert_null(lt_tensor_new(5, shape));
    assert_error_contains("ndim");
    assert_null(lt_tensor_new2(-1, 3));
    assert_error_contains("negative");
    assert_null(lt_tensor_new2(3, -2));
    int64_t huge[2] = {INT64_C(1) << 40, INT64_C(1) << 40};
    assert_null(lt_tensor_new(2, huge));
    assert_error_contains("too large");
}

static void test_tensor_view_clone(void **st)
{
    (void)st;
    lt_tensor *t = lt_tensor_new2(3, 4);
    assert_non_null(t);
    for (int i = 0; i < 12; i++)
        t->data[i] = (float)i;

    int64_t vs[1] = {4};
    lt_tensor *row1 = lt_tensor_view(t, 1, vs, 4);
    assert_non_null(row1);
    assert_false(row1->owns_data);
    assert_int_equal(lt_tensor_numel(row1), 4);
    assert_true(row1->data[0] == 4.0f && row1->data[3] == 7.0f);
    row1->data[0] = 100.0f; /* shares the base */
    assert_true(t->data[4] == 100.0f);

    int64_t all[2] = {6, 2};
    lt_tensor *re = lt_tensor_view(t, 2, all, 0);
    assert_non_null(re);
    assert_true(re->data[2 * 2 + 0] == 100.0f);
    lt_tensor_free(re);

    /* Past the end, negative offset, bad ndim. */
    int64_t five[1] = {5};
    assert_null(lt_tensor_view(t, 1, five, 8));
    assert_error_contains("exceed");
    assert_null(lt_tensor_view(t, 1, vs, -1));
    int64_t big[1] = {13};
    assert_null(lt_tensor_view(t, 1, big, 0));
    assert_null(lt_tensor_view(t, 1, vs, INT64_MAX - 2)); /* offset + n must not overflow */
    assert_null(lt_tensor_view(t, 0, vs, 0));
    int64_t exact[1] = {4};
    lt_tensor *last = lt_tensor_view(t, 1, exact, 8);
    assert_non_null(last);
    lt_tensor_free(last);

    lt_tensor *c = lt_tensor_clone(t);
    assert_non_null(c);
    assert_true(c->owns_data);
    assert_int_equal(c->ndim, 2);
    assert_int_equal(c->shape[0], 3);
    assert_int_equal(c->shape[1], 4);
    assert_memory_equal(c->data, t->data, 12 * sizeof(float));
    c->data[0] = -1.0f;
    assert_true(t->data[0] == 0.0f);

    /* A clone of a view owns a copy of just the view's elements. */
    lt_tensor *cv = lt_tensor_clone(row1);
    assert_non_null(cv);
    assert_true(cv->owns_data);
    assert_true(cv->data[0] == 100.0f);
    lt_tensor_free(cv);

    lt_tensor_free(row1); /* frees the view, not the base's data */
    assert_true(t->data[5] == 5.0f);
    lt_tensor_free(c);
    lt_tensor_free(t);
}

/* ---- the GEMM door --------------------------------------------------------- */

/* Reference: C = alpha op(A) op(B) + beta C, row-major with strides. */
static void ref_gemm(int ta, int tb, int m, int n, int k, double alpha, const double *a, int lda,
                     const double *b, int ldb, double beta, double *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                double x = ta ? a[p * lda + i] : a[i * lda + p];
                double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                s += x * y;
            }
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
}

static void test_gemm_all_transposes(void **st)
{
    (void)st;
    const int m = 5, n = 3, k = 7;
    const double alpha = 1.5, beta = -0.5;
    lt_rng r;
    lt_rng_seed(&r, 1);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* Stored A is m x k (or k x m when transposed), with 2 spare columns
             * so the row stride exceeds the logical width. */
            int arows = ta ? k : m, acols = ta ? m : k, lda = acols + 2;
            int brows = tb ? n : k, bcols = tb ? k : n, ldb = bcols + 3;
            int ldc = n + 1;
            double ad[64], bd[64], cd[64], cref[64];
            float af[64], bf[64], cf[64];
            for (int i = 0; i < 64; i++) {
                ad[i] = (double)(float)lt_rng_normal(&r);
                bd[i] = (double)(float)lt_rng_normal(&r);
                cd[i] = cref[i] = (double)(float)lt_rng_normal(&r);
                af[i] = (float)ad[i];
                bf[i] = (float)bd[i];
                cf[i] = (float)cd[i];
            }
            assert_true(arows * lda <= 64 && brows * ldb <= 64 && m * ldc <= 64);
            ref_gemm(ta, tb, m, n, k, alpha, ad, lda, bd, ldb, beta, cref, ldc);
            lt_dgemm(ta, tb, m, n, k, alpha, ad, lda, bd, ldb, beta, cd, ldc);
            lt_sgemm(ta, tb, m, n, k, (float)alpha, af, lda, bf, ldb, (float)beta, cf, ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assert_near(cd[i * ldc + j], cref[i * ldc + j], 1e-12);
                    assert_near(cf[i * ldc + j], cref[i * ldc + j], 1e-4);
                }
                /* The padding column of C is left alone. */
                assert_true(cd[i * ldc + n] == cref[i * ldc + n]);
                assert_true(cf[i * ldc + n] == (float)cref[i * ldc + n]);
            }
        }
}

static void test_gemm_degenerate(void **st)
{
    (void)st;
    /* m = 0 or n = 0: nothing to do, nothing touched. */
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, c[4] = {9, 9, 9, 9};
    lt_sgemm(0, 0, 0, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
    lt_sgemm(0, 0, 2, 0, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
    for (int i = 0; i < 4; i++)
        assert_true(c[i] == 9.0f);
    /* k = 0: the product is empty, so C = beta * C. */
    lt_sgemm(0, 0, 2, 2, 0, 1.0f, a, 1, b, 2, 0.5f, c, 2);
    for (int i = 0; i < 4; i++)
        assert_near(c[i], 4.5, 1e-6);
    double dc[4] = {2, 2, 2, 2}, da[1] = {0}, db[2] = {0, 0};
    lt_dgemm(0, 0, 2, 2, 0, 1.0, da, 1, db, 2, 0.0, dc, 2);
    for (int i = 0; i < 4; i++)
        assert_true(dc[i] == 0.0);
}

static void test_sgemv(void **st)
{
    (void)st;
    const int m = 4, n = 6, lda = 9;
    float a[4 * 9], x[6], y[6], y0[6];
    lt_rng r;
    lt_rng_seed(&r, 2);
    for (int i = 0; i < m * lda; i++)
        a[i] = (float)lt_rng_normal(&r);
    for (int i = 0; i < 6; i++) {
        x[i] = (float)lt_rng_normal(&r);
        y0[i] = (float)lt_rng_normal(&r);
    }
    for (int trans = 0; trans < 2; trans++) {
        int ylen = trans ? n : m, xlen = trans ? m : n;
        memcpy(y, y0, sizeof y);
        lt_sgemv(trans, m, n, 2.0f, a, lda, x, 0.25f, y);
        for (int i = 0; i < ylen; i++) {
            double s = 0;
            for (int p = 0; p < xlen; p++)
                s += (double)(trans ? a[p * lda + i] : a[i * lda + p]) * x[p];
            assert_near(y[i], 2.0 * s + 0.25 * y0[i], 1e-4);
        }
    }
}

/* ---- named state ----------------------------------------------------------- */

static void test_state(void **st)
{
    (void)st;
    lt_state *s = lt_state_new();
    assert_non_null(s);
    assert_int_equal(lt_state_count(s), 0);
    assert_null(lt_state_get(s, "w"));

    float w[6] = {1, 2, 3, 4, 5, 6};
    int64_t sw[2] = {2, 3};
    assert_ok(lt_state_put(s, "w", 2, sw, w));
    w[0] = 99; /* put copies */
    int64_t sb[1] = {3};
    assert_ok(lt_state_put(s, "b", 1, sb, NULL)); /* NULL data: zeros */
    assert_int_equal(lt_state_count(s), 2);
    assert_string_equal(lt_state_name_at(s, 0), "w");
    assert_string_equal(lt_state_name_at(s, 1), "b");

    const lt_tensor *t = lt_state_get(s, "w");
    assert_non_null(t);
    assert_true(t->data[0] == 1.0f && t->data[5] == 6.0f);
    assert_ptr_equal(lt_state_tensor_at(s, 0), t);
    t = lt_state_get(s, "b");
    assert_true(t->data[0] == 0.0f && t->data[2] == 0.0f);

    /* Replacing keeps the order and the count, and may change the shape. */
    float w2[4] = {7, 8, 9, 10};
    int64_t sw2[2] = {2, 2};
    assert_ok(lt_state_put(s, "w", 2, sw2, w2));
    assert_int_equal(lt_state_count(s), 2);
    assert_string_equal(lt_state_name_at(s, 0), "w");
    t = lt_state_get(s, "w");
    assert_int_equal(t->shape[1], 2);
    assert_true(t->data[3] == 10.0f);

    const lt_tensor *out = NULL;
    assert_ok(lt_state_expect(s, "w", 2, sw2, &out));
    assert_ptr_equal(out, t);
    int rc = lt_state_expect(s, "w", 2, sw, &out);
    assert_true(rc < 0);
    assert_error_contains("'w'");
    assert_error_contains("shape");
    int64_t flat[1] = {4};
    assert_true(lt_state_expect(s, "w", 1, flat, &out) < 0);
    rc = lt_state_expect(s, "nope", 1, flat, &out);
    assert_true(rc < 0);
    assert_error_contains("'nope'");
    assert_error_contains("missing");

    /* Bad names and shapes are refused and leave the state unchanged. */
    assert_int_equal(lt_state_put(s, "", 1, flat, NULL), LT_EINVAL);
    int64_t neg[1] = {-1};
    assert_true(lt_state_put(s, "x", 1, neg, NULL) < 0);
    assert_error_contains("'x'");
    assert_int_equal(lt_state_count(s), 2);

    /* Grow past the initial capacity. */
    char name[32];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "layer%d.weight", i);
        float v = (float)i;
        assert_ok(lt_state_put(s, name, 1, (int64_t[]){1}, &v));
    }
    assert_int_equal(lt_state_count(s), 52);
    t = lt_state_get(s, "layer37.weight");
    assert_non_null(t);
    assert_true(t->data[0] == 37.0f);
    lt_state_free(s);
    lt_state_free(NULL);
}

/* ---- files ----------------------------------------------------------------- */

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static void test_read_file(void **st)
{
    (void)st;
    char path[1024];
    snprintf(path, sizeof path, "%s/core_missing_file.txt", test_tmp_dir());
    char *buf = (char *)1;
    size_t len = 1;
    assert_int_equal(lt_read_file(path, 0, &buf, &len), LT_EIO);
    assert_error_contains(path);
    assert_null(buf);
    assert_int_equal(len, 0);

    /* A file bigger than the first 64 KiB read buffer. */
    size_t n = 200000;
    char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 31 + 7);
    snprintf(path, sizeof path, "%s/core_read.bin", test_tmp_dir());
    assert_ok(lt_write_file_atomic(path, data, n));
    assert_ok(lt_read_file(path, 0, &buf, &len));
    assert_int_equal(len, n);
    assert_memory_equal(buf, data, n);
    free(buf);

    /* Limits: exactly at the limit is fine, one byte less is ELIMIT. */
    assert_ok(lt_read_file(path, n, &buf, &len));
    assert_int_equal(len, n);
    free(buf);
    assert_int_equal(lt_read_file(path, n - 1, &buf, &len), LT_ELIMIT);
    assert_error_contains(path);
    assert_null(buf);
    assert_int_equal(lt_read_file(path, 10, &buf, &len), LT_ELIMIT);
    assert_ok(lt_read_file(path, 1 << 20, &buf, &len));
    assert_int_equal(len, n);
    free(buf);

    /* Empty file. */
    snprintf(path, sizeof path, "%s/core_empty.bin", test_tmp_dir());
    assert_ok(lt_write_file_atomic(path, "", 0));
    assert_ok(lt_read_file(path, 0, &buf, &len));
    assert_int_equal(len, 0);
    free(buf);

    /* A directory is not a file. */
    assert_true(lt_read_file(test_tmp_dir(), 0, &buf, &len) < 0);
    assert_error_contains(test_tmp_dir());
    free(data);
}

static void test_write_file_atomic(void **st)
{
    (void)st;
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/atomic", test_tmp_dir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/out.txt", dir);

    const char *first = "first version\n", *second = "second, longer version\n";
    assert_ok(lt_write_file_atomic(path, first, strlen(first)));
    char *buf;
    size_t len;
    assert_ok(lt_read_file(path, 0, &buf, &len));
    assert_int_equal(len, strlen(first));
    assert_memory_equal(buf, first, len);
    free(buf);

    /* Overwrite replaces the content whole. */
    assert_ok(lt_write_file_atomic(path, second, strlen(second)));
    assert_ok(lt_read_file(path, 0, &buf, &len));
    assert_int_equal(len, strlen(second));
    assert_memory_equal(buf, second, len);
    free(buf);

    /* No temp file left behind: the directory holds exactly out.txt. */
    assert_int_equal(count_entries(dir, "out.txt"), 1);
    assert_int_equal(count_entries(dir, "out.txt.tmp"), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true((sb.st_mode & 0444) == 0444);

    /* Missing directory: a clean EIO naming the path, and nothing created. */
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/no_such_dir/out.txt", dir);
    assert_int_equal(lt_write_file_atomic(bad, "x", 1), LT_EIO);
    assert_error_contains(bad);
    snprintf(bad, sizeof bad, "%s/no_such_dir", dir);
    assert_int_equal(access(bad, F_OK), -1);
    assert_int_equal(count_entries(dir, ""), 3); /* ".", "..", out.txt */

    /* A directory in the way of the final name: refused, the temp file removed. */
    snprintf(bad, sizeof bad, "%s/sub", dir);
    mkdir(bad, 0755);
    assert_int_equal(lt_write_file_atomic(bad, "x", 1), LT_EIO);
    assert_int_equal(count_entries(dir, "sub.tmp"), 0);
    rmdir(bad);
}

static void test_alloc_helpers(void **st)
{
    (void)st;
    char *s = lt_strdup("lathe");
    assert_string_equal(s, "lathe");
    free(s);
    void *p = lt_malloc(0); /* never NULL for 0 bytes */
    assert_non_null(p);
    free(p);
    int *z = lt_calloc(10, sizeof(int));
    assert_non_null(z);
    for (int i = 0; i < 10; i++)
        assert_int_equal(z[i], 0);
    free(z);
}

/* ---- threads and clock ----------------------------------------------------- */

static void test_threads(void **st)
{
    (void)st;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(lt_get_threads() >= 1);
    lt_set_threads(1);
    assert_int_equal(lt_get_threads(), 1);
    lt_set_threads(3);
    assert_int_equal(lt_get_threads(), 3);
    lt_set_threads(0); /* all cores */
    assert_int_equal(lt_get_threads(), (int)(cores > 0 ? cores : 1));
    lt_set_threads(-5);
    assert_int_equal(lt_get_threads(), (int)(cores > 0 ? cores : 1));

    /* Serial sections nest and leave the setting alone. */
    lt_set_threads(2);
    lt_blas_serial_begin();
    lt_blas_serial_begin();
    lt_blas_serial_end();
    lt_blas_serial_end();
    lt_blas_serial_end(); /* unbalanced end is harmless */
    assert_int_equal(lt_get_threads(), 2);
    lt_set_threads(0);
}

static void test_clock(void **st)
{
    (void)st;
    double a = lt_now();
    usleep(20000);
    double b = lt_now();
    assert_true(b - a >= 0.015 && b - a < 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_basic),
        cmocka_unit_test(test_error_self_reference),
        cmocka_unit_test(test_error_long_message_truncated),
        cmocka_unit_test(test_error_thread_local),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_log_hook),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_rng_uniform),
        cmocka_unit_test(test_rng_normal),
        cmocka_unit_test(test_rng_below),
        cmocka_unit_test(test_rng_shuffle),
        cmocka_unit_test(test_tensor_new),
        cmocka_unit_test(test_tensor_bad_shapes),
        cmocka_unit_test(test_tensor_view_clone),
        cmocka_unit_test(test_gemm_all_transposes),
        cmocka_unit_test(test_gemm_degenerate),
        cmocka_unit_test(test_sgemv),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_alloc_helpers),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
