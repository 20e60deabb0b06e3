"""ONNX export: ``import sklearn_tinynet.onnx`` registers converters with skl2onnx.

After the import, ``skl2onnx.to_onnx`` converts a fitted ``TinyNetClassifier``
or ``TinyNetRegressor``, alone or inside a pipeline. The graph is
``_network``'s own forward pass and output probabilities (classifier) or
predictions (regressor), run over ONNX operators instead of arrays: the same
code computes ``predict_proba`` / ``predict`` and the exported model. The
regressor's graph has one output, (N, n_outputs): (N, 1) for a single target,
as skl2onnx's regressors give, where ``predict`` returns (N,).
Needs the ``onnx`` extra: ``pip install "sklearn-tinynet[onnx]"``.
"""

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter

    # the parser skl2onnx registers for classifiers that declare "zipmap"
    from skl2onnx._parse import _parse_sklearn_classifier
    from skl2onnx.algebra.onnx_ops import (
        OnnxAbs,
        OnnxAdd,
        OnnxArgMax,
        OnnxCast,
        OnnxConcat,
        OnnxDiv,
        OnnxExp,
        OnnxGather,
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
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        Float16TensorType,
        FloatTensorType,
        Int8TensorType,
        Int16TensorType,
        Int32TensorType,
        Int64TensorType,
        StringTensorType,
        UInt8TensorType,
        UInt16TensorType,
        UInt32TensorType,
        UInt64TensorType,
        guess_numpy_type,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.common.utils_classifier import get_label_classes
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "ONNX export needs skl2onnx and onnx: pip install 'sklearn-tinynet[onnx]'"
    ) from error

from sklearn.utils.validation import check_is_fitted

from . import _network
from ._classifier import TinyNetClassifier
from ._regressor import TinyNetRegressor

__all__ = [
    "convert_tinynet_classifier",
    "convert_tinynet_regressor",
    "tinynet_classifier_parser",
    "tinynet_classifier_shapes",
    "tinynet_regressor_shapes",
]


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
    """The few Array API functions that ``_network``'s forward pass, output
    probabilities and predictions use, as ONNX operators of one opset and float type."""

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


# numpy dtype of ``classes_`` -> ONNX tensor type of the label output
_LABEL_TYPES = {
    np.dtype(dtype): tensor_type
    for dtype, tensor_type in [
        (np.bool_, BooleanTensorType),
        (np.int8, Int8TensorType),
        (np.int16, Int16TensorType),
        (np.int32, Int32TensorType),
        (np.int64, Int64TensorType),
        (np.uint8, UInt8TensorType),
        (np.uint16, UInt16TensorType),
        (np.uint32, UInt32TensorType),
        (np.uint64, UInt64TensorType),
        (np.float16, Float16TensorType),
        (np.float32, FloatTensorType),
        (np.float64, DoubleTensorType),
    ]
}


def _label_classes(scope, model):
    """The labels to gather, (n_classes,), and their ONNX tensor type.

    ``classes_`` in its own dtype, strings as str; numbers and bools as int64
    with skl2onnx's option ``zipmap`` (its default); ``0, 1, ..., n_classes - 1``
    (int64) with its option ``nocl=True``.
    """
    classes = np.asarray(get_label_classes(scope, model))
    if classes.dtype.kind in "OU":
        return classes.astype(str), StringTensorType
    if classes.dtype not in _LABEL_TYPES:
        raise ValueError(
            f"classes_ has dtype {classes.dtype}, which has no ONNX tensor type; "
            "to export the model, fit it on integer, float32/float64, bool or str "
            "labels, for example y.astype(np.float64)."
        )
    if scope.get_options(model, {"zipmap": True})["zipmap"]:
        # skl2onnx's ZipMap casts the labels to int64 but declares them of the
        # type they come in: they must come in as int64
        return classes.astype(np.int64), Int64TensorType
    return classes, _LABEL_TYPES[classes.dtype]


def _add_classes(scope, container, model):
    """The labels (n_classes,) as an initializer of their own type; its name."""
    # skl2onnx's constants of operators know fewer dtypes than initializers do
    classes, tensor_type = _label_classes(scope, model)
    name = scope.get_unique_variable_name("classes")
    if tensor_type is StringTensorType:
        classes = [label.encode("utf-8") for label in classes]
    onnx_type = tensor_type().to_onnx_type().tensor_type.elem_type
    container.add_initializer(name, onnx_type, [len(classes)], classes)
    return name


