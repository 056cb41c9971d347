#!/usr/bin/env bash
# Benchmark section: support vector machines. lathe's svc (rbf) and linsvm
# against scikit-learn's SVC / LinearSVC and the libsvm / liblinear command-line
# tools (Debian's libsvm-tools, liblinear-tools), on the same rows, in one run:
#   AI4I 2020 "Machine failure" (binary, 8000 train / 2000 test, bench/prep_data.py's split)
#   steel plates faults (7 classes, stratified 80/20, seed 42, made here)
# Every side standardises numeric columns and one-hot encodes AI4I's Type; the
# libsvm/liblinear tools get the same standardised matrix (scikit-learn's
# transform) in svmlight files. Same hyper-parameters everywhere: C = 1,
# gamma = "scale" (1 / (d var X), passed to svm-train as -g), tol 1e-3 (SVC) and
# 1e-4 (linear, squared hinge, dual CD, bias feature 1, max 1000 epochs).
# Env from bench/run.sh: LATHE, DATA, OUT, REPEATS, PY. Prints markdown.
set -euo pipefail
: "${LATHE:?}" "${DATA:?}" "${OUT:?}" "${REPEATS:=5}" "${PY:=/usr/bin/python3}"
export LATHE DATA OUT REPEATS
"$PY" - <<'PYEOF'
import json, os, statistics, subprocess, sys, time
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, LinearSVC
import warnings
warnings.filterwarnings("ignore")  # LinearSVC's ConvergenceWarning at max_iter=1000

LATHE, DATA, OUT, R = os.environ["LATHE"], os.environ["DATA"], os.environ["OUT"], int(os.environ["REPEATS"])
W = os.path.join(OUT, "svm")
os.makedirs(W, exist_ok=True)
med = statistics.median
log = lambda *a: print("bench svm:", *a, file=sys.stderr)

def timed(fn):
    ts, r = [], None
    for _ in range(R):
        t0 = time.perf_counter(); r = fn(); ts.append(time.perf_counter() - t0)
    return med(ts), r

