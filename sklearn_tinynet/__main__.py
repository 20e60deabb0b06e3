"""``python -m sklearn_tinynet``: the demo, or the CSV command line (``--help``)."""

import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import TinyNetClassifier, __version__, tutorial

DIGIT_NAMES = np.array(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)
TRASK_URL = "https://iamtrask.github.io/2015/07/12/basic-python-network/"
CAVAR_URL = (
    "https://github.com/dcavar/python-tutorial-notebooks/blob/master/"
    "notebooks/Backpropagation.ipynb"
)


def reproduce_trask():
    print("Trask's 2-layer network: output after training")
    print(f"  ({TRASK_URL})")
    clf = tutorial.tutorial_classifier(
        tutorial.TRASK_UPDATES, hidden_layer_sizes=(), init="uniform"
    ).fit(tutorial.X, tutorial.Y_FIRST_COLUMN)
    ours = clf.predict_proba(tutorial.X)[:, 1]
    print(f"  {'X':<12} {'y':>3} {'tutorial':>12} {'TinyNet':>12}")
    for x, y, theirs, mine in zip(
        tutorial.X, tutorial.Y_FIRST_COLUMN, tutorial.TRASK_OUTPUT, ours
    ):
        print(f"  {str(x):<12} {y:>3} {theirs:>12.8f} {mine:>12.8f}")
    return np.max(np.abs(ours / tutorial.TRASK_OUTPUT - 1))


def reproduce_cavar():
    print("\nCavar's 3-layer XOR network: mean |error| every 10,000 updates")
    print(f"  ({CAVAR_URL})")
    clf = tutorial.tutorial_classifier(10_000).set_params(warm_start=True)
    print(f"  {'update':>7} {'tutorial':>14} {'TinyNet':>14}")
    worst = 0.0
    for i, theirs in tutorial.CAVAR_ERRORS.items():
        if i == 0:
            continue  # the initial weights, before any update
        clf.fit(tutorial.X, tutorial.Y_XOR)  # warm start: 10,000 more updates
        mine = np.mean(np.abs(tutorial.Y_XOR - clf.predict_proba(tutorial.X)[:, 1]))
        worst = max(worst, abs(mine / theirs - 1))
        print(f"  {i:>7} {theirs:>14.10f} {mine:>14.10f}")
    clf.fit(tutorial.X, tutorial.Y_XOR)
    print("  hidden weights Wh after 100,000 updates (TinyNet):")
    print("  " + np.array2string(clf.coefs_[0], precision=8).replace("\n", "\n  "))
    worst_wh = np.max(np.abs(clf.coefs_[0] / tutorial.CAVAR_WH - 1))
    return max(worst, worst_wh)


def grid_search_digits():
    print(
        "\nDigits (8x8 images) with string labels: StandardScaler + TinyNetClassifier"
    )
    X, y = load_digits(return_X_y=True)
    labels = DIGIT_NAMES[y]  # 'zero', 'one', ...: labels of any type
    X_train, X_test, y_train, y_test = train_test_split(
        X, labels, test_size=0.25, stratify=labels, random_state=0
    )
    search = GridSearchCV(
        make_pipeline(StandardScaler(), TinyNetClassifier(random_state=0)),
        {
            "tinynetclassifier__hidden_layer_sizes": [(32,), (100,)],
            "tinynetclassifier__alpha": [0.1, 0.3],
        },
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    print_grid(search.cv_results_)
    best = search.best_params_
    print(
        f"  best: hidden_layer_sizes={best['tinynetclassifier__hidden_layer_sizes']}, "
        f"alpha={best['tinynetclassifier__alpha']}, "
        f"CV accuracy {search.best_score_:.4f}"
    )
    print(f"  held-out accuracy: {search.score(X_test, y_test):.4f}")
    print_predictions(y_test[:8], search.predict(X_test[:8]))
    print(f"  grid search time: {elapsed:.1f} s (5 folds x 4 candidates, then a refit)")
    print(
        "\nMore: the tutorials, the user guide and the gallery are in docs/ "
        "(sphinx-build docs docs/_build/html)."
    )
    return search.best_score_


def print_grid(results):
    """One line per candidate: its CV accuracy and its mean fit time per fold."""
    print(
        f"  {'hidden':>8} {'alpha':>6} {'CV accuracy':>14} {'mean fit s per fold':>20}"
    )
    for params, mean, std, fit_time in zip(
        results["params"],
        results["mean_test_score"],
        results["std_test_score"],
        results["mean_fit_time"],
    ):
        hidden = str(params["tinynetclassifier__hidden_layer_sizes"])
        alpha = params["tinynetclassifier__alpha"]
        print(f"  {hidden:>8} {alpha:>6} {mean:>8.4f} ± {std:.3f} {fit_time:>20.2f}")


def print_predictions(truth, predicted):
    """The first held-out images' labels and the best model's predictions."""
    print("  first held-out images, true label -> predicted:")
    for true, guess in zip(truth, predicted):
        mark = "" if true == guess else "  (wrong)"
        print(f"    {true:>6} -> {guess}{mark}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from ._cli import main as command_line

        return command_line(argv)
    print(f"sklearn-tinynet {__version__}\n")
    trask = reproduce_trask()
    cavar = reproduce_cavar()
    print(
        f"\nLargest relative difference from the tutorials' printed figures: "
        f"{max(trask, cavar):.1e}"
    )
    grid_search_digits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
