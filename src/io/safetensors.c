/* Model files in the safetensors layout: writer and validating reader.
 *
 *   [0, 8)          little-endian u64 N = header length
 *   [8, 8+N)        JSON header, padded with spaces so that N % 8 == 0
 *                   (the data section then starts 8-byte aligned)
 *   [8+N, end)      raw little-endian float32 tensors, back to back
 *
 * The reader trusts nothing: every length and offset is checked against
 * the bytes actually present before it is used, tensors must tile the data
 * section exactly (no gaps, no overlap, no trailing bytes, as the reference
 * Rust implementation requires), and the optional "checksum" metadata
 * (crc32 of the data section) is verified before any tensor is built.
 */
#include "lathe/modelfile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A header larger than this is not a model file but an attack or garbage;
 * refuse before handing it to the JSON parser. */
#define ST_MAX_HEADER ((uint64_t)100 << 20)
/* lt_state lookups are linear, so a header naming millions of tensors would
 * make loading quadratic; real models hold a few hundred at most. */
#define ST_MAX_TENSORS 65536

/* ---- little-endian helpers (explicit, so a big-endian host works too) ---- */

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* n floats -> 4n little-endian bytes (dst may be unaligned). */
static void floats_to_le(unsigned char *dst, const float *src, size_t n)
{
    if (host_is_le()) {
        memcpy(dst, src, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        dst[4 * i + 0] = (unsigned char)u;
        dst[4 * i + 1] = (unsigned char)(u >> 8);
        dst[4 * i + 2] = (unsigned char)(u >> 16);
        dst[4 * i + 3] = (unsigned char)(u >> 24);
    }
}

/* 4n little-endian bytes (src may be unaligned) -> n floats. */
static void floats_from_le(float *dst, const unsigned char *src, size_t n)
{
    if (host_is_le()) {
        memcpy(dst, src, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[4 * i] | (uint32_t)src[4 * i + 1] << 8 |
                     (uint32_t)src[4 * i + 2] << 16 | (uint32_t)src[4 * i + 3] << 24;
        memcpy(&dst[i], &u, 4);
    }
}

/* zlib's crc32 takes a uInt length; feed it in pieces. */
static uint32_t crc_update(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, k);
        b += k;
        n -= k;
    }
    return crc;
}

/* ---- writer ---------------------------------------------------------------- */

/* Metadata object from the caller's text: must be an object of strings. */
static int meta_from_text(const char *path, const char *meta_json, json_t **out)
{
    *out = NULL;
    if (!meta_json) {
        *out = json_object();
        return *out ? LT_OK : lt_error(LT_ENOMEM, "%s: out of memory", path);
    }
    json_error_t jerr;
    json_t *m = json_loads(meta_json, JSON_REJECT_DUPLICATES, &jerr);
    if (!m)
        return lt_error(LT_EINVAL, "%s: metadata is not valid JSON: %s (line %d, column %d)",
                        path, jerr.text, jerr.line, jerr.column);
    if (!json_is_object(m)) {
        json_decref(m);
        return lt_error(LT_EINVAL, "%s: metadata must be a JSON object of strings", path);
    }
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        if (!json_is_string(v)) {
            /* k lives inside m: format the message before freeing it. */
            int rc = lt_error(LT_EINVAL, "%s: metadata key '%s' must have a string value", path, k);
            json_decref(m);
            return rc;
        }
    }
    *out = m;
    return LT_OK;
}

