"""Train a classifier on the point-in-time training set and measure it on a later period.

The split is by time, never random: the holdout is the latest labels, and training labels whose
7-day outcome window reaches into the holdout period are dropped (purged), so no training row's
target was decided by events the holdout is scored on. A random split would let the model see
each user's future and report a score no deployment could reach.
"""

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ..definitions import FEATURE_NAMES, LABEL_HORIZON
from ..errors import InputError
from ..skew.reference import build_reference
from .artifact import ModelBundle
from .summary import HoldoutMetrics, TrainingSummary


def time_split(
    training: pd.DataFrame, holdout_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(train, holdout, purged): the latest labels are the holdout, purged by the label horizon."""
    holdout_from = training["label_time"].quantile(1.0 - holdout_fraction)
    holdout = training[training["label_time"] >= holdout_from]
    before = training[training["label_time"] < holdout_from]
    train = before[before["label_time"] + LABEL_HORIZON <= holdout_from]
    if train.empty or holdout.empty or train["target"].nunique() < 2:
        raise InputError(
            f"training set: {len(training)} labels leave {len(train)} to train on and "
            f"{len(holdout)} to hold out; expected both, with positives and negatives "
            "(more users or days: FEATURES_N_USERS, FEATURES_N_DAYS)"
        )
    return train, holdout, len(before) - len(train)


def feature_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The model's input, in FEATURE_NAMES order; nulls stay NaN (the model handles them)."""
    return frame[list(FEATURE_NAMES)].to_numpy(dtype="float64", na_value=np.nan)


def train_model(
    training: pd.DataFrame, holdout_fraction: float, seed: int
) -> tuple[ModelBundle, TrainingSummary]:
    train, holdout, purged = time_split(training, holdout_fraction)
    x_train = feature_matrix(train)
    y_train = train["target"].to_numpy(dtype=bool)
    model = make_model(seed)
    model.fit(x_train, y_train)
    metrics = holdout_metrics(
        model.predict_proba(feature_matrix(holdout))[:, 1],
        holdout["target"].to_numpy(dtype=bool),
        float(y_train.mean()),
    )
    summary = TrainingSummary(
        train_rows=len(train),
        purged_rows=purged,
        train_until=train["label_time"].max().to_pydatetime(),
        holdout_from=holdout["label_time"].min().to_pydatetime(),
        holdout=metrics,
    )
    references = [build_reference(name, x_train[:, j]) for j, name in enumerate(FEATURE_NAMES)]
    bundle = ModelBundle.create(model, list(FEATURE_NAMES), references, summary)
    return bundle, summary


def make_model(seed: int) -> Pipeline:
    """Logistic regression on log-scaled features, with a missing-value indicator per feature.

    Every feature is a non-negative count, amount or duration with a long tail, so log1p puts
    them on a scale a linear model can use; a null ("no purchase in the window") becomes the
    training median plus an indicator, so the model learns what absence means. One prediction
    costs a few microseconds of arithmetic, which keeps serving latency about the lookup.
    """
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        FunctionTransformer(np.log1p),
        StandardScaler(),
        LogisticRegression(C=1.0, max_iter=1_000, random_state=seed),
    )


def holdout_metrics(scores: np.ndarray, target: np.ndarray, prior: float) -> HoldoutMetrics:
    both_classes = 0 < target.sum() < target.size
    constant = np.full_like(scores, prior)
    return HoldoutMetrics(
        rows=int(target.size),
        positive_rate=float(target.mean()),
        roc_auc=float(roc_auc_score(target, scores)) if both_classes else float("nan"),
        average_precision=float(average_precision_score(target, scores))
        if both_classes
        else float("nan"),
        brier=float(brier_score_loss(target, scores)),
        log_loss=float(log_loss(target, scores, labels=[False, True])),
        baseline_brier=float(brier_score_loss(target, constant)),
        baseline_log_loss=float(log_loss(target, constant, labels=[False, True])),
    )
