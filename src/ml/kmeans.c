/* k-means "kmeans": Lloyd's algorithm with the distance step through BLAS,
 * Hamerly's exact accelerated variant (kmeans_hamerly.c) and Sculley's
 * mini-batch k-means (WWW 2010). Seeding by greedy k-means++ (the variant
 * scikit-learn uses: 2 + floor(ln k) candidates per step, keep the one that
 * lowers the potential most) or k random rows. n_init restarts keep the run
 * with the lowest inertia.
 *
 * Stopping (as scikit-learn): labels unchanged, or the summed squared shift
 * of the centers <= tol * mean feature variance of X. Mini-batch stops after
 * max_iter passes over the data or when the smoothed batch inertia has not
 * improved for 10 batches.
 *
 * Determinism and threads (kmeans_pass.c): rows are split into fixed
 * units, each unit keeps its own partial sums, and these are added in unit
 * order, so the same seed gives the same centers for any thread count.
 * Lloyd reads X once per iteration in one OpenMP region (labels and the
 * new centers' sums together, BLAS single-threaded inside, once per fit);
 * the iterated passes drop to one thread while a second one does not pay
 * (km_pass_begin: a loaded machine). Narrow tables (d <= 16) get a copy of
 * X column-major for the fit, read by the direct distance kernel. */
#include "kmeans_impl.h"

#include "lathe/cluster.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *algo_names[] = {"lloyd", "hamerly", "minibatch"};

static const lt_param_spec kmeans_params[] = {
    {"k", LT_PARAM_INT, offsetof(kmeans, k), 8, 1, LT_PARAM_NOMAX, NULL, "number of clusters"},
    {"init", LT_PARAM_CHOICE, offsetof(kmeans, init), KM_INIT_PP, 0, 0, "kmeans++|random",
     "seeding: greedy k-means++ or k distinct random rows"},
    {"n_init", LT_PARAM_INT, offsetof(kmeans, n_init), 0, 0, 1000, NULL,
     "restarts, the lowest inertia is kept; 0 = auto (1 for kmeans++, 10 for random)"},
    {"max_iter", LT_PARAM_INT, offsetof(kmeans, max_iter), 300, 1, 1e8, NULL,
     "iterations (minibatch: passes over the data)"},
    {"tol", LT_PARAM_FLOAT, offsetof(kmeans, tol), 1e-4, 0, LT_PARAM_NOMAX, NULL,
     "stop when the squared center shift <= tol * mean feature variance"},
    {"algorithm", LT_PARAM_CHOICE, offsetof(kmeans, algorithm), KM_LLOYD, 0, 0,
     "lloyd|hamerly|minibatch", "lloyd (BLAS), hamerly (exact, triangle inequality), minibatch"},
    {"batch_size", LT_PARAM_INT, offsetof(kmeans, batch_size), 1024, 1, 1e9, NULL,
     "minibatch: rows per batch"},
};

/* ---- seeding ----------------------------------------------------------------- */

/* Sum of min(c[r], v[r]) over r < m, in 8 fixed lanes (row r in lane r % 8,
 * lanes added in order): the same bits in either clone, and vectorised,
 * where one running double sum is a chain of dependent adds. */
__attribute__((target_clones("arch=x86-64-v3", "default"))) static double
min_sum(const double *restrict c, const float *restrict v, int64_t m)
{
    double acc[8] = {0};
    int64_t r = 0;
    for (; r + 8 <= m; r += 8)
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) {
            const double a = c[r + q], b = v[r + q];
            acc[q] += a < b ? a : b;
        }
    for (; r < m; r++) {
        const double a = c[r], b = v[r];
        acc[r % 8] += a < b ? a : b;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's local
 * trials). closest (n): squared distance to the nearest chosen center.
 * Each step draws `trials` candidates with probability ~ closest, scores
 * each by the potential sum(min(closest, its distances)) in one pass
 * (km_plan_dist over fixed units, partial sums per unit: deterministic),
 * keeps the lowest and updates closest in a second pass with the same
 * distances. Was: every candidate's distances kept in a (trials, n)
 * buffer and summed in one dependent chain, 30% of a 34-iteration fit
 * (profiled, 250k x 5). xt: X column-major or NULL (km_transpose). Called
 * with BLAS serial. */
