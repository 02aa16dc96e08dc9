"""What training reports: the split and the holdout metrics (no scikit-learn import needed)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class HoldoutMetrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    positive_rate: float
    roc_auc: float
    average_precision: float
    brier: float
    log_loss: float
    # The same scores for a constant prediction (the training positive rate), for scale.
    baseline_brier: float
    baseline_log_loss: float


class TrainingSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    train_rows: int
    purged_rows: int
    train_until: datetime  # training labels end here (exclusive) ...
    holdout_from: datetime  # ... and their outcome windows before the holdout starts
    holdout: HoldoutMetrics
