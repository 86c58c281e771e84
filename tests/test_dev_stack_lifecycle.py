"""``procure dev`` started, stopped and killed as a user would, in a scratch folder.

A real run and a simulated run one after the other in the same data folder see only their own
procurements; Ctrl-C (SIGINT, or SIGTERM) leaves no PostgreSQL or Temporal running; after a
SIGKILL of the whole process group, or of the ``procure dev`` process alone, the next start is
clean and its stop leaves nothing either. The operator commands (``procure users create``)
run with no connection settings at all, finding the running stack by themselves.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.driver import notice_body
from tests.stack import Service, running_service

AGENCY = "Department of Transportation"


@pytest.fixture
def data() -> Iterator[Path]:
    # Outside pytest's private temporary root: PostgreSQL runs as its own system user when the
    # tests run as root, and must reach its data directory.
    with tempfile.TemporaryDirectory(prefix="procure-lifecycle-", ignore_cleanup_errors=True) as d:
        yield Path(d)


def leftovers(data: Path, ports: tuple[int, ...] = ()) -> list[str]:
    """Processes still serving this stack: a PostgreSQL on its folder, a Temporal server on
    its folder or its ports."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode(errors="replace") for a in argv if a)
        if not line or str(os.getpid()) == entry.name:
            continue
        temporal = "temporal" in line
        if (str(data) in line and ("postgres" in line or temporal)) or (
            temporal and any(f" {p}" in f" {line} " or f":{p}" in line for p in ports)
        ):
            found.append(f"{entry.name}: {line[:200]}")
    return found


def wait_for_none(data: Path, ports: tuple[int, ...], seconds: float = 30) -> list[str]:
    """The stack's servers stop a moment after the process that stopped them: wait for it."""
    deadline = time.monotonic() + seconds
    while (left := leftovers(data, ports)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def references(service: Service, token: str) -> set[str]:
    listed = httpx.get(
        f"{service.base}/v1/procurements",
        params={"limit": 200},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert listed.status_code == 200, listed.text
    return {item["reference"] for item in listed.json()["items"]}


def launch(service: Service, token: str, prefix: str) -> str:
    reference = f"{prefix}-{uuid.uuid4().hex[:8].upper()}"
    launched = httpx.post(
        f"{service.base}/v1/procurements",
        json=notice_body(reference, agency=AGENCY, opening_at=None),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert launched.status_code == 201, launched.text
    return reference


def buyer(service: Service) -> str:
    # As a user runs it: nothing exported (running_service drops DATABASE_URL and
    # TEMPORAL_ADDRESS), the command finding the running stack by itself.
    assert "DATABASE_URL" not in service.env and "TEMPORAL_ADDRESS" not in service.env
    return service.token("buyer", "--name", "Buyer", "--role", "agency_buyer", "--agency", AGENCY)


def test_real_and_simulated_runs_keep_their_own_procurements(data: Path) -> None:
    with running_service(data, simulated=False) as real:
        ports = real.ports
        # The check below sees a running stack's servers: PostgreSQL and Temporal both.
        running = leftovers(data, ports)
        assert any("postgres" in p for p in running), running
        assert any("temporal" in p for p in running), running
        ours = launch(real, buyer(real), "REAL")
        assert ours in references(real, buyer(real))
    assert wait_for_none(data, ports) == []
    with running_service(data, simulated=True) as simulated:
        ports = simulated.ports
        assert any("temporal" in p for p in leftovers(data, ports))
        token = buyer(simulated)
        assert references(simulated, token) == set()
        theirs = launch(simulated, token, "SIM")
    assert wait_for_none(data, ports) == []
    with running_service(data, simulated=False) as again:
        ports = again.ports
        seen = references(again, buyer(again))
        assert ours in seen and theirs not in seen
    assert wait_for_none(data, ports) == []


@pytest.mark.parametrize("whom", ["the process group", "procure dev alone"])
def test_after_a_kill_the_next_start_is_clean_and_leaves_nothing(data: Path, whom: str) -> None:
    with running_service(data, simulated=False) as killed:
        assert killed.process is not None
        ours = launch(killed, buyer(killed), "KILL")
        if whom == "the process group":
            os.killpg(killed.process.pid, signal.SIGKILL)
        else:
            killed.process.send_signal(signal.SIGKILL)
        killed.process.wait(timeout=30)
    with running_service(data, simulated=False) as next_start:
        ports = next_start.ports
        # The real run's data came through the kill.
        assert ours in references(next_start, buyer(next_start))
    assert wait_for_none(data, ports) == []
    assert wait_for_none(data, killed.ports) == []
