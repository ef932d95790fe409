#!/usr/bin/env python3
"""Issue 10's event benchmark: N Server-Sent Event subscribers (raw sockets, asyncio) on the
national stream /pictures/events, spread over the given tokens; the information manager
publishes ROUNDS versions; for each the time from sending the publish request to its receipt by
every subscriber. Prints p50, p99 and max over all receipts."""
import asyncio, json, statistics, sys, time, urllib.request

base, manager, region, rounds, tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
host, port = base.split("//")[1].split(":")
port = int(port)
N = int(__import__("os").environ.get("SUBSCRIBERS", "1000"))

received = {}  # version -> list of receive times


async def subscriber(i, token, ready):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(f"GET /pictures/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    buf = b""
    opened = False
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        buf += chunk
        if not opened and b"retry:" in buf:
            opened = True
            ready.release()
        while b'"version":' in buf:
            at = buf.index(b'"version":')
            end = at + len(b'"version":')
            digits = b""
            while end < len(buf) and buf[end:end + 1].isdigit():
                digits += buf[end:end + 1]
                end += 1
            if end >= len(buf):
                break
            received.setdefault(int(digits), []).append(time.perf_counter())
            buf = buf[end:]


def request(method, path, token, body=b""):
    req = urllib.request.Request(base + path, data=body if method == "POST" else None, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


async def main():
    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(subscriber(i, tokens[i % len(tokens)], ready)) for i in range(N)]
    for _ in range(N):
        await asyncio.wait_for(ready.acquire(), 60)
    print(f"{N} subscribers connected", flush=True)
    latencies = []
    loop = asyncio.get_running_loop()
    for r in range(rounds):
        threat = {"type": "threat", "hazard": "storm", "headline": f"Bench {r}", "severity": "Moderate", "urgency": "Expected",
                  "certainty": "Possible", "validFrom": "2026-12-01T00:00:00Z",
                  "area": {"crs": "EPSG:28992", "circles": [{"center": [136000, 455000], "radiusMetres": 2000}]}}
        item = await loop.run_in_executor(None, request, "POST", f"/pictures/{region}/contributions", manager, json.dumps(threat).encode())
        await loop.run_in_executor(None, request, "POST", f"/pictures/{region}/contributions/{item['id']}/accept", manager)
        sent = time.perf_counter()
        version = (await loop.run_in_executor(None, request, "POST", f"/pictures/{region}/versions", manager))["version"]
        deadline = time.perf_counter() + 10
        while len(received.get(version, [])) < N and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        got = received.get(version, [])
        latencies += [t - sent for t in got]
        print(f"version {version}: {len(got)}/{N} received, max {max(got) - sent if got else float('nan'):.3f} s", flush=True)
        await asyncio.sleep(0.5)
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    print(f"publish -> receipt over {len(latencies)} receipts: p50 {q(0.5) * 1000:.0f} ms, p99 {q(0.99) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    for t in tasks:
        t.cancel()

asyncio.run(main())
