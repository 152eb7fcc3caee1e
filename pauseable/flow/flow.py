"""The flows: :class:`Flow` (sync, workers in threads) and :class:`AsyncFlow` (asyncio, workers in tasks).

Every decision lives in :class:`~pauseable.flow.rules.FlowCore`, which does no I/O; a flow carries out its plans
on the controller between polls, and keeps polling however long the work takes, so the member stays in its group.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from pauseable.controller import AsyncController, Controller
from pauseable.errors import AutoCommitError, BackendError
from pauseable.flow.rules import DEAD_LETTER, RETRY, Backpressure, FlowCore, Plan, Retry
from pauseable.protocol import AsyncRebalanceCallback, RebalanceCallback, Topics
from pauseable.types import TopicPartition

_log = logging.getLogger("pauseable")

#: how often a revocation looks whether the revoked partitions' work has finished
_REVOKE_CHECK_S = 0.01


class Flow:
    """Hand records to workers (threads) with backpressure, retries and commits of what finished.

    ``poll`` hands out records; a worker reports each one with :meth:`done` or :meth:`failed` (or
    ``with flow.working(record):``), from any thread, without waiting for a poll. Each partition's finished
    prefix is committed every ``commit_every_s``, at :meth:`commit` and at :meth:`close`. The consumer must not
    commit by itself: built with ``enable.auto.commit`` on, the flow raises :class:`~pauseable.AutoCommitError`.
    """

    __slots__ = ("_core", "_ctl")

    def __init__(
        self,
        controller: Controller[Any],
        *,
        backpressure: Backpressure | None = None,
        retry: Retry | None = None,
        commit_every_s: float = 5.0,
        revoke_wait_s: float = 10.0,
    ) -> None:
        _check_no_auto_commit(controller)
        self._ctl = controller
        self._core = FlowCore(controller.locate, backpressure, retry, commit_every_s, revoke_wait_s)

    @property
    def controller(self) -> Controller[Any]:
        """The controller the flow polls."""
        return self._ctl

    def in_flight(self) -> int:
        """How many records handed out are with workers now."""
        return self._core.in_flight()

    def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: RebalanceCallback | None = None,
        on_revoked: RebalanceCallback | None = None,
    ) -> None:
        """Subscribe through the flow: a revocation waits up to ``revoke_wait_s`` for the revoked partitions' work,
        commits their finished prefix, then calls ``on_revoked``."""

        def revoked(partitions: list[TopicPartition]) -> None:
            deadline = time.monotonic() + self._core.revoke_wait_s
            while self._core.in_flight(partitions) and time.monotonic() < deadline:
                time.sleep(_REVOKE_CHECK_S)
            self._commit_inside(self._core.revoke(partitions))
            if on_revoked is not None:
                on_revoked(partitions)

        self._ctl.subscribe(topics, on_assigned=on_assigned, on_revoked=revoked)

    def _commit_inside(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit from inside the client's rebalance callback: on the adapter directly (the controller's gate is
        held by the poll the callback runs in); a failure is logged (the next owner starts from the last commit)."""
        if not offsets:
            return
        ctl = self._ctl
        try:
            ctl._adapter.commit(offsets)  # also while the consumer closes: its revocation comes inside close
        except Exception as exc:
            _log.warning("%s: commit of revoked partitions failed (%s); they are redelivered", ctl.backend, exc)

    def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[Any]:
        """Records to hand to workers, waiting at most ``timeout`` seconds; none of a paused partition, none
        already finished or with a worker. Call it in a loop, also while the work runs."""
        deadline = time.monotonic() + timeout
        while True:
            plan = self._core.plan(self._ctl.assignment(), max_records)
            self._carry_out(plan)
            wait = min(self._core.wait_s(max(0.0, deadline - time.monotonic())), self._ctl._adapter.poll_slice_s)
            if plan.pace:  # holding records instead of pausing natively: one record a slice keeps the member polling
                time.sleep(wait)
                polled = self._ctl.poll(0.0, 1)
            else:
                polled = self._ctl.poll(0.0 if plan.ready else wait, plan.room)
            paused = (self._ctl.paused()) if self._core.held() else frozenset()
            records, seeks = self._core.hand_out(polled, paused)
            if seeks:  # back to the first record left for lack of room (of a partition still assigned)
                assigned = self._ctl.assignment()
                for tp, offset in seeks.items():
                    if tp in assigned:
                        self._ctl.seek(tp, offset)
            if records or time.monotonic() >= deadline:
                return records

    def _carry_out(self, plan: Plan) -> None:
        for tps, reason in _by_reason(plan.pause):
            self._ctl.pause(tps, reason=reason)
        for tp, offset in plan.seeks.items():
            self._ctl.seek(tp, offset)
        for tps, reason in _by_reason(plan.resume):
            self._ctl.resume(tps, reason=reason)
        if plan.commit:
            try:
                self._ctl.commit(plan.commit)
            except Exception as exc:  # a rebalance under way: the next commit carries it
                _log.warning("%s: periodic commit failed (%s); tried again", self._ctl.backend, exc)
            else:
                self._core.committed(plan.commit)

    def done(self, record: Any) -> None:
        """The record is finished (from any thread); a record of a revoked partition is ignored."""
        self._core.done(record)

    def failed(self, record: Any, error: BaseException) -> None:
        """The record failed (from any thread): retried from its offset after the back-off, or after the last
        attempt handed to the dead letter here, in the caller's thread."""
        verdict, attempts = self._core.failed(record)
        hooks, tp = self._ctl._core.hooks, _partition_of(self._ctl, record)
        if verdict == RETRY:
            hooks.pauseable_retrying(controller=self._ctl, partition=tp[0], offset=tp[1], attempt=attempts, error=error)
        elif verdict == DEAD_LETTER:
            dead_letter = self._core.retry.dead_letter if self._core.retry is not None else None
            try:
                if dead_letter is not None:
                    dead_letter(record, error)
            except Exception as exc:
                _log.warning("%s: dead letter of %s at %d failed (%s); retried", self._ctl.backend, *tp, exc)
                self._core.again(record)
                return
            if self._core.done(record):
                hooks.pauseable_dead_lettered(controller=self._ctl, partition=tp[0], offset=tp[1], error=error)

    @contextlib.contextmanager
    def working(self, record: Any) -> Iterator[Any]:
        """``with flow.working(record):`` the block's end reports the record done, an exception failed (not
        raised further)."""
        try:
            yield record
        except Exception as exc:
            self.failed(record, exc)
        else:
            self.done(record)

    def commit(self) -> None:
        """Commit every partition's finished prefix now."""
        offsets = self._core.to_commit()
        if offsets:
            self._ctl.commit(offsets)
            self._core.committed(offsets)

    def close(self) -> None:
        """Commit the finished prefixes, then close the controller. Work still in flight is delivered again to the
        next owner; so is finished work when the commit fails (the coordinator dropped the member, the broker is
        gone): logged, as at a revocation, not raised."""
        try:
            self.commit()
        except BackendError as exc:
            _close_commit_failed(self._ctl, self._core.to_commit(), exc)
        finally:
            self._ctl.close()


