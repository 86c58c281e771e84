"""Metrics and structured logs, against the real stack: PostgreSQL, the time-skipping Temporal
server, a worker and the API.

A procurement is driven through the API (launched, refused, forbidden, published); the
scrape then shows it by state, with the commands and refusals counted. An activity of the real
worker fails for real (its database pool is closed) and is counted. A command's log lines are
JSON with the procurement reference and the request id. A scrape still answers, with
``procureflow_up{dependency="postgres"} 0``, when PostgreSQL refuses connections or never
answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.app import create_app
from api.services import Services
from db.pool import create_pool
from db.sealing import Sealer
from procure.observability import (
    CHATTY_LOGGERS,
    UVICORN_LOGGERS,
    ObservabilityInterceptor,
    configure_logging,
    serve_worker_metrics,
)
from procure.settings import Settings
from procure.worker import create_worker
from tests.conftest import ANCHOR, BID_KEY
from tests.driver import Driver, chicago

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


# ---- metrics after driving a procurement ----------------------------------------------------


async def test_metrics_count_states_commands_refusals_and_requests(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    before = await scrape(api)
    d = Driver(api, env, unique("OBS"))
    # An opening 11 days after publication: publishing is refused under 20-10(c).
    assert (await d.launch(opening_at=chicago(2099, 3, 13, 14).isoformat())).status_code == 201
    assert (await d.refused("publish"))["code"] == "opening_too_early"
    assert (await d.post("publish", actor="Acme Supply")).status_code == 403
    await d.ok("amend", {"opening_at": chicago(2099, 3, 16, 14).isoformat()})
    await d.ok("publish")
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "procureflow_up", dependency="postgres") == 1
    assert value(after, "procureflow_procurements", state="published") >= 1
    assert ("procureflow_procurements", frozenset({("state", "closed")})) in after
    assert delta("procureflow_commands_total", trigger="publish", outcome="accepted") == 1
    assert delta("procureflow_commands_total", trigger="publish", outcome="refused") == 1
    assert delta("procureflow_commands_total", trigger="publish", outcome="forbidden") == 1
    assert delta("procureflow_commands_total", trigger="amend", outcome="accepted") == 1
    assert delta("procureflow_refusals_total", trigger="publish", code="opening_too_early") == 1
    assert delta("procureflow_refusals_total", trigger="publish", code="forbidden") == 1
    for status in ("pending", "dead"):
        assert ("procureflow_outbox_depth", frozenset({("status", status)})) in after
    assert ("procureflow_reminder_lag_seconds", frozenset()) in after
    # The worker's activities: one persist step per accepted command at least.
    assert delta("procureflow_activity_attempts_total", activity="persist_step") >= 3
    # Requests by route template, never by reference.
    publish = "/v1/procurements/{reference}/publish"
    for status in ("200", "403", "409"):
        assert (
            delta("procureflow_http_requests_total", route=publish, method="POST", status=status)
            == 1
        )
    assert (
        delta("procureflow_http_request_duration_seconds_count", route=publish, method="POST") == 3
    )
    assert not any(d.reference in dict(labels).get("route", "") for _, labels in after)


async def test_reminder_lag_is_the_age_of_the_oldest_waiting_reminder(
    api: httpx.AsyncClient, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    reference = unique("OBS-LAG")
    written = await env.get_current_time() - timedelta(hours=5)
    message_id = await pool.fetchval(
        """INSERT INTO outbox (reference, seq, kind, recipient, content, created_at)
           VALUES ($1, 1, 'reminder:bid_opening@2099-03-16', 'Acme Supply', $2, $3)
           RETURNING message_id""",
        reference,
        {"deadline": "bid_opening"},
        written,
    )
    try:
        samples = await scrape(api)
        # The oldest waiting reminder is this one, or an older one.
        assert value(samples, "procureflow_reminder_lag_seconds") >= 5 * 3600
        assert value(samples, "procureflow_outbox_depth", status="pending") >= 1
    finally:
        await pool.execute("DELETE FROM outbox WHERE message_id = $1", message_id)


# ---- activity failures ---------------------------------------------------------------------


ACTIVITY_QUEUE = "observability-activities"
PROBE_QUEUE = "observability-probe"


@workflow.defn(sandboxed=False)
class TabulationProbe:
    """Asks the real worker for a tabulation, once, and reports whether it failed."""

    @workflow.run
    async def run(self, reference: str) -> str:
        try:
            await workflow.execute_activity(
                "tabulate_bids",
                {
                    "reference": reference,
                    "method": "competitive_sealed_bidding",
                    "bid_ids": [],
                    "opened_at": ANCHOR.isoformat(),
                    "witnesses": [],
                },
                task_queue=ACTIVITY_QUEUE,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as exc:
            return f"failed: {exc.cause}"
        return "completed"


async def test_activity_failures_are_counted_by_activity_type(
    api: httpx.AsyncClient, env: WorkflowEnvironment, database_url: str
) -> None:
    # The production worker, with a pool that is already closed: its tabulation fails.
    closed = await create_pool(database_url)
    await closed.close()
    before = await scrape(api)
    async with (
        create_worker(env.client, closed, ACTIVITY_QUEUE, sealer=Sealer(BID_KEY)),
        Worker(
            env.client,
            task_queue=PROBE_QUEUE,
            workflows=[TabulationProbe],
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
    ):
        outcome = await env.client.execute_workflow(
            TabulationProbe.run, unique("OBS-FAIL"), id=unique("obs-probe"), task_queue=PROBE_QUEUE
        )
    assert outcome.startswith("failed:"), outcome
    after = await scrape(api)
    for name in ("procureflow_activity_failures_total", "procureflow_activity_attempts_total"):
        change = value(after, name, activity="tabulate_bids") - value(
            before, name, activity="tabulate_bids"
        )
        assert change == 1, name


async def test_the_worker_exposes_its_metrics_on_a_port_when_asked() -> None:
    assert serve_worker_metrics({}) is None
    server = serve_worker_metrics(
        {"PROCURE_WORKER_METRICS_PORT": "0", "PROCURE_WORKER_METRICS_HOST": "127.0.0.1"}
    )
    assert server is not None
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{server.server_port}/metrics")
        assert response.status_code == 200
        assert "procureflow_activity_failures_total" in response.text
        assert "procureflow_commands_total" in response.text
    finally:
        await asyncio.to_thread(server.shutdown)
        server.server_close()
    with pytest.raises(SystemExit, match="PROCURE_WORKER_METRICS_PORT"):
        serve_worker_metrics({"PROCURE_WORKER_METRICS_PORT": "nine"})


# ---- PostgreSQL unreachable ----------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def app_client(database_url: str, settings: Settings) -> httpx.AsyncClient:
    services = Services(settings=settings, database_url=database_url, temporal_address=None)
    app = create_app(services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://procureflow")


async def test_scrape_answers_with_up_zero_when_postgres_refuses(settings: Settings) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres"
    async with app_client(url, settings) as client:
        samples = await scrape(client)
    assert value(samples, "procureflow_up", dependency="postgres") == 0
    assert not any(name == "procureflow_procurements" for name, _ in samples)
    # The process's own counters are still there.
    assert any(name == "procureflow_http_requests_total" for name, _ in samples)


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_scrape_answers_in_time_when_postgres_never_answers(
    settings: Settings, silent_server: int
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/postgres"
    async with app_client(url, settings) as client:
        client._transport.app.state.metrics_db_timeout = 0.5  # type: ignore[attr-defined]
        started = time.monotonic()
        samples = await scrape(client)
        elapsed = time.monotonic() - started
    assert value(samples, "procureflow_up", dependency="postgres") == 0
    assert elapsed < 5, elapsed


async def test_openmetrics_is_served_when_asked_for(api: httpx.AsyncClient) -> None:
    response = await api.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


# ---- structured logs -----------------------------------------------------------------------


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Put the process's logging setup back as it was, whatever the test configured."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    saved = {
        name: (logger.handlers[:], logger.propagate, logger.level)
        for name in (*UVICORN_LOGGERS, *CHATTY_LOGGERS)
        for logger in [logging.getLogger(name)]
    }
    try:
        yield
    finally:
        for h in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(h)
        root.setLevel(level)
        for name, (old, propagate, old_level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = old
            logger.propagate = propagate
            logger.setLevel(old_level)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The service's logging, into a buffer."""
    stream = io.StringIO()
    with restored_logging():
        configure_logging("INFO", "json", stream=stream)
        yield stream


