"""The feature schema: the one definition of what the model reads and the API accepts.

The request schema, the training matrix, the drift reference and the artifact metadata are all
derived from `FEATURES`, so they cannot disagree. Categorical values travel through the model as
their index in `categories` (a float column), which keeps the hot path free of pandas.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class NumericFeature:
    name: str
    description: str
    minimum: float
    maximum: float
    example: float
    integer: bool = False

    kind = "numeric"


@dataclass(frozen=True)
class CategoricalFeature:
    name: str
    description: str
    categories: tuple[str, ...]
    example: str

    kind = "categorical"


Feature = NumericFeature | CategoricalFeature

FEATURES: tuple[Feature, ...] = (
    NumericFeature("age", "Applicant age in years", 18, 100, 41, integer=True),
    NumericFeature("annual_income", "Gross annual income in USD", 0, 10_000_000, 58_000.0),
    NumericFeature("loan_amount", "Requested principal in USD", 500, 1_000_000, 14_500.0),
    NumericFeature("term_months", "Loan term in months", 6, 120, 36, integer=True),
    NumericFeature("interest_rate", "Offered annual interest rate in percent", 0, 40, 11.5),
    NumericFeature("credit_score", "FICO-style credit score", 300, 850, 690, integer=True),
    NumericFeature("debt_to_income", "Monthly debt payments over monthly income", 0, 5, 0.31),
    NumericFeature("employment_years", "Years at the current employer", 0, 70, 4.5),
    NumericFeature("open_accounts", "Open credit lines", 0, 100, 7, integer=True),
    NumericFeature("delinquencies_2y", "30+ day delinquencies in 2 years", 0, 50, 0, integer=True),
    CategoricalFeature(
        "home_ownership", "Housing situation", ("rent", "mortgage", "own"), "mortgage"
    ),
    CategoricalFeature(
        "purpose",
        "What the loan is for",
        ("debt_consolidation", "credit_card", "home_improvement", "car", "small_business", "other"),
        "debt_consolidation",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
NUMERIC_COLUMNS: tuple[int, ...] = tuple(
    i for i, f in enumerate(FEATURES) if isinstance(f, NumericFeature)
)
CATEGORICAL_COLUMNS: tuple[int, ...] = tuple(
    i for i, f in enumerate(FEATURES) if isinstance(f, CategoricalFeature)
)


def schema_as_dict(features: tuple[Feature, ...] = FEATURES) -> list[dict[str, Any]]:
    """The schema as JSON-ready dicts; stored in the artifact and compared on load."""
    return [{"kind": f.kind, **asdict(f)} for f in features]


def example_record() -> dict[str, Any]:
    return {f.name: f.example for f in FEATURES}
