/* Flag parsing, errors, progress and output helpers shared by subcommands. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const cli_flag common_flags[] = {
    {"json", NULL, "print one JSON object instead of tables"},
    {"quiet", NULL, "no progress lines"},
    {"threads", "N", "threads for BLAS and OpenMP (default: all cores)"},
    {"no-header", NULL, "CSV files have no header row: columns are named col1, col2, ..."},
    {"help", NULL, "show this help"},
    {NULL, NULL, NULL},
};

static void print_flags(FILE *f, const cli_flag *flags)
{
    for (const cli_flag *fl = flags; fl->name; fl++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", fl->name, fl->arg ? " " : "", fl->arg ? fl->arg : "");
        fprintf(f, "  %-24s %s\n", left, fl->help);
    }
}

static void print_help(const cli_cmd *cmd)
{
    printf("usage: lathe %s %s\n\n%s\n\nflags:\n", cmd->name, cmd->usage, cmd->summary);
    print_flags(stdout, cmd->flags);
    print_flags(stdout, common_flags);
    if (cmd->details)
        printf("\n%s\n", cmd->details);
}

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lathe %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: lathe %s %s\n(see 'lathe %s --help')\n", cmd->name, cmd->usage,
            cmd->name);
    return CLI_USAGE;
}

static void log_to_stderr(lt_log_level level, const char *msg, void *user)
{
    const cli_args *a = user;
    if (level < LT_LOG_WARN && a->quiet)
        return;
    if (level == LT_LOG_DEBUG)
        return;
    static const char *names[] = {"debug", "info", "warning", "error"};
    fprintf(stderr, "lathe %s: %s: %s\n", a->cmd->name, names[level], msg);
}

/* --no-header applies to every CSV a command reads (one process, one command). */
static int csv_no_header;

const lt_csv_options *cli_csv_options(void)
{
    static lt_csv_options o;
    o = lt_csv_options_default();
    o.header = !csv_no_header;
    return &o;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0)
            return cli_usage_error(cmd, "unexpected argument '%s'", arg);
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name)
            return cli_usage_error(cmd, "unknown flag '%s'", arg);
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        if (!strcmp(name, "help")) {
            print_help(cmd);
            return -1;
        }
        if (!strcmp(name, "json")) {
            a->json = 1;
            continue;
        }
        if (!strcmp(name, "quiet")) {
            a->quiet = 1;
            continue;
        }
        if (!strcmp(name, "no-header")) {
            csv_no_header = 1;
            continue;
        }
        if (!strcmp(name, "threads")) {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || n < 1 || n > 1024)
                return cli_usage_error(cmd, "--threads needs a number from 1 to 1024");
            lt_set_threads((int)n);
            continue;
        }
        int k = 0;
        while (cmd->flags[k].name && strcmp(cmd->flags[k].name, name))
            k++;
        if (!cmd->flags[k].name)
            return cli_usage_error(cmd, "unknown flag '--%s'", name);
        if (!cmd->flags[k].arg) {
            if (eq)
                return cli_usage_error(cmd, "--%s takes no value", name);
            a->values[k] = "1";
        } else if (eq) {
            a->values[k] = eq + 1;
        } else if (i + 1 < argc) {
            a->values[k] = argv[++i];
        } else {
            return cli_usage_error(cmd, "--%s needs a value (%s)", name, cmd->flags[k].arg);
        }
        if (a->nall == (int)(sizeof a->all / sizeof a->all[0]))
            return cli_usage_error(cmd, "too many flags");
        a->all[a->nall] = a->values[k];
        a->all_flag[a->nall++] = k;
    }
    lt_log_set_hook(log_to_stderr, a);
    return CLI_OK;
}

const char *cli_get(const cli_args *a, const char *name)
{
    for (int k = 0; a->cmd->flags[k].name; k++)
        if (!strcmp(a->cmd->flags[k].name, name))
            return a->values[k];
    return NULL;
}

int cli_get_all(const cli_args *a, const char *name, const char **out, int cap)
{
    int n = 0;
    for (int i = 0; i < a->nall; i++)
        if (!strcmp(a->cmd->flags[a->all_flag[i]].name, name) && n < cap)
            out[n++] = a->all[i];
    return n;
}

