"""Time per iteration on a dask LocalCluster against the in-process threaded engine.

In one process, with fits interleaved (dask, threads, dask, threads, ...):

- the time of one full-batch evaluation (one 'gd' iteration) on a
  ``LocalCluster`` of 2 worker processes x 1 thread, the rows generated on
  the workers with dask's random generator, against ``n_jobs=2`` threads on
  the same 2 cores, the rows generated with numpy (baseline), at n rows x
  100 features in float32, hidden (100,), 10 classes;
- the fixed cost of an evaluation on tiny data against the number of chunks
  (scheduler, task and transfer overhead), and the bytes the client sends
  and receives per evaluation;
- the client's resident memory during a dask fit (peak RSS growth);
- a projection of the time per iteration on 10 and 100 workers at 1e9 rows,
  from a model fitted to these measurements (a model, not a measurement).

    python benchmarks/bench_dask.py            # 1e6 and 1e7 rows, ~15 minutes
    python benchmarks/bench_dask.py --quick    # 1e5 and 1e6 rows
"""

import argparse
import threading
import time

import numpy as np
from _common import RESULTS, print_table, quietly, write_json

from sklearn_tinynet import TinyNetClassifier, _dask, _engine

D, H, K = 100, 100, 10
ROWS_PER_CHUNK = 250_000  # 100 MB of float32 rows per chunk


class EvaluationTimes:
    """Wall time of every ``loss_and_gradient`` call of both engines."""

    def __init__(self):
        self.times = {"dask": [], "threads": []}
        self._originals = {}

    def __enter__(self):
        for name, cls in (("dask", _dask.DaskEngine), ("threads", _engine.LocalEngine)):
            original = cls.loss_and_gradient
            self._originals[cls] = original

            def timed(engine, theta, original=original, name=name):
                start = time.perf_counter()
                result = original(engine, theta)
                self.times[name].append(time.perf_counter() - start)
                return result

            cls.loss_and_gradient = timed
        return self

    def __exit__(self, *exc_info):
        for cls, original in self._originals.items():
            cls.loss_and_gradient = original


class PeakRSS:
    """Peak growth of this process's resident memory, sampled every 10 ms."""

    def __enter__(self):
        import psutil

        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc_info):
        self.running = False
        self.thread.join()
        self.growth = self.peak - self.start


def gd(n_iter, n_jobs=None):
    return TinyNetClassifier(
        (H,),
        solver="gd",
        momentum=0.0,
        learning_rate_init=0.1,
        max_iter=n_iter,
        tol=0.0,
        n_jobs=n_jobs,
        random_state=0,
    )


def dask_data(n, chunk_rows, dtype=np.float32, d=D):
    import dask.array as da

    rng = da.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=dtype, chunks=(chunk_rows, d))
    y = rng.integers(0, K, n, chunks=chunk_rows)
    return X.persist(), y.persist()


def per_iteration(n, n_iter, repeats):
    """Median seconds per evaluation: dask cluster vs threads, interleaved."""
    from distributed import wait

    Xd, yd = dask_data(n, min(ROWS_PER_CHUNK, n // 8))
    wait([Xd, yd])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, D), dtype=np.float32)
    y = rng.integers(0, K, n)
    rss = []
    with EvaluationTimes() as timing:
        for _ in range(repeats):
            with PeakRSS() as peak:
                quietly(gd(n_iter).fit, Xd, yd)
            rss.append(peak.growth)
            quietly(gd(n_iter, n_jobs=2).fit, X, y)
    t = {name: float(np.median(ts)) for name, ts in timing.times.items()}
    del X, y
    return {
        "n": n,
        "chunks": Xd.numblocks[0],
        "dask_s": t["dask"],
        "threads_s": t["threads"],
        "dask_over_threads": t["dask"] / t["threads"],
        "client_rss_growth_mb": max(rss) / 1e6,
        "client_rss_over_X": max(rss) / Xd.nbytes,
        "X_mb": Xd.nbytes / 1e6,
    }


def overheads(chunk_counts, n_iter, repeats, client):
    """Median seconds per evaluation on tiny data, and bytes per evaluation.

    Fits of each number of chunks interleaved, ``repeats`` times.
    """
    rows = 16
    data = {c: dask_data(c * rows, rows, np.float32, d=10) for c in chunk_counts}
    times = {c: [] for c in chunk_counts}
    for _ in range(repeats):
        for c, (Xd, yd) in data.items():
            with EvaluationTimes() as timing:
                clf = quietly(gd_tiny(n_iter).fit, Xd, yd)
            times[c].extend(timing.times["dask"])
    n_params = sum(W.size + b.size for W, b in zip(clf.coefs_, clf.intercepts_))
    n_workers = len(client.scheduler_info()["workers"])
    chunk_ms = 1e3 * chunk_engine_seconds(clf, rows)
    return [
        {
            "chunks": c,
            "overhead_ms": 1e3 * float(np.median(times[c])),
            # of which the chunk engines' own calls, c / n_workers per worker
            "engines_ms": chunk_ms * c / n_workers,
            # theta in each worker's task; losses and gradients back
            "bytes_sent": n_workers * 4 * n_params,
            "bytes_received": c * (4 * n_params + 8),
        }
        for c in chunk_counts
    ]


