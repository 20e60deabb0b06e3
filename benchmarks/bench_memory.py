"""Extra peak memory of fit and predict beyond X, as a multiple of X.nbytes.

Peak memory is read with tracemalloc, which sees every numpy allocation made
after X exists (BLAS's own fixed buffers are not counted, on either side).
Fit: each estimator runs 2 full-batch epochs on the same float32 X, against
MLPClassifier. Predict: ``predict_proba`` and ``predict`` of a fitted
network with the default ``(100,)`` layer on ``--predict-d`` float64
features (10) and ``--predict-k`` classes (2), against MLPClassifier's, on
the same n rows. The output itself (n x classes) counts in the peak.

    python benchmarks/bench_memory.py              # n = 1e6
    python benchmarks/bench_memory.py --n 100000
"""

import argparse
import gc
import tracemalloc

import numpy as np
from _common import RESULTS, print_table, quietly, write_json
from sklearn.neural_network import MLPClassifier

from sklearn_tinynet import TinyNetClassifier


def peak_extra_bytes(fit, X, y):
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    model = quietly(fit, X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del model
    return peak - before


def predict_memory(n, d, k):
    """Extra peak of predict_proba and predict, fitted on 2,000 of the rows."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(n, d))
    y = rng.randint(0, k, size=n)
    fitted = {
        "TinyNetClassifier()": TinyNetClassifier(max_iter=5, random_state=0),
        "MLPClassifier()": MLPClassifier(max_iter=5, random_state=0),
    }
    rows = []
    for name, model in fitted.items():
        quietly(model.fit, X[:2000], y[:2000])
        for method in ("predict_proba", "predict"):
            predict = getattr(model, method)
            extra = peak_extra_bytes(lambda X_, _y, f=predict: f(X_), X, y)
            rows.append(
                {
                    "estimator": name,
                    "method": method,
                    "extra_peak_MB": extra / 1e6,
                    "extra_over_X": extra / X.nbytes,
                }
            )
            print_table(rows[-1:], list(rows[-1]))
    del X
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--h", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--predict-d", type=int, default=10)
    parser.add_argument("--predict-k", type=int, default=2)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    predict_rows = predict_memory(args.n, args.predict_d, args.predict_k)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.n, args.d)).astype(np.float32)
    y = rng.randint(0, args.k, size=args.n)

    estimators = {
        "TinyNetClassifier(solver='gd')": TinyNetClassifier(
            (args.h,), solver="gd", momentum=0.0, max_iter=2, tol=0.0, random_state=0
        ),
        "TinyNetClassifier(solver='lbfgs')": TinyNetClassifier(
            (args.h,), solver="lbfgs", max_iter=2, tol=0.0, random_state=0
        ),
        "MLPClassifier(solver='sgd', batch_size=n)": MLPClassifier(
            (args.h,),
            activation="logistic",
            solver="sgd",
            batch_size=args.n,
            momentum=0.0,
            shuffle=False,
            max_iter=2,
            random_state=0,
        ),
    }
    rows = []
    for name, estimator in estimators.items():
        extra = peak_extra_bytes(estimator.fit, X, y)
        rows.append(
            {
                "estimator": name,
                "extra_peak_MB": extra / 1e6,
                "extra_over_X": extra / X.nbytes,
            }
        )
        print_table(rows[-1:], list(rows[-1]))
    print(f"\nX: {args.n} x {args.d} float32 = {X.nbytes / 1e6:.0f} MB")
    print_table(rows, list(rows[0]))
    print(
        f"\npredict, X: {args.n} x {args.predict_d} float64, "
        f"{args.predict_k} classes (the output is part of the peak)"
    )
    print_table(predict_rows, list(predict_rows[0]))
    path = write_json(
        "memory",
        {
            "args": vars(args),
            "X_MB": X.nbytes / 1e6,
            "rows": rows,
            "predict_rows": predict_rows,
        },
    )
    print(f"wrote {path}")
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3))
        ax.barh([r["estimator"] for r in rows], [r["extra_over_X"] for r in rows])
        ax.set_xlabel("extra peak memory of fit / X.nbytes")
        ax.set_title(f"n={args.n}, d={args.d}, h={args.h}, k={args.k}, float32")
        fig.tight_layout()
        fig.savefig(RESULTS / "memory.png", dpi=100)
        print(f"wrote {RESULTS / 'memory.png'}")


if __name__ == "__main__":
    main()
