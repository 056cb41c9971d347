"""Reference numbers for tests/unit/test_svm.c and test_linsvm.c from
scikit-learn's SVC, SVR (libsvm inside) and LinearSVC (liblinear inside).

Run once: cd tests/unit/ref && /usr/bin/python3 svm_ref.py
Writes svm_ref.h: the data (float32 literals) and, per case, sklearn's
support-vector counts, intercepts and decision values at a few query points,
at a tight tolerance (tol=1e-7: the exact solution; lathe must agree to
rounding) and at the default tol=1e-3 (the same algorithm stopped early;
agreement within what tol allows). Decision values are given in lathe's
convention: for a pair (i, j) of classes positive means class i (libsvm's),
so sklearn's binary decision_function is negated here.
"""
import numpy as np
import sklearn
from sklearn.svm import SVC, SVR, LinearSVC
from refutil import carr, header

rng = np.random.RandomState(11)

# Binary, overlapping: y = 1 if x0^2 + x1 - 0.5 x2 + noise > 0.5
nb, db = 70, 3
Xb = rng.randn(nb, db).astype(np.float32)
yb = ((Xb[:, 0] ** 2 + Xb[:, 1] - 0.5 * Xb[:, 2] + 0.4 * rng.randn(nb)) > 0.5).astype(np.int32)
Qb = rng.randn(8, db).astype(np.float32)          # query points

