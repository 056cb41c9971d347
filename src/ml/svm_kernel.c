/* Kernel values for the SVMs, and the LRU cache of kernel rows.
 *
 * Every kernel here is a function of the dot product (and, for rbf, of the
 * two squared norms): K = map(x.z). So a row K(x_i, X[a:b]) is one sgemv
 * over the rows a..b plus an elementwise map, and a prediction block
 * K(A, B) is one sgemm plus the same map:
 *   linear   x.z
 *   rbf      exp(-gamma max(|x|^2 + |z|^2 - 2 x.z, 0))
 *   poly     (gamma x.z + coef0)^degree
 *   sigmoid  tanh(gamma x.z + coef0)
 * The exponentials use a float exp of our own (Cephes' polynomial, about
 * 1 ulp), four lanes at a time through GCC/clang vector extensions: glibc's
 * expf does not vectorise without -ffast-math. */
#include "svm_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* exp(x) for float x, vectorisable: x = n ln2 + r, |r| <= ln2/2,
 * e^r by Cephes' degree-6 polynomial, 2^n through the exponent bits. */
static inline float svm_expf(float x)
{
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f;
    float fn = (t + 12582912.0f) - 12582912.0f;  // round to nearest (1.5 * 2^23 trick)
    float r = x - fn * 0.693359375f;
    r -= fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } u;
    u.i = ((int32_t)fn + 127) << 23;
    return e * u.f;
}

/* The same exp on 4 floats with GCC/clang vector extensions. The scalar
 * loop above does not vectorise by itself: its clamps are float
 * comparisons, which -ftrapping-math (the default) keeps as branches. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f v4_select(v4i m, v4f a, v4f b)
{
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

static inline v4f v4_expf(v4f x)
{
    const v4f lo = {-87.0f, -87.0f, -87.0f, -87.0f}, hi = {88.0f, 88.0f, 88.0f, 88.0f};
    x = v4_select(x < lo, lo, x);
    x = v4_select(x > hi, hi, x);
    v4f t = x * 1.44269504088896341f;
    v4f fn = (t + 12582912.0f) - 12582912.0f;
    v4f r = x - fn * 0.693359375f;
    r -= fn * -2.12194440e-4f;
    v4f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    v4f e = p * r * r + r + 1.0f;
    v4i n = __builtin_convertvector(fn, v4i);
    return e * (v4f)((n + 127) << 23);
}

static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* dot (m) -> kernel values in place. sqx: |x|^2 of the fixed point (rbf),
 * sqz (m): squared norms of the other points (rbf). */
static void kernel_map(const svm_kparams *kp, float *v, int64_t m, float sqx, const float *sqz)
{
    const float g = (float)kp->gamma, c0 = (float)kp->coef0;
    const int64_t m4 = m & ~(int64_t)3;
    switch (kp->type) {
    case SVM_RBF: {
        const v4f zero = {0, 0, 0, 0};
        for (int64_t j = 0; j < m4; j += 4) {
            v4f d2 = sqx + v4_load(sqz + j) - 2.0f * v4_load(v + j);
            d2 = v4_select(d2 > zero, d2, zero);
            v4f k = v4_expf(-g * d2);
            memcpy(v + j, &k, sizeof k);
        }
        for (int64_t j = m4; j < m; j++) {
            float d2 = sqx + sqz[j] - 2.0f * v[j];
            v[j] = svm_expf(-g * (d2 > 0.0f ? d2 : 0.0f));
        }
        break;
    }
    case SVM_POLY: {
        const int deg = kp->degree;
        for (int64_t j = 0; j < m; j++) {
            float b = g * v[j] + c0, p = b;
            for (int k = 1; k < deg; k++)
                p *= b;
            v[j] = p;
        }
        break;
    }
    case SVM_SIGMOID:
        // tanh(z) = 1 - 2 / (e^{2z} + 1); the exp clamps, so no inf/inf
        for (int64_t j = 0; j < m4; j += 4) {
            v4f z = g * v4_load(v + j) + c0;
            v4f k = 1.0f - 2.0f / (v4_expf(2.0f * z) + 1.0f);
            memcpy(v + j, &k, sizeof k);
        }
        for (int64_t j = m4; j < m; j++) {
            float z = g * v[j] + c0;
            v[j] = 1.0f - 2.0f / (svm_expf(2.0f * z) + 1.0f);
        }
        break;
    default: break;  // linear: the dot product itself
    }
}

