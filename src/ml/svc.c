/* C-support vector classification "svc", as libsvm's C-SVC (and so as
 * scikit-learn's SVC):
 *
 *   min_a 0.5 a'Qa - e'a,  Q_ij = y_i y_j K(x_i, x_j),  y'a = 0,
 *   0 <= a_i <= C_i,  C_i = C x sample weight x class weight,
 *
 * solved by SMO (svm_smo.c). More than two classes: one-vs-one, a binary
 * problem for every pair (i < j) of classes with class i as +1, prediction
 * by votes (ties to the lower class index), exactly libsvm's scheme. Pairs
 * are trained on OpenMP threads (BLAS serial inside); each thread's kernel
 * cache gets cache_mb / threads.
 *
 * Model layout (libsvm's, as scikit-learn's support_vectors_ / dual_coef_):
 * support vectors grouped by class in class order; dual_coef (k-1, nsv):
 * for pair (i, j), the coefficients a_t y_t of class i's SVs sit in row
 * j-1 and those of class j's SVs in row i. Decision of pair (i, j):
 * f(x) = sum coef K(sv, x) + intercept (= -rho); f > 0 votes for i.
 *
 * probability=true: a sigmoid per pair fitted by Platt scaling on decision
 * values from an internal 5-fold cross-validation (as libsvm -b 1; folds
 * from the model's seed), and for k > 2 pairwise coupling (Wu, Lin & Weng).
 * probability=false: predict_proba gives the one-hot vote winner and
 * has_proba says 0, so the pipeline scores the hard predictions (no log
 * loss) and serves no probabilities. */
#include "svm_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct svc {
    lt_model base;
    int kernel, degree, shrinking, max_iter, probability, class_weight;
    double C, gamma, coef0, tol, cache_mb;
    /* fitted */
    svm_kparams kp;
    int64_t nsv;
    int64_t *nsv_class;  /* (nclass) */
    float *sv;           /* (nsv, d) */
    float *sv_sq;        /* (nsv) */
    float *coef;         /* (nclass - 1, nsv) */
    float *icpt;         /* (npairs) */
    float *prob_a, *prob_b; /* (npairs), or NULL */
    int64_t n_iter;
    int converged;
} svc;

static const lt_param_spec svc_params[] = {
    {"kernel", LT_PARAM_CHOICE, offsetof(svc, kernel), SVM_RBF, 0, 0, "linear|rbf|poly|sigmoid",
     "kernel function"},
    {"C", LT_PARAM_FLOAT, offsetof(svc, C), 1.0, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "penalty of margin violations (upper bound of the dual variables)"},
    {"gamma", LT_PARAM_FLOAT, offsetof(svc, gamma), 0, 0, LT_PARAM_NOMAX, NULL,
     "kernel coefficient (rbf, poly, sigmoid); 0 = 'scale': 1 / (d var(X))"},
    {"degree", LT_PARAM_INT, offsetof(svc, degree), 3, 1, 20, NULL, "poly kernel degree"},
    {"coef0", LT_PARAM_FLOAT, offsetof(svc, coef0), 0, -LT_PARAM_NOMAX, LT_PARAM_NOMAX, NULL,
     "constant of the poly and sigmoid kernels"},
    {"tol", LT_PARAM_FLOAT, offsetof(svc, tol), 1e-3, LT_PARAM_GT0, LT_PARAM_NOMAX, NULL,
     "stop when the maximal KKT violation m(a) - M(a) < tol (libsvm -e)"},
    {"cache_mb", LT_PARAM_FLOAT, offsetof(svc, cache_mb), 200, LT_PARAM_GT0, 1e6, NULL,
     "kernel row cache, MB (shared by the training threads; at least 2 rows)"},
    {"shrinking", LT_PARAM_BOOL, offsetof(svc, shrinking), 1, 0, 1, NULL,
     "shrink bound variables out of the active set"},
    {"max_iter", LT_PARAM_INT, offsetof(svc, max_iter), 0, 0, 2e9, NULL,
     "SMO iterations per binary problem; 0 = libsvm's max(1e7, 100 n)"},
    {"probability", LT_PARAM_BOOL, offsetof(svc, probability), 0, 0, 1, NULL,
     "fit Platt sigmoids (5-fold CV) so predict_proba gives probabilities"},
    {"class_weight", LT_PARAM_CHOICE, offsetof(svc, class_weight), 0, 0, 0, "none|balanced",
     "balanced: C of class c times n / (k * count_c)"},
};

