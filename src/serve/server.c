/* HTTP plumbing over libmicrohttpd: model loading, binding, routing, body
 * accumulation and size limits, JSON responses.
 *
 * MHD calls the access handler several times per request: once with the
 * headers (*con_cls == NULL), then once per body chunk, then once with
 * *upload_data_size == 0. A response can be queued only on the first call
 * or the last one (DEPENDENCIES.md 12), so everything decidable from the
 * headers (route, method, model name, Content-Length) is answered on the
 * first call, and the body is accumulated here until the last.
 */
#include "serve_impl.h"

#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define SRV_DEFAULT_MAX_BODY ((size_t)8 << 20)
#define SRV_DEFAULT_MAX_ROWS 100000
#define SRV_PREDICT_PREFIX "/v1/models/"
#define SRV_PREDICT_SUFFIX "/predict"

lt_server_options lt_server_options_default(void)
{
    lt_server_options o;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = 8080;
    o.models_dir = NULL;
    o.max_body = SRV_DEFAULT_MAX_BODY;
    o.threads = 2;
    o.max_rows = SRV_DEFAULT_MAX_ROWS;
    return o;
}

/* ---- per-request state ------------------------------------------------------ */

typedef struct srv_req {
    const srv_model *model;  /* predict target, resolved from the URL */
    char *body;
    size_t len, cap;
    int too_large;           /* body passed max_body: drain, then 413 */
} srv_req;

static enum MHD_Result send_text(struct MHD_Connection *c, int status, char *text,
                                 const char *allow)
{
    size_t n = strlen(text);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, srv_reply r, const char *method,
                                  const char *url, const char *allow)
{
    char *text = r.body ? json_dumps(r.body, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(r.body);
    if (!text) {
        r.status = 500;
        text = strdup("{\"error\":\"internal error: cannot encode the response\"}");
        if (!text)
            return MHD_NO;
    }
    if (r.status >= 500)
        lt_log(LT_LOG_ERROR, "serve: %s %s -> %d %s", method, url, r.status, text);
    else
        lt_log(LT_LOG_DEBUG, "serve: %s %s -> %d", method, url, r.status);
    size_t n = strlen(text);
    /* Newline-terminated, as curl users expect; json_dumps' text is malloc'd. */
    char *nl = realloc(text, n + 2);
    if (nl) {
        nl[n] = '\n';
        nl[n + 1] = '\0';
        text = nl;
    }
    return send_text(c, r.status, text, allow);
}

static int is_get(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Route on the headers alone. Returns 1 and fills *r (and *allow) when the
 * request is answered without its body, 2 for GET /v1/models (served from
 * the text cached at start), 0 when it is a predict whose body must be read
 * (req->model set). */
static int route(const lt_server *s, const char *url, const char *method, srv_req *req,
                 srv_reply *r, const char **allow)
{
    *allow = NULL;
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/v1/models") == 0) {
        if (!is_get(method)) {
            *allow = "GET, HEAD";
            *r = srv_error(405, "%s %s: method not allowed (use GET)", method, url);
        } else if (url[1] == 'h') {
            *r = srv_handle_healthz(s);
        } else {
            return 2;
        }
        return 1;
    }
    size_t ul = strlen(url), pl = strlen(SRV_PREDICT_PREFIX), sl = strlen(SRV_PREDICT_SUFFIX);
    if (ul > pl + sl && strncmp(url, SRV_PREDICT_PREFIX, pl) == 0 &&
        strcmp(url + ul - sl, SRV_PREDICT_SUFFIX) == 0) {
        char name[256];
        size_t nl = ul - pl - sl;
        if (nl >= sizeof name || memchr(url + pl, '/', nl)) {
            *r = srv_error(404, "no such endpoint: %s %s", method, url);
            return 1;
        }
        memcpy(name, url + pl, nl);
        name[nl] = '\0';
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            *allow = "POST";
            *r = srv_error(405, "%s %s: method not allowed (use POST)", method, url);
            return 1;
        }
        req->model = srv_find_model(s, name);
        if (!req->model) {
            *r = srv_error(404, "unknown model '%s' (GET /v1/models lists them)", name);
            return 1;
        }
        return 0;
    }
    *r = srv_error(404, "no such endpoint: %s %s", method, url);
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    const lt_server *s = cls;
    srv_req *req = *con_cls;
#ifdef _OPENMP
    /* One request, one core: model code that parallelises with OpenMP must
     * not multiply with the worker threads (the setting is per thread). */
    omp_set_num_threads(1);
#endif
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        srv_reply r = {0, NULL};
        const char *allow;
        int how = route(s, url, method, req, &r, &allow);
        if (how == 2) {
            char *t = strdup(s->models_json);
            return t ? send_text(c, 200, t, NULL) : MHD_NO;
        }
        if (how == 1)
            return send_reply(c, r, method, url, allow);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno || end == cl || n > s->max_body)
                return send_reply(c,
                                  srv_error(413, "body of %s bytes is larger than the %zu-byte "
                                                 "limit", cl, s->max_body),
                                  method, url, NULL);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_large || n > s->max_body - req->len) {
            /* Chunked body over the limit: keep reading (MHD cannot answer
             * mid-upload) but keep nothing, and answer 413 at the end. */
            req->too_large = 1;
            free(req->body);
            req->body = NULL;
            req->len = req->cap = 0;
            return MHD_YES;
        }
        if (req->len + n > req->cap) {
            size_t cap = req->cap ? req->cap : 16384;
            while (cap < req->len + n)
                cap *= 2;
            if (cap > s->max_body)
                cap = s->max_body;
            char *b = realloc(req->body, cap);
            if (!b)
                return MHD_NO;
            req->body = b;
            req->cap = cap;
        }
        memcpy(req->body + req->len, upload_data, n);
        req->len += n;
        return MHD_YES;
    }
    if (req->too_large)
        return send_reply(c,
                          srv_error(413, "body is larger than the %zu-byte limit", s->max_body),
                          method, url, NULL);
    srv_reply r = srv_handle_predict(s, req->model, req->body ? req->body : "", req->len);
    if (!r.body && r.status == 0)
        r = srv_error(500, "internal error: %s", lt_last_error());
    return send_reply(c, r, method, url, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    srv_req *req = *con_cls;
    if (req) {
        free(req->body);
        free(req);
    }
    *con_cls = NULL;
}

