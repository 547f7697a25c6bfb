"""GS1 Digital Link paths for battery passports (pure): /01/{gtin14}/21/{serial}.

GTIN-8/12/13/14 are normalised to 14 digits by left zero-padding and must carry a valid mod-10
check digit; the serial (AI 21) is X..20 from GS1 character set 82 [REFERENCE §3.1-3.3, GS1-DICT,
GS1-CSUM, BWIPP-DL]. Refusals carry a stable code and a message in the user's language.
"""
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

MSG_GTIN_DIGITS = _("A GTIN has 8, 12, 13 or 14 digits.")
MSG_GTIN_CHECK = _("The GTIN's check digit is wrong: this code was mistyped or damaged.")
MSG_SERIAL = _("A serial number (AI 21) has 1 to 20 characters from the GS1 character set 82.")

# CSET 82: ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z
CSET82_RE = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")


class CodeError(Exception):
    def __init__(self, code: str, message) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


def gs1_check_digit(body: str) -> int:
    """Mod-10 check digit of all digits but the last: weights 3,1,3,… from the right."""
    total = sum(int(char) * (3 if index % 2 == 0 else 1) for index, char in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(value: str) -> str:
    digits = (value or "").strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise CodeError("gtin_format", MSG_GTIN_DIGITS)
    if gs1_check_digit(digits[:-1]) != int(digits[-1]):
        raise CodeError("gtin_check_digit", MSG_GTIN_CHECK)
    return digits.zfill(14)


def check_serial(value: str) -> str:
    if not CSET82_RE.match(value or ""):
        raise CodeError("serial_format", MSG_SERIAL)
    return value


@dataclass(frozen=True)
class DigitalLink:
    gtin: str
    serial: str

    @property
    def path(self) -> str:
        return f"/01/{self.gtin}/21/{quote(self.serial, safe='')}"


def parse(gtin: str, serial: str) -> DigitalLink:
    return DigitalLink(gtin=normalise_gtin(gtin), serial=check_serial(serial))


def link_for(gtin: str, serial: str) -> DigitalLink | None:
    """The Digital Link of a unit, or None when it has no (valid) GTIN and serial."""
    try:
        return parse(gtin, serial)
    except CodeError:
        return None
