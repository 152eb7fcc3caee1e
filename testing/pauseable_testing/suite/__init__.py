"""The conformance suite: the contract of :class:`~pauseable.protocol.PauseController`, as tests.

Each topic module holds one ``Abstract...Tests`` class of plain test methods whose names read as
sentences of the contract. A backend passes the suite when this runs green::

    # test_conformance.py
    from pauseable_testing.suite import ConformanceSuite

    class TestConformance(ConformanceSuite):
        pass

    $ pytest test_conformance.py --pauseable-backend NAME

Every test takes ``harness`` (the plugin's ``pauseable_harness``, parametrized over backends),
``topic``, ``new_topic`` and ``group_id``: class fixtures of :class:`SuiteFixtures` that hand over the
plugin's ``pauseable_``-prefixed ones, so they exist only inside the suite's classes. Override
``pauseable_capabilities`` in a ``conftest.py`` to declare what a backend cannot do, and override a
single test by redefining it under the same name in your subclass.

The skip ledger on seeded schedules (:mod:`pauseable_testing.suite.ledger`) is apart from the suite:
``class TestLedger(AbstractSkipLedgerTests, AbstractScheduleTests)``, or ``pauseable conformance --ledger``.
"""

from __future__ import annotations

from pauseable_testing.suite.concurrency import AbstractConcurrencyTests
from pauseable_testing.suite.errors import AbstractErrorTests
from pauseable_testing.suite.flow import AbstractFlowTests
from pauseable_testing.suite.ledger import AbstractScheduleTests, AbstractSkipLedgerTests
from pauseable_testing.suite.membership import AbstractMembershipTests
from pauseable_testing.suite.offsets import AbstractOffsetTests
from pauseable_testing.suite.pause import AbstractPauseTests
from pauseable_testing.suite.poll import AbstractPollTests
from pauseable_testing.suite.resume import AbstractResumeTests
from pauseable_testing.suite.seek import AbstractSeekTests
from pauseable_testing.suite.topics import AbstractTopicPauseTests

__all__ = [
    "AbstractConcurrencyTests",
    "AbstractErrorTests",
    "AbstractFlowTests",
    "AbstractMembershipTests",
    "AbstractOffsetTests",
    "AbstractPauseTests",
    "AbstractPollTests",
    "AbstractResumeTests",
    "AbstractScheduleTests",
    "AbstractSeekTests",
    "AbstractSkipLedgerTests",
    "AbstractTopicPauseTests",
    "ConformanceSuite",
]


class ConformanceSuite(
    AbstractPauseTests,
    AbstractResumeTests,
    AbstractTopicPauseTests,
    AbstractMembershipTests,
    AbstractSeekTests,
    AbstractOffsetTests,
    AbstractErrorTests,
    AbstractConcurrencyTests,
    AbstractPollTests,
    AbstractFlowTests,
):
    """Every behaviour of the contract; subclass it as ``Test...`` to run it."""
