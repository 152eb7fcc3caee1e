"""Flow control: backpressure, long-running work and retries with dead letters, on every backend.

>>> flow = pauseable.Flow(controller, backpressure=pauseable.Backpressure(high=100), retry=pauseable.Retry())
>>> for record in flow.poll(1.0): pool.submit(work, record)   # the worker calls flow.done(record)
"""

from __future__ import annotations

from pauseable.flow.flow import AsyncFlow, Flow
from pauseable.flow.rules import Backpressure, FlowCore, Retry

__all__ = ["AsyncFlow", "Backpressure", "Flow", "FlowCore", "Retry"]
