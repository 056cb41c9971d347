/* A milling-machine fleet simulator with the physics and failure modes of the
 * AI4I 2020 data set (Matzka 2020, UCI #601), turned into one time series per
 * machine. docs/simulator.md gives every equation; keep the two in step.
 *
 * Design:
 *  - Each machine has its own RNG stream (seeded from the fleet seed and its
 *    index), so machine M03's series is the same whether the fleet has 3 or 300
 *    machines, and the same seed gives a byte-identical table.
 *  - Failures are decided on the true physical state; the table records what
 *    the sensors read (true value + sensor noise, rounded like AI4I). A model
 *    therefore sees the thresholds slightly blurred, as in a real plant.
 *  - Rows are ordered by time slot, then machine: a historian export of a
 *    fleet, not one machine after another.
 */
#include "lathe/simulate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586

/* ---- model constants (docs/simulator.md, "Equations") ---------------------- */

/* Air temperature: AR(1) around 300 K plus a daily cycle peaking at 15:00. */
#define AIR_MEAN_K 300.0
#define AIR_WALK_SD_K 1.6     /* stationary SD of the walk; with the cycle, ~2 K overall */
#define AIR_WALK_TAU_H 8.0    /* correlation time of the walk, hours */
#define AIR_DAILY_AMP_K 1.5
#define AIR_DAILY_PEAK_H 15.0

/* Process temperature = air + dT; dT = 10 K + machine cooling offset - fouling + AR(1). */
#define DT_MEAN_K 10.0
#define DT_WALK_SD_K 1.0
#define DT_WALK_TAU_H 1.0
#define FOUL_CYCLE_H 168.0    /* heat exchanger cleaned weekly: fouling resets */

/* Torque ~ N(machine mean, 10 Nm), truncated > 0. Speed from the drive's
 * nominal power: n = n_ref * (torque / 40 Nm)^-0.37 * exp(noise), with
 * n_ref = P_nom / (40 Nm * 2 pi / 60). The exponent is the log-log slope of
 * speed on torque in the AI4I file (a pure constant-power drive would be -1). */
#define TORQUE_MEAN_NM 40.0
#define TORQUE_SD_NM 10.0
#define TORQUE_REF_NM 40.0
#define TORQUE_MIN_NM 3.0     /* redraw below: a cut that light is an idle spindle */
#define SPEED_EXPONENT (-0.37)
#define P_NOM_W 6300.0

/* Failure thresholds, straight from the AI4I description. */
#define HDF_DT_K 8.6
#define HDF_SPEED_RPM 1380.0
#define PWF_LOW_W 3500.0
#define PWF_HIGH_W 9000.0
#define TOOL_LIFE_MIN_MIN 200.0
#define TOOL_LIFE_MAX_MIN 240.0
#define TWF_FAIL_SHARE (51.0 / 120.0) /* AI4I: at end of life 51 of 120 tools failed */
#define RNF_PROB 0.001

/* Sensor noise (SD) and the resolution the values are recorded at. */
#define NOISE_TEMP_K 0.1
#define NOISE_SPEED_RPM 3.0
#define NOISE_TORQUE_NM 0.3

enum { TYPE_L = 0, TYPE_M = 1, TYPE_H = 2 };
static const char *const type_levels[3] = {"L", "M", "H"};
static const double wear_per_process[3] = {2.0, 3.0, 5.0};        /* min, L/M/H */
static const double osf_threshold[3] = {11000.0, 12000.0, 13000.0}; /* min*Nm, L/M/H */

/* Per-machine constants and state. */
typedef struct machine {
    lt_rng rng;
    /* constants drawn once */
    double air_offset_k;   /* location in the hall */
    double cool_offset_k;  /* heat dissipation: + is better cooled */
    double foul_k_per_100h;/* loss of dT per 100 h since the last cleaning */
    double p_nom_w;        /* spindle drive's nominal power */
    double torque_mean_nm; /* typical cut of the jobs this machine runs */
    double speed_noise;    /* SD of log-speed around the drive curve */
    /* state */
    double air_walk, dt_walk; /* AR(1) deviations, K */
    double wear_min;          /* tool wear at the start of the next process */
    double life_min;          /* wear at which the current tool is replaced or fails */
} machine;

lt_sim_params lt_sim_params_default(void)
{
    lt_sim_params p;
    p.machines = 10;
    p.hours = 100.0;
    p.process_minutes = 6.0;
    p.seed = 42;
    return p;
}

static double uniform_in(lt_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * lt_rng_uniform(r);
}

/* Stationary AR(1) step: x' = phi x + sd sqrt(1 - phi^2) e, phi = exp(-dt/tau). */
static double ar1_step(lt_rng *r, double x, double sd, double dt_h, double tau_h)
{
    double phi = exp(-dt_h / tau_h);
    return phi * x + sd * sqrt(1.0 - phi * phi) * lt_rng_normal(r);
}

