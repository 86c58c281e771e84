"""History of a procurement with 10,000 bids beside one with 10: ``python -m
benches.bench_bid_history [--bids N] [--engine simulated|dev]``.

The large procurement takes N bid submissions (N/4 vendors, each a bid and three replacements)
and then N/40 withdrawals (one vendor in ten), the small one ten bids, over HTTP at concurrency 50. Prints,
as JSON, each workflow's history (events and bytes) and, on the time-skipping server, the time
the opening and the award took through the API.

- ``--engine simulated`` (default): the whole life, from publication through the opening and
  the award to the contract, on the time-skipping server (the opening is 14 days after
  publication, which only a simulated clock reaches in a run).
- ``--engine dev``: the real dev server, what ``make run`` starts; the bids, then the
  procurements are cancelled (the opening is 30 days away on the real clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from benches.harness import Load, Stack, stack, tally
from tests.driver import chicago, notice_body

CONCURRENCY = 50


async def history(s: Stack, reference: str) -> dict[str, int]:
    events = list((await s.client.get_workflow_handle(reference).fetch_history()).events)
    return {"events": len(events), "bytes": sum(e.ByteSize() for e in events)}


async def bids(
    s: Stack, api: httpx.AsyncClient, reference: str, vendors: int, rounds: int, withdraw: bool
) -> dict[str, Any]:
    """Each vendor bids, then replaces its bid ``rounds - 1`` times; with ``withdraw``, every
    tenth vendor withdraws its bid at the end."""
    names = [f"{reference} Vendor {i:05d}" for i in range(vendors)]
    tokens = {v: await s.token("vendor", vendor=v) for v in names}
    url = f"/v1/procurements/{reference}/bids"
    live: dict[str, str] = {}
    load = Load(CONCURRENCY)

    def submit(i: int, vendor: str, n: int) -> Callable[[], Awaitable[httpx.Response]]:
        # Every amount distinct (so the award has one lowest bid), lower at each replacement.
        cents = 10_000_000 - 10_000 * n - i
        body = {"vendor": vendor, "amount": f"{cents // 100}.{cents % 100:02d}"}
        if vendor in live:
            return lambda: api.put(f"{url}/{live[vendor]}", json=body, headers=tokens[vendor])
        return lambda: api.post(url, json=body, headers=tokens[vendor])

    def withdrawal(vendor: str) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: api.post(f"{url}/{live[vendor]}/withdraw", json={}, headers=tokens[vendor])

    for n in range(rounds):
        for vendor, answer in zip(
            names, await load.run([submit(i, v, n) for i, v in enumerate(names)]), strict=True
        ):
            if answer.status == 201:
                live[vendor] = answer.body["bid_id"]
    leaving = names[::10] if withdraw else []
    await load.run([withdrawal(v) for v in leaving])
    return {"submissions": len(load.answers), **tally(load.answers), "live": vendors - len(leaving)}


async def main(total: int, simulated: bool) -> dict[str, Any]:
    async with (
        stack(simulated=simulated) as s,
        httpx.AsyncClient(base_url=s.base, timeout=600) as api,
    ):
        buyer = await s.token("agency_buyer", agency="Department of Transportation")
        opening = await s.bench_opening()
        tag = uuid.uuid4().hex[:6].upper()
        large, small = f"BIG-{tag}", f"SMALL-{tag}"
        report: dict[str, Any] = {"engine": "time-skipping" if simulated else "dev server"}
        for reference in (large, small):
            body = notice_body(reference, opening_at=opening.isoformat())
            assert (await api.post("/v1/procurements", json=body, headers=buyer)).status_code == 201
            assert (
                await api.post(f"/v1/procurements/{reference}/publish", headers=buyer)
            ).status_code == 200
        started = time.perf_counter()
        report["large_intake"] = await bids(s, api, large, total // 4, 4, withdraw=True)
        report["large_intake"]["seconds"] = round(time.perf_counter() - started, 1)
        report["small_intake"] = await bids(s, api, small, 10, 1, withdraw=False)
        report["after_bids"] = {"large": await history(s, large), "small": await history(s, small)}
        if not simulated:
            for reference in (large, small):
                await api.post(
                    f"/v1/procurements/{reference}/cancel", json={"reason": "Bench."}, headers=buyer
                )
                await s.client.get_workflow_handle(reference).result()
        else:
            await s.env.sleep(opening - await s.now())
            timings: dict[str, dict[str, float]] = {}
            for reference in (large, small):
                began = time.perf_counter()
                opened = await api.post(
                    f"/v1/procurements/{reference}/opening",
                    json={"witnesses": ["W"]},
                    headers=buyer,
                )
                assert opened.status_code == 200, opened.text
                timings[reference] = {"opening_seconds": round(time.perf_counter() - began, 2)}
            await s.env.sleep(timedelta(hours=20))
            for reference in (large, small):
                rows = (
                    await api.get(f"/v1/procurements/{reference}/tabulation", headers=buyer)
                ).json()["rows"]
                began = time.perf_counter()
                awarded = await api.post(
                    f"/v1/procurements/{reference}/award",
                    json={"bid_id": rows[0]["bid_id"]},
                    headers=buyer,
                )
                assert awarded.status_code == 200, awarded.text
                timings[reference]["award_seconds"] = round(time.perf_counter() - began, 2)
                timings[reference]["tabulated"] = len(rows)
            await s.env.sleep(chicago(2099, 4, 1, 9) - await s.now())
            for reference in (large, small):
                executed = await api.post(f"/v1/procurements/{reference}/execute", headers=buyer)
                assert executed.status_code == 200, executed.text
                await s.client.get_workflow_handle(reference).result()
            report["large_life"], report["small_life"] = timings[large], timings[small]
        report["closed"] = {"large": await history(s, large), "small": await history(s, small)}
        return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=10_000)
    parser.add_argument("--engine", choices=("simulated", "dev"), default="simulated")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.bids, args.engine == "simulated")), indent=2))
