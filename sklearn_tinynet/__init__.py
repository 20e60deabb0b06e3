"""A small, transparent neural network classifier for scikit-learn."""

from ._classifier import TinyNetClassifier

# Public path for pickle and skops: sklearn_tinynet.TinyNetClassifier
TinyNetClassifier.__module__ = __name__

__version__ = "0.1.0"

__all__ = ["TinyNetClassifier", "__version__"]
