/* lathe serve: the HTTP API until SIGINT/SIGTERM. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static const cli_flag flags[] = {
    {"models", "DIR", "directory of saved models (*.lt); default lathe-data/models"},
    {"port", "N", "TCP port (default 8080; 0 = any free port)"},
    {"host", "ADDR", "address to bind (default 127.0.0.1)"},
    {"max-body", "BYTES", "largest request body accepted (default 8388608)"},
    {"workers", "N", "HTTP worker threads (default 2)"},
    {NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "serve", "Serve saved models over HTTP.",
    "[--models DIR] [--port N] [--host ADDR]",
    "Endpoints (docs/http-api.md):\n"
    "  GET  /healthz\n  GET  /v1/models\n  POST /v1/models/NAME/predict   {\"rows\":[{...}]}",
    flags,
};

static volatile sig_atomic_t stop;
static void on_signal(int s)
{
    (void)s;
    stop = 1;
}

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    int rc = cli_parse(&cmd, argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    lt_server_options o = lt_server_options_default();
    long port, workers, max_body;
    if ((rc = cli_get_int(&a, "port", o.port, &port)) ||
        (rc = cli_get_int(&a, "workers", o.threads, &workers)) ||
        (rc = cli_get_int(&a, "max-body", (long)o.max_body, &max_body)))
        return rc;
    if (port < 0 || port > 65535)
        return cli_usage_error(&cmd, "--port must be 0..65535");
    if (workers < 1 || workers > 256)
        return cli_usage_error(&cmd, "--workers must be 1..256");
    if (max_body < 1)
        return cli_usage_error(&cmd, "--max-body must be positive");
    o.port = (int)port;
    o.threads = (int)workers;
    o.max_body = (size_t)max_body;
    o.models_dir = cli_get(&a, "models") ? cli_get(&a, "models") : "lathe-data/models";
    if (cli_get(&a, "host"))
        o.host = cli_get(&a, "host");
    /* Block the stop signals before the server's threads start (they inherit
     * the mask), then wait for them with sigsuspend: one that arrives between
     * the check and the wait is not lost, and none lands on a worker. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    lt_server *s = NULL;
    if (lt_server_start(&o, &s))
        return cli_fail(&a, "starting server");
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("lathe serve: %d model(s) from %s on http://%s:%d/\n", lt_server_nmodels(s),
           o.models_dir, o.host, lt_server_port(s));
    fflush(stdout);
    sigset_t wait = old; /* the caller's mask, with the stop signals let through */
    sigdelset(&wait, SIGINT);
    sigdelset(&wait, SIGTERM);
    while (!stop)
        sigsuspend(&wait);
    lt_server_stop(s);
    if (!a.quiet)
        fprintf(stderr, "lathe serve: stopped\n");
    return CLI_OK;
}
