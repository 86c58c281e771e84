"""schemathesis against the service's own OpenAPI document, on a running service.

The service runs as a user would run it (``procure dev --simulated-clock``: its own PostgreSQL,
the time-skipping Temporal server, a worker and the API) in a scratch directory on free ports.
schemathesis generates requests for every operation from the schema and checks that no answer
is a server error, that every status code is documented, and that every body matches the
schema. A fixed seed keeps the run reproducible.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def running_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    data = tmp_path_factory.mktemp("service")
    api_port, temporal_port = free_port(), free_port()
    env = os.environ | {
        "PROCURE_DATA_DIR": str(data),
        "PROCURE_API_PORT": str(api_port),
        "PROCURE_TEMPORAL_PORT": str(temporal_port),
    }
    env.pop("DATABASE_URL", None)
    env.pop("TEMPORAL_ADDRESS", None)
    log = (data / "service.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "procure.cli", "dev", "--simulated-clock"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 120
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
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "procure.cli",
                "users",
                "create",
                "--name",
                "Schema check",
                "--role",
                "agency_buyer",
                "--agency",
                "Department of Transportation",
            ],
            env=env | {"DATABASE_URL": f"postgresql://postgres:@/postgres?host={data / 'pg'}"},
            capture_output=True,
            text=True,
            check=True,
        )
        token = next(
            line.split()[1] for line in created.stdout.splitlines() if line.startswith("token")
        )
        yield base, token, data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    running_service: tuple[str, str, Path],
) -> None:
    assert SCHEMATHESIS is not None, "schemathesis is installed with the dev extras"
    base, token, scratch = running_service
    result = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{base}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            "5",
            "--seed",
            "7",
            "--phases",
            "coverage,fuzzing",
            "--max-time",
            "60",
            "--no-shrink",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=scratch,  # schemathesis keeps a cache in its working directory
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "42/42" in result.stdout or "Tested:" in result.stdout
