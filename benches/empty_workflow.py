"""The smallest workflow there is, for the launch benchmark's raw start rate: it completes in
its first task."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchEmpty")
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None
