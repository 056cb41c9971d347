/* bench_csv FILE [REPEATS] [--no-header]: parse FILE with lt_csv_read
 * REPEATS times (default 7) and print one JSON line with the median and best
 * wall time. --no-header reads the first row as data (C-MAPSS files). It
 * runs with the lathe command's allocator setting (lt_keep_freed_pages). */
#include "lathe/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    lt_keep_freed_pages();  // as the lathe command does
    lt_csv_options opt = lt_csv_options_default();
    const char *file = NULL;
    int reps = 7, npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-header") == 0)
            opt.header = 0;
        else if (npos == 0 && ++npos)
            file = argv[i];
        else if (npos == 1 && ++npos)
            reps = atoi(argv[i]);
        else
            file = NULL, npos = 99;
    }
    if (!file || npos > 2) {
        fprintf(stderr, "usage: bench_csv FILE [REPEATS] [--no-header]\n");
        return 2;
    }
    if (reps < 1) {
        fprintf(stderr, "bench_csv: REPEATS must be >= 1\n");
        return 2;
    }
    double *sec = malloc((size_t)reps * sizeof *sec);
    if (!sec)
        return 1;
    int64_t rows = 0;
    int cols = 0;
    for (int r = 0; r < reps; r++) {
        lt_table *t = NULL;
        double t0 = lt_now();
        int rc = lt_csv_read(file, &opt, &t);
        sec[r] = lt_now() - t0;
        if (rc != LT_OK) {
            fprintf(stderr, "bench_csv: %s\n", lt_last_error());
            free(sec);
            return 1;
        }
        rows = lt_table_nrows(t);
        cols = lt_table_ncols(t);
        lt_table_free(t);
    }
    qsort(sec, (size_t)reps, sizeof *sec, cmp_double);
    double median = reps % 2 ? sec[reps / 2] : 0.5 * (sec[reps / 2 - 1] + sec[reps / 2]);
    printf("{\"file\":");
    json_string(file);
    printf(",\"rows\":%lld,\"cols\":%d,\"median_seconds\":%.6f,\"min_seconds\":%.6f}\n",
           (long long)rows, cols, median, sec[0]);
    free(sec);
    return 0;
}
