"""Where a running ``procure dev`` stack can be found: ``<data dir>/stack.json``.

``procure dev`` writes it once its servers are up (its PostgreSQL and Temporal addresses, its
process id) and removes it when it stops; the operator commands (``users``, ``audit``,
``outbox``, ``limits``, ``reconcile``, ``migrate``) read it when ``DATABASE_URL`` or
``TEMPORAL_ADDRESS`` is not set, so they reach the stack that is running without anything
exported by hand. A file left by a stack that was killed names a process that is gone and is
ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

NAME = "stack.json"


def write(data_dir: Path, *, database_url: str, temporal_address: str, simulated: bool) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / NAME).write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "database_url": database_url,
                "temporal_address": temporal_address,
                "simulated": simulated,
            }
        )
    )


def remove(data_dir: Path) -> None:
    (data_dir / NAME).unlink(missing_ok=True)


def process_running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :][:1] != "Z"


def running(data_dir: Path) -> dict[str, Any] | None:
    """The stack written under ``data_dir``, if its process still runs."""
    try:
        found: dict[str, Any] = json.loads((data_dir / NAME).read_text())
        pid = int(found["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if process_running(pid) else None
