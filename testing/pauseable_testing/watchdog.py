"""A bound on each behaviour of the suite, applied by the plugin itself (no pytest-timeout needed).

:class:`Watchdog` runs a timer beside the test. When the behaviour runs past its bound, the timer raises
:class:`BehaviourTimeout` in the test's thread (at its next Python instruction: a harness poll returns
within a fraction of a second), with a message naming the behaviour and the harness's last call. A
test stuck inside a client's native code for ``grace_s`` more is ended: every thread's stack is written
to stderr and the process exits, so a run never hangs without a word.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import sys
import threading
from collections.abc import Callable
from types import TracebackType

#: how long past the bound a test may stay inside native code before the process is ended
GRACE_S = 60.0


class BehaviourTimeout(AssertionError):
    """A behaviour ran past ``--pauseable-behaviour-timeout``."""


class Watchdog:
    """Raise :class:`BehaviourTimeout` in this thread when the ``with`` block runs past ``seconds``."""

    def __init__(self, seconds: float, describe: Callable[[], str], grace_s: float = GRACE_S) -> None:
        self.seconds = seconds
        self.describe = describe
        self.grace_s = grace_s
        self._thread_id = threading.get_ident()
        self._lock = threading.Lock()
        self._fired = False
        self._done = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Watchdog:
        self._thread_id = threading.get_ident()
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            raised = exc_type is not None and issubclass(exc_type, BehaviourTimeout)
            if self._fired and not raised:  # it fired as the block ended: drop the pending exception
                _set_async_exc(self._thread_id, None)

    def _fire(self) -> None:
        message = self.describe()
        with self._lock:
            if self._done:
                return
            self._fired = True
            # A fresh class carrying the message: the interpreter raises it by calling it with no arguments.
            timeout = type("BehaviourTimeout", (BehaviourTimeout,), {"__init__": _init_with(message)})
            _set_async_exc(self._thread_id, timeout)
        ender = threading.Timer(self.grace_s, self._end_process, (message,))
        ender.daemon = True
        ender.start()

    def _end_process(self, message: str) -> None:
        with self._lock:
            if self._done:
                return
        sys.stderr.write(
            f"\n{message}\nthe test is still inside native code {self.grace_s:.0f} s later; every thread's stack:\n"
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)


def _init_with(message: str) -> Callable[..., None]:
    def __init__(self: BehaviourTimeout, *args: object) -> None:
        AssertionError.__init__(self, message)

    return __init__


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)
