/* lathe apps: a milling-machine fleet simulator with the physics and
 * failure modes of the AI4I 2020 data set (docs/simulator.md). */
#ifndef LATHE_SIMULATE_H
#define LATHE_SIMULATE_H

#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_sim_params {
    int machines;            /* default 10 */
    double hours;            /* simulated hours per machine, default 100 */
    double process_minutes;  /* one machining process (row) per this many minutes, default 6 */
    uint64_t seed;           /* default 42 */
} lt_sim_params;

lt_sim_params lt_sim_params_default(void);

/* Columns: timestamp, machine, product_id, type, air_temp_k, process_temp_k,
 * rotational_speed_rpm, torque_nm, tool_wear_min, failure, twf, hdf, pwf,
 * osf, rnf. One row per process per machine. */
int lt_simulate(const lt_sim_params *p, lt_table **out);

#ifdef __cplusplus
}
#endif
#endif
