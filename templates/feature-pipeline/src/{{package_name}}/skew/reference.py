"""Reference distributions: a feature's bins and shares in the training data, kept with the model.

Numeric features get quantile bins of the training values plus a bin for nulls (the same binning
`metrics.psi` uses); categorical features get one bin per category. Served traffic is binned on
the same edges later, so PSI compares it with what the model was trained on, not with itself.
"""

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..definitions import FEATURES_BY_NAME
from .metrics import PSI_BINS, PSI_EPSILON, quantile_edges, shares_on_edges


class FeatureReference(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    kind: str
    edges: list[float]  # numeric: interior bin edges; categorical: the category codes
    shares: list[float]  # per bin, then the null bin; sums to 1

    def shares_of(self, values: np.ndarray) -> np.ndarray:
        """`values` binned like the reference, as shares (unfloored)."""
        if self.kind == "categorical":
            return categorical_shares(np.asarray(self.edges), values)
        return shares_on_edges(np.asarray(self.edges), values)


def build_reference(feature: str, values: np.ndarray, bins: int = PSI_BINS) -> FeatureReference:
    kind = FEATURES_BY_NAME[feature].kind
    present = values[~np.isnan(values)]
    edges = np.unique(present) if kind == "categorical" else quantile_edges(present, bins)
    reference = FeatureReference(feature=feature, kind=kind, edges=edges.tolist(), shares=[])
    shares = reference.shares_of(values)
    return reference.model_copy(update={"shares": shares.tolist()})


def categorical_shares(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Share of each known code, then of nulls; an unseen code counts toward the null bin."""
    null = np.isnan(values)
    counts = [float(np.sum(values[~null] == code)) for code in codes]
    counts.append(float(values.size - sum(counts)))
    return np.asarray(counts) / max(values.size, 1)


def psi_against(reference: FeatureReference, values: np.ndarray) -> float:
    expected = np.clip(np.asarray(reference.shares), PSI_EPSILON, None)
    actual = np.clip(reference.shares_of(values), PSI_EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def total_variation(reference: FeatureReference, values: np.ndarray) -> float:
    """Half the L1 distance between the category shares: 0 identical, 1 disjoint."""
    return float(0.5 * np.abs(np.asarray(reference.shares) - reference.shares_of(values)).sum())
