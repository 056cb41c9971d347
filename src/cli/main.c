/* lathe: dispatch to the subcommands. */
#include "cli.h"

#include <string.h>

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
    fprintf(f, "  %-10s %s\n", "models", "list the model types and their parameters");
    fprintf(f, "\n'lathe COMMAND --help' shows a command's flags. Docs: docs/cli.md\n");
}

static int list_models(void)
{
    for (int i = 0; i < lt_model_registry_count(); i++) {
        const lt_model_vtable *vt = lt_model_registry_at(i);
        printf("%-8s %s\n", vt->name, vt->summary);
        for (int k = 0; k < vt->nparams; k++) {
            const lt_param_spec *ps = &vt->params[k];
            char def[64];
            if (ps->type == LT_PARAM_CHOICE)
                snprintf(def, sizeof def, "%s", ps->choices);
            else
                snprintf(def, sizeof def, "default %g", ps->def);
            printf("    --param %s=...   %s (%s)\n", ps->name, ps->help ? ps->help : "", def);
        }
    }
    return CLI_OK;
}

int main(int argc, char **argv)
{
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
        return list_models();
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "lathe: unknown command '%s'\n\n", name);
    usage(stderr);
    return CLI_USAGE;
}
