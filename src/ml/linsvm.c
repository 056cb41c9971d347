/* Linear SVM "linsvm": liblinear's L2-regularised L1-loss (hinge) or
 * L2-loss (squared hinge) SVC solved in the dual by coordinate descent
 * (Hsieh, Chang, Lin, Keerthi & Sundararajan, ICML 2008), as scikit-learn's
 * LinearSVC(dual=True):
 *
 *   primal  min_w 0.5 |w|^2 + sum_i C_i xi(y_i w.x_i),  xi = max(0, 1 - z)
 *           (hinge) or max(0, 1 - z)^2 (squared hinge)
 *   dual    min_a 0.5 a'(Q + D)a - e'a,  0 <= a_i <= U_i,  Q_ij = y_i y_j x_i.x_j
 *           hinge: D = 0, U_i = C_i;  squared hinge: D_ii = 1 / (2 C_i), U = inf
 *
 * One coordinate at a time, w = sum a_i y_i x_i kept up to date, so a step
 * costs O(d). Each epoch visits the active variables in a fresh random
 * order (the model's seed); variables at a bound whose projected gradient
 * points outward by more than last epoch's extremes are shrunk away, and
 * everything comes back for a final check before stopping on
 * max PG - min PG <= tol. fit_intercept appends a constant feature 1 whose
 * weight is the intercept, which is therefore regularised, exactly as
 * liblinear and LinearSVC (intercept_scaling = 1).
 *
 * Classes: binary gives one w (class 1 positive); more classes one-vs-rest,
 * argmax of the K decisions, trained on OpenMP threads. Class weights as
 * liblinear: in the problem of class k the positives get C w_k and the
 * rest plain C (times sample weights). */
#include "linear_head.h"
#include "svm_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOSS_HINGE = 0, LOSS_SQUARED = 1 };

typedef struct linsvm {
    lt_model base;
    int loss, max_iter, class_weight, fit_intercept;
    double C, tol;
    int K;            /* 1 for binary, nclass otherwise */
    float *coef;      /* (K, d) */
    float *icpt;      /* (K) */
    int n_iter, converged;
} linsvm;

static const lt_param_spec linsvm_params[] = {
    {"C", LT_PARAM_FLOAT, offsetof(linsvm, C), 1.0, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "penalty of margin violations"},
    {"loss", LT_PARAM_CHOICE, offsetof(linsvm, loss), LOSS_SQUARED, 0, 0, "hinge|squared_hinge",
     "hinge (L1-loss) or squared_hinge (L2-loss, LinearSVC's default)"},
    {"tol", LT_PARAM_FLOAT, offsetof(linsvm, tol), 1e-4, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "stop when max - min projected gradient <= tol"},
    {"max_iter", LT_PARAM_INT, offsetof(linsvm, max_iter), 1000, 1, 1e9, NULL,
     "epochs over the data per binary problem"},
    {"class_weight", LT_PARAM_CHOICE, offsetof(linsvm, class_weight), 0, 0, 0, "none|balanced",
     "balanced: C of class c times n / (k * count_c)"},
    {"fit_intercept", LT_PARAM_BOOL, offsetof(linsvm, fit_intercept), 1, 0, 1, NULL,
     "append a constant feature 1 (its weight, the intercept, is regularised)"},
};

static void linsvm_destroy(lt_model *mm)
{
    linsvm *m = (linsvm *)mm;
    free(m->coef);
    free(m->icpt);
    m->coef = m->icpt = NULL;
}

/* One binary problem. y (n) +-1, Ci (n) the C_i; w (d + 1) out, the last
 * entry the intercept (0 without one). Work (n each): alpha, QD = Q_ii + D_ii,
 * D (the diagonal D_ii), U (the upper bounds), index. */
