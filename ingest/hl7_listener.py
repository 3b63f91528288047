"""HL7 v2 MLLP listener on python-hl7's asyncio server; every message gets an ACK or NAK."""
from __future__ import annotations

import asyncio
import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from ingest.hl7_ack import build_ack, lenient_msh
from ingest.hl7_intake import Hl7Reply, receive_hl7_message, record_rejection
from ingest.parsers.hl7_segments import Hl7Rejected, decode_undeclared

logger = logging.getLogger(__name__)
CHANNEL = "hl7-mllp"
START_BLOCK, FRAME_END = b"\x0b", b"\x1c\r"


# MSH-18 values (HL7 table 0211) and the codecs that read them; without MSH-18, UTF-8 then Latin-1.
CHARSETS = {"ASCII": "ascii", "UNICODE UTF-8": "utf-8", "UNICODE": "utf-8", **{
    f"8859/{n}": f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)}}


def decode_block(block: bytes) -> str:
    """The message text in the character set its MSH-18 names (a UTF-8 byte-order mark is dropped). Bytes
    that are not valid in that set become U+FFFD rather than being misread as another set."""
    block = block.removeprefix(b"\xef\xbb\xbf")
    codec = CHARSETS.get(declared_charset(block))
    if codec:
        return block.decode(codec, errors="replace")
    return decode_undeclared(block)


def declared_charset(block: bytes) -> str:
    """MSH-18 of the raw message ('' when absent): the header is ASCII whatever the body's set."""
    header = block.split(b"\r", 1)[0].split(b"\n", 1)[0]  # only the MSH line, not the whole message
    msh = lenient_msh(header.decode("ascii", errors="replace"))
    return msh.get(18).upper() if msh else ""


def handle_block(block: bytes) -> Hl7Reply:
    """Runs in a worker thread: the ORM is synchronous."""
    try:
        return receive_hl7_message(text=decode_block(block), channel=CHANNEL)
    finally:
        close_old_connections()


async def read_frame(reader) -> bytes:
    """The content of the next MLLP frame.

    What precedes the frame's last start block is dropped: stray bytes between frames (a newline some
    senders add), or a frame the sender abandoned and restarted, whose partial message must not become
    part of the next one (it would file that report under the abandoned message's patient).
    Raises InvalidBlockError without any start block, ValueError when the frame exceeds the limit."""
    try:
        raw = await reader.readuntil(FRAME_END)
    except asyncio.LimitOverrunError as overrun:
        reader._buffer.clear()  # what python-hl7's readblock does: the oversized frame is dropped whole
        reader._maybe_resume_transport()
        raise ValueError(str(overrun)) from None
    start = raw.rfind(START_BLOCK)
    if start < 0:
        raise InvalidBlockError("no <VT> start block")
    return raw[start + 1:-len(FRAME_END)]


async def handle_connection(reader, writer) -> None:
    idle = float(getattr(settings, "HL7_IDLE_TIMEOUT_SECONDS", 600))
    try:
        while not writer.is_closing():
            try:
                block = await asyncio.wait_for(read_frame(reader), timeout=idle)
            except TimeoutError:  # a silent or stuck sender must not hold a connection (and its buffer) forever
                logger.info("hl7 connection closed after %.0f s without a complete frame", idle)
                break
            except (InvalidBlockError, ValueError):
                error = Hl7Rejected("invalid MLLP framing (no <VT> start block, or block too large)", code="100")
                await asyncio.to_thread(record_rejection, channel=CHANNEL, error=error)
                writer.writeblock(build_ack("", error=error).encode("utf-8"))
                await writer.drain()
                break
            reply = await asyncio.to_thread(handle_block, block)
            writer.writeblock(reply.ack.encode("utf-8"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def tracked_connections(handler, limit: int, open_tasks: set):
    """At most `limit` connections at once (one more is closed at once; the sender retries later); the
    task of each open one is kept in `open_tasks`, so stopping can close them cleanly."""

    async def tracked(reader, writer) -> None:
        if len(open_tasks) >= limit:
            logger.warning("hl7 connection refused: %d already open (HL7_MAX_CONNECTIONS)", limit)
            writer.close()
            return
        task = asyncio.current_task()
        open_tasks.add(task)
        try:
            await handler(reader, writer)
        finally:
            open_tasks.discard(task)

    return tracked


async def serve(host: str, port: int, *, started: threading.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    open_tasks: set[asyncio.Task] = set()
    handler = tracked_connections(handle_connection, int(getattr(settings, "HL7_MAX_CONNECTIONS", 64)), open_tasks)
    # a frame may hold the largest message accepted plus its framing; the intake checks the exact limit
    limit = int(getattr(settings, "HL7_MAX_MESSAGE_BYTES", 1024 * 1024)) + 16
    server = await start_hl7_server(handler, host=host, port=port, limit=limit)
    try:
        async with server:
            logger.info("hl7 listener on %s:%s", host, port)
            if started:
                started.set()
            if stop is None:
                await server.serve_forever()
            else:
                await stop.wait()
    finally:  # connections still open are closed while the loop runs, not torn down with it
        for task in list(open_tasks):
            task.cancel()
        await asyncio.gather(*open_tasks, return_exceptions=True)


class ListenerThread:
    """The listener in a background thread of this process (tests, embedded use)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.started = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        self._loop.run_until_complete(serve(self.host, self.port, started=self.started, stop=self._stop))

    def start(self, timeout: float = 5.0) -> "ListenerThread":
        self._thread.start()
        if not self.started.wait(timeout):
            raise RuntimeError(f"hl7 listener did not start on {self.host}:{self.port}")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=5)
