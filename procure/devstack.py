"""The embedded stack behind ``make run``: PostgreSQL (pgserver), Temporal (dev server with
SQLite under ./.data, Web UI on; or the time-skipping server), a worker and the API.

``DATABASE_URL`` and ``TEMPORAL_ADDRESS``, when set, replace the embedded servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import socket
import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvicorn
from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import Services
from db.migrate import upgrade
from db.pool import create_pool
from db.sealing import Sealer, dev_key
from procure import binaries, stackfile
from procure.clock import Clock, SimulatedClock, SystemClock
from procure.dispatcher import Dispatcher
from procure.observability import configure_logging
from procure.search_attributes import register as register_search_attributes
from procure.settings import Settings
from procure.stackfile import process_running
from procure.temporal_client import DATA_CONVERTER, connect
from procure.worker import create_worker
from workflows import search

# pgserver keeps its lock file under the user's runtime directory; where XDG_RUNTIME_DIR is not
# set, platformdirs warns at import and falls back to a private folder under /tmp, which serves.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver

log = logging.getLogger("procure.dev")


@functools.cache
def time_skipping_runtime() -> Runtime:
    """The SDK's runtime for the time-skipping server, without the warning it gives on every
    start: that server advertises no heartbeat-details capability, which the service does not
    use (its activities do not heartbeat) and a user cannot change."""
    default = TelemetryFilter(core_level="WARN", other_level="ERROR").formatted()
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=f"{default},temporalio_sdk_core::worker=ERROR")
        )
    )


class PortInUse(SystemExit):
    pass


def ensure_free(host: str, port: int, what: str, setting: str) -> None:
    """Refuse to start when a port is taken: otherwise the stack would quietly talk to
    whatever else listens there (an older run, another service)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"procure dev: port {port} for {what} is in use ({exc.strerror}); stop what "
                f"holds it or choose another port with {setting}."
            ) from None


def simulated_data_dir(data_dir: Path) -> Path:
    """Where the simulated stack keeps its data: ``data_dir/simulated``, emptied at every
    start. The time-skipping server keeps no workflow across a restart, so a read model kept
    beyond it would name procurements no workflow runs; a real run's data is never touched."""
    path = data_dir / "simulated"
    _stop_postmaster(path / "pg")
    shutil.rmtree(path, ignore_errors=True)
    return path


