"""The command line of the Hydra entry points: check every job first, then hand over to Hydra.

Hydra makes a run's folder (``.hydra/``, a log) before the task runs, and reports its own errors
in several lines. So each entry point first composes every job's config itself (each
combination of a sweep), checks it, checks where it would write, and stops with one line naming
the key if anything is wrong: a failed command writes nothing. Only then does Hydra run.

Large sweeps (over ``FULL_PRODUCT`` jobs) are checked one swept value at a time, the others at
their first value; a job whose combination alone is bad still fails with one line, in its
folder.

Example:
    >>> jobs = sweep_jobs(["seed=1,2", "shocks=flood"])
    >>> jobs
    [['seed=1', 'shocks=flood'], ['seed=2', 'shocks=flood']]
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hydra._internal.utils import get_args_parser
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.config.compose import compose, parse_overrides
from sim.core.errors import ConfigError, DataError
from sim.core.io import busy, holder
from sim.core.scenarios import CONFIG_DIR, EXTRA_CONFIG_DIRS
from sim.studies.runner import no_cluster, watch_with_squeue

FULL_PRODUCT = 64  # sweeps up to this many jobs are checked job by job
MAX_JOBS = 1000  # runs in one multirun; more seeds belong in experiments.compare (assumption)
# A --config-dir folder is read in full before Hydra sees it: at most this many YAML files of at
# most MAX_YAML_BYTES each, and at most MAX_YAML_NODES values once YAML's aliases are expanded
# (an "anchor bomb" of a few lines expands to billions and would hang Hydra).
MAX_YAML_FILES, MAX_YAML_BYTES, MAX_YAML_NODES = 2000, 1_000_000, 100_000
# Hydra launchers that run on this machine (any other is submitit's: its watcher is switched
# to squeue, sim.studies.runner.watch_with_squeue; importing submitit costs every other command 0.14 s).
LOCAL_LAUNCHERS = ("basic", "local", "joblib")
# Hydra options after which the task does not run (help, config printing, completion).
NO_TASK = ("help", "hydra_help", "cfg", "info", "shell_completion", "version", "experimental_rerun")


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage first)."""

    def error(self, message: str):
        """Exit with the message in one line."""
        sys.exit(f"error: {message} (see --help)")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise ConfigError(
            f"{message}; options such as -m go before the overrides: "
            f"python -m {self.prog} -m key=a,b key2=c"
        )


def _args(argv: list[str], prog: str) -> argparse.Namespace:
    parser = _Parser(prog=prog, add_help=False)
    for action in get_args_parser()._actions:  # Hydra's own options, as Hydra parses them
        kwargs = {"dest": action.dest, "default": None}
        if action.nargs == 0:  # switches (-m, --help, --version)
            kwargs["action"] = "store_true"
        elif action.option_strings:
            kwargs.update(nargs=action.nargs, const=action.const, choices=action.choices)
        else:
            parser.add_argument(action.dest, nargs=action.nargs, default=action.default)
            continue
        parser.add_argument(*action.option_strings, **kwargs)
    return parser.parse_args(argv)


def sweep_jobs(overrides: list[str], limit: int = FULL_PRODUCT) -> list[list[str]]:
    """The overrides of each job of a multirun (Hydra's basic sweeper: every combination).

    Over ``limit`` combinations: each swept value once, the other sweeps at their first value,
    and of a sweep over numbers only its first, smallest and largest value (every bound is an
    interval). More than :data:`MAX_JOBS` jobs: a ConfigError.
    """
    parsed = parse_overrides(overrides)
    lists = []
    for o in parsed:
        if o.is_sweep_override():
            if not o.is_discrete_sweep() or "glob(" in o.input_line.replace(" ", ""):
                raise ConfigError(f"{o.input_line}: only lists (a,b) and range() can be swept")
            lists.append([f"{o.get_key_element()}={v}" for v in o.sweep_string_iterator()])
        else:
            lists.append([o.input_line])
    n = 1
    for values in lists:
        n *= len(values)
    if n > MAX_JOBS:
        raise ConfigError(
            f"{' '.join(o.input_line for o in parsed if o.is_sweep_override())}: {n:,} runs, more "
            f"than {MAX_JOBS:,} in one multirun; split the sweep, or run many seeds as a "
            "comparison (python -m experiments.compare experiment.seeds=...)"
        )
    if n <= limit:
        return [list(job) for job in itertools.product(*lists)]
    lists = [_ends(values) for values in lists]
    first = [values[0] for values in lists]
    jobs = [first]
    for i, values in enumerate(lists):
        jobs += [first[:i] + [v] + first[i + 1 :] for v in values[1:]]
    return jobs