int cli_get_derive(const cli_args *a, const char ***defs, int *n)
{
    *defs = NULL;
    *n = 0;
    const char **v = calloc(sizeof a->all / sizeof a->all[0] + 1, sizeof(char *));
    if (!v)
        return cli_usage_error(a->cmd, "out of memory");
    int nv = cli_get_all(a, "derive", v, (int)(sizeof a->all / sizeof a->all[0]));
    /* Syntax is checked here, before any data is read: a usage error. */
    lt_derive **list = NULL;
    int nl = 0;
    if (nv && lt_derive_parse_list(v, nv, &list, &nl)) {
        free(v);
        return cli_usage_error(a->cmd, "--derive %s", lt_last_error());
    }
    lt_derive_list_free(list, nl);
    *defs = v;
    *n = nv;
    return CLI_OK;
}

int cli_get_double(const cli_args *a, const char *name, double def, double *out)
{
    const char *v = cli_get(a, name);
    *out = def;
    if (!v)
        return CLI_OK;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x))
        return cli_usage_error(a->cmd, "--%s needs a number, got '%s'", name, v);
    *out = x;
    return CLI_OK;
}

int cli_get_int(const cli_args *a, const char *name, long def, long *out)
{
    const char *v = cli_get(a, name);
    *out = def;
    if (!v)
        return CLI_OK;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno)
        return cli_usage_error(a->cmd, "--%s needs an integer, got '%s'", name, v);
    *out = x;
    return CLI_OK;
}

int cli_get_task(const cli_args *a, int *task)
{
    const char *v = cli_get(a, "task");
    if (!v)
        return CLI_OK;
    if (!strcmp(v, "classification"))
        *task = LT_TASK_CLASSIFICATION;
    else if (!strcmp(v, "regression"))
        *task = LT_TASK_REGRESSION;
    else
        return cli_usage_error(a->cmd, "--task must be classification or regression");
    return CLI_OK;
}

int cli_get_params(const cli_args *a, char ***list, const char **keys, const char **vals,
                   int cap, int *n)
{
    int np = 0;
    const char *v = cli_get(a, "param");
    *list = v ? cli_split_list(v, &np) : NULL;
    if (*n + np > cap)
        return cli_usage_error(a->cmd, "too many --param entries (at most %d)", cap);
    for (int i = 0; i < np; i++) {
        char *eq = strchr((*list)[i], '=');
        if (!eq)
            return cli_usage_error(a->cmd, "--param entries are KEY=VALUE, got '%s'", (*list)[i]);
        *eq = '\0';
        keys[*n] = (*list)[i];
        vals[(*n)++] = eq + 1;
    }
    return CLI_OK;
}

char **cli_split_list(const char *s, int *n)
{
    *n = 0;
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    char **out = calloc(cap + 1, sizeof(char *));
    if (!out)
        return NULL;
    const char *start = s;
    for (;;) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (len) {
            out[*n] = strndup(start, len);
            (*n)++;
        }
        if (!end)
            break;
        start = end + 1;
    }
    return out;
}

