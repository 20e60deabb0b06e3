"""Memory of ``python -m sklearn_tinynet fit`` on a large CSV, as a multiple of
the file's size, stage by stage, against earlier versions of the package.

A CSV of random numbers (``--rows`` x ``--features``, 9 significant digits,
and a label column of ``--classes`` classes) is written to a temporary folder,
with a copy of its first 100 rows. Each version runs ``fit --cv 2 --max-iter
20`` (the estimator's default layer) in fresh processes:

- whole command: the peak resident memory (``ru_maxrss``) on the large file
  minus that on the 100 rows, read by a small parent process that does
  nothing else; what the file's size adds, imports and the interpreter left
  out;
- stages: the command in one process whose steps are wrapped to mark where
  each stage begins. At each mark the kernel's high-water mark of resident
  memory is read and reset (``/proc/self/clear_refs``), so each stage's peak
  is its own. A stage's figure is its peak above the resident memory before
  the file is read, the largest over its passes (one per fold):

  parse    read_table: pandas reads the CSV
  encode   the task, missing values, labels to classes, the float32 block
  folds    the splitter, a fold's rows (``X.iloc[train]``, ``X.iloc[test]``)
  scaler   StandardScaler.fit_transform of a fold's training rows
  fit      the network's fit
  scoring  Pipeline.score of the fold's test rows: transform, predict, accuracy

The baselines are the package at ``--baseline`` commits, exported with ``git
archive``. Linux only (``/proc``).

    python benchmarks/bench_cli_memory.py                  # about 3 minutes
    python benchmarks/bench_cli_memory.py --rows 100000    # a quick look
"""

import argparse
import functools
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
from _common import print_table, write_json

ROOT = Path(__file__).resolve().parent.parent
BASELINES = {
    "edffb7f": "before predictions in blocks",
    "234cd0d": "predictions in blocks, whole-file parse",
}
STAGES = ["parse", "encode", "folds", "scaler", "fit", "scoring"]
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


def _run(command, package_root, folder):
    env = {"PYTHONPATH": str(package_root), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=folder, check=True
    )
    return out.stdout


def peak_rss(package_root, argv, folder):
    """Peak RSS (bytes) of ``python -m sklearn_tinynet *argv`` in ``folder``."""
    command = [sys.executable, "-c", MEASURE, str(folder), sys.executable]
    out = _run([*command, "-m", "sklearn_tinynet", *argv], package_root, folder)
    kilobytes, code = map(int, out.split())
    if code != 0:
        raise RuntimeError(f"{argv} exited with {code}")
    return kilobytes * 1024


def stage_peaks(package_root, argv, folder):
    """{stage: peak bytes above the RSS before parsing}, in a fresh process."""
    out = _run([sys.executable, __file__, "--child", *argv], package_root, folder)
    return {stage: int(peak) for stage, peak in map(str.split, out.splitlines())}


# ------------------------------------------------------------ in the child


def _status(key):
    """A line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) * 1024


class Stages:
    """Marks where each stage begins; keeps each stage's peak RSS."""

    def __init__(self):
        self.stage, self.base, self.peaks = None, None, {}

    def mark(self, stage):
        if self.stage is not None:
            peak = _status("VmHWM:")
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), peak)
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # the high-water mark restarts at the current RSS
        if self.base is None:
            self.base = _status("VmRSS:")
        self.stage = stage

    def wrap(self, owner, name, enter, leave):
        """``owner.name`` marks ``enter`` when called and ``leave`` on return."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def marked(*args, **kwargs):
            self.mark(enter)
            try:
                return original(*args, **kwargs)
            finally:
                self.mark(leave)

        setattr(owner, name, marked)


def child(argv):
    """Run the command line on ``argv``; print each stage's peak (bytes)."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor, _cli

    stages = Stages()
    # _load_training_data calls read_table: encode starts, parse, encode again
    stages.wrap(_cli, "_load_training_data", "encode", "folds")
    stages.wrap(_cli, "read_table", "parse", "encode")
    stages.wrap(StandardScaler, "fit_transform", "scaler", "fit")
    for network in (TinyNetClassifier, TinyNetRegressor):
        stages.wrap(network, "fit", "fit", "folds")
    stages.wrap(Pipeline, "score", "scoring", "folds")
    stages.wrap(_cli, "_skops_io", "save", "save")
    with open(_cli.os.devnull, "w") as quiet:
        sys.stdout, sys.stderr = quiet, quiet
        code = _cli.main(argv)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    if code != 0:
        raise SystemExit(f"{argv} exited with {code}")
    stages.mark(None)
    for stage, peak in stages.peaks.items():
        print(stage, peak - stages.base)


# ------------------------------------------------------------------ parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--baseline", nargs="*", default=list(BASELINES), help="commits to compare"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        size = write_csv(tmp / "data.csv", args.rows, args.features, args.classes)
        with open(tmp / "data.csv") as full, open(tmp / "small.csv", "w") as small:
            small.writelines(line for _, line in zip(range(101), full))
        versions = {"this version": ROOT}
        for commit in args.baseline:
            versions[commit[:7]] = export(commit, tmp / commit)
        argv = ["--target", "label", "--cv", "2", "--max-iter", str(args.max_iter)]
        peaks = {name: {"whole command": []} for name in versions}
        for _ in range(args.repeats):  # interleaved
            for name, package_root in versions.items():
                big = peak_rss(package_root, ["fit", "data.csv", *argv], tmp)
                small = peak_rss(package_root, ["fit", "small.csv", *argv], tmp)
                peaks[name]["whole command"].append(big - small)
                stages = stage_peaks(package_root, ["fit", "data.csv", *argv], tmp)
                for stage, peak in stages.items():
                    peaks[name].setdefault(stage, []).append(peak)
    medians = {
        name: {stage: float(np.median(p)) for stage, p in by_stage.items()}
        for name, by_stage in peaks.items()
    }
    rows = []
    for stage in [*STAGES, "whole command"]:
        row = {"stage": stage}
        for name in versions:
            row[f"{name} MB"] = medians[name][stage] / 1e6
            row[f"{name} x file"] = medians[name][stage] / size
        rows.append(row)
    print(
        f"CSV: {args.rows} rows x {args.features} features + a label, "
        f"{size / 1e6:.0f} MB; fit {' '.join(argv)}"
    )
    for name in args.baseline:
        print(f"  {name[:7]}: {BASELINES.get(name, name)}")
    print("stages: peak RSS above that before parsing; whole command: peak RSS")
    print(f"  on {args.rows} rows minus that on 100 (median of {args.repeats})")
    print_table(rows, list(rows[0]))
    path = write_json(
        "cli_memory",
        {
            "args": vars(args),
            "pandas": version("pandas"),
            "csv_MB": size / 1e6,
            "rows": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