static int dcd_solve(const float *X, int64_t n, int64_t d, int icpt, const int8_t *y,
                     const double *Ci, int l2, double eps, int max_iter, uint64_t seed,
                     double *w, double *alpha, double *QD, double *D, double *U, int64_t *index,
                     int *n_iter)
{
    const double bias = icpt ? 1.0 : 0.0;
    lt_rng rng;
    lt_rng_seed(&rng, seed);
    memset(w, 0, sizeof(double) * (size_t)(d + 1));
    for (int64_t i = 0; i < n; i++) {
        const float *xi = X + i * d;
        double s = bias * bias;
        for (int64_t j = 0; j < d; j++)
            s += (double)xi[j] * xi[j];
        D[i] = l2 && Ci[i] > 0 ? 0.5 / Ci[i] : 0;
        U[i] = Ci[i] <= 0 ? 0 : l2 ? INFINITY : Ci[i];
        QD[i] = s + D[i];
        alpha[i] = 0;
        index[i] = i;
    }
    int64_t active = n;
    double PGmax_old = INFINITY, PGmin_old = -INFINITY;
    int iter = 0, converged = 0;
    while (iter < max_iter) {
        double PGmax_new = -INFINITY, PGmin_new = INFINITY;
        for (int64_t s = 0; s < active; s++) {
            int64_t t = s + (int64_t)lt_rng_below(&rng, (uint64_t)(active - s));
            int64_t v = index[s];
            index[s] = index[t];
            index[t] = v;
        }
        for (int64_t s = 0; s < active; s++) {
            const int64_t i = index[s];
            const float *xi = X + i * d;
            const double yi = y[i];
            // hot loop: G = y_i w.x_i - 1 + D_ii a_i, (d) per step
            double dot = 0;
#pragma omp simd reduction(+ : dot)
            for (int64_t j = 0; j < d; j++)
                dot += w[j] * xi[j];
            dot += w[d] * bias;
            const double Ui = U[i];
            double G = yi * dot - 1 + alpha[i] * D[i], PG = 0;
            if (alpha[i] == 0) {
                if (G > PGmax_old) {  // at the lower bound and pushed further out: shrink
                    active--;
                    index[s] = index[active];
                    index[active] = i;
                    s--;
                    continue;
                }
                if (G < 0)
                    PG = G;
            } else if (alpha[i] == Ui) {
                if (G < PGmin_old) {
                    active--;
                    index[s] = index[active];
                    index[active] = i;
                    s--;
                    continue;
                }
                if (G > 0)
                    PG = G;
            } else {
                PG = G;
            }
            PGmax_new = PG > PGmax_new ? PG : PGmax_new;
            PGmin_new = PG < PGmin_new ? PG : PGmin_new;
            if (PG > 1e-12 || PG < -1e-12) {
                const double old = alpha[i];
                double a = QD[i] > 0 ? old - G / QD[i] : G < 0 ? Ui : 0;
                a = a < 0 ? 0 : a;
                alpha[i] = a > Ui ? Ui : a;
                const double step = (alpha[i] - old) * yi;
#pragma omp simd
                for (int64_t j = 0; j < d; j++)
                    w[j] += step * xi[j];
                w[d] += step * bias;
            }
        }
        iter++;
        if (PGmax_new - PGmin_new <= eps) {
            if (active == n) {
                converged = 1;
                break;
            }
            active = n;  // check once more on everything
            PGmax_old = INFINITY;
            PGmin_old = -INFINITY;
            continue;
        }
        PGmax_old = PGmax_new <= 0 ? INFINITY : PGmax_new;
        PGmin_old = PGmin_new >= 0 ? -INFINITY : PGmin_new;
    }
    *n_iter = iter;
    return converged;
}

