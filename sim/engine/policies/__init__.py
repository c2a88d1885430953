"""Policy levers, one module per lever, found by name: ``sim/engine/policies/<name>.py``.

A lever module defines its parameter class and its lever class (``name`` = the module's name,
``Pars``) and ends with ``LEVER = <the class>``; :data:`ACTING_ORDER` says when each acts in
the month (``RelapseModel.plan()`` prints it). Modules without ``LEVER`` hold rules that
several levers share.
"""

from __future__ import annotations

import importlib
import pkgutil

from sim.core.errors import ConfigError
from sim.core.params import check_name, closest, parse
from sim.engine.policies.base import LEVER_BITS, Lever

# When each lever acts in the month, and why so.
ACTING_ORDER = (
    "monitoring",  # first: whom it identifies this month the other levers treat first
    "tekun",  # the means-tested allowances, on the 12-month income (tekun before dibao:
    "dibao",  # a tekun household is not also paid dibao)
    "basic_insurance",  # the three medical tiers in order, each on what the one before left
    "critical_illness",
    "medical_assistance",
    "anti_poverty_insurance",  # cash on the shock spending the medical tiers left
    "temporary",
    "public_jobs",  # posts for idle labour, then training for those without a post
    "work_relief",
    "employment",
    "industry",  # the mustard price and subsidy, then production credit
    "credit",
)


def _discover() -> dict[str, tuple[type[Lever], type]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "LEVER", None)
        if cls is None:
            continue
        if cls.name != info.name:
            raise ImportError(
                f"sim/engine/policies/{info.name}.py: LEVER.name is {cls.name!r}, "
                f"not the module's name {info.name!r}"
            )
        found.append(cls)
    names = [cls.name for cls in found]
    if sorted(names) != sorted(ACTING_ORDER):
        new = sorted(set(names) - set(ACTING_ORDER)) or sorted(set(ACTING_ORDER) - set(names))
        raise ImportError(
            f"sim/engine/policies: lever {new[0]!r} is in one of ACTING_ORDER and the lever "
            "modules but not the other; each lever module is named once in ACTING_ORDER"
        )
    found.sort(key=lambda cls: ACTING_ORDER.index(cls.name))
    return {cls.name: (cls, cls.Pars) for cls in found}


# name: (lever class, parameter class), in the order they act.
LEVERS: dict[str, tuple[type[Lever], type]] = _discover()
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


def build_levers(policy: dict, ctx, burn_in_policy: dict | None = None) -> list[Lever]:
    """The levers of a policy mix, in acting order (disabled ones included, doing nothing).

    ``policy`` and ``burn_in_policy`` (in force before ``start``; default ``policy``) map each
    lever's name to its checked parameters (:func:`lever_pars`).
    """
    burn = policy if burn_in_policy is None else burn_in_policy
    return [cls(policy[name], ctx, burn[name]) for name, (cls, _) in LEVERS.items()]


__all__ = ["LEVERS", "Lever", "build_levers", "lever_pars"]
