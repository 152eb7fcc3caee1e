"""Native calls that may never return, run with a deadline.

librdkafka's ``Consumer.close()`` waits as long as its brokers do not answer (a frozen coordinator held
it 60 s here, a frozen cluster over 120 s; librdkafka#3740 reports forever) and can deadlock outright
(a debug log line queued while the close holds that queue's lock). A controller's close must end: the
call runs on a daemon thread, and the caller stops waiting at the deadline. A daemon thread, not an
executor: an executor's threads are joined at interpreter exit, so a hung call would hang the exit too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from pauseable.errors import CloseTimeoutError

#: how long a controller waits for its client's close (librdkafka's own request timeouts are 30-60 s)
CLOSE_TIMEOUT_S = 30.0


def _advice(what: str, timeout_s: float) -> str:
    return (
        f"{what} did not finish within {timeout_s:g} s (its brokers did not answer, or the client hung); "
        "the consumer was given up: the group drops it after session.timeout.ms and pauseable commits "
        "nothing more for it. Check that the cluster answers; what was committed before stays committed"
    )


def _start(call: Callable[[], Any], name: str, done: Callable[[Any, BaseException | None], None]) -> None:
    def run() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to the waiter, which re-raises it
            done(None, exc)
        else:
            done(result, None)

    threading.Thread(target=run, name=name, daemon=True).start()


def call_within(call: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """``call()`` on a daemon thread; its result or exception, or :class:`CloseTimeoutError` at the deadline."""
    finished = threading.Event()
    outcome: list[Any] = []

    def done(result: Any, exc: BaseException | None) -> None:
        outcome[:] = [result, exc]
        finished.set()

    _start(call, f"pauseable-{what}", done)
    if not finished.wait(timeout_s):
        raise CloseTimeoutError(_advice(what, timeout_s))
    result, exc = outcome
    if exc is not None:
        raise exc
    return result


async def call_within_async(call: Callable[[], Any], timeout_s: float, what: str) -> Any:
    """:func:`call_within` for a coroutine: the loop is not blocked while ``call()`` runs."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, exc: BaseException | None) -> None:
        if future.done():
            return  # the waiter gave up at the deadline
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)

    def done(result: Any, exc: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, exc)

    _start(call, f"pauseable-{what}", done)
    try:
        return await asyncio.wait_for(future, timeout_s)
    except asyncio.TimeoutError:
        raise CloseTimeoutError(_advice(what, timeout_s)) from None
