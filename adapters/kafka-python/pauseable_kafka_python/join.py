"""A cure for kafka-python 3.0.x losing a group join that finished while no ``poll()`` waited for it.

``BaseCoordinator.join_group_async`` keeps its JoinGroup -> SyncGroup task across polls, so a poll that
times out does not send a second JoinGroup; but a join that finishes between polls is lost two ways:

1. The next poll starts a new task whenever the kept one ``is_done`` (``if self._join_task is None or
   self._join_task.is_done``), also when it *succeeded*: the assignment it brought is dropped and a new
   JoinGroup sent. A member whose join completes between its polls (short polls; several members polled in
   turn from one thread; a loaded machine) rejoins forever and is never assigned anything.
2. A rejoin the leader starts because the metadata changed (a topic it subscribed to appeared, or gained
   partitions) is asked for by ``need_rejoin()`` comparing metadata snapshots, not by the ``rejoin_needed``
   flag; the leader's assignment inside the task updates the snapshot, so once the task is done
   ``need_rejoin()`` is False, no poll takes the answer up, and the member keeps its old assignment (none, for
   a topic created just before it subscribed) while the group believes it owns the new one — for good.

The cure keeps the answer of a finished attempt until the client takes it up (``_on_join_complete_async``) and
hands it to the next attempt instead of asking the broker again, while the member's generation is still the
one that answer belongs to; and, like the Java client's ``rejoinNeededOrPending()``, counts an attempt not
yet taken up as a rejoin needed. tests/test_native_behaviour.py shows both natively.
"""

from __future__ import annotations

from typing import Any

_CURED = "_pauseable_keeps_finished_joins"


def keep_finished_joins(consumer: Any) -> None:
    """Apply the cure to ``consumer``'s group coordinator (once; nothing on clients without the join task)."""
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or not hasattr(coordinator, "_join_task") or getattr(coordinator, _CURED, False):
        return
    join_and_sync = coordinator._do_join_and_sync_async
    join_complete = coordinator._on_join_complete_async
    need_rejoin = coordinator.need_rejoin
    #: the (generation, assignment) of an attempt that finished and was not yet taken up
    finished: list[tuple[Any, Any]] = []

    async def join_and_sync_once() -> Any:
        if finished and finished[0][0] is coordinator._generation:  # not reset since: the answer still holds
            return finished[0][1]
        finished.clear()
        assignment = await join_and_sync()
        finished[:] = [(coordinator._generation, assignment)]
        return assignment

    async def taken_up(*args: Any, **kwargs: Any) -> Any:
        finished.clear()
        return await join_complete(*args, **kwargs)

    def needed_or_pending() -> bool:
        return coordinator._join_task is not None or bool(finished) or need_rejoin()

    coordinator._do_join_and_sync_async = join_and_sync_once
    coordinator._on_join_complete_async = taken_up
    coordinator.need_rejoin = needed_or_pending
    setattr(coordinator, _CURED, True)
