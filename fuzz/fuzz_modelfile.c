/* libFuzzer target: model files. Any byte string goes through the
 * safetensors parser; whatever parses goes on to pipeline reconstruction
 * from its "lathe" metadata, as lt_pipeline_load would do. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lathe/lathe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_state *st = NULL;
    char *meta = NULL;
    if (lt_st_parse(data, size, "fuzz.lt", &st, &meta) == LT_OK) {
        json_t *m = json_loads(meta, 0, NULL);
        const char *lathe = json_string_value(json_object_get(m, "lathe"));
        lt_pipeline *p = NULL;
        if (lathe && lt_pipeline_from_state(st, lathe, &p) == LT_OK)
            lt_pipeline_free(p);
        json_decref(m);
    }
    lt_state_free(st);
    free(meta);
    return 0;
}
