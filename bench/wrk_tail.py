#!/usr/bin/env python3
"""How wrk's latency percentiles weigh a few slow answers.

Starts an HTTP server on 127.0.0.1 that answers at once, except every EVERY-th request,
which it answers after DELAY seconds; runs `wrk -t2 -c64 -d10s --latency` against it; and
prints how many requests were slow next to the percentiles wrk reports. If wrk weighed every
request alike, its p99 would be the fast answer as long as fewer than 1 % are slow.

    bench/wrk_tail.py [EVERY] [DELAY]        # defaults: 20000 0.5
"""

import asyncio
import re
import subprocess
import sys
import threading

EVERY = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
PORT = 18099
served = {"all": 0, "slow": 0}


async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            served["all"] += 1
            if served["all"] % EVERY == 0:
                served["slow"] += 1
                await asyncio.sleep(DELAY)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except ConnectionError:
        pass


def serve(ready):
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", PORT)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


ready = threading.Event()
threading.Thread(target=serve, args=(ready,), daemon=True).start()
ready.wait()
out = subprocess.run(
    ["wrk", "-t2", "-c64", "-d10s", "--latency", f"http://127.0.0.1:{PORT}/"],
    capture_output=True,
    text=True,
    check=True,
).stdout
pct = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M))
mean = re.search(r"Latency\s+(\S+)", out).group(1)
share = 100.0 * served["slow"] / max(served["all"], 1)
print(f"requests served: {served['all']}, of them delayed {DELAY} s: {served['slow']} ({share:.4f} %)")
print(f"wrk: mean {mean}, p50 {pct.get('50')}, p90 {pct.get('90')}, p99 {pct.get('99')}")
