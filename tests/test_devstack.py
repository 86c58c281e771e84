"""The simulated stack's data: its own folder, emptied at every start, a real run's untouched.

The time-skipping server keeps no workflow across a restart, so the simulated stack's
PostgreSQL may not keep procurements either: a second walkthrough must start from nothing,
and a real run's data in the same data folder must never be touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pgserver

from benches.harness import free_port
from procure import binaries, stackfile
from procure.cli import _find_the_stack
from procure.devstack import reclaim_orphans, simulated_data_dir
from procure.settings import Settings
from procure.stackfile import process_running


def test_each_simulated_start_begins_empty_and_leaves_real_data_alone(tmp_path: Path) -> None:
    real = tmp_path / "pg" / "PG_VERSION"
    real.parent.mkdir()
    real.write_text("16")
    left = tmp_path / "simulated" / "pg" / "base" / "old"
    left.parent.mkdir(parents=True)
    left.write_text("a procurement no workflow runs")

    path = simulated_data_dir(tmp_path)

    assert path == tmp_path / "simulated"
    assert not path.exists()
    assert real.read_text() == "16"


def test_a_simulated_postgres_left_running_is_stopped_before_its_data_goes(
    tmp_path: Path,
) -> None:
    # A killed simulated stack leaves its PostgreSQL running on the folder: the next start
    # stops it first, then empties the folder.
    (tmp_path / "simulated").mkdir()
    server = pgserver.get_server(tmp_path / "simulated" / "pg", cleanup_mode=None)
    assert server.psql("SELECT 1").strip()  # running, and answering
    pid = (tmp_path / "simulated" / "pg" / "postmaster.pid").read_text().split()[0]

    simulated_data_dir(tmp_path)

    assert not (tmp_path / "simulated").exists()
    assert not process_running(int(pid))


def test_a_simulated_stack_links_to_no_temporal_ui() -> None:
    # The time-skipping server has no Web UI: a link to it would go nowhere.
    settings = Settings()
    assert settings.ui_url() == "http://localhost:8233"
    settings.simulated()
    assert settings.ui_url() is None
    configured = Settings(temporal_ui_url="https://temporal.example.gov")
    configured.simulated()
    assert configured.ui_url() == "https://temporal.example.gov"


def test_the_operator_commands_find_the_running_stack(tmp_path: Path) -> None:
    # While `procure dev` runs, its stack file names it; once its process is gone, the file
    # it left names nothing.
    stackfile.write(
        tmp_path, database_url="postgresql://x", temporal_address="127.0.0.1:7", simulated=True
    )
    found = stackfile.running(tmp_path)
    assert found is not None and found["database_url"] == "postgresql://x"
    settings = Settings(data_dir=tmp_path, database_url=None, temporal_address=None)
    _find_the_stack(settings)
    assert (settings.database_url, settings.temporal_address) == ("postgresql://x", "127.0.0.1:7")
    mine = Settings(data_dir=tmp_path, database_url="postgresql://mine")
    _find_the_stack(mine)
    assert mine.database_url == "postgresql://mine"  # what is set wins
    (tmp_path / stackfile.NAME).write_text('{"pid": 999999999, "database_url": "x"}')
    assert stackfile.running(tmp_path) is None
    stackfile.remove(tmp_path)
    assert stackfile.running(tmp_path) is None


def test_a_killed_stacks_servers_are_reclaimed_by_the_next_start(tmp_path: Path) -> None:
    # A `procure dev` killed with SIGKILL leaves its Temporal dev server on its port and its
    # own pid among PostgreSQL's handles (so clean stops after it would leave PostgreSQL up).
    # The next start stops the one and forgets the other; a live stack's are left alone.
    port = free_port()
    leftover = subprocess.Popen(
        [
            binaries.temporal_cli(),
            "server",
            "start-dev",
            "--headless",
            "--port",
            str(port),
            "--db-filename",
            str(tmp_path / "temporal.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # A real leftover: up and answering on its port.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        (tmp_path / "pg").mkdir()
        (tmp_path / "pg" / ".handle_pids.json").write_text(json.dumps([999999999, os.getpid()]))
        stackfile.write(tmp_path, database_url="x", temporal_address="x", simulated=False)
        # While the stack file names a live process (this one), nothing is touched.
        reclaim_orphans(tmp_path)
        assert leftover.poll() is None
        # Its process gone (a pid no process has), the next start reclaims.
        (tmp_path / stackfile.NAME).write_text(json.dumps({"pid": 999999999}))
        reclaim_orphans(tmp_path)
        assert leftover.wait(timeout=30) is not None
        assert json.loads((tmp_path / "pg" / ".handle_pids.json").read_text()) == [os.getpid()]
    finally:
        if leftover.poll() is None:
            leftover.kill()
