"""The API's notion of "now": the wall clock, or the time-skipping server's simulated clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from temporalio.testing import WorkflowEnvironment


class Clock(Protocol):
    simulated: bool

    async def now(self) -> datetime: ...


class SystemClock:
    simulated = False

    async def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """Time on the time-skipping test server; only ``procure dev --simulated-clock`` has it."""

    simulated = True

    def __init__(self, env: WorkflowEnvironment) -> None:
        self.env = env

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def advance(self, by: timedelta) -> datetime:
        await self.env.sleep(by)
        return await self.now()