/* MHD's own diagnostics go to lathe's log hook, never to stderr. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    lt_log(LT_LOG_WARN, "serve: %s", msg);
}

/* ---- models ----------------------------------------------------------------- */

static int model_cmp(const void *a, const void *b)
{
    return strcmp(((const srv_model *)a)->name, ((const srv_model *)b)->name);
}

static int load_models(lt_server *s, const char *dir)
{
    if (!dir)
        return LT_OK;
    DIR *d = opendir(dir);
    if (!d)
        return lt_error(LT_ENOTFOUND, "models directory %s: %s", dir, strerror(errno));
    int cap = 0, rc = LT_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n <= 3 || strcmp(e->d_name + n - 3, ".lt") != 0 || e->d_name[0] == '.')
            continue;
        size_t plen = strlen(dir) + n + 2;
        char *path = malloc(plen);
        if (!path) {
            rc = lt_error(LT_ENOMEM, "out of memory loading models");
            break;
        }
        snprintf(path, plen, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        lt_pipeline *p = NULL;
        if (lt_pipeline_load(path, &p)) {
            lt_log(LT_LOG_WARN, "serve: skipping model %s: %s", path, lt_last_error());
            free(path);
            continue;
        }
        free(path);
        if (s->nmodels == cap) {
            cap = cap ? 2 * cap : 8;
            srv_model *m = realloc(s->models, sizeof *m * (size_t)cap);
            if (!m) {
                lt_pipeline_free(p);
                rc = lt_error(LT_ENOMEM, "out of memory loading models");
                break;
            }
            s->models = m;
        }
        char *name = strndup(e->d_name, n - 3);
        if (!name) {
            lt_pipeline_free(p);
            rc = lt_error(LT_ENOMEM, "out of memory loading models");
            break;
        }
        s->models[s->nmodels].name = name;
        s->models[s->nmodels].pipe = p;
        s->nmodels++;
        lt_log(LT_LOG_INFO, "serve: loaded model '%s' (%s)", name, lt_pipeline_model_name(p));
    }
    closedir(d);
    if (s->nmodels > 1)
        qsort(s->models, (size_t)s->nmodels, sizeof *s->models, model_cmp);
    return rc;
}

/* ---- start / stop ----------------------------------------------------------- */

int lt_server_start(const lt_server_options *opt, lt_server **out)
{
    *out = NULL;
    lt_server_options o = opt ? *opt : lt_server_options_default();
    if (!o.host || !*o.host)
        o.host = "127.0.0.1";
    if (o.port < 0 || o.port > 65535)
        return lt_error(LT_EINVAL, "serve: port must be 0..65535, got %d", o.port);
    if (o.max_body == 0)
        o.max_body = SRV_DEFAULT_MAX_BODY;
    if (o.threads <= 0)
        o.threads = 2;
    if (o.max_rows <= 0)
        o.max_rows = SRV_DEFAULT_MAX_ROWS;

    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int g = getaddrinfo(o.host, NULL, &hints, &ai);
    if (g != 0 || !ai)
        return lt_error(LT_EINVAL, "serve: cannot resolve host '%s': %s", o.host,
                        gai_strerror(g));
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    int v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (v6)
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)o.port);
    else
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)o.port);

    lt_server *s = calloc(1, sizeof *s);
    if (!s)
        return lt_error(LT_ENOMEM, "serve: out of memory");
    s->max_body = o.max_body;
    s->max_rows = o.max_rows;
    int rc = load_models(s, o.models_dir);
    if (!rc) {
        s->models_json = srv_models_json(s);
        if (!s->models_json)
            rc = lt_error(LT_ENOMEM, "serve: cannot build the model list");
    }
    if (rc) {
        lt_server_stop(s);
        return rc;
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    lt_threads_for_serving();
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)o.port, NULL, NULL, on_request, s,
        /* The logger first, so MHD never writes to stderr itself. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o.threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        lt_server_stop(s);
        return lt_error(LT_EIO, "serve: cannot listen on %s:%d: %s", o.host, o.port,
                        e ? strerror(e) : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info && info->port ? info->port : o.port;
    lt_log(LT_LOG_INFO, "serve: listening on %s:%d with %d model(s)", o.host, s->port,
           s->nmodels);
    *out = s;
    return LT_OK;
}

int lt_server_port(const lt_server *s) { return s ? s->port : -1; }
int lt_server_nmodels(const lt_server *s) { return s ? s->nmodels : 0; }

void lt_server_stop(lt_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    for (int i = 0; i < s->nmodels; i++) {
        free(s->models[i].name);
        lt_pipeline_free(s->models[i].pipe);
    }
    free(s->models);
    free(s->models_json);
    free(s);
}
