"""Doctests of optional modules are collected only when their extra is installed."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sklearn_tinynet/onnx.py")
