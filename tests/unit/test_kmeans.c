/* Unit tests for k-means (src/ml/kmeans.c, kmeans_hamerly.c) and the
 * clustering metrics, against scikit-learn's numbers in
 * ref/clustering_ref.h (ref/clustering_ref.py, run once). */
#include "test_util.h"

#include "ref/clustering_ref.h"

/* n rows around each of the k centers (d dims), N(0, sigma); labels = blob. */
static float *blobs(const float *centers, int k, int d, int per, double sigma, uint64_t seed,
                    int32_t *labels)
{
    float *X = malloc(sizeof(float) * (size_t)(k * per * d));
    lt_rng r;
    lt_rng_seed(&r, seed);
    for (int c = 0; c < k; c++)
        for (int i = 0; i < per; i++) {
            for (int f = 0; f < d; f++)
                X[(c * per + i) * d + f] = centers[c * d + f] + (float)(sigma * lt_rng_normal(&r));
            if (labels)
                labels[c * per + i] = c;
        }
    return X;
}

static lt_model *fit_kmeans(const float *X, int64_t n, int64_t d, const char *k, const char *algo,
                            uint64_t seed)
{
    lt_model *m;
    assert_ok(lt_model_new("kmeans", &m));
    assert_ok(lt_model_set_param(m, "k", k));
    assert_ok(lt_model_set_param(m, "algorithm", algo));
    lt_model_set_seed(m, seed);
    assert_ok(lt_model_fit(m, LT_TASK_CLUSTER, X, n, d, NULL, 0, NULL));
    return m;
}

static double described(const lt_model *m, const char *key)
{
    char *s = m->vt->describe(m), pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(s, pat);
    double v = p ? strtod(p + strlen(pat), NULL) : NAN;
    free(s);
    return v;
}

static const float C3[] = {0, 0, 20, 0, 0, 20};

static void test_blobs_all_algorithms(void **st)
{
    (void)st;
    const int per = 300, n = 3 * per, d = 2;
    int32_t truth[900], lab[3][900];
    float *X = blobs(C3, 3, d, per, 1.0, 11, truth);
    const char *algos[] = {"lloyd", "hamerly", "minibatch"};
    for (int a = 0; a < 3; a++) {
        lt_model *m = fit_kmeans(X, n, d, "3", algos[a], 5);
        const float *C;
        int64_t k;
        assert_ok(lt_kmeans_centers(m, &C, &k));
        assert_int_equal(k, 3);
        for (int c = 0; c < 3; c++) {  // every true center has a found one within 0.2
            double best = 1e30;
            for (int j = 0; j < 3; j++)
                best = fmin(best, hypot(C[j * d] - C3[c * d], C[j * d + 1] - C3[c * d + 1]));
            if (best > 0.2)
                fail_msg("%s: true center %d is %g away from the nearest found one", algos[a], c,
                         best);
        }
        float out[900];
        assert_ok(lt_model_predict(m, X, n, d, out));
        double inertia = 0;
        for (int i = 0; i < n; i++) {
            lab[a][i] = (int32_t)out[i];
            const float *c = C + lab[a][i] * d;
            inertia += (X[i * d] - c[0]) * (double)(X[i * d] - c[0]) +
                       (X[i * d + 1] - c[1]) * (double)(X[i * d + 1] - c[1]);
        }
        // inertia reported == sum of squared distances to the assigned centers
        assert_near(described(m, "inertia"), inertia, 1e-6 * inertia);
        double ev;
        assert_ok(lt_kmeans_inertia(m, X, n, &ev));
        assert_near(ev, inertia, 1e-6 * inertia);
        assert_near(lt_adjusted_rand_index(truth, lab[a], n), 1.0, 1e-12);
        lt_model_free(m);
    }
    assert_near(lt_adjusted_rand_index(lab[0], lab[1], n), 1.0, 1e-12);
    assert_near(lt_adjusted_rand_index(lab[0], lab[2], n), 1.0, 1e-12);
    free(X);
}

