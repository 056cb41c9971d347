/* Unit tests for src/ml/metrics.c against scikit-learn's numbers, stored in
 * ref/metrics_ref.h by ref/metrics_ref.py (run once with /usr/bin/python3). */
#include "test_util.h"

#include "ref/metrics_ref.h"

#define TOL 1e-12

static void binary_inputs(int32_t *pred, double *score, float *proba)
{
    for (int i = 0; i < REF_N; i++) {
        score[i] = ref_s[i];
        proba[2 * i] = 1.0f - ref_s[i];
        proba[2 * i + 1] = ref_s[i];
        pred[i] = proba[2 * i + 1] > proba[2 * i];
    }
}

static void test_binary_against_sklearn(void **st)
{
    (void)st;
    int32_t pred[REF_N];
    double score[REF_N];
    float proba[2 * REF_N];
    binary_inputs(pred, score, proba);
    assert_near(lt_roc_auc(ref_y, score, REF_N), ref_roc_auc, TOL);
    assert_near(lt_pr_auc(ref_y, score, REF_N), ref_ap, TOL);
    assert_near(lt_log_loss(ref_y, proba, REF_N, 2), ref_log_loss, 1e-12);
    assert_near(lt_accuracy(ref_y, pred, REF_N), ref_accuracy, TOL);
    double p, r, f;
    lt_prf_binary(ref_y, pred, REF_N, 1, &p, &r, &f);
    assert_near(p, ref_precision, TOL);
    assert_near(r, ref_recall, TOL);
    assert_near(f, ref_f1, TOL);
    lt_prf_macro(ref_y, pred, REF_N, 2, NULL, NULL, &f);
    assert_near(f, ref_f1_macro, TOL);

    lt_class_metrics cm;
    assert_ok(lt_class_metrics_compute(ref_y, proba, REF_N, 2, &cm));
    assert_near(cm.accuracy, ref_accuracy, TOL);
    assert_near(cm.precision, ref_precision, TOL);
    assert_near(cm.recall, ref_recall, TOL);
    assert_near(cm.f1, ref_f1, TOL);
    assert_near(cm.f1_macro, ref_f1_macro, TOL);
    assert_near(cm.roc_auc, ref_roc_auc, TOL);
    assert_near(cm.pr_auc, ref_ap, TOL);
    assert_near(cm.log_loss, ref_log_loss, 1e-12);
}

static void test_multiclass_against_sklearn(void **st)
{
    (void)st;
    lt_class_metrics cm;
    assert_ok(lt_class_metrics_compute(ref_ym, ref_pm, REF_NM, REF_KM, &cm));
    assert_near(cm.accuracy, ref_m_accuracy, TOL);
    assert_near(cm.precision, ref_m_precision, TOL);
    assert_near(cm.recall, ref_m_recall, TOL);
    assert_near(cm.f1, ref_m_f1, TOL);
    assert_near(cm.f1_macro, ref_m_f1, TOL);
    assert_near(cm.roc_auc, ref_m_roc_auc, TOL);
    assert_near(cm.pr_auc, ref_m_ap, TOL);
    assert_near(cm.log_loss, ref_m_log_loss, 1e-7);  // float32 proba: sklearn renormalises
}

static void test_regression_against_sklearn(void **st)
{
    (void)st;
    lt_reg_metrics rm;
    assert_ok(lt_reg_metrics_compute(ref_yr, ref_pr, REF_NR, &rm));
    assert_near(rm.r2, ref_r2, TOL);
    assert_near(rm.rmse, ref_rmse, TOL);
    assert_near(rm.mae, ref_mae, TOL);
}

static void test_auc_ties_and_edges(void **st)
{
    (void)st;
    // All scores tied: AUC 0.5 (mid-ranks); AP = prevalence.
    int32_t y[6] = {0, 1, 0, 1, 1, 0};
    double s[6] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3};
    assert_near(lt_roc_auc(y, s, 6), 0.5, TOL);
    assert_near(lt_pr_auc(y, s, 6), 0.5, TOL);
    // Perfect and inverted rankings.
    double good[6] = {0.1, 0.9, 0.2, 0.8, 0.7, 0.3}, bad[6];
    for (int i = 0; i < 6; i++)
        bad[i] = -good[i];
    assert_near(lt_roc_auc(y, good, 6), 1.0, TOL);
    assert_near(lt_pr_auc(y, good, 6), 1.0, TOL);
    assert_near(lt_roc_auc(y, bad, 6), 0.0, TOL);
    // One class present: undefined -> NaN.
    int32_t ones[3] = {1, 1, 1};
    assert_true(isnan(lt_roc_auc(ones, good, 3)));
    int32_t zeros[3] = {0, 0, 0};
    assert_true(isnan(lt_pr_auc(zeros, good, 3)));
}

static void test_prf_undefined_is_zero(void **st)
{
    (void)st;
    int32_t y[4] = {0, 0, 0, 0}, pred[4] = {0, 0, 0, 0};
    double p = -1, r = -1, f = -1;
    lt_prf_binary(y, pred, 4, 1, &p, &r, &f);
    assert_near(p, 0, 0);
    assert_near(r, 0, 0);
    assert_near(f, 0, 0);
}