def _ends(lines: list[str]) -> list[str]:
    """``key=v`` lines of one sweep: all of them, or of numbers the first, smallest, largest."""
    try:
        numbers = [float(line.split("=", 1)[1]) for line in lines]
    except ValueError:
        return lines
    if len(lines) <= 3 or not all(map(math.isfinite, numbers)):
        return lines
    ends = [0, numbers.index(min(numbers)), numbers.index(max(numbers))]
    return [lines[i] for i in dict.fromkeys(ends)]


def table_merges(overrides: list[str], config_name: str) -> list[str]:
    """Notes on overrides that merge a mapping into a table of the config (Hydra merges them).

    An empty mapping changes nothing: a ConfigError.
    """
    notes = []
    parsed = parse_overrides(overrides)
    for o in parsed:
        if o.is_sweep_override() or o.is_add() or o.is_delete() or not isinstance(o.value(), dict):
            continue
        key = o.key_or_group
        rest = [x for x in overrides if x != o.input_line]
        node = OmegaConf.select(compose(rest, config_name), key, default=None)
        if not isinstance(node, DictConfig):
            continue
        years = [str(k) for k in node.keys()]
        if years and all(y.isdigit() for y in years) and any(isinstance(k, int) for k in o.value()):
            year, value = next(iter(o.value().items()))
            raise ConfigError(
                f"{o.input_line}: the config's table writes its years as text ('{years[0]}'), "
                f"so a mapping of numbers cannot merge into it; change one year with "
                f"{key}.{year}={value}, or replace the table with ~{key} '+{key}={{...}}'"
            )
        if not o.value():
            raise ConfigError(
                f"{o.input_line}: an empty mapping changes nothing (a mapping override merges "
                f"into the config's); to replace the table write ~{key} +{key}={{...}}"
            )
        kept = sorted(set(map(str, node.keys())) - set(map(str, o.value())))
        if kept:
            notes.append(
                f"note: {o.input_line} merges into the config's {key}; {', '.join(kept)} keep "
                f"their values (to replace the whole table: ~{key} +{key}={{...}})"
            )
    return notes


def output_dirs(cfg: DictConfig, multirun: bool) -> Path:
    """The folder Hydra will write a job into."""
    if multirun:
        if OmegaConf.is_missing(cfg.hydra.job, "num"):  # set by Hydra per job: the first one's
            cfg = cfg.copy()
            with open_dict(cfg):
                cfg.hydra.job.num = 0
        return Path(str(cfg.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)
    return Path(str(cfg.hydra.run.dir))


def check_output(folder: Path, root: Path, key: str, files: Iterable[str] = ()) -> None:
    """``folder`` lies inside ``root`` and can be written; ``files`` in it are not folders.

    Nothing is created: writability is probed with a temporary file that is removed at once.
    """
    long = next((p for p in folder.parts if len(p.encode()) > 255), None)
    if long is not None:
        raise ConfigError(
            f"{key}: the folder name {long[:40]}... has {len(long.encode())} bytes, more than "
            "the 255 a file system allows; give the sweep short values or set "
            "hydra.sweep.subdir=${hydra.job.num}"
        )
    real, top = folder.resolve(), root.resolve()
    if not real.is_relative_to(top):
        raise ConfigError(
            f"{key} = {folder}: outside output_root ({root}), where every result goes; to "
            f"write elsewhere set output_root=<folder>"
        )
    probe = real
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{key} = {folder}: {probe} is a file, not a folder; choose another")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ConfigError(
            f"{key} = {folder}: cannot write in {probe} ({exc.strerror}); choose another "
            "output_root or fix its permissions"
        ) from None
    for name in files:
        path = real / name
        if path.exists() and not path.is_file():
            raise ConfigError(f"{key} = {folder}: {path} exists and is not a file; move it away")


