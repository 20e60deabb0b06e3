"""Every private scikit-learn name the package uses, and its version shims."""

import inspect

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.preprocessing import StandardScaler
from sklearn.utils._array_api import (
    _convert_to_numpy,
    _is_numpy_namespace,
    get_namespace,
    get_namespace_and_device,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
)

__all__ = [
    "STANDARD_SCALER_TYPE",
    "CallbackSupportMixin",
    "Interval",
    "StrOptions",
    "check_feature_names",
    "check_n_features",
    "check_part_sample_weight",
    "check_sample_weight",
    "check_same_namespace",
    "copy",
    "fit_context",
    "get_namespace",
    "get_namespace_and_device",
    "init_callback_context",
    "is_numpy_namespace",
    "to_numpy",
]

fit_context = _fit_context
check_sample_weight = _check_sample_weight
check_feature_names = _check_feature_names
check_n_features = _check_n_features
is_numpy_namespace = _is_numpy_namespace

# skops names a type by the module that defines it, which is private
STANDARD_SCALER_TYPE = f"{StandardScaler.__module__}.{StandardScaler.__qualname__}"

try:  # scikit-learn >= 1.8
    from sklearn.utils._array_api import check_same_namespace
except ImportError:  # older scikit-learn runs no such check

    def check_same_namespace(X, estimator, *, attribute, method):
        pass


try:  # scikit-learn >= 1.9: set_callbacks, ProgressBar, ScoringMonitor
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # older scikit-learn: no callback API, nothing else changes

    class CallbackSupportMixin:
        pass


_ALLOWS_ZERO_WEIGHTS = (
    "allow_all_zero_weights" in inspect.signature(_check_sample_weight).parameters
)


def check_part_sample_weight(sample_weight, X, dtype):
    """``check_sample_weight`` of one part of the rows (a dask chunk), whose
    weights may all be 0: the weights of all parts are checked together."""
    if _ALLOWS_ZERO_WEIGHTS:  # scikit-learn >= 1.7 refuses all zeros by default
        return _check_sample_weight(
            sample_weight, X, dtype=dtype, ensure_non_negative=True,
            allow_all_zero_weights=True,
        )  # fmt: skip
    return _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)


def init_callback_context(estimator, max_subtasks):
    """The fit task's callback context, or None without callbacks."""
    if not getattr(estimator, "_skl_callbacks", None):
        return None
    if not hasattr(estimator, "_init_callback_context"):
        return None
    return estimator._init_callback_context(max_subtasks=max_subtasks)


def copy(array):
    """A copy of an array of any namespace, on its device."""
    if isinstance(array, np.ndarray):
        return array.copy()
    return get_namespace(array)[0].asarray(array, copy=True)


def to_numpy(array):
    """A numpy copy of an array of any namespace or device (numpy: unchanged)."""
    if array is None or isinstance(array, np.ndarray) or sp.issparse(array):
        return array
    return _convert_to_numpy(array, get_namespace(array)[0])
