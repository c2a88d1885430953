"""A changed rule never runs from stale machine code (sim.core.jit.cache_dir)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import sim

# counted_income (dibao.py) inlines means_tested_income (means_test.py): numba's own cache
# key sees only dibao.py, so without sim.core.jit.cache_dir a change to means_test.py ran stale.
SCRIPT = """
import numpy as np
from sim.core.params import record
from sim.engine.policies.dibao import DibaoPars, DibaoRule, counted_income
from sim.engine.households import ShareByCategory
share = ShareByCategory(poverty_alleviated=1.0, edge=1.0, general=1.0)
rule = record(DibaoRule, DibaoPars(
    enabled=True, standard=515.0, minimum=40.0, topup_disabled=0.0, topup_severe=0.0,
    topup_school=0.0, pension_disregard=98.0, wage_weight=1.0, disabled_earnings_disregard=0.0,
    review_months=3, take_up=share,
    exclusion_error=0.0, inclusion_error=0.0, inclusion_band=1.0, single_person=False,
    low_income_multiple=1.5))
print(counted_income(400.0, 0.0, 1, 2, 0, 1, rule), sum(counted_income.stats.cache_hits.values()))
"""


def _run(root: Path, cache: Path) -> tuple[float, bool]:
    env = {**os.environ, "PYTHONPATH": str(root), "NUMBA_CACHE_DIR": str(cache)}
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=root, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), out[1] == "1"


def test_a_rule_changed_in_an_inlined_helper_runs_new_code(tmp_path):
    root, cache = tmp_path / "src", tmp_path / "cache"
    shutil.copytree(
        Path(sim.__file__).parent, root / "sim", ignore=shutil.ignore_patterns("__pycache__")
    )
    assert _run(root, cache) == (351.0, False)  # 400 - 98 / 2, compiled
    assert _run(root, cache) == (351.0, True)  # the same source: from the disk cache
    helper = root / "sim" / "engine" / "policies" / "means_test.py"
    text = helper.read_text()
    old = "return own_pc_month - pension_disregard"
    assert old in text
    helper.write_text(text.replace(old, "return own_pc_month - 100.0 - pension_disregard"))
    assert _run(root, cache) == (251.0, False)  # compiled again, with the new rule
