"""RelapseModel: every rural household of a district, month by month, as a ``mesa.Model``."""

from __future__ import annotations

import time
from typing import Any

import mesa
from omegaconf import DictConfig

from sim.core.jit import jit
from sim.core.money import FEN
from sim.core.random import Streams
from sim.engine import population
from sim.engine.context import Month
from sim.engine.households import CATEGORIES, HISTORIES, REGISTER, STATE, Households
from sim.engine.livelihood import Livelihood
from sim.engine.metrics import Outcomes
from sim.engine.policies import build_levers
from sim.engine.schema import Run, check
from sim.engine.shocks import CAUSES, Shocks


class HouseholdView(mesa.Agent):
    """One household seen as a ``mesa.Agent``: attribute reads go to its row of the arrays.

    Example:
        >>> from sim.config.compose import compose
        >>> m = RelapseModel(compose(["population.scale=0.01", "months=1"]))
        >>> view = m.household(0)
        >>> int(view.n_members) == int(m.hh.n_members[0])
        True
    """

    def __init__(self, model: RelapseModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __getattr__(self, name: str) -> Any:
        hh = self.model.hh
        if name in REGISTER or name in STATE or name in (f"hist_{k}" for k in HISTORIES):
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
        cfg: a composed config (:func:`sim.config.compose.compose`), a plain one, or a checked
            :class:`sim.engine.schema.Run`. Keyword parameters, as Mesa's ``batch_run`` passes
            them, are :class:`sim.studies.run.BatchModel`'s.
        rng: seed of every random stream; ``None`` uses ``cfg.seed``. (Mesa's ``batch_run``
            passes its ``rng`` values here.)
        households: a ready population (tests); ``None`` builds it from the config.

    Example:
        >>> from sim.config.compose import compose
        >>> m = RelapseModel(compose(["population.scale=0.01", "months=3"]), rng=2)
        >>> while m.running:
        ...     m.step()
        >>> len(m.datacollector.get_model_vars_dataframe())
        3
    """

    def __init__(
        self,
        cfg: DictConfig | dict | Run,
        *,
        rng: int | None = None,
        households: Households | None = None,
    ) -> None:
        run = cfg if isinstance(cfg, Run) else check(cfg)
        super().__init__(rng=run.seed if rng is None else rng)
        self.cfg = run
        self.seed = int(self._seed)
        self.streams = Streams(self.seed)
        pop = run.population
        self.hh = (
            households
            if households is not None
            else population.build(pop, self.seed, run.burn_in_policy)
        )
        self.hh.init_state(len(CAUSES))
        self.n_towns = max(pop.n_towns, int(self.hh.town.max()) + 1)
        self.livelihood = Livelihood(pop.economy)
        self.shocks = Shocks(run.shocks, self.streams, self.n_towns, pop.economy)
        self.t = 0
        self.timings: dict[str, float] | None = None  # seconds by phase, if a dict
        self.burn_in = run.pars.burn_in
        self.months = run.pars.months
        self.total_months = self.burn_in + self.months
        self.year, self.month = self.calendar(1)
        self.ctx = Month(
            hh=self.hh, streams=self.streams, n_towns=self.n_towns, scale=pop.scale,
            harvest_months=tuple(pop.economy.harvest_months), burn_in=self.burn_in,
            months=self.months, calendar=self.calendar, t=1, year=self.year, month=self.month,
        )  # fmt: skip
        # in acting order, monitoring first; before ``start`` the burn-in policy is in force
        self.levers = build_levers(run.policy, self.ctx, run.burn_in_policy)
        self.ctx.levers = {lever.name: lever for lever in self.levers}
        if any(lever.uses_wages(self.ctx) for lever in self.levers):
            self.hh.keep_wage_history()
        years = list(range(self.calendar(1)[0], self.calendar(self.total_months)[0] + 1))
        self.outcomes = Outcomes(
            run.outcomes, self.hh, self.n_towns, years, pop.economy, self.calendar,
            self.total_months, run.shocks.loss_months,
        )  # fmt: skip
        self.poverty_line, self.monitoring_line = self.outcomes.lines(0)  # set each month
        self._start_history()
        self._figures_t, self._figures = -1, {}
        self._lever_keys = {lever.name: lever.report_keys() for lever in self.levers}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: _reporter(k) for k in self.report_keys()}
        )

    # -- the month, in the order of a methods section -------------------------------------

    # The month's phases, in order: (method, what it does). :meth:`step` runs them;
    # :meth:`plan` prints them with the levers in acting order.
    MONTH = (
        ("lines", "this month's poverty and monitoring lines"),
        ("shocks", "idiosyncratic shocks (one compiled pass), then covariate ones"),
        ("earn", "wages, mustard and other farm income, property income, pensions"),
        ("levers", "each lever in acting order pays cash, wages or medical reimbursements"),
        ("reimbursed", "care the medical levers paid back is taken off the shock losses"),
        ("spend", "consumption, saving and debt"),
        ("status", "income history, poverty status, relapse and its cause"),
        ("collect", "the month's figures, after the burn-in"),
    )

    def step(self) -> None:
        """One month: every phase of :attr:`MONTH` in order (:meth:`run_month`).

        Loss accounts (for the cause of a relapse) hold what shocks cost households, so the
        care the medical levers pay back is taken off them.

        The first ``burn_in`` months (before ``start``) bring incomes, medical spending and
        lever states to a steady state; they are simulated in full but not reported.
        """
        self.run_month()

    def run_month(self, until: str | None = None, after: dict | None = None) -> None:
        """The month's phases up to and including ``until`` (default: all of them).

        ``after``: phase -> a function of the model called when that phase is done (a rule
        case sets its household's state after the shocks). With ``timings`` a dict, each
        phase's seconds are added to it.
        """
        self.t += 1
        self.year, self.month = self.calendar(self.t)
        timings = self.timings
        for phase, _ in self.MONTH:
            if timings is None:
                getattr(self, f"_{phase}")()
            else:
                start = time.perf_counter()
                getattr(self, f"_{phase}")()
                timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
            if after and phase in after:
                after[phase](self)
            if phase == until:
                return

    def plan(self) -> str:
        """The month as text: its phases, and the levers in acting order (disabled marked)."""
        lines = []
        for i, (phase, what) in enumerate(self.MONTH, 1):
            lines.append(f"{i}. {phase}: {what}")
            if phase == "levers":
                for lever in self.levers:
                    off = "" if lever.pars.enabled else " (disabled)"
                    lines.append(f"   - {lever.name}{off}")
        return "\n".join(lines)

    def _lines(self) -> None:
        self.poverty_line, self.monitoring_line = self.outcomes.lines(self.t)

    def _shocks(self) -> None:
        self.shocks.step(self.hh, self.t, self.year, self.month)

    def _earn(self) -> None:
        self.livelihood.earn(self.hh, self.shocks.cov, self.t, self.year, self.month)

    def _levers(self) -> None:
        self.apply_levers()

    def _reimbursed(self) -> None:
        patients = self.ctx.computed("patients")
        if patients is not None:  # the medical levers paid some of them back
            self.outcomes.book_reimbursed(self.hh, patients, self.shocks.chronic_month(self.year))

    def _spend(self) -> None:
        self.livelihood.spend(self.hh)

    def _status(self) -> None:
        year, month = self.year, self.month
        self.outcomes.update(
            self.hh, self.t, year, f"{year}-{month:02d}", self.shocks.routine(year)
        )
        if self.t == self.burn_in:
            self.outcomes.reset(self.hh)

    def _collect(self) -> None:
        if self.t > self.burn_in:
            self.datacollector.collect(self)
        self.running = self.t < self.total_months

    def apply_levers(self) -> None:
        """Each lever in order (monitoring first) pays cash, wages or medical reimbursements.

        Means tests use ``hh.own_pc_month``: own net income over the past 12 months (lever wages
        included, lever cash excluded), yuan per person per month; ``hh.wage_pc_month`` is the
        market wages in it. Payments are counted in fen
        (``hh.transfers_fen``, ...); :meth:`Livelihood.spend` takes them in.
        """
        hh, ctx = self.hh, self.ctx
        ctx.begin(self.t, (self.poverty_line, self.monitoring_line), self.shocks.cov.price)
        _open_books(hh.arrays)
        for lever in self.levers:  # this month's parameters first: levers ask each other
            lever.begin_month(ctx)
        for lever in self.levers:
            lever.step(ctx)

    def lever(self, name: str):
        """The lever called ``name`` if it is enabled, else ``None``."""
        return self.ctx.lever(name)

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
        hh.hist_wage[:] = hh.annual_wages() / 12.0 * hh.active
        hh.hist_transfer[:] = hh.transfers0 / 12.0 * hh.active
        hh.sum_history()
        self.outcomes.start(hh)

    def report_keys(self) -> list[str]:
        """Names of the monthly model-level series."""
        keys = [
            "month", "year", "n_households", "n_people", "n_poor", "n_relapsed", "n_newly_poor",
            "n_at_risk", "new_relapsed", "new_poor_other", "fgt0", "fgt1", "fgt2",
            "poverty_line", "monitoring_line", "mean_pc_income_pa",
        ]  # fmt: skip
        keys += [f"new_relapsed_{c}" for c in CAUSES]
        keys += [f"n_{k}_{c}" for c in CATEGORIES for k in ("poor", "at_risk")]
        keys += ["price", "migrant_factor", "income", "transfers", "med_cost", "med_oop"]
        keys += ["med_routine"]
        keys += ["catastrophic_health", "medical_impoverished", "n_poor_net_care"]
        keys += ["n_relapsed_net_care"]
        for lever in self.levers:
            keys += [f"spend_{lever.name}", f"recipients_{lever.name}"]
            keys += self._lever_keys[lever.name]
        return keys

    def economy_figures(self) -> dict[str, float]:
        """Covariate shocks and lever figures this month (the rest is ``outcomes.current``)."""
        out = {"price": self.shocks.cov.price, "migrant_factor": self.shocks.cov.migrant_factor}
        for lever in self.levers:
            led = lever.ledger
            out[f"spend_{lever.name}"] = (led.paid_fen[self.t] + led.other_fen[self.t]) / FEN
            out[f"recipients_{lever.name}"] = int(led.recipients[self.t])
            figures = lever.report() if lever.pars.enabled else {}
            out.update({k: figures.get(k, 0) for k in self._lever_keys[lever.name]})
        return out

    def household(self, index: int) -> HouseholdView:
        """Household ``index`` as a ``mesa.Agent`` view (reads are live)."""
        if not 0 <= index < self.hh.n:
            raise IndexError(f"household {index} out of range 0..{self.hh.n - 1}")
        return HouseholdView(self, index)


@jit
def _open_books(hh):
    """Before the levers: 12-month own income per person-month (wages too, if kept)."""
    (sum_own, sum_wage, n_members, own_pc_month, wage_pc_month, transfers_fen, earned_fen,
     reimbursed_fen, allowance_fen) = (
        hh.sum_own, hh.sum_wage, hh.n_members, hh.own_pc_month, hh.wage_pc_month,
        hh.transfers_fen, hh.earned_fen, hh.reimbursed_fen, hh.allowance_fen
    )  # fmt: skip
    for i in range(own_pc_month.size):
        own_pc_month[i] = sum_own[i] / max(n_members[i], 1) / 12
        transfers_fen[i] = 0
        allowance_fen[i] = 0
        earned_fen[i] = 0
        reimbursed_fen[i] = 0
    if hh.hist_wage.shape[0]:  # the wage history is kept (a lever reads it)
        for i in range(own_pc_month.size):
            wage_pc_month[i] = sum_wage[i] / max(n_members[i], 1) / 12


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
