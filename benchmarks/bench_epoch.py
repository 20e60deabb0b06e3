"""Time per full-batch epoch: TinyNetClassifier against MLPClassifier and bare BLAS.

For every shape (n, d, h, k) and dtype, in one process, with repeats
interleaved, this measures the median time of:

- an epoch of ``TinyNetClassifier(solver='gd', momentum=0)``;
- an epoch of ``MLPClassifier(solver='sgd', batch_size=n, momentum=0,
  shuffle=False, activation='logistic')``, the same algorithm (baseline);
- the epoch's five matrix products alone, same shapes and BLAS (roofline),
  once on the whole arrays and once over the same blocks of rows and threads
  as TinyNetClassifier (roofline_blocked, the tighter bound).

An epoch's time is (fit of 1 + E updates - fit of 1 update) / E, which leaves
out the validation and set-up both estimators do once per fit. It also fits
the log-log slope of the epoch time against n, h and d.

    python benchmarks/bench_epoch.py            # full run, several minutes
    python benchmarks/bench_epoch.py --quick    # n up to 1e5, fewer repeats
"""

import argparse

import numpy as np
from _common import RESULTS, median_times, print_table, quietly, write_json
from sklearn.neural_network import MLPClassifier

from sklearn_tinynet import TinyNetClassifier, _engine

SHAPES = {"main": (100, 100, 10), "narrow": (10, 16, 2), "wide": (784, 256, 10)}


def make_data(n, d, k, dtype, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)).astype(dtype)
    y = rng.randint(0, k, size=n)
    return X, y


def tiny(h, n_updates, n_jobs=None):
    return TinyNetClassifier(
        (h,),
        solver="gd",
        momentum=0.0,
        learning_rate_init=0.1,
        max_iter=n_updates,
        tol=0.0,
        n_jobs=n_jobs,
        random_state=0,
    )


def mlp(h, n, n_updates):
    return MLPClassifier(
        (h,),
        activation="logistic",
        solver="sgd",
        batch_size=n,
        momentum=0.0,
        shuffle=False,
        learning_rate_init=0.1,
        max_iter=n_updates,
        tol=0.0,
        n_iter_no_change=n_updates + 1,
        random_state=0,
    )


def matmuls(X, h, k, n_epochs):
    """The five matrix products of n_epochs epochs of a (d, h, k) network."""
    rng = np.random.RandomState(0)
    W1 = rng.normal(size=(X.shape[1], h)).astype(X.dtype)
    W2 = rng.normal(size=(h, k)).astype(X.dtype)

    def run():
        for _ in range(n_epochs):
            A = X @ W1  # forward, hidden
            Z = A @ W2  # forward, output
            A.T @ Z  # gradient of W2
            dA = Z @ W2.T  # backprop to the hidden layer
            X.T @ dA  # gradient of W1

    return run


def blocked_matmuls(X, h, k, n_epochs, block_rows, n_threads):
    """The same products over blocks of rows, one BLAS thread per worker thread.

    The tightest bound for a blocked, threaded epoch: what TinyNetClassifier
    would take if everything but the matrix products were free.
    """
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    rng = np.random.RandomState(0)
    W1 = rng.normal(size=(X.shape[1], h)).astype(X.dtype)
    W2 = rng.normal(size=(h, k)).astype(X.dtype)
    starts = list(range(0, X.shape[0], block_rows))

    def work(thread):
        g1, g2 = np.zeros_like(W1), np.zeros_like(W2)
        for start in starts[thread::n_threads]:
            Xb = X[start : start + block_rows]
            A = Xb @ W1
            Z = A @ W2
            g2 += A.T @ Z
            dA = Z @ W2.T
            g1 += Xb.T @ dA
        return g1, g2

    def run():
        with ThreadPoolExecutor(n_threads) as pool, threadpool_limits(1, "blas"):
            for _ in range(n_epochs):
                list(pool.map(work, range(n_threads)))

    return run


