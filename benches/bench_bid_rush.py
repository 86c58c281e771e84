"""The last minute before an opening: ``python benches/bench_bid_rush.py [--vendors N]
[--concurrency C] [--engine dev|simulated]``.

N distinct vendors (1,000 by default) each submit one sealed bid, their requests started evenly
over the final 60 seconds (``--window``; 0 sends them all at once), at most C (50) in flight, over HTTP to ``procure api``, with
``procure worker`` beside it. Prints accepted, refused, 5xx and receipt latency (p50, p95,
p99) as JSON.

- ``--engine dev`` (default): the real Temporal dev server, what ``make run`` starts. The real
  clock puts the opening 14 days out at least (20-10(c)), so the minute is a minute of intake;
  the workflow's history before and after the minute shows the engine never saw the bids.
- ``--engine simulated``: the time-skipping server, whose clock runs in real time until moved.
  The clock is set to 60 seconds before the opening, the bids arrive over the next 70 seconds
  (the last ten after the opening, to be refused), and the opening is sent at its instant while
  they arrive. Checks that the tabulation is exactly the receipts issued before the opening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx

from benches.harness import Load, percentiles, stack, tally
from tests.driver import notice_body

WINDOW = 60.0
AFTER = 10.0  # simulated: seconds of bids after the opening


async def main(
    vendors: int, concurrency: int, simulated: bool, window: float = WINDOW
) -> dict[str, object]:
    async with (
        stack(simulated=simulated) as s,
        httpx.AsyncClient(
            base_url=s.base, timeout=60, limits=httpx.Limits(max_connections=concurrency)
        ) as api,
    ):
        reference = f"RUSH-{uuid.uuid4().hex[:8].upper()}"
        buyer = await s.token("agency_buyer", agency="Department of Transportation")
        opening = await s.bench_opening()
        body = notice_body(reference, opening_at=opening.isoformat())
        assert (await api.post("/v1/procurements", json=body, headers=buyer)).status_code == 201
        published = await api.post(f"/v1/procurements/{reference}/publish", headers=buyer)
        assert published.status_code == 200, published.text
        handle = s.client.get_workflow_handle(reference)
        events_before = len((await handle.fetch_history()).events)
        names = [f"Vendor {i:04d}" for i in range(vendors)]
        tokens = {n: await s.token("vendor", vendor=n) for n in names}
        url = f"/v1/procurements/{reference}/bids"

        def bid(name: str, i: int) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: api.post(
                url, json={"vendor": name, "amount": f"{90000 + i}.00"}, headers=tokens[name]
            )

        span = window
        if simulated:
            await s.env.sleep(opening - timedelta(seconds=window) - await s.now())
            span = window + AFTER
        load = Load(concurrency)
        calls = [bid(n, i) for i, n in enumerate(names)]
        rush = asyncio.create_task(load.run(calls, over=span or None))
        opened = None
        if simulated:
            await asyncio.sleep(max(0.0, (opening - await s.now()).total_seconds()))
            opened = await api.post(
                f"/v1/procurements/{reference}/opening", json={"witnesses": ["W"]}, headers=buyer
            )
        answers = await rush
        report: dict[str, object] = {
            "engine": "time-skipping (simulated clock)" if simulated else "dev server",
            "vendors": vendors,
            "concurrency": concurrency,
            "window_seconds": span,
            **tally(answers),
            "receipt_latency": percentiles([a.seconds for a in answers if a.status == 201]),
            "all_latency": percentiles([a.seconds for a in answers]),
            "history_events_before_bids": events_before,
            "history_events_after": len((await handle.fetch_history()).events),
        }
        receipts = {
            a.body["bid_id"]: datetime.fromisoformat(a.body["received_at"])
            for a in answers
            if a.status == 201
        }
        if opened is not None:
            assert opened.status_code == 200, opened.text
            cutoff = opening
            before = {b for b, at in receipts.items() if at < cutoff}
            tabulated = {
                r["bid_id"]
                for r in await s.pool.fetch(
                    "SELECT bid_id FROM tabulations WHERE reference = $1", reference
                )
            }
            report |= {
                "receipts_before_opening": len(before),
                "receipts_at_or_after_opening": len(receipts) - len(before),
                "tabulated": len(tabulated),
                "tabulation_equals_receipts_before_opening": tabulated == before,
            }
        return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--engine", choices=("dev", "simulated"), default="dev")
    parser.add_argument(
        "--window", type=float, default=WINDOW, help="seconds the bids arrive over; 0: at once"
    )
    args = parser.parse_args()
    result = asyncio.run(
        main(args.vendors, args.concurrency, args.engine == "simulated", args.window)
    )
    print(json.dumps(result, indent=2))