static void test_log_loss_clipping(void **st)
{
    (void)st;
    // A confident wrong answer costs -log(1e-15), not infinity.
    int32_t y[2] = {1, 0};
    float proba[4] = {1.0f, 0.0f, 1.0f, 0.0f};
    assert_near(lt_log_loss(y, proba, 2, 2), -0.5 * log(1e-15), 1e-9);
}

static void test_r2_constant_target(void **st)
{
    (void)st;
    double y[3] = {2, 2, 2}, same[3] = {2, 2, 2}, off[3] = {1, 2, 3};
    assert_near(lt_r2(y, same, 3), 1.0, 0);
    assert_near(lt_r2(y, off, 3), 0.0, 0);
}

static void test_confusion(void **st)
{
    (void)st;
    int32_t y[5] = {0, 1, 2, 2, 1}, pred[5] = {0, 2, 2, 1, 1};
    int64_t cm[9];
    lt_confusion(y, pred, 5, 3, cm);
    int64_t want[9] = {1, 0, 0, 0, 1, 1, 0, 1, 1};
    for (int i = 0; i < 9; i++)
        assert_int_equal(cm[i], want[i]);
}

static void test_class_metrics_errors(void **st)
{
    (void)st;
    int32_t y[2] = {0, 3};
    float proba[4] = {0.5f, 0.5f, 0.2f, 0.8f};
    lt_class_metrics cm;
    assert_int_equal(lt_class_metrics_compute(y, proba, 2, 2, &cm), LT_EINVAL);
    assert_error_contains("y[1] = 3");
    assert_int_equal(lt_class_metrics_compute(y, proba, 2, 1, &cm), LT_EINVAL);
    y[1] = 1;
    proba[3] = NAN;
    assert_int_equal(lt_class_metrics_compute(y, proba, 2, 2, &cm), LT_EINVAL);
    assert_error_contains("proba[1][1]");
}

/* Known answers worked by hand: F1 at a cut after row i (scores sorted
 * descending) is 2 tp / (i + 1 + npos). */
static void test_f1_best_threshold(void **st)
{
    (void)st;
    /* One best cut, after 0.6: tp 3 of 4 rows, F1 6/8; threshold halfway to 0.4. */
    const int32_t y1[] = {1, 1, 0, 1, 0, 0, 1, 0};
    const double s1[] = {0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1};
    double f1;
    assert_near(lt_f1_best_threshold(y1, s1, 8, &f1), 0.5, 1e-12);
    assert_near(f1, 0.75, 1e-12);
    /* Three cuts tie at F1 2/3 (after 0.9, 0.6 and 0.3): the middle one wins.
     * Input order does not matter. */
    const int32_t y2[] = {0, 1, 1, 0, 1, 0, 0, 1};
    const double s2[] = {0.8, 0.95, 0.9, 0.7, 0.6, 0.5, 0.4, 0.3};
    assert_near(lt_f1_best_threshold(y2, s2, 8, &f1), 0.55, 1e-12);
    assert_near(f1, 2.0 / 3.0, 1e-12);
    /* Tied scores are one cut: never split between equal scores. */
    const int32_t y3[] = {1, 0, 1, 0};
    const double s3[] = {0.7, 0.7, 0.2, 0.1};
    double t3 = lt_f1_best_threshold(y3, s3, 4, &f1);
    assert_true(t3 < 0.7 && t3 > 0.1);
    /* No positive: undefined. */
    const int32_t y4[] = {0, 0};
    assert_true(isnan(lt_f1_best_threshold(y4, s3, 2, &f1)));
    assert_true(isnan(f1));

    /* lt_class_metrics_at: a threshold below every score predicts all class 1. */
    const float proba[] = {0.9f, 0.1f, 0.6f, 0.4f, 0.2f, 0.8f, 0.7f, 0.3f};
    const int32_t y[] = {0, 1, 1, 0};
    lt_class_metrics cm;
    assert_ok(lt_class_metrics_at(y, proba, 4, 2, 0.05, &cm));
    assert_near(cm.recall, 1.0, 1e-12);
    assert_near(cm.precision, 0.5, 1e-12);
    assert_ok(lt_class_metrics_at(y, proba, 4, 2, NAN, &cm));  /* argmax: only row 2 */
    assert_near(cm.recall, 0.5, 1e-12);
    assert_near(cm.precision, 1.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_against_sklearn),
        cmocka_unit_test(test_multiclass_against_sklearn),
        cmocka_unit_test(test_regression_against_sklearn),
        cmocka_unit_test(test_auc_ties_and_edges),
        cmocka_unit_test(test_prf_undefined_is_zero),
        cmocka_unit_test(test_log_loss_clipping),
        cmocka_unit_test(test_r2_constant_target),
        cmocka_unit_test(test_confusion),
        cmocka_unit_test(test_class_metrics_errors),
        cmocka_unit_test(test_f1_best_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
