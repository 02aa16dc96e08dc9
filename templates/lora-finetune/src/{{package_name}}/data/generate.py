"""The embedded instruction dataset: short, checkable tasks written out deterministically.

Each task has one right answer that follows from the prompt (reverse a word, sort a list, ...),
so a falling eval loss means the adapter learned the tasks, not noise. The shipped files
`instructions_{train,validation,test}.jsonl` are exactly what `write_dataset()` produces (a
test holds them to it); regenerate with `<cli> make-dataset`. The answers are exact strings, so
the test split's metric is exact match of the generated response (see `evaluate`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

FRUIT = ("apple", "banana", "cherry", "grape", "lemon", "mango", "melon", "olive", "peach")
PLACES = ("river", "ocean", "forest", "desert", "island", "valley", "meadow", "canyon", "harbor")
COLOURS = ("red", "blue", "green", "yellow", "purple", "orange", "silver", "golden")
MOODS = ("quick", "quiet", "brave", "calm", "eager", "gentle", "happy", "proud", "wise")
ANIMALS = ("cat", "dog", "horse", "tiger", "zebra", "eagle", "otter", "panda", "rabbit")
THINGS = ("table", "chair", "window", "garden", "bridge", "castle", "rocket", "engine", "pencil")
IDEAS = ("music", "dance", "paint", "story", "dream", "light", "stone", "cloud", "storm")
WORDS = FRUIT + PLACES + COLOURS + MOODS + ANIMALS + THINGS + IDEAS

OPPOSITES = {
    "hot": "cold",
    "up": "down",
    "fast": "slow",
    "big": "small",
    "early": "late",
    "light": "dark",
    "happy": "sad",
    "open": "closed",
    "full": "empty",
    "strong": "weak",
    "young": "old",
    "high": "low",
    "hard": "soft",
    "wet": "dry",
    "loud": "quiet",
}
OPPOSITES.update({b: a for a, b in list(OPPOSITES.items())})

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class Example(TypedDict):
    task: str
    prompt: str
    response: str


def _reverse(rng: random.Random) -> Example:
    word = rng.choice(WORDS)
    return {"task": "reverse", "prompt": f"Reverse the word: {word}", "response": word[::-1]}


def _uppercase(rng: random.Random) -> Example:
    phrase = " ".join(rng.sample(WORDS, rng.randint(2, 4)))
    return {
        "task": "uppercase",
        "prompt": f"Write in capital letters: {phrase}",
        "response": phrase.upper(),
    }


def _sort_words(rng: random.Random) -> Example:
    words = rng.sample(WORDS, rng.randint(3, 8))
    return {
        "task": "sort",
        "prompt": "Sort these words alphabetically: " + ", ".join(words),
        "response": ", ".join(sorted(words)),
    }


def _repeat(rng: random.Random) -> Example:
    word, times = rng.choice(WORDS), rng.randint(2, 6)
    return {
        "task": "repeat",
        "prompt": f"Repeat the word {word} {times} times.",
        "response": " ".join([word] * times),
    }


def _opposite(rng: random.Random) -> Example:
    word = rng.choice(sorted(OPPOSITES))
    return {
        "task": "opposite",
        "prompt": f"What is the opposite of {word}?",
        "response": OPPOSITES[word],
    }


def _spell_digits(rng: random.Random) -> Example:
    number = str(rng.randint(10, 999_999))
    return {
        "task": "spell",
        "prompt": f"Spell out each digit of {number}.",
        "response": " ".join(NUMBER_WORDS[int(digit)] for digit in number),
    }


def _initials(rng: random.Random) -> Example:
    words = rng.sample(WORDS, rng.randint(2, 5))
    return {
        "task": "initials",
        "prompt": "Give the initials of: " + " ".join(words),
        "response": "".join(word[0].upper() for word in words),
    }


def _add(rng: random.Random) -> Example:
    a, b = rng.randint(0, 99), rng.randint(0, 99)
    return {"task": "add", "prompt": f"What is {a} plus {b}?", "response": str(a + b)}


TASKS: tuple[Callable[[random.Random], Example], ...] = (
    _reverse,
    _uppercase,
    _sort_words,
    _repeat,
    _opposite,
    _spell_digits,
    _initials,
    _add,
)


def generate_examples(count: int, seed: int) -> list[Example]:
    """`count` examples, tasks in rotation, contents drawn from a seeded RNG."""
    rng = random.Random(seed)
    return [TASKS[i % len(TASKS)](rng) for i in range(count)]


SPLITS = ("train", "validation", "test")


def write_dataset(
    folder: Path,
    train_count: int = 480,
    validation_count: int = 64,
    test_count: int = 160,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the train, validation and test JSONL files.

    Each split comes from its own seed stream and leaves out every prompt an earlier split has,
    so validation loss (watched during training) and the test metrics (`evaluate`) measure
    generalisation to unseen inputs, not recall. Tasks rotate, so each split covers all of them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"train": train_count, "validation": validation_count, "test": test_count}
    seen: set[str] = set()
    paths = {}
    for offset, split in enumerate(SPLITS):
        candidates = generate_examples(
            counts[split] * 4 if offset else counts[split], seed + offset
        )
        unseen = [example for example in candidates if example["prompt"] not in seen]
        chosen = unseen[: counts[split]]
        seen.update(example["prompt"] for example in chosen)
        paths[split] = folder / f"instructions_{split}.jsonl"
        _write_jsonl(paths[split], chosen)
    return paths


def _write_jsonl(path: Path, examples: list[Example]) -> None:
    lines = (json.dumps(example, ensure_ascii=False) for example in examples)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