def chunk_engine_seconds(clf, rows, repeats=200):
    """Median seconds of one tiny chunk's LocalEngine call, in this process."""
    from sklearn_tinynet import _network

    layer_units = [clf.n_features_in_, *clf.hidden_layer_sizes, clf.n_outputs_]
    layout = _engine.ParameterLayout(layer_units, True)
    net = _network.Network("logistic", clf.out_activation_, "log_loss")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, layer_units[0]), dtype=np.float32)
    codes = rng.integers(0, 2, rows)
    weights = np.full(rows, 1 / rows, np.float32)
    engine = _engine.LocalEngine(net, layout, X, codes, weights, block_rows=rows)
    theta = rng.standard_normal(layout.size, dtype=np.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.loss_and_gradient(theta)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def gd_tiny(n_iter):
    return TinyNetClassifier((8,), solver="gd", max_iter=n_iter, tol=0.0)


def projection(rows, overheads, n_rows=10**9, chunks_per_worker=4):
    """Seconds per iteration on W workers x 1 core at 1e9 rows: a model.

    t(W) = c * n_rows / W + o(W) + bytes(W) / bandwidth, with c the measured
    seconds per row on one core (the largest dask run: t * 2 workers / n), o
    the measured fixed overhead of an evaluation, scaled by W / 2 (one task
    per worker), and bytes the gradients of ``chunks_per_worker * W`` chunks
    received by the client at 1 GB/s.
    """
    big = max(rows, key=lambda r: r["n"])
    per_row = big["dask_s"] * 2 / big["n"]
    fixed = float(np.median([o["overhead_ms"] for o in overheads])) / 1e3
    n_params = D * H + H + H * K + K
    out = []
    for workers in (10, 100):
        compute = per_row * n_rows / workers
        scheduling = fixed * workers / 2
        transfer = chunks_per_worker * workers * 4 * n_params / 1e9
        out.append(
            {
                "workers": workers,
                "rows": n_rows,
                "compute_s": compute,
                "overhead_s": scheduling,
                "transfer_s": transfer,
                "total_s": compute + scheduling + transfer,
            }
        )
    return {"per_row_core_s": per_row, "fixed_overhead_s": fixed, "rows": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e5 and 1e6 rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    sizes = [10**5, 10**6] if args.quick else [10**6, 10**7]
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        overhead = overheads((2, 8, 32, 64, 128), 10, args.repeats, client)
        print("\nFixed cost of an evaluation (tiny data) against chunks")
        print_table(overhead, list(overhead[0]))
        rows = []
        for n in sizes:
            n_iter = 4 if n <= 10**6 else 2
            rows.append(per_iteration(n, n_iter, args.repeats))
            print_table(rows[-1:], list(rows[-1]))
    model = projection(rows, overhead)
    print(f"\nTime per iteration, {D} features, hidden ({H},), {K} classes, float32")
    print("2 workers x 1 thread (dask) against 2 threads in process (baseline)")
    print_table(rows, list(rows[0]))
    print("\nProjection at 1e9 rows (a model fitted to the above, not a measurement)")
    print_table(model["rows"], list(model["rows"][0]))
    payload = {"args": vars(args), "rows": rows, "overhead": overhead}
    path = write_json("dask", {**payload, "projection": model})
    print(f"\nwrote {path}")
    if not args.no_plot:
        plot(rows, overhead)


def plot(rows, overheads):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ns = [r["n"] for r in rows]
    left.loglog(ns, [r["dask_s"] for r in rows], "o-", label="dask, 2 workers x 1")
    left.loglog(ns, [r["threads_s"] for r in rows], "o-", label="threads, n_jobs=2")
    left.set_xlabel("rows")
    left.set_ylabel("seconds per iteration (median)")
    left.set_title(f"d={D} h={H} k={K}, float32")
    left.legend()
    chunks = [o["chunks"] for o in overheads]
    right.semilogx(chunks, [o["overhead_ms"] for o in overheads], "o-", base=2)
    right.set_xlabel("chunks")
    right.set_ylabel("ms per evaluation, tiny data")
    right.set_title("fixed cost per iteration")
    right.set_ylim(bottom=0)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = RESULTS / "dask.png"
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
