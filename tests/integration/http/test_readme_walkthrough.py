"""The README's curl walk-throughs, pasted into bash as written, against a live ``paygate
serve`` on a free port.

The blocks of the README's "Walk-through" sections run as one bash script in a fresh
directory whose ``.venv`` is this test's virtual environment, with two lines swapped: the
``BASE=...`` line points at the test's server, and ``paygate serve ... &`` becomes
``command -v paygate`` (the test started the server; the line still proves that the
README's activation step puts ``paygate`` on ``PATH``). Every ``curl`` goes through a shell
function that records its status and answer, so the test checks each command exits 0, each
request succeeds with the status the README's ``# 201 {...}`` comment under it documents,
and each answer holds the concrete ``"key":value`` pairs that comment shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from cli_process import PaygateProcess

README = Path(__file__).resolve().parents[3] / "README.md"
BASE_LINE = "BASE=http://127.0.0.1:8000"
SERVE_LINE = re.compile(r"^paygate serve\b")
CURL_COMMAND = re.compile(r"(?:^|\$\()\s*curl\s")
DOCUMENTED_ANSWER = re.compile(r"^# (?P<status>\d{3}) (?P<body>.*)$")
CONTINUED_ANSWER = re.compile(r"^#\s{2,}(?P<body>.*)$")
# A concrete pair of a compact JSON answer: "key":"text", number, literal, {} or [].
PAIR = re.compile(r'"\w+":(?:"[^"…]*"|-?\d+(?:\.\d+)?|true|false|null|\{\}|\[\])(?=[,}\]])')

PRELUDE = r"""set -euo pipefail
shopt -s inherit_errexit
trap 'echo "the walk-through failed ($?) at: $BASH_COMMAND" >&2' ERR
# Every curl of the README: its status, method, URL and answer appended to $CALLS.
curl() {
  local answer status=0
  answer=$(command curl -q -sS -w '\n%{http_code} %{method} %{url_effective}' "$@") \
    || status=$?
  printf '%s\t%s\n' "${answer##*$'\n'}" "${answer%$'\n'*}" >> "$CALLS"
  printf '%s' "${answer%$'\n'*}"
  return "$status"
}
"""


@attrs.frozen
class Documented:
    """One ``curl`` command of the README and the answer its comment shows, if any."""

    command: str
    status: int | None
    pairs: tuple[str, ...]


@attrs.frozen
class Call:
    """One request the script made, as the ``curl`` wrapper recorded it."""

    status: int
    method: str
    url: str
    answer: str


def walkthrough_blocks() -> list[str]:
    """The ``sh`` block of every "Walk-through" section, in README order."""
    sections = re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.MULTILINE)
    blocks: list[str] = []
    for section in sections:
        if section.startswith("Walk-through"):
            found = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)
            assert len(found) == 1, f"one sh block per walk-through: {section[:60]!r}"
            blocks.append(str(found[0]))
    assert len(blocks) >= 2, "the README has its curl walk-throughs"
    return blocks


def documented_commands(script: str) -> list[Documented]:
    """Each ``curl`` command line with the ``# NNN {...}`` comment (and its continuation
    lines) that follows it before the next command."""
    commands: list[Documented] = []
    command: str | None = None
    status: int | None = None
    body: list[str] = []
    in_answer = False

    def close() -> None:
        if command is not None:
            commands.append(Documented(command, status, tuple(PAIR.findall(" ".join(body)))))

    for line in script.splitlines():
        if not line.lstrip().startswith("#") and CURL_COMMAND.search(line):
            close()
            command, status, body, in_answer = line.strip(), None, [], False
        elif command is not None and status is None and (match := DOCUMENTED_ANSWER.match(line)):
            status, in_answer = int(match["status"]), True
            body.append(match["body"])
        elif in_answer and (more := CONTINUED_ANSWER.match(line)):
            body.append(more["body"])
        else:
            in_answer = False
    close()
    return commands


def runnable_script(base_url: str) -> str:
    """The walk-throughs as one script against ``base_url``, with the two swapped lines."""
    lines = "\n".join(walkthrough_blocks()).splitlines()
    assert lines.count(BASE_LINE) == 1, f"the README sets {BASE_LINE} once"
    serves = [i for i, line in enumerate(lines) if SERVE_LINE.match(line)]
    assert len(serves) == 1, "the README starts the server once"
    lines[lines.index(BASE_LINE)] = f"BASE={base_url}"
    lines[serves[0]] = "command -v paygate"
    return PRELUDE + "\n".join(lines) + "\n"


def recorded_calls(path: Path) -> list[Call]:
    calls: list[Call] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        meta, _, answer = line.partition("\t")
        status, method, url = meta.split(" ", 2)
        calls.append(Call(int(status), method, url, answer))
    return calls


def shell_environment(workdir: Path) -> dict[str, str]:
    """A user's shell: no Paygate settings, no virtual environment active, no proxies; the
    ``.venv`` the README activates is this test's environment, linked into ``workdir``."""
    activate = Path(sys.prefix, "bin", "activate")
    if not activate.is_file():
        pytest.skip("the tests do not run in a virtual environment (no bin/activate)")
    (workdir / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    venv_bin = str(Path(sys.prefix, "bin"))
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAYGATE_")
        and k.lower() not in proxies
        and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(venv_bin)
    )
    env["CALLS"] = str(workdir / "calls.log")
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``paygate serve`` on a free port over a new SQLite file, settings left at their
    defaults as a newcomer's are (bcrypt cheapened for speed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
    env.update(PAYGATE_DATABASE_URL=f"sqlite:///{tmp_path}/paygate.db", PAYGATE_BCRYPT_ROUNDS="4")
    process = PaygateProcess(["serve", "--port", "0"], env)
    try:
        yield process.serving_url()
    finally:
        process.stop(timeout=10)


def test_the_walkthrough_parser_pairs_commands_with_their_documented_answers() -> None:
    script = "\n".join(
        [
            "KEY=$(curl -s -X POST $B/auth/register/ | pick api_key)",
            '# 201 {"success":true,"message":"Merchant registered","data":{"access":"eyJ…",',
            '#      "role":"merchant","count":1,"rate":1.0,"data":{}}}',
            '# a remark, not part of the answer: "x":"y"',
            "curl -s $B/merchants/me/",
            "# pick NAME ... VAR=$(curl ... | pick NAME)",
        ]
    )

    register, me = documented_commands(script)

    assert register.status == 201
    assert register.pairs == (
        '"success":true',
        '"message":"Merchant registered"',
        '"role":"merchant"',
        '"count":1',
        '"rate":1.0',
        '"data":{}',
    )
    assert me.status is None
    assert me.pairs == ()


@pytest.mark.slow
def test_the_readme_walkthroughs_run_as_written_against_a_live_server(
    server: str, tmp_path: Path
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    workdir = tmp_path / "shell"
    workdir.mkdir()
    script = runnable_script(server)
    env = shell_environment(workdir)

    done = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-4000:]
    documented = documented_commands(script)
    calls = recorded_calls(workdir / "calls.log")
    assert len(calls) == len(documented), [c.command for c in documented]
    for doc, call in zip(documented, calls, strict=True):
        context = f"{doc.command}\n-> {call.status} {call.answer[:2000]}"
        if doc.status is None:
            assert 200 <= call.status < 300, context
        else:
            assert call.status == doc.status, context
        for pair in doc.pairs:
            assert pair in call.answer, f"{pair} missing; {context}"
    assert calls[-1].method == "POST"
    assert calls[-1].url.endswith("/resend/")
