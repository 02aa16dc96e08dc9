"""A seeded synthetic loan book: realistic marginals, a known nonlinear default mechanism.

Real credit data cannot ship with a template, so the generator encodes the relationships a credit
model is expected to learn (affordability, credit history, pricing, purpose) with noise, and
`shift` moves the applicant population to exercise drift monitoring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .features import FEATURE_NAMES, FEATURES, CategoricalFeature, NumericFeature

_PURPOSE_RISK = {
    "debt_consolidation": 0.15,
    "credit_card": 0.0,
    "home_improvement": -0.2,
    "car": -0.1,
    "small_business": 0.7,
    "other": 0.25,
}
_HOME_RISK = {"rent": 0.25, "mortgage": -0.1, "own": -0.2}


@dataclass(frozen=True)
class Dataset:
    """Features in schema order (categoricals as category indices) and the default label."""

    features: np.ndarray
    labels: np.ndarray

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(",".join(FEATURE_NAMES).encode())
        digest.update(np.ascontiguousarray(self.features, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        return digest.hexdigest()


def generate_loans(n_rows: int, seed: int, shift: float = 0.0) -> Dataset:
    """Draw `n_rows` applications; `shift` > 0 makes applicants poorer and riskier."""
    if n_rows <= 0:
        raise ValueError(f"n_rows must be positive, got {n_rows}")
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(42 - 6 * shift, 12, n_rows), 18, 90).round()
    income = np.clip(rng.lognormal(np.log(58_000) - 0.4 * shift, 0.55, n_rows), 8_000, 2_000_000)
    loan = np.clip(rng.lognormal(np.log(14_000) + 0.3 * shift, 0.65, n_rows), 500, 400_000)
    term = rng.choice([12, 24, 36, 60], size=n_rows, p=[0.1, 0.2, 0.45, 0.25]).astype(float)
    score = np.clip(rng.normal(690 - 50 * shift, 55, n_rows), 300, 850).round()
    dti = np.clip(rng.beta(2.2, 5.0, n_rows) * (1.0 + 0.5 * shift), 0.0, 3.0)
    rate = np.clip(6 + (760 - score) * 0.045 + rng.normal(0, 1.8, n_rows), 2.5, 36.0)
    employment = np.clip(rng.exponential(6.0, n_rows), 0.0, age - 16)
    accounts = rng.poisson(7.5, n_rows).astype(float)
    delinquencies = rng.poisson(0.25 + 0.5 * shift, n_rows).astype(float)
    home = rng.choice(3, size=n_rows, p=[0.42, 0.43, 0.15]).astype(float)
    purpose = rng.choice(6, size=n_rows, p=[0.38, 0.22, 0.1, 0.1, 0.06, 0.14]).astype(float)

    home_feature, purpose_feature = FEATURES[10], FEATURES[11]
    assert isinstance(home_feature, CategoricalFeature)
    assert isinstance(purpose_feature, CategoricalFeature)
    home_risk = np.array([_HOME_RISK[c] for c in home_feature.categories])[home.astype(int)]
    purpose_risk = np.array([_PURPOSE_RISK[c] for c in purpose_feature.categories])[
        purpose.astype(int)
    ]
    payment_burden = loan / income * (36.0 / term) ** 0.5
    logit = (
        -3.2
        + 2.4 * (dti - 0.3)
        - 0.011 * (score - 690)
        + 0.05 * (rate - 12)
        + 0.55 * np.minimum(delinquencies, 4)
        + 1.6 * np.log1p(payment_burden * 4)
        - 0.04 * np.minimum(employment, 10)
        + 0.0009 * (age - 45) ** 2
        + home_risk
        + purpose_risk
    )
    labels = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    columns = [age, income, loan, term, rate, score, dti, employment, accounts, delinquencies]
    features = np.column_stack([*columns, home, purpose])
    return Dataset(features=features, labels=labels)


def to_records(features: np.ndarray) -> list[dict[str, float | str]]:
    """Rows of the feature matrix as API request records (categories decoded, ints as ints)."""
    records: list[dict[str, float | str]] = []
    for row in features:
        record: dict[str, float | str] = {}
        for value, feature in zip(row, FEATURES, strict=True):
            if isinstance(feature, CategoricalFeature):
                record[feature.name] = feature.categories[int(value)]
            elif isinstance(feature, NumericFeature) and feature.integer:
                record[feature.name] = int(value)
            else:
                record[feature.name] = round(float(value), 4)
        records.append(record)
    return records
