"""Exercise: the point-in-time join (offline/training_set.py, `training_set_query`)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd
from conftest import build, day


def test_newest_snapshot_at_or_before_the_label(
    training_set: ModuleType, feature_names: tuple[str, ...], tmp_path: Path
) -> None:
    """Each label gets the user's newest snapshot with as_of <= label_time (equal counts)."""
    out = build(training_set, feature_names, tmp_path, [(1, 1), (1, 5), (1, 10)], [(1, 7), (1, 10)])
    assert list(pd.to_datetime(out["feature_as_of"])) == [day(5), day(10)]
    assert list(out[feature_names[0]]) == [105.0, 110.0]


def test_never_a_later_snapshot(
    training_set: ModuleType, feature_names: tuple[str, ...], tmp_path: Path
) -> None:
    """A snapshot taken after the label time is never used: that would leak the future."""
    out = build(training_set, feature_names, tmp_path, [(1, 2), (1, 9)], [(1, 8.5)])
    assert pd.to_datetime(out["feature_as_of"]).iloc[0] == day(2)


def test_never_another_users_snapshot(
    training_set: ModuleType, feature_names: tuple[str, ...], tmp_path: Path
) -> None:
    """A label only ever gets its own user's features, even when another user's are newer."""
    out = build(training_set, feature_names, tmp_path, [(1, 1), (2, 6)], [(1, 7), (2, 7)])
    assert list(out[feature_names[0]]) == [101.0, 206.0]


def test_label_without_snapshot_is_kept_with_nulls(
    training_set: ModuleType, feature_names: tuple[str, ...], tmp_path: Path
) -> None:
    """A label with no earlier snapshot is kept, its feature_as_of and features null."""
    out = build(training_set, feature_names, tmp_path, [(1, 5)], [(1, 3), (1, 6)])
    assert len(out) == 2
    assert out["feature_as_of"].isna().tolist() == [True, False]
    assert out[list(feature_names)].iloc[0].isna().all()


def test_columns_order_and_target(
    training_set: ModuleType, feature_names: tuple[str, ...], tmp_path: Path
) -> None:
    """One row per label in label_id order, the documented columns, targets from future events."""
    out = build(
        training_set,
        feature_names,
        tmp_path,
        [(1, 1), (2, 1)],
        [(2, 5), (1, 5), (1, 20)],
        events=[(1, 6), (1, 4), (2, 30)],  # user 1 buys on day 6 (inside the horizon of day 5)
    )
    assert tuple(out.columns) == tuple(training_set.TRAINING_SET_COLUMNS)
    assert list(out["label_id"]) == [0, 1, 2]
    assert list(out["target"].astype(bool)) == [False, True, False]
