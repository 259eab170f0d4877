"""`make mutate`: mutation testing (mutmut) of the services, selectors and dispatcher.

Each module in bench/mutation_targets.toml is mutated on its own, in a copy of the
work tree under var/mutate/, and each mutant runs only the module's own tests that
reach the mutated function. Prints a score per module (mutants caught / mutants)
and every surviving mutant as a diff.

    python -m bench.mutate                                 # every module
    python -m bench.mutate participants/outbox/dispatch.py        # one module
    python -m bench.mutate --changed-since HEAD~1 --budget 600 --enforce-floors  # CI

A module whose run does not finish within the budget is reported as unfinished and
never fails the run. --enforce-floors fails a finished module that scores under its
floor in bench/mutation_targets.toml (a ratchet: raise a floor when tests improve).
Statements that only log (`logger.…`) are not mutated: their text is not behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "bench" / "mutation_targets.toml"
WORK = ROOT / "var" / "mutate"
MUTMUT = Path(sys.executable).with_name("mutmut")
VERDICTS = "verdicts.json"  # the last run's verdicts, --again's starting point

CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}
MISSED = {"survived", "no tests", "suspicious"}
RESULT_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")


@dataclass
class Score:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    out_of_time: bool = False
    broken: bool = False  # mutmut stopped on its own, e.g. the tests fail unmutated

    @property
    def caught(self) -> int:
        return sum(status in CAUGHT for status in self.statuses.values())

    @property
    def survivors(self) -> list[str]:
        return [name for name, status in self.statuses.items() if status in MISSED]

    @property
    def finished(self) -> bool:
        return not self.out_of_time and not self.broken and all(
            status in CAUGHT | MISSED for status in self.statuses.values())

    @property
    def percent(self) -> float:
        tried = self.caught + len(self.survivors)
        return 100.0 * self.caught / tried if tried else 100.0

    def line(self) -> str:
        total = len(self.statuses)
        state = ("" if self.finished else "  (mutmut failed: see its log)" if self.broken
                 else "  (unfinished: out of time)")
        return (f"{self.module:<40} {self.caught:>4}/{total:<4} caught  {self.percent:5.1f} %"
                f"  {self.seconds:5.0f} s{state}")


def targets() -> dict[str, list[str]]:
    return tomllib.loads(TARGETS.read_text())["modules"]


def floors() -> dict[str, float]:
    return tomllib.loads(TARGETS.read_text()).get("floors", {})


def changed_modules(ref: str, mapping: dict[str, list[str]]) -> list[str] | None:
    """Modules whose file or own tests differ from `ref`; None when `ref` is unknown."""
    diff = subprocess.run(["git", "diff", "--name-only", ref, "--"], cwd=ROOT,
                          capture_output=True, text=True)
    if diff.returncode != 0:
        return None
    changed = set(diff.stdout.split())
    return [module for module, tests in mapping.items()
            if module in changed or changed.intersection(tests)]


def _copy_work_tree(into: Path) -> None:
    """The tracked and new (not ignored) files as they are now, edits included, and the
    compiled catalogues."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    # Compiled catalogues are build output, not in git; tests of translated text need them.
    listed += [str(path.relative_to(ROOT)) for path in ROOT.glob("locale/*/LC_MESSAGES/*.mo")]
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / relative)


def _packages() -> list[str]:
    """The project's top packages: a `packages` list or `packages.find.include` patterns."""
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]
    if isinstance(packages, dict):
        packages = packages["find"]["include"]
    return sorted({package.rstrip("*").split(".")[0] for package in packages})


def _config(module: str, tests: list[str]) -> str:
    packages = _packages()
    lines = ["[mutmut]", "source_paths ="]
    lines += [f"    {package}" for package in packages]
    lines += [f"only_mutate = {module}", "also_copy =", "    templates", "    static", "    locale",
              "    manage.py", "pytest_add_cli_args =", "    -p", "    no:cacheprovider",
              "    --nomigrations", "    -m", "    not reliability and not browser and not fuzz",
              "pytest_add_cli_args_test_selection ="]
    lines += [f"    {test}" for test in tests]
    lines += ["do_not_mutate_patterns =", r"    ^\s*logger\."]
    return "\n".join(lines) + "\n"


