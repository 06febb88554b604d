"""Run wrk with a Lua request script and parse its summary (requests, rate, percentiles)."""

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
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str


def combined(rounds: list[WrkResult]) -> WrkResult:
    """Rounds of equal length as one result: the mean rate, the median round's p50 and the
    worst round's p99 (no latency histogram survives wrk's summary to merge exactly)."""
    p50s = sorted(r.p50_ms for r in rounds)
    return WrkResult(
        sum(r.requests for r in rounds),
        sum(r.requests_per_second for r in rounds) / len(rounds),
        p50s[len(p50s) // 2],
        max(r.p99_ms for r in rounds),
        sum(r.non_2xx for r in rounds),
        "; ".join(r.errors for r in rounds if r.errors),
    )


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if match is None:
        raise ValueError(f"unparsable latency {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def _field(pattern: str, output: str) -> str:
    match = re.search(pattern, output)
    if match is None:
        raise ValueError(f"wrk output without {pattern!r}:\n{output}")
    return match[1]


def parse(output: str) -> WrkResult:
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:(.*)", output)
    return WrkResult(
        int(_field(r"(\d+) requests in", output)),
        float(_field(r"Requests/sec:\s+([\d.]+)", output)),
        _ms(_field(r"\s50%\s+(\S+)", output)),
        _ms(_field(r"\s99%\s+(\S+)", output)),
        int(non2xx[1]) if non2xx else 0,
        errors[1].strip() if errors else "",
    )


def run(
    url: str, lua: str, *, connections: int = 32, threads: int = 2, duration: int = 10
) -> WrkResult:
    """``duration`` whole seconds of ``lua`` against ``url`` (wrk takes no fractions)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "script.lua")
        script.write_text(lua)
        completed = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{duration}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    # wrk reports a broken script on stderr and still runs, without it.
    if completed.returncode or completed.stderr.strip():
        raise SystemExit(f"wrk failed on {url}: {completed.stderr.strip()}")
    return parse(completed.stdout)
