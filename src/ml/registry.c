/* The one table of estimators. Adding a model: write src/ml/<name>.c with a
 * `const lt_model_vtable lt_<name>_vtable`, declare it below and add one
 * line to `models`. Order is the order of `lathe models` and --help. */
#include "lathe/model.h"

#include <stddef.h>

extern const lt_model_vtable lt_linreg_vtable, lt_logreg_vtable;
extern const lt_model_vtable lt_kmeans_vtable;
extern const lt_model_vtable lt_iforest_vtable;
extern const lt_model_vtable lt_svc_vtable, lt_svr_vtable, lt_linsvm_vtable;
extern const lt_model_vtable lt_gbdt_vtable, lt_rf_vtable;

static const lt_model_vtable *const models[] = {
    &lt_linreg_vtable,
    &lt_logreg_vtable,
    &lt_kmeans_vtable,
    &lt_iforest_vtable,
    &lt_svc_vtable,
    &lt_svr_vtable,
    &lt_linsvm_vtable,
    &lt_gbdt_vtable,
    &lt_rf_vtable,
};

int lt_model_registry_count(void) { return (int)(sizeof models / sizeof models[0]); }

const lt_model_vtable *lt_model_registry_at(int i)
{
    return i >= 0 && i < lt_model_registry_count() ? models[i] : NULL;
}
