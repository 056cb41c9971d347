"""Reference numbers for tests/unit/test_linreg.c from scikit-learn.

Run once: cd tests/unit/ref && /usr/bin/python3 linreg_ref.py
Writes linreg_ref.h: a noisy regression problem (float32 literals) and
sklearn's LinearRegression / Ridge coefficients, intercepts and r2.
"""
import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import r2_score
from refutil import carr, header

rng = np.random.RandomState(3)
n, d = 40, 3
X = (rng.randn(n, d) * [1.0, 3.0, 0.5] + [2.0, -1.0, 0.0]).astype(np.float32)
y = (X @ np.array([1.5, -2.0, 0.7]) + 0.4 + 0.3 * rng.randn(n)).astype(np.float32)
sw = (0.5 + (np.arange(n) % 4)).astype(np.float32)
X64, y64, sw64 = X.astype(np.float64), y.astype(np.float64), sw.astype(np.float64)

out = "/* sklearn %s, numpy %s */\n" % (sklearn.__version__, np.__version__)
out += "#define REF_N %d\n#define REF_D %d\n" % (n, d)
out += carr("ref_x", X) + carr("ref_y", y) + carr("ref_sw", sw)
cases = [
    ("ols", LinearRegression(), None),
    ("ridge", Ridge(alpha=5.0), None),
    ("ridge_sw", Ridge(alpha=2.0), sw64),
    ("ols_noint", LinearRegression(fit_intercept=False), None),
]
for name, m, w in cases:
    m.fit(X64, y64, sample_weight=w)
    out += "/* %s: %r%s */\n" % (name, m, " with sample_weight" if w is not None else "")
    out += carr("ref_%s_coef" % name, m.coef_, "double")
    out += "static const double ref_%s_icpt = %.17g;\n" % (name, float(m.intercept_))
    out += "static const double ref_%s_r2 = %.17g;\n" % (name, r2_score(y64, m.predict(X64)))
header("linreg_ref.h", "linreg_ref.py", out)
