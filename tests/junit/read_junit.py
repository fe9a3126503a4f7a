"""Reads a JUnit XML file with junitparser (a third-party consumer, as CI tools are) and prints one
line per suite: its name, the tests/failures/errors attributes, and the cases junitparser sees as
passed, failed and skipped. Used by tests/junit_report.rs; needs `pip install junitparser`."""

import sys

from junitparser import Failure, JUnitXml

xml = JUnitXml.fromfile(sys.argv[1])
for suite in xml:
    cases = list(suite)
    failed = sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result))
    skipped = sum(1 for c in cases if c.is_skipped)
    passed = sum(1 for c in cases if c.is_passed)
    print(
        f"{suite.name} tests={suite.tests} failures={suite.failures} errors={suite.errors}"
        f" passed={passed} failed={failed} skipped={skipped}"
    )
