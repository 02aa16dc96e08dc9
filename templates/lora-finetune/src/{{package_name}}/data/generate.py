"""The embedded instruction dataset: short, checkable tasks written out deterministically.

Each task has one right answer that follows from the prompt (reverse a word, sort a list, ...),
so a falling eval loss means the adapter learned the tasks, not noise. The shipped files
`instructions_train.jsonl` / `instructions_eval.jsonl` are exactly what `write_dataset()`
produces (a test holds them to it); regenerate with `<cli> make-dataset`.
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


def write_dataset(
    folder: Path, train_count: int = 480, eval_count: int = 64, seed: int = 0
) -> tuple[Path, Path]:
    """Write the train and eval JSONL files.

    The eval split comes from its own seed stream and leaves out any prompt the train split
    has, so eval loss measures generalisation to unseen inputs, not recall.
    """
    folder.mkdir(parents=True, exist_ok=True)
    train = generate_examples(train_count, seed)
    seen = {example["prompt"] for example in train}
    candidates = generate_examples(eval_count * 4, seed + 1)
    unseen = [example for example in candidates if example["prompt"] not in seen]
    train_path = folder / "instructions_train.jsonl"
    eval_path = folder / "instructions_eval.jsonl"
    _write_jsonl(train_path, train)
    _write_jsonl(eval_path, unseen[:eval_count])
    return train_path, eval_path


def _write_jsonl(path: Path, examples: list[Example]) -> None:
    lines = (json.dumps(example, ensure_ascii=False) for example in examples)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
