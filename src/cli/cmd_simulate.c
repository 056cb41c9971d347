/* lathe simulate: a milling-machine fleet as CSV (docs/simulator.md). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_flag flags[] = {
    {"machines", "N", "number of machines (default 10)"},
    {"hours", "H", "simulated hours per machine (default 100)"},
    {"process-minutes", "M", "one machining process (row) every M minutes (default 6)"},
    {"seed", "N", "random seed (default 42); the same seed gives the same file"},
    {"out", "FILE", "CSV to write (default: standard output)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "simulate", "Simulate a fleet of milling machines with the physics and failure modes of the\n"
                "AI4I 2020 data set (tool wear, heat dissipation, power, overstrain, random).",
    "[--machines N] [--hours H] [--seed N] [--out FILE]",
    "Columns and equations: docs/simulator.md", flags,
};

int cmd_simulate(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    lt_sim_params sp = lt_sim_params_default();
    long machines, seed;
    double hours, minutes;
    if ((rc = cli_get_int(&a, "machines", sp.machines, &machines)) ||
        (rc = cli_get_double(&a, "hours", sp.hours, &hours)) ||
        (rc = cli_get_double(&a, "process-minutes", sp.process_minutes, &minutes)) ||
        (rc = cli_get_int(&a, "seed", (long)sp.seed, &seed)))
        return rc;
    sp.machines = (int)machines;
    sp.hours = hours;
    sp.process_minutes = minutes;
    sp.seed = (uint64_t)seed;
    if (machines < 1 || machines > LT_SIM_MAX_MACHINES)
        return cli_usage_error(&cmd, "--machines must be 1..%d, got %ld", LT_SIM_MAX_MACHINES,
                               machines);
    lt_table *t = NULL;
    cli_progress(&a, "simulating %d machines for %g hours", sp.machines, sp.hours);
    if (lt_simulate(&sp, &t))
        return cli_fail(&a, "simulating");
    const char *out = cli_get(&a, "out");
    if (out && !strcmp(out, "-"))
        out = NULL;
    rc = out ? lt_csv_write(out, t) : cli_write_csv(stdout, t);
    cli_progress_done(&a);
    if (rc) {
        lt_table_free(t);
        return cli_fail(&a, "writing");
    }
    if (out && !a.quiet)
        fprintf(stderr, "lathe simulate: %lld rows x %d columns -> %s\n",
                (long long)lt_table_nrows(t), lt_table_ncols(t), out);
    lt_table_free(t);
    return CLI_OK;
}
