"""An idiomatic Mesa version of relapse-sim's core dynamics: one ``mesa.Agent`` per household.

Same rules and parameters as the engine restricted to ``CORE`` (illness with basic insurance,
disability, job loss and re-employment, the dibao means test, a fixed number of public-welfare
posts, poverty counting net of all care - the engine's second measure, without its relapse
rule), written the way a Mesa model usually is: agents with a ``step`` of
their own, ``agents.do`` and a ``DataCollector``. It draws its own random numbers, so it agrees
with the engine in distribution, not draw by draw (``tests/test_reference.py``). Its purpose is a
like-for-like speed comparison (``python -m experiments.benchmark --reference``).

It shares the engine's dibao rule functions (``means_tested_income``, ``dibao_amount``, run as
plain Python) and simplifies two things, which :class:`ReferenceModel` checks the config allows:
the means test counts all wages (``policy.dibao.wage_weight`` 1: it keeps no wage history),
and posts go to poverty-alleviated, then edge households, poorest first (the engine's
``policy.public_jobs.priority`` with monitoring off, as in ``CORE``: no household is
unstable or monitored).
"""

from __future__ import annotations

import math

import mesa

from sim.core.params import resolve
from sim.engine.households import EDGE, PA, Households
from sim.engine.livelihood import Livelihood
from sim.engine.policies.dibao import dibao_amount
from sim.engine.policies.means_test import means_tested_income
from sim.engine.schema import Run, check
from sim.engine.shocks import monthly

# The engine configured with only the core dynamics (shocks and levers outside it are off).
CORE = [
    "policy=none", "policy.dibao.enabled=true", "policy.basic_insurance.enabled=true",
    "policy.public_jobs.enabled=true", "policy.public_jobs.by_town=false",
    "shocks.chronic.enabled=false", "shocks.death.enabled=false",
    "shocks.migrant_demand.enabled=false", "shocks.disaster.enabled=false",
    "shocks.price.enabled=false", "shocks.lockdown.enabled=false", "burn_in=0",
]  # fmt: skip


