"""Helper of bench/sections/clustering.sh.
  prep OUT DATA       write OUT/fleet_sensors.csv, OUT/skab_train.csv, OUT/skab_test.csv
  kmeans OUT LATHE REPEATS SEEDS
                      k-means on both sides over the space-separated SEEDS, REPEATS runs of
                      each, lathe and scikit-learn interleaved run by run; JSON on stdout
  peers OUT REPEATS   scikit-learn isolation forest (same preprocessing and parameters)
  report OUT          markdown section from OUT/clu_kmeans.json, OUT/clu_lathe.jsonl and
                      OUT/clu_peers.json
"""
import glob
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd

SENSORS = ["air_temp_k", "process_temp_k", "rotational_speed_rpm", "torque_nm", "tool_wear_min"]
SKAB_DROP = ["datetime", "anomaly", "changepoint"]


def prep(out, data):
    f = pd.read_csv(f"{out}/fleet.csv")
    f[SENSORS + ["failure"]].to_csv(f"{out}/fleet_sensors.csv", index=False)
    free = pd.read_csv(f"{data}/skab/anomaly-free/anomaly-free.csv", sep=";")
    free.drop(columns=["datetime"]).to_csv(f"{out}/skab_train.csv", index=False)
    files = sorted(glob.glob(f"{data}/skab/valve1/*.csv") + glob.glob(f"{data}/skab/valve2/*.csv")
                   + glob.glob(f"{data}/skab/other/*.csv"))
    test = pd.concat([pd.read_csv(p, sep=";") for p in files])
    test.drop(columns=["datetime", "changepoint"]).to_csv(f"{out}/skab_test.csv", index=False)


def median_time(fn, repeats):
    ts, r = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), r


def kmeans(out, lathe, repeats, seeds):
    """Per side and algorithm, per seed: median fit and predict seconds over the repeats,
    iterations, inertia. Runs alternate between the sides (seed by seed, repeat by repeat)."""
    import subprocess
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    X = pd.read_csv(f"{out}/fleet_sensors.csv")[SENSORS].values
    runs = {}  # (side, algo, seed) -> list of (fit, predict, inertia, n_iter)
    for _ in range(repeats):
        for seed in seeds:
            for lalgo, salgo in (("lloyd", "lloyd"), ("hamerly", "elkan")):
                j = json.loads(subprocess.run(
                    [lathe, "train", "--data", f"{out}/fleet_sensors.csv", "--model", "kmeans",
                     "--drop", "failure", "--test-size", "0", "--seed", str(seed), "--param",
                     f"k=8,n_init=1,algorithm={lalgo}", "--json", "--quiet", "--out",
                     f"{out}/clu_km.lt"], check=True, capture_output=True, text=True).stdout)
                runs.setdefault(("lathe", lalgo, seed), []).append(
                    (j["fit_seconds"], j["predict_seconds"], j["metrics"]["inertia"],
                     j["model_info"]["n_iter"]))
                t0 = time.perf_counter()
                sc = StandardScaler().fit(X)
                km = KMeans(8, n_init=1, algorithm=salgo, random_state=seed).fit(sc.transform(X))
                tf = time.perf_counter() - t0
                t0 = time.perf_counter()
                km.predict(sc.transform(X))
                tp = time.perf_counter() - t0
                runs.setdefault(("sklearn", salgo, seed), []).append(
                    (tf, tp, float(km.inertia_), int(km.n_iter_)))
    res = {}
    for (side, algo, seed), rs in runs.items():
        res.setdefault(f"{side}_{algo}", []).append(
            {"seed": seed, "fit": statistics.median(r[0] for r in rs),
             "predict": statistics.median(r[1] for r in rs), "inertia": rs[0][2], "n_iter": rs[0][3],
             "runs": len(rs)})
    json.dump(res, sys.stdout)


def peers(out, repeats):
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler
    res = {}
    fl = pd.read_csv(f"{out}/fleet_sensors.csv")
    X = fl[SENSORS].values
    cases = {"fleet": (X, X, fl["failure"].values)}
    tr, te = pd.read_csv(f"{out}/skab_train.csv"), pd.read_csv(f"{out}/skab_test.csv")
    cases["skab"] = (tr.values, te.drop(columns=["anomaly"]).values, te["anomaly"].values)
    for name, (Xtr, Xte, y) in cases.items():
        def fit():
            sc = StandardScaler().fit(Xtr)
            return sc, IsolationForest(n_estimators=100, max_samples=256, n_jobs=-1,
                                       random_state=0).fit(sc.transform(Xtr))
        tf, (sc, m) = median_time(fit, repeats)
        tp, s = median_time(lambda: -m.score_samples(sc.transform(Xte)), repeats)
        res[f"iforest_{name}"] = {"fit": tf, "predict": tp, "roc_auc": float(roc_auc_score(y, s)),
                                  "rows_fit": len(Xtr), "rows_predict": len(Xte)}
    json.dump(res, sys.stdout)


