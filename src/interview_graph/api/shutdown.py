"""Knowing that the server is shutting down while responses are still open.

uvicorn, told to stop (SIGINT or SIGTERM), waits for every open response to end before it
runs the app's shutdown. A stream that lasts as long as a job would hold it up, so streams
watch the event `shutdown_notice` gives: set as soon as the signal arrives, they end, their
clients reconnect later (Server-Sent Events resume from the last id they saw), and the
shutdown goes on. The server's own handlers still run: ours only comes first. Where signals
cannot be caught (not the main thread, e.g. a test client), the event is set when the app
shuts down.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@asynccontextmanager
async def shutdown_notice() -> AsyncIterator[asyncio.Event]:
    ending = asyncio.Event()
    loop = asyncio.get_running_loop()
    restore = _before_signal_handlers(lambda: loop.call_soon_threadsafe(ending.set))
    try:
        yield ending
    finally:
        ending.set()
        restore()


def _before_signal_handlers(notify: Callable[[], object]) -> Callable[[], None]:
    """Run `notify` first whenever SIGINT or SIGTERM arrives, then the handler that was there
    (only signals a Python handler already takes are touched). Returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    chained: dict[int, tuple[Any, Any]] = {}
    for sig in SIGNALS:
        previous = signal.getsignal(sig)
        if callable(previous):
            handler = _chain(notify, previous)
            signal.signal(sig, handler)
            chained[sig] = (previous, handler)

    def restore() -> None:
        for sig, (previous, handler) in chained.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)

    return restore


def _chain(
    notify: Callable[[], object], previous: Callable[[int, FrameType | None], Any]
) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        notify()
        previous(signum, frame)

    return handler
