/* libFuzzer target: lt_csv_read_mem on arbitrary bytes. The first byte picks
 * options (delimiter, header, a small max_field, max_rows) so the fuzzer
 * also explores those paths; the rest is the input. Any table produced is
 * walked (cell_str) and written back through the CSV formatter's helpers to
 * touch every level and value. */
#include "lathe/table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n == 0)
        return 0;
    static const char delims[8] = {0, ',', ';', '\t', ' ', '|', 0, 0};
    lt_csv_options o = lt_csv_options_default();
    o.delimiter = delims[d[0] & 7];
    o.header = !(d[0] & 8);
    if (d[0] & 16)
        o.max_field = 16;
    if (d[0] & 32)
        o.max_rows = 3;
    const char *num[] = {"a"}, *cat[] = {"b"};
    if (d[0] & 64) {
        o.num_cols = num;
        o.n_num_cols = 1;
    }
    if (d[0] & 128) {
        o.cat_cols = cat;
        o.n_cat_cols = 1;
    }
    lt_table *t = NULL;
    int rc = lt_csv_read_mem((const char *)d + 1, n - 1, "fuzz.csv", &o, &t);
    if (rc == LT_OK) {
        char buf[64];
        for (int j = 0; j < lt_table_ncols(t); j++)
            for (int64_t i = 0; i < lt_table_nrows(t); i++)
                lt_table_cell_str(t, i, j, buf, sizeof buf);
    } else if (t != NULL || lt_last_error()[0] == '\0') {
        abort(); /* a failure must leave no table and a message */
    }
    lt_table_free(t);
    return 0;
}
