/* Unit tests for the fleet simulator (src/apps/simulate.c, docs/simulator.md). */
#include "test_util.h"

static const char *const expected_cols[] = {
    "timestamp",  "machine",       "product_id", "type", "air_temp_k",
    "process_temp_k", "rotational_speed_rpm", "torque_nm", "tool_wear_min", "failure",
    "twf",        "hdf",           "pwf",        "osf",  "rnf"};
#define NCOLS 15

/* Sensor noise and rounding blur the recorded values around the thresholds
 * (failures are decided on the true values); these bounds are 4-5 SD of it. */
#define TOL_DT_K 0.6
#define TOL_SPEED_RPM 15.0
#define TOL_POWER_W 250.0
#define TOL_STRAIN 400.0

static lt_table *sim(int machines, double hours, double minutes, uint64_t seed)
{
    lt_sim_params p = lt_sim_params_default();
    p.machines = machines;
    p.hours = hours;
    p.process_minutes = minutes;
    p.seed = seed;
    lt_table *t = NULL;
    assert_ok(lt_simulate(&p, &t));
    assert_non_null(t);
    return t;
}

static const double *num(const lt_table *t, const char *name)
{
    int j = lt_table_col_index(t, name);
    assert_true(j >= 0);
    const double *v = lt_table_num(t, j);
    assert_non_null(v);
    return v;
}

static void test_defaults(void **st)
{
    (void)st;
    lt_sim_params p = lt_sim_params_default();
    assert_int_equal(p.machines, 10);
    assert_near(p.hours, 100.0, 0);
    assert_near(p.process_minutes, 6.0, 0);
    assert_int_equal(p.seed, 42);
}

static void test_columns(void **st)
{
    (void)st;
    lt_table *t = sim(3, 10.0, 6.0, 1);
    assert_int_equal(lt_table_ncols(t), NCOLS);
    assert_int_equal(lt_table_nrows(t), 3 * 100);
    for (int j = 0; j < NCOLS; j++) {
        assert_string_equal(lt_table_col_name(t, j), expected_cols[j]);
        int cat = j >= 1 && j <= 3;
        assert_int_equal(lt_table_col_type(t, j), cat ? LT_COL_CAT : LT_COL_NUM);
    }
    int jm = lt_table_col_index(t, "machine");
    assert_int_equal(lt_table_cat_nlevels(t, jm), 3);
    assert_string_equal(lt_table_cat_level(t, jm, 0), "M01");
    assert_string_equal(lt_table_cat_level(t, jm, 2), "M03");
    int jt = lt_table_col_index(t, "type");
    assert_true(lt_table_cat_find(t, jt, "L") >= 0);
    assert_true(lt_table_cat_find(t, jt, "M") >= 0);
    assert_true(lt_table_cat_find(t, jt, "H") >= 0);

    /* Rows are ordered by time slot, then machine; product ids are unique
     * and start with the row's type letter. */
    const double *ts = num(t, "timestamp");
    const int32_t *mc = lt_table_cat(t, jm), *tc = lt_table_cat(t, jt);
    int jp = lt_table_col_index(t, "product_id");
    assert_int_equal(lt_table_cat_nlevels(t, jp), 300);
    for (int64_t i = 0; i < 300; i++) {
        assert_int_equal(mc[i], i % 3);
        assert_near(ts[i], (double)(i / 3) * 360.0, 1e-6);
        const char *pid = lt_table_cat_level(t, jp, lt_table_cat(t, jp)[i]);
        assert_int_equal(pid[0], lt_table_cat_level(t, jt, tc[i])[0]);
        assert_true(strlen(pid) >= 6);
    }
    lt_table_free(t);

    /* Row count is machines x floor(hours * 60 / process_minutes). */
    t = sim(2, 1.0, 7.0, 1);
    assert_int_equal(lt_table_nrows(t), 2 * 8);
    lt_table_free(t);
    t = sim(1, 0.1, 6.0, 1); /* exactly one process, despite 0.1 * 60 / 6 rounding */
    assert_int_equal(lt_table_nrows(t), 1);
    lt_table_free(t);
}

