"""Work relief (以工代赈)."""

from __future__ import annotations

from sim.engine.policies.posts import Posts, PostsPars


class WorkRelief(Posts):
    """Work-relief projects (以工代赈): project wages for a few months."""

    name = "work_relief"
    Pars = PostsPars
    figures = {
        "work_relief_holders": ("households", "households", "households in work relief",
                                "以工代赈在岗户"),
    }  # fmt: skip


LEVER = WorkRelief
