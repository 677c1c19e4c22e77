"""A small load client: N concurrent asyncio tasks POSTing submissions with httpx.

Run as ``python -m benchmarks.client SPEC.json`` by ``benchmarks.load`` (in its
own process, so the client does not share a GIL with the SMTP server). Two
modes:

* closed loop (``rate`` absent): ``api_clients`` + ``web_clients`` tasks, each
  POSTing one submission after another until ``seconds`` have passed or
  ``max_requests`` were sent;
* open loop (``rate`` set): one submission every ``1/rate`` seconds, whatever
  the replies, for ``seconds`` (API only).

Prints one JSON object: per-request samples ``[channel, start, ms, status, reference]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx


async def _api(client: httpx.AsyncClient, spec: dict[str, Any], body: bytes) -> tuple[int, str]:
    response = await client.post(
        spec["api_path"],
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {spec['token']}"},
    )
    reference = ""
    if response.status_code == 201:
        reference = response.json().get("reference", "")
    return response.status_code, reference


async def _web(client: httpx.AsyncClient, spec: dict[str, Any], draft: dict[str, str]) -> int:
    response = await client.post(
        spec["web_path"],
        data={"csrf_token": draft["csrf"]},
        headers={"Cookie": f"session={draft['cookie']}"},
    )
    # Success is the redirect to the confirmation page.
    ok = response.status_code == 302 and "/confirmation" in response.headers.get("location", "")
    return response.status_code if ok or response.status_code != 302 else 599


async def closed_loop(spec: dict[str, Any]) -> list[list[Any]]:
    samples: list[list[Any]] = []
    deadline = time.perf_counter() + spec["seconds"]
    budget = {"left": spec["max_requests"]}
    drafts: list[dict[str, str]] = list(spec.get("drafts", []))
    body = json.dumps(spec["body"]).encode()
    limits = httpx.Limits(max_connections=spec["api_clients"] + spec["web_clients"] + 4)

    async with httpx.AsyncClient(
        base_url=spec["base_url"], limits=limits, timeout=spec.get("timeout", 30)
    ) as client:

        async def worker(channel: str) -> None:
            while time.perf_counter() < deadline and budget["left"] > 0:
                if channel == "web" and not drafts:
                    return
                budget["left"] -= 1
                start = time.perf_counter()
                reference = ""
                try:
                    if channel == "api":
                        status, reference = await _api(client, spec, body)
                    else:
                        status = await _web(client, spec, drafts.pop())
                except httpx.HTTPError as exc:
                    status = f"{type(exc).__name__}"  # type: ignore[assignment]
                samples.append(
                    [channel, start, (time.perf_counter() - start) * 1000, status, reference]
                )

        tasks = [worker("api") for _ in range(spec["api_clients"])]
        tasks += [worker("web") for _ in range(spec["web_clients"])]
        await asyncio.gather(*tasks)
    return samples


async def open_loop(spec: dict[str, Any]) -> list[list[Any]]:
    samples: list[list[Any]] = []
    body = json.dumps(spec["body"]).encode()
    interval = 1 / spec["rate"]
    count = int(spec["seconds"] * spec["rate"])

    async with httpx.AsyncClient(
        base_url=spec["base_url"], timeout=spec.get("timeout", 30)
    ) as client:

        async def one() -> None:
            start = time.perf_counter()
            wall = time.time()
            try:
                status, reference = await _api(client, spec, body)
            except httpx.HTTPError as exc:
                status, reference = type(exc).__name__, ""  # type: ignore[assignment]
            samples.append(["api", wall, (time.perf_counter() - start) * 1000, status, reference])

        begin = time.perf_counter()
        pending = []
        for i in range(count):
            delay = begin + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(one()))
        await asyncio.gather(*pending)
    return samples


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    run = open_loop if spec.get("rate") else closed_loop
    samples = asyncio.run(run(spec))
    json.dump({"samples": samples}, sys.stdout)


if __name__ == "__main__":
    main()
