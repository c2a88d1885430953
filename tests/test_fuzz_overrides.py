"""Random overrides drawn from the schema (hypothesis): one line or success, never a traceback.

Each example is a command line of one to three overrides of keys the config has (a year of a
table, a lever's switch, a shock's probability, a group option), of new keys, with values of
every kind a user might type (huge, negative, not a number, text, lists, mappings, null,
interpolations). ``sim.studies.cli.precheck`` must accept it or exit with one line naming the problem,
and write nothing.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments import run
from sim.config.compose import compose
from sim.core.scenarios import CONFIG_DIR
from sim.engine.schema import to_dict
from sim.studies.cli import precheck
from sim.studies.run import RUN_FILES

EXAMPLES = 120


def leaves(node, path=""):
    """Dotted keys of every value of a plain config."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        key = f"{path}.{k}" if path else str(k)
        if isinstance(v, dict | list) and v:
            yield from leaves(v, key)
        else:
            yield key


KEYS = sorted(k for k in leaves(to_dict(compose([]))) if not k.startswith("burn_in_policy"))
GROUPS = sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name != "hydra")
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)
VALUES = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["null", "true", "false", "[]", "{}", "[1,2]", "'a b'", "''", "${seed}",
                     "${nokey}", "2021-13", "1e308", "-0", "0.5", "[a]", "{a: 1}", "中文"]),
    WORD,
)  # fmt: skip
OVERRIDE = st.one_of(
    st.tuples(st.sampled_from(KEYS), VALUES).map("=".join),
    st.tuples(st.sampled_from(GROUPS), WORD).map("=".join),
    st.tuples(st.sampled_from(KEYS), WORD).map(lambda kv: f"+{kv[0]}.{kv[1]}=1"),
)
SEEN: list[str] = []


@pytest.fixture(scope="module")
def outcomes():
    """What the examples gave: ``accepted`` and ``refused`` command lines."""
    found = {"accepted": [], "refused": []}
    yield found
    print(f"\n{len(SEEN)} generated command lines: {len(found['accepted'])} accepted, "
          f"{len(found['refused'])} refused in one line")  # fmt: skip


@pytest.mark.slow  # a minute: make test-all
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(OVERRIDE, min_size=1, max_size=3))
def test_random_overrides_get_one_line_or_run(tmp_path_factory, outcomes, overrides):
    root = Path(tmp_path_factory.mktemp("out"))
    SEEN.append(" ".join(overrides))
    try:
        precheck("config", run.check_job, RUN_FILES, [*overrides, f"output_root={root}"])
        outcomes["accepted"].append(overrides)
    except SystemExit as exc:
        message = str(exc.code)
        assert message.startswith("error: ") and "\n" not in message, (overrides, message)
        assert "Traceback" not in message
        outcomes["refused"].append(overrides)
    assert not any(root.iterdir()), overrides  # nothing written, whatever the outcome


@pytest.mark.slow  # reads what the property above generated
def test_the_generated_lines_were_varied(outcomes):
    """Runs after the property: it generated every example, both accepted and refused ones."""
    assert len(set(SEEN)) >= EXAMPLES * 0.9
    assert len(outcomes["accepted"]) >= 5 and len(outcomes["refused"]) >= 5, outcomes