/* Tables equal cell for cell, bit for bit. */
static int tables_identical(const lt_table *a, const lt_table *b)
{
    if (lt_table_ncols(a) != lt_table_ncols(b) || lt_table_nrows(a) != lt_table_nrows(b))
        return 0;
    int64_t n = lt_table_nrows(a);
    for (int j = 0; j < lt_table_ncols(a); j++) {
        if (lt_table_col_type(a, j) != lt_table_col_type(b, j))
            return 0;
        if (lt_table_col_type(a, j) == LT_COL_NUM) {
            if (memcmp(lt_table_num(a, j), lt_table_num(b, j), sizeof(double) * (size_t)n))
                return 0;
            continue;
        }
        if (memcmp(lt_table_cat(a, j), lt_table_cat(b, j), sizeof(int32_t) * (size_t)n))
            return 0;
        if (lt_table_cat_nlevels(a, j) != lt_table_cat_nlevels(b, j))
            return 0;
        for (int k = 0; k < lt_table_cat_nlevels(a, j); k++)
            if (strcmp(lt_table_cat_level(a, j, k), lt_table_cat_level(b, j, k)))
                return 0;
    }
    return 1;
}

static void test_deterministic(void **st)
{
    (void)st;
    lt_table *a = sim(4, 50.0, 6.0, 7), *b = sim(4, 50.0, 6.0, 7), *c = sim(4, 50.0, 6.0, 8);
    assert_true(tables_identical(a, b));
    assert_false(tables_identical(a, c));
    lt_table_free(a);
    lt_table_free(b);
    lt_table_free(c);

    /* A machine's series does not depend on the size of the fleet. */
    lt_table *small = sim(2, 20.0, 6.0, 3), *big = sim(5, 20.0, 6.0, 3);
    const double *ws = num(small, "torque_nm"), *wb = num(big, "torque_nm");
    const double *as = num(small, "air_temp_k"), *ab = num(big, "air_temp_k");
    for (int64_t k = 0; k < 200; k++)
        for (int m = 0; m < 2; m++) {
            assert_true(ws[k * 2 + m] == wb[k * 5 + m]);
            assert_true(as[k * 2 + m] == ab[k * 5 + m]);
        }
    lt_table_free(small);
    lt_table_free(big);
}

static void test_ranges(void **st)
{
    (void)st;
    lt_table *t = sim(10, 300.0, 6.0, 11);
    int64_t n = lt_table_nrows(t);
    const double *air = num(t, "air_temp_k"), *proc = num(t, "process_temp_k");
    const double *speed = num(t, "rotational_speed_rpm"), *torque = num(t, "torque_nm");
    const double *wear = num(t, "tool_wear_min");
    const char *flags[] = {"failure", "twf", "hdf", "pwf", "osf", "rnf"};
    double air_sum = 0, air_sum2 = 0, speed_sum = 0, torque_sum = 0, torque_sum2 = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_true(air[i] > 290 && air[i] < 310);
        assert_true(proc[i] - air[i] > 5 && proc[i] - air[i] < 15);
        assert_true(speed[i] > 900 && speed[i] < 5000);
        assert_true(torque[i] > 0 && torque[i] < 100);
        assert_true(wear[i] >= 0 && wear[i] < 245);
        /* Recorded at AI4I's resolution: 0.1 K, 1 rpm, 0.1 Nm, 1 min. */
        assert_near(air[i] * 10, round(air[i] * 10), 1e-6);
        assert_near(speed[i], round(speed[i]), 0);
        assert_near(torque[i] * 10, round(torque[i] * 10), 1e-6);
        assert_near(wear[i], round(wear[i]), 0);
        air_sum += air[i];
        air_sum2 += air[i] * air[i];
        speed_sum += speed[i];
        torque_sum += torque[i];
        torque_sum2 += torque[i] * torque[i];
    }
    for (int k = 0; k < 6; k++) {
        const double *f = num(t, flags[k]);
        for (int64_t i = 0; i < n; i++)
            assert_true(f[i] == 0.0 || f[i] == 1.0);
    }
    double air_mean = air_sum / n, torque_mean = torque_sum / n;
    assert_near(air_mean, 300.0, 1.5);
    assert_near(sqrt(air_sum2 / n - air_mean * air_mean), 2.0, 0.7);
    assert_near(speed_sum / n, 1540.0, 80.0);
    assert_near(torque_mean, 40.0, 2.0);
    assert_near(sqrt(torque_sum2 / n - torque_mean * torque_mean), 10.0, 1.0);

    /* Product types 50/30/20 %. */
    int jt = lt_table_col_index(t, "type");
    const int32_t *tc = lt_table_cat(t, jt);
    int kl = lt_table_cat_find(t, jt, "L"), km = lt_table_cat_find(t, jt, "M");
    double nl = 0, nmm = 0;
    for (int64_t i = 0; i < n; i++) {
        nl += tc[i] == kl;
        nmm += tc[i] == km;
    }
    assert_near(nl / n, 0.5, 0.02);
    assert_near(nmm / n, 0.3, 0.02);
    lt_table_free(t);
}

