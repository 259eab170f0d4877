"""The shape of the project: which package may import which.

Dependencies point one way: core ← participants ← exchanges ← dialogues. `config`
wires the apps together through settings strings and `include()`: it may use the
shared tools in `core`, but imports no module of participants, exchanges or dialogues.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "participants", "exchanges", "dialogues"]


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _sources(package: str):
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def _upward_imports(package: str, allowed: set[str]) -> list[str]:
    forbidden = (set(LAYERS) | {"config"}) - allowed
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources(package)
        for line, module in _imported_modules(path)
        if module.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize("package", LAYERS)
def test_an_app_imports_only_itself_and_the_layers_below(package):
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    assert _upward_imports(package, allowed) == []


def test_config_imports_no_app_module():
    assert _upward_imports("config", {"config", "core"}) == []


def test_the_root_urlconf_includes_each_app_once():
    source = (ROOT / "config" / "urls.py").read_text()
    for app in LAYERS:
        assert source.count(f'include("{app}.urls")') == 1, app
    api = (ROOT / "config" / "api_urls.py").read_text()
    for app in LAYERS[1:]:
        assert api.count(f'include("{app}.api_urls")') == 1, app


def test_the_rule_itself_catches_an_upward_import(tmp_path, monkeypatch):
    # The checker must see `from exchanges...` inside participants as a violation.
    (tmp_path / "participants").mkdir()
    (tmp_path / "participants" / "bad.py").write_text("from exchanges.models import Program\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _upward_imports("participants", {"core", "participants"}) == [
        "participants/bad.py:1 imports exchanges.models"
    ]