def tinynet_classifier_parser(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser, for fitted models only.

    skl2onnx calls the parser before the shape calculator and the converter,
    and its own parser needs ``classes_``: an unfitted model raises
    ``NotFittedError`` here, as ``predict`` would, and labels of a dtype
    ONNX has no type of raise ``ValueError`` before skl2onnx's ZipMap sees them.
    """
    check_is_fitted(model)
    if not model._multilabel:
        _label_classes(scope, model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def tinynet_classifier_shapes(operator):
    """Output types: labels (N,) and probabilities (N, n_classes).

    Labels keep the dtype of ``classes_`` (strings as ONNX strings). For
    multilabel targets the labels are the (N, n_outputs) int64 indicator
    matrix, as ``predict`` returns. Probabilities have the input's float type.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    if model._multilabel:
        label_type = Int64TensorType([n_rows, model.n_outputs_])
    else:
        label_type = _label_classes(operator.scope_inst, model)[1]([n_rows])
    operator.outputs[0].type = label_type
    operator.outputs[1].type = operator.inputs[0].type.__class__(
        [n_rows, len(model.classes_)]
    )


def _predicted_labels(z, model, scope, container, xp):
    """``predict`` of the logits z (N, n_outputs), with predict's own rules.

    Binary: ``classes[z > 0]``; multiclass: ``classes[argmax(z)]``, the first
    of ties as in numpy; multilabel: ``z > 0`` as int64 (N, n_outputs).
    """
    positive = xp.op(OnnxCast, (z > 0).node, to=TensorProto.INT64)  # (N, n_outputs)
    if model._multilabel:
        return positive
    if z.shape[1] == 1:
        index = xp.op(OnnxReshape, positive, np.array([-1], dtype=np.int64))  # (N,)
    else:
        index = xp.op(OnnxArgMax, z.node, axis=1, keepdims=0)  # (N,)
    # Gather takes every tensor type (ArrayFeatureExtractor no bool or int8)
    classes = _add_classes(scope, container, model)  # (n_classes,)
    return xp.op(OnnxGather, classes, index, axis=0)  # (N,)


def convert_tinynet_classifier(scope, operator, container):
    """The forward pass and ``predict`` / ``predict_proba`` as ONNX operators.

    The label output has the dtype of ``classes_`` (bool as ONNX bool, float
    labels as float or double, strings and object arrays of strings as ONNX
    strings), and onnxruntime returns labels equal to ``predict``'s, of the
    same dtype except strings (numpy object arrays of str). With skl2onnx's
    ``zipmap`` option (its default), skl2onnx's ZipMap casts numeric and bool
    labels to int64; pass ``options={"zipmap": False}`` to keep their dtype.
    """
    model = operator.raw_operator
    label_out, proba_out = operator.outputs
    dtype = guess_numpy_type(operator.inputs[0].type)

    xp = _OnnxNamespace(container.target_opset, dtype)
    X = _OnnxArray(operator.inputs[0], model.n_features_in_, xp)
    net = _network.Network(model.activation, model.out_activation_, model.loss)
    z = net.forward(model.coefs_, model.intercepts_, X, xp)[-1]
    proba = _network.output_proba(z, model.out_activation_, model._multilabel, xp)
    label = _predicted_labels(z, model, scope, container, xp)

    xp.op(OnnxIdentity, label, output_names=[label_out]).add_to(scope, container)
    xp.op(OnnxIdentity, proba.node, output_names=[proba_out]).add_to(scope, container)


update_registered_converter(
    TinyNetClassifier,
    "SklearnTinyNetClassifier",
    tinynet_classifier_shapes,
    convert_tinynet_classifier,
    parser=tinynet_classifier_parser,
    options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
)


def tinynet_regressor_shapes(operator):
    """Output type: predictions (N, n_outputs) of the input's float type.

    (N, 1) for one output, as skl2onnx's regressors (``MLPRegressor``'s
    among them) give. skl2onnx calls the shape calculator before the
    converter, and the default parser reads no fitted attribute: an unfitted
    model raises ``NotFittedError`` here, as ``predict`` would.
    """
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    model = operator.raw_operator
    check_is_fitted(model)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = operator.inputs[0].type.__class__(
        [n_rows, model.n_outputs_]
    )


def convert_tinynet_regressor(scope, operator, container):
    """The forward pass and ``predict`` as ONNX operators.

    ``coefs_`` and ``intercepts_`` predict y itself (fit folds the targets'
    standardisation into the last layer), so ``predict`` is the output
    activation of the logits: identity, or exp for ``loss='poisson'``.
    """
    model = operator.raw_operator
    dtype = guess_numpy_type(operator.inputs[0].type)

    xp = _OnnxNamespace(container.target_opset, dtype)
    X = _OnnxArray(operator.inputs[0], model.n_features_in_, xp)
    net = _network.Network(model.activation, model.out_activation_, model.loss)
    z = net.forward(model.coefs_, model.intercepts_, X, xp)[-1]  # (N, n_outputs)
    y = _network.output_prediction(z, model.out_activation_, xp)  # (N, n_outputs)

    y_out = operator.outputs[0]
    xp.op(OnnxIdentity, y.node, output_names=[y_out]).add_to(scope, container)


update_registered_converter(
    TinyNetRegressor,
    "SklearnTinyNetRegressor",
    tinynet_regressor_shapes,
    convert_tinynet_regressor,
)
