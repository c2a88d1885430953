"""Public-welfare jobs (公益性岗位)."""

from __future__ import annotations

from sim.policies.posts import Posts, PostsPars


class PublicJobs(Posts):
    """Public-welfare jobs (公益性岗位): forest rangers, cleaners, river patrols..."""

    name = "public_jobs"
    Pars = PostsPars
    order = 90


LEVER = PublicJobs