static void test_time_series(void **st)
{
    (void)st;
    /* Air temperature is a slow walk, not noise: successive readings of one
     * machine (6 min apart) are strongly correlated. */
    const int M = 3;
    lt_table *t = sim(M, 200.0, 6.0, 5);
    int64_t n = lt_table_nrows(t), k = n / M;
    const double *air = num(t, "air_temp_k"), *wear = num(t, "tool_wear_min");
    const double *twf = num(t, "twf"), *osf = num(t, "osf");
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int64_t s = 1; s < k; s++) {
        double x = air[(s - 1) * M], y = air[s * M];
        sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    }
    double m = (double)(k - 1);
    double r = (sxy - sx * sy / m) / sqrt((sxx - sx * sx / m) * (syy - sy * sy / m));
    assert_true(r > 0.9);

    /* Tool wear grows by 2/3/5 min per process (L/M/H) and resets to 0 only
     * after a tool change: end of life (wear >= 200) or an overstrain failure. */
    int jt = lt_table_col_index(t, "type");
    const int32_t *tc = lt_table_cat(t, jt);
    int resets = 0;
    for (int mach = 0; mach < M; mach++)
        for (int64_t s = 1; s < k; s++) {
            int64_t prev = (s - 1) * M + mach, cur = s * M + mach;
            double inc = wear[cur] - wear[prev];
            if (wear[cur] == 0) {
                assert_true(wear[prev] >= 200 || osf[prev] == 1);
                resets++;
                continue;
            }
            const char *ty = lt_table_cat_level(t, jt, tc[prev]);
            double want = ty[0] == 'L' ? 2 : ty[0] == 'M' ? 3 : 5;
            assert_near(inc, want, 0);
            assert_true(twf[prev] == 0); /* a failed tool is always replaced */
        }
    assert_true(resets > 10);
    lt_table_free(t);
}

typedef struct fleet_stats {
    int64_t n;
    double fail, mode[5];
} fleet_stats;

