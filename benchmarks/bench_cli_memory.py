"""Peak memory of ``python -m sklearn_tinynet fit`` on a large CSV, as a multiple
of the file's size, against the hand-parsed command line it replaced.

A CSV of random numbers (``--rows`` x ``--features``, 9 significant digits,
and a label column of ``--classes`` classes) is written to a temporary folder.
Each command line runs ``fit --cv 2 --hidden 8 --save`` on it in a fresh
process; its peak resident memory is ``ru_maxrss`` of that process, read by a
small parent process that does nothing else. The baseline is the package at
``--baseline`` (a git commit), exported with ``git archive``; it has no
``--max-iter``, so it trains to its default 200 iterations.

    python benchmarks/bench_cli_memory.py                  # about 210 MB
    python benchmarks/bench_cli_memory.py --rows 100000    # a quick look
"""

import argparse
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
from _common import print_table, write_json

ROOT = Path(__file__).resolve().parent.parent
# the last commit with the hand-parsed command line (csv.reader, float64 lists)
BASELINE = "c304e7c0bdee152dc30151fc4d632023eed765ea"
# runs argv in a child and prints the child's peak RSS in kB (Linux ru_maxrss)
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[2:], cwd=sys.argv[1], "
    "stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def write_csv(path, rows, features, classes, chunk=100_000):
    rng = np.random.default_rng(0)
    header = ",".join([f"x{j}" for j in range(features)] + ["label"])
    with open(path, "w") as f:
        f.write(header + "\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            X = rng.normal(size=(n, features))
            labels = np.char.add("c", rng.integers(0, classes, n).astype(str))
            table = np.column_stack([np.char.mod("%.9g", X), labels])
            f.write("\n".join(",".join(row) for row in table) + "\n")
    return path.stat().st_size


def export(commit, folder):
    """The package at ``commit``, as a folder to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "sklearn_tinynet"],
        capture_output=True,
        check=True,
    ).stdout
    folder.mkdir()
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def peak_rss(package_root, argv, folder):
    """Peak RSS (bytes) of ``python -m sklearn_tinynet *argv`` in ``folder``."""
    command = [sys.executable, "-c", MEASURE, str(folder), sys.executable]
    command += ["-m", "sklearn_tinynet", *argv]
    env = {"PYTHONPATH": str(package_root), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    kilobytes, code = map(int, out.stdout.split())
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}: {out.stderr}")
    return kilobytes * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        size = write_csv(tmp / "data.csv", args.rows, args.features, args.classes)
        common = ["fit", "data.csv", "--target", "label", "--cv", "2"]
        common += ["--hidden", "8", "--save", "model.skops"]
        runs = {
            "pandas read_csv (float32)": (
                ROOT,
                [*common, "--max-iter", str(args.max_iter)],
            ),
            f"csv.reader ({args.baseline[:7]})": (
                export(args.baseline, tmp / "baseline"),
                common,
            ),
        }
        peaks = {name: [] for name in runs}
        for _ in range(args.repeats):  # interleaved
            for name, (package_root, argv) in runs.items():
                peaks[name].append(peak_rss(package_root, argv, tmp))
    rows = [
        {
            "command line": name,
            "peak_RSS_MB": float(np.median(p)) / 1e6,
            "peak_over_file": float(np.median(p)) / size,
        }
        for name, p in peaks.items()
    ]
    print(f"CSV: {args.rows} rows x {args.features} features, {size / 1e6:.0f} MB")
    print_table(rows, list(rows[0]))
    path = write_json(
        "cli_memory",
        {
            "args": vars(args),
            "pandas": version("pandas"),
            "skops": version("skops"),
            "csv_MB": size / 1e6,
            "rows": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
