"""ONNX export: ``import sklearn_tinynet.onnx`` registers a converter with skl2onnx.

After the import, ``skl2onnx.to_onnx`` converts a fitted ``TinyNetClassifier``,
alone or inside a pipeline. The graph is the forward pass of ``_network``:
``l = act(l @ W + b)`` for every hidden layer, then the output activation.
Needs the ``onnx`` extra: ``pip install "sklearn-tinynet[onnx]"``.
"""

import numpy as np

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.algebra.onnx_ops import (
        OnnxAdd,
        OnnxArgMax,
        OnnxArrayFeatureExtractor,
        OnnxCast,
        OnnxConcat,
        OnnxDiv,
        OnnxGreater,
        OnnxIdentity,
        OnnxMatMul,
        OnnxReduceSumApi11,
        OnnxRelu,
        OnnxReshape,
        OnnxSigmoid,
        OnnxSoftmax,
        OnnxSub,
        OnnxTanh,
    )
    from skl2onnx.common.data_types import Int64TensorType, guess_numpy_type
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
except ImportError as error:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "ONNX export needs skl2onnx and onnx: pip install 'sklearn-tinynet[onnx]'"
    ) from error

from ._classifier import TinyNetClassifier

__all__ = ["convert_tinynet_classifier", "tinynet_classifier_shapes"]

_HIDDEN_ACTIVATIONS = {
    "logistic": OnnxSigmoid,
    "tanh": OnnxTanh,
    "relu": OnnxRelu,
    "identity": None,
}


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

    layer = operator.inputs[0]
    last = len(model.coefs_) - 1
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = OnnxAdd(
            OnnxMatMul(layer, W.astype(dtype), op_version=opv),
            b.astype(dtype),
            op_version=opv,
        )
        activation = _HIDDEN_ACTIVATIONS[model.activation]
        layer = activation(z, op_version=opv) if i < last and activation else z
    logits = layer  # (N, n_outputs)

    if model.out_activation_ == "softmax":
        proba = OnnxSoftmax(logits, axis=1, op_version=opv)
    elif model._multilabel:
        proba = OnnxSigmoid(logits, op_version=opv)
    elif model.n_outputs_ == 1:
        # binary: [1 - p, p]
        p = OnnxSigmoid(logits, op_version=opv)
        proba = OnnxConcat(
            OnnxSub(np.array([1], dtype=dtype), p, op_version=opv),
            p,
            axis=1,
            op_version=opv,
        )
    else:
        # squared_error, multiclass: sigmoids normalised to sum to one
        p = OnnxSigmoid(logits, op_version=opv)
        proba = OnnxDiv(
            p,
            OnnxReduceSumApi11(p, axes=[1], keepdims=1, op_version=opv),
            op_version=opv,
        )

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
