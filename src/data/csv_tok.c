/* CSV tokenizer: delimiter sniffing, and records into NUL-terminated fields
 * with their offsets (RFC 4180 quoting, blank lines skipped, CR/LF/CRLF,
 * whitespace-run mode). Records are read in chunks (csv_tokenize stops after
 * `upto` records) so the column builder can convert them while they are
 * still in cache.
 *
 * Two paths, same result. The fast path takes plain fields: it finds field
 * ends 64 bytes at a time from a bit mask of delimiter/end-of-line bytes
 * (SSE2 where available) and does a few checks per field instead of a few
 * per byte. At anything it does not handle (a quote or a space at a field
 * edge, a field over max_field, one field too many, the end of the buffer)
 * it hands the rest of the record, from the current field's start, to the
 * byte-wise path, which owns every error message. */
#include "csv_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CSV_MAX_COLS (1 << 20)
#define CSV_SNIFF_LINES 5

/* Picks the delimiter from the first few lines (outside quotes): the candidate
 * among , \t ; with the same non-zero count on every sampled line wins
 * (largest count first); else the largest count on line one; else runs of
 * spaces if every line splits into the same number (>= 2) of tokens; else ','. */
char csv_sniff(const char *p)
{
    const char cand[3] = {',', '\t', ';'};
    int64_t cnt[CSV_SNIFF_LINES][4];
    int lines = 0, inq = 0, intok = 0;
    memset(cnt, 0, sizeof cnt);
    for (; *p && lines < CSV_SNIFF_LINES; p++) {
        char ch = *p;
        if (ch == '"')
            inq = !inq;
        if (inq)
            continue;
        if (ch == '\n' || ch == '\r') {
            if (cnt[lines][3] > 0 || cnt[lines][0] || cnt[lines][1] || cnt[lines][2])
                lines++;
            intok = 0;
            continue;
        }
        for (int k = 0; k < 3; k++)
            cnt[lines][k] += ch == cand[k];
        if (ch == ' ' || ch == '\t') {
            intok = 0;
        } else if (!intok) {
            intok = 1;
            cnt[lines][3]++;
        }
    }
    if (lines < CSV_SNIFF_LINES &&
        (cnt[lines][3] || cnt[lines][0] || cnt[lines][1] || cnt[lines][2]))
        lines++;
    if (lines == 0)
        return ',';
    int best = -1;
    for (int k = 0; k < 3; k++) {
        int same = cnt[0][k] > 0;
        for (int l = 1; l < lines && same; l++)
            same = cnt[l][k] == cnt[0][k];
        if (same && (best < 0 || cnt[0][k] > cnt[0][best]))
            best = k;
    }
    if (best >= 0)
        return cand[best];
    for (int k = 0; k < 3; k++)
        if (cnt[0][k] > 0 && (best < 0 || cnt[0][k] > cnt[0][best]))
            best = k;
    if (best >= 0)
        return cand[best];
    int same = cnt[0][3] >= 2;
    for (int l = 1; l < lines && same; l++)
        same = cnt[l][3] == cnt[0][3];
    return same ? ' ' : ',';
}

void csv_tok_init(csv_ctx *c, char *p)
{
    c->ws = c->delim == ' ';
    memset(c->stop, 0, sizeof c->stop);
    c->stop[0] = c->stop['\n'] = c->stop['\r'] = 1;
    c->stop[(unsigned char)c->delim] = 1;
    if (c->ws)
        c->stop['\t'] = 1;
    c->wide = c->n + CSV_PAD > UINT32_MAX;
    c->lim = c->n + CSV_PAD;
    c->pos = p;
    c->line = 1;
}

int csv_reserve_offsets(csv_ctx *c, size_t want)
{
    if (want <= c->off_cap)
        return LT_OK;
    size_t cap = c->off_cap ? c->off_cap * 2 : 4096;
    if (cap < want)
        cap = want;
    size_t esz = c->wide ? sizeof(uint64_t) : sizeof(uint32_t);
    void *old = c->wide ? (void *)c->off64 : (void *)c->off32;
    void *o = old ? realloc(old, cap * esz) : lt_csv_big_alloc(cap * esz);
    if (!o)
        return lt_error(LT_ENOMEM, "%s: out of memory storing fields", c->name);
    if (c->wide)
        c->off64 = o;
    else
        c->off32 = o;
    c->off_cap = cap;
    return LT_OK;
}

