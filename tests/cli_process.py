"""A ``paygate`` command (``python -m paygate_http.process.cli <args>``) run as a real
process by the integration tests, its JSON log lines collected from stderr as it runs. Every
wait has a deadline, and the process is signalled by its PID.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from paygate_core.events import DeliveryStatus


class PaygateProcess:
    """``python -m paygate_http.process.cli <args>``; its JSON log lines, collected as it runs."""

    def __init__(self, args: list[str], env: dict[str, str], *, own_group: bool = False) -> None:
        """``own_group``: in a process group of its own, like a command run from a shell."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "paygate_http.process.cli", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0 if own_group else None,
        )
        self._logs: list[dict[str, Any]] = []
        self._raw: list[str] = []
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._lock:
                self._raw.append(line)
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # not one of our JSON log lines
            if isinstance(entry, dict):
                with self._lock:
                    self._logs.append(entry)
                self._lines.put(entry)

    def wait_for_log(self, message: str, timeout: float = 15.0) -> dict[str, Any]:
        """The next log line with ``message`` (fails if the process ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                entry = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if entry.get("message") == message:
                return entry
        raise AssertionError(f"no {message!r} log line; stderr: {self.output()[-3000:]}")

    def output(self) -> str:
        """Everything the process wrote to stderr so far."""
        with self._lock:
            return "".join(self._raw)

    def logs(self) -> list[dict[str, Any]]:
        """The JSON log lines read so far."""
        with self._lock:
            return list(self._logs)

    def delivered_event_ids(self) -> list[str]:
        """Event ids of the attempts this process logged as delivered."""
        return [
            e["event_id"]
            for e in self.logs()
            if e.get("message") == "webhook attempt"
            and e.get("delivery_status") == DeliveryStatus.DELIVERED.value
        ]

    def kill(self) -> None:
        """SIGKILL, by PID: no chance to finish or record anything."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop_when_done(self, timeout: float) -> int:
        """Its exit status once it ends by itself (killed if it has not within ``timeout``)."""
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(5)
        return self.process.wait(10)

    def pause(self) -> None:
        """SIGSTOP: frozen wherever it is, until ``resume``."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (a graceful stop), then SIGKILL after ``timeout``; once it returns, every
        log line of the process has been read."""
        if self.process.poll() is None:
            self.resume()  # a paused process would not act on SIGTERM
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.wait(10)
        self._reader.join(5)
        return code

    def listening_url(self, timeout: float = 15.0) -> str:
        """The base URL ``paygate serve --port 0`` logs once it listens."""
        return str(self.wait_for_log("listening", timeout)["url"])

    def serving_url(self, timeout: float = 15.0) -> str:
        """The base URL of ``paygate serve --port 0`` once it answers ``/ready``."""
        url = self.listening_url(timeout)
        for _ in deadline_loop(timeout):
            try:
                if httpx.get(f"{url}/ready", timeout=1, trust_env=False).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        raise AssertionError(f"the server never became ready; stderr: {self.output()[-3000:]}")


def deadline_loop(timeout: float, step: float = 0.1) -> Iterator[None]:
    """Yields until ``timeout`` seconds have passed, sleeping ``step`` between rounds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        yield
        time.sleep(step)