static int init_pp(const float *X, const float *xt, int64_t n, int64_t d, int64_t k, lt_rng *rng,
                   float *C)
{
    const int trials = 2 + (int)log((double)k);
    km_plan p;
    int rc = km_plan_init(&p, n, d, k > trials ? k : trials);  // D (trials, blk) per thread
    if (rc)
        return rc;
    p.xt = xt;
    double *closest = lt_malloc(sizeof(double) * (size_t)n);
    double *cum = lt_malloc(sizeof(double) * (size_t)n);
    float *Ct = lt_malloc(sizeof(float) * (size_t)(trials * d));
    if (!closest || !cum || !Ct) {
        free(closest), free(cum), free(Ct);
        km_plan_free(&p);
        return LT_ENOMEM;
    }
    int64_t first = (int64_t)lt_rng_below(rng, (uint64_t)n);
    memcpy(C, X + first * d, sizeof(float) * (size_t)d);
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (int64_t i = 0; i < n; i++)
        closest[i] = km_dist2(X + i * d, C, d);
    int64_t idx[32];
    for (int64_t c = 1; c < k; c++) {
        double acc = 0;
        for (int64_t i = 0; i < n; i++)
            cum[i] = acc += closest[i];
        for (int t = 0; t < trials; t++) {
            double r = lt_rng_uniform(rng) * acc;
            int64_t lo = 0, hi = n - 1;  // first i with cum[i] > r (searchsorted right)
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (cum[mid] > r)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            idx[t] = lo;
            memcpy(Ct + t * d, X + lo * d, sizeof(float) * (size_t)d);
        }
        // pass 1: potential of each candidate, per unit (part (nunit, trials))
#pragma omp parallel for schedule(dynamic, 1) if (p.nunit > 1)
        for (int64_t u = 0; u < p.nunit; u++) {
            float *D, *xT, *best;
            int32_t *bl;
            km_thread_scratch(&p, &D, &xT, &best, &bl);
            const int64_t i1 = (u + 1) * p.unit < n ? (u + 1) * p.unit : n;
            double s[32] = {0};
            for (int64_t i0 = u * p.unit; i0 < i1; i0 += p.blk) {
                const int64_t m = i1 - i0 < p.blk ? i1 - i0 : p.blk;
                km_plan_dist(&p, X, i0, m, Ct, trials, D);
                for (int t = 0; t < trials; t++)
                    s[t] += min_sum(closest + i0, D + t * m, m);
            }
            for (int t = 0; t < trials; t++)
                p.part[u * trials + t] = s[t];
        }
        int best = 0;
        double best_pot = DBL_MAX;
        for (int t = 0; t < trials; t++) {
            double s = 0;
            for (int64_t u = 0; u < p.nunit; u++)
                s += p.part[u * trials + t];
            if (s < best_pot)
                best_pot = s, best = t;
        }
        // pass 2: closest = min(closest, distances to the kept candidate),
        // the same numbers as pass 1 (same blocks, same call)
#pragma omp parallel for schedule(dynamic, 1) if (p.nunit > 1)
        for (int64_t u = 0; u < p.nunit; u++) {
            float *D, *xT, *bst;
            int32_t *bl;
            km_thread_scratch(&p, &D, &xT, &bst, &bl);
            const int64_t i1 = (u + 1) * p.unit < n ? (u + 1) * p.unit : n;
            for (int64_t i0 = u * p.unit; i0 < i1; i0 += p.blk) {
                const int64_t m = i1 - i0 < p.blk ? i1 - i0 : p.blk;
                km_plan_dist(&p, X, i0, m, Ct, trials, D);
                const float *Db = D + best * m;
                double *cl = closest + i0;
                for (int64_t r = 0; r < m; r++)
                    cl[r] = cl[r] < Db[r] ? cl[r] : Db[r];
            }
        }
        memcpy(C + c * d, X + idx[best] * d, sizeof(float) * (size_t)d);
    }
    free(closest), free(cum), free(Ct);
    km_plan_free(&p);
    return LT_OK;
}