double svm_gamma_scale(const float *X, int64_t n, int64_t d)
{
    // Two passes in double: the mean, then the variance (numpy's X.var()).
    double s = 0, v = 0, N = (double)n * (double)d;
    for (int64_t i = 0; i < n * d; i++)
        s += X[i];
    double mu = s / N;
    for (int64_t i = 0; i < n * d; i++)
        v += (X[i] - mu) * (X[i] - mu);
    v /= N;
    return v > 0 ? 1.0 / ((double)d * v) : 1.0;
}

void svm_sqnorms(const float *X, int64_t n, int64_t d, float *sq)
{
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < d; j++)
            s += (double)X[i * d + j] * X[i * d + j];
        sq[i] = (float)s;
    }
}

int svm_kernel_init(svm_kernel *k, const svm_kparams *kp, const float *Xsrc, int64_t d,
                    const int64_t *idx, int64_t n)
{
    memset(k, 0, sizeof *k);
    k->kp = *kp;
    k->n = n;
    k->d = d;
    k->X = lt_malloc(sizeof(float) * (size_t)(n * d));
    k->sq = lt_malloc(sizeof(float) * (size_t)n);
    if (!k->X || !k->sq) {
        svm_kernel_free(k);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(k->X + i * d, Xsrc + (idx ? idx[i] : i) * d, sizeof(float) * (size_t)d);
    svm_sqnorms(k->X, n, d, k->sq);
    return LT_OK;
}

void svm_kernel_free(svm_kernel *k)
{
    free(k->X);
    free(k->sq);
    k->X = k->sq = NULL;
}

void svm_kernel_row(const svm_kernel *k, int64_t i, int64_t a, int64_t b, float *out)
{
    const int64_t m = b - a, d = k->d;
    if (m <= 0)
        return;
    // out (m) = X[a:b] (m, d) . x_i (d)
    lt_sgemv(0, m, d, 1.0f, k->X + a * d, d, k->X + i * d, 0.0f, out);
    kernel_map(&k->kp, out, m, k->sq[i], k->sq + a);
}

double svm_kernel_diag(const svm_kernel *k, int64_t i)
{
    float v = k->sq[i];  // x_i . x_i
    kernel_map(&k->kp, &v, 1, k->sq[i], &k->sq[i]);
    return v;
}

void svm_kernel_swap(svm_kernel *k, int64_t i, int64_t j)
{
    if (i == j)
        return;
    float *a = k->X + i * k->d, *b = k->X + j * k->d;
    for (int64_t t = 0; t < k->d; t++) {
        float s = a[t];
        a[t] = b[t];
        b[t] = s;
    }
    float s = k->sq[i];
    k->sq[i] = k->sq[j];
    k->sq[j] = s;
}

void svm_kernel_block(const svm_kparams *kp, const float *A, const float *asq, int64_t na,
                      const float *B, const float *bsq, int64_t nb, int64_t d, float *K)
{
    // K (na, nb) = A (na, d) B^T (d, nb)
    lt_sgemm(0, 1, na, nb, d, 1.0f, A, d, B, d, 0.0f, K, nb);
    for (int64_t i = 0; i < na; i++)
        kernel_map(kp, K + i * nb, nb, asq ? asq[i] : 0.0f, bsq);
}

int svm_kernel_blocks(const svm_kparams *kp, const float *X, int64_t n, int64_t d,
                      const float *sv, const float *sv_sq, int64_t nsv, svm_block_fn fn,
                      void *ctx)
{
    // Rows per block: K stays near 4 M floats (16 MB) whatever nsv is.
    int64_t B = nsv > 0 ? (int64_t)(4 << 20) / nsv : n;
    B = B < 1 ? 1 : B > n ? n : B;
    float *K = lt_malloc(sizeof(float) * (size_t)(B * (nsv > 0 ? nsv : 1) + B));
    if (!K)
        return LT_ENOMEM;
    float *xsq = K + B * (nsv > 0 ? nsv : 1);
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        const int64_t m = n - r0 < B ? n - r0 : B;
        if (kp->type == SVM_RBF)
            svm_sqnorms(X + r0 * d, m, d, xsq);
        if (nsv > 0)
            svm_kernel_block(kp, X + r0 * d, xsq, m, sv, sv_sq, nsv, d, K);
        fn(ctx, r0, m, K);
    }
    free(K);
    return LT_OK;
}