/* Overlapping blobs: Hamerly must reproduce Lloyd's iterations exactly. */
static void test_hamerly_matches_lloyd(void **st)
{
    (void)st;
    const float C[] = {0, 0, 0, 2, 1, 0, 1, 2.5f, 1, 3, 3, 3, -1, 2, 2};
    int per = 400, n = 5 * per, d = 3;
    float *X = blobs(C, 5, d, per, 1.0, 3, NULL);
    lt_model *a = fit_kmeans(X, n, d, "5", "lloyd", 9), *b = fit_kmeans(X, n, d, "5", "hamerly", 9);
    float la[2000], lb[2000];
    assert_ok(lt_model_predict(a, X, n, d, la));
    assert_ok(lt_model_predict(b, X, n, d, lb));
    int diff = 0;
    for (int i = 0; i < n; i++)
        diff += la[i] != lb[i];
    if (diff > 2)  // float GEMM vs double distances may break a near-tie or two
        fail_msg("hamerly and lloyd disagree on %d rows", diff);
    double ia = described(a, "inertia"), ib = described(b, "inertia");
    assert_near(ib, ia, 1e-4 * ia);
    assert_near(described(b, "n_iter"), described(a, "n_iter"), 1);
    lt_model_free(a);
    lt_model_free(b);
    free(X);
}

static void test_determinism(void **st)
{
    (void)st;
    const float C[] = {0, 0, 4, 0, 0, 4, 4, 4};
    int per = 2500, n = 4 * per, d = 2;
    float *X = blobs(C, 4, d, per, 1.5, 21, NULL);
    const char *algos[] = {"lloyd", "hamerly", "minibatch"};
    for (int a = 0; a < 3; a++) {
        lt_set_threads(1);
        lt_model *m1 = fit_kmeans(X, n, d, "4", algos[a], 77);
        lt_set_threads(2);
        lt_model *m2 = fit_kmeans(X, n, d, "4", algos[a], 77);
        lt_model *m3 = fit_kmeans(X, n, d, "4", algos[a], 77);
        const float *c1, *c2, *c3;
        int64_t k;
        assert_ok(lt_kmeans_centers(m1, &c1, &k));
        assert_ok(lt_kmeans_centers(m2, &c2, &k));
        assert_ok(lt_kmeans_centers(m3, &c3, &k));
        if (memcmp(c1, c2, sizeof(float) * 8) || memcmp(c2, c3, sizeof(float) * 8))
            fail_msg("%s: centers differ across runs or thread counts", algos[a]);
        lt_model_free(m1);
        lt_model_free(m2);
        lt_model_free(m3);
    }
    lt_set_threads(0);
    free(X);
}

/* Every table width takes one of three distance paths: the direct kernel
 * with d unrolled (d <= 8), its any-d form (9..16), or GEMM (> 16); fits
 * and predictions also differ in where x^T comes from (a copy made once per
 * fit, or each block transposed in scratch). Whichever: labels are the
 * nearest center by a double brute force (but for near-ties), and a run
 * to strict convergence (tol 0: labels unchanged) leaves each center at
 * its rows' mean. */
static void test_distance_paths(void **st)
{
    (void)st;
    const int dims[] = {1, 3, 5, 8, 12, 16, 20}, k = 6, per = 700, n = k * per;
    const char *algos[] = {"lloyd", "hamerly"};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di];
        float *C0 = malloc(sizeof(float) * (size_t)(k * d));
        lt_rng r;
        lt_rng_seed(&r, 100 + (uint64_t)d);
        for (int q = 0; q < k * d; q++)
            C0[q] = (float)(6 * lt_rng_uniform(&r));
        float *X = blobs(C0, k, d, per, 1.0, 40 + (uint64_t)d, NULL);
        float *out = malloc(sizeof(float) * (size_t)n);
        double *mean = malloc(sizeof(double) * (size_t)(k * d + k));
        for (int a = 0; a < 2; a++) {
            lt_model *m;
            assert_ok(lt_model_new("kmeans", &m));
            assert_ok(lt_model_set_param(m, "k", "6"));
            assert_ok(lt_model_set_param(m, "tol", "0"));
            assert_ok(lt_model_set_param(m, "algorithm", algos[a]));
            lt_model_set_seed(m, 3);
            assert_ok(lt_model_fit(m, LT_TASK_CLUSTER, X, n, d, NULL, 0, NULL));
            const float *C;
            int64_t kk;
            assert_ok(lt_kmeans_centers(m, &C, &kk));
            assert_ok(lt_model_predict(m, X, n, d, out));
            memset(mean, 0, sizeof(double) * (size_t)(k * d + k));
            int bad = 0;
            for (int i = 0; i < n; i++) {
                double b1 = 1e300, b2 = 1e300;
                int bj = -1;
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int f = 0; f < d; f++) {
                        double t = (double)X[i * d + f] - C[j * d + f];
                        s += t * t;
                    }
                    if (s < b1)
                        b2 = b1, b1 = s, bj = j;
                    else if (s < b2)
                        b2 = s;
                }
                const int got = (int)out[i];
                if (got != bj && b2 - b1 > 1e-4 * (1 + b1))
                    bad++;
                for (int f = 0; f < d; f++)
                    mean[got * d + f] += X[i * d + f];
                mean[k * d + got] += 1;
            }
            if (bad)
                fail_msg("d = %d %s: %d rows not at their nearest center", d, algos[a], bad);
            if (!(described(m, "n_iter") < 300))
                fail_msg("d = %d %s: no strict convergence in 300 iterations", d, algos[a]);
            for (int j = 0; j < k; j++) {
                assert_true(mean[k * d + j] > 0);
                for (int f = 0; f < d; f++)
                    assert_near(C[j * d + f], mean[j * d + f] / mean[k * d + j], 1e-4);
            }
            lt_model_free(m);
        }
        free(C0), free(X), free(out), free(mean);
    }
}

