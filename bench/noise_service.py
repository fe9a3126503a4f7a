#!/usr/bin/env python3
"""A CPU-bound HTTP service for the noise rig (bench/noise_rig.sh).

One thread, one event loop: every request costs WORK milliseconds of this thread's CPU time (a spin
on the thread's CPU clock), so its latency depends on how much CPU it gets, and requests queue behind
each other. A service that only sleeps would hide a noisy neighbour; this one feels every CPU hog.

    noise_service.py PORT [WORK_MS]      # default 2.0 ms per request

Answers every request (any method, any path, no body read) with `200 ok`, on keep-alive connections.
"""

import asyncio
import sys
import time


def burn(seconds: float) -> None:
    """Spins until this thread has used `seconds` of CPU time (wall time grows when it gets less)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def serve(port: int, work: float) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                burn(work)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    port = int(sys.argv[1])
    work_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    try:
        asyncio.run(serve(port, work_ms / 1000.0))
    except KeyboardInterrupt:
        pass
