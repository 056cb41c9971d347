"""Helper of bench/sections/clustering.sh.
  prep OUT DATA       write OUT/fleet_sensors.csv, OUT/skab_train.csv, OUT/skab_test.csv
  peers OUT REPEATS   scikit-learn side (same preprocessing and parameters), JSON on stdout
  report OUT          markdown section from OUT/clu_lathe.jsonl and OUT/clu_peers.json
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


def peers(out, repeats):
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler
    res = {}
    fl = pd.read_csv(f"{out}/fleet_sensors.csv")
    X = fl[SENSORS].values
    for algo in ("lloyd", "elkan"):
        def fit():
            sc = StandardScaler().fit(X)
            return sc, KMeans(8, n_init=1, algorithm=algo, random_state=0).fit(sc.transform(X))
        tf, (sc, km) = median_time(fit, repeats)
        tp, _ = median_time(lambda: km.predict(sc.transform(X)), repeats)
        res[f"kmeans_{algo}"] = {"fit": tf, "predict": tp, "inertia": float(km.inertia_),
                                 "n_iter": int(km.n_iter_)}
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


def report(out):
    peers = json.load(open(f"{out}/clu_peers.json"))
    runs = {}
    for line in open(f"{out}/clu_lathe.jsonl"):
        r = json.loads(line)
        runs.setdefault(r["case"], []).append(r)
    med = lambda case, k: statistics.median(r[k] for r in runs[case])
    print("## Clustering and anomaly detection: lathe vs scikit-learn\n")
    print("Same files, same preprocessing (standardised numeric columns), same parameters, one run on "
          "this 2-core machine; medians of %d repeats. Fit includes the scaler; predict includes "
          "the transform. k-means: k = 8, n_init = 1, k-means++ seeding, tol 1e-4, on the "
          "simulator's 250,000-row fleet (5 sensor columns). The two sides seed differently, so "
          "they stop after different numbers of iterations: the per-iteration time is the fair "
          "speed comparison. Isolation forest: 100 trees, max_samples 256 (scikit-learn with "
          "n_jobs=-1); quality is ROC AUC of the anomaly score against `failure` (fleet) or "
          "`anomaly` (SKAB: trained on anomaly-free.csv, scored on all 34 labelled files).\n"
          % len(next(iter(runs.values()))))
    print("| case | lathe fit s | sklearn fit s | fit speed-up | lathe predict s | sklearn predict s "
          "| predict speed-up | lathe quality | sklearn quality |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case, peer, what in (("kmeans_lloyd", "kmeans_lloyd", "lloyd vs lloyd"),
                             ("kmeans_hamerly", "kmeans_elkan", "hamerly vs elkan")):
        f, p = med(case, "fit"), med(case, "predict")
        it, pk = runs[case][0]["n_iter"], peers[peer]
        print("| k-means %s (fleet 250k x 5) | %.3f (%d it, %.1f ms/it) | %.3f (%d it, %.1f ms/it) | "
              "%.1fx (%.1fx per it) | %.4f | %.4f | %.1fx | inertia %.0f | inertia %.0f |"
              % (what, f, it, 1e3 * f / it, pk["fit"], pk["n_iter"], 1e3 * pk["fit"] / pk["n_iter"],
                 pk["fit"] / f, (pk["fit"] / pk["n_iter"]) / (f / it), p, pk["predict"],
                 pk["predict"] / p, runs[case][0]["inertia"], pk["inertia"]))
    for case, label in (("iforest_fleet", "fleet 250k x 5"), ("iforest_skab", "SKAB 9.4k / 37.4k x 8")):
        f, p, pk = med(case, "fit"), med(case, "predict"), peers[case]
        print("| isolation forest (%s) | %.3f | %.3f | %.1fx | %.3f | %.3f | %.1fx | ROC AUC %.4f | "
              "ROC AUC %.4f |" % (label, f, pk["fit"], pk["fit"] / f, p, pk["predict"],
                                  pk["predict"] / p, runs[case][0]["roc_auc"], pk["roc_auc"]))
    print()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prep":
        prep(sys.argv[2], sys.argv[3])
    elif cmd == "peers":
        peers(sys.argv[2], int(sys.argv[3]))
    else:
        report(sys.argv[2])
