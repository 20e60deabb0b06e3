"""The command line: python -m sklearn_tinynet fit / predict on CSV files."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_regression

from sklearn_tinynet import __version__
from sklearn_tinynet.__main__ import main

pd = pytest.importorskip("pandas", reason="the command line needs pandas")
sio = pytest.importorskip("skops.io", reason="saving models needs skops")

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
FAST = ["--hidden", "4", "--max-iter", "60"]


def write_csv(path, header, rows, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(argv, capsys):
    """(exit code, stdout, stderr lines) of main(argv)."""
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err.strip().splitlines()


def assert_error(argv, capsys, *words):
    """One 'error:' line naming every word, exit code 2, and no training."""
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert len(err) == 1 and err[0].startswith("error: "), err
    for word in words:
        assert word in err[0]
    return err[0]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    frame = X.set_axis(FEATURES, axis=1)
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[y]
    return frame


@pytest.fixture
def iris_csv(iris, tmp_path):
    iris.to_csv(tmp_path / "iris.csv", index=False)
    return tmp_path / "iris.csv"


@pytest.fixture(scope="module")
def model_file(iris, tmp_path_factory):
    """A model written by fit --save."""
    folder = tmp_path_factory.mktemp("model")
    iris.to_csv(folder / "iris.csv", index=False)
    argv = ["fit", folder / "iris.csv", "--target", "species", *FAST, "--cv", "2"]
    assert main([str(a) for a in [*argv, "--save", folder / "model.skops"]]) == 0
    return folder / "model.skops"


def fitted_pipeline(iris, *steps):
    from sklearn.pipeline import make_pipeline

    return make_pipeline(*steps).fit(iris[FEATURES], iris["species"])


def test_fit_cross_validates_saves_and_predicts(iris_csv, tmp_path, capsys):
    model = tmp_path / "model.skops"
    argv = ["fit", iris_csv, "--target", "species", "--cv", "3", "--hidden", "8,4"]
    code, out, err = run([*argv, "--save", model], capsys)
    assert code == 0
    lines = out.splitlines()
    reason = "--task auto: 'species' holds text, not only numbers"
    assert lines[0] == f"task: classification ({reason})"
    assert lines[1].split() == ["fold", "train", "test", "accuracy", "fit", "s"]
    table = [line.split() for line in lines[2:5]]
    assert [row[0] for row in table] == ["1", "2", "3"]
    assert all(float(row[3]) > 0.8 for row in table)
    assert "  fitting fold 3/3 ..." in err
    assert model.is_file()

    predictions = tmp_path / "predictions.csv"
    assert run(["predict", model, iris_csv, "--out", predictions], capsys)[0] == 0
    with open(predictions) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["prediction"] and len(rows) == 151
    with open(iris_csv) as f:
        truth = [r[-1] for r in list(csv.reader(f))[1:]]
    assert np.mean([p[0] == t for p, t in zip(rows[1:], truth)]) > 0.9


def test_saved_model_is_a_dataframe_fitted_pipeline(model_file):
    model = sio.load(model_file, trusted=sio.get_untrusted_types(file=model_file))
    assert [name for name, _ in model.steps] == ["standardscaler", "tinynetclassifier"]
    assert list(model.feature_names_in_) == FEATURES
    assert model[-1].max_iter == 60 and model[-1].hidden_layer_sizes == (4,)


def test_predict_reads_columns_by_name_in_any_order(model_file, iris, tmp_path, capsys):
    iris.to_csv(tmp_path / "in_order.csv", index=False)
    code, in_order, _ = run(["predict", model_file, tmp_path / "in_order.csv"], capsys)
    assert code == 0
    shuffled = iris[["petal_width", "species", "sepal_width", "petal_length"]]
    shuffled.assign(sepal_length=iris["sepal_length"], id=range(150)).to_csv(
        tmp_path / "shuffled.csv", index=False
    )
    code, out, err = run(["predict", model_file, tmp_path / "shuffled.csv"], capsys)
    assert code == 0
    assert out == in_order and out.splitlines()[0] == "prediction"
    assert np.mean(np.array(out.splitlines()[1:]) == iris["species"]) > 0.9
    assert err == ["ignored columns 'species', 'id'"]


def test_predict_names_a_missing_column(model_file, iris, tmp_path, capsys):
    iris.drop(columns=["petal_width"]).to_csv(tmp_path / "new.csv", index=False)
    assert_error(
        ["predict", model_file, tmp_path / "new.csv"], capsys, "no column 'petal_width'"
    )


@pytest.mark.parametrize("command", ["fit", "predict"])
def test_repeated_column_names_are_refused(command, model_file, tmp_path, capsys):
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    header += ["sepal_length", "species"]
    rows = [[1, 2, 3, 4, 5, "a"], [2, 3, 4, 5, 6, "b"]] * 3
    data = write_csv(tmp_path / "dup.csv", header, rows)
    argv = ["fit", data, "--target", "species"]
    if command == "predict":
        argv = ["predict", model_file, data]
    assert_error(argv, capsys, "'sepal_length' more than once")


def test_an_unnamed_column_is_refused(iris, tmp_path, capsys):
    iris.to_csv(tmp_path / "indexed.csv")  # pandas' index: an empty header cell
    assert_error(
        ["fit", tmp_path / "indexed.csv", "--target", "species"],
        capsys,
        "column 1 has no name",
        "index=False",
    )


BAD_CELLS = [
    ("", "line 4, column 'b': missing value", "--missing drop"),
    ("NA", "line 4, column 'b': missing value", "--missing drop"),
    ("1e400", "line 4, column 'b': the value is infinite", "float32"),
    ("-inf", "line 4, column 'b': the value is infinite", "fix or remove"),
    ("1e39", "line 4, column 'b': the value is infinite", "float32 range"),
    ("x4", "line 4, column 'b': 'x4' is not a number", "numeric"),
    ("1,5", "line 4, column 'b': '1,5' is not a number", "numeric"),
]


@pytest.mark.parametrize("cell, where, fix", BAD_CELLS)
def test_bad_feature_values_are_named_by_column_and_line(
    cell, where, fix, tmp_path, capsys
):
    rows = [[i, i % 3, "ab"[i % 2]] for i in range(8)]
    rows[2][1] = cell  # line 4: the header is line 1
    data = write_csv(tmp_path / "data.csv", ["a", "b", "y"], rows)
    assert_error(["fit", data, "--target", "y", "--cv", "2"], capsys, where, fix)


def test_a_blank_line_is_a_row_of_missing_values(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("a,y\n1,p\n2,q\n\n3,p\n4,q\n")
    assert_error(
        ["fit", tmp_path / "data.csv", "--target", "y"], capsys, "line 4, column 'a'"
    )


@pytest.mark.parametrize("label", ["", "  "])
def test_empty_labels_are_refused(label, tmp_path, capsys):
    rows = [[i, "ab"[i % 2]] for i in range(8)]
    rows[4][1] = label
    data = write_csv(tmp_path / "data.csv", ["a", "y"], rows)
    assert_error(
        ["fit", data, "--target", "y", "--cv", "2"],
        capsys,
        "line 6, column 'y': missing label",
    )


def test_missing_drop_skips_rows_with_a_gap(iris, tmp_path, capsys):
    gaps = iris.astype({"sepal_width": object, "species": object})
    gaps.loc[[3, 70], "sepal_width"] = ""
    gaps.loc[120, "species"] = ""
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    argv = ["fit", tmp_path / "gaps.csv", "--target", "species", *FAST, "--cv", "2"]
    assert_error(argv, capsys, "line 5, column 'sepal_width'")
    code, _, err = run([*argv, "--missing", "drop"], capsys)
    assert code == 0
    assert "dropped 3 of 150 rows with a missing value or label" in err
    assert "147 rows, 4 features, 3 classes; 2-fold cross-validation" in err


def test_predict_refuses_missing_values(model_file, iris, tmp_path, capsys):
    gaps = iris.astype({"petal_length": object})
    gaps.loc[9, "petal_length"] = "NaN"
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    assert_error(
        ["predict", model_file, tmp_path / "gaps.csv"],
        capsys,
        "line 11, column 'petal_length': missing value; fill it in, or drop the row",
    )


def test_byte_order_mark_and_encodings(iris, tmp_path, capsys):
    iris.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig")
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    argv = ["--target", "species", *FAST, "--cv", "2"]
    assert run(["fit", tmp_path / "bom.csv", *argv], capsys)[0] == 0

    latin = iris.rename(columns={"species": "espèce"})
    latin.to_csv(tmp_path / "latin.csv", index=False, encoding="latin-1")
    argv = ["fit", tmp_path / "latin.csv", "--target", "espèce", *FAST, "--cv", "2"]
    assert_error(argv, capsys, "is not utf-8 text", "--encoding latin-1")
    assert run([*argv, "--encoding", "latin-1"], capsys)[0] == 0
    assert_error([*argv, "--encoding", "klingon"], capsys, "unknown encoding")


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("--hidden", "abc", ["argument --hidden", "positive integers", "'abc'"]),
        ("--hidden", "0", ["argument --hidden", "positive integers", "'0'"]),
        ("--hidden", "8,", ["argument --hidden", "'8,'"]),
        ("--cv", "1", ["argument --cv", "integer >= 2", "'1'"]),
        ("--cv", "two", ["argument --cv", "integer >= 2"]),
        ("--cv", "51", ["class", "has 50 rows, fewer than --cv 51", "lower --cv"]),
        ("--max-iter", "0", ["argument --max-iter", "integer >= 1"]),
        ("--missing", "mean", ["argument --missing", "invalid choice"]),
        ("--random-state", "-1", ["argument --random-state", "0 to 2**32 - 1"]),
        ("--random-state", str(2**32), ["argument --random-state", "2**32 - 1"]),
        ("--encoding", "hex", ["argument --encoding", "not a text encoding"]),
        ("--encoding", "zlib", ["argument --encoding", "not a text encoding"]),
    ],
)
def test_bad_options_stop_before_training(option, value, words, iris_csv, capsys):
    assert_error(
        ["fit", iris_csv, "--target", "species", option, value], capsys, *words
    )


def test_a_class_of_one_row_cannot_be_cross_validated(iris, tmp_path, capsys):
    iris.iloc[:101].to_csv(tmp_path / "one.csv", index=False)  # 1 virginica
    assert_error(
        ["fit", tmp_path / "one.csv", "--target", "species", "--cv", "2"],
        capsys,
        "class 'virginica' has 1 row,",
        "two per class",
    )


@pytest.mark.parametrize(
    "argv, words",
    [
        (["fit", "{dir}/nope.csv", "--target", "species"], ["no such file"]),
        (["fit", "{iris}", "--target", "colour"], ["no column 'colour'", "'species'"]),
        (["fit", "{one}", "--target", "y"], ["only one class"]),
        (["fit", "{iris}"], ["required: --target"]),
        (["fit", "{empty}", "--target", "y"], ["is empty"]),
        (["fit", "{header}", "--target", "y"], ["no data rows"]),
        (["fit", "{ragged}", "--target", "y"], ["Expected 2 fields in line 3"]),
        (["predict", "{dir}/nope.skops", "{iris}"], ["no such file"]),
        (["predict", "{junk}", "{iris}"], ["cannot read", "fit --save"]),
        (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    ],
)
def test_errors_are_one_line_with_exit_code_2(argv, words, iris_csv, tmp_path, capsys):
    one = write_csv(tmp_path / "one.csv", ["a", "y"], [["1", "0"], ["2", "0"]])
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,y\n")
    (tmp_path / "ragged.csv").write_text("a,y\n1,p\n2,q,3\n")
    (tmp_path / "junk.skops").write_text("not a model")
    paths = {"dir": tmp_path, "iris": iris_csv, "one": one}
    paths |= {name: tmp_path / f"{name}.csv" for name in ["empty", "header", "ragged"]}
    paths["junk"] = tmp_path / "junk.skops"
    assert_error([a.format(**paths) for a in argv], capsys, *words)


# pandas only warns, and reads the first column as the index
@pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")
def test_a_first_row_longer_than_the_header_is_refused(tmp_path, capsys):
    (tmp_path / "long.csv").write_text("a,y\n1,p,3\n2,q\n3,p\n4,q\n")
    assert_error(
        ["fit", tmp_path / "long.csv", "--target", "y", "--cv", "2"],
        capsys,
        "line 2 has more fields than the header",
    )


# ------------------------------------------------------------------ outputs


def output_cases(tmp_path, data, model):
    """(argv, words) of every output a command must refuse before any work."""
    os.symlink(data, tmp_path / "link.csv")
    os.symlink(tmp_path / "elsewhere.csv", tmp_path / "dangling.csv")
    (tmp_path / "folder").mkdir()
    fit = ["fit", data, "--target", "species", "--save"]
    predict = ["predict", model, data, "--out"]
    relative = os.path.relpath(data)  # the same file under another spelling
    return [
        ([*fit, data], ["--save", "is the input file"]),
        ([*fit, relative], ["--save", "is the input file"]),
        ([*fit, tmp_path / "link.csv"], ["--save", "symbolic link"]),
        ([*fit, tmp_path / "dangling.csv"], ["--save", "symbolic link"]),
        ([*fit, ""], ["--save", "empty"]),
        ([*predict, ""], ["--out", "empty"]),
        ([*fit, tmp_path / "folder"], ["--save", "is a folder"]),
        ([*fit, tmp_path / "nope" / "m.skops"], ["--save", "does not exist"]),
        ([*predict, data], ["--out", "is the input file"]),
        ([*predict, model], ["--out", "is the input file"]),
        ([*predict, tmp_path / "folder"], ["--out", "is a folder"]),
        ([*predict, tmp_path / "nope" / "p.csv"], ["--out", "does not exist"]),
    ]


def test_outputs_that_name_an_input_or_no_file_are_refused(
    model_file, iris_csv, tmp_path, capsys
):
    model = tmp_path / "model.skops"
    model.write_bytes(model_file.read_bytes())
    before = {path: path.read_bytes() for path in [iris_csv, model]}
    for argv, words in output_cases(tmp_path, iris_csv, model):
        message = assert_error(argv, capsys, *words)
        assert "fitting" not in message
    assert {path: path.read_bytes() for path in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "dangling.csv",
        "folder",
        "iris.csv",
        "link.csv",
        "model.skops",
    ]


def test_an_unwritable_folder_is_refused_before_training(
    iris_csv, tmp_path, capsys, monkeypatch
):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    argv = ["fit", iris_csv, "--target", "species", "--save", tmp_path / "m.skops"]
    assert_error(argv, capsys, "cannot write in", "Permission denied")


def test_an_interrupted_save_leaves_the_old_file(
    iris_csv, tmp_path, capsys, monkeypatch
):
    model = tmp_path / "model.skops"
    model.write_bytes(b"the previous model")

    def interrupted(obj, file):
        file.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(sio, "dump", interrupted)
    argv = ["fit", iris_csv, "--target", "species", *FAST, "--cv", "2"]
    assert main([str(a) for a in [*argv, "--save", model]]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert model.read_bytes() == b"the previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.csv", "model.skops"]


def test_saved_files_get_the_usual_permissions(model_file):
    umask = os.umask(0)
    os.umask(umask)
    assert model_file.stat().st_mode & 0o777 == 0o666 & ~umask


# -------------------------------------------------------------- the model


def test_predict_loads_only_the_pipeline_fit_saves(iris, iris_csv, tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from sklearn_tinynet import TinyNetClassifier

    net = TinyNetClassifier((4,), max_iter=20, tol=0)
    files = {
        "logistic": fitted_pipeline(iris, StandardScaler(), LogisticRegression()),
        "extra_step": fitted_pipeline(iris, StandardScaler(), StandardScaler(), net),
        "bare": TinyNetClassifier((4,), max_iter=20, tol=0).fit(
            iris[FEATURES], iris["species"]
        ),
    }
    words = {
        "logistic": ["asks to trust []", "trusts exactly"],
        "extra_step": ["standardscaler-1=StandardScaler", "not a Pipeline of"],
        "bare": ["holds a TinyNetClassifier", "not a Pipeline of"],
    }
    for name, model in files.items():
        sio.dump(model, tmp_path / f"{name}.skops")
        argv = ["predict", tmp_path / f"{name}.skops", iris_csv]
        assert_error(argv, capsys, "was not written by fit --save", *words[name])


def test_predict_refuses_a_pipeline_fitted_without_column_names(
    iris, iris_csv, tmp_path, capsys
):
    from sklearn.preprocessing import StandardScaler

    from sklearn_tinynet import TinyNetClassifier

    model = fitted_pipeline(
        iris, StandardScaler(), TinyNetClassifier((4,), max_iter=20, tol=0)
    )
    model.fit(iris[FEATURES].to_numpy(), iris["species"])
    sio.dump(model, tmp_path / "numpy.skops")
    assert_error(
        ["predict", tmp_path / "numpy.skops", iris_csv], capsys, "without column names"
    )


# -------------------------------------------------------------- regression

DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


@pytest.fixture(scope="module")
def diabetes():
    """442 rows; the target is whole numbers, 214 distinct ones."""
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X.assign(progression=y)


@pytest.fixture
def diabetes_csv(diabetes, tmp_path):
    diabetes.to_csv(tmp_path / "diabetes.csv", index=False)
    return tmp_path / "diabetes.csv"


def small_table(target):
    """Two features of make_regression and ``target`` as column 'y'."""
    X, _ = make_regression(len(target), 2, random_state=0)
    return pd.DataFrame(X, columns=["a", "b"]).assign(y=target)


TINY = ["--hidden", "2", "--max-iter", "5", "--cv", "2"]
AUTO = [
    ("text", ["p", "q"] * 30, "classification", "holds text, not only numbers"),
    ("text among numbers", [1.5, 2.5] * 29 + ["x"] * 2, "classification", "holds text"),
    ("floats", make_regression(60, 2, random_state=0)[1], "regression", "not whole"),
    ("one non-whole", [1.0, 2.0] * 29 + [1.0, 2.5], "regression", "not whole"),
    ("20 integers", np.arange(60) % 20, "classification", "20 distinct whole"),
    ("21 integers", np.arange(63) % 21, "regression", "21 distinct whole numbers"),
    ("whole floats", [0.0, 1.0, 2.0] * 20, "classification", "3 distinct whole"),
]


@pytest.mark.parametrize(
    "target, task, reason", [case[1:] for case in AUTO], ids=[c[0] for c in AUTO]
)
def test_auto_chooses_the_task_and_says_so_first(
    target, task, reason, tmp_path, capsys
):
    small_table(target).to_csv(tmp_path / "data.csv", index=False)
    argv = ["fit", tmp_path / "data.csv", "--target", "y", *TINY]
    code, out, _ = run(argv, capsys)
    assert code == 0
    first, header = out.splitlines()[:2]
    assert first.startswith(f"task: {task} (--task auto: 'y' ") and reason in first
    metric = {"classification": "accuracy", "regression": "R²"}[task]
    assert header.split()[3] == metric


def test_diabetes_whole_number_target_is_regression(diabetes_csv, capsys):
    argv = ["fit", diabetes_csv, "--target", "progression", *TINY]
    code, out, err = run(argv, capsys)
    assert code == 0
    assert out.splitlines()[0] == (
        "task: regression (--task auto: 'progression' holds 214 distinct whole "
        "numbers, more than 20)"
    )
    assert "442 rows, 10 features, a numeric target; 2-fold cross-validation" in err


def test_missing_targets_do_not_decide_auto(tmp_path, capsys):
    target = [f"{v:.3f}" for v in make_regression(40, 2, random_state=0)[1]]
    target[5], target[9] = "NA", " "
    small_table(target).to_csv(tmp_path / "data.csv", index=False)
    argv = ["fit", tmp_path / "data.csv", "--target", "y", *TINY]
    assert_error(argv, capsys, "line 7, column 'y': missing label", "--missing drop")
    code, out, err = run([*argv, "--missing", "drop"], capsys)
    assert code == 0 and out.startswith("task: regression (--task auto")
    assert "dropped 2 of 40 rows with a missing value or label" in err


@pytest.mark.parametrize(
    "target, task, summary",
    [
        (np.arange(100) % 25, "classification", "100 rows, 2 features, 25 classes"),
        (np.arange(60) % 3, "regression", "60 rows, 2 features, a numeric target"),
    ],
)
def test_task_forces_either_task(target, task, summary, tmp_path, capsys):
    small_table(target).to_csv(tmp_path / "data.csv", index=False)
    argv = ["fit", tmp_path / "data.csv", "--target", "y", *TINY]
    assert run(argv, capsys)[1].split()[1] != task  # auto chooses the other
    code, out, err = run([*argv, "--task", task], capsys)
    assert code == 0
    assert out.splitlines()[0] == f"task: {task} (--task {task})"
    assert f"{summary}; 2-fold cross-validation" in err


def test_regression_needs_a_numeric_target(iris_csv, tmp_path, capsys):
    argv = ["fit", iris_csv, "--target", "species", "--task", "regression"]
    assert_error(
        argv,
        capsys,
        "line 2, column 'species': 'setosa' is not a number",
        "--task regression needs a numeric target",
        "--task classification",
    )
    target = [f"{v}" for v in range(30)]
    target[7] = "1e400"
    small_table(target).to_csv(tmp_path / "inf.csv", index=False)
    argv = ["fit", tmp_path / "inf.csv", "--target", "y"]
    assert_error(argv, capsys, "line 9, column 'y': the target is infinite")


def test_regression_cross_validates_with_r2_per_fold(diabetes, diabetes_csv, capsys):
    import warnings

    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_tinynet import TinyNetRegressor

    argv = ["fit", diabetes_csv, "--target", "progression", "--cv", "3"]
    argv += ["--hidden", "4", "--max-iter", "60", "--random-state", "7"]
    code, out, err = run(argv, capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["fold", "train", "test", "R²", "fit", "s"]
    table = [line.split() for line in lines[2:5]]
    assert [row[:3] for row in table] == [
        ["1", "294", "148"],
        ["2", "295", "147"],
        ["3", "295", "147"],
    ]
    model = make_pipeline(
        StandardScaler(), TinyNetRegressor((4,), max_iter=60, random_state=7)
    )
    X = diabetes[DIABETES].astype(np.float32)
    folds = KFold(3, shuffle=True, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of max_iter=60
        r2 = cross_val_score(model, X, diabetes["progression"], cv=folds)
    assert [float(row[3]) for row in table] == [round(v, 4) for v in r2]
    assert min(r2) > 0.1
    assert lines[5] == f"mean {np.mean(r2):.4f} ± {np.std(r2):.4f}"


def test_regression_fit_save_predict_roundtrip(diabetes_csv, tmp_path, capsys):
    from sklearn_tinynet import TinyNetRegressor

    model_path, out = tmp_path / "model.skops", tmp_path / "predictions.csv"
    argv = ["fit", diabetes_csv, "--target", "progression", *FAST, "--cv", "2"]
    code, stdout, _ = run([*argv, "--save", model_path], capsys)
    assert code == 0
    assert stdout.splitlines()[-1] == (
        f"saved the model refitted on all 442 rows to {model_path}"
    )
    trusted = sio.get_untrusted_types(file=model_path)
    assert trusted == ["sklearn_tinynet.TinyNetRegressor"]
    model = sio.load(model_path, trusted=trusted)
    assert [name for name, _ in model.steps] == ["standardscaler", "tinynetregressor"]
    assert type(model[-1]) is TinyNetRegressor and model[-1].n_iter_ > 0

    assert run(["predict", model_path, diabetes_csv, "--out", out], capsys)[0] == 0
    predicted = pd.read_csv(out)
    assert list(predicted.columns) == ["prediction"]
    assert predicted["prediction"].dtype == np.float64
    X = pd.read_csv(diabetes_csv)[DIABETES].astype(np.float32)
    expected = model.predict(X)
    assert expected.dtype == np.float32 and np.unique(expected).size > 400
    np.testing.assert_array_equal(
        predicted["prediction"].to_numpy(np.float32), expected
    )


def test_regression_folds_need_two_test_rows(tmp_path, capsys):
    small_table(np.linspace(0, 1, 9)).to_csv(tmp_path / "nine.csv", index=False)
    argv = ["fit", tmp_path / "nine.csv", "--target", "y", "--cv", "5"]
    assert_error(argv, capsys, "9 rows are too few for --cv 5", "lower --cv to 4")
    small_table([0.5, 1.5, 2.5]).to_csv(tmp_path / "three.csv", index=False)
    argv = ["fit", tmp_path / "three.csv", "--target", "y", "--cv", "2"]
    assert_error(argv, capsys, "3 rows are too few for --cv 2", "add rows")
    # a class of one row is a classification check: every target value is unique
    argv = ["fit", tmp_path / "nine.csv", "--target", "y", *TINY, "--cv", "4"]
    assert run(argv, capsys)[0] == 0


def test_predict_loads_only_the_regression_pipeline_fit_saves(
    diabetes, diabetes_csv, tmp_path, capsys
):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor

    X, y = diabetes[DIABETES], diabetes["progression"]
    net = TinyNetRegressor((2,), max_iter=5, tol=0)
    classifier = TinyNetClassifier((2,), max_iter=5, tol=0)
    steps = {
        "renamed": [("standardscaler", StandardScaler()), ("net", net)],
        "extra_step": [
            ("standardscaler", StandardScaler()),
            ("standardscaler2", StandardScaler()),
            ("tinynetregressor", net),
        ],
        "swapped": [
            ("standardscaler", StandardScaler()),
            ("tinynetregressor", classifier),
        ],
        "both": [("tinynetclassifier", classifier), ("tinynetregressor", net)],
    }
    words = {
        "renamed": ["net=TinyNetRegressor", "tinynetregressor=TinyNetRegressor"],
        "extra_step": ["standardscaler2=StandardScaler", "not a Pipeline of"],
        "swapped": ["tinynetregressor=TinyNetClassifier", "tinynetclassifier="],
        "both": ["asks to trust ['sklearn_tinynet.TinyNetClassifier', 's", "or"],
    }
    labels = (y > y.median()).astype(str)
    for name, pipeline in steps.items():
        if name == "both":
            # a classifier is no transformer: built fitted, step by step
            model = Pipeline(pipeline[:1]).fit(X, labels)
            model.steps.append((pipeline[1][0], net.fit(X, y)))
        else:
            model = Pipeline(pipeline).fit(X, labels if name == "swapped" else y)
        sio.dump(model, tmp_path / f"{name}.skops")
        argv = ["predict", tmp_path / f"{name}.skops", diabetes_csv]
        assert_error(argv, capsys, "was not written by fit --save", *words[name])
    sio.dump(net.fit(X, y), tmp_path / "bare.skops")
    assert_error(
        ["predict", tmp_path / "bare.skops", diabetes_csv],
        capsys,
        "holds a TinyNetRegressor",
        "not a Pipeline of standardscaler=StandardScaler and "
        "tinynetregressor=TinyNetRegressor",
    )


# ---------------------------------------------------------------- the rest


@pytest.mark.parametrize("absent", ["pandas", "skops"])
def test_the_cli_extra_is_checked_first(absent, iris_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, absent, None)  # find_spec -> None
    for argv in (
        ["fit", iris_csv, "--target", "species", "--save", "m.skops"],
        ["predict", "m.skops", iris_csv],
    ):
        assert_error(
            argv, capsys, f"({absent} missing)", 'pip install "sklearn-tinynet[cli]"'
        )


def test_convergence_warnings_become_one_line(iris_csv, capsys):
    argv = ["fit", iris_csv, "--target", "species", "--hidden", "4", "--cv", "2"]
    code, _, err = run([*argv, "--max-iter", "2"], capsys)
    assert code == 0
    warned = [line for line in err if line.startswith("warning:")]
    assert len(warned) == 1 and "2 fit(s)" in warned[0] and "--max-iter" in warned[0]


def test_version_and_help(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"sklearn-tinynet {__version__}"
    from sklearn_tinynet._cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        for action in parser._actions:
            if action.option_strings and action.dest not in ("help", "target"):
                assert "(default: " in action.help, (name, action.dest)
        assert main([name, "--help"]) == 0
        assert "default: " in capsys.readouterr().out


def module(*argv, cwd):
    return subprocess.run(
        [sys.executable, "-m", "sklearn_tinynet", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_module_entry_point(iris_csv, tmp_path):
    result = module("fit", iris_csv, "--target", "nothing", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "no column" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.slow  # a fresh process imports skops.io, hence all of scikit-learn
def test_module_entry_point_predicts(model_file, iris_csv, tmp_path):
    result = module("predict", model_file, iris_csv, "--out", "p.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(tmp_path / "p.csv")["prediction"].nunique() == 3


def test_module_entry_point_refuses_a_bad_hidden_option(iris_csv, tmp_path):
    result = module(
        "fit", iris_csv, "--target", "species", "--hidden", "abc", cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: argument --hidden")


def test_utf16_without_a_byte_order_mark_is_one_error_line(iris, tmp_path, capsys):
    data = tmp_path / "iris16.csv"
    data.write_bytes(iris.to_csv(index=False).encode("utf-8"))
    argv = ["fit", data, "--target", "species", "--encoding", "utf-16"]
    assert_error(argv, capsys, "is not utf-16 text", "--encoding")


def test_a_network_too_large_for_memory_is_one_error_line(iris_csv, capsys):
    argv = ["fit", iris_csv, "--target", "species", "--hidden", "99999999999"]
    code, _, err = run(argv, capsys)
    assert code == 2 and err[-1].startswith("error: not enough memory")
    assert "--hidden" in err[-1] and "Traceback" not in "".join(err)


@pytest.mark.parametrize(
    "error, code, words",
    [(KeyboardInterrupt, 130, "interrupted"), (BrokenPipeError, 1, None)],
)
def test_interrupts_and_closed_pipes_give_no_traceback(
    error, code, words, iris_csv, capsys, monkeypatch
):
    from sklearn_tinynet import _cli

    def stop(*args):
        raise error

    monkeypatch.setattr(_cli, "_load_training_data", stop)
    assert main(["fit", str(iris_csv), "--target", "species"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ([] if words is None else [err[0]]) and "Traceback" not in str(err)
    if words:
        assert words in err[0]


# ------------------------------------------------------------------ memory


def numbers_csv(path, rows, features=10, seed=0):
    """``rows`` x ``features`` normal numbers and a 'label' of three classes."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        rng.normal(size=(rows, features)).astype(np.float32),
        columns=[f"x{j}" for j in range(features)],
    )
    frame["label"] = np.array(["a", "bb", "ccc"])[rng.integers(0, 3, rows)]
    frame.to_csv(path, index=False)
    return path


