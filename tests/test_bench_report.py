"""`make bench`'s report: each figure's result against its goal, the table, the JSON."""

import json

from bench.report import AT_MOST, BELOW, Report


def test_figures_pass_or_fail_against_their_goals_and_gates_fail_the_run():
    report = Report()
    at_least = report.add("list", 0.6, goal=0.6)
    short = report.add("list signed in", 0.59, goal=0.6)
    below = report.add("groups", 2.0, goal=2, compare=BELOW, unit="s")
    gate = report.add("claims", 1.3, goal=1.2, compare=AT_MOST, gate=True)
    unmeasured = report.add("scale", None, goal=0.8, reason="no seed_scale")
    plain = report.add("requests per second", 9.5, unit="req/s")

    assert [at_least.passed, short.passed, below.passed, gate.passed, unmeasured.passed,
            plain.passed] == [True, False, False, False, False, None]
    assert report.failed_gates == [gate]


def test_the_table_and_the_json_carry_every_figure(tmp_path):
    report = Report()
    report.add("API list ÷ bare view", 0.42, goal=0.6, api_per_second=4.2)
    report.add("groups: a round", 1.25, goal=2, compare=BELOW, unit="s")

    table = report.table().splitlines()
    path = report.save("15.2", directory=tmp_path)

    assert table[0].split(" | ")[0].strip() == "figure"
    assert [cell.strip() for cell in table[2].split(" | ")][:4] == [
        "API list ÷ bare view", "0.42", ">= 0.6", "FAIL"]
    assert "1.25 s" in table[3] and "pass" in table[3]
    saved = json.loads(path.read_text())
    assert saved == json.loads((tmp_path / "latest.json").read_text())
    assert path.name.endswith("Z.json")
    assert saved["postgres"] == "15.2" and saved["commit"] == report.commit
    assert set(saved["load_average"]) == {"start", "end"}
    first = saved["figures"][0]
    assert (first["value"], first["goal"], first["passed"]) == (0.42, ">= 0.6", False)
    assert first["details"] == {"api_per_second": 4.2}