class AsyncFlow:
    """The asyncio twin of :class:`Flow`: workers are tasks, ``failed`` is awaited (the dead letter may be a
    coroutine function); tests/test_twins.py holds the two together."""

    __slots__ = ("_core", "_ctl")

    def __init__(
        self,
        controller: AsyncController[Any],
        *,
        backpressure: Backpressure | None = None,
        retry: Retry | None = None,
        commit_every_s: float = 5.0,
        revoke_wait_s: float = 10.0,
    ) -> None:
        _check_no_auto_commit(controller)
        self._ctl = controller
        self._core = FlowCore(controller.locate, backpressure, retry, commit_every_s, revoke_wait_s)

    @property
    def controller(self) -> AsyncController[Any]:
        """The controller the flow polls."""
        return self._ctl

    def in_flight(self) -> int:
        """How many records handed out are with workers now."""
        return self._core.in_flight()

    async def subscribe(
        self,
        topics: Topics,
        *,
        on_assigned: AsyncRebalanceCallback | None = None,
        on_revoked: AsyncRebalanceCallback | None = None,
    ) -> None:
        """Subscribe through the flow: a revocation waits up to ``revoke_wait_s`` for the revoked partitions' work,
        commits their finished prefix, then calls ``on_revoked``."""

        async def revoked(partitions: list[TopicPartition]) -> None:
            deadline = time.monotonic() + self._core.revoke_wait_s
            while self._core.in_flight(partitions) and time.monotonic() < deadline:
                await asyncio.sleep(_REVOKE_CHECK_S)
            await self._commit_inside(self._core.revoke(partitions))
            if on_revoked is not None:
                await _maybe_await(on_revoked(partitions))

        await self._ctl.subscribe(topics, on_assigned=on_assigned, on_revoked=revoked)

    async def _commit_inside(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit from inside the client's rebalance callback: on the adapter directly (the controller's gate is
        held by the poll the callback runs in); a failure is logged (the next owner starts from the last commit)."""
        if not offsets:
            return
        ctl = self._ctl
        try:
            await ctl._adapter.commit(offsets)  # also while the consumer closes: its revocation comes inside close
        except Exception as exc:
            _log.warning("%s: commit of revoked partitions failed (%s); they are redelivered", ctl.backend, exc)

    async def poll(self, timeout: float = 1.0, max_records: int = 500) -> list[Any]:
        """Records to hand to workers, waiting at most ``timeout`` seconds; none of a paused partition, none
        already finished or with a worker. Call it in a loop, also while the work runs."""
        deadline = time.monotonic() + timeout
        while True:
            plan = self._core.plan(await self._ctl.assignment(), max_records)
            await self._carry_out(plan)
            wait = min(self._core.wait_s(max(0.0, deadline - time.monotonic())), self._ctl._adapter.poll_slice_s)
            if plan.pace:  # holding records instead of pausing natively: one record a slice keeps the member polling
                await asyncio.sleep(wait)
                polled = await self._ctl.poll(0.0, 1)
            else:
                polled = await self._ctl.poll(0.0 if plan.ready else wait, plan.room)
            paused = (await self._ctl.paused()) if self._core.held() else frozenset()
            records, seeks = self._core.hand_out(polled, paused)
            if seeks:  # back to the first record left for lack of room (of a partition still assigned)
                assigned = await self._ctl.assignment()
                for tp, offset in seeks.items():
                    if tp in assigned:
                        await self._ctl.seek(tp, offset)
            if records or time.monotonic() >= deadline:
                return records

    async def _carry_out(self, plan: Plan) -> None:
        for tps, reason in _by_reason(plan.pause):
            await self._ctl.pause(tps, reason=reason)
        for tp, offset in plan.seeks.items():
            await self._ctl.seek(tp, offset)
        for tps, reason in _by_reason(plan.resume):
            await self._ctl.resume(tps, reason=reason)
        if plan.commit:
            try:
                await self._ctl.commit(plan.commit)
            except Exception as exc:
                _log.warning("%s: periodic commit failed (%s); tried again", self._ctl.backend, exc)
            else:
                self._core.committed(plan.commit)

    def done(self, record: Any) -> None:
        """The record is finished (from any task); a record of a revoked partition is ignored."""
        self._core.done(record)

    async def failed(self, record: Any, error: BaseException) -> None:
        """The record failed: retried from its offset after the back-off, or after the last attempt handed to the
        dead letter here, in the caller's task."""
        verdict, attempts = self._core.failed(record)
        hooks, tp = self._ctl._core.hooks, _partition_of(self._ctl, record)
        if verdict == RETRY:
            hooks.pauseable_retrying(controller=self._ctl, partition=tp[0], offset=tp[1], attempt=attempts, error=error)
        elif verdict == DEAD_LETTER:
            dead_letter = self._core.retry.dead_letter if self._core.retry is not None else None
            try:
                if dead_letter is not None:
                    await _maybe_await(dead_letter(record, error))
            except Exception as exc:
                _log.warning("%s: dead letter of %s at %d failed (%s); retried", self._ctl.backend, *tp, exc)
                self._core.again(record)
                return
            if self._core.done(record):
                hooks.pauseable_dead_lettered(controller=self._ctl, partition=tp[0], offset=tp[1], error=error)

    @contextlib.asynccontextmanager
    async def working(self, record: Any) -> AsyncIterator[Any]:
        """``async with flow.working(record):`` the block's end reports the record done, an exception failed (not
        raised further)."""
        try:
            yield record
        except Exception as exc:
            await self.failed(record, exc)
        else:
            self.done(record)

    async def commit(self) -> None:
        """Commit every partition's finished prefix now."""
        offsets = self._core.to_commit()
        if offsets:
            await self._ctl.commit(offsets)
            self._core.committed(offsets)

    async def close(self) -> None:
        """As :meth:`Flow.close`."""
        try:
            await self.commit()
        except BackendError as exc:
            _close_commit_failed(self._ctl, self._core.to_commit(), exc)
        finally:
            await self._ctl.close()


