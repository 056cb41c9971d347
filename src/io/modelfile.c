/* Pipelines to and from model files: the pipeline's tensors go in the
 * safetensors data section, its JSON description in __metadata__["lathe"]. */
#include "lathe/modelfile.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int lt_pipeline_save(const lt_pipeline *p, const char *path)
{
    if (!p || !path)
        return lt_error(LT_EINVAL, "lt_pipeline_save: pipeline and path are required");
    lt_state *st = lt_state_new();
    if (!st)
        return LT_ENOMEM;
    char *pmeta = NULL;
    int rc = lt_pipeline_to_state(p, st, &pmeta);
    if (rc) {
        lt_state_free(st);
        free(pmeta);
        return lt_error_wrap(rc, "%s: ", path);
    }
    json_t *meta = json_pack("{s:s, s:s, s:s}", "format", "lathe-model", "lathe_version",
                             LATHE_VERSION, "lathe", pmeta ? pmeta : "{}");
    char *mtext = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    free(pmeta);
    if (!mtext) {
        lt_state_free(st);
        return lt_error(LT_EINVAL, "%s: cannot encode the pipeline metadata (not UTF-8?)", path);
    }
    rc = lt_st_write(path, st, mtext);
    free(mtext);
    lt_state_free(st);
    return rc;
}

int lt_pipeline_load(const char *path, lt_pipeline **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lt_error(LT_EINVAL, "lt_pipeline_load: path and out are required");
    lt_state *st = NULL;
    char *mtext = NULL;
    int rc = lt_st_read(path, &st, &mtext);
    if (rc)
        return rc;
    json_t *meta = json_loads(mtext, 0, NULL);
    free(mtext);
    const char *fmt = json_string_value(json_object_get(meta, "format"));
    const char *lathe = json_string_value(json_object_get(meta, "lathe"));
    if (!fmt || strcmp(fmt, "lathe-model") != 0)
        rc = lt_error(LT_EFORMAT, "%s: not a lathe model (no format=lathe-model in __metadata__)",
                      path);
    else if (!lathe)
        rc = lt_error(LT_EFORMAT, "%s: lathe model without its \"lathe\" pipeline metadata",
                      path);
    else if (!json_is_string(json_object_get(meta, "checksum")))
        /* lathe always writes one (lt_st_read verified it when present) */
        rc = lt_error(LT_ECORRUPT, "%s: lathe model without its checksum: refusing to trust it",
                      path);
    else if ((rc = lt_pipeline_from_state(st, lathe, out)))
        lt_error_wrap(rc, "%s: ", path);
    json_decref(meta);
    lt_state_free(st);
    return rc;
}
