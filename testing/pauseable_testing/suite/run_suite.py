"""The suite as a test module, for ``pauseable conformance`` (which runs pytest on this file)."""

from pauseable_testing.suite import ConformanceSuite


class TestConformance(ConformanceSuite):
    """Every behaviour of the contract, on the backends chosen with --pauseable-backend."""