static void test_failure_rules(void **st)
{
    (void)st;
    lt_table *t = sim(20, 200.0, 6.0, 7);
    int64_t n = lt_table_nrows(t);
    const double *air = num(t, "air_temp_k"), *proc = num(t, "process_temp_k");
    const double *speed = num(t, "rotational_speed_rpm"), *torque = num(t, "torque_nm");
    const double *wear = num(t, "tool_wear_min"), *fail = num(t, "failure");
    const double *twf = num(t, "twf"), *hdf = num(t, "hdf"), *pwf = num(t, "pwf");
    const double *osf = num(t, "osf"), *rnf = num(t, "rnf");
    int jt = lt_table_col_index(t, "type");
    const int32_t *tc = lt_table_cat(t, jt);
    fleet_stats s = {n, 0, {0}};
    for (int64_t i = 0; i < n; i++) {
        const char ty = lt_table_cat_level(t, jt, tc[i])[0];
        double dt = proc[i] - air[i];
        double power = torque[i] * speed[i] * 2 * M_PI / 60;
        double strain = wear[i] * torque[i];
        double osf_thr = ty == 'L' ? 11000 : ty == 'M' ? 12000 : 13000;

        /* failure is exactly the OR of the five modes (unlike the AI4I file). */
        int any = twf[i] || hdf[i] || pwf[i] || osf[i] || rnf[i];
        assert_int_equal((int)fail[i], any);

        /* Each flagged mode satisfies its rule on the recorded values, up to
         * sensor noise; and clear cases of a rule are always flagged. */
        if (hdf[i])
            assert_true(dt < 8.6 + TOL_DT_K && speed[i] < 1380 + TOL_SPEED_RPM);
        if (dt < 8.6 - TOL_DT_K && speed[i] < 1380 - TOL_SPEED_RPM)
            assert_true(hdf[i] == 1);
        if (pwf[i])
            assert_true(power < 3500 + TOL_POWER_W || power > 9000 - TOL_POWER_W);
        if (power < 3500 - TOL_POWER_W || power > 9000 + TOL_POWER_W)
            assert_true(pwf[i] == 1);
        if (osf[i])
            assert_true(strain > osf_thr - TOL_STRAIN);
        if (strain > osf_thr + TOL_STRAIN)
            assert_true(osf[i] == 1);
        if (twf[i])
            assert_true(wear[i] >= 200 && wear[i] < 245);

        s.fail += fail[i];
        s.mode[0] += twf[i], s.mode[1] += hdf[i], s.mode[2] += pwf[i];
        s.mode[3] += osf[i], s.mode[4] += rnf[i];
    }
    /* A few percent fail, like AI4I's 3.4 %; every mode occurs. */
    double rate = s.fail / n;
    assert_true(rate > 0.02 && rate < 0.05);
    for (int k = 0; k < 5; k++)
        assert_true(s.mode[k] > 0);
    assert_true(s.mode[4] / n < 0.003); /* RNF 0.1 % */
    print_message("20 machines x 200 h: %lld rows, failure %.2f %% (TWF %.0f HDF %.0f PWF %.0f "
                  "OSF %.0f RNF %.0f)\n",
                  (long long)n, 100 * rate, s.mode[0], s.mode[1], s.mode[2], s.mode[3], s.mode[4]);

    /* M03 runs hot (poor cooling): more heat dissipation failures than the fleet. */
    int jm = lt_table_col_index(t, "machine");
    const int32_t *mc = lt_table_cat(t, jm);
    int m3 = lt_table_cat_find(t, jm, "M03");
    double h3 = 0, n3 = 0;
    for (int64_t i = 0; i < n; i++)
        if (mc[i] == m3)
            h3 += hdf[i], n3++;
    assert_true(h3 / n3 > 2 * s.mode[1] / n);
    lt_table_free(t);
}

static void expect_bad(int machines, double hours, double minutes, int status,
                       const char *needle)
{
    lt_sim_params p = lt_sim_params_default();
    p.machines = machines;
    p.hours = hours;
    p.process_minutes = minutes;
    lt_table *t = (lt_table *)&p; /* must be reset to NULL */
    lt_error_clear();
    int rc = lt_simulate(&p, &t);
    if (rc != status)
        fail_msg("machines=%d hours=%g minutes=%g: got %s (%s), expected %s", machines, hours,
                 minutes, lt_status_name(rc), lt_last_error(), lt_status_name(status));
    assert_null(t);
    assert_error_contains(needle);
}

static void test_bad_params(void **st)
{
    (void)st;
    expect_bad(0, 10, 6, LT_EINVAL, "machines");
    expect_bad(-3, 10, 6, LT_EINVAL, "got -3");
    expect_bad(LT_SIM_MAX_MACHINES + 1, 1, 6, LT_EINVAL, "machines");
    expect_bad(2, 0, 6, LT_EINVAL, "hours");
    expect_bad(2, -5, 6, LT_EINVAL, "hours");
    expect_bad(2, NAN, 6, LT_EINVAL, "hours");
    expect_bad(2, INFINITY, 6, LT_EINVAL, "hours");
    expect_bad(2, 10, 0, LT_EINVAL, "process_minutes");
    expect_bad(2, 10, -1, LT_EINVAL, "process_minutes");
    expect_bad(2, 10, NAN, LT_EINVAL, "process_minutes");
    expect_bad(2, 0.05, 6, LT_EINVAL, "shorter than one process");
    /* 1000 machines x 1e6 h of 6-min processes = 1e10 rows: refused up front. */
    expect_bad(1000, 1e6, 6, LT_ELIMIT, "limit");
    expect_bad(1, 1e12, 1e-3, LT_ELIMIT, "rows");

    lt_table *t = NULL;
    assert_int_equal(lt_simulate(NULL, &t), LT_EINVAL);
    lt_sim_params p = lt_sim_params_default();
    assert_int_equal(lt_simulate(&p, NULL), LT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_columns),
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_time_series),   cmocka_unit_test(test_failure_rules),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
