"""Reference numbers for tests/unit/test_logreg.c from scikit-learn.

Run once: cd tests/unit/ref && /usr/bin/python3 logreg_ref.py
Writes logreg_ref.h: the data (float32 literals) and sklearn's coefficients,
intercepts and log losses, fitted to a tight tolerance so they are the exact
minimisers of 0.5||w||^2 + C sum sw_i loss_i.
"""
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from refutil import carr, header

# newton-cg warns "line search failed" once it reaches rounding level on some
# cases; the weights are then exact to ~1e-9, which is what we want.
warnings.filterwarnings("ignore")

rng = np.random.RandomState(7)

# Binary, noisy: y ~ Bernoulli(sigmoid(1.5 x0 - 0.8 x1 + 2 x2 + 0.3)), imbalanced-ish
n, d = 80, 3
Xb = (rng.randn(n, d) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]).astype(np.float32)
zb = Xb @ np.array([1.5, -0.8, 2.0]) + 0.3
yb = (rng.rand(n) < 1 / (1 + np.exp(-zb))).astype(np.int32)
swb = (0.5 + (np.arange(n) % 3)).astype(np.float32)  # sample weights 0.5, 1.5, 2.5, ...

# Multinomial, 3 classes from a softmax model
nm, dm, K = 90, 3, 3
Xm = rng.randn(nm, dm).astype(np.float32)
Wt = np.array([[1.0, -1.0, 0.5], [-0.5, 1.2, 0.0], [0.2, 0.3, -1.5]])
Zm = Xm @ Wt.T + [0.2, 0.0, -0.4]
Pm = np.exp(Zm - Zm.max(1, keepdims=True)); Pm /= Pm.sum(1, keepdims=True)
ym = np.array([rng.choice(K, p=p) for p in Pm], dtype=np.int32)

def fit(X, y, sw, **kw):
    # newton-cg at tol 1e-10 is the exact minimiser; sklearn's lbfgs stops on
    # scipy's default ftol (~2e-9 relative) and is off by ~1e-5 in the weights.
    m = LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=100000, **kw)
    m.fit(X.astype(np.float64), y, sample_weight=None if sw is None else sw.astype(np.float64))
    return m

out = "/* sklearn %s, numpy %s */\n" % (sklearn.__version__, np.__version__)
out += "#define REF_NB %d\n#define REF_DB %d\n" % (n, d)
out += carr("ref_xb", Xb) + carr("ref_yb", yb, "int") + carr("ref_swb", swb)
out += "#define REF_NM %d\n#define REF_DM %d\n#define REF_KM %d\n" % (nm, dm, K)
out += carr("ref_xm", Xm) + carr("ref_ym", ym, "int")

cases = [
    ("bin_c1", Xb, yb, None, dict(C=1.0)),
    ("bin_c01", Xb, yb, None, dict(C=0.1)),
    ("bin_bal", Xb, yb, None, dict(C=1.0, class_weight="balanced")),
    ("bin_sw", Xb, yb, swb, dict(C=0.5)),
    ("bin_noint", Xb, yb, None, dict(C=1.0, fit_intercept=False)),
    ("mn_c1", Xm, ym, None, dict(C=1.0)),
    ("mn_bal", Xm, ym, None, dict(C=0.3, class_weight="balanced")),
]
for name, X, y, sw, kw in cases:
    m = fit(X, y, sw, **kw)
    p = m.predict_proba(X.astype(np.float64))
    ll = log_loss(y, p, sample_weight=None)
    out += "/* %s: LogisticRegression(%s)%s */\n" % (
        name, ", ".join("%s=%r" % kv for kv in kw.items()), " with sample_weight" if sw is not None else "")
    out += carr("ref_%s_coef" % name, m.coef_, "double")
    out += carr("ref_%s_icpt" % name, m.intercept_, "double")
    out += "static const double ref_%s_logloss = %.17g;\n" % (name, ll)

header("logreg_ref.h", "logreg_ref.py", out)
print("classes binary", np.bincount(yb), "multinomial", np.bincount(ym))
