import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from sim.config.compose import compose
from sim.engine.households import Households
from sim.engine.schema import population_pars, shock_pars_from


@pytest.fixture(scope="session")
def default_cfg():
    return compose([])


@pytest.fixture(scope="session")
def econ(default_cfg):
    return population_pars(default_cfg).economy


@pytest.fixture(scope="session")
def shock_defaults(default_cfg):
    return shock_pars_from(default_cfg)


def uniform_households(n: int, **fields) -> Households:
    """n identical households: 3 members (2 labourers: 1 migrant, 1 local; 1 elderly)."""
    base = dict(
        town=np.arange(n) % 5, village=np.arange(n) % 20, category=0, n_members=3, n_labour=2,
        n_elderly=1, n_migrant=1, n_local=1, wage_migrant=3000.0, wage_local=2000.0,
    )  # fmt: skip
    base.update(fields)
    cols = {k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in base.items()}
    hh = Households.from_columns(**cols)
    return hh


def se_binomial(n: int, p: float) -> float:
    """Standard error of a count of n Bernoulli(p) trials."""
    return float(np.sqrt(n * p * (1 - p)))


@pytest.fixture(autouse=True)
def charts_read_cleanly(monkeypatch):
    """Every chart a test draws in this process is checked as a reader would (chart_checks)."""
    from chart_checks import problems

    import sim.reports.charts as charts

    drawn: dict[str, list[str]] = {}  # each chart saved (its file name) -> its problems
    every: list[tuple[str, list[str]]] = []  # and every chart, two of one name included
    save = charts.save

    keep = os.environ.get("RELAPSE_CHARTS_TO")  # a folder: a copy of each chart, to look at

    # without a CJK font a Chinese chart falls back to English (with a warning): read it as such
    zh = charts.cjk_font() is not None

    def checked(fig, stem):
        drawn[stem.name] = problems(fig, "zh" if zh and stem.name.endswith("_zh") else "en")
        every.append((str(stem), drawn[stem.name]))
        paths = save(fig, stem)
        if keep:
            test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1]
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(paths[0], Path(keep) / f"{test}-{stem.name}.png")
        return paths

    monkeypatch.setattr(charts, "save", checked)
    yield drawn
    bad = {k: v for k, v in every if v}
    assert not bad, "charts a reader would object to:\n" + "\n".join(
        f"{name}: {p}" for name, found in bad.items() for p in found
    )