class Household(mesa.Agent):
    """One household; its fields are those of the engine's register and state."""

    def __init__(self, model: ReferenceModel, hh: Households, i: int) -> None:
        super().__init__(model)
        for name in ("category", "n_members", "n_labour", "n_elderly", "n_school", "n_disabled",
                     "n_chronic", "n_migrant", "n_local", "wage_migrant", "wage_local",
                     "mustard_mu", "other_farm", "property", "remittances", "transfers0"):  # fmt: skip
            setattr(self, name, getattr(hh, name)[i].item())
        self.seek_migrant = self.seek_local = 0
        own = hh.annual_income(model.econ)[i].item() / 12
        self.hist_own = [own] * 12
        self.hist_transfer = [self.transfers0 / 12] * 12
        self.insured = model.random.random() < model.basic.enrolment.array()[self.category]
        self.u_take = model.random.random()
        self.dibao = False
        self.dibao_amount = 0.0
        self.post_end = -1
        self.base = self.paid = 0.0
        pc = (sum(self.hist_own) + sum(self.hist_transfer)) / self.n_members
        self.pc_income = pc
        self.poor = pc < model.lines(0)[0]
        self.new_relapse = False

    # -- shocks ------------------------------------------------------------------------------

    def shocks(self) -> None:
        """Illness, disability, job loss and re-employment, as the engine's shocks."""
        s, r = self.model.cfg.shocks, self.model.random
        self.med_cost = self.in_policy = 0.0
        risk = self.n_members + (s.illness.rr_elderly - 1) * self.n_elderly
        risk += (s.illness.rr_chronic - 1) * self.n_chronic
        if r.random() < 1 - (1 - monthly(s.illness.p_person_year)) ** risk:
            median = s.illness.cost_median * self.model.cost_index
            self.med_cost = median * math.exp(s.illness.cost_sigma * r.gauss(0, 1))
            self.in_policy = self.med_cost * s.illness.in_policy_share
        if r.random() < 1 - (1 - monthly(s.disability.p_labourer_year)) ** self.n_labour:
            self.remove_worker()
            self.n_disabled += 1
        j = s.jobs
        seekers = self.seek_migrant + self.seek_local
        lost_m = r.random() < 1 - (1 - j.p_loss_migrant) ** self.n_migrant
        lost_l = r.random() < 1 - (1 - j.p_loss_local) ** self.n_local
        if lost_m:
            self.n_migrant -= 1
            self.seek_migrant += 1
        if lost_l:
            self.n_local -= 1
            self.seek_local += 1
        if r.random() < 1 - (1 - j.p_reemploy) ** seekers and not (lost_m or lost_l):
            if self.seek_migrant:
                self.seek_migrant -= 1
                self.n_migrant += 1
            else:
                self.seek_local -= 1
                self.n_local += 1

    def remove_worker(self) -> None:
        """One labourer out of work: migrant first, then local, then seekers, then farming."""
        if self.n_labour == 0:
            return
        if self.n_migrant:
            self.n_migrant -= 1
        elif self.n_local:
            self.n_local -= 1
        elif self.seek_migrant:
            self.seek_migrant -= 1
        elif self.seek_local:
            self.seek_local -= 1
        self.n_labour -= 1

    # -- earnings ----------------------------------------------------------------------------

    def earn(self) -> None:
        """This month's own income, and the means-test income of the past 12 months."""
        m = self.model
        e, year, month = m.econ, m.year, m.month
        index = m.livelihood.wage_index(year)
        wages = index * (self.n_migrant * self.wage_migrant + self.n_local * self.wage_local)
        if self.category == PA:
            wages *= m.livelihood.pa_wage_extra(year)
        farm = self.other_farm / 12
        if month in e.harvest_months:
            share = 1 / len(e.harvest_months)
            farm += share * self.mustard_mu * e.mustard_yield * m.price * (1 - e.mustard_cost_share)
        farm *= m.livelihood.farm_index(year)
        other = (self.property + self.remittances * index) / 12 + e.pension(year) * self.n_elderly
        self.income = wages + farm + other
        self.own_pc_month = sum(self.hist_own) / self.n_members / 12

    # -- levers --------------------------------------------------------------------------------

    def review_dibao(self) -> None:
        """Dibao review at review months, then this month's payment."""
        m, p = self.model, self.model.dibao_pars
        self.transfer = 0.0
        if (m.t - 1) % p.review_months == 0:
            std = p.standard
            current = self.dibao or (m.t == 1 and self.transfers0 > 0)
            applies = self.u_take < p.take_up.array()[self.category] or current
            own_pc_month = MEANS_TESTED(
                self.own_pc_month, self.n_elderly, self.n_members, p.pension_disregard
            )
            poor = own_pc_month < std
            u_err = m.random.random()
            full = poor and applies and (current or u_err >= p.exclusion_error)
            wrong = not poor and own_pc_month < p.inclusion_band * std and applies and not current
            wrong = wrong and u_err < p.inclusion_error
            ill = self.n_chronic > 0 or self.n_disabled > 0
            single = p.single_person and not (full or wrong) and applies and ill
            single = single and own_pc_month < p.low_income_multiple * std
            amount = 0.0
            if full or wrong:
                amount = DIBAO_AMOUNT(p, own_pc_month, self.n_members, self.n_disabled,
                                      self.n_chronic, self.n_school)  # fmt: skip
            if single:
                amount = std + p.topup_severe
            self.dibao_amount = round(amount, 2)
            self.dibao = amount > 0
        if self.dibao:
            self.transfer = self.dibao_amount

    def claim_insurance(self) -> None:
        """Basic insurance: the rise in the yearly entitlement, at most this month's cost."""
        m, p = self.model, self.model.basic
        if m.month == 1 or m.t == 1:
            self.base = self.paid = 0.0
        self.base += self.in_policy
        self.reimbursed = 0.0
        if self.insured and self.in_policy > 0:
            due = min(p.rate * max(self.base - p.deductible, 0.0), p.cap)
            self.reimbursed = min(max(due - self.paid, 0.0), self.in_policy)
            self.paid += self.reimbursed
        m.insurance_paid += self.reimbursed

    def work_post(self) -> None:
        """Post holders earn the month's pay."""
        if self.post_end > self.model.t:
            self.income += self.model.posts_pars.pay

    # -- status --------------------------------------------------------------------------------

    def record(self) -> None:
        """Push the month into the 12-month history and update poverty status."""
        m = self.model
        slot = m.t % 12
        self.hist_own[slot] = self.income - (self.med_cost - self.reimbursed)
        self.hist_transfer[slot] = self.transfer
        self.pc_income = (sum(self.hist_own) + sum(self.hist_transfer)) / self.n_members
        pline, mline = m.lines(m.t)
        poor = self.pc_income < pline
        self.new_relapse = poor and not self.poor and self.category == PA
        self.poor = poor
        self.at_risk = self.pc_income < mline

    def idle(self) -> int:
        """Labourers not in migrant or local work."""
        return self.n_labour - self.n_migrant - self.n_local


# The engine's rule functions, as plain Python (numba's original function where compiled).
MEANS_TESTED = getattr(means_tested_income, "py_func", means_tested_income)
DIBAO_AMOUNT = getattr(dibao_amount, "py_func", dibao_amount)


