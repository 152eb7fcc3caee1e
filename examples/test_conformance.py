# test_conformance.py: the whole conformance test of a backend
from pauseable_testing.suite import ConformanceSuite


class TestConformance(ConformanceSuite):
    pass