static int npairs(int k) { return k * (k - 1) / 2; }

static void svc_destroy(lt_model *mm)
{
    svc *m = (svc *)mm;
    free(m->nsv_class);
    free(m->sv);
    free(m->sv_sq);
    free(m->coef);
    free(m->icpt);
    free(m->prob_a);
    m->nsv_class = NULL;
    m->sv = m->sv_sq = m->coef = m->icpt = m->prob_a = m->prob_b = NULL;
    m->nsv = 0;
}

/* ---- binary decision of a fold model (Platt CV) -------------------------- */

typedef struct fold_ctx {
    const double *coef;  /* (nsv) */
    double rho;
    int64_t nsv;
    double *out;
} fold_ctx;

static void fold_block(void *c, int64_t r0, int64_t m, const float *K)
{
    fold_ctx *f = c;
    for (int64_t r = 0; r < m; r++) {
        double s = 0;
        for (int64_t t = 0; t < f->nsv; t++)
            s += f->coef[t] * K[r * f->nsv + t];
        f->out[r0 + r] = s - f->rho;
    }
}

/* out (nte) = decisions at rows te of X of the model (coef over rows tr). */
static int fold_decision(const svm_kparams *kp, const float *X, int64_t d, const int64_t *tr,
                         const double *coef, int64_t ntr, double rho, const int64_t *te,
                         int64_t nte, double *out)
{
    int64_t nsv = 0;
    for (int64_t t = 0; t < ntr; t++)
        nsv += coef[t] != 0;
    float *buf = lt_malloc(sizeof(float) * (size_t)((nsv + nte) * d + nsv));
    double *c = lt_malloc(sizeof(double) * (size_t)(nsv + 1));
    int rc = buf && c ? LT_OK : LT_ENOMEM;
    if (!rc) {
        float *sv = buf, *xte = sv + nsv * d, *sq = xte + nte * d;
        int64_t s = 0;
        for (int64_t t = 0; t < ntr; t++)
            if (coef[t] != 0) {
                memcpy(sv + s * d, X + tr[t] * d, sizeof(float) * (size_t)d);
                c[s++] = coef[t];
            }
        for (int64_t t = 0; t < nte; t++)
            memcpy(xte + t * d, X + te[t] * d, sizeof(float) * (size_t)d);
        svm_sqnorms(sv, nsv, d, sq);
        fold_ctx f = {c, rho, nsv, out};
        rc = svm_kernel_blocks(kp, xte, nte, d, sv, sq, nsv, fold_block, &f);
    }
    free(buf);
    free(c);
    return rc;
}

/* Platt's (A, B) for one binary problem from 5-fold CV decision values
 * (libsvm's svm_binary_svc_probability). Folds too small to hold both
 * labels give the decision +-1 (or 0) of the label they have. */
