"""Render bench/out/*.json(l) into docs/benchmarks.md (medians and ratios)."""
import json
import os
import platform
import statistics
import subprocess
import sys
import time

out = sys.argv[1]
peers = json.load(open(f"{out}/peers.json"))


def runs(name):
    return [json.loads(l) for l in open(f"{out}/lathe_{name}.jsonl") if l.strip()]


def med(rs, key):
    return statistics.median(r[key] for r in rs)


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


import sklearn, pandas
lines = []
w = lines.append
w("# Benchmarks\n")
w("Measured by `make bench` (bench/run.sh) on %s: %s, %d cores, %s. lathe %s; scikit-learn %s, "
  "pandas %s (Debian packages, /usr/bin/python3). Each figure is the median of %d runs in one "
  "session; ratios are peer time / lathe time (> 1 means lathe is faster). Fit times cover the "
  "whole pipeline (scaling, one-hot encoding, model) on both sides. Generated %s.\n"
  % (platform.node() or "this machine", cpu(), os.cpu_count(), platform.platform(),
     runs("ai4i_logreg_lbfgs")[0].get("lathe_version", "0.1.0"), sklearn.__version__,
     pandas.__version__, len(runs("ai4i_logreg_lbfgs")), time.strftime("%Y-%m-%d")))

w("## Logistic regression — AI4I 2020 `Machine failure`\n")
w("Stratified 80/20 split (seed 42, same rows on both sides); inputs: Type + the 5 sensors; "
  "UDI, Product ID and the failure-mode columns TWF/HDF/PWF/OSF/RNF dropped (they leak the label). "
  "C = 1, tol = 1e-4 on both sides.\n")
w("| system | fit (s) | predict (s) | fit ratio | predict ratio | test log loss | ROC AUC | F1 |")
w("|---|---|---|---|---|---|---|---|")
sk = peers["ai4i_logreg"]
for name, label in (("ai4i_logreg_lbfgs", "lathe logreg (lbfgs)"),
                    ("ai4i_logreg_newton", "lathe logreg (newton)")):
    rs = runs(name)
    f, p = med(rs, "fit_seconds"), med(rs, "predict_seconds")
    m = rs[0]["metrics"]
    w(f"| {label} | {f:.4f} | {p:.5f} | {sk['fit_seconds'] / f:.1f}x | "
      f"{sk['predict_seconds'] / p:.1f}x | {m['log_loss']:.5f} | {m['roc_auc']:.4f} | {m['f1']:.4f} |")
w(f"| scikit-learn LogisticRegression (lbfgs) | {sk['fit_seconds']:.4f} | {sk['predict_seconds']:.5f} "
  f"| 1.0x | 1.0x | {sk['log_loss']:.5f} | {sk['roc_auc']:.4f} | {sk['f1']:.4f} |")
w("")
lb = runs("ai4i_logreg_lbfgs")[0]["metrics"]["log_loss"]
w(f"Log-loss difference lathe(lbfgs) − scikit-learn: {lb - sk['log_loss']:+.2e} "
  f"(target: within ±1e-3). Target fit ratio ≥ 5×.\n")
thr = json.load(open(f"{out}/logreg_thr.json"))
w(f"F1 at the more probable class is low because failures are rare (3.4 %) and a linear model "
  f"seldom gives one a probability above 0.5. `lathe tune --grid 'C=1' --tune-threshold` picks "
  f"the decision threshold that maximises F1 on 5-fold out-of-fold probabilities of the training "
  f"rows: {thr['threshold']['value']:.3f} (out-of-fold F1 {thr['threshold']['oof_f1']:.4f} "
  f"against {thr['threshold']['default_oof_f1']:.4f}); on the test rows F1 "
  f"{thr['test_metrics']['f1']:.4f} (precision {thr['test_metrics']['precision']:.4f}, recall "
  f"{thr['test_metrics']['recall']:.4f}), ROC AUC unchanged.\n")

w("## Linear regression — C-MAPSS FD001 remaining useful life\n")
w("Train: every cycle of the 100 training units, RUL = cycles to failure capped at 125. Test: the "
  "last cycle of each of the 100 test units against RUL_FD001 (capped at 125). Features: the 3 "
  "settings and 21 sensors, standardised; unit and cycle dropped.\n")
w("| system | fit (s) | predict (s) | fit ratio | predict ratio | RMSE | R² |")
w("|---|---|---|---|---|---|---|")
sk = peers["cmapss_linreg"]
rs = runs("cmapss_linreg")
f, p = med(rs, "fit_seconds"), med(rs, "predict_seconds")
m = rs[0]["metrics"]
w(f"| lathe linreg (lstsq) | {f:.4f} | {p:.5f} | {sk['fit_seconds'] / f:.1f}x | "
  f"{sk['predict_seconds'] / p:.1f}x | {m['rmse']:.3f} | {m['r2']:.4f} |")
w(f"| scikit-learn LinearRegression | {sk['fit_seconds']:.4f} | {sk['predict_seconds']:.5f} | 1.0x | "
  f"1.0x | {sk['rmse']:.3f} | {sk['r2']:.4f} |")
w("\nTarget fit ratio ≥ 3×.\n")

w("## CSV parsing — lathe vs pandas.read_csv\n")
w("lathe: `lt_csv_read` (bench/bench_csv.c) with type inference, in a process with the lathe "
  "command's allocator setting (`lt_keep_freed_pages`: freed buffers are reused, not faulted in "
  "anew; pandas's warm process reuses its memory too); pandas: `read_csv` with default "
  "options (`sep=r\"\\s+\", header=None` for C-MAPSS). Same files, read from the page cache; "
  "medians of CSV_REPEATS (default 31) parses each, since one parse takes milliseconds.\n")
w("| file | rows | lathe (s) | pandas (s) | speed-up |")
w("|---|---|---|---|---|")
for r in (json.loads(l) for l in open(f"{out}/lathe_csv.jsonl") if l.strip()):
    name = os.path.basename(r["file"])
    pd_ = peers[f"csv_{name}"]
    w(f"| {name} | {r['rows']} | {r['median_seconds']:.4f} | {pd_['median_seconds']:.4f} | "
      f"{pd_['median_seconds'] / r['median_seconds']:.1f}x |")
w("\nTarget ≥ 5×. fleet.csv is `lathe simulate --machines 50 --hours 500 --seed 1`.\n")
print("\n".join(lines))
