"""Policy levers, one module per family; ``LEVERS`` fixes the order they act in each month.

Monitoring acts first (it steers the others); the medical tiers act in order, then the cash
levers that look at what medical costs are left, then work and industry.
"""

from __future__ import annotations

from sim.errors import ConfigError
from sim.monitoring import Monitoring, MonitoringPars
from sim.params import check_name, closest, parse
from sim.policies.base import LEVER_BITS, Ledger, Lever
from sim.policies.finance import (
    AntiPovertyInsurance,
    Credit,
    CreditPars,
    Industry,
    IndustryPars,
    InsurancePars,
)  # fmt: skip
from sim.policies.medical import (
    AssistancePars,
    BasicInsurance,
    BasicPars,
    CriticalIllness,
    CriticalPars,
    MedicalAssistance,
)  # fmt: skip
from sim.policies.social import Dibao, DibaoPars, Tekun, TekunPars, Temporary, TemporaryPars
from sim.policies.work import Employment, EmploymentPars, PostsPars, PublicJobs, WorkRelief

# name: (lever class, parameter class), in the order they act.
LEVERS: dict[str, tuple[type[Lever], type]] = {
    "monitoring": (Monitoring, MonitoringPars),
    "tekun": (Tekun, TekunPars),
    "dibao": (Dibao, DibaoPars),
    "basic_insurance": (BasicInsurance, BasicPars),
    "critical_illness": (CriticalIllness, CriticalPars),
    "medical_assistance": (MedicalAssistance, AssistancePars),
    "anti_poverty_insurance": (AntiPovertyInsurance, InsurancePars),
    "temporary": (Temporary, TemporaryPars),
    "public_jobs": (PublicJobs, PostsPars),
    "work_relief": (WorkRelief, PostsPars),
    "employment": (Employment, EmploymentPars),
    "industry": (Industry, IndustryPars),
    "credit": (Credit, CreditPars),
}
LEVER_BITS.update({name: i for i, name in enumerate(LEVERS)})


def lever_pars(policy: dict, where: str = "policy") -> dict[str, object]:
    """Checked parameters of every lever in a ``policy`` section (all must be present)."""
    extra = sorted(set(policy) - set(LEVERS) - {"name"})
    if extra:
        raise ConfigError(
            f"{where}.{extra[0]}: unknown lever{closest(extra[0], LEVERS)} (levers: "
            f"{', '.join(LEVERS)})"
        )
    if "name" in policy:
        check_name(policy["name"], f"{where}.name")
    out, errors = {}, []
    for name, (_, pars_cls) in LEVERS.items():
        if name not in policy:
            raise ConfigError(f"{where}.{name}: missing; every policy mix lists every lever")
        try:
            out[name] = parse(pars_cls, policy[name], f"{where}.{name}")
        except ConfigError as exc:  # go on: a value that follows another (${..}) fails too
            errors.append(str(exc))
    if errors:
        raise ConfigError("; ".join(errors))
    return out


def build_levers(policy: dict, model, burn_in_policy: dict | None = None) -> list[Lever]:
    """The levers of a policy mix, in acting order (disabled ones included, doing nothing).

    ``policy`` and ``burn_in_policy`` (in force before ``start``; default ``policy``) map each
    lever's name to its checked parameters (:func:`lever_pars`).
    """
    burn = policy if burn_in_policy is None else burn_in_policy
    return [cls(policy[name], model, burn[name]) for name, (cls, _) in LEVERS.items()]


__all__ = ["LEVERS", "Ledger", "Lever", "build_levers", "lever_pars"]
