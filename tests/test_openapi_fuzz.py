"""schemathesis against the service's own OpenAPI document, on a running service.

The service runs as a user would run it (``procure dev --simulated-clock``: its own PostgreSQL,
the time-skipping Temporal server, a worker and the API) in a scratch directory on free ports.
schemathesis generates requests for every operation from the schema and checks that no answer
is a server error, that every status code is documented, and that every body matches the
schema. A fixed seed keeps the run reproducible.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import running_service

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    data = tmp_path_factory.mktemp("service")
    with running_service(data) as service:
        token = service.token(
            "buyer",
            "--name",
            "Schema check",
            "--role",
            "agency_buyer",
            "--agency",
            "Department of Transportation",
        )
        yield service.base, token, data


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    running: tuple[str, str, Path],
) -> None:
    assert SCHEMATHESIS is not None, "schemathesis is installed with the dev extras"
    base, token, scratch = running
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
    # Every operation of the schema was exercised, not just loaded.
    selected = re.search(r"Selected: (\d+)/(\d+)", result.stdout)
    tested = re.search(r"Tested: (\d+)", result.stdout)
    assert selected and tested, result.stdout[-3000:]
    assert int(tested.group(1)) == int(selected.group(2)) > 40