/* The same data through k-means++ at 1 and 2 threads and in any column
 * order of the work: seeding and Hamerly's incremental sums included, the
 * centers are bit-identical (fixed units, partial sums added in order). */
static void test_determinism_narrow(void **st)
{
    (void)st;
    const float C[] = {0, 0, 0, 0, 0, 3, 1, 0, 2, 2, 0, 3, 3, 0, 1, 1, 1, 1, 1, 1};
    const int per = 6000, n = 4 * per, d = 5;
    float *X = blobs(C, 4, d, per, 1.3, 5, NULL);
    const char *algos[] = {"lloyd", "hamerly"};
    for (int a = 0; a < 2; a++) {
        lt_set_threads(1);
        lt_model *m1 = fit_kmeans(X, n, d, "7", algos[a], 11);
        lt_set_threads(2);
        lt_model *m2 = fit_kmeans(X, n, d, "7", algos[a], 11);
        const float *c1, *c2;
        int64_t k;
        assert_ok(lt_kmeans_centers(m1, &c1, &k));
        assert_ok(lt_kmeans_centers(m2, &c2, &k));
        if (memcmp(c1, c2, sizeof(float) * (size_t)(7 * d)))
            fail_msg("%s: centers differ between 1 and 2 threads", algos[a]);
        assert_near(described(m1, "n_iter"), described(m2, "n_iter"), 0);
        lt_model_free(m1);
        lt_model_free(m2);
    }
    lt_set_threads(0);
    free(X);
}

static void test_minibatch_close_to_lloyd(void **st)
{
    (void)st;
    const float C[] = {0, 0, 0, 0, 3, 0, 1, 0, 0, 3, 0, 1, 3, 3, 3, 3, -2, 2, 0, 1};
    int per = 4000, n = 5 * per, d = 4;
    float *X = blobs(C, 5, d, per, 1.0, 8, NULL);
    lt_model *l = fit_kmeans(X, n, d, "5", "lloyd", 1), *mb = fit_kmeans(X, n, d, "5", "minibatch", 1);
    double il = described(l, "inertia"), im = described(mb, "inertia");
    if (!(im <= 1.05 * il))  // sklearn's MiniBatchKMeans: +0.1..12% here
        fail_msg("minibatch inertia %g is more than 5%% above lloyd's %g", im, il);
    lt_model_free(l);
    lt_model_free(mb);
    free(X);
}

static void test_n_init_keeps_lowest(void **st)
{
    (void)st;
    const float C[] = {0, 0, 4, 0, 0, 4, 4, 4, 2, 2, 8, 8};
    int per = 200, n = 6 * per, d = 2;
    float *X = blobs(C, 6, d, per, 1.2, 4, NULL);
    lt_model *one, *many;
    assert_ok(lt_model_new("kmeans", &one));
    assert_ok(lt_model_set_params_json(one, "{\"k\":6,\"init\":\"random\",\"n_init\":1}"));
    lt_model_set_seed(one, 100);
    assert_ok(lt_model_fit(one, LT_TASK_CLUSTER, X, n, d, NULL, 0, NULL));
    double best1 = described(one, "inertia");
    lt_model_free(one);
    assert_ok(lt_model_new("kmeans", &many));
    assert_ok(lt_model_set_params_json(many, "{\"k\":6,\"init\":\"random\",\"n_init\":8}"));
    lt_model_set_seed(many, 100);
    assert_ok(lt_model_fit(many, LT_TASK_CLUSTER, X, n, d, NULL, 0, NULL));
    // The first of the 8 restarts is the same run as the single start.
    if (!(described(many, "inertia") <= best1 + 1e-9))
        fail_msg("n_init=8 inertia %g > n_init=1 inertia %g", described(many, "inertia"), best1);
    lt_model_free(many);
    free(X);
}

