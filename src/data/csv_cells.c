/* CSV cell values, the out-of-line halves of csv_impl.h: the exact number
 * parser behind the inline fast path, and growing the level map. */
#include "csv_impl.h"

#include <math.h>
#include <stdlib.h>

const double lt_csv_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int ieq(const char *a, const char *lower)
{
    for (; *lower; a++, lower++)
        if ((*a | 0x20) != *lower)
            return 0;
    return *a == '\0';
}

/* Parses the whole NUL-terminated string as a decimal number (or
 * inf/infinity). Clinger's fast path: a mantissa of at most 2^53 scaled by an
 * exact power of ten up to 1e22 is one correctly rounded IEEE operation, so
 * the result equals strtod's; anything else (long mantissas, big exponents)
 * is first validated here and then handed to strtod. Reads byte by byte, so
 * it takes strings outside the input buffer too. */
int csv_parse_num_slow(const char *s, double *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    uint64_t w = 0;
    int nd = 0, any = 0;
    int64_t dexp = 0;
    while (*p == '0') {
        p++;
        any = 1;
    }
    while ((unsigned)(*p - '0') < 10) {
        if (nd < 19)
            w = w * 10 + (uint64_t)(*p - '0');
        else
            dexp++;
        nd++;
        p++;
        any = 1;
    }
    if (*p == '.') {
        p++;
        if (nd == 0)
            while (*p == '0') {
                p++;
                dexp--;
                any = 1;
            }
        while ((unsigned)(*p - '0') < 10) {
            if (nd < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                dexp--;
            }
            nd++;
            p++;
            any = 1;
        }
    }
    if (!any) {
        if ((*p | 0x20) == 'i' && (ieq(p, "inf") || ieq(p, "infinity"))) {
            *out = neg ? -INFINITY : INFINITY;
            return 1;
        }
        return 0;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '-' || *p == '+')
            eneg = *p++ == '-';
        if ((unsigned)(*p - '0') >= 10)
            return 0;
        int64_t e = 0;
        while ((unsigned)(*p - '0') < 10) {
            if (e < 100000000)
                e = e * 10 + (*p - '0');
            p++;
        }
        dexp += eneg ? -e : e;
    }
    if (*p != '\0')
        return 0;
    double v;
    if (w == 0)
        v = 0.0;
    else if (nd <= 19 && w <= (1ULL << 53) && dexp >= -22 && dexp <= 22)
        v = dexp >= 0 ? (double)w * lt_csv_pow10[dexp] : (double)w / lt_csv_pow10[-dexp];
    else
        return *out = strtod(s, NULL), 1;
    *out = neg ? -v : v;
    return 1;
}

/* ---- level map ------------------------------------------------------------------ */

static uint64_t *slots_new(uint64_t size);

int csv_levels_init(csv_levels *m, int64_t hint)
{
    memset(m, 0, sizeof *m);
    uint64_t size = 64;
    while ((int64_t)size < 2 * hint && size < (1ULL << 32))
        size <<= 1;
    m->slot = slots_new(size);
    if (!m->slot)
        return LT_ENOMEM;
    m->mask = size - 1;
    return LT_OK;
}

void csv_levels_free(csv_levels *m)
{
    if (!m)
        return;
    free(m->slot);
    free(m->key);
    free(m->len);
    memset(m, 0, sizeof *m);
}

static uint64_t *slots_new(uint64_t size)
{
    uint64_t *slot = size > SIZE_MAX / sizeof *slot ? NULL : lt_csv_big_alloc(size * sizeof *slot);
    if (!slot)
        lt_error(LT_ENOMEM, "out of memory growing a level map");
    else
        memset(slot, 0, size * sizeof *slot);
    return slot;
}

static int levels_rehash(csv_levels *m, uint64_t size)
{
    uint64_t *slot = slots_new(size), mask = size - 1;
    if (!slot)
        return LT_ENOMEM;
    for (uint64_t i = 0; i <= m->mask; i++) {
        uint64_t e = m->slot[i];
        if (!e)
            continue;
        uint64_t j = (e >> 32) & mask;
        while (slot[j])
            j = (j + 1) & mask;
        slot[j] = e;
    }
    free(m->slot);
    m->slot = slot;
    m->mask = mask;
    return LT_OK;
}

static int levels_room(csv_levels *m, int32_t cap)
{
    const char **key = realloc(m->key, (size_t)cap * sizeof *key);
    if (key)
        m->key = key;
    uint32_t *lens = realloc(m->len, (size_t)cap * sizeof *lens);
    if (lens)
        m->len = lens;
    if (!key || !lens)
        return lt_error(LT_ENOMEM, "out of memory growing a level map");
    m->cap = cap;
    return LT_OK;
}

int csv_levels_reserve(csv_levels *m, int64_t want)
{
    uint64_t size = m->mask + 1;
    while ((int64_t)size < 2 * want && size < (1ULL << 32))
        size <<= 1;
    if (size > m->mask + 1 && levels_rehash(m, size) != LT_OK)
        return LT_ENOMEM;
    if (want > INT32_MAX)
        want = INT32_MAX;
    return want > m->cap ? levels_room(m, (int32_t)want) : LT_OK;
}

int32_t csv_levels_add(csv_levels *m, const char *s, size_t len, uint64_t h, uint64_t i)
{
    if (len > UINT32_MAX || m->n == INT32_MAX)
        return lt_error(LT_ELIMIT, "too many or too long categorical levels");
    if (m->n == m->cap &&
        levels_room(m, m->cap ? (m->cap > INT32_MAX / 2 ? INT32_MAX : m->cap * 2) : 16) != LT_OK)
        return LT_ENOMEM;
    int32_t k = m->n++;
    m->key[k] = s;
    m->len[k] = (uint32_t)len;
    m->pool_len += len + 1;
    m->slot[i] = (h & 0xffffffff00000000ULL) | (uint64_t)(uint32_t)(k + 1);
    if ((uint64_t)m->n * 2 > m->mask + 1 && levels_rehash(m, (m->mask + 1) * 2) != LT_OK) {
        m->slot[i] = 0;
        m->n--;
        m->pool_len -= len + 1;
        return lt_error(LT_ENOMEM, "out of memory growing a level map");
    }
    return k;
}
