/* Private to the CSV reader (csv_read.c, csv_tok.c, csv_cells.c): the parse
 * context shared by the tokenizer and the column builder, the number parser
 * and the level map (categorical string -> code). The per-cell helpers are
 * static inline so the column loops in csv_read.c inline them.
 *
 * csv_hash_field and csv_same take strings that lie in a CSV input buffer:
 * NUL-terminated and followed within the buffer by at least 8 more readable
 * bytes (the buffer ends with CSV_PAD zero bytes). They read whole 8-byte
 * words and may look up to 7 bytes past the terminating NUL. The number
 * parsers read byte by byte and take any string. */
#ifndef LATHE_DATA_CSV_IMPL_H
#define LATHE_DATA_CSV_IMPL_H

#include "table_impl.h"

#include <stdint.h>
#include <string.h>

/* ---- parse context --------------------------------------------------------- */

typedef struct csv_ctx {
    const char *name;
    char *b;           /* owned; b[n .. n+CSV_PAD) are zero */
    size_t n;
    char delim;        /* ',', ';', '\t', other, or ' ' = runs of spaces/tabs */
    int ws;            /* delim == ' ' */
    size_t max_field;
    int64_t max_recs;  /* 0 = all */
    unsigned char stop[256];
    /* Field offsets into b, row-major: off[rec * ncols + col]. 32-bit unless
     * the input is 4 GiB or more. */
    int wide;
    uint32_t *off32;
    uint64_t *off64;
    size_t off_len, off_cap;
    int64_t nrec;      /* records tokenized so far */
    int64_t cline0;    /* line of record 0 (set by the caller) */
    int ncols;         /* 0 until the first record is read */
    /* Where the tokenizer stopped: next byte, its line, 1 once the input (or
     * max_recs) is exhausted. */
    char *pos;
    int64_t line;
    int done;
    /* Line of each record since chunk0: cline[rec - chunk0], cline_cap slots. */
    int64_t chunk0;
    int64_t *cline;
    int64_t cline_cap;
    /* Bytes from b the fast path may read: n + CSV_PAD, or a piece's end in
     * a parallel parse (the next piece's bytes are being written). */
    size_t lim;
    /* A piece after the first: "file:line" errors are kept here, with the
     * line relative to the piece, instead of raised (see tok_fail). */
    int defer;
    int err_rc;
    int64_t err_line;
    char err_rest[256];
} csv_ctx;

/* Picks the delimiter from the first lines of p (see csv_tok.c). */
char csv_sniff(const char *p);
/* Prepares the tokenizer to start at p (line 1). The first record tokenized
 * fixes ncols unless ncols is already set. */
void csv_tok_init(csv_ctx *c, char *p);
/* Tokenizes records until nrec == upto or the input ends (then done = 1):
 * fields are NUL-terminated in place and their offsets appended; the first
 * record fixes ncols and any later record with another count is an error
 * (file:line message). */
int csv_tokenize(csv_ctx *c, int64_t upto);
/* Room for at least `want` offsets in total. */
int csv_reserve_offsets(csv_ctx *c, size_t want);

static inline size_t csv_off(const csv_ctx *c, size_t i)
{
    return c->wide ? (size_t)c->off64[i] : (size_t)c->off32[i];
}

/* ---- words --------------------------------------------------------------------- */