def measure(n, d, h, k, dtype, epochs, repeats, with_mlp=True):
    epochs = epochs or int(np.clip(1_000_000 // n, 3, 30))
    X, y = make_data(n, d, k, dtype)
    candidates = {
        "tiny_1": lambda: quietly(tiny(h, 1).fit, X, y),
        "tiny_E": lambda: quietly(tiny(h, 1 + epochs).fit, X, y),
        "matmul": matmuls(X, h, k, epochs),
        "matmul_blocked": blocked_matmuls(
            X,
            h,
            k,
            epochs,
            _engine.rows_per_block(n, [d, h, k]),
            _engine.effective_n_threads(None),
        ),
    }
    if with_mlp:
        candidates["mlp_1"] = lambda: quietly(mlp(h, n, 1).fit, X, y)
        candidates["mlp_E"] = lambda: quietly(mlp(h, n, 1 + epochs).fit, X, y)
    t = median_times(candidates, repeats)
    row = {
        "n": n,
        "d": d,
        "h": h,
        "k": k,
        "dtype": np.dtype(dtype).name,
        "epochs": epochs,
        "tiny_epoch_s": max(t["tiny_E"] - t["tiny_1"], 1e-9) / epochs,
        "matmul_epoch_s": t["matmul"] / epochs,
    }
    row["matmul_blocked_epoch_s"] = t["matmul_blocked"] / epochs
    row["roofline"] = row["matmul_epoch_s"] / row["tiny_epoch_s"]
    row["roofline_blocked"] = row["matmul_blocked_epoch_s"] / row["tiny_epoch_s"]
    if with_mlp:
        row["mlp_epoch_s"] = max(t["mlp_E"] - t["mlp_1"], 1e-9) / epochs
        row["mlp_over_tiny"] = row["mlp_epoch_s"] / row["tiny_epoch_s"]
    return row


def slope(xs, ys):
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n <= 1e5, 3 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--epochs",
        type=int,
        default=0,
        help="E, epochs per timed fit; 0 (default) picks 1e6 / n within [3, 30]",
    )
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    ns_main = [1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])

    rows = []
    for dtype in (np.float32, np.float64):
        for name, (d, h, k) in SHAPES.items():
            ns = ns_main if name == "main" else [1_000, 100_000]
            for n in ns:
                # the baseline's n=1e6 epochs take seconds each: fewer repeats
                r = 3 if n >= 1_000_000 else repeats
                row = {"shape": name, **measure(n, d, h, k, dtype, args.epochs, r)}
                rows.append(row)
                print_table([row], list(row))

    scaling = {}
    d, h, k = SHAPES["main"]
    for dtype in (np.float32, np.float64):
        dt = np.dtype(dtype).name
        main_rows = [r for r in rows if r["shape"] == "main" and r["dtype"] == dt]
        big = [r for r in main_rows if r["n"] >= 10_000]
        scaling[f"n_{dt}"] = slope(
            [r["n"] for r in big], [r["tiny_epoch_s"] for r in big]
        )
        # cost in h and d: 5 epochs, 3 repeats, without the baseline
        hs = [50, 100, 200, 400]
        by_h = [measure(50_000, d, hh, k, dtype, 5, 3, False) for hh in hs]
        scaling[f"h_{dt}"] = slope(hs, [r["tiny_epoch_s"] for r in by_h])
        ds = [50, 100, 200, 400]
        by_d = [measure(50_000, dd, h, k, dtype, 5, 3, False) for dd in ds]
        scaling[f"d_{dt}"] = slope(ds, [r["tiny_epoch_s"] for r in by_d])

    print(
        "\nEpoch time, TinyNetClassifier vs MLPClassifier (ratio > 1: TinyNet faster)"
    )
    columns = [
        "shape",
        "dtype",
        "n",
        "tiny_epoch_s",
        "mlp_epoch_s",
        "mlp_over_tiny",
        "matmul_epoch_s",
        "roofline",
        "roofline_blocked",
    ]
    print_table(rows, columns)
    print("\nlog-log slope of epoch time (1 = linear):")
    print_table([{k: round(v, 3) for k, v in scaling.items()}], list(scaling))
    path = write_json("epoch", {"args": vars(args), "rows": rows, "slopes": scaling})
    print(f"\nwrote {path}")
    if not args.no_plot:
        plot(rows)


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, dtype in zip(axes, ("float32", "float64")):
        main = [r for r in rows if r["shape"] == "main" and r["dtype"] == dtype]
        ns = [r["n"] for r in main]
        for key, label in [
            ("tiny_epoch_s", "TinyNetClassifier"),
            ("mlp_epoch_s", "MLPClassifier (sgd, full batch)"),
            ("matmul_epoch_s", "matrix products alone"),
        ]:
            ax.loglog(ns, [r[key] for r in main], "o-", label=label)
        ax.set_title(f"epoch time, d=100 h=100 k=10, {dtype}")
        ax.set_xlabel("n_samples")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds per epoch (median)")
    axes[0].legend()
    fig.tight_layout()
    path = RESULTS / "epoch.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
