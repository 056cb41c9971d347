/* Model files: safetensors writer and validating reader, pipeline save/load. */
#include "test_util.h"

#include <dirent.h>

/* A fresh empty directory under the test scratch dir. */
static const char *fresh_dir(const char *leaf, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", test_tmp_dir(), leaf);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0)
        fail_msg("cannot create %s", buf);
    return buf;
}

static lt_state *sample_state(void)
{
    lt_state *st = lt_state_new();
    float w[6] = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f};
    float b[3] = {0.5f, 0.25f, -0.125f};
    float c[24];
    for (int i = 0; i < 24; i++)
        c[i] = (float)i * 0.1f - 1.0f;
    int64_t s1[2] = {2, 3}, s2[1] = {3}, s3[3] = {2, 3, 4}, s4[2] = {0, 5};
    assert_ok(lt_state_put(st, "weights", 2, s1, w));
    assert_ok(lt_state_put(st, "bias", 1, s2, b));
    assert_ok(lt_state_put(st, "cube", 3, s3, c));
    assert_ok(lt_state_put(st, "empty", 2, s4, NULL));
    return st;
}

/* Raw file: u64 little-endian header length, header text, data bytes. */
static unsigned char *raw_file(const char *hdr, const void *data, size_t dlen, size_t *len)
{
    size_t h = strlen(hdr);
    *len = 8 + h + dlen;
    unsigned char *b = malloc(*len);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, hdr, h);
    if (dlen)
        memcpy(b + 8 + h, data, dlen);
    return b;
}

static int parse_raw(const char *hdr, const void *data, size_t dlen)
{
    size_t len;
    unsigned char *b = raw_file(hdr, data, dlen, &len);
    lt_state *st = NULL;
    char *meta = NULL;
    int rc = lt_st_parse(b, len, "raw.lt", &st, &meta);
    free(b);
    lt_state_free(st);
    free(meta);
    return rc;
}