static void test_errors(void **st)
{
    (void)st;
    lt_model *m;
    assert_ok(lt_model_new("kmeans", &m));
    assert_int_equal(lt_model_set_param(m, "k", "0"), LT_EINVAL);
    assert_error_contains("'k'");
    assert_int_equal(lt_model_set_param(m, "algorithm", "elkan2"), LT_EINVAL);
    assert_ok(lt_model_set_param(m, "k", "5"));
    float X[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(lt_model_fit(m, LT_TASK_CLUSTER, X, 4, 2, NULL, 0, NULL), LT_EINVAL);
    assert_error_contains("'k'");
    assert_error_contains("larger than the number of rows");
    assert_true(lt_model_fit(m, LT_TASK_CLUSTER, X, 0, 2, NULL, 0, NULL) < 0);  // empty
    assert_true(lt_model_fit(m, LT_TASK_CLASSIFICATION, X, 4, 2, X, 2, NULL) < 0);
    float out[4];
    assert_int_equal(lt_model_predict(m, X, 4, 2, out), LT_ESTATE);
    const float *C;
    int64_t k;
    assert_int_equal(lt_kmeans_centers(m, &C, &k), LT_ESTATE);
    lt_model_free(m);
}

static void test_k_equals_n_and_one(void **st)
{
    (void)st;
    float X[8] = {0, 0, 1, 1, 5, 5, 9, 1};
    lt_model *m = fit_kmeans(X, 4, 2, "4", "lloyd", 1);
    assert_near(described(m, "inertia"), 0, 1e-12);
    lt_model_free(m);
    m = fit_kmeans(X, 4, 2, "1", "hamerly", 1);
    const float *C;
    int64_t k;
    assert_ok(lt_kmeans_centers(m, &C, &k));
    assert_near(C[0], 3.75, 1e-6);
    assert_near(C[1], 1.75, 1e-6);
    lt_model_free(m);
}

static void test_save_load(void **st)
{
    (void)st;
    int per = 100, n = 300, d = 2;
    float *X = blobs(C3, 3, d, per, 2.0, 6, NULL);
    lt_model *m = fit_kmeans(X, n, d, "3", "hamerly", 2), *back;
    lt_state *s = lt_state_new();
    assert_ok(lt_model_save(m, s));
    char *params = lt_model_params_json(m);
    assert_ok(lt_model_load("kmeans", params, LT_TASK_CLUSTER, d, 0, s, &back));
    float a[300], b[300];
    assert_ok(lt_model_predict(m, X, n, d, a));
    assert_ok(lt_model_predict(back, X, n, d, b));
    assert_memory_equal(a, b, sizeof a);
    assert_near(described(back, "inertia"), described(m, "inertia"), 1e-6 * described(m, "inertia"));
    free(params);
    lt_state_free(s);
    lt_model_free(m);
    lt_model_free(back);
    free(X);
}

static void test_silhouette_ari_against_sklearn(void **st)
{
    (void)st;
    assert_near(lt_silhouette(cref_X, CREF_N, 2, cref_pred, 0, 0), cref_silhouette, 1e-9);
    assert_near(lt_adjusted_rand_index(cref_truth, cref_pred, CREF_N), cref_ari, 1e-12);
    assert_near(lt_adjusted_rand_index(cref_a2, cref_b2, CREF_N2), cref_ari2, 1e-12);
    assert_near(lt_adjusted_rand_index(cref_truth, cref_truth, CREF_N), 1.0, 1e-12);
    int32_t one[CREF_N] = {0};
    assert_true(isnan(lt_silhouette(cref_X, CREF_N, 2, one, 0, 0)));  // one cluster
}

static void test_silhouette_sampled(void **st)
{
    (void)st;
    const float C[] = {0, 0, 3, 0, 0, 3};
    int per = 2000, n = 3 * per, d = 2;
    int32_t lab[6000];
    float *X = blobs(C, 3, d, per, 1.0, 12, lab);
    double full = lt_silhouette(X, n, d, lab, 0, 0), s1 = lt_silhouette(X, n, d, lab, 1000, 1);
    assert_near(s1, full, 0.03);
    assert_near(lt_silhouette(X, n, d, lab, 1000, 1), s1, 0);  // same seed, same sample
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs_all_algorithms),
        cmocka_unit_test(test_hamerly_matches_lloyd),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_distance_paths),
        cmocka_unit_test(test_determinism_narrow),
        cmocka_unit_test(test_minibatch_close_to_lloyd),
        cmocka_unit_test(test_n_init_keeps_lowest),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_k_equals_n_and_one),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_silhouette_ari_against_sklearn),
        cmocka_unit_test(test_silhouette_sampled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
