"""The conformance suite on every first-party backend (``pauseable_backends`` in pyproject.toml)."""

from pauseable_testing.suite import ConformanceSuite


class TestConformance(ConformanceSuite):
    """Every behaviour of the contract."""
