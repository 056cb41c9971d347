/* lathe cluster: group the rows of a table with k-means (e.g. production
 * tasks onto lines), write every row with its cluster, and describe the
 * clusters in the table's own units. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_flag flags[] = {
    {"data", "FILE", "table to cluster (CSV, optionally gzip)"},
    {"k", "K|auto", "number of clusters, or auto: the best silhouette for k = 2..max-k"},
    {"drop", "COLS", "comma-separated columns not to use as features (ids, names)"},
    {"derive", "'N = EXPR'", "add a feature computed from numeric columns (repeatable, or "
                             "several separated by ';'); see 'lathe train --help'"},
    {"out", "FILE", "write the rows plus a 'cluster' column here (default: stdout)"},
    {"max-k", "N", "largest k tried by --k auto (default 10)"},
    {"seed", "N", "random seed (default 42)"},
    {"param", "K=V,..", "further kmeans parameters, e.g. algorithm=hamerly,n_init=5"},
    {"scale", "KIND", "standard | minmax | none (default standard)"},
    {"model-out", "FILE", "also save the fitted model (for lathe predict)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "cluster", "Group the rows of a table with k-means and describe the groups.",
    "--data FILE --k K|auto [--drop COLS] [--out FILE] [--max-k N] [--seed N]",
    "Every column but --drop is a feature (numbers standardised, categories one-hot).\n"
    "Writes the input rows with a 'cluster' column (0..k-1) to --out, or to stdout; the summary\n"
    "(cluster sizes, centroids in the original units, inertia, silhouette) then goes to stderr.\n"
    "Silhouette is computed on at most 5000 rows (fixed sample).\n"
    "Example: lathe cluster --data jobs.csv --k auto --drop job_id --out jobs_lines.csv\n"
    "         lathe cluster --data jobs.csv --k 3 --derive 'energy = power_kw * hours'",
    flags,
};

/* Fit kmeans with k on t; metrics on the fitted rows. */
static int fit_k(lt_table *t, const lt_pipeline_spec *base, const char *const *keys,
                 const char *const *vals, int nkv, int k, lt_pipeline **p, lt_eval *ev)
{
    lt_pipeline_spec spec = *base;
    const char *K[72], *V[72];
    char kbuf[32];
    snprintf(kbuf, sizeof kbuf, "%d", k);
    K[0] = "k";
    V[0] = kbuf;
    for (int i = 0; i < nkv; i++)
        K[i + 1] = keys[i], V[i + 1] = vals[i];
    spec.param_keys = K;
    spec.param_values = V;
    spec.nparams = nkv + 1;
    int rc = lt_pipeline_fit(t, NULL, 0, &spec, p);
    if (!rc)
        rc = lt_pipeline_evaluate(*p, t, NULL, 0, ev);
    return rc;
}

static void print_summary(FILE *f, const lt_table *t, const float *lab, const lt_pipeline *p,
                          const lt_eval *ev)
{
    const lt_prep *prep = lt_pipeline_prep(p);
    /* Centroids of derived features too: the table as the transforms see it. */
    lt_table *dt = NULL;
    if (lt_pipeline_derive_table(p, t, NULL, 0, NULL, &dt) == LT_OK)
        t = dt;
    int64_t n = lt_table_nrows(t), k = 0;
    for (int64_t i = 0; i < n; i++)
        k = (int64_t)lab[i] + 1 > k ? (int64_t)lab[i] + 1 : k;
    fprintf(f, "clusters    %lld on %lld rows\ninertia     %.6g\nsilhouette  %.4f\n\n",
            (long long)ev->clu.k, (long long)n, ev->clu.inertia, ev->clu.silhouette);
    // Centroids in original units: mean of each numeric input over the members.
    fprintf(f, "%-8s %8s %7s", "cluster", "rows", "share");
    int nin = lt_prep_nin(prep);
    for (int j = 0; j < nin; j++)
        if (lt_prep_in_type(prep, j) == LT_COL_NUM)
            fprintf(f, " %14.14s", lt_prep_in_name(prep, j));
    fprintf(f, "\n");
    for (int64_t c = 0; c < k; c++) {
        int64_t size = 0;
        for (int64_t i = 0; i < n; i++)
            size += (int64_t)lab[i] == c;
        fprintf(f, "%-8lld %8lld %6.1f%%", (long long)c, (long long)size,
                100.0 * (double)size / (double)(n ? n : 1));
        for (int j = 0; j < nin; j++) {
            if (lt_prep_in_type(prep, j) != LT_COL_NUM)
                continue;
            int tj = lt_table_col_index(t, lt_prep_in_name(prep, j));
            const double *v = tj >= 0 ? lt_table_num(t, tj) : NULL;
            double s = 0;
            int64_t m = 0;
            for (int64_t i = 0; v && i < n; i++)
                if ((int64_t)lab[i] == c && !isnan(v[i]))
                    s += v[i], m++;
            fprintf(f, " %14.6g", m ? s / (double)m : NAN);
        }
        fprintf(f, "\n");
    }
    lt_table_free(dt);
}

