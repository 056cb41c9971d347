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

/* Parameter limits checked by lt_simulate (LT_EINVAL / LT_ELIMIT beyond them). */
#define LT_SIM_MAX_MACHINES 10000
#define LT_SIM_MAX_ROWS 100000000LL  /* machines x processes per machine */

/* Simulate the fleet into a new table (*out, free with lt_table_free).
 * Columns: timestamp, machine, product_id, type, air_temp_k, process_temp_k,
 * rotational_speed_rpm, torque_nm, tool_wear_min, failure, twf, hdf, pwf,
 * osf, rnf. One row per process per machine, ordered by time then machine:
 * machines x floor(hours * 60 / process_minutes) rows. timestamp is seconds
 * since the start; machine ("M01", ...), product_id ("L10001", ...) and type
 * (L/M/H) are categorical; the failure columns are 0/1 numbers. The same
 * params give a byte-identical table. Errors: LT_EINVAL (bad parameter),
 * LT_ELIMIT (too many rows), LT_ENOMEM. */
int lt_simulate(const lt_sim_params *p, lt_table **out);

#ifdef __cplusplus
}
#endif
#endif