static inline void csv_put_off(csv_ctx *c, size_t off)
{
    if (c->wide)
        c->off64[c->off_len++] = off;
    else
        c->off32[c->off_len++] = (uint32_t)off;
}

/* ---- fast path -------------------------------------------------------------------- */

/* Bit i of *brk: q[i] ends a field (delimiter, space or tab in whitespace
 * mode, '\n', '\r', NUL); of *sep: q[i] is a delimiter; *spc is nonzero if
 * some q[i] is a byte the fast path must look at (a quote, or a space
 * outside whitespace mode). 64 bytes from q. */
static inline void csv_block(const char *q, char d, int ws, uint64_t *brk, uint64_t *sep,
                             uint64_t *spc)
{
#if defined(__SSE2__)
    const __m128i vd = _mm_set1_epi8(d), vt = _mm_set1_epi8('\t'), vn = _mm_set1_epi8('\n'),
                  vr = _mm_set1_epi8('\r'), vz = _mm_setzero_si128(), vq = _mm_set1_epi8('"'),
                  vs = _mm_set1_epi8(' ');
    __m128i sp = _mm_setzero_si128();
    uint64_t bm = 0, sm = 0;
    for (int i = 0; i < 4; i++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * i));
        __m128i s = _mm_cmpeq_epi8(x, vd);
        if (ws)
            s = _mm_or_si128(s, _mm_cmpeq_epi8(x, vt));
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)),
                                 _mm_cmpeq_epi8(x, vz));
        sp = _mm_or_si128(sp, _mm_cmpeq_epi8(x, vq));
        if (!ws)
            sp = _mm_or_si128(sp, _mm_cmpeq_epi8(x, vs));
        bm |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_or_si128(s, e)) << (16 * i);
        sm |= (uint64_t)(uint32_t)_mm_movemask_epi8(s) << (16 * i);
    }
    *brk = bm;
    *sep = sm;
    *spc = (uint64_t)(uint32_t)_mm_movemask_epi8(sp);
#else
    uint64_t bm = 0, sm = 0, pm = 0;
    for (int i = 0; i < 64; i++) {
        char x = q[i];
        uint64_t s = x == d || (ws && x == '\t');
        sm |= s << i;
        bm |= (s | (x == '\n') | (x == '\r') | (x == '\0')) << i;
        pm |= x == '"' || (!ws && x == ' ');
    }
    *brk = bm;
    *sep = sm;
    *spc = pm;
#endif
}

/* Plain fields of the record whose first field starts at fs (not a blank
 * line; ncols known, room for ncols more offsets). Returns 1 when the record
 * ended: *pp at its terminator (already NUL), *chp the terminator's byte.
 * Returns 0 to hand over: *pp at the start of the first field not taken.
 * Returns 2 (whitespace mode, end of buffer inside a separator run) to hand
 * over after a field: *pp at its NUL'd separator, *chp that separator.
 * *nfp counts the fields taken. `wide` and `ws` are constants at each call
 * so each variant compiles to its own loop; state lives in locals because
 * every store into the buffer may alias anything. */