def _close_commit_failed(
    controller: Controller[Any] | AsyncController[Any], offsets: dict[TopicPartition, int], exc: BaseException
) -> None:
    prefixes = ", ".join(f"{tp} below offset {offset}" for tp, offset in sorted(offsets.items()))
    _log.warning(
        "%s: commit at close failed (%s); finished records of %s not committed: the next owner starts from the "
        "group's last commit, and what finished after it is delivered again",
        controller.backend, exc, prefixes,
    )  # fmt: skip


def _check_no_auto_commit(controller: Controller[Any] | AsyncController[Any]) -> None:
    """A flow commits only what finished: a consumer committing by itself would commit work still in flight."""
    setting = controller._adapter.auto_commit(controller._lookup_config)
    if setting is None:
        raise AutoCommitError(
            f"a flow needs to know that the {controller.backend} consumer does not commit by itself, and this "
            "client does not tell: build the controller with lookup_config=<the consumer's configuration>"
        )
    name, on = setting
    if on:
        raise AutoCommitError(
            f"the {controller.backend} consumer commits by itself ({name} is on, the client's default): a flow "
            f"would see records handed to workers but not finished committed; build the consumer with {name}=False "
            "(the flow commits each partition's finished prefix)"
        )


def _by_reason(partitions: dict[TopicPartition, str]) -> list[tuple[list[TopicPartition], str]]:
    groups: dict[str, list[TopicPartition]] = {}
    for tp, reason in partitions.items():
        groups.setdefault(reason, []).append(tp)
    return [(tps, reason) for reason, tps in sorted(groups.items())]


def _partition_of(controller: Controller[Any] | AsyncController[Any], record: Any) -> tuple[TopicPartition, int]:
    topic, partition, offset = controller.locate(record)
    return TopicPartition(topic, partition), offset


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
