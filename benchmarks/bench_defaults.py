"""Time to accuracy with default parameters, against MLPClassifier's defaults.

On scikit-learn's bundled digits, breast_cancer and wine, each estimator sits
in a StandardScaler pipeline and is scored by 5-fold stratified, shuffled
cross-validation (the same folds for all). Reported: mean accuracy and the
total fit time of the 5 folds (median over interleaved repeats). Candidate
settings considered for the defaults are measured alongside.

    python benchmarks/bench_defaults.py
"""

import argparse
import time

import numpy as np
from _common import RESULTS, median_times, print_table, quietly, write_json
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

DATASETS = {
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
}

CANDIDATES = {
    "MLPClassifier()": MLPClassifier(random_state=0),
    "TinyNetClassifier()": TinyNetClassifier(random_state=0),
    "(100,), alpha=1e-4 (MLP's)": TinyNetClassifier((100,), alpha=1e-4, random_state=0),
    "(32,), alpha=1.0": TinyNetClassifier((32,), alpha=1.0, random_state=0),
    "(64,), alpha=0.1": TinyNetClassifier((64,), alpha=0.1, random_state=0),
    "(32,), alpha=0.5, solver='gd'": TinyNetClassifier(
        (32,), alpha=0.5, solver="gd", random_state=0
    ),
}


def cross_validate(estimator, X, y, folds):
    """Mean accuracy and total fit time over the folds."""
    scores, fit_time = [], 0.0
    for train, test in folds:
        model = make_pipeline(StandardScaler(), clone(estimator))
        start = time.perf_counter()
        quietly(model.fit, X[train], y[train])
        fit_time += time.perf_counter() - start
        scores.append(model.score(X[test], y[test]))
    return float(np.mean(scores)), fit_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    rows = []
    for data_name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        accuracy = {}

        def run(name, X=X, y=y, folds=folds, accuracy=accuracy):
            def fit_all():
                accuracy[name] = cross_validate(CANDIDATES[name], X, y, folds)[0]

            return fit_all

        times = median_times({name: run(name) for name in CANDIDATES}, args.repeats)
        for name in CANDIDATES:
            rows.append(
                {
                    "dataset": data_name,
                    "estimator": name,
                    "cv_accuracy": accuracy[name],
                    "fit_time_s": times[name],
                }
            )
    print_table(rows, ["dataset", "estimator", "cv_accuracy", "fit_time_s"])

    summary = []
    for name in CANDIDATES:
        ours = [r for r in rows if r["estimator"] == name]
        base = [r for r in rows if r["estimator"] == "MLPClassifier()"]
        summary.append(
            {
                "estimator": name,
                "worst_accuracy_gap_points": min(
                    100 * (a["cv_accuracy"] - b["cv_accuracy"])
                    for a, b in zip(ours, base)
                ),
                "total_fit_time_s": sum(r["fit_time_s"] for r in ours),
                "time_over_mlp": sum(r["fit_time_s"] for r in ours)
                / sum(r["fit_time_s"] for r in base),
            }
        )
    print("\nAgainst MLPClassifier() (gap: accuracy points, worst dataset)")
    print_table(summary, list(summary[0]))
    path = write_json(
        "defaults", {"args": vars(args), "rows": rows, "summary": summary}
    )
    print(f"wrote {path}")
    if not args.no_plot:
        plot(rows)


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DATASETS), figsize=(12, 3.5))
    for ax, data_name in zip(axes, DATASETS):
        for r in (r for r in rows if r["dataset"] == data_name):
            ax.scatter(r["fit_time_s"], r["cv_accuracy"], label=r["estimator"])
        ax.set_title(data_name)
        ax.set_xscale("log")
        ax.set_xlabel("total fit time of 5 folds (s)")
    axes[0].set_ylabel("5-fold CV accuracy")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(RESULTS / "defaults.png", dpi=100)
    print(f"wrote {RESULTS / 'defaults.png'}")


if __name__ == "__main__":
    main()
