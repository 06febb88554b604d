"""Harness of the database-fault tests: a private PostgreSQL cluster the test may stop,
``paygate serve`` as a real process, a merchant to post orders as, and a load of clients.

The private cluster (``initdb`` + ``pg_ctl`` as the ``postgres`` user, in a temporary
directory, on a free port of 127.0.0.1, trust authentication) is the test's own: stopping
it touches no other test's database. Every process is stopped by its PID.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import attrs
import httpx

from cli_process import PaygateProcess
from paygate_adapters.sql import SqlUnitOfWorkFactory, create_database_engine, upgrade_schema
from paygate_core import RegisterMerchant
from paygate_http import Settings
from paygate_http.process.wiring import build_paygate

SECRET = "faults-test-secret-key-0123456789-abcdefgh"
API = "/paygate/api/v1"


# --- a private PostgreSQL cluster -----------------------------------------------------------


def postgres_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding ``initdb`` and ``pg_ctl``."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, run as the ``postgres`` user."""

    def __init__(self, bin_dir: Path, base: Path) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data = base / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.base
        )

    def init(self) -> str | None:
        """Create the cluster; None, or why it could not be."""
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                return "no postgres user to run initdb as"
            os.chmod(self.base, 0o755)
            self.data.mkdir(mode=0o700)
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
            os.chown(self.data, owner.pw_uid, owner.pw_gid)
        done = self._as_postgres(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        if done.returncode != 0:
            return f"initdb failed: {done.stderr.strip()[-500:]}"
        return None

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.base} -c fsync=off"
        )
        done = self._as_postgres(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.base / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )
        assert done.returncode == 0, done.stderr + done.stdout

    def stop(self, mode: str = "immediate") -> None:
        done = self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        assert done.returncode == 0, done.stderr + done.stdout

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


# --- paygate serve --------------------------------------------------------------------------


class ServeProcess(PaygateProcess):
    """``python -m paygate_http.process.cli serve --port 0`` on ``database_url``."""

    def __init__(self, database_url: str, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGATE_")}
        env.update(
            PAYGATE_DATABASE_URL=database_url,
            PAYGATE_SECRET_KEY=SECRET,
            PAYGATE_BCRYPT_ROUNDS="4",
            PAYGATE_COOKIE_SECURE="false",
            PAYGATE_LOG_LEVEL="INFO",
            PAYGATE_API_RATE_LIMIT="0",
        )
        super().__init__(["serve", "--port", "0", *args], env)

    def url(self, timeout: float = 30.0) -> str:
        """Its base URL once it listens (it may answer 503 until the database is up)."""
        return self.listening_url(timeout)


def wait_for_status(client: httpx.Client, path: str, status: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get(path).status_code == status:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


# --- a merchant -----------------------------------------------------------------------------


def register_merchant(database_url: str) -> str:
    """Migrate ``database_url`` and register a merchant; its API key."""
    engine = create_database_engine(database_url)
    try:
        upgrade_schema(engine)
        settings = Settings(secret_key=SECRET, database_url=database_url, bcrypt_rounds=4)
        factory = SqlUnitOfWorkFactory(engine)
        registration = build_paygate(settings, factory).register_merchant(
            RegisterMerchant(
                email=f"shop-{uuid.uuid4().hex[:8]}@shop.example",
                name="Shop",
                password="s3cret-pass",
            )
        )
        factory.close()
        return str(registration.merchant.api_key)
    finally:
        engine.dispose()


def order_ids_in(database_url: str) -> set[str]:
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            return {str(row[0]) for row in connection.exec_driver_sql("SELECT id FROM orders")}
    finally:
        engine.dispose()


# --- load -----------------------------------------------------------------------------------


@attrs.frozen
class Answer:
    status: int
    code: int | None
    retry_after: str | None
    order_id: str | None
    keyed: bool
    replayed: bool
    at: float


class Load:
    """Clients posting orders as fast as they are answered, keyed and unkeyed. A keyed
    request answered 503 is retried with the same key (what the contract tells clients)."""

    def __init__(self, base_url: str, api_key: str, clients: int = 6) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.answers: list[Answer] = []
        self.transport_errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(i % 2 == 0,), daemon=True)
            for i in range(clients)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        return self.answers

    def _client(self, keyed: bool) -> None:
        headers = {"X-API-Key": self.api_key}
        with httpx.Client(base_url=self.base_url + API, timeout=30, trust_env=False) as client:
            key: str | None = None
            while not self._stop.is_set():
                if keyed and key is None:
                    key = uuid.uuid4().hex
                sent = {**headers, "Idempotency-Key": key} if keyed and key else headers
                try:
                    response = client.post("/orders/", json={"amount": "10.00"}, headers=sent)
                except httpx.TransportError:
                    with self._lock:
                        self.transport_errors += 1
                    time.sleep(0.05)
                    continue
                answer = _answer(response, keyed)
                with self._lock:
                    self.answers.append(answer)
                if answer.status == 503:
                    time.sleep(0.05)  # keep the key: the retry must run once or replay
                else:
                    key = None


def _answer(response: httpx.Response, keyed: bool) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = {}
    code = (body.get("exception") or {}).get("code") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    order_id = (
        data.get("order_id") if isinstance(data, dict) and response.status_code == 201 else None
    )
    return Answer(
        response.status_code,
        code,
        response.headers.get("retry-after"),
        order_id,
        keyed,
        response.headers.get("idempotent-replayed") == "true",
        time.monotonic(),
    )


def poll_ready(base_url: str, stop: threading.Event, seen: list[tuple[float, int]]) -> None:
    """Record ``(time, status)`` of ``/ready`` every 0.1 s until ``stop``."""
    with httpx.Client(base_url=base_url, timeout=10, trust_env=False) as client:
        while not stop.is_set():
            try:
                seen.append((time.monotonic(), client.get("/ready").status_code))
            except httpx.TransportError:
                seen.append((time.monotonic(), -1))
            stop.wait(0.1)
