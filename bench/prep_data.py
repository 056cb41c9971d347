"""Prepare the benchmark's train/test files once, so lathe and the peers
see exactly the same rows.

AI4I 2020: stratified 80/20 split of 'Machine failure' (seed 42), raw columns.
C-MAPSS FD001: train = train_FD001 with RUL = (last cycle of the unit - cycle),
capped at 125 (the usual piecewise-linear target); test = the last cycle of
each test unit with RUL from RUL_FD001. Constant sensors are kept: both sides
get the same columns and standardise them.
usage: prep_data.py DATASETS_DIR OUT_DIR
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)

ai = pd.read_csv(os.path.join(data, "ai4i2020/ai4i2020.csv"), encoding="utf-8-sig")
tr, te = train_test_split(ai, test_size=0.2, stratify=ai["Machine failure"], random_state=42)
tr.to_csv(os.path.join(out, "ai4i_train.csv"), index=False)
te.to_csv(os.path.join(out, "ai4i_test.csv"), index=False)

cols = ["unit", "cycle", "op1", "op2", "op3"] + [f"s{i}" for i in range(1, 22)]
d = os.path.join(data, "cmapss")
train = pd.read_csv(os.path.join(d, "train_FD001.txt.gz"), sep=r"\s+", header=None, names=cols)
train["RUL"] = (train.groupby("unit")["cycle"].transform("max") - train["cycle"]).clip(upper=125)
test = pd.read_csv(os.path.join(d, "test_FD001.txt.gz"), sep=r"\s+", header=None, names=cols)
last = test.groupby("unit").tail(1).copy()
rul = pd.read_csv(os.path.join(d, "RUL_FD001.txt.gz"), sep=r"\s+", header=None)[0].to_numpy()
last["RUL"] = np.minimum(rul, 125)
train.to_csv(os.path.join(out, "cmapss_train.csv"), index=False)
last.to_csv(os.path.join(out, "cmapss_test.csv"), index=False)
# A plain decompressed copy for the CSV-parse benchmark.
with open(os.path.join(out, "train_FD001.txt"), "wb") as f:
    import gzip
    f.write(gzip.open(os.path.join(d, "train_FD001.txt.gz")).read())
print("prepared", out)
