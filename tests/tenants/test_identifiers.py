import pytest

from apps.tenants.identifiers import is_valid_eori, is_valid_slug, is_valid_uscc, schema_name_for, uscc_check_char


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "91440300708461136T"])
def test_uscc_check_character_of_registered_companies(code):
    # Codes as printed on business licences: the computed check character must match theirs.
    assert uscc_check_char(code[:17]) == code[17]
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",  # wrong check character
    "91350100M000100Y4",  # too short
    "91350100M000100I43",  # I is not in the character set
    "91350100m000100y43",  # lowercase is not accepted by the validator (the service upper-cases)
])
def test_uscc_rejects(code):
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("code,ok", [("DE123456789012345", True), ("CN1234", True), ("D1234", False),
                                     ("DE1234567890123456", False), ("de123", False)])
def test_eori_structure(code, ok):
    assert is_valid_eori(code) is ok


@pytest.mark.parametrize("slug,ok", [
    ("acme", True), ("acme-recycling", True), ("a1", False), ("1acme", False), ("acme_recycling", False),
    ("acme--x", False), ("acme-", False), ("www", False), ("tenant-template", False), ("x" * 41, False),
])
def test_slug_is_a_dns_label_without_underscore(slug, ok):
    assert is_valid_slug(slug) is ok


def test_schema_name_replaces_hyphens():
    assert schema_name_for("acme-recycling") == "acme_recycling"
