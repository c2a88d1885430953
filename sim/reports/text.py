"""The text catalogue (``text.yaml``): every label, in English and Chinese side by side.

Example:
    >>> by_lang("causes")["zh"]["illness"]
    '疾病'
    >>> pairs("names")["seed"]
    ('seed', '随机种子')
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

CATALOGUE = Path(__file__).with_name("text.yaml")
LANGS = ("en", "zh")


@functools.cache
def catalogue() -> dict[str, Any]:
    """The whole catalogue: section -> entries (key -> {en, zh}; ``towns`` a list)."""
    return yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))


def by_lang(section: str) -> dict[str, dict[str, str]]:
    """A section by language: ``{"en": {key: text}, "zh": {key: text}}``."""
    entries = catalogue()[section]
    return {lang: {k: v[lang] for k, v in entries.items()} for lang in LANGS}


def pairs(section: str) -> dict[str, tuple[str, str]]:
    """A section as key -> (English, Chinese)."""
    return {k: (v["en"], v["zh"]) for k, v in catalogue()[section].items()}


def towns() -> dict[str, list[str]]:
    """The towns' names by language, in the order of the district's town indices."""
    return {lang: [t[lang] for t in catalogue()["towns"]] for lang in LANGS}