static inline __attribute__((always_inline)) int
csv_fast_fields_v(csv_ctx *c, char *fs, char **pp, int64_t *nfp, char *chp, const int wide,
                  const int ws)
{
    char *const b = c->b;
    const size_t room = c->lim; /* readable bytes from b */
    const char d = c->delim;
    const int64_t ncols = c->ncols;
    const size_t max_field = c->max_field;
    uint32_t *const o32 = wide ? NULL : c->off32 + c->off_len;
    uint64_t *const o64 = wide ? c->off64 + c->off_len : NULL;
    int64_t nf = 0;
    int ret = 0;
    char *base = fs, *e, ch;
    uint64_t brk = 0, sep = 0, spc = 0, m;
    int careful; /* a quote or space is in the field's blocks: check its edges */
    if ((size_t)(base - b) + 64 > room)
        goto handoff;
    csv_block(base, d, ws, &brk, &sep, &spc);
    for (;;) {
        if (nf >= ncols)
            goto handoff;
        careful = spc != 0;
        char *sp = fs;
        for (;;) {
            size_t i = (size_t)(sp - base);
            if (i < 64 && (m = brk >> i) != 0) {
                e = sp + __builtin_ctzll(m);
                break;
            }
            if (i < 64)
                sp = base + 64;
            if ((size_t)(sp - b) + 64 > room)
                goto handoff;
            base = sp;
            csv_block(base, d, ws, &brk, &sep, &spc);
            careful |= spc != 0;
        }
        if (careful && (*fs == '"' || (!ws && (*fs == ' ' || (e > fs && e[-1] == ' ')))))
            goto handoff;
        if ((size_t)(e - fs) > max_field)
            goto handoff;
        if (wide)
            o64[nf] = (uint64_t)(fs - b);
        else
            o32[nf] = (uint32_t)(fs - b);
        nf++;
        ch = *e;
        *e = '\0';
        if (!ws) {
            if (ch == d) {
                fs = e + 1;
                continue;
            }
            *pp = e;
            ret = 1;
            break;
        }
        if (ch != ' ' && ch != '\t') {
            *pp = e;
            ret = 1;
            break;
        }
        /* Whitespace mode: skip the run; a line end after it ends the record. */
        sp = e + 1;
        for (;;) {
            size_t i = (size_t)(sp - base);
            if (i < 64 && (m = ~sep >> i) != 0) {
                fs = sp + __builtin_ctzll(m);
                break;
            }
            if (i < 64)
                sp = base + 64;
            if ((size_t)(sp - b) + 64 > room) {
                /* Hand over at the separator: the byte-wise path skips
                 * the run from there, as it would have. */
                *pp = e;
                ret = 2;
                goto out;
            }
            base = sp;
            csv_block(base, d, ws, &brk, &sep, &spc);
        }
        ch = *fs;
        if (ch == '\n' || ch == '\r' || ch == '\0') {
            *pp = fs;
            ret = 1;
            break;
        }
    }
out:
    *chp = ch;
    *nfp = nf;
    c->off_len += (size_t)nf;
    return ret;
handoff:
    *pp = fs;
    *nfp = nf;
    c->off_len += (size_t)nf;
    return 0;
}

static int csv_fast_fields(csv_ctx *c, char *fs, char **pp, int64_t *nfp, char *chp)
{
    if (c->wide)
        return c->ws ? csv_fast_fields_v(c, fs, pp, nfp, chp, 1, 1)
                     : csv_fast_fields_v(c, fs, pp, nfp, chp, 1, 0);
    return c->ws ? csv_fast_fields_v(c, fs, pp, nfp, chp, 0, 1)
                 : csv_fast_fields_v(c, fs, pp, nfp, chp, 0, 0);
}

/* ---- records ---------------------------------------------------------------------- */

/* A "name:line..." error; `fmt` is the part after the line. A piece of a
 * parallel parse (defer) does not know its first line yet: it keeps the
 * relative line and the rest for csv_read.c to report. */
static int tok_fail(csv_ctx *c, int rc, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int tok_fail(csv_ctx *c, int rc, int64_t line, const char *fmt, ...)
{
    char rest[sizeof c->err_rest];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rest, sizeof rest, fmt, ap);
    va_end(ap);
    if (!c->defer)
        return lt_error(rc, "%s:%lld%s", c->name, (long long)line, rest);
    c->err_rc = rc;
    c->err_line = line;
    memcpy(c->err_rest, rest, sizeof rest);
    return rc;
}

