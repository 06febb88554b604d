"""``docs/architecture.md`` names only what exists: a renamed file, module, class or function
fails here until the page follows it.

What is checked, read statically (``ast``: nothing is imported):

- every repository path the page writes (``src/...``, ``tests/...``, ``ADR/...``,
  ``docs/...``) exists;
- every dotted ``paygate_core.``/``paygate_adapters.``/``paygate_http.`` name is a module of
  ``src/``, or a module and names defined in it;
- every name in backticks that looks like code (``GroupCommit``, ``authenticate_scope``,
  ``Paygate.pay_order``, ``wiring.Database``) is defined in ``src/``: a plain name anywhere
  (function, class, module-level or class-level assignment, parameter), ``Owner.member`` as
  a member of a class ``Owner`` or of a module named ``Owner``; ``NOT_OURS`` lists the few
  words in backticks that are Python's or a library's; a bare file name (``wiring.py``) is
  a module of ``src/``;
- every ``ADR NNNN`` it cites has its record in ``ADR/``.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
DOCS = ("docs/architecture.md",)

NOT_OURS = frozenset({"Controller", "Decimal", "async", "attrs", "float", "typing.Protocol"})
"""Names in backticks that are the standard library's, a library's or Python's."""

_PATH = re.compile(r"(?<![\w./-])(?:src|tests|ADR|docs)/(?:[\w.-]+/?)*")
_DOTTED = re.compile(r"(?<![\w.])paygate_(?:core|adapters|http)(?:\.\w+)+")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?(?:\(\))?")
_ADR = re.compile(r"\bADR (\d{4}(?:, \d{4})*)")


# --- what the page names ---------------------------------------------------------------------


def paths_in(text: str) -> set[str]:
    """Repository paths: ``src/a/b.py``, ``docs/``; a sentence's full stop is not part."""
    return {match.group(0).rstrip(".") for match in _PATH.finditer(text)}


def dotted_names_in(text: str) -> set[str]:
    return {match.group(0).rstrip(".") for match in _DOTTED.finditer(text)}


def code_names_in(text: str) -> set[str]:
    """Code spans that are one identifier or ``Owner.member`` (``()`` dropped). Not names:
    paths, file names, dotted package names, anything with spaces or punctuation, SQL
    words in capitals (``COMMIT``) and ``PAYGATE_*`` settings."""
    names = set()
    for span in _CODE_SPAN.findall(text):
        if (
            _IDENTIFIER.fullmatch(span)
            and not span.startswith(("paygate_", "PAYGATE_"))
            and not span.endswith((".py", ".md"))
            and not (span.isalpha() and span.isupper())
        ):
            names.add(span.removesuffix("()"))
    return names - NOT_OURS


def file_names_in(text: str) -> set[str]:
    """Code spans that are a bare file name: ``wiring.py``."""
    return {span for span in _CODE_SPAN.findall(text) if re.fullmatch(r"\w+\.py", span)}


def adr_numbers_in(text: str) -> set[str]:
    return {number for match in _ADR.finditer(text) for number in match.group(1).split(", ")}


# --- what src/ defines -----------------------------------------------------------------------


