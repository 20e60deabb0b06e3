"""ONNX export: ``import sklearn_tinynet.onnx`` registers a converter with skl2onnx.

After the import, ``skl2onnx.to_onnx`` converts a fitted ``TinyNetClassifier``,
alone or inside a pipeline. The graph is ``_network``'s own forward pass and
output probabilities, run over ONNX operators instead of arrays: the same
code computes ``predict_proba`` and the exported model.
Needs the ``onnx`` extra: ``pip install "sklearn-tinynet[onnx]"``.
"""

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.algebra.onnx_ops import (
        OnnxAbs,
        OnnxAdd,
        OnnxArgMax,
        OnnxArrayFeatureExtractor,
        OnnxCast,
        OnnxConcat,
        OnnxDiv,
        OnnxExp,
        OnnxGreater,
        OnnxIdentity,
        OnnxLog,
        OnnxMatMul,
        OnnxMax,
        OnnxMul,
        OnnxNeg,
        OnnxReduceMaxApi18,
        OnnxReduceSumApi11,
        OnnxReshape,
        OnnxSub,
        OnnxTanh,
        OnnxWhere,
    )
    from skl2onnx.common.data_types import Int64TensorType, guess_numpy_type
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "ONNX export needs skl2onnx and onnx: pip install 'sklearn-tinynet[onnx]'"
    ) from error

from . import _network
from ._classifier import TinyNetClassifier

__all__ = ["convert_tinynet_classifier", "tinynet_classifier_shapes"]


class _OnnxArray:
    """An ONNX node that ``_network`` computes with as if it were an array."""

    def __init__(self, node, n_columns, xp):
        self.node, self.shape, self.xp = node, (None, n_columns), xp

    def _new(self, node, n_columns=None):
        return _OnnxArray(
            node, self.shape[1] if n_columns is None else n_columns, self.xp
        )

    def _binary(self, op, other, swap=False):
        other = self.xp.operand(other)
        return self._new(op(other, self.node) if swap else op(self.node, other))

    def __matmul__(self, W):
        return self._new(
            self.xp.op(OnnxMatMul, self.node, self.xp.operand(W)), W.shape[1]
        )

    def __add__(self, other):
        return self._binary(self.xp.partial(OnnxAdd), other)

    __radd__ = __add__

    def __sub__(self, other):
        return self._binary(self.xp.partial(OnnxSub), other)

    def __rsub__(self, other):
        return self._binary(self.xp.partial(OnnxSub), other, swap=True)

    def __mul__(self, other):
        return self._binary(self.xp.partial(OnnxMul), other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(self.xp.partial(OnnxDiv), other)

    def __neg__(self):
        return self._new(self.xp.op(OnnxNeg, self.node))

    def __gt__(self, other):
        return self._binary(self.xp.partial(OnnxGreater), other)


class _OnnxNamespace:
    """The few Array API functions that ``_network``'s forward pass and output
    probabilities use, as ONNX operators of one opset and float type."""

    def __init__(self, opset, dtype):
        self.opset, self.dtype = opset, dtype

    def op(self, operator, *inputs, **attributes):
        return operator(*inputs, op_version=self.opset, **attributes)

    def partial(self, operator):
        return lambda *inputs: self.op(operator, *inputs)

    def operand(self, value):
        if isinstance(value, _OnnxArray):
            return value.node
        return np.asarray(value, dtype=self.dtype).reshape(np.shape(value) or (1,))

    def _unary(self, operator, x):
        return x._new(self.op(operator, x.node))

    def tanh(self, x):
        return self._unary(OnnxTanh, x)

    def exp(self, x):
        return self._unary(OnnxExp, x)

    def log(self, x):
        return self._unary(OnnxLog, x)

    def abs(self, x):
        return self._unary(OnnxAbs, x)

    def max(self, x, axis, keepdims):
        return x._new(self.op(OnnxReduceMaxApi18, x.node, axes=[axis], keepdims=1), 1)

    def sum(self, x, axis, keepdims):
        return x._new(self.op(OnnxReduceSumApi11, x.node, axes=[axis], keepdims=1), 1)

    def concat(self, arrays, axis):
        nodes = [a.node for a in arrays]
        n_columns = sum(a.shape[1] for a in arrays)
        return arrays[0]._new(self.op(OnnxConcat, *nodes, axis=axis), n_columns)

    def zeros_like(self, x):
        return x._new(np.zeros(1, dtype=self.dtype))  # broadcast by every operator

    def where(self, condition, x, y):
        return x._new(self.op(OnnxWhere, condition.node, x.node, y.node))

    def logaddexp(self, x, y):
        # max(x, y) + log(1 + exp(-|x - y|))
        larger = x._new(self.op(OnnxMax, x.node, y.node))
        return larger + self.log(self.exp(-self.abs(x - y)) + 1)


def tinynet_classifier_shapes(operator):
    """Output types: labels and probabilities, (N,) and (N, n_classes).

    For multilabel targets both are (N, n_outputs), labels as int64 0/1.
    """
    model = operator.raw_operator
    if not model._multilabel:
        calculate_linear_classifier_output_shapes(operator)
        return
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n_rows, model.n_outputs_])
    operator.outputs[1].type = operator.inputs[0].type.__class__(
        [n_rows, model.n_outputs_]
    )


def convert_tinynet_classifier(scope, operator, container):
    """The forward pass and ``predict`` / ``predict_proba`` as ONNX operators."""
    model = operator.raw_operator
    opv = container.target_opset
    label_out, proba_out = operator.outputs
    dtype = guess_numpy_type(operator.inputs[0].type)

    xp = _OnnxNamespace(opv, dtype)
    X = _OnnxArray(operator.inputs[0], model.n_features_in_, xp)
    net = _network.Network(model.activation, model.out_activation_, model.loss)
    logits = net.forward(model.coefs_, model.intercepts_, X, xp)[-1]
    proba = _network.output_proba(
        logits, model.out_activation_, model._multilabel, xp
    ).node

    if model._multilabel:
        label = OnnxCast(
            OnnxGreater(proba, np.array([0.5], dtype=dtype), op_version=opv),
            to=TensorProto.INT64,
            op_version=opv,
        )
    else:
        classes = model.classes_
        classes = (
            classes.astype(np.int64)
            if classes.dtype.kind in "biu"
            else classes.astype(str)
        )
        index = OnnxArgMax(proba, axis=1, keepdims=0, op_version=opv)
        label = OnnxReshape(
            OnnxArrayFeatureExtractor(classes, index, op_version=opv),
            np.array([-1], dtype=np.int64),
            op_version=opv,
        )
    OnnxIdentity(label, op_version=opv, output_names=[label_out]).add_to(
        scope, container
    )
    OnnxIdentity(proba, op_version=opv, output_names=[proba_out]).add_to(
        scope, container
    )


update_registered_converter(
    TinyNetClassifier,
    "SklearnTinyNetClassifier",
    tinynet_classifier_shapes,
    convert_tinynet_classifier,
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
)
