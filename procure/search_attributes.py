"""Registering the workflows' search attributes on a Temporal namespace (idempotent)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from workflows.search import ALL


async def register(client: Client, namespace: str = "default") -> None:
    attributes = {
        key.name: IndexedValueType.ValueType(
            int(SearchAttributeIndexedValueType(key.indexed_value_type))
        )
        for key in ALL
    }
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=attributes)
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.ALREADY_EXISTS:
            raise
