"""Pure validators for organisation registration identifiers.

- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from the set
  0-9 and A-Y without I, O, S, V, Z; the last one is a check character (weighted sum mod 31).
- EORI number (EU customs): ISO 3166 alpha-2 country code followed by up to 15 letters/digits
  (Commission Regulation (EU) 2015/2447 Art. 7 sets only this structure; no check digit).
- Organisation slug: a DNS label (lowercase letters, digits, hyphen; no underscore, because
  django-tenants answers a silent 404 for hosts with `_`).
"""
import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset({"www", "api", "static", "media", "public", "admin", "mail", "verify",
                            "tenant-template", "auditors", "help", "status"})


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(ch not in USCC_CHARSET for ch in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def is_valid_eori(code: str) -> bool:
    return bool(_EORI.match(code))


def is_valid_slug(slug: str) -> bool:
    return bool(_SLUG.match(slug)) and "--" not in slug and slug not in RESERVED_SLUGS


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")
