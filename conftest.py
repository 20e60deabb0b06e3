"""Test session setup: Array API checks enabled, optional modules' doctests guarded.

scikit-learn's Array API dispatch needs scipy's, which must be switched on
before scipy is first imported.
"""

import importlib.util
import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklearn_tinynet/onnx.py")