def _stop_postmaster(pgdata: Path, wait_seconds: float = 15.0) -> None:
    """Stop a PostgreSQL left running on ``pgdata`` by a stack that was killed (its pid is the
    first line of ``postmaster.pid``): a fast shutdown, SIGINT, as ``pg_ctl stop -m fast``."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return  # not running, or not ours to stop
    if b"postgres" not in command or str(pgdata.resolve()).encode() not in command:
        return
    _stop([pid], signal.SIGINT, wait_seconds)


def _stop(pids: list[int], sig: signal.Signals, wait_seconds: float) -> bool:
    """Send ``sig`` to each of ``pids``; whether all are gone within ``wait_seconds``."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + wait_seconds
    while any(process_running(pid) for pid in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def reclaim_orphans(data_dir: Path, wait_seconds: float = 15.0) -> None:
    """After a ``procure dev`` that was killed (no live stack named in its stack file): stop
    the Temporal dev server it left on ``data_dir/temporal.db``, and forget the dead process
    among PostgreSQL's handles, so this run's clean stop stops PostgreSQL again. A live stack
    owns its servers and is left alone."""
    if stackfile.running(data_dir) is not None:
        return
    database = str((data_dir / "temporal.db").resolve()).encode()
    left: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"start-dev" in command and database in command:
            left.append(int(entry.name))
    if left and not _stop(left, signal.SIGTERM, wait_seconds):
        _stop(left, signal.SIGKILL, wait_seconds)  # it did not stop when asked
    handles = data_dir / "pg" / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if process_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def start_postgres(data_dir: Path) -> str:
    """A real PostgreSQL 16 under ``data_dir/pg``, reused across runs; returns its URI."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir.resolve() / "pg", cleanup_mode="stop")
    return str(server.get_uri())


@dataclass
class Temporal:
    client: Client
    address: str
    env: WorkflowEnvironment | None


@contextlib.asynccontextmanager
async def temporal(settings: Settings, *, simulated: bool) -> AsyncIterator[Temporal]:
    if simulated:
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=DATA_CONVERTER,
            test_server_existing_path=binaries.temporal_test_server(),
            runtime=time_skipping_runtime(),
            port=settings.temporal_port,
            test_server_startup_timeout=timedelta(seconds=60),  # a loaded machine is slow
        )
        await register_search_attributes(env.client)
        try:
            yield Temporal(env.client, env.client.service_client.config.target_host, env)
        finally:
            await env.shutdown()
    elif settings.temporal_address:
        client = await connect(settings.temporal_address, settings.temporal_namespace)
        yield Temporal(client, settings.temporal_address, None)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=binaries.temporal_cli(),
            dev_server_startup_timeout=timedelta(seconds=60),
            dev_server_database_filename=str(settings.data_dir.resolve() / "temporal.db"),
            ui=True,
            ui_port=settings.temporal_ui_port,
            port=settings.temporal_port,
            ip="127.0.0.1",
            search_attributes=list(search.ALL),
        )
        try:
            yield Temporal(env.client, f"127.0.0.1:{settings.temporal_port}", env)
        finally:
            await env.shutdown()


async def run_dev(settings: Settings, *, simulated: bool) -> None:
    configure_logging()
    # SIGTERM shuts down like Ctrl-C, so the embedded servers stop with the process.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    reclaim_orphans(settings.data_dir)
    ensure_free(settings.api_host, settings.api_port, "the API", "PROCURE_API_PORT")
    if not settings.temporal_address:
        ensure_free("127.0.0.1", settings.temporal_port, "Temporal", "PROCURE_TEMPORAL_PORT")
        if not simulated:
            ensure_free(
                "127.0.0.1",
                settings.temporal_ui_port,
                "the Temporal UI",
                "PROCURE_TEMPORAL_UI_PORT",
            )
    if simulated:
        settings.simulated()
    base_dir = settings.data_dir  # where the stack is found, whichever its data
    if simulated and not settings.database_url:
        settings.data_dir = simulated_data_dir(settings.data_dir)
    if not settings.bid_key:
        settings.bid_key = dev_key(settings.data_dir)
    database_url = settings.database_url or start_postgres(settings.data_dir)
    await asyncio.to_thread(upgrade, database_url)
    pool = await create_pool(database_url, max_size=settings.db_pool_size)
    async with temporal(settings, simulated=simulated) as t:
        clock: Clock = SimulatedClock(t.env) if simulated and t.env else SystemClock()
        services = Services(
            settings=settings,
            database_url=database_url,
            temporal_address=t.address,
            clock=clock,
            pool=pool,
            client=t.client,
        )
        app = create_app(services)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.api_host,
                port=settings.api_port,
                log_config=None,  # logging as configured above; each request is logged by the app
                access_log=False,
            )
        )
        worker = create_worker(t.client, pool, settings.task_queue, sealer=Sealer(settings.bid_key))
        mode = "simulated clock (time-skipping server)" if simulated else "real clock"
        print(
            f"procureflow is up ({mode}):\n"
            f"  API          http://{settings.api_host}:{settings.api_port}/docs\n"
            + (
                ""
                if simulated or settings.temporal_address
                else f"  Temporal UI  http://localhost:{settings.temporal_ui_port}\n"
            )
            + f"  Temporal     {t.address}\n  PostgreSQL   {database_url}\n"
            + f"  Data         {settings.data_dir.resolve()}"
            + (" (emptied at every simulated start)" if simulated else ""),
            flush=True,
        )
        stop = asyncio.Event()
        dispatching = asyncio.create_task(Dispatcher(pool, settings, clock=clock).run_forever(stop))
        stackfile.write(
            base_dir, database_url=database_url, temporal_address=t.address, simulated=simulated
        )
        try:
            async with worker:
                await server.serve()
        finally:
            stackfile.remove(base_dir)
            stop.set()
            await dispatching
    await pool.close()
