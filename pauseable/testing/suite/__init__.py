"""The conformance suite: the contract of :class:`~pauseable.protocol.PauseController`, as tests.

Each topic module holds one ``Abstract...Tests`` class of plain test methods whose names read as
sentences of the contract. A backend passes the suite when this runs green::

    # test_conformance.py
    from pauseable.testing.suite import ConformanceSuite

    class TestConformance(ConformanceSuite):
        pass

    $ pytest test_conformance.py --pauseable-backend NAME

Every test takes the ``harness`` fixture (parametrized over backends by the plugin) and the cluster
fixtures; override ``pauseable_capabilities`` in a ``conftest.py`` to declare what a backend cannot
do, and override a single test by redefining it under the same name in your subclass.
"""

from __future__ import annotations

from pauseable.testing.suite.concurrency import AbstractConcurrencyTests
from pauseable.testing.suite.errors import AbstractErrorTests
from pauseable.testing.suite.membership import AbstractMembershipTests
from pauseable.testing.suite.offsets import AbstractOffsetTests
from pauseable.testing.suite.pause import AbstractPauseTests
from pauseable.testing.suite.poll import AbstractPollTests
from pauseable.testing.suite.resume import AbstractResumeTests
from pauseable.testing.suite.seek import AbstractSeekTests
from pauseable.testing.suite.topics import AbstractTopicPauseTests

__all__ = [
    "AbstractConcurrencyTests",
    "AbstractErrorTests",
    "AbstractMembershipTests",
    "AbstractOffsetTests",
    "AbstractPauseTests",
    "AbstractPollTests",
    "AbstractResumeTests",
    "AbstractSeekTests",
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
):
    """Every behaviour of the contract; subclass it as ``Test...`` to run it."""
