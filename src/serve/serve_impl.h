/* lathe serve, private: the server object and the seams between the HTTP
 * plumbing (server.c), the endpoints (handlers.c) and the JSON <-> table
 * conversion (json_rows.c).
 *
 * Concurrency: everything reachable from an lt_server is immutable once
 * lt_server_start returns (models, their names, the cached /v1/models
 * text). Request handlers run on several MHD worker threads at once and
 * only read it, so no lock is needed; keep it that way.
 */
#ifndef LATHE_SERVE_IMPL_H
#define LATHE_SERVE_IMPL_H

#include <jansson.h>

#include "lathe/modelfile.h"
#include "lathe/serve.h"

typedef struct srv_model {
    char *name;        /* file name without ".lt" */
    lt_pipeline *pipe;
} srv_model;

struct lt_server {
    struct MHD_Daemon *daemon;
    int port;
    size_t max_body;
    int64_t max_rows;
    int nmodels;
    srv_model *models;   /* sorted by name */
    char *models_json;   /* GET /v1/models body, built once at start */
};

/* A handler's answer: HTTP status and a JSON body (owned; NULL = error text). */
typedef struct srv_reply {
    int status;
    json_t *body;
} srv_reply;

/* {"error": msg} with `status`. */
srv_reply srv_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const srv_model *srv_find_model(const lt_server *s, const char *name);

/* Endpoints. body/len is the raw request body (not NUL-terminated). */
srv_reply srv_handle_healthz(const lt_server *s);
srv_reply srv_handle_predict(const lt_server *s, const srv_model *m, const char *body, size_t len);
/* Text of GET /v1/models for the loaded models (malloc'd), or NULL. */
char *srv_models_json(const lt_server *s);

/* Rows of a predict request -> a table with one column per raw input of the
 * pipeline (lt_pipeline_in_*: derived columns are computed by the pipeline),
 * typed as it expects. `rows` is the array of row objects.
 * Errors: LT_EINVAL / LT_ETYPE / LT_ENOTFOUND (HTTP 400) with "rows[i]..."
 * messages, LT_ENOMEM. */
int srv_rows_to_table(const lt_pipeline *p, json_t *rows, lt_table **out);

/* float32 value as the shortest decimal that reads back to the same float,
 * or JSON null when it is not finite (JSON has no NaN). */
json_t *srv_json_float(float v);

#endif
