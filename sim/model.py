"""RelapseModel: every rural household of a district, month by month, as a ``mesa.Model``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesa
import numpy as np
from omegaconf import DictConfig

from sim import population
from sim.config import Run, check, compose
from sim.jit import jit
from sim.livelihood import Livelihood
from sim.metrics import Outcomes, per_capita_income
from sim.policies import build_levers
from sim.policies.base import FEN
from sim.population import HISTORY, REGISTER, STATE, Households
from sim.random import Streams
from sim.shocks import CAUSES, Shocks


def overrides_from_kwargs(kwargs: dict[str, Any]) -> list[str]:
    """Hydra overrides from keyword arguments.

    ``shocks="flood"`` picks a config group option, ``scale=0.1`` is short for
    ``population.scale``, and dotted keys set any value.

    Example:
        >>> overrides_from_kwargs({"shocks": "flood", "scale": 0.1, "shocks.price.median": 900})
        ['shocks=flood', 'population.scale=0.1', 'shocks.price.median=900']
    """
    out = []
    for key, value in kwargs.items():
        key = "population.scale" if key == "scale" else key
        out.append(f"{key}={value}")
    return out


class HouseholdView(mesa.Agent):
    """One household seen as a ``mesa.Agent``: attribute reads go to its row of the arrays.

    Example:
        >>> m = RelapseModel(scale=0.01, months=1)
        >>> view = m.household(0)
        >>> int(view.n_members) == int(m.hh.n_members[0])
        True
    """

    def __init__(self, model: RelapseModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __getattr__(self, name: str) -> Any:
        hh = self.model.hh
        if name in REGISTER or name in STATE or name in ("hist_own", "hist_transfer", "hist_oop"):
            return getattr(hh, name)[..., self.index]
        if name == "loss":  # yuan, by cause
            return hh.loss[:, self.index] * hh.loss_unit
        raise AttributeError(name)

    def as_dict(self) -> dict[str, Any]:
        """Every register and state field of this household."""
        return {k: getattr(self, k).item() for k in (*REGISTER, *STATE)}


class RelapseModel(mesa.Model):
    """A district's rural households under shocks and policy levers, one step per month.

    Args:
        cfg: a composed config (``sim.config.compose``); ``None`` composes the defaults with
            ``overrides``.
        rng: seed of every random stream; ``None`` uses ``cfg.seed``. (Mesa's ``batch_run``
            passes its ``rng`` values here.)
        households: a ready population (tests); ``None`` builds it from the config.
        **overrides: see :func:`overrides_from_kwargs` (``scale``, ``months``, ``shocks``, ...).

    Example:
        >>> m = RelapseModel(scale=0.01, months=3, rng=2)
        >>> while m.running:
        ...     m.step()
        >>> len(m.datacollector.get_model_vars_dataframe())
        3
    """

    def __init__(
        self,
        cfg: DictConfig | dict | None = None,
        *,
        rng: int | None = None,
        households: Households | None = None,
        **overrides: Any,
    ) -> None:
        if cfg is None:
            cfg = compose(overrides_from_kwargs(overrides))
        elif overrides:
            raise TypeError("give either cfg or keyword overrides, not both")
        run: Run = check(cfg)
        super().__init__(rng=run.seed if rng is None else rng)
        self.cfg = run
        self.seed = int(self._seed)
        self.streams = Streams(self.seed)
        pop = run.population
        self.hh = households if households is not None else population.build(pop, self.seed)
        self.hh.init_state(len(CAUSES))
        self.n_towns = max(pop.n_towns, int(self.hh.town.max()) + 1)
        self.livelihood = Livelihood(pop.economy)
        self.shocks = Shocks(
            run.shocks, self.streams, self.n_towns, pop.economy.mustard_price_expected
        )
        self.t = 0
        self.burn_in = run.pars.burn_in
        self.months = run.pars.months
        self.total_months = self.burn_in + self.months
        self.levers = build_levers(run.policy, self)  # in acting order, monitoring first
        years = list(range(self.calendar(1)[0], self.calendar(self.total_months)[0] + 1))
        self.outcomes = Outcomes(run.outcomes, self.hh, self.n_towns, years)
        self._start_history()
        self._figures_t, self._figures = -1, {}
        self._shared: dict[str, Any] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: _reporter(k) for k in self.report_keys()}
        )

    # -- the month, in the order of a methods section -------------------------------------

    def step(self) -> None:
        """One month: shocks, earnings, levers, spending and saving, status, collection.

        The first ``burn_in`` months (before ``start``) bring incomes, medical spending and
        lever states to a steady state; they are simulated in full but not reported.
        """
        self.t += 1
        year, month = self.calendar(self.t)
        self.shocks.step(self.hh, self.t, year, month)
        self.livelihood.earn(self.hh, self.shocks.cov, self.t, year, month)
        self.apply_levers()
        self.livelihood.spend(self.hh)
        self.record_income()
        self.outcomes.update(self.hh, self.t, year, f"{year}-{month:02d}")
        if self.t == self.burn_in:
            self.outcomes.reset(self.hh)
        if self.t > self.burn_in:
            self.datacollector.collect(self)
        self.running = self.t < self.total_months

    def apply_levers(self) -> None:
        """Each lever in order (monitoring first) pays cash, wages or medical reimbursements.

        Means tests use ``hh.own_pc``: own net income over the past 12 months (lever wages
        included, lever cash excluded), yuan per person per month.
        """
        hh = self.hh
        self._shared.clear()
        _open_books(
            hh.sum_own, hh.n_members, hh.own_pc, hh.transfers_fen, hh.earned_fen, hh.reimbursed_fen
        )
        for lever in self.levers:
            lever.step(self)
        _close_books(
            hh.transfers_fen, hh.earned_fen, hh.reimbursed_fen, hh.med_cost,
            hh.transfers, hh.income, hh.med_reimbursed, hh.med_oop,
        )  # fmt: skip

    def shared(self, name: str, compute: Callable[[], Any]) -> Any:
        """What ``compute()`` returns, computed at the first call this month.

        For work several levers share (the month's patients, the households with idle labour);
        valid while the levers act.
        """
        if name not in self._shared:
            self._shared[name] = compute()
        return self._shared[name]

    def lever(self, name: str):
        """The lever called ``name`` if it is enabled, else ``None``."""
        for lever in self.levers:
            if lever.name == name and lever.pars.enabled:
                return lever
        return None

    def record_income(self) -> None:
        """Push this month's net own income and transfers into the 12-month history."""
        hh = self.hh
        slot = self.t % HISTORY
        _push_history(
            slot, hh.income, hh.transfers, hh.med_oop, hh.active,
            hh.hist_own, hh.hist_transfer, hh.hist_oop, hh.sum_own, hh.sum_transfer, hh.sum_oop,
        )  # fmt: skip
        if slot == 0:  # re-add once a year so rounding errors cannot accumulate
            _resum(hh)

    # -- helpers ---------------------------------------------------------------------------

    def calendar(self, t: int) -> tuple[int, int]:
        """(year, month) of model month ``t`` (``burn_in + 1`` = the start month)."""
        m = self.cfg.start_month - 1 + t - 1 - self.burn_in
        return self.cfg.start_year + m // 12, m % 12 + 1

    def _start_history(self) -> None:
        """Fill the 12-month history with base-year incomes and set the starting status."""
        hh = self.hh
        econ = self.cfg.population.economy
        hh.hist_own[:] = hh.annual_income(econ) / 12.0 * hh.active
        hh.hist_transfer[:] = hh.transfers0 / 12.0 * hh.active
        _resum(hh)
        year, _ = self.calendar(1)
        hh.pc_income[:] = per_capita_income(hh)
        hh.poor[:] = (hh.pc_income < self.cfg.outcomes.poverty_line(year)) & hh.active
        hh.at_risk[:] = (hh.pc_income < self.cfg.outcomes.monitoring_line(year)) & hh.active

    def report_keys(self) -> list[str]:
        """Names of the monthly model-level series."""
        keys = [
            "month", "year", "n_households", "n_people", "n_poor", "n_relapsed", "n_newly_poor",
            "n_at_risk", "new_relapsed", "new_poor_other", "fgt0", "fgt1", "fgt2",
            "poverty_line", "monitoring_line", "mean_pc_income_pa",
        ]  # fmt: skip
        keys += [f"new_relapsed_{c}" for c in CAUSES]
        keys += [f"n_{k}_{c}" for c in population.CATEGORIES for k in ("poor", "at_risk")]
        keys += ["price", "migrant_factor", "income", "transfers", "med_cost", "med_oop"]
        keys += ["catastrophic_health", "medical_impoverished"]
        for lever in self.levers:
            keys += [f"spend_{lever.name}", f"recipients_{lever.name}", *lever.report_keys()]
        return keys

    def economy_figures(self) -> dict[str, float]:
        """District totals this month (yuan), covariate shocks, health spending, lever figures."""
        hh, cfg = self.hh, self.cfg
        sums, counts = _district(
            hh.income, hh.transfers, hh.med_cost, hh.med_oop, hh.sum_own, hh.sum_transfer,
            hh.sum_oop, hh.n_members, hh.active, hh.poor,
            12 * cfg.population.economy.consumption_floor, cfg.outcomes.catastrophic_share,
            self.outcomes.current["poverty_line"],
        )  # fmt: skip
        out = {
            "price": self.shocks.cov.price,
            "migrant_factor": self.shocks.cov.migrant_factor,
            **dict(zip(("income", "transfers", "med_cost", "med_oop"), sums, strict=True)),
            **dict(zip(("catastrophic_health", "medical_impoverished"), counts, strict=True)),
        }
        for lever in self.levers:
            led = lever.ledger
            out[f"spend_{lever.name}"] = (led.paid_fen[self.t] + led.other_fen[self.t]) / FEN
            out[f"recipients_{lever.name}"] = int(led.recipients[self.t])
            figures = lever.report() if lever.pars.enabled else {}
            out.update({k: figures.get(k, 0) for k in lever.report_keys()})
        return out

    def household(self, index: int) -> HouseholdView:
        """Household ``index`` as a ``mesa.Agent`` view (reads are live)."""
        if not 0 <= index < self.hh.n:
            raise IndexError(f"household {index} out of range 0..{self.hh.n - 1}")
        return HouseholdView(self, index)


@jit
def _district(
    income, transfers, med_cost, med_oop, sum_own, sum_transfer, sum_oop, n_members, active,
    poor, floor_year, catastrophic_share, poverty_line,
):  # fmt: skip
    """District totals this month and households hurt by the cost of care.

    Returns the totals in yuan (income, transfers, medical cost, out of pocket) and the counts
    of households with catastrophic health spending and of those impoverished by care.

    Catastrophic: 12-month out-of-pocket >= ``catastrophic_share`` of income above
    subsistence (WHO's capacity-to-pay rule). Impoverished: poor, but not poor before paying
    for care.
    """
    y = t = c = o = 0.0
    catastrophic = impoverished = 0
    for i in range(income.size):
        y += income[i]
        t += transfers[i]
        c += med_cost[i]
        o += med_oop[i]
        before = sum_own[i] + sum_transfer[i] + sum_oop[i]  # 12-month income before care
        capacity = max(before - floor_year * n_members[i], 0.0)
        paid = sum_oop[i]
        catastrophic += (paid > 0) & (paid >= catastrophic_share * capacity) & active[i]
        impoverished += poor[i] & (before / max(n_members[i], 1) >= poverty_line)
    return (y, t, c, o), (catastrophic, impoverished)


@jit
def _open_books(sum_own, n_members, own_pc, transfers_fen, earned_fen, reimbursed_fen):
    """Before the levers: 12-month own income per person-month; this month's receipts to 0."""
    for i in range(own_pc.size):
        own_pc[i] = sum_own[i] / max(n_members[i], 1) / 12
        transfers_fen[i] = 0
        earned_fen[i] = 0
        reimbursed_fen[i] = 0


@jit
def _close_books(
    transfers_fen, earned_fen, reimbursed_fen, med_cost,
    transfers, income, med_reimbursed, med_oop,
):  # fmt: skip
    """After the levers: receipts in yuan; lever wages join income; what care costs still."""
    for i in range(income.size):
        transfers[i] = transfers_fen[i] / FEN
        income[i] += earned_fen[i] / FEN
        med_reimbursed[i] = reimbursed_fen[i] / FEN
        med_oop[i] = med_cost[i] - med_reimbursed[i]


@jit
def _push_history(
    slot, income, transfers, med_oop, active,
    hist_own, hist_transfer, hist_oop, sum_own, sum_transfer, sum_oop,
):  # fmt: skip
    """This month's own income net of care, transfers and care costs into slot ``slot``."""
    for i in range(income.size):
        on = 1.0 if active[i] else 0.0
        own = np.float32((income[i] - med_oop[i]) * on)
        transfer, oop = np.float32(transfers[i] * on), np.float32(med_oop[i] * on)
        sum_own[i] += own - hist_own[slot, i]
        sum_transfer[i] += transfer - hist_transfer[slot, i]
        sum_oop[i] += oop - hist_oop[slot, i]
        hist_own[slot, i] = own
        hist_transfer[slot, i] = transfer
        hist_oop[slot, i] = oop


def _resum(hh: Households) -> None:
    """The 12-month sums from the history, afresh."""
    for name in ("own", "transfer", "oop"):
        getattr(hh, f"hist_{name}").sum(axis=0, dtype=np.float64, out=getattr(hh, f"sum_{name}"))


def _reporter(key: str):
    def report(model: RelapseModel) -> Any:
        if key in model.outcomes.current:
            return model.outcomes.current[key]
        if model._figures_t != model.t:  # compute the month's figures once for all reporters
            model._figures = model.economy_figures()
            model._figures_t = model.t
        return model._figures[key]

    report.__name__ = key
    return report


__all__ = ["HouseholdView", "RelapseModel"]
