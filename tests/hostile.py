"""Answers full of what breaks naive interpolation: both quote kinds, backslashes, Jinja syntax,
shell and Make metacharacters, HTML, non-ASCII and astral-plane characters, and the longest
project name copier.yml accepts. tests/generator/test_hostile_answers.py checks that every file
they land in parses; tests/test_templates.py runs the generated projects' own checks with them.
"""

from __future__ import annotations

DESCRIPTION = (
    "He said \"hi\" & 'bye' \\ C:\\new\\table \\n {{ x }} {% raw %}{{ y }}{% endraw %} {# c #} "
    "$(rm -rf ~) `id` ${HOME} $$ # not a comment; <b>&amp;</b> Zoë Ångström 李雷 🚀 "
    "\u2018curly\u2019 \u2013 dash"
)
AUTHOR_NAME = 'Zoë "Z" O\'Brien \\ Ångström 李雷 $(whoami) #x {{ name }}'
# An internationalised domain; the part before the @ must be ASCII (Python packaging's rule).
AUTHOR_EMAIL = "zoe.o'brien+ml@例子.中国"
GPU_BASE_MODEL = 'org/model "x" \\ #y: {{ z }} - [a] {b}'
# The longest name copier.yml accepts: every generated line that carries it must still fit.
PROJECT_NAME = "loan-default-risk-scoring-service-api-v2"
PACKAGE_NAME = PROJECT_NAME.replace("-", "_")

HOSTILE: dict[str, str] = {
    "project_name": PROJECT_NAME,
    "description": DESCRIPTION,
    "author_name": AUTHOR_NAME,
    "author_email": AUTHOR_EMAIL,
}

# The answer only lora-finetune asks, as hostile.
HOSTILE_BY_TEMPLATE: dict[str, dict[str, str]] = {
    "lora-finetune": {"gpu_base_model": GPU_BASE_MODEL}
}
