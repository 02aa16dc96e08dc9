"""Instruction records -> token ids with prompt masking: the loss sees only response tokens.

A record is a JSON object with string fields `prompt` and `response` (other fields are kept out
of the model). Prompt and response are tokenized separately and concatenated, so the boundary
between them is exact for any tokenizer; prompt positions get the label -100, which every
PyTorch/transformers cross-entropy ignores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from transformers import PreTrainedTokenizerBase

from ..errors import DataError

IGNORE_INDEX = -100
PROMPT_TEMPLATE = "### Instruction:\n{prompt}\n\n### Response:\n"


@dataclass(frozen=True)
class EncodedExample:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False  # the response was cut to fit max_length

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass(frozen=True)
class EncodedDataset:
    examples: list[EncodedExample]
    truncated: int  # response cut at max_length
    dropped: int  # prompt alone did not fit in max_length

    def summary(self, name: str) -> str:
        return (
            f"{name}: {len(self.examples)} examples, {self.truncated} truncated, "
            f"{self.dropped} dropped (prompt longer than max_length)"
        )


def embedded_path(split: str) -> Path:
    """The package's own dataset file for `split` ("train" or "eval")."""
    return Path(str(resources.files(__package__).joinpath(f"instructions_{split}.jsonl")))


def read_records(path: Path) -> list[tuple[str, str]]:
    """(prompt, response) pairs from a JSONL file; a bad line is an error naming the line."""
    if not path.is_file():
        raise DataError(f"dataset file {path} does not exist (expected JSONL with prompt/response)")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path} line {number}: not valid JSON ({err.msg})") from err
        if not (
            isinstance(record, dict)
            and isinstance(record.get("prompt"), str)
            and isinstance(record.get("response"), str)
        ):
            raise DataError(
                f"{path} line {number}: expected an object with string fields "
                "'prompt' and 'response'"
            )
        records.append((record["prompt"], record["response"]))
    if not records:
        raise DataError(f"dataset file {path} has no records")
    return records


def encode_example(
    prompt: str, response: str, tokenizer: PreTrainedTokenizerBase, max_length: int
) -> EncodedExample | None:
    """Token ids and labels for one example; None when the prompt alone exceeds max_length."""
    prompt_ids = tokenizer.encode(PROMPT_TEMPLATE.format(prompt=prompt), add_special_tokens=False)
    response_ids = tokenizer.encode(response, add_special_tokens=False)
    if tokenizer.bos_token_id is not None:
        prompt_ids = [tokenizer.bos_token_id, *prompt_ids]
    if tokenizer.eos_token_id is not None:
        # The model must learn where a response ends, so EOS is a trained target.
        response_ids = [*response_ids, tokenizer.eos_token_id]
    if len(prompt_ids) >= max_length:
        return None
    room = max_length - len(prompt_ids)
    return EncodedExample(
        input_ids=prompt_ids + response_ids[:room],
        labels=[IGNORE_INDEX] * len(prompt_ids) + response_ids[:room],
        truncated=len(response_ids) > room,
    )


def encode_file(path: Path, tokenizer: PreTrainedTokenizerBase, max_length: int) -> EncodedDataset:
    encoded = [encode_example(p, r, tokenizer, max_length) for p, r in read_records(path)]
    examples = [example for example in encoded if example is not None]
    if not examples:
        raise DataError(f"{path}: every prompt is longer than max_length={max_length}")
    return EncodedDataset(
        examples,
        truncated=sum(example.truncated for example in examples),
        dropped=len(encoded) - len(examples),
    )
