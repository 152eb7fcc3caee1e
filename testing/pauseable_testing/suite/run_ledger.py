"""The ledger checks as a test module, for ``pauseable conformance --ledger`` (which runs pytest on this file)."""

from pauseable_testing.suite import AbstractScheduleTests, AbstractSkipLedgerTests


class TestLedger(AbstractSkipLedgerTests, AbstractScheduleTests):
    """The skip ledger on seeded schedules, on the backends chosen with --pauseable-backend."""
