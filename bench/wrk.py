"""Run wrk with a Lua request script and parse requests/s and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import attrs

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@attrs.frozen
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str

    def row(self, name: str) -> str:
        extra = f"  non-2xx={self.non_2xx}" if self.non_2xx else ""
        extra += f"  errors={self.errors}" if self.errors else ""
        return (f"{name:<28} {self.requests_per_second:>9.0f} req/s  p50 {self.p50_ms:>7.2f} ms"
                f"  p99 {self.p99_ms:>7.2f} ms{extra}")


def combined(rounds: list[WrkResult]) -> WrkResult:
    """Rounds of equal length as one result: the mean rate, the median round's p50 and the
    worst round's p99 (no latency histogram survives wrk's summary to merge exactly)."""
    p50s = sorted(r.p50_ms for r in rounds)
    return WrkResult(sum(r.requests_per_second for r in rounds) / len(rounds),
                     p50s[len(p50s) // 2], max(r.p99_ms for r in rounds),
                     sum(r.non_2xx for r in rounds),
                     "; ".join(r.errors for r in rounds if r.errors))


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if match is None:
        raise ValueError(f"unparsable latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:(.*)", output)
    return WrkResult(rps, p50, p99, int(non2xx[1]) if non2xx else 0,
                     errors[1].strip() if errors else "")


def run(url: str, lua: str, *, connections: int = 32, threads: int = 2,
        duration: int = 10) -> WrkResult:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "script.lua")
        script.write_text(lua)
        completed = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
             "-s", str(script), url],
            capture_output=True, text=True, check=True,
        )
    return parse(completed.stdout)