def test_chunks_read_as_the_whole_file(tmp_path, capsys, monkeypatch):
    from sklearn_tinynet import _cli

    path = numbers_csv(tmp_path / "data.csv", 50, features=3)
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[1], "NA", 1)
    lines[30] = lines[30].replace(lines[30].split(",")[0], "1e39", 1)
    path.write_text("\n".join(lines) + "\n")
    header = _cli.read_header(pd, path, "utf-8")
    features = header[:-1]
    whole = _cli.read_table(pd, path, "utf-8", header, features)
    monkeypatch.setattr(_cli, "CHUNK_ROWS", 7)
    chunked = _cli.read_table(pd, path, "utf-8", header, features)
    pd.testing.assert_frame_equal(chunked, whole)
    assert np.isnan(chunked["x1"][3]) and np.isinf(chunked["x0"][29])
    # errors past the first chunk name their line of the file
    lines[30] = lines[30].replace(lines[30].split(",")[0], "abc", 1)
    path.write_text("\n".join(lines) + "\n")
    argv = ["fit", path, "--target", "label"]
    assert_error(argv, capsys, "line 31, column 'x0': 'abc' is not a number")
    lines[30], lines[40] = lines[29], lines[40] + ",7"
    path.write_text("\n".join(lines) + "\n")
    assert_error(argv, capsys, "Expected 4 fields in line 41, saw 5")


