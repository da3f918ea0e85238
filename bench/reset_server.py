#!/usr/bin/env python3
"""A server for issue 12.3's benchmark: answers every request after DELAY ms, except that it resets the
connection (RST, no answer) on the first two requests for RESET_PERCENT % of the paths (two: libcurl
itself retries a request that died on a reused connection once, and the crawler's own retry is measured). Keep-alive, asyncio,
127.0.0.1 only. Usage: reset_server.py PORT DELAY_MS RESET_PERCENT"""
import asyncio
import socket
import struct
import sys
import zlib

port, delay, percent = int(sys.argv[1]), int(sys.argv[2]) / 1000.0, float(sys.argv[3])
seen = {}
body = b"<title>page</title>" + b"x" * 1000


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            await asyncio.sleep(delay)
            n = seen.get(path, 0)
            seen[path] = n + 1
            if n < 2 and zlib.crc32(path) % 10000 < percent * 100:
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.close()
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