# Three blobs in 2-D with some overlap
nm = 90
centres = np.array([[0, 0], [2.5, 0.5], [1, 2.5]])
ym = np.repeat(np.arange(3), nm // 3).astype(np.int32)
Xm = (centres[ym] + rng.randn(nm, 2) * 0.9).astype(np.float32)
Qm = (rng.rand(6, 2) * 4 - 1).astype(np.float32)

# Regression: y = sin(x) + small noise on [-3, 3]
nr = 60
Xr = np.sort(rng.uniform(-3, 3, nr)).reshape(-1, 1).astype(np.float32)
yr = (np.sin(Xr[:, 0]) + 0.05 * rng.randn(nr)).astype(np.float32)
Qr = np.linspace(-2.8, 2.8, 7).reshape(-1, 1).astype(np.float32)

out = "/* sklearn %s, numpy %s */\n" % (sklearn.__version__, np.__version__)
out += "#define REF_NB %d\n#define REF_DB %d\n#define REF_NQB %d\n" % (nb, db, len(Qb))
out += carr("ref_xb", Xb) + carr("ref_yb", yb, "int") + carr("ref_qb", Qb)
out += "#define REF_NM %d\n#define REF_NQM %d\n" % (nm, len(Qm))
out += carr("ref_xm", Xm) + carr("ref_ym", ym, "int") + carr("ref_qm", Qm)
out += "#define REF_NR %d\n#define REF_NQR %d\n" % (nr, len(Qr))
out += carr("ref_xr", Xr) + carr("ref_yr", yr) + carr("ref_qr", Qr)

X64 = lambda a: a.astype(np.float64)

# SVC cases: (name, data, lathe params JSON, sklearn kwargs)
svc_cases = [
    ("rbf", "b", '{"kernel":"rbf","C":1}', dict(kernel="rbf", C=1.0, gamma="scale")),
    ("rbf_c10_g05", "b", '{"kernel":"rbf","C":10,"gamma":0.5}', dict(kernel="rbf", C=10.0, gamma=0.5)),
    ("linear", "b", '{"kernel":"linear","C":0.5}', dict(kernel="linear", C=0.5)),
    ("poly", "b", '{"kernel":"poly","C":1,"gamma":0.5,"degree":3,"coef0":1}',
     dict(kernel="poly", C=1.0, gamma=0.5, degree=3, coef0=1.0)),
    ("sigmoid", "b", '{"kernel":"sigmoid","C":1,"gamma":0.1,"coef0":-0.5}',
     dict(kernel="sigmoid", C=1.0, gamma=0.1, coef0=-0.5)),
    ("balanced", "b", '{"kernel":"rbf","C":2,"class_weight":"balanced"}',
     dict(kernel="rbf", C=2.0, class_weight="balanced")),
    ("ovo", "m", '{"kernel":"rbf","C":1}', dict(kernel="rbf", C=1.0)),
    ("ovo_linear", "m", '{"kernel":"linear","C":1}', dict(kernel="linear", C=1.0)),
]
names = []
for name, which, params, kw in svc_cases:
    X, y, Q = (Xb, yb, Qb) if which == "b" else (Xm, ym, Qm)
    for tolname, tol in (("tight", 1e-7), ("dflt", 1e-3)):
        m = SVC(tol=tol, decision_function_shape="ovo", **kw).fit(X64(X), y)
        dec = m.decision_function(X64(Q))
        icpt = m.intercept_.copy()
        if len(m.classes_) == 2:
            dec, icpt = -dec, -icpt
        tag = "svc_%s_%s" % (name, tolname)
        out += "/* %s: SVC(tol=%g, %s) */\n" % (tag, tol, ", ".join("%s=%r" % kv for kv in kw.items()))
        out += carr("ref_%s_nsv" % tag, m.n_support_, "int")
        out += carr("ref_%s_icpt" % tag, icpt, "double")
        out += carr("ref_%s_dec" % tag, dec, "double")
        if kw["kernel"] == "linear" and len(m.classes_) == 2:
            out += carr("ref_%s_w" % tag, -m.coef_, "double")
    names.append((name, which, params))
out += "typedef struct ref_svc_case { const char *name, *params; int multi;\n" \
       "  const int *nsv[2]; const double *icpt[2], *dec[2]; } ref_svc_case;\n"
out += "static const ref_svc_case ref_svc_cases[] = {\n"
for name, which, params in names:
    t, d = "ref_svc_%s_tight" % name, "ref_svc_%s_dflt" % name
    out += '    {"%s", "%s", %d, {%s_nsv, %s_nsv}, {%s_icpt, %s_icpt}, {%s_dec, %s_dec}},\n' % (
        name, params.replace('"', '\\"'), which == "m", t, d, t, d, t, d)
out += "};\n"

# SVR on sin(x)
for name, kw in (("rbf", dict(kernel="rbf", C=1.0, epsilon=0.1)),
                 ("rbf_c10", dict(kernel="rbf", C=10.0, epsilon=0.05, gamma=0.5)),
                 ("linear", dict(kernel="linear", C=1.0, epsilon=0.2))):
    for tolname, tol in (("tight", 1e-7), ("dflt", 1e-3)):
        m = SVR(tol=tol, **kw).fit(X64(Xr), yr)
        tag = "svr_%s_%s" % (name, tolname)
        out += "/* %s: SVR(tol=%g, %s) */\n" % (tag, tol, ", ".join("%s=%r" % kv for kv in kw.items()))
        out += "static const int ref_%s_nsv = %d;\n" % (tag, m.support_.size)
        out += "static const double ref_%s_icpt = %.17g;\n" % (tag, m.intercept_[0])
        out += carr("ref_%s_pred" % tag, m.predict(X64(Qr)), "double")

# LinearSVC: exact minimisers (tol 1e-10) and the defaults
for name, which, kw in (("sq", "b", dict(C=1.0)),
                        ("hinge", "b", dict(C=0.5, loss="hinge")),
                        ("bal", "b", dict(C=1.0, class_weight="balanced")),
                        ("noint", "b", dict(C=1.0, fit_intercept=False)),
                        ("ovr", "m", dict(C=1.0)),
                        ("ovr_bal", "m", dict(C=0.3, class_weight="balanced"))):
    X, y = (Xb, yb) if which == "b" else (Xm, ym)
    for tolname, tol in (("tight", 1e-10), ("dflt", 1e-4)):
        m = LinearSVC(tol=tol, max_iter=1000000 if tolname == "tight" else 1000, dual=True,
                      random_state=0, **kw).fit(X64(X), y)
        tag = "lin_%s_%s" % (name, tolname)
        out += "/* %s: LinearSVC(tol=%g, %s) */\n" % (tag, tol, ", ".join("%s=%r" % kv for kv in kw.items()))
        out += carr("ref_%s_coef" % tag, m.coef_, "double")
        out += carr("ref_%s_icpt" % tag, np.atleast_1d(m.intercept_), "double")

header("svm_ref.h", "svm_ref.py", out)
print("binary classes", np.bincount(yb))