static int linsvm_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *yf,
                      const float *w)
{
    linsvm *m = (linsvm *)mm;
    const int nclass = mm->nclass, K = nclass == 2 ? 1 : nclass;
    int64_t *count = lt_malloc(sizeof(int64_t) * (size_t)nclass);
    double *Cc = lt_malloc(sizeof(double) * (size_t)n);  // C x class weight x sample weight
    double *W = lt_malloc(sizeof(double) * (size_t)(K * (d + 1)));
    int *iters = lt_calloc((size_t)K, sizeof(int)), *conv = lt_calloc((size_t)K, sizeof(int));
    int *rcs = lt_calloc((size_t)K, sizeof(int));
    float *coef = lt_malloc(sizeof(float) * (size_t)(K * d)), *icpt = lt_malloc(sizeof(float) * (size_t)K);
    int rc = count && Cc && W && iters && conv && rcs && coef && icpt ? LT_OK : LT_ENOMEM;
    if (rc)
        goto out;
    svm_class_weights(yf, w, n, nclass, m->C, m->class_weight == 1, count, Cc);
    int done = 0;
#pragma omp parallel for schedule(dynamic, 1) if (K > 1)
    for (int k = 0; k < K; k++) {
        const int pos = K == 1 ? 1 : k;
        int8_t *y = lt_malloc((size_t)n);
        double *Ci = lt_malloc(sizeof(double) * (size_t)(5 * n));
        int64_t *index = lt_malloc(sizeof(int64_t) * (size_t)n);
        if (!y || !Ci || !index) {
            rcs[k] = LT_ENOMEM;
        } else {
            for (int64_t i = 0; i < n; i++) {
                const int c = (int)yf[i];
                y[i] = c == pos ? 1 : -1;
                // OvR as liblinear: class weights on the positives only.
                Ci[i] = K == 1 || c == pos ? Cc[i] : m->C * (w ? w[i] : 1.0);
            }
            conv[k] = dcd_solve(X, n, d, m->fit_intercept, y, Ci, m->loss == LOSS_SQUARED,
                                m->tol, m->max_iter, mm->seed + (uint64_t)k, W + k * (d + 1),
                                Ci + n, Ci + 2 * n, Ci + 3 * n, Ci + 4 * n, index, &iters[k]);
        }
        free(y);
        free(Ci);
        free(index);
#pragma omp critical(lt_linsvm_progress)
        {
            done++;
            if (mm->progress)
                mm->progress(mm->progress_user, done, K, 0);
        }
    }
    m->n_iter = 0;
    m->converged = 1;
    for (int k = 0; k < K; k++) {
        if (rcs[k]) {
            rc = rcs[k];
            goto out;
        }
        m->n_iter = iters[k] > m->n_iter ? iters[k] : m->n_iter;
        m->converged &= conv[k];
        for (int64_t j = 0; j < d; j++)
            coef[k * d + j] = (float)W[k * (d + 1) + j];
        icpt[k] = (float)W[k * (d + 1) + d];
    }
    linsvm_destroy(mm);
    m->K = K;
    m->coef = coef;
    m->icpt = icpt;
    coef = icpt = NULL;
out:
    free(count);
    free(Cc);
    free(W);
    free(iters);
    free(conv);
    free(rcs);
    free(coef);
    free(icpt);
    return rc;
}


static int linsvm_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const linsvm *m = (const linsvm *)mm;
    return lt_linear_classes(m->coef, m->icpt, m->K, mm->nfeat, X, n, out);
}

static int linsvm_save(const lt_model *mm, lt_state *st)
{
    const linsvm *m = (const linsvm *)mm;
    return lt_linear_save(m->coef, m->icpt, m->K, mm->nfeat, st);
}

static int linsvm_load(lt_model *mm, const lt_state *st)
{
    linsvm *m = (linsvm *)mm;
    const int K = mm->nclass == 2 ? 1 : mm->nclass;
    float *coef, *icpt;
    int rc = lt_linear_load(st, K, mm->nfeat, &coef, &icpt);
    if (rc)
        return rc;
    linsvm_destroy(mm);
    m->coef = coef;
    m->icpt = icpt;
    m->K = K;
    return LT_OK;
}

static char *linsvm_describe(const lt_model *mm)
{
    const linsvm *m = (const linsvm *)mm;
    char buf[128];
    snprintf(buf, sizeof buf, "{\"n_iter\":%d,\"converged\":%s}", m->n_iter,
             m->converged ? "true" : "false");
    return lt_strdup(buf);
}

const lt_model_vtable lt_linsvm_vtable = {
    .name = "linsvm",
    .summary = "linear SVM (hinge or squared hinge, dual coordinate descent as liblinear; "
               "one-vs-rest)",
    .supports_regression = 0,
    .supports_classification = 1,
    .unsupervised_task = 0,
    .size = sizeof(linsvm),
    .params = linsvm_params,
    .nparams = (int)(sizeof linsvm_params / sizeof linsvm_params[0]),
    .fit = linsvm_fit,
    .predict = linsvm_predict,
    .predict_proba = NULL,
    .save = linsvm_save,
    .load = linsvm_load,
    .describe = linsvm_describe,
    .destroy = linsvm_destroy,
};
