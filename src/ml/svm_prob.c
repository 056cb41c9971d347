/* Probabilities for the SVC: Platt's sigmoid on decision values, fitted as
 * in Lin, Lin & Weng, "A note on Platt's probabilistic outputs for support
 * vector machines" (2007) — regularised targets, Newton with backtracking,
 * numerically safe log(1 + exp) — and, for k > 2 classes, the pairwise
 * coupling of Wu, Lin & Weng (2004), method 2, as libsvm. */
#include "svm_impl.h"

#include <math.h>

/* Cross-entropy of the sigmoid 1 / (1 + exp(A f + B)) against the targets
 * (hi for y = +1, lo for y = -1), written so exp never overflows. */
static double platt_loss(int64_t l, const double *f, const int8_t *y, double hi, double lo,
                         double A, double B)
{
    double v = 0;
    for (int64_t i = 0; i < l; i++) {
        double t = y[i] > 0 ? hi : lo, z = f[i] * A + B;
        v += z >= 0 ? t * z + log1p(exp(-z)) : (t - 1) * z + log1p(exp(z));
    }
    return v;
}

void svm_sigmoid_train(int64_t l, const double *f, const int8_t *y, double *A, double *B)
{
    double n1 = 0, n0 = 0;
    for (int64_t i = 0; i < l; i++)
        if (y[i] > 0)
            n1 += 1;
        else
            n0 += 1;
    const double hi = (n1 + 1) / (n1 + 2), lo = 1 / (n0 + 2);
    const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;
    double a = 0, b = log((n0 + 1) / (n1 + 1));
    double fval = platt_loss(l, f, y, hi, lo, a, b);
    for (int iter = 0; iter < 100; iter++) {
        double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0;
        for (int64_t i = 0; i < l; i++) {
            double t = y[i] > 0 ? hi : lo, z = f[i] * a + b, p, q;
            if (z >= 0) {
                double e = exp(-z);
                p = e / (1 + e), q = 1 / (1 + e);
            } else {
                double e = exp(z);
                p = 1 / (1 + e), q = e / (1 + e);
            }
            double d2 = p * q, d1 = t - p;
            h11 += f[i] * f[i] * d2;
            h22 += d2;
            h21 += f[i] * d2;
            g1 += f[i] * d1;
            g2 += d1;
        }
        if (fabs(g1) < eps && fabs(g2) < eps)
            break;
        double det = h11 * h22 - h21 * h21;
        double dA = -(h22 * g1 - h21 * g2) / det, dB = -(-h21 * g1 + h11 * g2) / det;
        double gd = g1 * dA + g2 * dB, step = 1;
        while (step >= min_step) {
            double na = a + step * dA, nb = b + step * dB;
            double nf = platt_loss(l, f, y, hi, lo, na, nb);
            if (nf < fval + 1e-4 * step * gd) {
                a = na, b = nb, fval = nf;
                break;
            }
            step /= 2;
        }
        if (step < min_step)
            break;  // line search failed: keep the last good (A, B)
    }
    *A = a;
    *B = b;
}

double svm_sigmoid_predict(double f, double A, double B)
{
    double z = f * A + B;
    return z >= 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z));
}

/* Minimise sum_i sum_{j != i} (r_ji p_i - r_ij p_j)^2 on the simplex by the
 * fixed-point iteration of Wu, Lin & Weng; r: (k, k), Q: (k, k), Qp: (k). */
void svm_couple(int k, const double *r, double *p, double *Q, double *Qp)
{
    const int max_iter = k > 100 ? k : 100;
    const double eps = 0.005 / k;
    for (int t = 0; t < k; t++) {
        p[t] = 1.0 / k;
        Q[t * k + t] = 0;
        for (int j = 0; j < t; j++) {
            Q[t * k + t] += r[j * k + t] * r[j * k + t];
            Q[t * k + j] = Q[j * k + t];
        }
        for (int j = t + 1; j < k; j++) {
            Q[t * k + t] += r[j * k + t] * r[j * k + t];
            Q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    for (int iter = 0; iter < max_iter; iter++) {
        double pQp = 0, max_err = 0;
        for (int t = 0; t < k; t++) {
            Qp[t] = 0;
            for (int j = 0; j < k; j++)
                Qp[t] += Q[t * k + j] * p[j];
            pQp += p[t] * Qp[t];
        }
        for (int t = 0; t < k; t++)
            max_err = fmax(max_err, fabs(Qp[t] - pQp));
        if (max_err < eps)
            break;
        for (int t = 0; t < k; t++) {
            double diff = (-Qp[t] + pQp) / Q[t * k + t];
            p[t] += diff;
            pQp = (pQp + diff * (diff * Q[t * k + t] + 2 * Qp[t])) / (1 + diff) / (1 + diff);
            for (int j = 0; j < k; j++) {
                Qp[j] = (Qp[j] + diff * Q[t * k + j]) / (1 + diff);
                p[j] /= 1 + diff;
            }
        }
    }
}