def _assigned(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _defined(body: list[ast.stmt]) -> set[str]:
    """Names a module or class body defines: functions, classes, assignments."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        names.update(_assigned(node))
    return names


class Definitions:
    """Every module of ``src/`` and the names it and its classes define."""

    def __init__(self) -> None:
        self.modules: dict[str, set[str]] = {}
        self.module_basenames: dict[str, set[str]] = defaultdict(set)
        self.classes: dict[str, set[str]] = defaultdict(set)
        self.anywhere: set[str] = set()
        for path in sorted(SRC.rglob("*.py")):
            parts = path.relative_to(SRC).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            top = _defined(tree.body)
            self.modules[module] = top
            self.module_basenames[module.rpartition(".")[2]] |= top
            self.anywhere |= top
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    members = _defined(node.body)
                    self.classes[node.name] |= members
                    self.anywhere |= members
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    # Nested functions too, and parameters (``for_update``).
                    self.anywhere.add(node.name)
                    self.anywhere.update(
                        a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)
                    )
        self.files = {path.name for path in SRC.rglob("*.py")}

    def has_dotted(self, name: str) -> bool:
        """``package.module`` or ``package.module.Name`` (``.member`` of a class after it)."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            module = ".".join(parts[:end])
            if module in self.modules:
                rest = parts[end:]
                if not rest:
                    return True
                if rest[0] not in self.modules[module]:
                    return False
                return len(rest) == 1 or (len(rest) == 2 and rest[1] in self.classes[rest[0]])
        return False

    def has_code_name(self, name: str) -> bool:
        owner, _, member = name.rpartition(".")
        if not owner:
            return name in self.anywhere
        return member in self.classes.get(owner, set()) or member in self.module_basenames.get(
            owner, set()
        )


@cache
def definitions() -> Definitions:
    return Definitions()


def _text(doc: str) -> str:
    return (ROOT / doc).read_text(encoding="utf-8")


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_exists(doc: str) -> None:
    found = paths_in(_text(doc))
    assert len(found) > 20, "the page names the files of the payment's path"
    assert sorted(p for p in found if not (ROOT / p).exists()) == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_dotted_module_name_resolves(doc: str) -> None:
    found = dotted_names_in(_text(doc))
    assert sorted(n for n in found if not definitions().has_dotted(n)) == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_name_in_code_is_defined_in_src(doc: str) -> None:
    found = code_names_in(_text(doc))
    assert len(found) > 40, "the page names the functions and classes of the payment's path"
    assert sorted(n for n in found if not definitions().has_code_name(n)) == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_name_in_code_is_a_module_of_src(doc: str) -> None:
    found = file_names_in(_text(doc))
    assert sorted(found - definitions().files) == []


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_adr_exists(doc: str) -> None:
    cited = adr_numbers_in(_text(doc))
    assert cited, "the page cites the decisions"
    assert sorted(n for n in cited if not list((ROOT / "ADR").glob(f"{n}-*.md"))) == []


def test_the_architecture_page_is_in_the_readme() -> None:
    assert "docs/architecture.md" in _text("README.md")


# --- the checks themselves -------------------------------------------------------------------


def test_a_renamed_path_or_name_is_caught() -> None:
    text = (
        "See `src/paygate_http/pipeline/auth.py` and `src/paygate_http/json_body.py`.\n"
        "`paygate_http.services.Services`, `paygate_http.runtime.Runtime`, "
        "`paygate_core.gateway.Paygate.pay_order`, `paygate_core.gateway.Paygate.pay`.\n"
        "`WriteRoute.answer`, `JsonWrite.answer`, `authenticate_scope`, `run_blocking`, "
        "`wiring.Database`, `wiring.Runtime`, `wiring.py`, `json_body.py`, ADR 0001, ADR 0099.\n"
    )
    missing_paths = {p for p in paths_in(text) if not (ROOT / p).exists()}
    assert missing_paths == {"src/paygate_http/json_body.py"}
    unresolved = {n for n in dotted_names_in(text) if not definitions().has_dotted(n)}
    assert unresolved == {"paygate_http.runtime.Runtime", "paygate_core.gateway.Paygate.pay"}
    undefined = {n for n in code_names_in(text) if not definitions().has_code_name(n)}
    assert undefined == {"JsonWrite.answer", "run_blocking", "wiring.Runtime"}
    assert file_names_in(text) - definitions().files == {"json_body.py"}
    assert adr_numbers_in(text) == {"0001", "0099"}


def test_a_path_ends_before_punctuation() -> None:
    text = "In `src/paygate_core/`. Also src/paygate_core/money.py, and docs/x.md."
    assert paths_in(text) == {"src/paygate_core/", "src/paygate_core/money.py", "docs/x.md"}