/* k distinct rows, uniformly. */
static int init_random(const float *X, int64_t n, int64_t d, int64_t k, lt_rng *rng, float *C)
{
    int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)n);
    if (!idx)
        return LT_ENOMEM;
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < k; j++) {  // partial Fisher-Yates
        int64_t r = j + (int64_t)lt_rng_below(rng, (uint64_t)(n - j));
        int64_t t = idx[j];
        idx[j] = idx[r], idx[r] = t;
        memcpy(C + j * d, X + idx[j] * d, sizeof(float) * (size_t)d);
    }
    free(idx);
    return LT_OK;
}

static int km_init(const kmeans *m, const float *X, const float *xt, int64_t n, int64_t d,
                   lt_rng *rng, float *C)
{
    return m->init == KM_INIT_RANDOM ? init_random(X, n, d, m->k, rng, C)
                                     : init_pp(X, xt, n, d, m->k, rng, C);
}

/* ---- Lloyd ---------------------------------------------------------------- */

/* One fused pass per iteration (kmeans_pass.c): labels against C and the
 * sums of the new clusters in the same read of X, then the serial center
 * update. Iteration it: labels_it from C_it; if they equal labels_{it-1},
 * C_it already holds their means (stop); else C_{it+1} = means, stop when
 * the squared shift <= tol_abs. */
static int km_lloyd(const kmeans *m, const float *X, const float *xt, int64_t n, int64_t d,
                    float *C, int32_t *lab, double tol_abs, km_run *res)
{
    const int64_t k = m->k;
    km_plan p;
    int rc = km_plan_init(&p, n, d, k);
    if (rc)
        return rc;
    p.xt = xt;
    double *sum = lt_malloc(sizeof(double) * (size_t)(k * d + k));
    rc = sum ? LT_OK : LT_ENOMEM;
    memset(res, 0, sizeof *res);
    memset(lab, 0xff, sizeof(int32_t) * (size_t)n);  // -1: every row "changes" in pass 0
    for (int it = 0; !rc && it < m->max_iter; it++) {
        double in = 0;
        int64_t changes =
            km_plan_lloyd(&p, X, C, lab, sum, sum + k * d, m->base.progress ? &in : NULL);
        res->n_iter = it + 1;
        if (it > 0 && changes == 0) {
            res->converged = 1;  // labels unchanged: C already holds their means
            break;
        }
        double shift = km_finish(X, n, d, C, k, lab, sum, sum + k * d, NULL);
        if (m->base.progress)
            m->base.progress(m->base.progress_user, it + 1, m->max_iter, in);
        if (shift <= tol_abs) {
            res->converged = 1;
            break;
        }
    }
    // Labels consistent with the final centers (scikit-learn does the same).
    if (!rc) {
        km_plan_assign(&p, X, C, lab, NULL);
        res->inertia = km_inertia(X, n, d, C, lab);
    }
    free(sum);
    km_plan_free(&p);
    return rc;
}

/* ---- mini-batch (Sculley 2010) ---------------------------------------------- */