def records(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


async def test_a_command_logs_json_with_reference_and_request_id(
    api: httpx.AsyncClient, env: WorkflowEnvironment, log_stream: io.StringIO
) -> None:
    d = Driver(api, env, unique("OBS-LOG"))
    assert (await d.launch()).status_code == 201
    request_id = f"obs-{uuid.uuid4().hex}"
    response = await api.post(
        f"/v1/procurements/{d.reference}/publish",
        headers={**await d.headers("agency"), "X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    logged = records(log_stream)
    assert logged and all({"timestamp", "level", "logger", "message"} <= set(r) for r in logged)
    command = [r for r in logged if r["logger"] == "procure.commands"]
    assert command, logged
    assert command[-1]["reference"] == d.reference
    assert command[-1]["request_id"] == request_id
    assert command[-1]["outcome"] == "accepted" and command[-1]["trigger"] == "publish"
    assert command[-1]["level"] == "INFO"
    # The request's own line, in place of the server's access log.
    http = [
        r for r in logged if r["logger"] == "procure.http" and r.get("request_id") == request_id
    ]
    assert len(http) == 1
    assert http[0]["status"] == 200
    assert http[0]["route"] == "/v1/procurements/{reference}/publish"
    assert http[0]["reference"] == d.reference


@activity.defn(name="observability_note")
async def note(text: str) -> None:
    logging.getLogger("procure.test.activity").info("noted %s", text)


@workflow.defn(sandboxed=False)
class NoteProbe:
    @workflow.run
    async def run(self, text: str) -> None:
        await workflow.execute_activity(note, text, start_to_close_timeout=timedelta(seconds=30))


async def test_an_activity_logs_with_its_procurement_reference(
    env: WorkflowEnvironment, log_stream: io.StringIO
) -> None:
    reference = unique("OBS-ACT")
    async with Worker(
        env.client,
        task_queue=PROBE_QUEUE,
        workflows=[NoteProbe],
        activities=[note],
        interceptors=[ObservabilityInterceptor()],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        # The workflow id is the procurement reference, as for every procurement.
        await env.client.execute_workflow(
            NoteProbe.run, "hello", id=reference, task_queue=PROBE_QUEUE
        )
    noted = [r for r in records(log_stream) if r["logger"] == "procure.test.activity"]
    assert len(noted) == 1
    assert noted[0]["reference"] == reference and noted[0]["message"] == "noted hello"


def test_text_format_and_bad_settings() -> None:
    stream = io.StringIO()
    with restored_logging():
        configure_logging("debug", "text", stream=stream)
        logging.getLogger("procure.test").debug("plain words")
        assert "DEBUG procure.test [- -] plain words" in stream.getvalue()
        configure_logging("INFO", "json", stream=stream)
        assert logging.getLogger("pgserver").getEffectiveLevel() == logging.WARNING
        logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "Started!"})
        last = json.loads(stream.getvalue().splitlines()[-1])
        assert last["logger"] == "uvicorn.error" and "color_message" not in last
        with pytest.raises(SystemExit, match="PROCURE_LOG_FORMAT"):
            configure_logging("INFO", "xml")
        with pytest.raises(SystemExit, match="PROCURE_LOG_LEVEL"):
            configure_logging("LOUD", "json")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_reads_text_and_a_collector_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROCURE_LOG_FORMAT", raising=False)
    with restored_logging():
        terminal = Terminal()
        configure_logging("INFO", stream=terminal)
        logging.getLogger("procure.test").info("for a person")
        assert terminal.getvalue().rstrip().endswith("for a person")
        assert not terminal.getvalue().lstrip().startswith("{")
        collector = io.StringIO()
        configure_logging("INFO", stream=collector)
        logging.getLogger("procure.test").info("for a machine")
        assert json.loads(collector.getvalue().splitlines()[-1])["message"] == "for a machine"
        # A migration's every step is below the default level.
        assert logging.getLogger("alembic").getEffectiveLevel() == logging.WARNING
        monkeypatch.setenv("PROCURE_LOG_FORMAT", "json")
        asked = Terminal()
        configure_logging("INFO", stream=asked)
        logging.getLogger("procure.test").info("asked for json")
        assert json.loads(asked.getvalue().splitlines()[-1])["message"] == "asked for json"