def test_the_features_are_read_into_the_block_fit_slices(tmp_path, monkeypatch):
    """encode copies no feature: X is the float32 block read_table filled."""
    from types import SimpleNamespace

    from sklearn_tinynet import _cli

    monkeypatch.setattr(_cli, "CHUNK_ROWS", 16)
    read, table = [], _cli.read_table

    def read_table(*args):
        read.append(table(*args))
        return read[-1]

    monkeypatch.setattr(_cli, "read_table", read_table)
    path = numbers_csv(tmp_path / "data.csv", 100)
    args = SimpleNamespace(
        encoding="utf-8", target="label", task="auto", missing="error"
    )
    X, y, task, _ = _cli._load_training_data(pd, args, path)
    assert task == "classification" and X.dtypes.eq(np.float32).all()
    block = X.to_numpy()  # (n_samples, n_features), a view of one block
    assert block.shape == (100, 10) and block.T.flags.c_contiguous
    assert np.shares_memory(block, read[0]["x0"].to_numpy())
    expected = pd.read_csv(path, dtype=np.float32, usecols=list(X.columns))
    np.testing.assert_array_equal(block, expected.to_numpy())


def test_auto_looks_at_each_distinct_label_once():
    """choose_task needs memory for the distinct labels, not for each row."""
    import tracemalloc

    from sklearn_tinynet import _cli

    rows = 100_000
    labels = pd.Series(np.array(["cat", "dog", "7"])[np.arange(rows) % 3])
    labels = labels.astype(str)
    tracemalloc.start()
    try:
        task, _ = _cli.choose_task(pd, labels, "auto", "y")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert task == "classification"
    # bytes: converting every cell took 76 per row; pandas' unique() itself
    # takes under one per row on pandas 3, about 29 on the oldest pandas
    assert peak < 40 * rows