/* 8 bytes at p as a little-endian word: byte 0 is the low byte. */
static inline uint64_t csv_load64(const void *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* ---- numbers ------------------------------------------------------------------- */

extern const double lt_csv_pow10[23];

/* Any NUL-terminated string (no padding needed): 1 and *out if the whole
 * string is a decimal number, inf or infinity (strtod's value, bit for
 * bit), else 0. */
int csv_parse_num_slow(const char *s, double *out);

/* A field of the input buffer as a number; same answers as
 * csv_parse_num_slow. The common shape, [sign] digits [. digits] with at
 * most 19 digits, in a tight loop; a mantissa w <= 2^53 over an exact 10^k
 * (k <= 22) is one correctly rounded division, so the result is strtod's.
 * Anything else (exponent, inf, long mantissa, text) takes the slow path.
 * (A SWAR 8-digits-at-once variant measured slower: sensor fields have 1-6
 * digits, and the column-at-a-time loops keep these branches predictable.) */
static inline __attribute__((always_inline)) int csv_parse_num(const char *s, double *out)
{
    const unsigned char *p = (const unsigned char *)s;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    const unsigned char *d0 = p;
    uint64_t w = 0;
    unsigned dg;
    while ((dg = (unsigned)*p - '0') < 10) {
        w = w * 10 + dg;
        p++;
    }
    size_t nint = (size_t)(p - d0), nfrac = 0;
    if (*p == '.') {
        const unsigned char *f0 = ++p;
        while ((dg = (unsigned)*p - '0') < 10) {
            w = w * 10 + dg;
            p++;
        }
        nfrac = (size_t)(p - f0);
    }
    /* Whole field, 1..19 digits (so nfrac <= 22), and w <= 2^53 (only 16+
     * digits can exceed it). */
    const size_t nd = nint + nfrac;
    if (*p != '\0' || nd - 1 >= 19 || (nd > 15 && w > (1ULL << 53)))
        return csv_parse_num_slow(s, out);
    double v = (double)w / lt_csv_pow10[nfrac];
    *out = neg ? -v : v;
    return 1;
}

/* ---- levels: string -> code in order of first appearance ------------------------ */

/* Open addressing over 64-bit slots: 0 = empty, else the hash's high 32
 * bits over (index + 1). The slot index comes from those same high bits, so
 * growing needs no key or stored hash, and a probe compares keys only when
 * 32 hash bits agree (no miss into the key arrays on collisions). Keys are
 * borrowed from the input buffer. */
typedef struct csv_levels {
    uint64_t *slot;
    uint64_t mask;
    const char **key;
    uint32_t *len;
    int32_t n, cap;
    size_t pool_len; /* sum of len + 1 */
} csv_levels;

int csv_levels_init(csv_levels *m, int64_t hint);
void csv_levels_free(csv_levels *m);
/* At least 2 * want slots (fewer rehashes for a column of ids). */
int csv_levels_reserve(csv_levels *m, int64_t want);
/* Appends the new key (slot i was found empty); its index or negative LT_E*. */
int32_t csv_levels_add(csv_levels *m, const char *s, size_t len, uint64_t h, uint64_t i);

/* Hash and length of a field, word by word (the NUL ends it). */
static inline uint64_t csv_hash_field(const char *s, size_t *lenp)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    size_t len = 0;
    for (;;) {
        uint64_t w = csv_load64(p + len);
        uint64_t z = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
        if (z) {
            unsigned k = (unsigned)__builtin_ctzll(z) >> 3; /* bytes before the NUL */
            w &= (1ULL << (8 * k)) - 1;
            len += k;
            h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
            break;
        }
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 29;
        len += 8;
    }
    h ^= len;
    h ^= h >> 32;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    *lenp = len;
    return h ^ (h >> 32);
}

/* Equal contents of two buffer strings of length len. */
static inline int csv_same(const char *a, const char *b, size_t len)
{
    if (len <= 8) {
        uint64_t x = csv_load64(a) ^ csv_load64(b);
        return len == 8 ? x == 0 : (x & ((1ULL << (8 * len)) - 1)) == 0;
    }
    return memcmp(a, b, len) == 0;
}

/* Code of the buffer string s whose hash and length are known, adding it if
 * new; negative LT_E* on failure. */
static inline __attribute__((always_inline)) int32_t
csv_levels_put_h(csv_levels *m, const char *s, size_t len, uint64_t h)
{
    const uint64_t tag = h & 0xffffffff00000000ULL;
    uint64_t i = (h >> 32) & m->mask;
    for (;;) {
        uint64_t e = m->slot[i];
        if (!e)
            break;
        if ((e & 0xffffffff00000000ULL) == tag) {
            int32_t k = (int32_t)(uint32_t)e - 1;
            if (m->len[k] == len && csv_same(m->key[k], s, len))
                return k;
        }
        i = (i + 1) & m->mask;
    }
    return csv_levels_add(m, s, len, h, i);
}

/* Starts loading the slot where a key of hash h is probed first. */
static inline void csv_levels_prefetch(const csv_levels *m, uint64_t h)
{
    __builtin_prefetch(&m->slot[(h >> 32) & m->mask]);
}

#endif
