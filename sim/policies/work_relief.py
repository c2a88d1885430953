"""Work relief (以工代赈)."""

from __future__ import annotations

from sim.policies.posts import Posts, PostsPars


class WorkRelief(Posts):
    """Work-relief projects (以工代赈): project wages for a few months."""

    name = "work_relief"
    Pars = PostsPars
    order = 100


LEVER = WorkRelief