def _check_simplifications(run: Run) -> None:
    """Refuse a config the reference's simplifications do not cover (module docstring)."""
    policy = run.policy
    for year in range(run.start_year, run.start_year + run.pars.months // 12 + 1):
        dibao, posts, monitoring = (resolve(policy[k], year)
                                    for k in ("dibao", "public_jobs", "monitoring"))  # fmt: skip
        if dibao.wage_weight != 1:
            raise ValueError(f"{year}: the reference counts all wages (dibao.wage_weight 1)")
        if monitoring.enabled:
            raise ValueError(f"{year}: the reference has no monitoring (policy.monitoring)")
        served = [g for g in posts.priority if g not in ("unstable", "monitored")]  # none, unmonitored
        if served != ["poverty_alleviated", "edge"]:
            raise ValueError(f"{year}: the reference gives posts to PA, then edge households")


class ReferenceModel(mesa.Model):
    """The core dynamics with one agent per household (see the module docstring)."""

    def __init__(self, cfg, households: Households, rng: int = 1) -> None:
        super().__init__(rng=rng)
        run: Run = check(cfg)
        self.cfg = run
        self.econ = run.population.economy
        self.outcomes = run.outcomes
        self.livelihood = Livelihood(self.econ)
        policy = run.policy
        self.specs = {name: policy[name] for name in ("dibao", "basic_insurance", "public_jobs")}
        _check_simplifications(run)
        self.year, self.month = run.start_year, run.start_month
        self.new_year()
        self.scale = run.population.scale
        self.months = run.pars.months
        self.price = self.econ.mustard_price_expected
        self.t = 0
        for i in range(households.n):
            Household(self, households, i)
        self.insurance_paid = 0.0
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "n_poor": lambda m: sum(a.poor for a in m.agents),
                "n_relapsed": lambda m: sum(a.poor and a.category == PA for a in m.agents),
                "n_at_risk": lambda m: sum(a.at_risk for a in m.agents),
                "new_relapsed": lambda m: sum(a.new_relapse for a in m.agents),
                "recipients_dibao": lambda m: sum(a.dibao for a in m.agents),
                "public_jobs_holders": lambda m: sum(a.post_end > m.t for a in m.agents),
                "insurance_paid": lambda m: m.insurance_paid,
            }
        )

    def allocate_posts(self) -> None:
        """Free ended posts, then fill vacancies in priority order (PA, then edge; poorest first)."""
        p = self.posts_pars
        holders = [a for a in self.agents if a.post_end > self.t and a.idle() > 0]
        for a in self.agents:
            if a.post_end > self.t and a.idle() <= 0:
                a.post_end = -1
        vacancies = round(p.posts * self.scale) - len(holders)
        candidates = [
            a for a in self.agents
            if a.post_end <= self.t and a.idle() > 0 and a.category in (PA, EDGE)
        ]  # fmt: skip
        candidates.sort(key=lambda a: (0 if a.category == PA else 1, a.pc_income))
        for a in candidates[: max(vacancies, 0)]:
            a.post_end = self.t + p.term_months

    def new_year(self) -> None:
        """The year's lever parameters (plain values of the dated ones), medical cost index."""
        values = {name: resolve(spec, self.year) for name, spec in self.specs.items()}
        self.dibao_pars, self.basic, self.posts_pars = values.values()
        growth = self.cfg.shocks.medical_cost_growth
        self.cost_index = math.prod(
            1 + growth(y) for y in range(self.econ.base_year + 1, self.year + 1)
        )

    def lines(self, t: int) -> tuple[float, float]:
        """Poverty and monitoring lines of the 12 months up to month ``t``: their mean."""
        years = []
        for k in range(t - 11, t + 1):
            m = self.cfg.start_month - 1 + k - 1
            years.append(self.cfg.start_year + m // 12)
        o = self.outcomes
        return (sum(map(o.poverty_line, years)) / 12, sum(map(o.monitoring_line, years)) / 12)

    def step(self) -> None:
        """One month: shocks, earnings, levers, status, collection."""
        self.t += 1
        m = self.cfg.start_month - 1 + self.t - 1
        self.year, self.month = self.cfg.start_year + m // 12, m % 12 + 1
        self.new_year()
        self.insurance_paid = 0.0
        self.agents.do("shocks")
        self.agents.do("earn")
        self.agents.do("review_dibao")
        self.agents.do("claim_insurance")
        self.allocate_posts()
        self.agents.do("work_post")
        self.agents.do("record")
        self.datacollector.collect(self)
        self.running = self.t < self.months
