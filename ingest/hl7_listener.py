"""HL7 v2 MLLP listener on python-hl7's asyncio server; every message gets an ACK or NAK."""
from __future__ import annotations

import asyncio
import logging
import threading

from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from ingest.hl7_ack import build_ack
from ingest.hl7_intake import Hl7Reply, receive_hl7_message, record_rejection
from ingest.parsers.hl7_segments import Hl7Rejected

logger = logging.getLogger(__name__)
CHANNEL = "hl7-mllp"
MAX_BLOCK_BYTES = 1024 * 1024


def decode_block(block: bytes) -> str:
    """UTF-8 (what the samples use), falling back to Latin-1 (MSH-18 '8859/1') instead of failing."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("latin-1")


def handle_block(block: bytes) -> Hl7Reply:
    """Runs in a worker thread: the ORM is synchronous."""
    text = decode_block(block)
    try:
        return receive_hl7_message(text=text, channel=CHANNEL)
    except Exception as exc:  # a bug must cost one NAK, not the listener
        logger.error("hl7 message failed on %s: %s", CHANNEL, type(exc).__name__)
        error = Hl7Rejected("internal error while processing the message", code="207", ack_code="AE")
        return Hl7Reply(ack=build_ack(text, error=error), ack_code="AE")
    finally:
        close_old_connections()


async def handle_connection(reader, writer) -> None:
    try:
        while not writer.is_closing():
            try:
                block = await reader.readblock()
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


async def serve(host: str, port: int, *, started: threading.Event | None = None,
                stop: asyncio.Event | None = None) -> None:
    server = await start_hl7_server(handle_connection, host=host, port=port, limit=MAX_BLOCK_BYTES)
    async with server:
        logger.info("hl7 listener on %s:%s", host, port)
        if started:
            started.set()
        if stop is None:
            await server.serve_forever()
        else:
            await stop.wait()


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