static int km_minibatch(const kmeans *m, const float *X, int64_t n, int64_t d, lt_rng *rng,
                        int n_init, float *C, int32_t *lab, km_run *res)
{
    const int64_t k = m->k, b = m->batch_size < n ? m->batch_size : n;
    int64_t ninit = 3 * b > 3 * k ? 3 * b : 3 * k;
    if (ninit > n)
        ninit = n;
    int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)n);
    float *Xs = lt_malloc(sizeof(float) * (size_t)(ninit * d));
    float *Ct = lt_malloc(sizeof(float) * (size_t)(k * d));
    float *d2 = lt_malloc(sizeof(float) * (size_t)(ninit > b ? ninit : b));
    int32_t *lb = lt_malloc(sizeof(int32_t) * (size_t)(ninit > b ? ninit : b));
    double *v = lt_calloc((size_t)(2 * k + k * d), sizeof(double));
    int rc = idx && Xs && Ct && d2 && lb && v ? LT_OK : LT_ENOMEM;
    if (rc)
        goto out;
    memset(res, 0, sizeof *res);
    // Seeding on a random subsample of 3 batches; with n_init > 1 the seeding
    // with the lowest inertia on that subsample wins.
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t j = 0; j < ninit && ninit < n; j++) {
        int64_t r = j + (int64_t)lt_rng_below(rng, (uint64_t)(n - j)), t = idx[j];
        idx[j] = idx[r], idx[r] = t;
    }
    for (int64_t j = 0; j < ninit; j++)
        memcpy(Xs + j * d, X + idx[j] * d, sizeof(float) * (size_t)d);
    double best = DBL_MAX;
    for (int r = 0; r < n_init && !rc; r++) {
        if ((rc = km_init(m, Xs, NULL, ninit, d, rng, Ct)) ||
            (rc = km_assign(Xs, ninit, d, Ct, k, lb, d2)))
            break;
        double in = 0;
        for (int64_t i = 0; i < ninit; i++)
            in += d2[i];
        if (in < best) {
            best = in;
            memcpy(C, Ct, sizeof(float) * (size_t)(k * d));
        }
    }
    if (rc)
        goto out;
    // Batches drawn with replacement; center j moves to the running mean of
    // every row ever assigned to it: c += (x - c) / count (Sculley's rate).
    float *Xb = Xs;  // ninit >= b rows: reuse as the batch buffer
    double *cnt = v, *bcnt = v + k, *bsum = v + 2 * k;
    const int64_t steps = (int64_t)m->max_iter * ((n + b - 1) / b);
    const double alpha = fmin(1.0, 2.0 * (double)b / ((double)n + 1));
    double ewa = -1, best_ewa = DBL_MAX;
    int no_improve = 0;
    int64_t s = 0;
    for (; s < steps; s++) {
        for (int64_t r = 0; r < b; r++)
            memcpy(Xb + r * d, X + (int64_t)lt_rng_below(rng, (uint64_t)n) * d,
                   sizeof(float) * (size_t)d);
        if ((rc = km_assign(Xb, b, d, C, k, lb, d2)))
            goto out;
        double bi = 0;
        memset(bcnt, 0, sizeof(double) * (size_t)(k + k * d));
        for (int64_t r = 0; r < b; r++) {
            bi += d2[r];
            bcnt[lb[r]] += 1;
            for (int64_t f = 0; f < d; f++)
                bsum[lb[r] * d + f] += Xb[r * d + f];
        }
        for (int64_t j = 0; j < k; j++) {
            if (bcnt[j] == 0)
                continue;
            double nc = cnt[j] + bcnt[j];
            for (int64_t f = 0; f < d; f++)
                C[j * d + f] = (float)((C[j * d + f] * cnt[j] + bsum[j * d + f]) / nc);
            cnt[j] = nc;
        }
        bi /= (double)b;
        ewa = ewa < 0 ? bi : ewa * (1 - alpha) + bi * alpha;
        if (m->base.progress && s % 100 == 0)
            m->base.progress(m->base.progress_user, s + 1, steps, ewa);
        if (ewa < best_ewa) {
            best_ewa = ewa;
            no_improve = 0;
        } else if (++no_improve >= 10) {
            res->converged = 1;
            s++;
            break;
        }
    }
    res->n_iter = (int)(s > 2147483647 ? 2147483647 : s);
    if ((rc = km_assign(X, n, d, C, k, lab, NULL)) == LT_OK)
        res->inertia = km_inertia(X, n, d, C, lab);
out:
    free(idx), free(Xs), free(Ct), free(d2), free(lb), free(v);
    return rc;
}

/* ---- vtable ----------------------------------------------------------------- */

static void kmeans_destroy(lt_model *mm)
{
    kmeans *m = (kmeans *)mm;
    free(m->centers);
    free(m->sizes);
    m->centers = m->sizes = NULL;
}

