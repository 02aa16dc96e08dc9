"""A uv.lock made for one project, rewritten for a project that differs only in its name.

In a uv.lock the project itself is one `[[package]]` entry (`source = { editable = "." }` or
`{ virtual = "." }`) and its name appears nowhere else unless the project depends on itself;
the entries are sorted by name. So renaming the project is renaming that entry and moving it to
where its new name sorts. Anything else (a second reference to the name, no such entry) is
refused with ValueError, and the caller locks that project itself. The test checks the result
with `uv lock --locked`.
"""

from __future__ import annotations

import re

ENTRY = "[[package]]\n"
NAME = re.compile(r'^name = "([^"]+)"$', re.MULTILINE)
OWN_SOURCE = re.compile(r"^source = \{ (editable|virtual) = \"\.\" \}$", re.MULTILINE)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def rename_project(lock: str, old: str, new: str) -> str:
    old, new = normalized(old), normalized(new)
    if old == new:
        return lock
    head, *entries = lock.split("\n" + ENTRY)
    if not entries:
        raise ValueError("uv.lock has no package entries")
    entries = [ENTRY + entry for entry in entries]
    names = [found.group(1) if (found := NAME.search(entry)) else "" for entry in entries]
    own = [i for i, entry in enumerate(entries) if names[i] == old and OWN_SOURCE.search(entry)]
    if len(own) != 1:
        raise ValueError(f"uv.lock has no single entry for the project {old}")
    quoted = re.compile(rf'"{re.escape(old)}(\[|"| |;|=|<|>|~|!)')
    others = [entry for i, entry in enumerate(entries) if i != own[0]]
    mine = entries[own[0]].replace(f'name = "{old}"\n', f'name = "{new}"\n', 1)
    if any(quoted.search(entry) for entry in [*others, mine]) or new in names:
        raise ValueError(f"uv.lock names {old} outside its own entry, or already has {new}")
    others_names = [name for i, name in enumerate(names) if i != own[0]]
    at = next((i for i, name in enumerate(others_names) if name > new), len(others))
    ordered = [*others[:at], mine, *others[at:]]
    return head + "\n" + "\n".join(ordered)