int cmd_cluster(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *data = cli_get(&a, "data"), *kstr = cli_get(&a, "k");
    if (!data || !kstr)
        return cli_usage_error(&cmd, "--data and --k are required");
    int autok = !strcmp(kstr, "auto");
    long k = 0, maxk, seed;
    if (!autok) {
        char *end;
        errno = 0;
        k = strtol(kstr, &end, 10);
        if (end == kstr || *end || errno || k < 1 || k > 1000000)
            return cli_usage_error(&cmd, "--k must be an integer >= 1 or 'auto', got '%s'", kstr);
    }
    if ((rc = cli_get_int(&a, "max-k", 10, &maxk)) || (rc = cli_get_int(&a, "seed", 42, &seed)))
        return rc;
    if (maxk < 2 || maxk > 1000)
        return cli_usage_error(&cmd, "--max-k must be in [2, 1000], got %ld", maxk);

    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.model = "kmeans";
    spec.target = NULL;
    spec.seed = (uint64_t)seed;
    const char *scale = cli_get(&a, "scale");
    if (scale) {
        if (!strcmp(scale, "standard")) spec.prep.scale = LT_SCALE_STANDARD;
        else if (!strcmp(scale, "minmax")) spec.prep.scale = LT_SCALE_MINMAX;
        else if (!strcmp(scale, "none")) spec.prep.scale = LT_SCALE_NONE;
        else return cli_usage_error(&cmd, "--scale must be standard, minmax or none");
    }
    int np = 0, nd = 0, nderive = 0;
    const char **derive = NULL;
    char **plist = cli_get(&a, "param") ? cli_split_list(cli_get(&a, "param"), &np) : NULL;
    char **drop = cli_get(&a, "drop") ? cli_split_list(cli_get(&a, "drop"), &nd) : NULL;
    const char *keys[64], *vals[64];
    int exit_code = CLI_FAIL;
    lt_table *t = NULL;
    lt_pipeline *p = NULL, *cand = NULL;
    float *lab = NULL;
    json_t *tries = json_array();
    if (np > 64) {
        exit_code = cli_usage_error(&cmd, "too many --param entries");
        goto done;
    }
    for (int i = 0; i < np; i++) {
        char *eq = strchr(plist[i], '=');
        if (!eq || !strcmp(plist[i], "k") || !strncmp(plist[i], "k=", 2)) {
            exit_code = cli_usage_error(&cmd, "--param entries are KEY=VALUE (not k: use --k), "
                                        "got '%s'", plist[i]);
            goto done;
        }
        *eq = '\0';
        keys[i] = plist[i];
        vals[i] = eq + 1;
    }
    spec.drop = (const char *const *)drop;
    spec.ndrop = nd;
    if ((rc = cli_get_derive(&a, &derive, &nderive))) {
        exit_code = rc;
        goto done;
    }
    spec.derive = derive;
    spec.nderive = nderive;

    cli_progress(&a, "reading %s", data);
    if (lt_csv_read(data, cli_csv_options(), &t)) {
        cli_fail(&a, "reading data");
        goto done;
    }
    const int64_t n = lt_table_nrows(t);
    if (!autok && k > n) {
        exit_code = cli_usage_error(&cmd, "--k %ld is larger than the number of rows (%lld)", k,
                                    (long long)n);
        goto done;
    }
    if (autok && n < 3) {
        exit_code = cli_usage_error(&cmd, "--k auto needs at least 3 rows (have %lld)",
                                    (long long)n);
        goto done;
    }
    lt_eval ev, cev;
    double t0 = lt_now();
    if (!autok) {
        if (fit_k(t, &spec, keys, vals, np, (int)k, &p, &ev)) {
            cli_fail(&a, "clustering");
            goto done;
        }
    } else {
        // Try k = 2..max-k and keep the best silhouette (same sample of rows for each k).
        long top = maxk < n - 1 ? maxk : n - 1;
        double best = -INFINITY;
        for (long kk = 2; kk <= top; kk++) {
            cli_progress(&a, "trying k = %ld of %ld", kk, top);
            if (fit_k(t, &spec, keys, vals, np, (int)kk, &cand, &cev)) {
                cli_fail(&a, "clustering");
                goto done;
            }
            json_array_append_new(tries, json_pack("{s:i,s:f,s:f}", "k", (int)kk, "inertia",
                                                   cev.clu.inertia, "silhouette",
                                                   isfinite(cev.clu.silhouette)
                                                       ? cev.clu.silhouette : -1.0));
            if (cev.clu.silhouette > best) {
                best = cev.clu.silhouette;
                lt_pipeline_free(p);
                p = cand;
                ev = cev;
                k = kk;
            } else {
                lt_pipeline_free(cand);
            }
            cand = NULL;
        }
        if (!p) {
            lt_error(LT_EINVAL, "no k in 2..%ld gave a defined silhouette", top);
            cli_fail(&a, "clustering");
            goto done;
        }
    }
    double seconds = lt_now() - t0;
    cli_progress_done(&a);

    // Every input row plus its cluster.
    if (!(lab = lt_malloc(sizeof(float) * (size_t)(n ? n : 1))) ||
        lt_pipeline_predict(p, t, lab, NULL)) {
        cli_fail(&a, "assigning clusters");
        goto done;
    }
    double *labd = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!labd) {
        cli_fail(&a, NULL);
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        labd[i] = lab[i];
    const char *colname = lt_table_col_index(t, "cluster") < 0 ? "cluster" : "cluster_kmeans";
    rc = lt_table_add_num(t, colname, labd, n);
    free(labd);
    if (rc) {
        cli_fail(&a, "adding the cluster column");
        goto done;
    }
    const char *out = cli_get(&a, "out");
    if (out ? lt_csv_write(out, t) : cli_write_csv(stdout, t)) {
        cli_fail(&a, "writing rows");
        goto done;
    }
    const char *model_out = cli_get(&a, "model-out");
    char *mtext = lt_eval_metrics_json(&ev);
    lt_pipeline_set_metrics_json(p, mtext);
    if (model_out && lt_pipeline_save(p, model_out)) {
        free(mtext);
        cli_fail(&a, "saving model");
        goto done;
    }

    FILE *f = out ? stdout : stderr;  // stdout holds the rows when there is no --out
    if (a.json) {
        json_t *o = json_object();
        json_object_set_new(o, "k", json_integer(k));
        json_object_set_new(o, "metrics", json_loads(mtext, 0, NULL));
        json_t *sizes = json_array();
        for (long c = 0; c < k; c++) {
            int64_t s = 0;
            for (int64_t i = 0; i < n; i++)
                s += (long)lab[i] == c;
            json_array_append_new(sizes, json_integer(s));
        }
        json_object_set_new(o, "sizes", sizes);
        if (autok)
            json_object_set_new(o, "tried", json_incref(tries));
        json_object_set_new(o, "rows", json_integer(n));
        json_object_set_new(o, "seconds", json_real(seconds));
        if (out)
            json_object_set_new(o, "out", json_string(out));
        if (model_out)
            json_object_set_new(o, "model_out", json_string(model_out));
        char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(o);
    } else if (!(a.quiet && !out)) {
        if (autok) {
            fprintf(f, "%4s %14s %11s\n", "k", "inertia", "silhouette");
            size_t i;
            json_t *v;
            json_array_foreach(tries, i, v) {
                int kk = (int)json_integer_value(json_object_get(v, "k"));
                fprintf(f, "%4d %14.6g %11.4f%s\n", kk,
                        json_real_value(json_object_get(v, "inertia")),
                        json_real_value(json_object_get(v, "silhouette")),
                        kk == k ? "  <- best" : "");
            }
            fprintf(f, "\n");
        }
        print_summary(f, t, lab, p, &ev);
        fprintf(f, "\nfit %.3f s%s%s%s%s\n", seconds, out ? "; rows written to " : "",
                out ? out : "", model_out ? "; model saved to " : "", model_out ? model_out : "");
    }
    free(mtext);
    exit_code = CLI_OK;
done:
    cli_progress_done(&a);
    json_decref(tries);
    free(lab);
    lt_pipeline_free(p);
    lt_pipeline_free(cand);
    lt_table_free(t);
    cli_free_list(plist);
    cli_free_list(drop);
    free(derive);
    return exit_code;
}
