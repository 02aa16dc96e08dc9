"""Batches: padding to the longest sequence of each batch, and the order examples are batched in.

Padding is wasted compute, and on the attention path a padding mask also costs the fast causal
kernel (see the README's results). Two orders are offered so `make bench` can measure the
difference: `random` (shuffle, then cut into batches) and `length_grouped` (shuffle, sort
within mega-batches of `group_size` batches, then shuffle the batches), which keeps the
randomness of what ends up together while putting similar lengths in one batch.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from functools import partial

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .examples import IGNORE_INDEX, EncodedExample

Batch = dict[str, torch.Tensor]


class ExampleDataset(Dataset[EncodedExample]):
    def __init__(self, examples: Sequence[EncodedExample]) -> None:
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> EncodedExample:
        return self.examples[index]


def collate(examples: Sequence[EncodedExample], pad_token_id: int) -> Batch:
    """Right-pad to the batch's longest example; padding is masked out and ignored by the loss."""
    width = max(len(example) for example in examples)
    input_ids = torch.full((len(examples), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        length = len(example)
        input_ids[row, :length] = torch.tensor(example.input_ids)
        labels[row, :length] = torch.tensor(example.labels)
        attention_mask[row, :length] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask}


def collate_packed(examples: Sequence[EncodedExample], pad_token_id: int = 0) -> Batch:
    """The examples end to end in one row, without padding and without cross-contamination.

    `position_ids` restart at 0 at each example and there is no `attention_mask`: transformers
    then reads the example boundaries from the position ids and gives each example its own
    causal attention block (a block-diagonal mask for SDPA and eager, a block mask for flex
    attention, variable-length kernels for flash attention). The first label of each example is
    ignored, so no example is trained to predict across a boundary. `pad_token_id` is unused; it
    keeps the signature of `collate`.
    """
    del pad_token_id
    input_ids = [token for example in examples for token in example.input_ids]
    labels = [label for example in examples for label in [IGNORE_INDEX, *example.labels[1:]]]
    positions = [position for example in examples for position in range(len(example))]
    return {
        "input_ids": torch.tensor([input_ids]),
        "labels": torch.tensor([labels]),
        "position_ids": torch.tensor([positions]),
    }


def model_inputs(batch: Batch) -> dict[str, torch.Tensor | bool]:
    """What the model's forward takes: a padding mask, or (packed) position ids and no cache,
    since transformers only reads packed boundaries from position ids without a mask or cache."""
    if "position_ids" in batch:
        return {
            "input_ids": batch["input_ids"],
            "position_ids": batch["position_ids"],
            "use_cache": False,
        }
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}


def real_tokens(batch: Batch) -> int:
    """Non-padding tokens of a batch (all of them when packed)."""
    mask = batch.get("attention_mask")
    return int(mask.sum()) if mask is not None else batch["input_ids"].numel()


class BatchOrder(Sampler[list[int]]):
    """Yields lists of indices, one per batch; a new seeded order every pass over the data.

    Each pass reshuffles with `seed + epoch`, so a run is reproducible from its seed, and every
    process of a distributed run draws the same order (accelerate then hands each process its
    own share of the batches).
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        seed: int,
        length_grouped: bool,
        group_size: int = 16,
    ) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.length_grouped = length_grouped
        self.group_size = group_size
        self.epoch = 0

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed + self.epoch)
        self.epoch += 1
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        if self.length_grouped:
            span = self.batch_size * self.group_size
            order = [
                index
                for start in range(0, len(order), span)
                for index in sorted(order[start : start + span], key=self.lengths.__getitem__)
            ]
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.length_grouped:
            rng.shuffle(batches)  # sorted batches in a row would put every long batch last
        yield from batches


def make_loader(
    examples: Sequence[EncodedExample],
    pad_token_id: int,
    batch_size: int,
    seed: int,
    length_grouped: bool,
    packed: bool = False,
) -> DataLoader[EncodedExample]:
    """Training batches of `batch_size` examples: padded per batch, or packed into one row."""
    order = BatchOrder([len(e) for e in examples], batch_size, seed, length_grouped)
    return DataLoader(
        ExampleDataset(examples),
        batch_sampler=order,
        collate_fn=partial(collate_packed if packed else collate, pad_token_id=pad_token_id),
        # Its own generator: each new pass's iterator draws a seed from it, and drawing from the
        # global RNG instead would shift dropout after a resume.
        generator=torch.Generator().manual_seed(seed),
    )


def make_eval_loader(
    examples: Sequence[EncodedExample], pad_token_id: int, batch_size: int
) -> DataLoader[EncodedExample]:
    """Batches sorted by length, the same on every pass: an eval loss must not depend on how
    many evaluations ran before it (sums in another order differ in the last bits)."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return DataLoader(
        ExampleDataset(examples),
        batch_sampler=batches,
        collate_fn=partial(collate, pad_token_id=pad_token_id),
    )


def padding_fraction(batch: Batch) -> float:
    """Share of the batch's positions that are padding."""
    return 1.0 - real_tokens(batch) / batch["input_ids"].numel()
