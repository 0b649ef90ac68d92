"""The browser fixtures of tests/browser, for the notices' browser test in this folder."""

from tests.browser.conftest import (  # noqa: F401
    _audit_triggers_lifted,
    browser,
    browser_log,
    new_page,
    pytest_runtest_teardown,
)