int lt_st_write(const char *path, const lt_state *st, const char *meta_json)
{
    if (!path || !st)
        return lt_error(LT_EINVAL, "lt_st_write: path and state are required");
    json_t *meta;
    int rc = meta_from_text(path, meta_json, &meta);
    if (rc)
        return rc;

    /* The checksum covers the data section, which is the tensors' bytes in
     * state order; compute it without materialising that section twice. */
    int nt = lt_state_count(st);
    uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
    size_t data_len = 0;
    unsigned char tmp[4096];
    for (int i = 0; i < nt; i++) {
        const lt_tensor *t = lt_state_tensor_at(st, i);
        size_t n = (size_t)lt_tensor_numel(t);
        if (host_is_le()) {
            crc = crc_update(crc, t->data, n * 4);
        } else {
            for (size_t j = 0; j < n; j += sizeof tmp / 4) {
                size_t k = n - j < sizeof tmp / 4 ? n - j : sizeof tmp / 4;
                floats_to_le(tmp, t->data + j, k);
                crc = crc_update(crc, tmp, k * 4);
            }
        }
        data_len += n * 4;
    }

    char crcs[32];
    snprintf(crcs, sizeof crcs, "crc32:%08x", (unsigned)crc);
    json_t *hdr = json_object();
    int bad = !hdr || json_object_set_new(meta, "format", json_string("lathe-model")) ||
              json_object_set_new(meta, "checksum", json_string(crcs)) ||
              json_object_set(hdr, "__metadata__", meta);
    size_t off = 0;
    for (int i = 0; !bad && i < nt; i++) {
        const lt_tensor *t = lt_state_tensor_at(st, i);
        const char *name = lt_state_name_at(st, i);
        if (strcmp(name, "__metadata__") == 0) {
            json_decref(hdr);
            json_decref(meta);
            return lt_error(LT_EINVAL, "%s: '__metadata__' is reserved and cannot name a tensor",
                            path);
        }
        size_t nb = (size_t)lt_tensor_numel(t) * 4;
        json_t *shape = json_array();
        for (int d = 0; shape && d < t->ndim; d++)
            bad |= json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        json_t *ent = json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape,
                                "data_offsets", (json_int_t)off, (json_int_t)(off + nb));
        bad |= !shape || !ent || json_object_set_new(hdr, name, ent);
        off += nb;
    }
    json_decref(meta);
    char *text = bad ? NULL : json_dumps(hdr, JSON_COMPACT);
    json_decref(hdr);
    if (!text)
        return lt_error(LT_EINVAL, "%s: cannot build the header (out of memory, or a tensor "
                                   "name that is not UTF-8)", path);

    size_t hlen = strlen(text);
    size_t hpad = (hlen + 7) & ~(size_t)7;
    size_t total = 8 + hpad + data_len;
    unsigned char *buf = lt_malloc(total);
    if (!buf) {
        free(text);
        return lt_error_wrap(LT_ENOMEM, "%s: ", path);
    }
    put_le64(buf, (uint64_t)hpad);
    memcpy(buf + 8, text, hlen);
    memset(buf + 8 + hlen, ' ', hpad - hlen);
    free(text);
    unsigned char *p = buf + 8 + hpad;
    for (int i = 0; i < nt; i++) {
        const lt_tensor *t = lt_state_tensor_at(st, i);
        size_t n = (size_t)lt_tensor_numel(t);
        floats_to_le(p, t->data, n);
        p += n * 4;
    }
    rc = lt_write_file_atomic(path, buf, total);
    free(buf);
    return rc;
}

/* ---- reader ---------------------------------------------------------------- */