static int platt_cv(const svm_kparams *kp, const float *X, int64_t d, const int64_t *idx,
                    const int8_t *y, const double *C, int64_t l, size_t cache,
                    const svm_smo_opts *o, uint64_t seed, double *A, double *B)
{
    enum { NFOLD = 5 };
    int64_t *perm = lt_malloc(sizeof(int64_t) * (size_t)(3 * l));
    double *dec = lt_malloc(sizeof(double) * (size_t)(3 * l));
    int8_t *ys = lt_malloc((size_t)l);
    int rc = perm && dec && ys ? LT_OK : LT_ENOMEM;
    if (rc)
        goto out;
    int64_t *tr = perm + l, *te = tr + l;
    double *Cs = dec + l, *fte = Cs + l;
    for (int64_t i = 0; i < l; i++)
        perm[i] = i;
    lt_rng rng;
    lt_rng_seed(&rng, seed);
    lt_rng_shuffle(&rng, perm, l);
    for (int f = 0; f < NFOLD && !rc; f++) {
        const int64_t b = f * l / NFOLD, e = (f + 1) * l / NFOLD;
        int64_t ntr = 0, np = 0, nn = 0;
        for (int64_t t = 0; t < l; t++) {
            if (t >= b && t < e)
                continue;
            const int64_t i = perm[t];
            tr[ntr] = idx[i], ys[ntr] = y[i], Cs[ntr] = C[i];
            ntr++;
            if (y[i] > 0)
                np++;
            else
                nn++;
        }
        if (np == 0 || nn == 0) {
            for (int64_t t = b; t < e; t++)
                dec[perm[t]] = np > 0 ? 1 : nn > 0 ? -1 : 0;
            continue;
        }
        svm_binary fit;
        if ((rc = svm_train_binary(kp, X, d, tr, ys, Cs, ntr, cache, o, &fit)))
            break;
        for (int64_t t = b; t < e; t++)
            te[t - b] = idx[perm[t]];
        rc = fold_decision(kp, X, d, tr, fit.coef, ntr, fit.rho, te, e - b, fte);
        for (int64_t t = b; !rc && t < e; t++)
            dec[perm[t]] = fte[t - b];
        free(fit.coef);
    }
    if (!rc)
        svm_sigmoid_train(l, dec, y, A, B);
out:
    free(perm);
    free(dec);
    free(ys);
    return rc;
}

/* ---- fit -------------------------------------------------------------------- */

int svm_class_weights(const float *yf, const float *w, int64_t n, int nclass, double C,
                      int balanced, int64_t *count, double *Ci)
{
    for (int c = 0; c < nclass; c++)
        count[c] = 0;
    for (int64_t i = 0; i < n; i++)
        count[(int)yf[i]]++;
    int present = 0;
    for (int c = 0; c < nclass; c++)
        present += count[c] > 0;
    for (int64_t i = 0; i < n; i++) {
        const int c = (int)yf[i];
        double cw = balanced ? (double)n / ((double)present * (double)count[c]) : 1.0;
        Ci[i] = C * cw * (w ? w[i] : 1.0);
    }
    return present;
}

static int svc_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *yf,
                   const float *w)
{
    svc *m = (svc *)mm;
    const int k = mm->nclass, P = npairs(k);
    svm_kparams kp = {m->kernel, m->gamma > 0 ? m->gamma : svm_gamma_scale(X, n, d), m->coef0,
                      m->degree};
    // Group the rows by class: perm[start[c] .. start[c] + count[c]) are class c's rows.
    int64_t *count = lt_calloc((size_t)(3 * k + 1), sizeof(int64_t));
    int64_t *perm = lt_malloc(sizeof(int64_t) * (size_t)(2 * n));
    double *Ci = lt_malloc(sizeof(double) * (size_t)n);
    svm_binary *fits = lt_calloc((size_t)P, sizeof(svm_binary));
    double *pa = lt_calloc((size_t)(2 * P), sizeof(double));
    uint8_t *nz = lt_calloc((size_t)n, 1);
    int *prc = lt_calloc((size_t)P, sizeof(int));
    float *sv = NULL, *sv_sq = NULL, *coef = NULL, *icpt = NULL, *pab = NULL;
    int64_t *nsv_class = NULL;
    int rc = count && perm && Ci && fits && pa && nz && prc ? LT_OK : LT_ENOMEM;
    if (rc)
        goto out;
    int64_t *start = count + k;
    svm_class_weights(yf, w, n, k, m->C, m->class_weight == 1, count, Ci);
    for (int c = 0; c < k; c++)
        start[c + 1] = start[c] + count[c];
    {
        int64_t *fill = start + k + 1;  // next free position per class
        memcpy(fill, start, sizeof(int64_t) * (size_t)k);
        for (int64_t i = 0; i < n; i++)
            perm[fill[(int)yf[i]]++] = i;
    }

    int nthr = 1;
#ifdef _OPENMP
    nthr = omp_get_max_threads();
    if (nthr > P)
        nthr = P;
#endif
    const size_t cache = (size_t)(m->cache_mb * 1048576.0 / nthr);
    svm_smo_opts o = {m->tol, m->shrinking, m->max_iter, NULL, NULL};
    int done = 0;
    lt_blas_serial_begin();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr)
    for (int p = 0; p < P; p++) {
        // pair index p -> (i, j), i < j, lexicographic
        int i = 0, j, q = p;
        while (q >= k - 1 - i)
            q -= k - 1 - i, i++;
        j = i + 1 + q;
        const int64_t ci = count[i], cj = count[j], l = ci + cj;
        if (ci == 0 || cj == 0) {
            // A class absent from the training rows: no problem to solve. The
            // pair votes for the present class (an equal vote for every
            // present class, so the ranking is unchanged) and its sigmoid
            // says so with near certainty.
            fits[p].rho = ci ? -1 : cj ? 1 : 0;
            pa[2 * p] = 0;
            pa[2 * p + 1] = ci ? -30 : cj ? 30 : 0;
            continue;
        }
        int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)l);
        int8_t *y = lt_malloc((size_t)l);
        double *Cp = lt_malloc(sizeof(double) * (size_t)l);
        int r = idx && y && Cp ? LT_OK : LT_ENOMEM;
        for (int64_t t = 0; !r && t < l; t++) {
            idx[t] = perm[t < ci ? start[i] + t : start[j] + t - ci];
            y[t] = t < ci ? 1 : -1;
            Cp[t] = Ci[idx[t]];
        }
        if (!r && m->probability)
            r = platt_cv(&kp, X, d, idx, y, Cp, l, cache, &o, mm->seed + (uint64_t)p,
                         &pa[2 * p], &pa[2 * p + 1]);
        if (!r)
            r = svm_train_binary(&kp, X, d, idx, y, Cp, l, cache, &o, &fits[p]);
        prc[p] = r;
        free(idx);
        free(y);
        free(Cp);
