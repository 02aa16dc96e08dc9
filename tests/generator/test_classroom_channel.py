"""The channel a student's run hands its outputs through is read as untrusted data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpath.classroom import channel


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "results.jsonl"
    path.write_bytes(data)
    return path


def test_only_well_formed_records_for_a_case_are_kept_the_first_one_wins(tmp_path: Path) -> None:
    lines = [
        b'{"case": "ndcg.a", "value": [1, 2.5, null, {"k": "v"}]}',
        b'{"case": "ndcg.a", "value": 99}',  # a second claim for the same case is ignored
        b'{"case": "ndcg.b", "error": "NotImplementedError: exercise"}',
        b'{"case": "ndcg.c", "timed_out": true}',
        b'{"nodeid": "test_ndcg.py::t", "when": "call", "outcome": "passed"}',  # a forged verdict
        b'{"case": "ndcg.d", "outcome": "passed"}',
        b'{"case": 7, "value": 1}',
        b"\xff\xfe not utf-8",
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser goes
        b"cos(x)",
        b'{"case": "ndcg.e", "timed_out": "yes"}',
        b'{"case": "ndcg.f", "error": ' + json.dumps("x" * 5000).encode() + b"}",
    ]
    outputs, cut = channel.read_outputs(write(tmp_path, b"\n".join(lines)))
    assert not cut
    assert outputs == {
        "ndcg.a": {"case": "ndcg.a", "value": [1, 2.5, None, {"k": "v"}]},
        "ndcg.b": {"case": "ndcg.b", "error": "NotImplementedError: exercise"},
        "ndcg.c": {"case": "ndcg.c", "timed_out": True},
        "ndcg.f": {"case": "ndcg.f", "error": "x" * channel.MAX_ERROR_CHARS},
    }


def test_a_channel_past_the_limit_is_cut_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "MAX_CHANNEL_BYTES", 100)
    first = b'{"case": "a", "value": 1}\n'
    outputs, cut = channel.read_outputs(
        write(tmp_path, first + b'{"case": "b", "value": "' + b"x" * 200 + b'"}\n')
    )
    assert cut
    assert outputs == {"a": {"case": "a", "value": 1}}


def test_a_missing_channel_is_no_output(tmp_path: Path) -> None:
    assert channel.read_outputs(tmp_path / "absent.jsonl") == ({}, False)
