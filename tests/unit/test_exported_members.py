"""Each public surface's ``__all__`` is complete and importable (after httpx's test)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import paygate_core
import paygate_core.testing


def _modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(paygate_core.__path__, "paygate_core.")
        if not m.name.rpartition(".")[2].startswith("_")
    )


@pytest.mark.parametrize("package", [paygate_core, paygate_core.testing], ids=lambda m: m.__name__)
def test_package_exports_exactly_its_public_names(package: ModuleType) -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert sorted(package.__all__) == sorted(public)
    assert len(set(package.__all__)) == len(package.__all__)


@pytest.mark.parametrize("name", _modules())
def test_module_all_lists_every_public_class_and_function_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        assert hasattr(module, "__path__"), f"{name} has no __all__"  # only packages may
        return
    for member in exported:
        assert hasattr(module, member), f"{name}.__all__ names missing {member!r}"
    defined = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined <= set(exported), f"{name} does not export {sorted(defined - set(exported))}"
    assert len(set(exported)) == len(exported)


def test_every_root_export_is_the_object_of_its_home_module() -> None:
    for member in paygate_core.__all__:
        value = getattr(paygate_core, member)
        home = getattr(value, "__module__", None)
        if home is not None and home.startswith("paygate_core."):
            assert getattr(importlib.import_module(home), member) is value
