/* lathe serve: HTTP API over libmicrohttpd.
 *
 *   GET  /healthz                      {"status":"ok"}
 *   GET  /v1/models                    [{"name":..,"model":..,"task":..,"features":[..]}]
 *   POST /v1/models/{name}/predict     {"rows":[{col: value, ...}, ...]} (or one object)
 *        -> {"model":name,"predictions":[..],"probabilities":[[..]],"classes":[..]}
 *
 * Errors are JSON {"error": "..."} with a 4xx/5xx status. The server never
 * dies on a request.
 */
#ifndef LATHE_SERVE_H
#define LATHE_SERVE_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_server_options {
    const char *host;        /* default "127.0.0.1" */
    int port;                /* default 8080; 0 = any free port */
    const char *models_dir;  /* *.lt files; name = file name without extension */
    size_t max_body;         /* default 8 MiB; larger bodies get 413 */
    int threads;             /* HTTP worker threads; default 2 */
    int64_t max_rows;        /* rows per predict request; default 100000; more get 413 */
} lt_server_options;

lt_server_options lt_server_options_default(void);

typedef struct lt_server lt_server;

int lt_server_start(const lt_server_options *opt, lt_server **out);
int lt_server_port(const lt_server *s);
int lt_server_nmodels(const lt_server *s);
void lt_server_stop(lt_server *s);  /* NULL-safe; frees s */

/* The prediction fields of a predict answer for n rows, as the HTTP API
 * writes them: {"predictions":[...],"probabilities":[[...]],"classes":[...]}
 * (class names for classifiers, null for NaN, shortest float text).
 * proba: n x lt_pipeline_nproba(p), or NULL. malloc'd JSON object text,
 * NULL on allocation failure. `lathe predict --json` prints the same. */
char *lt_serve_predictions_json(const lt_pipeline *p, const float *pred, const float *proba,
                                int64_t n);

#ifdef __cplusplus
}
#endif
#endif
