/* float32 tensors: contiguous, row-major, up to 4-D; views share data. */
#include "lathe/core.h"

#include <stdlib.h>
#include <string.h>

static int shape_numel(int ndim, const int64_t *shape, int64_t *numel)
{
    if (ndim < 1 || ndim > LT_MAX_DIMS)
        return lt_error(LT_EINVAL, "tensor: ndim %d outside 1..%d", ndim, LT_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return lt_error(LT_EINVAL, "tensor: negative dimension %lld", (long long)shape[i]);
        if (shape[i] && n > INT64_MAX / 4 / shape[i])
            return lt_error(LT_ELIMIT, "tensor: shape too large");
        n *= shape[i];
    }
    *numel = n;
    return LT_OK;
}

lt_tensor *lt_tensor_new(int ndim, const int64_t *shape)
{
    int64_t n;
    if (shape_numel(ndim, shape, &n))
        return NULL;
    lt_tensor *t = lt_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->data = lt_calloc(n ? (size_t)n : 1, sizeof(float));
    if (!t->data) {
        free(t);
        return NULL;
    }
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->owns_data = 1;
    return t;
}

lt_tensor *lt_tensor_new2(int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    return lt_tensor_new(2, shape);
}

int64_t lt_tensor_numel(const lt_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

lt_tensor *lt_tensor_view(lt_tensor *base, int ndim, const int64_t *shape, int64_t offset)
{
    int64_t n;
    if (shape_numel(ndim, shape, &n))
        return NULL;
    /* Written as n > numel - offset so a huge offset cannot overflow. */
    if (offset < 0 || offset > lt_tensor_numel(base) || n > lt_tensor_numel(base) - offset) {
        lt_error(LT_EINVAL, "tensor view: %lld elements at offset %lld exceed base of %lld",
                 (long long)n, (long long)offset, (long long)lt_tensor_numel(base));
        return NULL;
    }
    lt_tensor *t = lt_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->data = base->data + offset;
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->owns_data = 0;
    return t;
}

lt_tensor *lt_tensor_clone(const lt_tensor *src)
{
    lt_tensor *t = lt_tensor_new(src->ndim, src->shape);
    if (t)
        memcpy(t->data, src->data, sizeof(float) * (size_t)lt_tensor_numel(src));
    return t;
}

void lt_tensor_free(lt_tensor *t)
{
    if (!t)
        return;
    if (t->owns_data)
        free(t->data);
    free(t);
}
