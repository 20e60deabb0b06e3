"""The default parameters on the data that chose them (docs/defaults.rst)."""

import warnings

import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_tinynet import TinyNetClassifier


def held_out_accuracy(X, y, **params):
    X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    model = make_pipeline(StandardScaler(), TinyNetClassifier(random_state=0, **params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is reached
        model.fit(X, y)
    return model.score(X_test, y_test)


def test_defaults_leave_the_flat_start_of_symmetric_data():
    # centred circles: the gradient at the small initial weights is below 1e-4,
    # where tol=1e-4 stopped L-BFGS at chance accuracy
    X, y = make_circles(400, noise=0.1, factor=0.5, random_state=0)
    assert held_out_accuracy(X, y) > 0.9


def test_defaults_are_not_near_linear_on_low_dimensional_data():
    # noisy moons: a linear boundary scores about 0.85; alpha=0.5 with (100,)
    # logistic units stays there
    X, y = make_moons(400, noise=0.2, random_state=0)
    assert held_out_accuracy(X, y) > 0.93


def test_default_init_starts_the_units_on_the_curved_part_of_the_sigmoid():
    # 2 standardised inputs into 100 units: LeCun's bound sqrt(3 / fan_in)
    # gives pre-activations of variance 1, where Glorot's sqrt(2 / 102) gave
    # a standard deviation of about 0.1, the sigmoid's nearly linear middle
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = TinyNetClassifier(max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # one L-BFGS step moves the weights little from where they started
    z = X @ clf.coefs_[0]
    assert 0.7 < z.std() < 1.3
