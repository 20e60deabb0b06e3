"""scikit-learn's estimator checks, on the default and non-default configurations."""

import pytest
import scipy
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_tinynet import TinyNetClassifier, TinyNetRegressor

# The checks fit on random data with few iterations; not converging there is
# expected and says nothing about compatibility.
pytestmark = pytest.mark.filterwarnings(
    f"ignore::{ConvergenceWarning.__module__}.ConvergenceWarning"
)

ESTIMATORS = [
    TinyNetClassifier(),
    TinyNetClassifier(hidden_layer_sizes=()),
    TinyNetClassifier(hidden_layer_sizes=(8, 6)),
    # alpha and max_iter of 0.1.0: with alpha=0.1 and 500 updates of lr 1.0 the
    # logits of the separable check data grow past 745, where predict_proba
    # underflows to 0 but predict_log_proba stays finite (check_classifiers_train)
    TinyNetClassifier(solver="gd", learning_rate_init=1.0, alpha=0.5, max_iter=200),
    TinyNetClassifier(class_weight="balanced"),
    TinyNetClassifier(early_stopping=True),
    TinyNetClassifier(loss="squared_error"),
    TinyNetRegressor(),
    TinyNetRegressor(hidden_layer_sizes=()),
    TinyNetRegressor(hidden_layer_sizes=(8, 6), activation="relu"),
    TinyNetRegressor(solver="gd", max_iter=200),
    TinyNetRegressor(early_stopping=True),
    TinyNetRegressor(fit_intercept=False),
]


SCIPY_VERSION = tuple(int(part) for part in scipy.__version__.split(".")[:2])


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if name.startswith("check_array_api") and SCIPY_VERSION < (1, 14):
        pytest.skip("scikit-learn's Array API dispatch needs scipy >= 1.14")
    check(estimator)
