"""The README and docs/ link only to files that are in the repository.

A relative Markdown link must name a path that exists (a fresh clone is all a reader
has), and no link may point at the specification folder kept outside the project.
Links to web sites (http, https), mailto: links and in-page anchors are not checked.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Spelt in two pieces so that searching the project for the path finds nothing here.
OUTSIDE_SPEC = "shared" + "/docs"

FENCE = re.compile(r"^(```|~~~).*?^\1[^\S\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]"  # [text], which may hold one level of brackets
    r"\(\s*(<[^>]*>|[^\s)]+)(?:\s+[\"'(][^)]*)?\)"  # (target "optional title")
)
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.MULTILINE)
SKIPPED_SCHEMES = ("http://", "https://", "mailto:")


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]


def link_targets(text: str) -> list[str]:
    """Every link target in a Markdown text, outside code blocks and code spans."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = [m.group(1) for m in INLINE_LINK.finditer(text)]
    targets += [m.group(1) for m in REFERENCE.finditer(text)]
    return [target.strip("<>") for target in targets]


def link_problem(source: Path, target: str, root: Path = ROOT) -> str | None:
    """Why a link from `source` to `target` is broken, or None when it is fine."""
    if OUTSIDE_SPEC in target:
        return "points at a folder outside the repository"
    if target.lower().startswith(SKIPPED_SCHEMES) or target.startswith("#"):
        return None
    path = target.split("#", 1)[0].split("?", 1)[0]
    if re.match(r"^[a-z][a-z0-9+.-]*:", path, re.IGNORECASE):
        return "uses a scheme other than http, https or mailto"
    base = root if path.startswith("/") else source.parent
    resolved = (base / path.lstrip("/")).resolve()
    if not resolved.is_relative_to(root.resolve()):
        return "leaves the repository"
    if not resolved.exists():
        return "names a path that does not exist"
    return None


def broken_links(files: list[Path], root: Path = ROOT) -> list[str]:
    problems = []
    for source in files:
        for target in link_targets(source.read_text(encoding="utf-8")):
            problem = link_problem(source, target, root)
            if problem:
                problems.append(f"{source.relative_to(root)}: ({target}) {problem}")
    return problems


def test_readme_and_docs_links_resolve_inside_the_repository():
    assert (ROOT / "docs" / "README.md").exists()
    assert broken_links(markdown_files()) == []


def test_readme_and_docs_never_mention_the_outside_spec():
    assert [p.name for p in markdown_files() if OUTSIDE_SPEC in p.read_text(encoding="utf-8")] == []


def test_readme_links_every_docs_file():
    linked = {
        (ROOT / target.split("#", 1)[0]).resolve()
        for target in link_targets((ROOT / "README.md").read_text(encoding="utf-8"))
        if not target.startswith(("#", *SKIPPED_SCHEMES))
    }
    missing = [path.name for path in sorted((ROOT / "docs").glob("*.md"))
               if path.resolve() not in linked]
    assert missing == []


# --- The checker itself ------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / "Makefile").write_text("run:\n")
    return tmp_path


def _problems(repo: Path, text: str) -> list[str]:
    page = repo / "docs" / "README.md"
    page.write_text(text, encoding="utf-8")
    return broken_links([page], repo)


@pytest.mark.parametrize("text", [
    "See [the guide](guide.md) and [its part](guide.md#part).",
    "Run [make](../Makefile), [from the root](/Makefile), [same page](#top).",
    "An [![image](guide.md)](guide.md) and a [titled](guide.md \"The guide\") link.",
    "Sites: [site](https://parley.example.org/x.md), [mail](mailto:a@example.org).",
    "[ref]: guide.md\n\nA [reference][ref].",
    "Code is not a link: `[x](missing.md)`.\n\n```\n[x](missing.md)\n```\n",
])
def test_links_that_resolve_are_accepted(repo, text):
    assert _problems(repo, text) == []


@pytest.mark.parametrize("text, expected", [
    ("See [the guide](gude.md).", "does not exist"),
    ("See [the part](missing.md#part).", "does not exist"),
    ("[ref]: missing.md", "does not exist"),
    ("See [outside](../../etc/passwd).", "leaves the repository"),
    ("See [the spec](../../" + OUTSIDE_SPEC + "/API.md).", "outside the repository"),
    ("See [the spec](https://example.org/" + OUTSIDE_SPEC + "/API.md).", "outside the repository"),
    ("See [a file](file:///etc/passwd).", "scheme"),
])
def test_broken_links_are_reported(repo, text, expected):
    problems = _problems(repo, text)
    assert len(problems) == 1
    assert expected in problems[0]
