"""The README's embedding example runs as written, with nothing but the core and attrs."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

# Refuses every third-party import but attrs, then reports what the snippet loaded.
GUARD = textwrap.dedent("""
    import sys
    _before = set(sys.modules)

    class _OnlyCoreAndAttrs:
        def find_spec(self, name, path=None, target=None):
            root = name.split(".")[0]
            if root not in sys.stdlib_module_names and root not in {"attr", "attrs",
                                                                    "paygate_core"}:
                raise ModuleNotFoundError(f"the snippet imported {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _OnlyCoreAndAttrs())
""")
REPORT = textwrap.dedent("""
    _pulled = {m.split(".")[0] for m in set(sys.modules) - _before}
    print("THIRD-PARTY:", sorted(_pulled - set(sys.stdlib_module_names)))
""")


def embedding_snippet() -> str:
    section = README.read_text(encoding="utf-8").split("\n## Embedding the core\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, "the section holds exactly one python block"
    return str(blocks[0])


def test_readme_embedding_snippet_runs_with_only_the_core_and_attrs(tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(GUARD + embedding_snippet() + REPORT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "payment: authorized 100.00 EUR card 4242" in out
    assert "refund: 40.00 EUR payment now authorized refunded 40.00 EUR" in out
    assert "EUR: paid 100.00, refunded 40.00, net 60.00" in out
    assert "webhooks queued: ['payment.authorized', 'payment.refunded']" in out
    assert "THIRD-PARTY: ['attr', 'attrs', 'paygate_core']" in out


def test_readme_snippet_uses_the_adapters_the_section_promises() -> None:
    snippet = embedding_snippet()
    for name in (
        "InMemoryStore",
        "SystemClock",
        "UUID4Ids",
        "SimulatedProcessor",
        "PlainPasswordHasher",
        "UnsignedTokenService",
        "register_merchant",
        "create_order",
        "pay_order",
        "refund_payment",
        "merchant_stats",
        "4242 4242 4242 4242",
    ):
        assert name in snippet