static int kmeans_fit(lt_model *mm, const float *X, int64_t n, int64_t d, const float *y,
                      const float *w)
{
    kmeans *m = (kmeans *)mm;
    (void)y;
    if (w)
        return lt_error(LT_EUNSUPPORTED, "kmeans: sample weights are not supported");
    const int64_t k = m->k;
    if (k < 1)
        return lt_error(LT_EINVAL, "kmeans: parameter 'k' must be >= 1 (got %d)", m->k);
    if (k > n)
        return lt_error(LT_EINVAL,
                        "kmeans: parameter 'k' = %lld is larger than the number of rows (%lld)",
                        (long long)k, (long long)n);
    const int n_init = m->n_init ? m->n_init : m->init == KM_INIT_RANDOM ? 10 : 1;
    // tol is relative to the data: scikit-learn's tol * mean(var(X, axis=0)).
    double mv = 0;
    for (int64_t f = 0; f < d; f++) {
        double mean = 0, ss = 0;
        for (int64_t i = 0; i < n; i++)
            mean += X[i * d + f];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++)
            ss += (X[i * d + f] - mean) * (X[i * d + f] - mean);
        mv += ss / (double)n;
    }
    const double tol_abs = m->tol * mv / (double)d;

    float *C = lt_malloc(sizeof(float) * (size_t)(k * d));
    float *bestC = lt_malloc(sizeof(float) * (size_t)(k * d));
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)n);
    float *sizes = lt_calloc((size_t)k, sizeof(float));
    int rc = C && bestC && lab && sizes ? LT_OK : LT_ENOMEM;
    lt_rng rng;
    lt_rng_seed(&rng, mm->seed);
    km_run best = {DBL_MAX, 0, 0}, run;
    float *xt = NULL;  // X column-major for the narrow-table passes (d*n floats)
    if (!rc && m->algorithm != KM_MINIBATCH)
        rc = km_transpose(X, n, d, &xt);
    lt_blas_serial_begin();  // once for the fit: every pass below nests inside
    if (!rc && m->algorithm == KM_MINIBATCH) {
        rc = km_minibatch(m, X, n, d, &rng, n_init, bestC, lab, &best);
    } else {
        for (int r = 0; !rc && r < n_init; r++) {
            if ((rc = km_init(m, X, xt, n, d, &rng, C)))
                break;
            rc = m->algorithm == KM_HAMERLY ? km_hamerly(m, X, xt, n, d, C, lab, tol_abs, &run)
                                            : km_lloyd(m, X, xt, n, d, C, lab, tol_abs, &run);
            if (!rc && run.inertia < best.inertia) {
                best = run;
                memcpy(bestC, C, sizeof(float) * (size_t)(k * d));
            }
        }
        if (!rc && n_init > 1)  // labels of the kept run, for the sizes
            rc = km_assign(X, n, d, bestC, k, lab, NULL);
    }
    lt_blas_serial_end();
    free(xt);
    if (!rc) {
        for (int64_t i = 0; i < n; i++)
            sizes[lab[i]] += 1;
        kmeans_destroy(mm);
        m->centers = bestC, m->sizes = sizes, m->kfit = k;
        bestC = NULL, sizes = NULL;
        m->inertia = best.inertia;
        m->n_iter = best.n_iter;
        m->converged = best.converged;
    } else {
        lt_error_wrap(rc, "kmeans (%s): ", algo_names[m->algorithm]);
    }
    free(C), free(bestC), free(lab), free(sizes);
    return rc;
}

static int kmeans_predict(const lt_model *mm, const float *X, int64_t n, float *out)
{
    const kmeans *m = (const kmeans *)mm;
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)n);
    if (!lab)
        return LT_ENOMEM;
    int rc = km_assign(X, n, mm->nfeat, m->centers, m->kfit, lab, NULL);
    for (int64_t i = 0; !rc && i < n; i++)
        out[i] = (float)lab[i];
    free(lab);
    return rc;
}

static int kmeans_save(const lt_model *mm, lt_state *st)
{
    const kmeans *m = (const kmeans *)mm;
    int64_t cs[2] = {m->kfit, mm->nfeat}, ks[1] = {m->kfit}, fs[1] = {3};
    float fit[3] = {(float)m->inertia, (float)m->n_iter, (float)m->converged};
    int rc = lt_state_put(st, "centers", 2, cs, m->centers);
    if (!rc)
        rc = lt_state_put(st, "sizes", 1, ks, m->sizes);
    return rc ? rc : lt_state_put(st, "fit", 1, fs, fit);
}

