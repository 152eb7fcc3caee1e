"""The short fixture names the suite's tests read with, inside the suite's classes only.

The plugin's fixtures are all prefixed ``pauseable_`` so they never shadow a project's own; these class
fixtures give the suite's tests the short names (``harness``, ``topic``, ``new_topic``, ``group_id``)
without adding them to anyone else's tests.
"""

from __future__ import annotations

import pytest

from pauseable_testing.harness import BackendHarness, NewTopic


class SuiteFixtures:
    """Base of every ``Abstract...Tests`` class: the plugin's fixtures under the names the tests use."""

    @pytest.fixture
    def harness(self, pauseable_harness: BackendHarness) -> BackendHarness:
        """Consumers of the backend under test (``pauseable_harness``)."""
        return pauseable_harness

    @pytest.fixture
    def new_topic(self, pauseable_new_topic: NewTopic) -> NewTopic:
        """A factory of fresh topics (``pauseable_new_topic``)."""
        return pauseable_new_topic

    @pytest.fixture
    def topic(self, pauseable_topic: str) -> str:
        """A fresh single-partition topic (``pauseable_topic``)."""
        return pauseable_topic

    @pytest.fixture
    def group_id(self, pauseable_group_id: str) -> str:
        """A fresh consumer group id (``pauseable_group_id``)."""
        return pauseable_group_id
