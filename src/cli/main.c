/* lathe: dispatch to the subcommands. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    {"simulate", cmd_simulate, "generate a milling-machine fleet with labelled failures (CSV)"},
    {"train", cmd_train, "train a model on a CSV table, report its metrics, save it"},
    {"eval", cmd_eval, "evaluate a saved model on labelled data"},
    {"predict", cmd_predict, "predict with a saved model on new rows"},
    {"cluster", cmd_cluster, "group rows with k-means (k or auto), write them with a cluster column"},
    {"info", cmd_info, "describe a saved model: schema, classes, parameters, metrics"},
    {"tune", cmd_tune, "choose model parameters by cross-validation, save the best"},
    {"explain", cmd_explain, "explain a model (importance) or one prediction (contributions)"},
    {"serve", cmd_serve, "serve models over HTTP (REST API)"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "lathe %s: industrial AI engine\n\nusage: lathe COMMAND [FLAGS]\n\ncommands:\n",
            LATHE_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "models", "list the model types and their parameters (lathe models [NAME])");
    fprintf(f, "\n'lathe COMMAND --help' shows a command's flags. Docs: docs/cli.md\n");
}

/* "lathe models": every model and parameter, straight from the param tables. */
static int list_models(int argc, char **argv)
{
    if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        printf("usage: lathe models [NAME]\n\nLists the model types (or one) with every "
               "parameter, its default and accepted values.\nSet them with lathe train --model "
               "NAME --param KEY=VALUE,...\n");
        return CLI_OK;
    }
    const char *only = argc > 2 ? argv[2] : NULL;
    if (only && !lt_model_find(only)) {
        lt_model *m = NULL;
        lt_model_new(only, &m);
        fprintf(stderr, "lathe models: %s\n", lt_last_error());
        return CLI_USAGE;
    }
    for (int i = 0; i < lt_model_registry_count(); i++) {
        const lt_model_vtable *vt = lt_model_registry_at(i);
        if (only && strcmp(only, vt->name))
            continue;
        printf("%s: %s\n", vt->name, vt->summary);
        for (int k = 0; k < vt->nparams; k++) {
            const lt_param_spec *ps = &vt->params[k];
            char def[160];
            if (ps->type == LT_PARAM_CHOICE) {
                /* the default is choice number `def` of "a|b|c" */
                const char *c = ps->choices;
                for (int n = (int)ps->def; n > 0 && c; n--)
                    c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL;
                int len = c ? (int)strcspn(c, "|") : 0;
                snprintf(def, sizeof def, "%s; default %.*s", ps->choices, len, c ? c : "");
            } else if (ps->type == LT_PARAM_BOOL) {
                snprintf(def, sizeof def, "true|false; default %s", ps->def ? "true" : "false");
            } else {
                snprintf(def, sizeof def, "default %g", ps->def);
            }
            printf("  %-22s %s (%s)\n", ps->name, ps->help ? ps->help : "", def);
        }
        printf("\n");
    }
    return CLI_OK;
}

/* Idle worker threads spin before they sleep. On a box shared with other
 * busy work a spinning thread holds a core the thread it waits for needs:
 *  - OpenMP (libgomp: 300k iterations at every barrier). An AI4I gbdt fit
 *    on 2 threads took 0.8-2.5 s beside two busy processes against 0.26 s
 *    with a spin count of 1000, and the same on a quiet machine. 10000
 *    kept that (0.235 s beside two busy processes against 0.25 s) and made
 *    a 200k-row fit 8% faster on a quiet machine (0.60 s against 0.66 s):
 *    a level of a tree opens a few short parallel regions, and a thread
 *    that went to sleep between them costs a wake-up each time.
 *  - OpenBLAS's pthread pool spins with sched_yield for 2^28 cycles (~0.1 s)
 *    after it starts and after every threaded call. A short command meets
 *    it at start-up: a quarter of an AI4I gbdt fit's CPU time went to that
 *    spin, and 4 of 7 fits took twice as long; with a timeout of 2^4 cycles
 *    none did, and BLAS-bound fits (linreg, logreg, svc) kept their times.
 * Both libraries read their settings once, when they are loaded, so the
 * command sets what the user has not chosen and runs itself again. */
static void short_spins(char **argv)
{
    int again = 0;
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        again |= setenv("GOMP_SPINCOUNT", "10000", 1) == 0;
    if (!getenv("OPENBLAS_THREAD_TIMEOUT"))
        again |= setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1) == 0;
    char self[4096];
    ssize_t n = again ? readlink("/proc/self/exe", self, sizeof self - 1) : 0;
    if (n <= 0 || n >= (ssize_t)sizeof self - 1)
        return;
    self[n] = '\0';  // the real path, so ps and top still say "lathe", not "exe"
    execv(self, argv);  // returns only on failure: go on as we are
}

int main(int argc, char **argv)
{
    short_spins(argv);
    /* A command allocates and frees large buffers one after another: reuse
     * their pages (a third of a linear-regression fit was page faults). */
    lt_keep_freed_pages();
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("lathe %s\n", LATHE_VERSION);
        return CLI_OK;
    }
    if (!strcmp(name, "models"))
        return list_models(argc, argv);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lathe: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
