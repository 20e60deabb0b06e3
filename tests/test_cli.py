"""The command line: python -m sklearn_tinynet fit / predict on CSV files."""

import csv
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris

from sklearn_tinynet.__main__ import main

pytest.importorskip("skops", reason="saving models needs skops")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def iris_csv(tmp_path):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    rows = [[*map(str, x), label] for x, label in zip(X, names)]
    return write_csv(tmp_path / "iris.csv", header, rows)


def test_fit_cross_validates_saves_and_predicts(iris_csv, tmp_path, capsys):
    model = tmp_path / "model.skops"
    assert (
        main(
            [
                "fit",
                str(iris_csv),
                "--target",
                "species",
                "--cv",
                "3",
                "--hidden",
                "8,4",
                "--save",
                str(model),
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    table = [line.split() for line in out.out.splitlines()[1:4]]
    assert [row[0] for row in table] == ["1", "2", "3"]
    assert all(float(row[3]) > 0.8 for row in table)
    assert "fitting fold 3/3" in out.err
    assert model.is_file()

    predictions = tmp_path / "predictions.csv"
    assert main(["predict", str(model), str(iris_csv), "--out", str(predictions)]) == 0
    with open(predictions) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["prediction"] and len(rows) == 151
    with open(iris_csv) as f:
        truth = [r[-1] for r in list(csv.reader(f))[1:]]
    assert np.mean([p[0] == t for p, t in zip(rows[1:], truth)]) > 0.9


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "{dir}/nope.csv", "--target", "species"], "no such file"),
        (["fit", "{iris}", "--target", "colour"], "no column 'colour'"),
        (["fit", "{text}", "--target", "y"], "feature column 'b' is not numeric"),
        (["fit", "{one}", "--target", "y"], "only one class"),
        (["predict", "{dir}/nope.skops", "{iris}"], "no such file"),
        (["predict", "{junk}", "{iris}"], "cannot read"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    argv, message, iris_csv, tmp_path, capsys
):
    text = write_csv(
        tmp_path / "text.csv", ["a", "b", "y"], [["1", "x", "0"], ["2", "3", "1"]]
    )
    one = write_csv(tmp_path / "one.csv", ["a", "y"], [["1", "0"], ["2", "0"]])
    junk = tmp_path / "junk.skops"
    junk.write_text("not a model")
    paths = {"dir": tmp_path, "iris": iris_csv, "text": text, "one": one, "junk": junk}
    assert main([a.format(**paths) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_module_entry_point(iris_csv):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sklearn_tinynet",
            "fit",
            str(iris_csv),
            "--target",
            "nothing",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "no column" in result.stderr
