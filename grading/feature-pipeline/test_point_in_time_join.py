"""Exercise: the point-in-time join (offline/training_set.py, `training_set_query`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from probe._inputs import day

Outputs = Callable[[str], Any]


def iso(n: float) -> str:
    return day(n).isoformat()


def test_newest_snapshot_at_or_before_the_label(outputs: Outputs) -> None:
    """Each label gets the user's newest snapshot with as_of <= label_time (equal counts)."""
    out = outputs("training_set.newest_snapshot")
    assert out["values"]["feature_as_of"] == [iso(5), iso(10)]
    assert out["values"][out["feature_names"][0]] == [105.0, 110.0]


def test_never_a_later_snapshot(outputs: Outputs) -> None:
    """A snapshot taken after the label time is never used: that would leak the future."""
    out = outputs("training_set.never_later")
    assert out["values"]["feature_as_of"][0] == iso(2)


def test_never_another_users_snapshot(outputs: Outputs) -> None:
    """A label only ever gets its own user's features, even when another user's are newer."""
    out = outputs("training_set.never_other_user")
    assert out["values"][out["feature_names"][0]] == [101.0, 206.0]


def test_label_without_snapshot_is_kept_with_nulls(outputs: Outputs) -> None:
    """A label with no earlier snapshot is kept, its feature_as_of and features null."""
    out = outputs("training_set.label_without_snapshot")
    assert out["rows"] == 2
    assert [t is None for t in out["values"]["feature_as_of"]] == [True, False]
    assert all(out["values"][name][0] is None for name in out["feature_names"])


def test_columns_order_and_target(outputs: Outputs) -> None:
    """One row per label in label_id order, the documented columns, targets from future events."""
    out = outputs("training_set.columns_and_target")
    assert out["columns"] == out["declared_columns"]
    assert out["values"]["label_id"] == [0, 1, 2]
    assert out["values"]["target"] == [False, True, False]