# Logging handlers and formatters a config may name: dictConfig would import and call any other
# ("class", "()"), so a config file could run code through them.
LOG_CLASSES = ("logging.StreamHandler", "logging.FileHandler", "logging.NullHandler",
               "logging.Formatter")  # fmt: skip
LOG_FILE = "${hydra.runtime.output_dir}/${hydra.job.name}.log"  # Hydra's own, in the job folder
PLUGINS = {  # the classes Hydra may make: its basic sweeper, the launchers of scenarios/hydra/
    "hydra.sweeper._target_": ("hydra._internal.core_plugins.basic_sweeper.BasicSweeper",),
    "hydra.launcher._target_": (
        "hydra._internal.core_plugins.basic_launcher.BasicLauncher",
        "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
        "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher",
        "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher",
    ),
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,79}$")


def _stays_inside(name: Any) -> bool:
    """Whether ``name`` is one plain folder or file name (``.hydra`` too): no '/', no '..'."""
    return bool(_SAFE_NAME.match(str(name))) and ".." not in str(name)


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(dotted key, key, value) of every entry of a plain config, depth first."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in items:
        key = f"{path}.{k}" if path else str(k)
        yield key, k, v
        if isinstance(v, dict | list):
            yield from _walk(v, key)


def refuse_code_and_escapes(cfg: DictConfig) -> None:
    """Refuse what would run code or write outside ``output_root``, naming the key.

    relapse-sim instantiates nothing from config: ``hydra.callbacks`` and ``_target_`` (but
    Hydra's sweeper and the shipped launchers, :data:`PLUGINS`) are refused, and so are
    logging factories and classes that are not plain stream or file handlers, a log file
    anywhere but the job's folder, an environment variable read into a value
    (``${oc.env:...}``: it would land in results and logs), a ``.hydra`` folder or job name
    that leaves the job folder, and a run or sweep folder outside ``output_root`` (whichever
    ``hydra.mode`` runs). A launcher's ``n_jobs`` joblib cannot take (0) is refused here too,
    with the launcher's other keys.
    """
    data = OmegaConf.to_container(cfg, resolve=False)
    hydra = data.pop("hydra", None) or {}
    for key, k, v in [*_walk(data, ""), *_walk(hydra, "hydra")]:  # the user's values first
        if key.startswith(("hydra.overrides.", "hydra.job.override_dirname")):
            continue  # the command line as typed: what it sets is checked where it lands
        if isinstance(v, str) and "oc.env" in v:
            raise ConfigError(
                f"{key} = {v!r}: refused: a value may not read an environment variable; "
                "write the value itself"
            )
        if k == "_target_" and v not in PLUGINS.get(key, ()):
            raise ConfigError(
                f"{key}: refused: relapse-sim instantiates nothing from a config file (only "
                "Hydra's sweeper and the launchers of scenarios/hydra/launcher/ name a class)"
            )
    if hydra.get("callbacks"):
        name = next(iter(hydra["callbacks"]))
        raise ConfigError(
            f"hydra.callbacks.{name}: refused: callbacks run code; relapse-sim uses none"
        )
    for section in ("job_logging", "hydra_logging"):
        for key, k, v in _walk(hydra.get(section) or {}, f"hydra.{section}"):
            if k == "()" or (k == "class" and v not in LOG_CLASSES):
                raise ConfigError(
                    f"{key} = {v!r}: refused: logging may use only {', '.join(LOG_CLASSES)}"
                )
            if k == "filename" and v != LOG_FILE:
                raise ConfigError(
                    f"{key} = {v!r}: refused: the log is written in the job's own folder"
                )
    subdir = hydra.get("output_subdir")
    if subdir is not None and not _stays_inside(subdir):
        raise ConfigError(
            f"hydra.output_subdir = {subdir!r}: must be a plain folder name inside the job "
            "folder (e.g. .hydra) or null"
        )
    name = (hydra.get("job") or {}).get("name")
    if name is not None and not _stays_inside(name):
        raise ConfigError(
            f"hydra.job.name = {name!r}: letters, digits, '_', '-' and '.' only (it names the "
            "log file)"
        )
    n_jobs = (hydra.get("launcher") or {}).get("n_jobs")
    if n_jobs is not None and (not isinstance(n_jobs, int) or isinstance(n_jobs, bool)
                               or n_jobs == 0 or n_jobs < -1):  # fmt: skip
        raise ConfigError(
            f"hydra.launcher.n_jobs = {n_jobs!r}: jobs at once, 1 or more (-1: every core)"
        )
    root = str(cfg.output_root)
    if root.startswith("~"):
        raise ConfigError(
            f"output_root = {root!r}: '~' is not expanded here; write the full path, e.g. "
            f"output_root={Path(root).expanduser()}"
        )


