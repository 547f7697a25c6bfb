import pytest

pytest.register_assert_rewrite("tests.evidence.fixtures")

from tests.evidence.fixtures import people, upload, vault  # noqa: E402, F401 - fixtures for the vault's tests