#pragma omp critical(lt_svc_progress)
        {
            done++;
            if (mm->progress)
                mm->progress(mm->progress_user, done, P, fits[p].obj);
        }
    }
    lt_blas_serial_end();
    for (int p = 0; p < P && !rc; p++)
        rc = prc[p];
    if (rc)
        goto out;

    // Support vectors: rows (in grouped order) with a nonzero coefficient in
    // any pair; svpos maps a grouped position to its SV index.
    int64_t *svpos = perm + n;
    for (int p = 0, i = 0, j = 1; p < P; p++) {
        if (fits[p].coef) {
            for (int64_t t = 0; t < count[i]; t++)
                nz[start[i] + t] |= fits[p].coef[t] != 0;
            for (int64_t t = 0; t < count[j]; t++)
                nz[start[j] + t] |= fits[p].coef[count[i] + t] != 0;
        }
        if (++j == k)
            i++, j = i + 1;
    }
    int64_t nsv = 0;
    nsv_class = lt_calloc((size_t)k, sizeof(int64_t));
    if (!nsv_class) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (int c = 0; c < k; c++)
        for (int64_t t = start[c]; t < start[c + 1]; t++) {
            svpos[t] = nz[t] ? nsv++ : -1;
            nsv_class[c] += nz[t];
        }
    const int64_t nsv_alloc = nsv > 0 ? nsv : 1;
    sv = lt_calloc((size_t)(nsv_alloc * d), sizeof(float));
    sv_sq = lt_calloc((size_t)nsv_alloc, sizeof(float));
    coef = lt_calloc((size_t)((k - 1) * nsv_alloc), sizeof(float));
    icpt = lt_malloc(sizeof(float) * (size_t)P);
    pab = m->probability ? lt_malloc(sizeof(float) * (size_t)(2 * P)) : NULL;
    if (!sv || !sv_sq || !coef || !icpt || (m->probability && !pab)) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (int64_t t = 0; t < n; t++)
        if (svpos[t] >= 0)
            memcpy(sv + svpos[t] * d, X + perm[t] * d, sizeof(float) * (size_t)d);
    svm_sqnorms(sv, nsv, d, sv_sq);
    m->n_iter = 0;
    m->converged = 1;
    for (int p = 0, i = 0, j = 1; p < P; p++) {
        icpt[p] = (float)-fits[p].rho;
        if (pab)
            pab[p] = (float)pa[2 * p], pab[P + p] = (float)pa[2 * p + 1];
        if (fits[p].coef) {
            for (int64_t t = 0; t < count[i]; t++)
                if (svpos[start[i] + t] >= 0)
                    coef[(j - 1) * nsv_alloc + svpos[start[i] + t]] = (float)fits[p].coef[t];
            for (int64_t t = 0; t < count[j]; t++)
                if (svpos[start[j] + t] >= 0)
                    coef[i * nsv_alloc + svpos[start[j] + t]] = (float)fits[p].coef[count[i] + t];
            m->n_iter += fits[p].iter;
            m->converged &= fits[p].converged;
        }
        if (++j == k)
            i++, j = i + 1;
    }
    svc_destroy(mm);
    m->kp = kp;
    m->nsv = nsv_alloc;
    m->nsv_class = nsv_class;
    m->sv = sv;
    m->sv_sq = sv_sq;
    m->coef = coef;
    m->icpt = icpt;
    m->prob_a = pab;
    m->prob_b = pab ? pab + P : NULL;
    nsv_class = NULL;
    sv = sv_sq = coef = icpt = pab = NULL;
