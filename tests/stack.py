"""The whole service run the way a user runs it, for the tests that drive it from outside.

``procure dev --simulated-clock`` (its own PostgreSQL, the time-skipping Temporal server, a
worker and the API) starts in a given directory on free ports; tokens come from ``procure
users create`` against its database.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Service:
    base: str
    env: dict[str, str]
    data: Path
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    ports: tuple[int, ...] = ()

    def token(self, key: str, *args: str) -> str:
        """A token issued by ``procure users create ARGS``, once per key: as a user runs it,
        with nothing exported, the command finding the running stack by itself."""
        if key not in self.tokens:
            created = subprocess.run(
                [sys.executable, "-m", "procure.cli", "users", "create", *args],
                env=self.env,
                capture_output=True,
                text=True,
                check=True,
            )
            self.tokens[key] = next(
                line.split()[1] for line in created.stdout.splitlines() if line.startswith("token")
            )
        return self.tokens[key]


@contextlib.contextmanager
def running_service(data: Path, *, simulated: bool = True) -> Iterator[Service]:
    """The service with its data under ``data``, until the block ends (``simulated``: on the
    time-skipping server; else on the dev server, as ``make run``); fails with the end of its
    log if it does not answer ``/readyz`` in time. Its own process group, as a terminal's."""
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    env = os.environ | {
        "PROCURE_DATA_DIR": str(data),
        "PROCURE_API_PORT": str(api_port),
        "PROCURE_TEMPORAL_PORT": str(temporal_port),
        "PROCURE_TEMPORAL_UI_PORT": str(ui_port),
    }
    # Embedded servers, whatever the environment points at.
    env.pop("DATABASE_URL", None)
    env.pop("TEMPORAL_ADDRESS", None)
    data.mkdir(parents=True, exist_ok=True)
    log = (data / "service.log").open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "procure.cli", "dev", *(["--simulated-clock"] if simulated else [])],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((data / "service.log").read_text()[-3000:])
            time.sleep(0.5)
        yield Service(base, env, data, process=proc, ports=(temporal_port, ui_port))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
