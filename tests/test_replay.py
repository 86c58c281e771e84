"""Replay: recorded procurement histories must run unchanged through the current workflow code.

The histories under ``tests/histories/`` were recorded from real runs (``python -m
tests.record_histories``). A code change that would make a running procurement take a
different path fails here; such a change needs ``workflow.patched``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from procure.temporal_client import DATA_CONVERTER
from procure.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _load(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def test_histories_are_present() -> None:
    # Without recorded histories this guard would pass vacuously.
    assert len(HISTORIES) >= 3


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    data = _load(path)
    workflow_id, events = data["workflow_id"], data["history"]
    assert isinstance(workflow_id, str) and isinstance(events, dict)
    history = WorkflowHistory.from_json(workflow_id, events)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
