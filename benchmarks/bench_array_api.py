"""Time per epoch on PyTorch (CPU, and CUDA where there is one) against numpy.

The same ``TinyNetClassifier(solver='gd')`` is fitted on numpy arrays (the
baseline) and, with ``sklearn.config_context(array_api_dispatch=True)``, on
torch tensors; an epoch's time is (fit of 1 + E updates - fit of 1) / E,
medians of interleaved repeats. Needs torch and SCIPY_ARRAY_API=1, which this
script sets before anything imports scipy.

    python benchmarks/bench_array_api.py
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse  # noqa: E402

from _common import median_times, print_table, quietly, write_json  # noqa: E402
from bench_epoch import make_data, tiny  # noqa: E402
from sklearn import config_context  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    d, h, k = 100, 100, 10
    rows = []
    for dtype in ("float32", "float64"):
        for n in args.n:
            X, y = make_data(n, d, k, dtype)

            def fit(X_, y_, n_updates):
                clf = tiny(h, n_updates)  # the estimator bench_epoch.py times
                with config_context(array_api_dispatch=True):
                    quietly(clf.fit, X_, y_)
                if getattr(X_, "is_cuda", False):
                    torch.cuda.synchronize()

            candidates = {
                "numpy_1": lambda X=X, y=y: fit(X, y, 1),
                "numpy_E": lambda X=X, y=y: fit(X, y, 1 + args.epochs),
            }
            for device in devices:
                X_t = torch.asarray(X, device=device)
                y_t = torch.asarray(y, device=device)
                candidates[f"{device}_1"] = lambda X_t=X_t, y_t=y_t: fit(X_t, y_t, 1)
                candidates[f"{device}_E"] = lambda X_t=X_t, y_t=y_t: fit(
                    X_t, y_t, 1 + args.epochs
                )
            t = median_times(candidates, args.repeats)
            numpy_epoch = (t["numpy_E"] - t["numpy_1"]) / args.epochs
            for device in devices:
                epoch = (t[f"{device}_E"] - t[f"{device}_1"]) / args.epochs
                rows.append(
                    {
                        "dtype": dtype,
                        "n": n,
                        "device": f"torch {device}",
                        "numpy_epoch_s": numpy_epoch,
                        "torch_epoch_s": epoch,
                        "numpy_over_torch": numpy_epoch / epoch,
                    }
                )
                print_table(rows[-1:], list(rows[-1]))
    print("\nEpoch time, numpy over torch (above 1: torch faster), d=h=100, k=10")
    print_table(rows, list(rows[0]))
    path = write_json(
        "array_api", {"args": vars(args), "rows": rows, "torch": torch.__version__}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
