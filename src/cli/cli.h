/* The `lathe` command: one file per subcommand, shared helpers here.
 * No algorithms in cli/: it parses flags, calls the library, prints. */
#ifndef LATHE_CLI_H
#define LATHE_CLI_H

#include "lathe/lathe.h"

#include <stdio.h>

/* Exit codes (DESIGN.md): 0 ok, 1 failure, 2 usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One flag of a subcommand. arg = NULL for a switch, else the value's
 * placeholder shown in --help ("FILE"). */
typedef struct cli_flag {
    const char *name;   /* without the dashes */
    const char *arg;
    const char *help;
} cli_flag;

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    const char *usage;      /* after "lathe NAME " */
    const char *details;    /* paragraph after the flags, may be NULL */
    const cli_flag *flags;  /* terminated by {NULL} */
} cli_cmd;

/* Parsed flags: values[i] is the value of flags[i] (a switch holds "1"),
 * NULL if absent; a flag given twice keeps the last value there, and every
 * occurrence in order in all[] (flag index in all_flag[]) for repeatable
 * flags (cli_get_all). */
typedef struct cli_args {
    const cli_cmd *cmd;
    const char *values[64];
    int json, quiet;
    const char *all[128];
    int all_flag[128];
    int nall;
} cli_args;

/* Parses argv (after the subcommand). Returns -1 after printing help (the
 * caller exits 0), CLI_USAGE after printing a usage error, or CLI_OK. The
 * flags --help, --json, --quiet and --threads N are accepted everywhere. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a);
const char *cli_get(const cli_args *a, const char *name);
/* Every value of a repeatable flag, in command-line order, into out (at
 * most cap); returns how many. */
int cli_get_all(const cli_args *a, const char *name, const char **out, int cap);
/* Every --derive value (each may hold several definitions separated by
 * ';'), syntax-checked: *defs is a malloc'd array (free it) of *n values
 * borrowed from argv. Prints a usage error and returns CLI_USAGE when one
 * does not parse ("--derive 'DEF': POS: expected ..."). */
int cli_get_derive(const cli_args *a, const char ***defs, int *n);
/* Numeric flag with validation; prints a usage error and returns CLI_USAGE. */
int cli_get_double(const cli_args *a, const char *name, double def, double *out);
int cli_get_int(const cli_args *a, const char *name, long def, long *out);
/* --task classification|regression into *task (unchanged when absent);
 * prints a usage error and returns CLI_USAGE on another value. */
int cli_get_task(const cli_args *a, int *task);
/* --param K=V,... appended to keys/vals (which may already hold *n pairs,
 * at most cap in all). *list owns the strings: cli_free_list it, also on
 * error. Prints a usage error and returns CLI_USAGE on bad syntax. */
int cli_get_params(const cli_args *a, char ***list, const char **keys, const char **vals,
                   int cap, int *n);
/* Split "a,b,c" into a NULL-terminated malloc'd array of malloc'd strings. */
char **cli_split_list(const char *s, int *n);
void cli_free_list(char **list);

/* "lathe CMD: error: <lt_last_error()>" on stderr; returns CLI_FAIL. */
int cli_fail(const cli_args *a, const char *what);
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress line on stderr (only on a terminal, never with --quiet). */
int cli_progress_visible(const cli_args *a);
void cli_progress(const cli_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_done(const cli_args *a);
/* lt_progress_fn that prints "iter i/total loss x" through cli_progress. */
void cli_model_progress(void *args, int64_t iter, int64_t total, double loss);

/* Print a metrics JSON object as a two-column table. */
void cli_print_metrics(FILE *f, const char *metrics_json);
/* Write a table as CSV to a stream (header, quoting as needed). */
int cli_write_csv(FILE *f, const lt_table *t);

/* Subcommands. */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_cluster(int argc, char **argv);



/* Read a CSV for a saved model: its numeric inputs must be numbers
 * (file:line:column error otherwise) and its categorical inputs are read
 * as text. */
int cli_read_for_model(const char *path, const lt_pipeline *p, lt_table **out);
const char *cli_task_name(lt_task t);
/* The hold-out split: frac of t's rows to the test part, by HOW = random,
 * stratified (on spec->target), group:COL or time:COL; NULL = stratified
 * for classification with a target, else random. */
int cli_make_split(const lt_table *t, const char *how, double frac, uint64_t seed,
                   const lt_pipeline_spec *spec, lt_task task, lt_split *s);
/* CSV options for the data files of this command (--no-header). */
const lt_csv_options *cli_csv_options(void);
/* Create the directories leading to `path` (like mkdir -p of its dirname). */
void cli_mkdir_parents(const char *path);
/* Provenance recorded with a model: data file and its CRC-32, row counts,
 * seed, lathe version, time, threads, and `selected_by` when not NULL.
 * malloc'd JSON object text. */
char *cli_provenance_json(const char *data, int64_t rows, int64_t train_rows, int64_t test_rows,
                          uint64_t seed, const char *selected_by);
#endif
