"""The performance report of `make bench`: each section adds its figures here, and at the
end the report is printed as a table and saved as JSON under var/bench/.

A figure is a name, a value (mostly a ratio measured side by side), its goal and
whether the value meets it, the machine's load average when it was measured, and
details (the raw numbers behind the value). `var/bench/<UTC time>.json` keeps each run
and `var/bench/latest.json` the newest, with the commit, the Python and PostgreSQL
versions and the load average at the start and the end.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRECTORY = ROOT / "var" / "bench"

# How a value meets its goal.
AT_LEAST, BELOW, AT_MOST = ">=", "<", "<="
_MEETS = {AT_LEAST: lambda value, goal: value >= goal,
          BELOW: lambda value, goal: value < goal,
          AT_MOST: lambda value, goal: value <= goal}


@dataclass
class Figure:
    name: str
    value: float | None
    goal: float | None = None
    compare: str = AT_LEAST
    unit: str = "ratio"
    passed: bool | None = None
    gate: bool = False  # a failed gate makes `make bench` exit with status 1
    load_average: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def goal_text(self) -> str:
        return "" if self.goal is None else f"{self.compare} {self.goal:g}"


class Report:
    def __init__(self):
        self.figures: list[Figure] = []
        self.started = datetime.now(UTC)
        self.load_at_start = os.getloadavg()[0]
        self.commit = _commit()  # at the start: what is measured, whatever is committed later

    def add(self, name: str, value: float | None, *, goal: float | None = None,
            compare: str = AT_LEAST, unit: str = "ratio", gate: bool = False,
            **details) -> Figure:
        """Records one figure; `value` None means it could not be measured (details say why)."""
        passed = None
        if goal is not None:
            passed = value is not None and _MEETS[compare](value, goal)
        figure = Figure(name=name, value=value, goal=goal, compare=compare, unit=unit,
                        passed=passed, gate=gate, load_average=round(os.getloadavg()[0], 2),
                        details=details)
        self.figures.append(figure)
        print(f"  {_line(figure)}", flush=True)
        return figure

    @property
    def failed_gates(self) -> list[Figure]:
        return [f for f in self.figures if f.gate and f.passed is False]

    def table(self) -> str:
        rows = [("figure", "value", "goal", "result", "load")]
        rows += [(f.name, _value(f), f.goal_text, _result(f), f"{f.load_average:.1f}")
                 for f in self.figures]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                 for row in rows]
        lines.insert(1, "-+-".join("-" * width for width in widths))
        return "\n".join(lines)

    def as_dict(self, postgres: str) -> dict:
        return {
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "commit": self.commit,
            "python": platform.python_version(),
            "postgres": postgres,
            "load_average": {"start": round(self.load_at_start, 2),
                             "end": round(os.getloadavg()[0], 2)},
            "figures": [{**asdict(f), "goal": f.goal_text or None} for f in self.figures],
        }

    def save(self, postgres: str, directory: Path = DIRECTORY) -> Path:
        """var/bench/<UTC timestamp>.json and var/bench/latest.json; the first's path."""
        directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.as_dict(postgres), indent=2, default=str) + "\n"
        path = directory / f"{self.started.strftime('%Y%m%dT%H%M%SZ')}.json"
        path.write_text(text)
        (directory / "latest.json").write_text(text)
        return path


def _value(figure: Figure) -> str:
    if figure.value is None:
        return "not measured"
    return f"{figure.value:.2f}" + ("" if figure.unit == "ratio" else f" {figure.unit}")


def _result(figure: Figure) -> str:
    return {True: "pass", False: "FAIL", None: "-"}[figure.passed]


def _line(figure: Figure) -> str:
    goal = f" (goal {figure.goal_text})" if figure.goal_text else ""
    return (f"{figure.name}: {_value(figure)}{goal} {_result(figure)}; "
            f"load {figure.load_average:.1f}; {figure.details}")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


REPORT = Report()
