#!/usr/bin/env python3
"""A TCP proxy that delays every byte by D ms in each direction, keeping order: a network's latency
between greencrawl's workers and PostgreSQL on one machine (this kernel has no netem).

  delay_proxy.py --listen PORT (--to HOST:PORT | --to-unix SOCKET) --delay-ms D [--port-file FILE]

Listens on 127.0.0.1:PORT (0: any free port, written to --port-file once listening) and forwards each
connection to HOST:PORT or to a unix socket (tests/pg_server.sh's server listens on one only). Each chunk read is written out D ms after it arrived, in arrival order per
direction (a queue per direction drained by one task), so the proxy adds latency, not reordering; the
bandwidth is not limited. A half-close is passed on after the data before it. 127.0.0.1 only.
"""
import argparse
import asyncio
import os
import socket
import time


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def read():
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return

    async def write():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--to")
    ap.add_argument("--to-unix")
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    if bool(args.to) == bool(args.to_unix):
        raise SystemExit("delay_proxy: give one of --to, --to-unix")
    if args.to:
        host, port = args.to.rsplit(":", 1)
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("delay_proxy: forwards to 127.0.0.1 / ::1 only")
    delay = args.delay_ms / 1000.0

    async def handle(client_reader, client_writer):
        try:
            if args.to_unix:
                server_reader, server_writer = await asyncio.open_unix_connection(args.to_unix)
            else:
                server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        for w in (client_writer, server_writer):
            sock = w.get_extra_info("socket")
            if sock is not None and sock.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(pump(client_reader, server_writer, delay), pump(server_reader, client_writer, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.sockets[0].getsockname()[1]))
        os.replace(tmp, args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