out:
    if (fits)
        for (int p = 0; p < P; p++)
            free(fits[p].coef);
    free(fits);
    free(count);
    free(perm);
    free(Ci);
    free(pa);
    free(nz);
    free(prc);
    free(nsv_class);
    free(sv);
    free(sv_sq);
    free(coef);
    free(icpt);
    free(pab);
    return rc;
}

/* ---- predict ------------------------------------------------------------------ */

typedef struct dec_ctx {
    const svc *m;
    double *out;  /* (n, npairs) */
} dec_ctx;

/* K (rows, nsv) -> pair decisions, libsvm's svm_predict_values. */
static void dec_block(void *c, int64_t r0, int64_t rows, const float *K)
{
    const dec_ctx *x = c;
    const svc *m = x->m;
    const int k = m->base.nclass, P = npairs(k);
    const int64_t nsv = m->nsv;
    int64_t first[64 + 1];  // first SV of each class; fit and load refuse k > 64
    first[0] = 0;
    for (int c2 = 0; c2 < k; c2++)
        first[c2 + 1] = first[c2] + m->nsv_class[c2];
    for (int64_t r = 0; r < rows; r++) {
        const float *kr = K + r * nsv;
        double *o = x->out + (r0 + r) * P;
        for (int p = 0, i = 0, j = 1; p < P; p++) {
            const float *ci = m->coef + (int64_t)(j - 1) * nsv, *cj = m->coef + (int64_t)i * nsv;
            double s = m->icpt[p];
            for (int64_t t = first[i]; t < first[i + 1]; t++)
                s += (double)ci[t] * kr[t];
            for (int64_t t = first[j]; t < first[j + 1]; t++)
                s += (double)cj[t] * kr[t];
            o[p] = s;
            if (++j == k)
                i++, j = i + 1;
        }
    }
}

static int decision(const svc *m, const float *X, int64_t n, double *out)
{
    dec_ctx c = {m, out};
    return svm_kernel_blocks(&m->kp, X, n, m->base.nfeat, m->sv, m->sv_sq, m->nsv, dec_block, &c);
}

int svm_svc_decision(const lt_model *mm, const float *X, int64_t n, double *out)
{
    return decision((const svc *)mm, X, n, out);
}

static int vote(const double *dec, int k)
{
    int votes[64] = {0}, best = 0;
    for (int p = 0, i = 0, j = 1; p < npairs(k); p++) {
        votes[dec[p] > 0 ? i : j]++;
        if (++j == k)
            i++, j = i + 1;
    }
    for (int c = 1; c < k; c++)
        if (votes[c] > votes[best])
            best = c;
    return best;
}