LOAD_PEAK = """
import sys
from types import SimpleNamespace

import pandas as pd

from sklearn_tinynet import _cli


def status(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) * 1024


args = SimpleNamespace(encoding="utf-8", target="label", task="auto", missing="error")
_cli._load_training_data(pd, args, sys.argv[1])  # the imports pandas makes once
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the high-water mark restarts at the current RSS
before = status("VmRSS:")
X, y, task, reason = _cli._load_training_data(pd, args, sys.argv[2])
print(status("VmHWM:") - before)
"""


@pytest.mark.slow  # writes a 22 MB CSV, then reads it in a fresh process
@pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK), reason="Linux's /proc"
)
def test_reading_for_fit_adds_under_twice_the_file_size(tmp_path):
    """Peak resident memory of parse + encode in a fresh process: under twice
    the CSV's size (1.5 times here, 0.8 at 1e6 rows; reading the whole file
    at once, then copying its features, took 3 times here)."""
    import sklearn_tinynet

    small = numbers_csv(tmp_path / "small.csv", 10)
    path = numbers_csv(tmp_path / "data.csv", 200_000)
    root = os.path.dirname(os.path.dirname(sklearn_tinynet.__file__))
    result = subprocess.run(
        [sys.executable, "-c", LOAD_PEAK, small, path],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
        check=True,
    )
    added = int(result.stdout)
    assert added < 2 * path.stat().st_size, added / path.stat().st_size