/* Round to a multiple of step (0.1): divide by the integer 1/step rather than
 * multiply by step, so 3127 -> 312.7 exactly as printed, not 312.70000000000005. */
static double round_to(double x, double step)
{
    double inv = round(1 / step);
    return round(x * inv) / inv;
}

static void machine_init(machine *m, int index, uint64_t seed)
{
    /* Distinct, well-mixed stream per machine (lt_rng_seed runs splitmix64). */
    lt_rng_seed(&m->rng, seed ^ (0xd1b54a32d192ed03ULL * (uint64_t)(index + 1)));
    lt_rng *r = &m->rng;
    m->air_offset_k = 0.5 * lt_rng_normal(r);
    m->cool_offset_k = 0.3 + 0.2 * lt_rng_normal(r);
    m->foul_k_per_100h = uniform_in(r, 0.0, 0.35);
    m->p_nom_w = P_NOM_W * (1.0 + 0.02 * lt_rng_normal(r));
    m->torque_mean_nm = TORQUE_MEAN_NM + 1.5 * lt_rng_normal(r);
    m->speed_noise = uniform_in(r, 0.03, 0.045);
    /* Two machines with a story, present whenever the fleet is big enough:
     * M03 has a clogged coolant circuit and runs hot (smaller process-air
     * gap, fouling fast); M05 takes the heavy roughing jobs (more torque). */
    if (index == 2) {
        m->cool_offset_k -= 0.8;
        m->foul_k_per_100h = 0.8;
    }
    if (index == 4)
        m->torque_mean_nm += 4.0;
    m->air_walk = AIR_WALK_SD_K * lt_rng_normal(r);
    m->dt_walk = DT_WALK_SD_K * lt_rng_normal(r);
    /* The fleet does not start with fresh tools everywhere. */
    m->life_min = uniform_in(r, TOOL_LIFE_MIN_MIN, TOOL_LIFE_MAX_MIN);
    m->wear_min = floor(uniform_in(r, 0.0, m->life_min));
}

/* One process row, as recorded. */
typedef struct sim_row {
    int type;
    double air, proc, speed, torque, wear;
    int twf, hdf, pwf, osf, rnf;
} sim_row;

/* Advance machine m by one process that starts `t_h` hours into the run. */
static void machine_step(machine *m, double t_h, double dt_h, sim_row *row)
{
    lt_rng *r = &m->rng;
    /* Fixed draw order per step, whatever the branches, so the stream (and
     * so every later row) does not depend on which failures happened. */
    double u_type = lt_rng_uniform(r);
    double torque;
    do
        torque = m->torque_mean_nm + TORQUE_SD_NM * lt_rng_normal(r);
    while (torque < TORQUE_MIN_NM);
    double e_speed = lt_rng_normal(r);
    m->air_walk = ar1_step(r, m->air_walk, AIR_WALK_SD_K, dt_h, AIR_WALK_TAU_H);
    m->dt_walk = ar1_step(r, m->dt_walk, DT_WALK_SD_K, dt_h, DT_WALK_TAU_H);
    double n_air = lt_rng_normal(r), n_proc = lt_rng_normal(r);
    double n_speed = lt_rng_normal(r), n_torque = lt_rng_normal(r);
    double u_rnf = lt_rng_uniform(r), u_twf = lt_rng_uniform(r), u_life = lt_rng_uniform(r);

    int type = u_type < 0.5 ? TYPE_L : u_type < 0.8 ? TYPE_M : TYPE_H;

    /* True physical state of this process. */
    double hour_of_day = fmod(t_h, 24.0);
    double air = AIR_MEAN_K + m->air_offset_k + m->air_walk +
                 AIR_DAILY_AMP_K * cos(TWO_PI * (hour_of_day - AIR_DAILY_PEAK_H) / 24.0);
    double fouling = m->foul_k_per_100h * fmod(t_h, FOUL_CYCLE_H) / 100.0;
    double dt = DT_MEAN_K + m->cool_offset_k - fouling + m->dt_walk;
    double proc = air + dt;
    double n_ref = m->p_nom_w / (TORQUE_REF_NM * TWO_PI / 60.0); /* rpm at 40 Nm */
    double speed = n_ref * pow(torque / TORQUE_REF_NM, SPEED_EXPONENT) *
                   exp(m->speed_noise * e_speed);
    double power = torque * speed * TWO_PI / 60.0; /* W = Nm * rad/s */
    double wear = m->wear_min;

    row->type = type;
    row->hdf = dt < HDF_DT_K && speed < HDF_SPEED_RPM;
    row->pwf = power < PWF_LOW_W || power > PWF_HIGH_W;
    row->osf = wear * torque > osf_threshold[type];
    row->rnf = u_rnf < RNF_PROB;
    int end_of_life = wear >= m->life_min;
    row->twf = end_of_life && u_twf < TWF_FAIL_SHARE;

    /* What the sensors report, at AI4I's resolution. Wear is a counter: exact. */
    row->air = round_to(air + NOISE_TEMP_K * n_air, 0.1);
    row->proc = round_to(proc + NOISE_TEMP_K * n_proc, 0.1);
    row->speed = round(speed + NOISE_SPEED_RPM * n_speed);
    row->torque = round_to(torque + NOISE_TORQUE_NM * n_torque, 0.1);
    if (row->torque < 0.1)
        row->torque = 0.1;
    row->wear = wear;

    /* Tool change after this process: at end of life (replaced or failed)
     * or after an overstrain failure, which breaks the tool. */
    if (end_of_life || row->osf) {
        m->wear_min = 0.0;
        m->life_min = TOOL_LIFE_MIN_MIN + (TOOL_LIFE_MAX_MIN - TOOL_LIFE_MIN_MIN) * u_life;
    } else {
        m->wear_min = wear + wear_per_process[type];
    }
}