void cli_free_list(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

int cli_fail(const cli_args *a, const char *what)
{
    cli_progress_done(a);
    if (a->json) {
        /* json_pack refuses text that is not UTF-8 (a message can quote raw bytes). */
        json_t *o = json_pack("{s:s,s:s}", "error", lt_last_error(), "context", what ? what : "");
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        printf("%s\n", s ? s : "{\"error\":\"(message is not valid UTF-8; see stderr)\"}");
        free(s);
        json_decref(o);
    }
    fprintf(stderr, "lathe %s: error: %s%s%s\n", a->cmd->name, what ? what : "", what ? ": " : "",
            lt_last_error());
    return CLI_FAIL;
}

static int progress_shown;

int cli_progress_visible(const cli_args *a) { return !a->quiet && isatty(STDERR_FILENO); }

void cli_progress(const cli_args *a, const char *fmt, ...)
{
    if (!cli_progress_visible(a))
        return;
    va_list ap;
    fprintf(stderr, "\r\033[K");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}

void cli_progress_done(const cli_args *a)
{
    (void)a;
    if (progress_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        progress_shown = 0;
    }
}

void cli_model_progress(void *args, int64_t iter, int64_t total, double loss)
{
    static double last;
    double now = lt_now();
    if (now - last < 0.1 && iter != total)
        return;
    last = now;
    if (total > 0)
        cli_progress(args, "training: iteration %lld/%lld  loss %.6g", (long long)iter,
                     (long long)total, loss);
    else
        cli_progress(args, "training: iteration %lld  loss %.6g", (long long)iter, loss);
}

void cli_print_metrics(FILE *f, const char *metrics_json)
{
    json_t *o = metrics_json ? json_loads(metrics_json, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    const char *key;
    json_t *v;
    fprintf(f, "  %-12s %s\n", "metric", "value");
    fprintf(f, "  %-12s %s\n", "------", "-----");
    json_object_foreach(o, key, v) {
        if (json_is_integer(v))
            fprintf(f, "  %-12s %lld\n", key, (long long)json_integer_value(v));
        else if (json_is_number(v))
            fprintf(f, "  %-12s %.4f\n", key, json_number_value(v));
        else if (json_is_null(v))
            fprintf(f, "  %-12s %s\n", key, "n/a");
    }
    json_decref(o);
}

static void write_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int cli_write_csv(FILE *f, const lt_table *t)
{
    int nc = lt_table_ncols(t);
    for (int j = 0; j < nc; j++) {
        if (j)
            fputc(',', f);
        write_field(f, lt_table_col_name(t, j));
    }
    fputc('\n', f);
    char buf[128];
    for (int64_t i = 0; i < lt_table_nrows(t); i++) {
        for (int j = 0; j < nc; j++) {
            if (j)
                fputc(',', f);
            write_field(f, lt_table_cell_str(t, i, j, buf, sizeof buf));
        }
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f))
        return lt_error(LT_EIO, "write error on output");
    return LT_OK;
}

const char *cli_task_name(lt_task t)
{
    static const char *w[] = {"regression", "classification", "anomaly", "cluster"};
    return (unsigned)t < 4 ? w[t] : "unknown";
}

int cli_read_for_model(const char *path, const lt_pipeline *p, lt_table **out)
{
    int nin = lt_pipeline_nin(p), nn = 0, nc = 0;
    const char **num = malloc(sizeof(char *) * (size_t)(nin + 1));
    const char **cat = malloc(sizeof(char *) * (size_t)(nin + 1));
    if (!num || !cat) {
        free(num);
        free(cat);
        return lt_error(LT_ENOMEM, "out of memory");
    }
    for (int j = 0; j < nin; j++) {
        if (lt_pipeline_in_type(p, j) == LT_COL_NUM)
            num[nn++] = lt_pipeline_in_name(p, j);
        else
            cat[nc++] = lt_pipeline_in_name(p, j);
    }
    lt_csv_options o = *cli_csv_options();
    o.num_cols = num;
    o.n_num_cols = nn;
    o.cat_cols = cat;
    o.n_cat_cols = nc;
    int rc = lt_csv_read(path, &o, out);
    free(num);
    free(cat);
    return rc;
}

void cli_mkdir_parents(const char *path)
{
    char *p = strdup(path);
    for (char *s = p ? p + 1 : NULL; s && *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    free(p);
}

static uint32_t file_crc32(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char buf[1 << 16];
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crc = crc32(crc, buf, (uInt)n);
    fclose(f);
    return (uint32_t)crc;
}

char *cli_provenance_json(const char *data, int64_t rows, int64_t train_rows, int64_t test_rows,
                          uint64_t seed, const char *selected_by)
{
    char crc[16], created[32];
    snprintf(crc, sizeof crc, "%08x", file_crc32(data));
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_t *pv = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:i}", "data", data, "data_crc32",
                           crc, "rows", (json_int_t)rows, "train_rows", (json_int_t)train_rows,
                           "test_rows", (json_int_t)test_rows, "seed", (json_int_t)seed,
                           "lathe_version", LATHE_VERSION, "created", created, "threads",
                           lt_get_threads());
    if (selected_by)
        json_object_set_new(pv, "selected_by", json_string(selected_by));
    char *text = json_dumps(pv, JSON_COMPACT);
    json_decref(pv);
    return text;
}