class _CheckedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that also refuses a key written twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        """A mapping; a repeated key is an error naming its line."""
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"the key {key!r} is written twice in one mapping",
                    problem_mark=key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """The number of values ``node`` holds with every alias expanded, counted up to ``limit``."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(x) for x in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        sizes[id(n)] = total = min(total, limit + 1)
        return total

    return size(node)


def check_config_dir(text: str) -> Path:
    """The ``--config-dir`` folder, every YAML file in it read and checked first.

    One line naming the file and line for what would give Hydra's long YAML tracebacks or hang
    it: invalid YAML (tabs, bad indentation), tags such as ``!!python/object``, a key written
    twice, an anchor bomb, a file too large. A file at the top named like a shipped root config
    (``config.yaml``) is refused: it would replace the root config, which is checked.
    """
    folder = Path(text).resolve()
    if not folder.is_dir():
        raise ConfigError(f"--config-dir {text}: no such folder")
    roots = sorted(p.name for p in folder.glob("*.yaml") if (CONFIG_DIR / p.name).is_file())
    if roots:
        raise ConfigError(
            f"--config-dir {text}: {roots[0]} would replace the shipped root config; put files "
            "of your own in group folders (policy/, experiment/, ...), as in scenarios/"
        )
    files = sorted(folder.rglob("*.yaml"))
    if len(files) > MAX_YAML_FILES:
        raise ConfigError(f"--config-dir {text}: {len(files)} YAML files, more than "
                          f"{MAX_YAML_FILES}; point it at the folder of your config files only")  # fmt: skip
    for path in files:
        where = path.relative_to(folder)
        try:
            if path.stat().st_size > MAX_YAML_BYTES:
                raise ConfigError(f"--config-dir {text}: {where} is larger than "
                                  f"{MAX_YAML_BYTES:,} bytes; a config file is a few kB")  # fmt: skip
            loader = _CheckedLoader(path.read_text(encoding="utf-8"))
            try:  # yaml.load's two steps, the aliases counted between them
                node = loader.get_single_node()
                if node is not None and _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
                    raise ConfigError(
                        f"--config-dir {text}: {where}: its aliases (*name) expand to more "
                        f"than {MAX_YAML_NODES:,} values; write the values out"
                    )
                loader.construct_document(node)  # tags, a key written twice
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            problem = " ".join(str(exc.problem or exc.context).split())
            if "'\\t'" in problem:
                problem += " (YAML indents with spaces, not tabs)"
            if "could not determine a constructor" in problem:
                problem += " (tags such as !!python run code and are not read)"
            raise ConfigError(f"--config-dir {text}: {where}{line}: {problem}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"--config-dir {text}: {where}: {' '.join(str(exc).split())}"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--config-dir {text}: {where}: cannot read it ({exc})") from None
    return folder


def shadowed(folder: Path) -> list[str]:
    """The files of ``folder`` (a --config-dir) that take the place of a shipped file."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.yaml")
                  if (CONFIG_DIR / p.relative_to(folder)).is_file())  # fmt: skip