# ---- data ----
sets = {}
ai_drop = ["UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "RNF"]
ai_num = ["Air temperature [K]", "Process temperature [K]", "Rotational speed [rpm]",
          "Torque [Nm]", "Tool wear [min]"]
sets["AI4I 2020"] = dict(train=f"{OUT}/ai4i_train.csv", test=f"{OUT}/ai4i_test.csv",
                         target="Machine failure", drop=ai_drop, num=ai_num, cat=["Type"])
sd = os.path.join(DATA, "steel_faults")
if os.path.exists(os.path.join(sd, "Faults.NNA")):
    names = [l.strip() for l in open(os.path.join(sd, "Faults27x7_var"))]
    raw = pd.read_csv(os.path.join(sd, "Faults.NNA"), sep="\t", header=None, names=names)
    labels = names[27:34]
    df = raw[names[:27]].copy()
    df["Fault"] = np.array(labels)[raw[labels].to_numpy().argmax(1)]
    tr, te = train_test_split(df, test_size=0.2, stratify=df["Fault"], random_state=42)
    tr.to_csv(f"{W}/steel_train.csv", index=False); te.to_csv(f"{W}/steel_test.csv", index=False)
    sets["steel plates"] = dict(train=f"{W}/steel_train.csv", test=f"{W}/steel_test.csv",
                                target="Fault", drop=[], num=names[:27], cat=[])
else:
    log("steel_faults absent; AI4I only")

def write_svmlight(path, X, y):
    with open(path, "w") as f:
        for row, lab in zip(X, y):
            f.write("%d %s\n" % (lab, " ".join("%d:%.9g" % (j + 1, v) for j, v in enumerate(row) if v != 0)))

rows = []  # (dataset, model, impl, fit, predict, acc, note)
for name, s in sets.items():
    tr, te = pd.read_csv(s["train"]), pd.read_csv(s["test"])
    classes = sorted(tr[s["target"]].astype(str).unique())
    code = {c: i for i, c in enumerate(classes)}
    y = tr[s["target"]].astype(str).map(code).to_numpy(); yt = te[s["target"]].astype(str).map(code).to_numpy()
    steps = [("num", StandardScaler(), s["num"])] + ([("cat", OneHotEncoder(handle_unknown="ignore"), s["cat"])] if s["cat"] else [])
    ct = ColumnTransformer(steps, sparse_threshold=0)
    Xtr = ct.fit_transform(tr); Xte = ct.transform(te)
    gamma = 1.0 / (Xtr.shape[1] * Xtr.var())
    write_svmlight(f"{W}/train.svm", Xtr, y); write_svmlight(f"{W}/test.svm", Xte, yt)
    feats = tr.drop(columns=[s["target"]] + s["drop"])

    for model in ("svc", "linsvm"):
        # lathe (its own timers: fit = pipeline fit on the parsed table, predict = pipeline predict)
        fits, preds, acc, info = [], [], None, {}
        for _ in range(R):
            cmd = [LATHE, "train", "--data", s["train"], "--test", s["test"], "--target", s["target"],
                   "--model", model, "--json", "--quiet", "--out", f"{W}/m.lt"]
            if s["drop"]:
                cmd += ["--drop", ",".join(s["drop"])]
            j = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            fits.append(j["fit_seconds"]); preds.append(j["predict_seconds"])
            acc, info = j["metrics"]["accuracy"], j.get("model_info", {})
        note = "nSV %d" % info["n_support"] if model == "svc" else ("converged" if info.get("converged") else "hit max_iter")
        rows.append((name, model, "lathe", med(fits), med(preds), acc, note))
        log(name, model, "lathe done")

        # scikit-learn (the same preprocessing in a Pipeline)
        est = SVC(C=1.0, kernel="rbf", gamma="scale", tol=1e-3, cache_size=200) if model == "svc" else \
            LinearSVC(C=1.0, loss="squared_hinge", dual=True, tol=1e-4, max_iter=1000, random_state=0)
        mk = lambda: make_pipeline(ColumnTransformer(steps, sparse_threshold=0), est)
        fs, pipe = timed(lambda: mk().fit(feats, y))
        ps, p = timed(lambda: pipe.predict(te.drop(columns=[s["target"]] + s["drop"])))
        note = "nSV %d" % pipe[-1].n_support_.sum() if model == "svc" else \
            ("converged" if pipe[-1].n_iter_ < 1000 else "hit max_iter")
        rows.append((name, model, "scikit-learn " + ("SVC" if model == "svc" else "LinearSVC"), fs, ps, float((p == yt).mean()), note))
        log(name, model, "sklearn done")

        # libsvm / liblinear command-line tools (process start and svmlight parsing included)
        if model == "svc":
            tcmd = ["svm-train", "-s", "0", "-t", "2", "-c", "1", "-g", "%.10g" % gamma, "-e", "0.001", "-m", "200",
                    "-h", "1", "-q", f"{W}/train.svm", f"{W}/model"]
            pcmd = ["svm-predict", "-q", f"{W}/test.svm", f"{W}/model", f"{W}/pred"]
            impl = "libsvm 3.24 (svm-train)"
        else:
            tcmd = ["liblinear-train", "-s", "1", "-c", "1", "-e", "0.0001", "-B", "1", "-q", f"{W}/train.svm", f"{W}/model"]
            pcmd = ["liblinear-predict", "-q", f"{W}/test.svm", f"{W}/model", f"{W}/pred"]
            impl = "liblinear 2.3 (train)"
        fs, _ = timed(lambda: subprocess.run(tcmd, check=True, capture_output=True))
        ps, _ = timed(lambda: subprocess.run(pcmd, check=True, capture_output=True))
        p = np.loadtxt(f"{W}/pred")
        note = ""
        if model == "svc":
            for line in open(f"{W}/model"):
                if line.startswith("total_sv"):
                    note = "nSV " + line.split()[1]
        rows.append((name, model, impl, fs, ps, float((p == yt).mean()), note))
        log(name, model, "cli done")

print("## Support vector machines\n")
print("lathe `svc` (rbf) and `linsvm` beside scikit-learn %s's SVC / LinearSVC and the libsvm / liblinear"
      " command-line tools, same rows, same preprocessing, same hyper-parameters (C = 1, gamma = scale,"
      " tol 1e-3 for SVC, squared hinge and tol 1e-4 for the linear ones). Medians of %d runs on this"
      " machine; ratio = peer time / lathe time (> 1: lathe is faster).\n" % (__import__("sklearn").__version__, R))
print("| data | model | implementation | fit s | predict s | fit ratio | predict ratio | accuracy | notes |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
base = {}
for d, m, impl, f, p, a, note in rows:
    if impl == "lathe":
        base[(d, m)] = (f, p)
    lf, lp = base[(d, m)]
    fr = "" if impl == "lathe" else "%.2f" % (f / lf)
    pr = "" if impl == "lathe" else "%.2f" % (p / lp)
    print("| %s | %s | %s | %.4f | %.4f | %s | %s | %.4f | %s |" % (d, m, impl, f, p, fr, pr, a, note))
print("""
Notes:
- lathe's times are its own (`fit_seconds`, `predict_seconds` of `lathe train --json`): the whole
  pipeline (standardise, one-hot, model) on the parsed table, without reading the CSV.
  scikit-learn's are the same Pipeline's `fit` / `predict` on DataFrames. The libsvm / liblinear
  rows are whole processes: start-up, parsing the svmlight text and writing the model file.
- Same algorithm as libsvm (SMO, WSS3, shrinking, float kernel cache) and liblinear (dual coordinate
  descent with shrinking), so accuracy and support-vector counts agree; the speed comes from
  computing kernel rows and prediction blocks with BLAS (sgemv / sgemm over squared norms) and a
  vectorised exp, where libsvm evaluates one kernel value at a time in double. Multi-class svc trains
  its one-vs-one pairs on all cores (2 here); the binary AI4I fit runs on one core, like the peers.
- linsvm and LinearSVC both stop at max_iter = 1000 epochs on these sets (neither converges to
  tol 1e-4); their coefficients then differ by the random visiting order, not by the algorithm.
""")
PYEOF
