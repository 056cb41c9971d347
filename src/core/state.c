/* Ordered set of named float32 tensors: what models export to io/. */
#include "lathe/core.h"

#include <stdlib.h>
#include <string.h>

struct lt_state {
    int n, cap;
    char **names;
    lt_tensor **tensors;
};

lt_state *lt_state_new(void) { return lt_calloc(1, sizeof(lt_state)); }

void lt_state_free(lt_state *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->names[i]);
        lt_tensor_free(s->tensors[i]);
    }
    free(s->names);
    free(s->tensors);
    free(s);
}

static int find(const lt_state *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return i;
    return -1;
}

int lt_state_put(lt_state *s, const char *name, int ndim, const int64_t *shape, const float *data)
{
    if (!name || !*name)
        return lt_error(LT_EINVAL, "state: empty tensor name");
    lt_tensor *t = lt_tensor_new(ndim, shape);
    if (!t)
        return lt_error_wrap(LT_EINVAL, "state: tensor '%s': ", name);
    if (data)
        memcpy(t->data, data, sizeof(float) * (size_t)lt_tensor_numel(t));
    int i = find(s, name);
    if (i >= 0) {
        lt_tensor_free(s->tensors[i]);
        s->tensors[i] = t;
        return LT_OK;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        char **nn = realloc(s->names, sizeof(char *) * (size_t)cap);
        if (nn)
            s->names = nn;
        lt_tensor **nt = realloc(s->tensors, sizeof(lt_tensor *) * (size_t)cap);
        if (nt)
            s->tensors = nt;
        if (!nn || !nt) {
            lt_tensor_free(t);
            return lt_error(LT_ENOMEM, "state: out of memory");
        }
        s->cap = cap;
    }
    s->names[s->n] = lt_strdup(name);
    if (!s->names[s->n]) {
        lt_tensor_free(t);
        return LT_ENOMEM;
    }
    s->tensors[s->n++] = t;
    return LT_OK;
}

const lt_tensor *lt_state_get(const lt_state *s, const char *name)
{
    int i = find(s, name);
    return i < 0 ? NULL : s->tensors[i];
}

int lt_state_expect(const lt_state *s, const char *name, int ndim, const int64_t *shape,
                    const lt_tensor **out)
{
    const lt_tensor *t = lt_state_get(s, name);
    if (!t)
        return lt_error(LT_ECORRUPT, "model state: tensor '%s' is missing", name);
    int ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = t->shape[i] == shape[i];
    if (!ok)
        return lt_error(LT_ECORRUPT, "model state: tensor '%s' has the wrong shape", name);
    *out = t;
    return LT_OK;
}

int lt_state_count(const lt_state *s) { return s->n; }
const char *lt_state_name_at(const lt_state *s, int i) { return s->names[i]; }
const lt_tensor *lt_state_tensor_at(const lt_state *s, int i) { return s->tensors[i]; }