static int kmeans_load(lt_model *mm, const lt_state *st)
{
    kmeans *m = (kmeans *)mm;
    int64_t cs[2] = {m->k, mm->nfeat}, ks[1] = {m->k}, fs[1] = {3};
    const lt_tensor *c, *s, *f;
    int rc = lt_state_expect(st, "centers", 2, cs, &c);
    if (rc || (rc = lt_state_expect(st, "sizes", 1, ks, &s)) ||
        (rc = lt_state_expect(st, "fit", 1, fs, &f)))
        return rc;
    for (int64_t i = 0; i < m->k * mm->nfeat; i++)
        if (!isfinite(c->data[i]))
            return lt_error(LT_ECORRUPT, "kmeans: centers hold a non-finite value");
    float *C = lt_malloc(sizeof(float) * (size_t)(m->k * mm->nfeat));
    float *S = lt_malloc(sizeof(float) * (size_t)m->k);
    if (!C || !S) {
        free(C), free(S);
        return LT_ENOMEM;
    }
    memcpy(C, c->data, sizeof(float) * (size_t)(m->k * mm->nfeat));
    memcpy(S, s->data, sizeof(float) * (size_t)m->k);
    kmeans_destroy(mm);
    m->centers = C, m->sizes = S, m->kfit = m->k;
    m->inertia = f->data[0], m->n_iter = (int)f->data[1], m->converged = f->data[2] != 0;
    return LT_OK;
}

static char *kmeans_describe(const lt_model *mm)
{
    const kmeans *m = (const kmeans *)mm;
    size_t cap = 160 + 24 * (size_t)m->kfit, len;
    char *s = lt_malloc(cap);
    if (!s)
        return NULL;
    len = (size_t)snprintf(s, cap,
                           "{\"inertia\":%.10g,\"n_iter\":%d,\"k\":%lld,\"converged\":%s,"
                           "\"algorithm\":\"%s\",\"sizes\":[",
                           m->inertia, m->n_iter, (long long)m->kfit,
                           m->converged ? "true" : "false", algo_names[m->algorithm]);
    for (int64_t j = 0; j < m->kfit && len < cap; j++)
        len += (size_t)snprintf(s + len, cap - len, "%s%.0f", j ? "," : "", (double)m->sizes[j]);
    if (len < cap)
        snprintf(s + len, cap - len, "]}");
    return s;
}

const lt_model_vtable lt_kmeans_vtable = {
    .name = "kmeans",
    .summary = "k-means clustering (lloyd via BLAS, hamerly, minibatch; k-means++ seeding)",
    .unsupervised_task = LT_TASK_CLUSTER,
    .size = sizeof(kmeans),
    .params = kmeans_params,
    .nparams = (int)(sizeof kmeans_params / sizeof kmeans_params[0]),
    .fit = kmeans_fit,
    .predict = kmeans_predict,
    .save = kmeans_save,
    .load = kmeans_load,
    .describe = kmeans_describe,
    .destroy = kmeans_destroy,
};

/* ---- public accessors (lathe/cluster.h) ---------------------------------------- */

static int as_kmeans(const lt_model *m, const kmeans **out)
{
    if (!m || m->vt != &lt_kmeans_vtable)
        return lt_error(LT_EINVAL, "not a kmeans model (%s)", m ? m->vt->name : "NULL");
    if (!m->fitted)
        return lt_error(LT_ESTATE, "kmeans: model is not fitted");
    *out = (const kmeans *)m;
    return LT_OK;
}

int lt_kmeans_centers(const lt_model *mm, const float **centers, int64_t *k)
{
    const kmeans *m = NULL;
    int rc = as_kmeans(mm, &m);
    if (rc)
        return rc;
    *centers = m->centers;
    *k = m->kfit;
    return LT_OK;
}

int lt_kmeans_inertia(const lt_model *mm, const float *X, int64_t n, double *out)
{
    const kmeans *m = NULL;
    int rc = as_kmeans(mm, &m);
    if (rc)
        return rc;
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!lab)
        return LT_ENOMEM;
    rc = km_assign(X, n, mm->nfeat, m->centers, m->kfit, lab, NULL);
    if (!rc)
        *out = km_inertia(X, n, mm->nfeat, m->centers, lab);
    free(lab);
    return rc;
}
