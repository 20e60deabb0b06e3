"""A small, transparent neural network classifier for scikit-learn."""

from ._classifier import TinyNetClassifier

__version__ = "0.1.0"

__all__ = ["TinyNetClassifier", "__version__"]