/* Columns being filled, one array per output column. */
typedef struct sim_cols {
    double *ts, *air, *proc, *speed, *torque, *wear, *fail, *twf, *hdf, *pwf, *osf, *rnf;
    int32_t *machine, *type, *pid;
    char *pid_text;        /* nrows ids of PID_WIDTH bytes each */
    const char **pid_levels;
} sim_cols;

#define PID_WIDTH 24
#define NUM_COLS 12

static void cols_free(sim_cols *c)
{
    double **num[NUM_COLS] = {&c->ts,  &c->air, &c->proc, &c->speed, &c->torque, &c->wear,
                              &c->fail, &c->twf, &c->hdf, &c->pwf,   &c->osf,    &c->rnf};
    for (int i = 0; i < NUM_COLS; i++)
        free(*num[i]);
    free(c->machine);
    free(c->type);
    free(c->pid);
    free(c->pid_text);
    free(c->pid_levels);
}

static int cols_alloc(sim_cols *c, int64_t n)
{
    memset(c, 0, sizeof *c);
    double **num[NUM_COLS] = {&c->ts,  &c->air, &c->proc, &c->speed, &c->torque, &c->wear,
                              &c->fail, &c->twf, &c->hdf, &c->pwf,   &c->osf,    &c->rnf};
    int ok = 1;
    for (int i = 0; i < NUM_COLS; i++)
        ok &= (*num[i] = lt_malloc(sizeof(double) * (size_t)n)) != NULL;
    ok &= (c->machine = lt_malloc(sizeof(int32_t) * (size_t)n)) != NULL;
    ok &= (c->type = lt_malloc(sizeof(int32_t) * (size_t)n)) != NULL;
    ok &= (c->pid = lt_malloc(sizeof(int32_t) * (size_t)n)) != NULL;
    ok &= (c->pid_text = lt_malloc((size_t)PID_WIDTH * (size_t)n)) != NULL;
    ok &= (c->pid_levels = lt_malloc(sizeof(char *) * (size_t)n)) != NULL;
    if (!ok) {
        cols_free(c);
        return lt_error(LT_ENOMEM, "simulate: out of memory for %lld rows", (long long)n);
    }
    return LT_OK;
}

static int check_params(const lt_sim_params *p, int64_t *per_machine)
{
    if (p->machines < 1 || p->machines > LT_SIM_MAX_MACHINES)
        return lt_error(LT_EINVAL, "simulate: machines must be between 1 and %d, got %d",
                        LT_SIM_MAX_MACHINES, p->machines);
    if (!isfinite(p->hours) || p->hours <= 0)
        return lt_error(LT_EINVAL, "simulate: hours must be a number > 0, got %g", p->hours);
    if (!isfinite(p->process_minutes) || p->process_minutes <= 0)
        return lt_error(LT_EINVAL, "simulate: process_minutes must be a number > 0, got %g",
                        p->process_minutes);
    /* Small epsilon: 100 h of 6-min processes is 1000, not 999.999... */
    double n = floor(p->hours * 60.0 / p->process_minutes + 1e-9);
    if (n < 1)
        return lt_error(LT_EINVAL,
                        "simulate: %g hours is shorter than one process of %g minutes",
                        p->hours, p->process_minutes);
    double total = n * (double)p->machines;
    if (total > (double)LT_SIM_MAX_ROWS)
        return lt_error(LT_ELIMIT,
                        "simulate: %d machines x %.0f processes = %.0f rows exceeds the limit "
                        "of %lld rows; lower machines or hours, or raise process_minutes",
                        p->machines, n, total, (long long)LT_SIM_MAX_ROWS);
    *per_machine = (int64_t)n;
    return LT_OK;
}

