"""Public-welfare jobs (公益性岗位)."""

from __future__ import annotations

from sim.engine.policies.posts import Posts, PostsPars


class PublicJobs(Posts):
    """Public-welfare jobs (公益性岗位): forest rangers, cleaners, river patrols..."""

    name = "public_jobs"
    Pars = PostsPars
    figures = {
        "public_jobs_holders": ("households", "households", "households holding a public-welfare post",
                                "公益性岗位在岗户"),
    }  # fmt: skip


LEVER = PublicJobs