def precheck(
    config_name: str,
    check_job: Callable[[DictConfig], Any],
    files: Iterable[str] = (),
    argv: list[str] | None = None,
    prog: str = "experiments.run",
) -> None:
    """Check every job of the command line ``argv``; exit with one line on the first problem.

    ``check_job(cfg)`` checks one job's composed config (Hydra's section included) and raises
    :class:`ConfigError` or :class:`DataError`. ``files``: names each job writes into its folder.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _args(argv, prog)
        if args.experimental_rerun:
            raise ConfigError(
                "--experimental-rerun: refused: it unpickles a file, which can run code; run "
                "the command again with its overrides (the run folder's .hydra/overrides.yaml)"
            )
        if args.config_path or args.config_name:
            raise ConfigError(
                f"--config-{'path' if args.config_path else 'name'}: refused: it replaces the "
                "shipped root config, which is checked; put files of your own in a folder laid "
                "out like scenarios/ and give it with --config-dir"
            )
        if any(getattr(args, name, None) for name in NO_TASK):
            parse_overrides(list(args.overrides or []))  # --cfg job 'seed=[1': one line too
            return
        EXTRA_CONFIG_DIRS.clear()
        if args.config_dir:  # files of one's own (an experiment, a policy mix): searched first
            folder = check_config_dir(args.config_dir)
            EXTRA_CONFIG_DIRS.append(folder)
            for name in shadowed(folder):
                print(f"note: {name} of --config-dir {args.config_dir} is used, not the "
                      f"shipped scenarios/{name}", file=sys.stderr)  # fmt: skip
        name = config_name
        overrides = list(args.overrides or [])
        for o in parse_overrides(overrides):
            group = o.key_or_group.split("@")[0]
            if isinstance(o.value(), list) and (CONFIG_DIR / group).is_dir():
                raise ConfigError(
                    f"{o.input_line}: {group} takes one option; to compare mixes run "
                    f"experiments.compare, to sweep them -m {group}={','.join(map(str, o.value()))}"
                )
        jobs = sweep_jobs(overrides) if args.multirun else [overrides]
        for note in table_merges(jobs[0], name):
            print(note, file=sys.stderr)
        notes: list[str] = []
        for job in jobs:
            cfg = compose(job, name, hydra_node=True, notes=notes)
            refuse_code_and_escapes(cfg)
            check_job(cfg)
            on_slurm = "SlurmLauncher" in str(OmegaConf.select(cfg, "hydra.launcher._target_"))
            if on_slurm or OmegaConf.select(cfg, "runner", default=None) == "slurm":
                if why := no_cluster():
                    what = "hydra/launcher=cluster" if on_slurm else "runner=slurm"
                    raise ConfigError(
                        f"{what}: no SLURM cluster answers on this machine ({why}); run on "
                        "the cluster's login node, or here without it (runner=local, "
                        "hydra/launcher=local)"
                    )
            multirun = args.multirun or str(cfg.hydra.mode) == "RunMode.MULTIRUN"
            key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
            folder = output_dirs(cfg, multirun)
            check_output(folder, Path(cfg.output_root), key, files)
            if who := holder(folder):
                raise busy(folder, who)
            if not multirun:  # a sweep folder is written only by -m, but check it anyway
                sweep = Path(str(cfg.hydra.sweep.dir))
                check_output(sweep, Path(cfg.output_root), "hydra.sweep.dir")
        for note in dict.fromkeys(notes):  # once each, whatever the number of jobs
            print(note, file=sys.stderr)
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")
    finally:
        EXTRA_CONFIG_DIRS.clear()


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Inside a task: a bad config, bad data or a failed write exits with one line."""
    try:
        yield
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")
    except OSError as exc:  # an unwritable folder, a full disk, a folder where a file goes
        where = f" {exc.filename}" if exc.filename else ""
        sys.exit(f"error: cannot write{where}: {exc.strerror or exc}")


def main(
    task: Callable[[], None],
    config_name: str,
    check_job: Callable[[DictConfig], Any],
    files: Iterable[str] = (),
    argv: list[str] | None = None,
    prog: str = "experiments.run",
) -> None:
    """Check the command line (:func:`precheck`), then run Hydra's ``task`` on it."""
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    if any(a.startswith("hydra/launcher=") and a.split("=", 1)[1] not in LOCAL_LAUNCHERS
           for a in sys.argv[1:]):  # fmt: skip
        watch_with_squeue()  # a SLURM launcher polls squeue, not sacct (no accounting needed)
    precheck(config_name, check_job, files, sys.argv[1:], prog)
    config_dir = _args(sys.argv[1:], prog).config_dir
    if config_dir:  # searched before scenarios/ by Hydra too (hydra_plugins/relapse_sim)
        EXTRA_CONFIG_DIRS.append(Path(config_dir).resolve())
    task()