/* ---- LRU cache ---------------------------------------------------------- */

static void lru_unlink(svm_cache *c, int64_t s)
{
    c->next[c->prev[s]] = c->next[s];
    c->prev[c->next[s]] = c->prev[s];
}

/* Insert slot s right after the head (most recent). */
static void lru_front(svm_cache *c, int64_t s)
{
    const int64_t h = c->nslot;
    c->next[s] = c->next[h];
    c->prev[s] = h;
    c->prev[c->next[h]] = s;
    c->next[h] = s;
}

int svm_cache_init(svm_cache *c, int64_t l, size_t bytes)
{
    memset(c, 0, sizeof *c);
    int64_t ns = (int64_t)(bytes / (sizeof(float) * (size_t)l));
    ns = ns < 2 ? 2 : ns > l ? l : ns;
    c->l = l;
    c->nslot = ns;
    c->slab = lt_malloc(sizeof(float) * (size_t)(ns * l));
    c->slot_of = lt_malloc(sizeof(int64_t) * (size_t)(2 * l + 4 * ns + 2));
    if (!c->slab || !c->slot_of) {
        svm_cache_free(c);
        return LT_ENOMEM;
    }
    c->len = c->slot_of + l;
    c->owner = c->len + l;
    c->prev = c->owner + ns;
    c->next = c->prev + ns + 1;
    c->freelist = c->next + ns + 1;
    for (int64_t i = 0; i < l; i++)
        c->slot_of[i] = -1, c->len[i] = 0;
    // The ring holds only slots in use (so swaps visit only those); the
    // rest wait on the free stack.
    c->next[ns] = c->prev[ns] = ns;
    for (int64_t s = 0; s < ns; s++) {
        c->owner[s] = -1;
        c->freelist[s] = ns - 1 - s;
    }
    c->nfree = ns;
    return LT_OK;
}

void svm_cache_free(svm_cache *c)
{
    free(c->slab);
    free(c->slot_of);
    memset(c, 0, sizeof *c);
}

int64_t svm_cache_get(svm_cache *c, int64_t i, int64_t want, float **data)
{
    int64_t s = c->slot_of[i];
    if (s >= 0) {
        lru_unlink(c, s);
    } else if (c->nfree > 0) {
        s = c->freelist[--c->nfree];
    } else {
        s = c->prev[c->nslot];  // least recently used
        lru_unlink(c, s);
        c->slot_of[c->owner[s]] = -1;
        c->len[c->owner[s]] = 0;
    }
    if (c->slot_of[i] < 0) {
        c->owner[s] = i;
        c->slot_of[i] = s;
        c->len[i] = 0;
    }
    lru_front(c, s);
    *data = c->slab + s * c->l;
    int64_t have = c->len[i];
    if (have < want)
        c->len[i] = want;
    return have < want ? have : want;
}

/* Variables i and j trade places: their rows trade slots, and within every
 * cached row entries i and j trade (a row that holds only one of the two
 * is dropped, as libsvm does). */
void svm_cache_swap(svm_cache *c, int64_t i, int64_t j)
{
    if (i == j)
        return;
    if (i > j) {
        int64_t t = i;
        i = j;
        j = t;
    }
    int64_t si = c->slot_of[i], sj = c->slot_of[j], li = c->len[i], lj = c->len[j];
    c->slot_of[i] = sj, c->len[i] = lj;
    c->slot_of[j] = si, c->len[j] = li;
    if (sj >= 0)
        c->owner[sj] = i;
    if (si >= 0)
        c->owner[si] = j;
    for (int64_t s = c->next[c->nslot]; s != c->nslot;) {
        int64_t nx = c->next[s], r = c->owner[s];
        if (c->len[r] > i) {
            float *row = c->slab + s * c->l;
            if (c->len[r] > j) {
                float t = row[i];
                row[i] = row[j];
                row[j] = t;
            } else {  // holds i but not j: drop it, its slot is free again
                c->slot_of[r] = -1;
                c->len[r] = 0;
                c->owner[s] = -1;
                lru_unlink(c, s);
                c->freelist[c->nfree++] = s;
            }
        }
        s = nx;
    }
}