static int build_table(const sim_cols *c, int64_t n, const char *const *mlevels, int nmach,
                       lt_table **out)
{
    lt_table *t = lt_table_new();
    if (!t)
        return lt_error(LT_ENOMEM, "simulate: out of memory");
    int rc = 0;
    rc = rc ? rc : lt_table_add_num(t, "timestamp", c->ts, n);
    rc = rc ? rc : lt_table_add_cat_codes(t, "machine", c->machine, n, mlevels, nmach);
    rc = rc ? rc : lt_table_add_cat_codes(t, "product_id", c->pid, n, c->pid_levels, (int)n);
    rc = rc ? rc : lt_table_add_cat_codes(t, "type", c->type, n, type_levels, 3);
    rc = rc ? rc : lt_table_add_num(t, "air_temp_k", c->air, n);
    rc = rc ? rc : lt_table_add_num(t, "process_temp_k", c->proc, n);
    rc = rc ? rc : lt_table_add_num(t, "rotational_speed_rpm", c->speed, n);
    rc = rc ? rc : lt_table_add_num(t, "torque_nm", c->torque, n);
    rc = rc ? rc : lt_table_add_num(t, "tool_wear_min", c->wear, n);
    rc = rc ? rc : lt_table_add_num(t, "failure", c->fail, n);
    rc = rc ? rc : lt_table_add_num(t, "twf", c->twf, n);
    rc = rc ? rc : lt_table_add_num(t, "hdf", c->hdf, n);
    rc = rc ? rc : lt_table_add_num(t, "pwf", c->pwf, n);
    rc = rc ? rc : lt_table_add_num(t, "osf", c->osf, n);
    rc = rc ? rc : lt_table_add_num(t, "rnf", c->rnf, n);
    if (rc) {
        lt_table_free(t);
        return lt_error_wrap(rc, "simulate: building the table: ");
    }
    *out = t;
    return LT_OK;
}

int lt_simulate(const lt_sim_params *p, lt_table **out)
{
    if (!p || !out)
        return lt_error(LT_EINVAL, "simulate: NULL argument");
    *out = NULL;
    int64_t per_machine = 0;
    int rc = check_params(p, &per_machine);
    if (rc)
        return rc;
    int nm = p->machines;
    int64_t n = per_machine * nm;
    /* product_id is categorical with one level per row; the level count is an int. */
    if (n > INT32_MAX)
        return lt_error(LT_ELIMIT, "simulate: %lld rows exceed 2^31-1", (long long)n);

    machine *ms = lt_calloc((size_t)nm, sizeof *ms);
    char (*mnames)[16] = lt_calloc((size_t)nm, sizeof *mnames);
    const char **mlevels = lt_calloc((size_t)nm, sizeof *mlevels);
    sim_cols c;
    if (!ms || !mnames || !mlevels || (rc = cols_alloc(&c, n)) != LT_OK) {
        free(ms);
        free(mnames);
        free(mlevels);
        return lt_error(LT_ENOMEM, "simulate: out of memory for %lld rows", (long long)n);
    }
    for (int j = 0; j < nm; j++) {
        machine_init(&ms[j], j, p->seed);
        snprintf(mnames[j], sizeof mnames[j], "M%02d", j + 1);
        mlevels[j] = mnames[j];
    }

    double dt_h = p->process_minutes / 60.0;
    int64_t i = 0;
    for (int64_t k = 0; k < per_machine; k++) {
        double t_h = (double)k * dt_h;
        for (int j = 0; j < nm; j++, i++) {
            sim_row r;
            machine_step(&ms[j], t_h, dt_h, &r);
            c.ts[i] = round(t_h * 3600.0 * 1000.0) / 1000.0; /* seconds, ms resolution */
            c.machine[i] = j;
            c.type[i] = r.type;
            /* AI4I-style id: quality letter + serial number, unique per row. */
            char *id = c.pid_text + (size_t)i * PID_WIDTH;
            snprintf(id, PID_WIDTH, "%s%lld", type_levels[r.type], (long long)(10001 + i));
            c.pid[i] = (int32_t)i;
            c.pid_levels[i] = id;
            c.air[i] = r.air;
            c.proc[i] = r.proc;
            c.speed[i] = r.speed;
            c.torque[i] = r.torque;
            c.wear[i] = r.wear;
            c.twf[i] = r.twf;
            c.hdf[i] = r.hdf;
            c.pwf[i] = r.pwf;
            c.osf[i] = r.osf;
            c.rnf[i] = r.rnf;
            c.fail[i] = r.twf || r.hdf || r.pwf || r.osf || r.rnf;
        }
    }
    rc = build_table(&c, n, mlevels, nm, out);
    cols_free(&c);
    free(ms);
    free(mnames);
    free(mlevels);
    return rc;
}
