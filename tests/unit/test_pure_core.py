"""The core imports only the standard library and attrs; hypothesis stays an optional extra."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HYPOTHESIS_MODULES = {"paygate_core.testing.strategies", "paygate_core.testing.contract"}
ALLOWED_ROOTS = {"attr", "attrs", "paygate_core", "__main__"}

# A skipped package is skipped with its submodules: walking into it would import it.
IMPORT_EVERYTHING = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    before = set(sys.modules)  # the interpreter's own start-up (site hooks included)
    import paygate_core
    skip = set(json.loads(sys.argv[1]))

    def walk(path, prefix):
        for module in pkgutil.iter_modules(path, prefix):
            if module.name in skip:
                continue
            yield module.name
            if module.ispkg:
                package = importlib.import_module(module.name)
                yield from walk(package.__path__, module.name + ".")

    names = sorted(walk(paygate_core.__path__, "paygate_core."))
    for name in names:
        importlib.import_module(name)
    pulled = set(sys.modules) - before
    print(json.dumps({"imported": names, "roots": sorted({m.split(".")[0] for m in pulled})}))
""")

BLOCK_EXTRAS = textwrap.dedent("""
    import sys

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"hypothesis", "pytest", "sqlalchemy", "litestar"}:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Blocker())
""")


def run_isolated(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter that ignores the environment and user site."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_core_and_every_submodule_import_only_stdlib_and_attrs() -> None:
    found = json.loads(run_isolated(IMPORT_EVERYTHING, json.dumps(sorted(HYPOTHESIS_MODULES))))
    assert "paygate_core.testing.memory" in found["imported"]
    assert "paygate_core.use_cases.payments" in found["imported"]
    foreign = set(found["roots"]) - set(sys.stdlib_module_names) - ALLOWED_ROOTS
    assert foreign == set(), f"paygate_core pulled in {sorted(foreign)}"


def test_in_memory_adapters_work_without_hypothesis_or_pytest() -> None:
    out = run_isolated(
        BLOCK_EXTRAS
        + textwrap.dedent("""
        from paygate_core.testing import InMemoryStore, FixedClock, SequentialIds
        with InMemoryStore().unit_of_work(read_only=True) as uow:
            print(uow.users.get(SequentialIds().new_id()))
        try:
            import paygate_core.testing.strategies
        except ModuleNotFoundError as exc:
            print("strategies need", exc.name)
    """)
    )
    assert out.split() == ["None", "strategies", "need", "hypothesis"]