def seed_summary(per_seed):
    """Medians over seeds: fit s, iterations, ms per iteration, inertia, predict s."""
    m = lambda f: statistics.median(f(r) for r in per_seed)
    return (m(lambda r: r["fit"]), m(lambda r: r["n_iter"]), m(lambda r: 1e3 * r["fit"] / r["n_iter"]),
            m(lambda r: r["inertia"]), m(lambda r: r["predict"]))


def report(out):
    peers = json.load(open(f"{out}/clu_peers.json"))
    runs = {}
    for line in open(f"{out}/clu_lathe.jsonl"):
        r = json.loads(line)
        runs.setdefault(r["case"], []).append(r)
    med = lambda case, k: statistics.median(r[k] for r in runs[case])
    km = json.load(open(f"{out}/clu_kmeans.json"))
    km = {c: sorted(rs, key=lambda r: r["seed"]) for c, rs in km.items()}
    nseed = len(km["lathe_lloyd"])
    seeds = [r["seed"] for r in km["lathe_lloyd"]]
    print("## Clustering and anomaly detection: lathe vs scikit-learn\n")
    print("Same files, same preprocessing (standardised numeric columns), same parameters, one run on "
          "this 2-core machine; medians of %d repeats. Fit includes the scaler; predict includes "
          "the transform. k-means: k = 8, n_init = 1, k-means++ seeding, tol 1e-4, on the "
          "simulator's 250,000-row fleet (5 sensor columns), over the same %d seeds (%s) on both "
          "sides, %d runs of each, lathe and scikit-learn alternating run by run. The two sides draw their seedings from different RNGs, so one seed's iteration "
          "count is luck: a seed's time is the median of its repeats, and the table gives medians "
          "over the seeds of the fit time, the iterations, the time per iteration (fit time / "
          "iterations, seeding and scaler included) and the inertia; the fit speed-up is the ratio "
          "of the median fit times (per it: of the median times per iteration). The second table "
          "lists every seed. Isolation forest: 100 trees, max_samples 256 (scikit-learn with "
          "n_jobs=-1); quality is ROC AUC of the anomaly score against `failure` (fleet) or "
          "`anomaly` (SKAB: trained on anomaly-free.csv, scored on all 34 labelled files).\n"
          % (len(runs["iforest_fleet"]), nseed, ", ".join(str(s) for s in seeds),
             km["lathe_lloyd"][0]["runs"]))
    print("| case | lathe fit s | sklearn fit s | fit speed-up | lathe predict s | sklearn predict s "
          "| predict speed-up | lathe quality | sklearn quality |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case, peer, what in (("lathe_lloyd", "sklearn_lloyd", "lloyd vs lloyd"),
                             ("lathe_hamerly", "sklearn_elkan", "hamerly vs elkan")):
        f, it, msit, inr, p = seed_summary(km[case])
        pf, pit, pmsit, pinr, pp = seed_summary(km[peer])
        print("| k-means %s (fleet 250k x 5, median of %d seeds) | %.3f (%.0f it, %.1f ms/it) | "
              "%.3f (%.0f it, %.1f ms/it) | %.1fx (%.1fx per it) | %.4f | %.4f | %.1fx | "
              "inertia %.0f | inertia %.0f |"
              % (what, nseed, f, it, msit, pf, pit, pmsit, pf / f, pmsit / msit, p, pp, pp / p,
                 inr, pinr))
    for case, label in (("iforest_fleet", "fleet 250k x 5"), ("iforest_skab", "SKAB 9.4k / 37.4k x 8")):
        f, p, pk = med(case, "fit"), med(case, "predict"), peers[case]
        print("| isolation forest (%s) | %.3f | %.3f | %.1fx | %.3f | %.3f | %.1fx | ROC AUC %.4f | "
              "ROC AUC %.4f |" % (label, f, pk["fit"], pk["fit"] / f, p, pk["predict"],
                                  pk["predict"] / p, runs[case][0]["roc_auc"], pk["roc_auc"]))
    print("\nk-means per seed (fit s, iterations, inertia):\n")
    print("| seed | lathe lloyd | sklearn lloyd | lathe hamerly | sklearn elkan |")
    print("|---|---|---|---|---|")
    cols = [km["lathe_lloyd"], km["sklearn_lloyd"], km["lathe_hamerly"], km["sklearn_elkan"]]
    for i, s in enumerate(seeds):
        print("| %d | %s |" % (s, " | ".join("%.3f s, %d it, %.0f" % (c[i]["fit"], c[i]["n_iter"],
                                                                      c[i]["inertia"]) for c in cols)))
    print()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prep":
        prep(sys.argv[2], sys.argv[3])
    elif cmd == "kmeans":
        kmeans(sys.argv[2], sys.argv[3], int(sys.argv[4]), [int(s) for s in sys.argv[5].split()])
    elif cmd == "peers":
        peers(sys.argv[2], int(sys.argv[3]))
    else:
        report(sys.argv[2])
