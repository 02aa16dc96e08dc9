"""Export the fitted pipeline to ONNX with skl2onnx, for the ONNX Runtime backend.

skl2onnx converts StandardScaler and LogisticRegression itself; `LoanEncoder` is this project's
own transformer, so its converter is here: the same gathers, log1p and one-hot comparisons as its
numpy `transform`, as ONNX operators. The graph computes in float64, like scikit-learn, so the
two backends agree to rounding (tests/io/test_backends.py measures it on 10,000 rows).

Gradient-boosted trees with native categorical splits have no skl2onnx converter: a `gbdt`
artifact is saved without an ONNX export and served by scikit-learn.
"""

from __future__ import annotations

from typing import Any

from onnx import TensorProto
from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType

from ..core.encoding import LOG_COLUMNS, LoanEncoder
from ..core.features import CATEGORICAL_COLUMNS, FEATURES, NUMERIC_COLUMNS, CategoricalFeature
from .backends import INPUT_NAME

EXPORTABLE_MODEL_TYPES = frozenset({"logistic"})


def _categories(column: int) -> tuple[str, ...]:
    feature = FEATURES[column]
    assert isinstance(feature, CategoricalFeature)
    return feature.categories


ENCODED_WIDTH = len(NUMERIC_COLUMNS) + sum(len(_categories(c)) for c in CATEGORICAL_COLUMNS)


def _encoder_shape(operator: Any) -> None:
    rows = operator.inputs[0].type.shape[0]
    operator.outputs[0].type = DoubleTensorType([rows, ENCODED_WIDTH])


def _encoder_converter(scope: Any, operator: Any, container: Any) -> None:
    def name(stem: str) -> str:
        return str(scope.get_unique_variable_name(stem))

    def constant(stem: str, dtype: int, values: list[Any], shape: list[int] | None = None) -> str:
        constant_name = name(stem)
        container.add_initializer(
            constant_name, dtype, [len(values)] if shape is None else shape, values
        )
        return constant_name

    def node(op: str, inputs: list[str], stem: str, **attributes: Any) -> str:
        output = name(stem)
        container.add_node(op, inputs, output, name=name(op), **attributes)
        return output

    features = operator.inputs[0].full_name
    numeric_columns = constant("numeric_columns", TensorProto.INT64, list(NUMERIC_COLUMNS))
    numeric = node("Gather", [features, numeric_columns], "numeric", axis=1)
    one = constant("one", TensorProto.DOUBLE, [1.0], shape=[])
    log1p = node("Log", [node("Add", [numeric, one], "plus_one")], "log1p")
    is_money = constant(
        "is_money", TensorProto.BOOL, [column in LOG_COLUMNS for column in NUMERIC_COLUMNS]
    )
    blocks = [node("Where", [is_money, log1p, numeric], "numeric_encoded")]
    for column in CATEGORICAL_COLUMNS:
        index = constant("column", TensorProto.INT64, [column])
        # Truncate to int64 as numpy's astype does; an unknown code matches no category.
        codes = node(
            "Cast",
            [node("Gather", [features, index], "codes", axis=1)],
            "codes_int",
            to=TensorProto.INT64,
        )
        categories = constant(
            "categories", TensorProto.INT64, list(range(len(_categories(column))))
        )
        matches = node("Equal", [codes, categories], "matches")
        blocks.append(node("Cast", [matches], "one_hot", to=TensorProto.DOUBLE))
    container.add_node("Concat", blocks, operator.outputs[0].full_name, name=name("Concat"), axis=1)


update_registered_converter(LoanEncoder, "MlpathLoanEncoder", _encoder_shape, _encoder_converter)


def export_onnx(pipeline: Any) -> bytes:
    """The fitted pipeline as an ONNX model: float64 rows in, class probabilities out."""
    classifier = pipeline.steps[-1][1]
    model = convert_sklearn(
        pipeline,
        initial_types=[(INPUT_NAME, DoubleTensorType([None, len(FEATURES)]))],
        options={id(classifier): {"zipmap": False}},  # a plain tensor, not a list of dicts
    )
    return bytes(model.SerializeToString())
