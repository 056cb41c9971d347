/* Private to src/data: zero-copy column hand-over from the CSV reader, the
 * shortest round-trip number formatter shared by the writer, cell_str and
 * transforms, and a small string -> index hash map (categorical levels). */
#ifndef LATHE_DATA_TABLE_IMPL_H
#define LATHE_DATA_TABLE_IMPL_H

#include "lathe/table.h"

#include <stddef.h>
#include <stdint.h>

/* Append a column whose arrays the table takes over (no copy). Ownership
 * passes to the table even when the call fails (the arrays are freed then).
 * levels[k] must point into `pool` (one block holding all level strings). */
int lt_table_adopt_num(lt_table *t, char *name, double *v, int64_t n);
int lt_table_adopt_cat(lt_table *t, char *name, int32_t *codes, int64_t n, char **levels,
                       char *pool, int nlevels);

/* Shortest "%.{15,16,17}g" text that reads back to exactly v; "" for NaN,
 * "inf"/"-inf" for infinities. cap >= 32. Returns the length. */
int lt_fmt_double(double v, char *buf, size_t cap);

/* Open-addressing map from byte strings to dense indices 0..n-1 in insertion
 * order. Keys are borrowed (not copied): they must outlive the map. */
typedef struct lt_strmap {
    int32_t *slots;      /* index into keys, -1 = empty; size mask+1 (power of 2) */
    uint64_t mask;
    const char **keys;
    uint32_t *lens;
    uint64_t *hashes;
    int32_t n, cap;
} lt_strmap;

int lt_strmap_init(lt_strmap *m, int64_t hint);
void lt_strmap_free(lt_strmap *m);
uint64_t lt_strhash(const char *s, size_t len);
/* Index of key, or -1. */
int32_t lt_strmap_find(const lt_strmap *m, const char *s, size_t len);
/* Index of key, adding it if absent; negative LT_E* on failure (message set). */
int32_t lt_strmap_put(lt_strmap *m, const char *s, size_t len);

/* CSV input buffers are followed by this many zero bytes: one is the
 * tokenizer's end sentinel, the rest leave room for word-wide reads. */
#define CSV_PAD 16

/* malloc for big internal buffers (huge-page advice from 1 MiB); free(). */
void *lt_csv_big_alloc(size_t n);
/* Whole file (or "/dev/stdin") into *out (*len bytes; regular files get
 * CSV_PAD spare bytes already, pipes may not: realloc before use). */
int lt_csv_slurp(const char *path, char **out, size_t *len);
/* 1 if buf starts with the gzip magic bytes 1f 8b. */
int lt_csv_is_gzip(const char *buf, size_t n);
/* Inflates gzip data (concatenated members allowed) into a new malloc'd
 * buffer of *outlen bytes plus CSV_PAD zero bytes; `name` is for messages. */
int lt_csv_gunzip(const unsigned char *in, size_t n, const char *name, char **out,
                  size_t *outlen);

#endif
