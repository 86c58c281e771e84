"""How every process of the service talks to Temporal: one data converter and ``connect``.

Kept apart from the worker so that a client (the API, ``procure reconcile``) connects without
importing the workflows and activities the worker runs.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

DATA_CONVERTER = pydantic_data_converter


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)