static int svc_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const svc *m = (const svc *)mm;
    const int k = mm->nclass, P = npairs(k);
    double *dec = lt_malloc(sizeof(double) * (size_t)(n * P));
    if (!dec)
        return LT_ENOMEM;
    int rc = decision(m, X, n, dec);
    for (int64_t r = 0; !rc && r < n; r++)
        out[r] = (float)vote(dec + r * P, k);
    free(dec);
    return rc;
}

static int svc_has_proba(const lt_model *mm) { return ((const svc *)mm)->probability; }

static int svc_predict_proba(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const svc *m = (const svc *)mm;
    const int k = mm->nclass, P = npairs(k);
    double *dec = lt_malloc(sizeof(double) * (size_t)(n * P + 3 * k * k + k));
    if (!dec)
        return LT_ENOMEM;
    double *r = dec + n * P, *Q = r + k * k, *Qp = Q + k * k, *pr = Qp + k;
    int rc = decision(m, X, n, dec);
    for (int64_t row = 0; !rc && row < n; row++) {
        const double *dv = dec + row * P;
        float *o = out + row * k;
        if (!m->prob_a) {
            int c = vote(dv, k);
            for (int t = 0; t < k; t++)
                o[t] = t == c;
            continue;
        }
        const double lo = 1e-7;  // libsvm's min_prob: keeps the coupling well posed
        for (int p = 0, i = 0, j = 1; p < P; p++) {
            double v = svm_sigmoid_predict(dv[p], m->prob_a[p], m->prob_b[p]);
            v = fmin(fmax(v, lo), 1 - lo);
            r[i * k + j] = v;
            r[j * k + i] = 1 - v;
            if (++j == k)
                i++, j = i + 1;
        }
        if (k == 2) {
            o[0] = (float)r[1];
            o[1] = (float)r[k];
        } else {
            svm_couple(k, r, pr, Q, Qp);
            for (int t = 0; t < k; t++)
                o[t] = (float)pr[t];
        }
    }
    free(dec);
    return rc;
}

/* ---- save / load / describe -------------------------------------------------- */

static int svc_save(const lt_model *mm, lt_state *st)
{
    const svc *m = (const svc *)mm;
    const int k = mm->nclass, P = npairs(k);
    float *ns = lt_malloc(sizeof(float) * (size_t)k);
    if (!ns)
        return LT_ENOMEM;
    for (int c = 0; c < k; c++)
        ns[c] = (float)m->nsv_class[c];
    int64_t s_sv[2] = {m->nsv, mm->nfeat}, s_c[2] = {k - 1, m->nsv}, s_k[1] = {k},
            s_p[1] = {P}, s_1[1] = {1};
    float g = (float)m->kp.gamma;
    int rc = lt_state_put(st, "n_support", 1, s_k, ns);
    free(ns);
    if (!rc)
        rc = lt_state_put(st, "support_vectors", 2, s_sv, m->sv);
    if (!rc)
        rc = lt_state_put(st, "dual_coef", 2, s_c, m->coef);
    if (!rc)
        rc = lt_state_put(st, "intercept", 1, s_p, m->icpt);
    if (!rc)
        rc = lt_state_put(st, "gamma", 1, s_1, &g);
    if (!rc && m->prob_a)
        rc = lt_state_put(st, "prob_a", 1, s_p, m->prob_a);
    if (!rc && m->prob_a)
        rc = lt_state_put(st, "prob_b", 1, s_p, m->prob_b);
    return rc;
}

