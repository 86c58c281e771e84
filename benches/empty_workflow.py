"""The smallest workflows there are, for the launch benchmark's raw rates: ``EmptyWorkflow``
completes in its first task; ``EchoWorkflow`` answers one update and waits (the smallest
update-with-start, to show what the engine's round trip costs by itself)."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchEmpty")
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="BenchEcho")
class EchoWorkflow:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def hello(self) -> str:
        return "hello"
