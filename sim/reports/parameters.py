"""The levers' parameter reference (docs/parameters.md), made from their declarations.

Each lever's parameters are declared once: the type and the accepted values in its parameter
class (``DibaoPars``), the value, unit and source in ``scenarios/policy/status_quo.yaml``.
This page puts the two side by side; ``python -m sim.reports.parameters`` writes it, and a
test fails when the page no longer matches them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from sim.config.compose import compose
from sim.core.params import type_hints
from sim.core.scenarios import CONFIG_DIR
from sim.engine.policies import ACTING_ORDER, LEVERS
from sim.engine.schema import to_dict

PAGE = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"
POLICY = CONFIG_DIR / "policy" / "status_quo.yaml"


def comments(lines: list[str]) -> dict[str, str]:
    """``lever.key`` -> the comment written with it in the policy file (and below it)."""
    out: dict[str, str] = {}
    lever = None
    for i, line in enumerate(lines):
        code, _, comment = line.partition("#")
        if code.strip() and not code.startswith(" "):
            lever = code.split(":")[0].strip()
        elif lever and code.startswith("  ") and not code.startswith("   ") and code.strip():
            key = code.split(":")[0].strip()
            text = [comment.strip()] if comment.strip() else []
            k = i + 1
            while k < len(lines) and lines[k].lstrip().startswith("#") and lines[k].startswith("   "):
                text.append(lines[k].split("#", 1)[1].strip())
                k += 1
            out[f"{lever}.{key}"] = " ".join(text)
    return out


def _value(v: object) -> str:
    text = json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)
    return text.replace("|", "\\|")


def reference() -> str:
    """The page, as Markdown."""
    said = comments(POLICY.read_text(encoding="utf-8").splitlines())
    policy = to_dict(compose([]))["policy"]
    lines = [
        "# Lever parameters",
        "",
        "Made by `python -m sim.reports.parameters` from each lever's parameter class (type,",
        "accepted values) and `scenarios/policy/status_quo.yaml` (the status quo's value, with",
        "its unit and source as written there; fitted values as `calibrated/fuling.yaml` sets",
        "them). Every value may be dated (`{year: value}`) and set on the command line as",
        "`policy.<lever>.<key>=<value>`. Levers are listed in the order they act in a month.",
        "",
    ]
    for name in ACTING_ORDER:
        _, pars = LEVERS[name]
        hints = type_hints(pars)
        lines += [f"## {name}", "", "| key | type | accepts | status quo | unit, source |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for f in dataclasses.fields(pars):
            hint = hints[f.name]
            kind = getattr(hint, "__name__", str(hint)).replace("|", "or")
            allowed = f.metadata.get("allowed", "")
            row = [f"`{f.name}`", kind, allowed, _value(policy[name][f.name]),
                   said.get(f"{name}.{f.name}", "").replace("|", "\\|")]  # fmt: skip
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(reference(), encoding="utf-8")
    print(f"wrote {PAGE}")
