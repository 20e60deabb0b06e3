"""Small, transparent neural networks for scikit-learn: a classifier and a regressor."""

from ._classifier import TinyNetClassifier
from ._regressor import TinyNetRegressor

# Public paths for pickle and skops: sklearn_tinynet.TinyNetClassifier, ...
TinyNetClassifier.__module__ = __name__
TinyNetRegressor.__module__ = __name__

__version__ = "0.1.0"

__all__ = ["TinyNetClassifier", "TinyNetRegressor", "__version__"]
