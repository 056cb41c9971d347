/* lathe io: model files in the safetensors layout.
 *
 *   8 bytes   little-endian u64 N = header length
 *   N bytes   JSON header: {"__metadata__": {str: str}, "<tensor>": {"dtype":"F32",
 *             "shape":[..], "data_offsets":[begin, end]}, ...}
 *   rest      raw little-endian tensor bytes, offsets relative to here
 *
 * lathe's metadata keys: "format" = "lathe-model", "lathe_version",
 * "lathe" = the pipeline JSON text, "checksum" = "crc32:<8 hex>" of the data
 * section. Any safetensors reader opens the weights. Writes are atomic.
 * A truncated, corrupt, empty or foreign file is an error with a message.
 */
#ifndef LATHE_MODELFILE_H
#define LATHE_MODELFILE_H

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* meta_json: a JSON object whose values are all strings (may be NULL). */
int lt_st_write(const char *path, const lt_state *st, const char *meta_json);
/* Reads and validates; *meta_json (malloc'd) is the __metadata__ object text. */
int lt_st_read(const char *path, lt_state **st, char **meta_json);
/* Parse from memory; `name` is used in messages. Never reads outside buf. */
int lt_st_parse(const void *buf, size_t len, const char *name, lt_state **st, char **meta_json);

int lt_pipeline_save(const lt_pipeline *p, const char *path);
int lt_pipeline_load(const char *path, lt_pipeline **out);

#ifdef __cplusplus
}
#endif
#endif