typedef struct st_entry {
    const char *name;  /* borrowed from the JSON header */
    int ndim;
    int64_t shape[LT_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

static int entry_cmp(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* Validate one tensor entry of the header; data_len bounds the offsets. */
static int parse_entry(const char *name, const char *tname, json_t *v, uint64_t data_len,
                       st_entry *e)
{
    if (!json_is_object(v))
        return lt_error(LT_EFORMAT, "%s: header entry '%s' is not an object", name, tname);
    json_t *dt = json_object_get(v, "dtype");
    if (!json_is_string(dt))
        return lt_error(LT_EFORMAT, "%s: tensor '%s' has no \"dtype\" string", name, tname);
    if (strcmp(json_string_value(dt), "F32") != 0)
        return lt_error(LT_EUNSUPPORTED, "%s: tensor '%s' has dtype %.32s; lathe reads only F32",
                        name, tname, json_string_value(dt));
    json_t *sh = json_object_get(v, "shape");
    if (!json_is_array(sh))
        return lt_error(LT_EFORMAT, "%s: tensor '%s' has no \"shape\" array", name, tname);
    size_t nd = json_array_size(sh);
    if (nd < 1 || nd > LT_MAX_DIMS)
        return lt_error(LT_EUNSUPPORTED, "%s: tensor '%s' has %zu dimensions; lathe reads 1 to %d",
                        name, tname, nd, LT_MAX_DIMS);
    /* numel is bounded by the data section, so any product beyond it is
     * rejected before it can overflow (a zero dimension anywhere makes the
     * tensor empty, whatever the other dimensions say). */
    int zero = 0;
    for (size_t d = 0; d < nd; d++) {
        json_t *x = json_array_get(sh, d);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return lt_error(LT_EFORMAT, "%s: tensor '%s': shape[%zu] is not a non-negative integer",
                            name, tname, d);
        e->shape[d] = (int64_t)json_integer_value(x);
        zero |= e->shape[d] == 0;
    }
    uint64_t numel = zero ? 0 : 1;
    for (size_t d = 0; !zero && d < nd; d++) {
        uint64_t dim = (uint64_t)e->shape[d];
        if (numel > data_len / 4 / dim)
            return lt_error(LT_ECORRUPT, "%s: tensor '%s': shape is larger than the file", name,
                            tname);
        numel *= dim;
    }
    e->ndim = (int)nd;
    json_t *off = json_object_get(v, "data_offsets");
    if (!json_is_array(off) || json_array_size(off) != 2 ||
        !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)))
        return lt_error(LT_EFORMAT, "%s: tensor '%s' has no \"data_offsets\" [begin, end]", name,
                        tname);
    json_int_t b = json_integer_value(json_array_get(off, 0));
    json_int_t en = json_integer_value(json_array_get(off, 1));
    if (b < 0 || en < b || (uint64_t)en > data_len)
        return lt_error(LT_ECORRUPT,
                        "%s: tensor '%s': data_offsets [%lld, %lld] outside the %llu-byte data "
                        "section (truncated file?)",
                        name, tname, (long long)b, (long long)en, (unsigned long long)data_len);
    if ((uint64_t)(en - b) != numel * 4)
        return lt_error(LT_ECORRUPT,
                        "%s: tensor '%s': data_offsets span %lld bytes but the shape needs %llu",
                        name, tname, (long long)(en - b), (unsigned long long)(numel * 4));
    e->name = tname;
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    return LT_OK;
}

/* "crc32:%08x" exactly, else -1. */
static int parse_crc(const char *s, uint32_t *out)
{
    if (strncmp(s, "crc32:", 6) != 0 || strlen(s) != 14)
        return -1;
    uint32_t v = 0;
    for (int i = 6; i < 14; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static int check_meta(const char *name, json_t *meta, const unsigned char *data, size_t data_len)
{
    if (!json_is_object(meta))
        return lt_error(LT_EFORMAT, "%s: \"__metadata__\" is not an object", name);
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v) {
        if (!json_is_string(v))
            return lt_error(LT_EFORMAT, "%s: \"__metadata__\" value of '%s' is not a string",
                            name, k);
    }
    json_t *ck = json_object_get(meta, "checksum");
    if (ck) {
        uint32_t want;
        if (parse_crc(json_string_value(ck), &want))
            return lt_error(LT_ECORRUPT, "%s: checksum '%.40s' is not crc32:<8 hex digits>", name,
                            json_string_value(ck));
        uint32_t got = crc_update((uint32_t)crc32(0L, Z_NULL, 0), data, data_len);
        if (got != want)
            return lt_error(LT_ECORRUPT, "%s: checksum mismatch: file is corrupt", name);
    }
    return LT_OK;
}

int lt_st_parse(const void *buf, size_t len, const char *name, lt_state **st, char **meta_json)
{
    if (st)
        *st = NULL;
    if (meta_json)
        *meta_json = NULL;
    if (!name)
        name = "<memory>";
    if (!buf && len)
        return lt_error(LT_EINVAL, "%s: no buffer", name);
    if (len == 0)
        return lt_error(LT_ECORRUPT, "%s: file is empty", name);
    if (len < 8)
        return lt_error(LT_ECORRUPT, "%s: file is %zu bytes, too short for a model file", name,
                        len);
    const unsigned char *b = buf;
    uint64_t hlen = get_le64(b);
    if (hlen > ST_MAX_HEADER)
        return lt_error(LT_EFORMAT, "%s: header length %llu is absurd (not a model file?)", name,
                        (unsigned long long)hlen);
    if (hlen > len - 8)
        return lt_error(LT_ECORRUPT,
                        "%s: truncated: header needs %llu bytes but only %zu follow", name,
                        (unsigned long long)hlen, len - 8);
    if (hlen < 2 || b[8] != '{')
        return lt_error(LT_EFORMAT, "%s: header is not a JSON object (not a safetensors file?)",
                        name);
    const unsigned char *data = b + 8 + hlen;
    size_t data_len = len - 8 - (size_t)hlen;

    json_error_t jerr;
    json_t *hdr = json_loadb((const char *)b + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!hdr)
        return lt_error(LT_EFORMAT, "%s: header is not valid JSON: %s (header byte %d)", name,
                        jerr.text, jerr.position);
    if (!json_is_object(hdr)) {
        json_decref(hdr);
        return lt_error(LT_EFORMAT, "%s: header is not a JSON object", name);
    }

    size_t n = json_object_size(hdr);
    st_entry *ents = lt_calloc(n, sizeof *ents);
    if (!ents) {
        json_decref(hdr);
        return lt_error_wrap(LT_ENOMEM, "%s: ", name);
    }
    int rc = LT_OK;
    size_t ne = 0;
    json_t *meta = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(hdr, k, v) {
        if (strcmp(k, "__metadata__") == 0) {
            meta = v;
            continue;
        }
        if (!*k) {
            rc = lt_error(LT_EFORMAT, "%s: header has a tensor with an empty name", name);
            break;
        }
        if (ne >= ST_MAX_TENSORS) {
            rc = lt_error(LT_ELIMIT, "%s: more than %d tensors", name, ST_MAX_TENSORS);
            break;
        }
        if ((rc = parse_entry(name, k, v, data_len, &ents[ne])))
            break;
        ne++;
    }

    /* Tensors must tile the data section exactly: sorted by offset, each one
     * starts where the previous ended. */
    if (!rc)
        qsort(ents, ne, sizeof *ents, entry_cmp);
    uint64_t pos = 0;
    for (size_t i = 0; !rc && i < ne; i++) {
        if (ents[i].begin != pos)
            rc = lt_error(LT_ECORRUPT, "%s: tensor '%s' %s at byte %llu of the data section",
                          name, ents[i].name, ents[i].begin < pos ? "overlaps another" : "leaves a gap",
                          (unsigned long long)ents[i].begin);
        pos = ents[i].end;
    }
    if (!rc && pos != data_len)
        rc = lt_error(LT_ECORRUPT,
                      "%s: data section is %zu bytes but the tensors cover %llu (truncated or "
                      "trailing bytes)",
                      name, data_len, (unsigned long long)pos);
    if (!rc && meta)
        rc = check_meta(name, meta, data, data_len);

    lt_state *s = NULL;
    if (!rc && st) {
        s = lt_state_new();
        if (!s)
            rc = lt_error_wrap(LT_ENOMEM, "%s: ", name);
        for (size_t i = 0; !rc && i < ne; i++) {
            rc = lt_state_put(s, ents[i].name, ents[i].ndim, ents[i].shape, NULL);
            if (rc) {
                lt_error_wrap(rc, "%s: ", name);
                break;
            }
            const lt_tensor *t = lt_state_tensor_at(s, lt_state_count(s) - 1);
            floats_from_le(t->data, data + ents[i].begin, (size_t)(ents[i].end - ents[i].begin) / 4);
        }
    }
    char *mtext = NULL;
    if (!rc && meta_json) {
        mtext = meta ? json_dumps(meta, JSON_COMPACT) : lt_strdup("{}");
        if (!mtext)
            rc = lt_error(LT_ENOMEM, "%s: out of memory", name);
    }
    free(ents);
    json_decref(hdr);
    if (rc) {
        lt_state_free(s);
        free(mtext);
        return rc;
    }
    if (st)
        *st = s;
    if (meta_json)
        *meta_json = mtext;
    return LT_OK;
}

int lt_st_read(const char *path, lt_state **st, char **meta_json)
{
    if (st)
        *st = NULL;
    if (meta_json)
        *meta_json = NULL;
    if (!path)
        return lt_error(LT_EINVAL, "lt_st_read: path is required");
    char *buf;
    size_t len;
    int rc = lt_read_file(path, 0, &buf, &len);
    if (rc)
        return rc;
    rc = lt_st_parse(buf, len, path, st, meta_json);
    free(buf);
    return rc;
}