static void test_round_trip(void **unused)
{
    (void)unused;
    char dir[600], path[700];
    fresh_dir("rt", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    lt_state *st = sample_state();
    assert_ok(lt_st_write(path, st, "{\"author\":\"unit test\",\"note\":\"caf\\u00e9\"}"));

    lt_state *back = NULL;
    char *meta = NULL;
    assert_ok(lt_st_read(path, &back, &meta));
    assert_int_equal(lt_state_count(back), lt_state_count(st));
    for (int i = 0; i < lt_state_count(st); i++) {
        assert_string_equal(lt_state_name_at(back, i), lt_state_name_at(st, i));
        const lt_tensor *a = lt_state_tensor_at(st, i), *b = lt_state_tensor_at(back, i);
        assert_int_equal(a->ndim, b->ndim);
        for (int d = 0; d < a->ndim; d++)
            assert_int_equal(a->shape[d], b->shape[d]);
        assert_memory_equal(a->data, b->data, sizeof(float) * (size_t)lt_tensor_numel(a));
    }
    assert_non_null(strstr(meta, "\"author\":\"unit test\""));
    assert_non_null(strstr(meta, "\"format\":\"lathe-model\""));
    assert_non_null(strstr(meta, "\"checksum\":\"crc32:"));

    /* Layout: header length is a multiple of 8, so data starts aligned. */
    char *buf;
    size_t len;
    assert_ok(lt_read_file(path, 0, &buf, &len));
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h |= (uint64_t)(unsigned char)buf[i] << (8 * i);
    assert_int_equal(h % 8, 0);
    assert_int_equal(len, 8 + h + 4 * (6 + 3 + 24));
    assert_int_equal(buf[8], '{');
    free(buf);
    free(meta);
    lt_state_free(back);
    lt_state_free(st);
}

static void test_truncated_every_length(void **unused)
{
    (void)unused;
    char dir[600], path[700];
    fresh_dir("trunc", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.lt", dir);
    lt_state *st = sample_state();
    assert_ok(lt_st_write(path, st, NULL));
    lt_state_free(st);
    char *full;
    size_t len;
    assert_ok(lt_read_file(path, 0, &full, &len));
    for (size_t n = 0; n < len; n++) {
        /* An exact-size copy, so a read past the end trips ASan. */
        char *b = malloc(n ? n : 1);
        memcpy(b, full, n);
        lt_state *s = NULL;
        char *meta = NULL;
        int rc = lt_st_parse(n ? b : NULL, n, "cut.lt", &s, &meta);
        if (rc == LT_OK)
            fail_msg("truncation to %zu of %zu bytes was accepted", n, len);
        assert_null(s);
        assert_null(meta);
        assert_non_null(strstr(lt_last_error(), "cut.lt: "));
        free(b);
    }
    lt_state *s = NULL;
    assert_ok(lt_st_parse(full, len, "full.lt", &s, NULL));
    lt_state_free(s);
    free(full);
}

static void test_flipped_byte(void **unused)
{
    (void)unused;
    char dir[600], path[700];
    fresh_dir("flip", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.lt", dir);
    lt_state *st = sample_state();
    assert_ok(lt_st_write(path, st, NULL));
    lt_state_free(st);
    char *b;
    size_t len;
    assert_ok(lt_read_file(path, 0, &b, &len));
    b[len - 5] ^= 0x10;
    assert_ok(lt_write_file_atomic(path, b, len));
    free(b);
    lt_state *s = NULL;
    assert_int_equal(lt_st_read(path, &s, NULL), LT_ECORRUPT);
    assert_error_contains("checksum mismatch: file is corrupt");
    assert_error_contains(path);
    assert_null(s);
}

static void test_bad_headers(void **unused)
{
    (void)unused;
    float d[4] = {1, 2, 3, 4};
    lt_state *st = NULL;

    assert_int_equal(lt_st_parse("", 0, "e.lt", &st, NULL), LT_ECORRUPT);
    assert_error_contains("e.lt: file is empty");
    assert_int_equal(lt_st_parse("abc", 3, "s.lt", &st, NULL), LT_ECORRUPT);
    /* Header length far beyond the file, and absurd. */
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    assert_int_equal(lt_st_parse(big, sizeof big, "big.lt", &st, NULL), LT_EFORMAT);
    assert_error_contains("absurd");
    unsigned char over[12] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' '};
    assert_int_equal(lt_st_parse(over, sizeof over, "over.lt", &st, NULL), LT_ECORRUPT);
    assert_error_contains("truncated");

    assert_int_equal(parse_raw("{\"a\": [1,", d, 0), LT_EFORMAT);
    assert_error_contains("raw.lt: header is not valid JSON");
    assert_int_equal(parse_raw("[1, 2, 3]", d, 0), LT_EFORMAT);
    assert_int_equal(parse_raw("{\"__metadata__\": {\"k\": 3}}", d, 0), LT_EFORMAT);
    assert_error_contains("not a string");
    assert_int_equal(parse_raw("{\"__metadata__\": []}", d, 0), LT_EFORMAT);

    /* dtype other than F32 */
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", d, 4),
        LT_EUNSUPPORTED);
    assert_error_contains("tensor 'w' has dtype F16");
    /* negative dim, non-integer dim, too many dims, scalar */
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d, 4),
        LT_EFORMAT);
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", d, 4),
        LT_EFORMAT);
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", d,
                  4),
        LT_EUNSUPPORTED);
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", d, 4),
        LT_EUNSUPPORTED);
    /* dims whose product overflows int64 */
    assert_int_equal(parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
                               "\"data_offsets\":[0,0]}}",
                               d, 0),
                     LT_ECORRUPT);
    /* an empty tensor with a large other dim is fine; an absurd one is an
     * error, never an overflow */
    assert_ok(parse_raw(
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000,0],\"data_offsets\":[0,0]}}", d, 0));
    assert_int_not_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,0],"
                  "\"data_offsets\":[0,0]}}",
                  d, 0),
        LT_OK);
    /* offsets: out of range, reversed, not matching the shape, gap, overlap, trailing */
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", d, 4),
        LT_ECORRUPT);
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", d, 4),
        LT_ECORRUPT);
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", d, 8),
        LT_ECORRUPT);
    assert_error_contains("span 8 bytes but the shape needs 4");
    assert_int_equal(parse_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                               d, 12),
                     LT_ECORRUPT);
    assert_error_contains("gap");
    assert_int_equal(parse_raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                               d, 8),
                     LT_ECORRUPT);
    assert_error_contains("overlaps");
    assert_int_equal(
        parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 8),
        LT_ECORRUPT);
    assert_int_equal(parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", d, 4), LT_EFORMAT);
    assert_int_equal(parse_raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                               "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                               d, 4),
                     LT_EFORMAT);
    assert_int_equal(parse_raw("{\"__metadata__\":{\"checksum\":\"crc32:xyz\"},"
                               "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                               d, 4),
                     LT_ECORRUPT);
}

/* A safetensors file from another tool (no lathe metadata, tensors listed out
 * of order, unpadded header) reads as a state but not as a pipeline. */
static void test_foreign_file(void **unused)
{
    (void)unused;
    float d[3] = {1, 2, 3};
    size_t len;
    unsigned char *b =
        raw_file("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}",
                 d, sizeof d, &len);
    lt_state *st = NULL;
    char *meta = NULL;
    assert_ok(lt_st_parse(b, len, "foreign.safetensors", &st, &meta));
    assert_string_equal(meta, "{}");
    assert_int_equal(lt_state_count(st), 2);
    assert_string_equal(lt_state_name_at(st, 0), "a");
    assert_true(lt_state_get(st, "b")->data[0] == 3.0f);
    assert_true(lt_state_get(st, "a")->data[1] == 2.0f);
    lt_state_free(st);
    free(meta);

    char dir[600], path[700];
    fresh_dir("foreign", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/foreign.lt", dir);
    assert_ok(lt_write_file_atomic(path, b, len));
    free(b);
    lt_pipeline *p = NULL;
    assert_int_equal(lt_pipeline_load(path, &p), LT_EFORMAT);
    assert_error_contains("not a lathe model (no format=lathe-model in __metadata__)");
    assert_error_contains(path);
    assert_null(p);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_atomic_and_errors(void **unused)
{
    (void)unused;
    char dir[600], path[700];
    fresh_dir("atomic", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.lt", dir);
    lt_state *st = sample_state();
    assert_ok(lt_st_write(path, st, NULL));
    assert_ok(lt_st_write(path, st, "{\"v\":\"2\"}"));  /* overwrite in place */
    assert_int_equal(count_entries(dir), 1);

    /* Bad metadata is refused before anything is written. */
    char p2[800];
    snprintf(p2, sizeof p2, "%s/bad.lt", dir);
    assert_int_equal(lt_st_write(p2, st, "[1]"), LT_EINVAL);
    assert_int_equal(lt_st_write(p2, st, "{\"n\": 1}"), LT_EINVAL);
    assert_error_contains("'n'");
    assert_int_equal(lt_st_write(p2, st, "{oops"), LT_EINVAL);
    assert_int_equal(count_entries(dir), 1);

    /* Missing directory: clean failure, nothing created. */
    snprintf(p2, sizeof p2, "%s/no/such/dir/m.lt", dir);
    assert_int_equal(lt_st_write(p2, st, NULL), LT_EIO);
    assert_error_contains("no/such/dir/m.lt");
    assert_int_equal(count_entries(dir), 1);
    lt_state *s = NULL;
    assert_int_equal(lt_st_read(p2, &s, NULL), LT_EIO);
    lt_state_free(st);
}

/* A small fitted pipeline survives save and load bit for bit. */
static void test_pipeline_round_trip(void **unused)
{
    (void)unused;
    enum { N = 60 };
    double x1[N], x2[N];
    const char *kind[N], *label[N];
    for (int i = 0; i < N; i++) {
        x1[i] = (i % 10) * 0.7 - 3;
        x2[i] = (i * 7 % 13) * 0.3;
        kind[i] = i % 3 ? "L" : "H";
        label[i] = x1[i] + x2[i] > 0 ? "yes" : "no";
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "x1", x1, N));
    assert_ok(lt_table_add_num(t, "x2", x2, N));
    assert_ok(lt_table_add_cat(t, "kind", kind, N));
    assert_ok(lt_table_add_cat(t, "label", label, N));
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "label";
    lt_pipeline *p = NULL;
    assert_ok(lt_pipeline_fit(t, NULL, 0, &spec, &p));

    char dir[600], path[700];
    fresh_dir("pipe", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.lt", dir);
    assert_ok(lt_pipeline_save(p, path));
    lt_pipeline *q = NULL;
    assert_ok(lt_pipeline_load(path, &q));
    int k = lt_pipeline_nproba(p);
    assert_int_equal(k, lt_pipeline_nproba(q));
    float pa[N], pb[N], qa[N * 8], qb[N * 8];
    assert_true(k <= 8);
    assert_ok(lt_pipeline_predict(p, t, pa, qa));
    assert_ok(lt_pipeline_predict(q, t, pb, qb));
    assert_memory_equal(pa, pb, sizeof pa);
    assert_memory_equal(qa, qb, sizeof(float) * (size_t)(N * k));
    assert_int_equal(lt_pipeline_nclass(q), 2);

    lt_state *st = NULL;
    char *meta = NULL;
    assert_ok(lt_st_read(path, &st, &meta));
    assert_non_null(strstr(meta, "\"lathe_version\":\"" LATHE_VERSION "\""));
    assert_non_null(strstr(meta, "\"lathe\":"));
    free(meta);
    lt_state_free(st);
    /* Save into a missing directory fails cleanly. */
    snprintf(path, sizeof path, "%s/missing/p.lt", dir);
    assert_int_equal(lt_pipeline_save(p, path), LT_EIO);
    lt_pipeline_free(q);
    lt_pipeline_free(p);
    lt_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_flipped_byte),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_foreign_file),
        cmocka_unit_test(test_atomic_and_errors),
        cmocka_unit_test(test_pipeline_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