static int svc_load(lt_model *mm, const lt_state *st)
{
    svc *m = (svc *)mm;
    const int k = mm->nclass, P = npairs(k);
    if (k > 64)
        return lt_error(LT_EUNSUPPORTED, "svc: at most 64 classes (file has %d)", k);
    int64_t s_k[1] = {k}, s_p[1] = {P}, s_1[1] = {1};
    const lt_tensor *ns, *sv, *c, *b, *g, *pa = NULL, *pb = NULL;
    int rc = lt_state_expect(st, "n_support", 1, s_k, &ns);
    if (rc)
        return rc;
    int64_t nsv = 0;
    for (int t = 0; t < k; t++) {
        float v = ns->data[t];
        if (!(v >= 0 && v <= 1e12 && v == floorf(v)))
            return lt_error(LT_ECORRUPT, "svc: n_support[%d] = %g is not a count", t, (double)v);
        nsv += (int64_t)v;
    }
    if (nsv < 1)
        return lt_error(LT_ECORRUPT, "svc: n_support sums to 0");
    int64_t s_sv[2] = {nsv, mm->nfeat}, s_c[2] = {k - 1, nsv};
    if ((rc = lt_state_expect(st, "support_vectors", 2, s_sv, &sv)) ||
        (rc = lt_state_expect(st, "dual_coef", 2, s_c, &c)) ||
        (rc = lt_state_expect(st, "intercept", 1, s_p, &b)) ||
        (rc = lt_state_expect(st, "gamma", 1, s_1, &g)))
        return rc;
    if (m->probability && ((rc = lt_state_expect(st, "prob_a", 1, s_p, &pa)) ||
                           (rc = lt_state_expect(st, "prob_b", 1, s_p, &pb))))
        return rc;
    svc_destroy(mm);
    m->nsv_class = lt_malloc(sizeof(int64_t) * (size_t)k);
    m->sv = lt_malloc(sizeof(float) * (size_t)(nsv * mm->nfeat));
    m->sv_sq = lt_malloc(sizeof(float) * (size_t)nsv);
    m->coef = lt_malloc(sizeof(float) * (size_t)((k - 1) * nsv));
    m->icpt = lt_malloc(sizeof(float) * (size_t)P);
    m->prob_a = pa ? lt_malloc(sizeof(float) * (size_t)(2 * P)) : NULL;
    if (!m->nsv_class || !m->sv || !m->sv_sq || !m->coef || !m->icpt || (pa && !m->prob_a)) {
        svc_destroy(mm);
        return LT_ENOMEM;
    }
    for (int t = 0; t < k; t++)
        m->nsv_class[t] = (int64_t)ns->data[t];
    m->nsv = nsv;
    memcpy(m->sv, sv->data, sizeof(float) * (size_t)(nsv * mm->nfeat));
    memcpy(m->coef, c->data, sizeof(float) * (size_t)((k - 1) * nsv));
    memcpy(m->icpt, b->data, sizeof(float) * (size_t)P);
    if (pa) {
        m->prob_b = m->prob_a + P;
        memcpy(m->prob_a, pa->data, sizeof(float) * (size_t)P);
        memcpy(m->prob_b, pb->data, sizeof(float) * (size_t)P);
    }
    svm_sqnorms(m->sv, nsv, mm->nfeat, m->sv_sq);
    m->kp = (svm_kparams){m->kernel, g->data[0], m->coef0, m->degree};
    return LT_OK;
}

static char *svc_describe(const lt_model *mm)
{
    const svc *m = (const svc *)mm;
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"n_support\":%lld,\"gamma\":%.9g,\"n_iter\":%lld,\"converged\":%s,"
             "\"probability\":%s}",
             (long long)m->nsv, m->kp.gamma, (long long)m->n_iter,
             m->converged ? "true" : "false", m->prob_a ? "true" : "false");
    return lt_strdup(buf);
}

static int svc_fit_checked(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                           const float *w)
{
    if (mm->nclass > 64)
        return lt_error(LT_EUNSUPPORTED, "svc: at most 64 classes for one-vs-one (got %d)",
                        mm->nclass);
    return svc_fit(mm, X, n, d, y, w);
}

const lt_model_vtable lt_svc_vtable = {
    .name = "svc",
    .summary = "support vector classifier (C-SVC; rbf, linear, poly, sigmoid kernels; "
               "one-vs-one; SMO as libsvm)",
    .supports_regression = 0,
    .supports_classification = 1,
    .unsupervised_task = 0,
    .size = sizeof(svc),
    .params = svc_params,
    .nparams = (int)(sizeof svc_params / sizeof svc_params[0]),
    .fit = svc_fit_checked,
    .predict = svc_predict,
    .predict_proba = svc_predict_proba,
    .has_proba = svc_has_proba,
    .save = svc_save,
    .load = svc_load,
    .describe = svc_describe,
    .destroy = svc_destroy,
};
