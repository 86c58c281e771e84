"""The API's notion of "now": the wall clock, or the time-skipping server's simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.protobuf.empty_pb2 import Empty
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment


class Clock(Protocol):
    simulated: bool

    async def now(self) -> datetime: ...


class SystemClock:
    simulated = False

    async def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Time on the time-skipping test server (``procure dev --simulated-clock``, or ``procure
    api --simulated-clock`` against one), read and moved through its test service, so every
    process talking to that server shares one clock."""

    simulated = True

    def __init__(self, server: WorkflowEnvironment | Client) -> None:
        self.client = server.client if isinstance(server, WorkflowEnvironment) else server

    async def now(self) -> datetime:
        reply = await self.client.test_service.get_current_time(Empty())
        return reply.time.ToDatetime().replace(tzinfo=UTC)

    async def advance(self, by: timedelta) -> datetime:
        request = SleepRequest()
        request.duration.FromTimedelta(by)
        await self.client.test_service.unlock_time_skipping_with_sleep(request)
        return await self.now()