def _environment(work: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env["PARLEY_VAR_DIR"] = str(work / "var")
    return env


def _results(work: Path, env: dict[str, str]) -> dict[str, str]:
    listed = subprocess.run([MUTMUT, "results", "--all", "true"], cwd=work, env=env,
                            capture_output=True, text=True)
    statuses = {}
    for line in listed.stdout.splitlines():
        match = RESULT_LINE.match(line)
        if match and "__mutmut_" in match["name"]:
            statuses[match["name"]] = match["status"]
    return statuses


def _workspace(module: str) -> Path:
    return WORK / module.removesuffix(".py").replace("/", ".")


def mutate(module: str, tests: list[str], *, seconds_left: float, children: int,
           again: bool = False) -> Score:
    """Mutate `module` afresh, or (`again`) re-run only the last run's survivors against
    the tests as they are now: the quick loop while writing tests for them."""
    work = _workspace(module)
    before: dict[str, str] = {}
    rerun: list[str] = []
    if again and (work / "mutants").is_dir():
        # A changed test list (or fresh stats, below) makes mutmut forget every verdict;
        # the caught ones stand (tests were only added), so the harness keeps the last
        # run's verdicts itself and runs the rest again.
        before = _last_verdicts(work)
        rerun = [name for name, status in before.items() if status not in CAUGHT]
        if not rerun:
            print(f"{module}: no survivor left from the last run")
        # mutmut reruns its stats (which tests call which function) only for tests with a
        # new name: a test edited to call the function would not be run against its mutants,
        # which would then "survive" though the test kills them by hand. Measure afresh.
        (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    _copy_work_tree(work)
    (work / "setup.cfg").write_text(_config(module, tests))
    env = _environment(work)
    score = Score(module)
    started = time.monotonic()
    with open(work / "mutmut.log", "w") as log:
        run = subprocess.Popen([MUTMUT, "run", "--max-children", str(children), *rerun],
                               cwd=work,
                               env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            run.wait(timeout=max(seconds_left, 1))
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGTERM)
            run.wait()
            score.out_of_time = True
    score.broken = not score.out_of_time and run.returncode != 0
    score.seconds = time.monotonic() - started
    after = _results(work, env)
    score.statuses = before | {name: after[name] for name in rerun if name in after} \
        if before else after
    if not score.statuses:
        print(f"{module}: mutmut produced no results; see {work / 'mutmut.log'}")
    (work / VERDICTS).write_text(json.dumps(score.statuses, indent=0, sort_keys=True))
    return score


def _last_verdicts(work: Path) -> dict[str, str]:
    kept = work / VERDICTS
    return json.loads(kept.read_text()) if kept.exists() else _results(work, _environment(work))


# One process prints every survivor's diff (one `mutmut show` each costs seconds).
_SHOW_DIFFS = """
import sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
for name in sys.argv[1:]:
    print("@@@", name)
    print(get_diff_for_mutant(name, path=find_mutant(name).path))
"""


def show_survivors(score: Score) -> None:
    if not score.survivors:
        return
    work = _workspace(score.module)
    shown = subprocess.run([sys.executable, "-c", _SHOW_DIFFS, *score.survivors], cwd=work,
                           env=_environment(work), capture_output=True, text=True).stdout
    for line in shown.splitlines():
        if line.startswith("@@@ "):
            name = line.removeprefix("@@@ ")
            print(f"  {score.statuses[name]}: {name}")
        elif line[:1] in "+-" and not line.startswith(("+++", "---")):
            print(f"      {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mutate", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: all listed)")
    parser.add_argument("--changed-since", metavar="REF",
                        help="only the modules whose file or tests changed since REF")
    parser.add_argument("--budget", type=float, default=float("inf"), metavar="SECONDS",
                        help="stop after this long; unfinished modules do not fail")
    parser.add_argument("--enforce-floors", action="store_true",
                        help="exit 1 when a finished module scores under its floor")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--again", action="store_true",
                        help="re-run only the survivors of the module's last run, against "
                             "the tests as they are now (the module's code unchanged)")
    args = parser.parse_args(argv)

    mapping = targets()
    modules = args.modules or list(mapping)
    if args.changed_since:
        changed = changed_modules(args.changed_since, mapping)
        if changed is None:
            print(f"mutate: cannot compare with {args.changed_since}; nothing to do")
            return 0
        modules = [module for module in modules if module in changed]
    unknown = [module for module in modules if module not in mapping]
    if unknown:
        parser.error(f"not in {TARGETS.relative_to(ROOT)}: {', '.join(unknown)}")
    if not modules:
        print("mutate: no module to mutate")
        return 0

    deadline = time.monotonic() + args.budget
    scores = []
    for module in modules:
        seconds_left = deadline - time.monotonic()
        if seconds_left <= 0:
            print(f"{module}: skipped, out of time")
            continue
        score = mutate(module, mapping[module], seconds_left=seconds_left,
                       children=args.children, again=args.again)
        print(score.line(), flush=True)
        show_survivors(score)
        scores.append(score)

    print("\nMutation score per module (caught = killed or timed out):")
    for score in scores:
        print("  " + score.line())
    floor = floors() if args.enforce_floors else {}
    too_low = [score for score in scores
               if score.finished and score.percent < floor.get(score.module, 0)]
    for score in too_low:
        print(f"mutate: {score.module} scores {score.percent:.1f} %, "
              f"under its floor of {floor[score.module]:g} %")
    broken = [score for score in scores if score.broken]
    for score in broken:
        print(f"mutate: mutmut failed on {score.module}; see {_workspace(score.module)}/"
              "mutmut.log")
    return 1 if too_low or broken else 0


if __name__ == "__main__":
    sys.exit(main())
