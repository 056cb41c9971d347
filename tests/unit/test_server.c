/* HTTP server: status codes, JSON errors, size limits and a real predict,
 * through a tiny raw-socket client (so chunked and oversized bodies can be
 * sent exactly as wanted). */
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

/* One request on a fresh connection. Returns the HTTP status (or -1) and the
 * response body in *out (malloc'd, NUL-terminated; may be NULL). With
 * chunk > 0 the body is sent with chunked transfer encoding in pieces of
 * `chunk` bytes; with headers_only the body is announced but not sent. */
static int http(int port, const char *method, const char *path, const char *body, size_t blen,
                size_t chunk, int headers_only, char **out)
{
    if (out)
        *out = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    char hdr[512];
    int hl;
    if (chunk)
        hl = snprintf(hdr, sizeof hdr,
                      "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                      method, path);
    else
        hl = snprintf(hdr, sizeof hdr,
                      "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                      method, path, blen);
    /* Send errors are ignored: the server may answer early and close. */
    (void)!send(fd, hdr, (size_t)hl, MSG_NOSIGNAL);
    if (!headers_only) {
        if (chunk) {
            for (size_t off = 0; off < blen; off += chunk) {
                size_t n = blen - off < chunk ? blen - off : chunk;
                int k = snprintf(hdr, sizeof hdr, "%zx\r\n", n);
                (void)!send(fd, hdr, (size_t)k, MSG_NOSIGNAL);
                (void)!send(fd, body + off, n, MSG_NOSIGNAL);
                (void)!send(fd, "\r\n", 2, MSG_NOSIGNAL);
            }
            (void)!send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
        } else if (blen) {
            (void)!send(fd, body, blen, MSG_NOSIGNAL);
        }
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fd);
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    if (!strstr(buf, "Content-Type: application/json") &&
        !strstr(buf, "Content-type: application/json"))
        print_message("response without a JSON content type:\n%s\n", buf);
    char *b = strstr(buf, "\r\n\r\n");
    if (out)
        *out = strdup(b ? b + 4 : "");
    free(buf);
    return status;
}

static int expect(int port, const char *method, const char *path, const char *body, int want,
                  const char *needle)
{
    char *out;
    int st = http(port, method, path, body, body ? strlen(body) : 0, 0, 0, &out);
    if (st != want || (needle && !strstr(out, needle)))
        fail_msg("%s %s: got %d '%s', want %d with '%s'", method, path, st, out ? out : "", want,
                 needle ? needle : "");
    free(out);
    return st;
}

static char logbuf[8192];
static void capture_log(lt_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level >= LT_LOG_WARN && strlen(logbuf) + strlen(msg) + 2 < sizeof logbuf) {
        strcat(logbuf, msg);
        strcat(logbuf, "\n");
    }
}

static void test_empty_server(void **unused)
{
    (void)unused;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/srv_empty", test_tmp_dir());
    mkdir(dir, 0755);
    /* A broken model file is skipped with a warning; the server still starts. */
    char path[700];
    snprintf(path, sizeof path, "%s/broken.lt", dir);
    assert_ok(lt_write_file_atomic(path, "not a model", 11));
    logbuf[0] = '\0';
    lt_log_set_hook(capture_log, NULL);

    lt_server_options o = lt_server_options_default();
    o.port = 0;
    o.models_dir = dir;
    o.max_body = 4096;
    lt_server *s = NULL;
    assert_ok(lt_server_start(&o, &s));
    lt_log_set_hook(NULL, NULL);
    assert_non_null(strstr(logbuf, "broken.lt"));
    int port = lt_server_port(s);
    assert_true(port > 0);
    assert_int_equal(lt_server_nmodels(s), 0);

    expect(port, "GET", "/healthz", NULL, 200, "\"status\":\"ok\"");
    expect(port, "GET", "/v1/models", NULL, 200, "{\"models\":[]}");
    expect(port, "GET", "/nope", NULL, 404, "\"error\":");
    expect(port, "POST", "/healthz", "{}", 405, "\"error\":");
    expect(port, "GET", "/v1/models/x/predict", NULL, 405, "\"error\":");
    expect(port, "POST", "/v1/models/ghost/predict", "{\"rows\":[]}", 404, "ghost");
    expect(port, "POST", "/v1/models/a/b/predict", "{}", 404, "\"error\":");

    /* Routing is decided from the headers alone: an unknown model is a 404
     * even when the announced body never arrives. */
    char *out;
    assert_int_equal(http(port, "POST", "/v1/models/ghost/predict", NULL, 1 << 24, 0, 1, &out),
                     404);
    free(out);

    lt_server_stop(s);
    lt_server_stop(NULL);
}

/* A real model: fitted here, saved into the models dir, served. */
static void test_predict(void **unused)
{
    (void)unused;
    enum { N = 80 };
    double temp[N], torque[N];
    const char *kind[N], *label[N];
    for (int i = 0; i < N; i++) {
        temp[i] = 300 + (i % 17);
        torque[i] = 20 + (i * 7 % 31);
        kind[i] = i % 3 ? "L" : "M";
        label[i] = torque[i] + (temp[i] - 300) > 35 ? "1" : "0";
    }
    lt_table *t = lt_table_new();
    assert_ok(lt_table_add_num(t, "Air temperature [K]", temp, N));
    assert_ok(lt_table_add_num(t, "Torque [Nm]", torque, N));
    assert_ok(lt_table_add_cat(t, "Type", kind, N));
    assert_ok(lt_table_add_cat(t, "failure", label, N));
    lt_pipeline_spec spec = lt_pipeline_spec_default();
    spec.target = "failure";
    lt_pipeline *p = NULL;
    assert_ok(lt_pipeline_fit(t, NULL, 0, &spec, &p));
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/srv_models", test_tmp_dir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/fail.lt", dir);
    assert_ok(lt_pipeline_save(p, path));
    lt_pipeline_free(p);
    /* and a regression model on the same inputs */
    spec.target = "Torque [Nm]";
    spec.model = "linreg";
    const char *drop[] = {"failure"};
    spec.drop = drop;
    spec.ndrop = 1;
    assert_ok(lt_pipeline_fit(t, NULL, 0, &spec, &p));
    snprintf(path, sizeof path, "%s/torque.lt", dir);
    assert_ok(lt_pipeline_save(p, path));
    lt_pipeline_free(p);
    lt_table_free(t);

    lt_server_options o = lt_server_options_default();
    o.port = 0;
    o.models_dir = dir;
    o.max_body = 1 << 16;
    o.max_rows = 50;
    lt_server *s = NULL;
    assert_ok(lt_server_start(&o, &s));
    int port = lt_server_port(s);
    assert_int_equal(lt_server_nmodels(s), 2);
    const char *url = "/v1/models/fail/predict";

    expect(port, "GET", "/v1/models", NULL, 200, "\"name\":\"fail\"");
    expect(port, "GET", "/v1/models", NULL, 200, "\"name\":\"Torque [Nm]\",\"type\":\"numeric\"");
    expect(port, "GET", "/healthz", NULL, 200, "\"models\":2");
    expect(port, "GET", "/v1/models", NULL, 200, "\"task\":\"regression\"");
    /* Regression answers numbers and has no probabilities or classes. */
    char *out;
    const char *reg = "{\"Air temperature [K]\":301,\"Type\":\"L\"}";
    assert_int_equal(http(port, "POST", "/v1/models/torque/predict", reg, strlen(reg), 0, 0, &out),
                     200);
    assert_non_null(strstr(out, "\"predictions\":["));
    char c = strstr(out, "\"predictions\":[")[15];
    assert_true(c == '-' || (c >= '0' && c <= '9'));
    assert_null(strstr(out, "probabilities"));
    assert_null(strstr(out, "classes"));
    free(out);
    expect(port, "POST", url,
           "{\"rows\":[{\"Air temperature [K]\":301,\"Torque [Nm]\":22,\"Type\":\"L\"},"
           "{\"Air temperature [K]\":316,\"Torque [Nm]\":50.5,\"Type\":\"M\",\"extra\":1}]}",
           200, "\"predictions\":[\"0\",\"1\"]");
    expect(port, "POST", url, "{\"Air temperature [K]\":301,\"Torque [Nm]\":22,\"Type\":\"L\"}",
           200, "\"probabilities\":[[");
    /* null = missing (imputed); numbers accepted for a categorical column */
    expect(port, "POST", url, "{\"Air temperature [K]\":null,\"Torque [Nm]\":22,\"Type\":7}", 200,
           "\"n\":1");
    expect(port, "POST", url, "{\"rows\":[{\"Air temperature [K]\":301", 400, "line 1");
    expect(port, "POST", url, "", 400, "\"error\":");
    expect(port, "POST", url, "[1,2]", 400, "\"error\":");
    expect(port, "POST", url, "{\"rows\":[]}", 400, "empty");
    expect(port, "POST", url, "{\"rows\":{}}", 400, "array");
    expect(port, "POST", url, "{\"rows\":[3]}", 400, "rows[0]");
    expect(port, "POST", url,
           "{\"rows\":[{\"Air temperature [K]\":301,\"Torque [Nm]\":22,\"Type\":\"L\"},"
           "{\"Air temperature [K]\":301,\"Type\":\"L\"}]}",
           400, "rows[1]: missing column 'Torque [Nm]'");
    expect(port, "POST", url,
           "{\"rows\":[{\"Air temperature [K]\":301,\"Torque [Nm]\":\"22\",\"Type\":\"L\"}]}", 400,
           "rows[0].Torque [Nm]: expected a number, got string");
    expect(port, "POST", url,
           "{\"rows\":[{\"Air temperature [K]\":301,\"Torque [Nm]\":2,\"Type\":true}]}", 400,
           "rows[0].Type: expected a string, got boolean");
    expect(port, "POST", url, "{\"rows\":[\xff]}", 400, "\"error\":");

    /* Too many rows. */
    char big[8192];
    size_t n = (size_t)snprintf(big, sizeof big, "{\"rows\":[");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"Torque [Nm]\":1}", i ? "," : "");
    snprintf(big + n, sizeof big - n, "]}");
    expect(port, "POST", url, big, 413, "limit is 50");

    /* Body over max_body: by Content-Length (headers only), and chunked. */
    assert_int_equal(http(port, "POST", url, NULL, 10 << 20, 0, 1, &out), 413);
    assert_non_null(strstr(out, "\"error\":"));
    free(out);
    size_t blen = 200000;
    char *body = malloc(blen);
    memset(body, ' ', blen);
    body[0] = '{';
    body[blen - 1] = '}';
    assert_int_equal(http(port, "POST", url, body, blen, 8000, 0, &out), 413);
    assert_non_null(strstr(out, "larger than"));
    free(out);
    /* Chunked and under the limit works. */
    const char *ok = "{\"Air temperature [K]\":301,\"Torque [Nm]\":22,\"Type\":\"L\"}";
    assert_int_equal(http(port, "POST", url, ok, strlen(ok), 7, 0, &out), 200);
    free(out);
    free(body);

    expect(port, "GET", "/healthz", NULL, 200, "\"status\":\"ok\"");
    lt_server_stop(s);
}

static void test_bad_options(void **unused)
{
    (void)unused;
    lt_server_options o = lt_server_options_default();
    lt_server *s = NULL;
    o.port = 70000;
    assert_int_equal(lt_server_start(&o, &s), LT_EINVAL);
    assert_null(s);
    o.port = 0;
    o.models_dir = "/nonexistent/lathe/models";
    assert_int_equal(lt_server_start(&o, &s), LT_ENOTFOUND);
    assert_error_contains("/nonexistent/lathe/models");
    o.models_dir = NULL;
    o.host = "no.such.host.invalid";
    assert_int_not_equal(lt_server_start(&o, &s), LT_OK);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_server),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