int csv_tokenize(csv_ctx *c, int64_t upto)
{
    const int ws = c->ws;
    const char d = c->delim;
    const unsigned char *stop = c->stop;
    char *p = c->pos;
    int64_t line = c->line;
    int rc = LT_OK;
    while (!c->done && c->nrec < upto) {
        /* Blank lines (only spaces, or spaces/tabs in whitespace mode) are skipped. */
        char *q = p;
        while (*q == ' ' || (ws && *q == '\t'))
            q++;
        if (*q == '\n' || *q == '\r') {
            p = q + 1;
            if (*q == '\r' && *p == '\n')
                p++;
            line++;
            continue;
        }
        if (*q == '\0' || (c->max_recs && c->nrec >= c->max_recs)) {
            c->done = 1;
            break;
        }
        const int64_t rec_line = line;
        if (c->nrec - c->chunk0 >= c->cline_cap) {
            rc = lt_error(LT_EINVAL, "%s: internal error: record chunk overflow", c->name);
            break;
        }
        c->cline[c->nrec - c->chunk0] = line;
        c->nrec++;
        const int first = c->ncols == 0; /* a non-blank record has >= 1 field */
        int64_t nf = 0;
        char ch = 0;
        p = q;
        if (!first) {
            if ((rc = csv_reserve_offsets(c, c->off_len + (size_t)c->ncols)) != LT_OK)
                break;
            int done = csv_fast_fields(c, q, &p, &nf, &ch);
            if (done == 1)
                goto record_end;
            if (done == 2)
                goto after_field;
        }
        for (;;) {
            while (*p == ' ' || (ws && *p == '\t'))
                p++;
            char *fs, *fe;
            int64_t fline = line;
            if (*p == '"') {
                /* Quoted: unescape "" in place; content is written back from fs. */
                char *w = fs = ++p;
                for (;;) {
                    char x = *p;
                    if (x == '"') {
                        if (p[1] != '"')
                            break;
                        p++;
                    } else if (x == '\0') {
                        rc = tok_fail(c, LT_EFORMAT, fline,
                                      ":%lld: unterminated quoted field: expected a "
                                      "closing '\"' before the end of the input",
                                      (long long)nf + 1);
                        goto out;
                    } else if (x == '\n') {
                        line++;
                    }
                    *w++ = *p++;
                }
                p++; /* closing quote */
                if (!ws)
                    while (*p == ' ')
                        p++;
                ch = *p;
                if (!stop[(unsigned char)ch]) {
                    rc = tok_fail(c, LT_EFORMAT, line,
                                  ":%lld: expected a delimiter or end of line after the "
                                  "closing quote, got '%c'",
                                  (long long)nf + 1, ch);
                    goto out;
                }
                fe = w;
            } else {
                fs = p;
                while (!stop[(unsigned char)*p])
                    p++;
                ch = *p;
                fe = p;
                if (!ws)
                    while (fe > fs && fe[-1] == ' ')
                        fe--;
            }
            if ((size_t)(fe - fs) > c->max_field) {
                rc = tok_fail(c, LT_ELIMIT, fline, ":%lld: field longer than the %zu-byte "
                              "limit (max_field)", (long long)nf + 1, c->max_field);
                goto out;
            }
            *fe = '\0'; /* may overwrite the delimiter at p: `ch` keeps it */
            if (first || nf < c->ncols) {
                if (first && nf >= CSV_MAX_COLS) {
                    rc = tok_fail(c, LT_ELIMIT, line, ": more than %d columns",
                                  CSV_MAX_COLS);
                    goto out;
                }
                if ((rc = csv_reserve_offsets(c, c->off_len + 1)) != LT_OK)
                    goto out;
                csv_put_off(c, (size_t)(fs - c->b));
            }
            nf++;
        after_field:
            if (ws) {
                if (ch == ' ' || ch == '\t') {
                    p++;
                    while (*p == ' ' || *p == '\t')
                        p++;
                    ch = *p;
                    if (ch != '\n' && ch != '\r' && ch != '\0')
                        continue;
                }
                break;
            }
            if (ch == d) {
                p++;
                continue;
            }
            break;
        }
    record_end:
        /* p is at the record's terminator, whose original byte is ch. */
        if (ch == '\r') {
            p++;
            if (*p == '\n')
                p++;
            line++;
        } else if (ch == '\n') {
            p++;
            line++;
        }
        if (first) {
            c->ncols = (int)nf;
        } else if (nf != c->ncols) {
            rc = tok_fail(c, LT_EFORMAT, rec_line, ": expected %d fields, found %lld",
                          c->ncols, (long long)nf);
            goto out;
        }
        if (ch == '\0')
            c->done = 1;
    }
out:
    c->pos = p;
    c->line = line;
    return rc;
}
