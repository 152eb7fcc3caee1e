"""Stopping an ``AIOKafkaConsumer`` whole: the application's consumer (the adapter's close) and the control reader."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any


async def stop_consumer(consumer: Any) -> None:
    """``consumer.stop()``, finished when aiokafka 0.14 raises ``CancelledError`` out of it (see
    :func:`_finish_stop`); a cancellation of the caller itself goes through."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        # this close cancelled (or Python 3.10, which cannot tell): let it through
        cancelling = getattr(asyncio.current_task(), "cancelling", None)
        if cancelling is None or cancelling():
            raise
        await _finish_stop(consumer)


async def _finish_stop(consumer: Any) -> None:
    """The rest of ``AIOKafkaConsumer.stop()`` after aiokafka 0.14's fetcher raised ``CancelledError`` out of it:
    ``Fetcher.close`` cancels its pending fetch tasks and awaits each without suppressing their cancellation, so a
    fetch waiting out its retry back-off (its broker just died) ends ``stop()`` there, before the client's
    connections are closed (they leak; the consumer reads as closed, so a second ``stop()`` does nothing).
    Pinned by tests/test_faults.py::test_aiokafka_stop_raises_cancelled_error_when_a_fetch_waits_out_its_back_off."""
    fetcher = getattr(consumer, "_fetcher", None)
    for pending in list(getattr(fetcher, "_pending_tasks", ())):
        pending.cancel()
        with suppress(asyncio.CancelledError):
            await pending
    await consumer._client.close()
