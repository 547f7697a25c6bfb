"""Battery identifiers: pure, documented validators (no database access).

Every rule carries the source key of ../shared/REFERENCE.md it encodes ([C] primary, [S] secondary,
[U] unconfirmed and therefore configurable). Validators return a `CodeCheck`: the normalised value,
the parts they decoded and a tuple of `Issue`s (stable code + translatable message), so that forms,
the bulk import and the API report the same findings in the user's language.

Schemes (values of models.CodeScheme):

- ``gbt34014``: GB/T 34014-2017 traction-battery code, 24 characters, or the 19-character
  cascade-use form when enabled (REFERENCE §2.1).
- ``gs1``: GS1 GTIN + serial number (AI 01 + AI 21), stored as the element string in human-readable
  form ``(01)<GTIN-14>(21)<serial>`` (REFERENCE §3.1, §3.2).
- ``eu_passport``: the EU battery passport identifier. Format choice (documented in docs/register.md):
  a GS1 Digital Link URI ``https://<resolver>/01/<GTIN-14>/21/<serial>``. Art 3(66) asks for "a unique
  string of characters ... that also enables a web link to the battery passport" and Art 77(3) for
  ISO/IEC 15459 conformance [C: BP-CG p.63; DIN99100 §6.1.2.2]; a Digital Link URI is both the string and
  the link, is item-level (serialised, as DIN DKE SPEC 99100 recommends) and is the pattern REFERENCE §3.3
  gives for per-battery passport links [C: BWIPP-DL]. GS1 acting as ISO/IEC 15459 issuing agency is [U]. The
  Battery Pass ``urn:`` form (``^urn:[a-z0-9]+:[a-z0-9]+$``, BP-GPI-TTL) is not resolvable as a web link,
  so it is not accepted as the unit code (it can still be exported as the passport id).
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from django.utils.translation import gettext_lazy as _

from .issues import Issue, error, register_messages, warning

SCHEME_GBT34014 = "gbt34014"
SCHEME_GS1 = "gs1"
SCHEME_EU_PASSPORT = "eu_passport"
SCHEMES = (SCHEME_GBT34014, SCHEME_GS1, SCHEME_EU_PASSPORT)

LEVEL_PACK, LEVEL_MODULE, LEVEL_CELL = "pack", "module", "cell"

register_messages({
    "code_required": _("Enter a code."),
    "code_too_long": _("The code is %(length)s characters long; at most %(max)s are allowed."),
    "scheme_unknown": _("Unknown code scheme “%(scheme)s”: use gbt34014, gs1 or eu_passport."),
    "scheme_undetectable": _("The code scheme cannot be recognised from the code; name it in the scheme column."),
    # GB/T 34014
    "gbt_length": _("A GB/T 34014 code has 24 characters (19 in the cascade-use form); this one has %(length)s."),
    "gbt_length_24": _("A GB/T 34014 code has 24 characters; this one has %(length)s."),
    "gbt_charset": _("Character %(position)s (“%(char)s”) is not allowed: GB/T 34014 codes use digits and "
                     "capital letters only."),
    "gbt_product_type": _("Character 4 (“%(char)s”) must be the product type P (pack), M (module) or C (cell)."),
    "gbt_level_mismatch": _("The product type “%(char)s” in the code does not match the level of the unit "
                            "(P = pack, M = module, C = cell)."),
    "gbt_battery_type": _("Character 5 (“%(char)s”) must be a battery type code: %(allowed)s."),
    "gbt_battery_type_chemistry": _("Battery type “%(char)s” in the code usually stands for another chemistry "
                                    "than the battery model's (B = LFP, E = NCM)."),
    "gbt_year": _("The year character “%(char)s” of the production date is not allowed (allowed: %(allowed)s)."),
    "gbt_month": _("The month character “%(char)s” of the production date must be 1-9, A, B or C "
                   "(October to December)."),
    "gbt_day": _("The day character “%(char)s” of the production date is not allowed (allowed: %(allowed)s)."),
    "gbt_date_invalid": _("The production date code “%(date_code)s” does not decode to a calendar date."),
    "gbt_serial_letters": _("The serial number “%(serial)s” contains letters; GB/T 34014 serial numbers are "
                            "normally digits."),
    "gbt_serial_zero": _("The serial number is 0000000; serial numbers start at 1."),
    "gbt_cascade_suffix": _("A 19-character cascade-use code ends with R followed by the original product type "
                            "(P, M or C); this one ends with “%(suffix)s”."),
    # GS1
    "gtin_digits": _("A GTIN has digits only."),
    "gtin_length": _("A GTIN has 8, 12, 13 or 14 digits; this one has %(length)s."),
    "gs1_check_digit": _("The check digit is wrong: the last digit should be %(expected)s, not %(found)s."),
    "sscc_digits": _("An SSCC has 18 digits."),
    "serial_required": _("Enter the serial number (GS1 AI 21)."),
    "serial_length": _("A GS1 serial number has at most 20 characters; this one has %(length)s."),
    "serial_charset": _("“%(char)s” is not allowed in a GS1 serial number (GS1 character set 82)."),
    "gs1_element_string": _("Write the GS1 code as (01) followed by the 14-digit GTIN and (21) followed by the "
                            "serial number, e.g. (01)09521234543213(21)12345."),
    "gtin_serial_mismatch": _("The GTIN or serial number does not match the code."),
    # GS1 Digital Link / passport identifier
    "dl_not_uri": _("A GS1 Digital Link is a web address starting with https:// (or http://)."),
    "dl_no_primary_key": _("The web address holds no GS1 key: it needs /01/<GTIN> (or /00/<SSCC>) in its path."),
    "dl_qualifier_order": _("The GS1 Digital Link qualifiers must follow the order 22, 10, 21 after the GTIN."),
    "lot_length": _("A batch/lot number has at most 20 characters."),
    "passport_https": _("A battery passport identifier must be an https:// address."),
    "passport_serial_required": _("A battery passport identifier names one battery: it needs the GTIN and the "
                                  "serial number (/01/<GTIN>/21/<serial>)."),
    "passport_extra_parts": _("A battery passport identifier is exactly https://<resolver>/01/<GTIN>/21/<serial>; "
                              "remove the lot, variant, query string or fragment."),
    "passport_host": _("Passport identifiers of this organisation use the resolver %(allowed)s, not %(host)s."),
})


@dataclass(frozen=True)
class CodeCheck:
    """What a validator found: `value` is the normalised code, `parts` what it decoded."""

    value: str
    issues: tuple[Issue, ...] = ()
    parts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(issue.is_error for issue in self.issues)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if not i.is_error)


# --- GS1 check digits and keys ---------------------------------------------------------

def gs1_check_digit(body: str) -> int:
    """Mod-10 check digit over `body` (all digits but the check digit): weights 3,1,3,1 ... from the
    rightmost digit [C: GS1-CSUM, REFERENCE §3.2]. Serves GTIN-8/12/13/14, SSCC, GLN, GSIN."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _check_digit_issue(value: str) -> Issue | None:
    expected = gs1_check_digit(value[:-1])
    if int(value[-1]) != expected:
        return error("gs1_check_digit", expected=str(expected), found=value[-1])
    return None


GTIN_LENGTHS = (8, 12, 13, 14)


def validate_gtin(value: str) -> CodeCheck:
    """GTIN-8/12/13/14 with its check digit [C: GS1-DICT AI 01]. Normalised to 14 digits by
    left zero-padding, as GS1 Digital Link paths do [S: DPP-DL]."""
    value = (value or "").strip().replace(" ", "")
    if not value:
        return CodeCheck(value, (error("code_required"),))
    if not value.isascii() or not value.isdigit():
        return CodeCheck(value, (error("gtin_digits"),))
    if len(value) not in GTIN_LENGTHS:
        return CodeCheck(value, (error("gtin_length", length=len(value)),))
    issue = _check_digit_issue(value)
    gtin = value.zfill(14)
    return CodeCheck(gtin, (issue,) if issue else (), {"gtin": gtin, "length": len(value)})


def validate_sscc(value: str) -> CodeCheck:
    """SSCC: extension digit + GS1 Company Prefix + serial reference (16) + check digit = 18 digits
    [C: GS1-DICT AI 00, REFERENCE §3.1]."""
    value = (value or "").strip().replace(" ", "")
    if len(value) != 18 or not value.isascii() or not value.isdigit():
        return CodeCheck(value, (error("sscc_digits"),))
    issue = _check_digit_issue(value)
    return CodeCheck(value, (issue,) if issue else (), {"extension_digit": value[0]})


# GS1 character set 82, allowed in AI 10, 21, 22 [C: GS1-CSET82]
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*")
SERIAL_MAX = 20  # AI 21: X..20 [C: GS1-DICT]


def _cset82_issues(value: str, *, too_long_code: str) -> tuple[Issue, ...]:
    if len(value) > SERIAL_MAX:
        return (error(too_long_code, length=len(value)),)
    if not _CSET82.fullmatch(value):
        bad = next(c for c in value if not _CSET82.fullmatch(c))
        return (error("serial_charset", char=bad),)
    return ()


def validate_gs1_serial(value: str) -> CodeCheck:
    """AI 21 serial number: 1 to 20 characters of GS1 character set 82 [C: GS1-DICT, GS1-CSET82]."""
    value = (value or "").strip()
    if not value:
        return CodeCheck(value, (error("serial_required"),))
    return CodeCheck(value, _cset82_issues(value, too_long_code="serial_length"))


def gs1_element_string(gtin14: str, serial: str) -> str:
    """The human-readable element string stored as the code of a `gs1` unit."""
    return f"(01){gtin14}(21){serial}"


_ELEMENT_STRING = re.compile(r"\(01\)(\d{8,14})\(21\)(.+)")


def validate_gs1_unit(code: str = "", *, gtin: str = "", serial: str = "") -> CodeCheck:
    """A GS1 unit: `(01)<GTIN>(21)<serial>`, or the GTIN and serial given separately (both ways when
    both are given, and then they must agree)."""
    code = (code or "").strip()
    if code:
        match = _ELEMENT_STRING.fullmatch(code.replace(" ", ""))
        if match is None:
            return CodeCheck(code, (error("gs1_element_string"),))
        code_gtin, code_serial = match.group(1), match.group(2)
        if (gtin and validate_gtin(gtin).value != validate_gtin(code_gtin).value) or (
                serial and serial.strip() != code_serial):
            return CodeCheck(code, (error("gtin_serial_mismatch"),))
        gtin, serial = code_gtin, code_serial
    gtin_check = validate_gtin(gtin)
    serial_check = validate_gs1_serial(serial)
    issues = gtin_check.issues + serial_check.issues
    value = gs1_element_string(gtin_check.value, serial_check.value) if not issues else code
    return CodeCheck(value, issues, {"gtin": gtin_check.value, "serial": serial_check.value})


# --- GS1 Digital Link ------------------------------------------------------------------

DEFAULT_RESOLVER = "https://id.gs1.org"
# Primary keys we accept and their qualifier order [C: GS1-DICT, BWIPP-DL]: GTIN 22 -> 10 -> 21 (all
# optional, in this order); SSCC takes no qualifier.
DL_QUALIFIERS: dict[str, tuple[str, ...]] = {"01": ("22", "10", "21"), "00": ()}


@dataclass(frozen=True)
class DigitalLink:
    base: str  # scheme://host[/own/path]
    primary_ai: str
    primary_value: str
    qualifiers: tuple[tuple[str, str], ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    def qualifier(self, ai: str) -> str:
        return dict(self.qualifiers).get(ai, "")

    @property
    def uri(self) -> str:
        path = f"/{self.primary_ai}/{quote(self.primary_value, safe='')}"
        path += "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in self.qualifiers)
        query = "&".join(f"{ai}={quote(value, safe='')}" for ai, value in self.attributes)
        return self.base + path + (f"?{query}" if query else "")


def build_digital_link(*, gtin: str, serial: str = "", lot: str = "", variant: str = "",
                       base: str = DEFAULT_RESOLVER) -> str:
    """`https://<resolver>/01/<GTIN-14>[/22/<variant>][/10/<lot>][/21/<serial>]` [C: BWIPP-DL]. Values are
    percent-encoded; the GTIN is padded to 14 digits. Raises ValueError on an invalid GTIN or serial."""
    gtin_check = validate_gtin(gtin)
    if not gtin_check.ok:
        raise ValueError(gtin_check.errors[0].message)
    qualifiers = []
    for ai, value in (("22", variant), ("10", lot), ("21", serial)):
        if value:
            if _cset82_issues(value, too_long_code="serial_length"):
                raise ValueError(f"AI {ai} value not allowed: {value!r}")
            qualifiers.append((ai, value))
    return DigitalLink(base.rstrip("/"), "01", gtin_check.value, tuple(qualifiers)).uri


def parse_digital_link(uri: str) -> tuple[DigitalLink | None, tuple[Issue, ...]]:
    """Split a GS1 Digital Link URI into base, primary key, qualifiers and query attributes
    [C: BWIPP-DL; REFERENCE §3.3]. The primary key is the first 01 or 00 path segment followed by
    valid qualifiers; anything before it is the resolver's own path. Key values are validated
    (check digits) and normalised (GTIN-14)."""
    uri = (uri or "").strip()
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, (error("dl_not_uri"),)
    segments = [unquote(s) for s in parts.path.split("/")[1:]]
    if segments and segments[-1] == "":
        segments.pop()
    for index in range(len(segments) - 1):
        ai = segments[index]
        if ai not in DL_QUALIFIERS or (len(segments) - index) % 2:
            continue
        pairs = [(segments[i], segments[i + 1]) for i in range(index + 2, len(segments), 2)]
        allowed = DL_QUALIFIERS[ai]
        order = [allowed.index(q) if q in allowed else -1 for q, _v in pairs]
        if -1 in order:
            continue
        if order != sorted(set(order)):
            return None, (error("dl_qualifier_order"),)
        key = validate_gtin(segments[index + 1]) if ai == "01" else validate_sscc(segments[index + 1])
        issues = list(key.issues)
        for q_ai, value in pairs:
            issues.extend(_cset82_issues(value, too_long_code="serial_length" if q_ai == "21" else "lot_length"))
        if any(i.is_error for i in issues):
            return None, tuple(issues)
        host = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
        own_path = "/".join(quote(s, safe="") for s in segments[:index])
        base = f"{parts.scheme.lower()}://{host}" + (f"/{own_path}" if own_path else "")
        link = DigitalLink(base, ai, key.value, tuple(pairs), tuple(parse_qsl(parts.query)))
        return link, tuple(issues)
    return None, (error("dl_no_primary_key"),)


def validate_passport_identifier(value: str, *, allowed_hosts: tuple[str, ...] = ()) -> CodeCheck:
    """EU battery passport identifier as a GS1 Digital Link URI naming one battery:
    `https://<resolver>/01/<GTIN-14>/21/<serial>` (see the module docstring for why). Normalised:
    lower-case scheme and host, GTIN-14, canonical percent-encoding. `allowed_hosts`, when given,
    restricts the resolver (an organisation's own domain)."""
    value = (value or "").strip()
    if not value:
        return CodeCheck(value, (error("code_required"),))
    link, issues = parse_digital_link(value)
    if link is None:
        return CodeCheck(value, issues)
    problems: list[Issue] = list(issues)
    if not link.base.startswith("https://"):
        problems.append(error("passport_https"))
    if link.primary_ai != "01" or not link.qualifier("21"):
        problems.append(error("passport_serial_required"))
    elif len(link.qualifiers) != 1 or link.attributes or urlsplit(value).fragment:
        problems.append(error("passport_extra_parts"))
    host = urlsplit(link.base).netloc
    if allowed_hosts and host not in allowed_hosts:
        problems.append(error("passport_host", host=host, allowed=", ".join(allowed_hosts)))
    if any(p.is_error for p in problems):
        return CodeCheck(value, tuple(problems))
    canonical = DigitalLink(link.base, "01", link.primary_value, link.qualifiers).uri
    return CodeCheck(canonical, tuple(problems), {"gtin": link.primary_value, "serial": link.qualifier("21"),
                                                  "resolver": link.base})


# --- GB/T 34014 ------------------------------------------------------------------------

# Character classes of the production date as in the Catena-X regex [C: CX-TBC-TTL]: the year excludes
# 0, O, Q, Z; the day excludes O, Q, Z; the month is 1-9, A-C for October-December [C: all sources].
CATENA_YEAR_CHARS = "123456789ABCDEFGHIJKLMNPRSTUVWXY"
CATENA_DAY_CHARS = "0123456789ABCDEFGHIJKLMNPRSTUVWXY"
MONTH_CHARS = "123456789ABC"

# Year/day decoding tables conflict between implementations [U]; none is applied unless configured.
# "contiguous" is the one of KOTLIN-DEC [S]: year digit d -> 2010+d, letter A -> 2020 onwards; day 1-9,
# then A=10 ... V=31.
_YEAR_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DATE_TABLES: dict[str, dict[str, dict[str, int]]] = {
    "contiguous": {
        "year": {c: 2010 + i for i, c in enumerate(_YEAR_ALPHABET)},
        "day": {**{str(d): d for d in range(1, 10)}, **{chr(ord("A") + i): 10 + i for i in range(22)}},
    },
}


@dataclass(frozen=True)
class Gbt34014Rules:
    """What GB/T 34014 validation accepts. Defaults follow REFERENCE §2.1; [U] items are switches.

    - product types P/M/C [S: WENXIAOBAI; C: CX-TBC-TTL]; battery types A-G and Z [S], B = LFP and
      E = ternary/NCM [S] (used only for a warning against the model's chemistry);
    - the 19-character cascade-use form (no traceability code, suffix R + original product type)
      appears only in the Catena-X model [C: CX-TBC-TTL, its length U]: `accept_cascade_form`;
    - year/day decoding [U]: `date_table` names an entry of DATE_TABLES (or is None: only the
      character classes are checked);
    - serial: 7 characters; letters are a warning [S: NIO-TEST vs C: CX-TBC-TTL digits only].
    """

    battery_types: str = "ABCDEFGZ"
    battery_type_chemistry: Mapping[str, str] = field(default_factory=lambda: {"B": "lfp", "E": "ncm"})
    year_chars: str = CATENA_YEAR_CHARS
    day_chars: str = CATENA_DAY_CHARS
    accept_cascade_form: bool = True
    date_table: str | None = None

    def __post_init__(self) -> None:
        if self.date_table is not None and self.date_table not in DATE_TABLES:
            raise ValueError(f"unknown GB/T 34014 date table {self.date_table!r}")
        date_part = f"[{re.escape(self.year_chars)}][{MONTH_CHARS}][{re.escape(self.day_chars)}]"
        head = f"[A-Z0-9]{{3}}[PMC][{self.battery_types}][A-Z0-9]{{2}}"
        object.__setattr__(self, "_standard", re.compile(f"{head}[A-Z0-9]{{7}}{date_part}[0-9]{{7}}"))
        object.__setattr__(self, "_cascade", re.compile(f"{head}{date_part}[0-9]{{7}}R[PMC]"))


DEFAULT_GBT_RULES = Gbt34014Rules()
PRODUCT_TYPES = {"P": LEVEL_PACK, "M": LEVEL_MODULE, "C": LEVEL_CELL}
LEVEL_PRODUCT_TYPE = {level: letter for letter, level in PRODUCT_TYPES.items()}
_ALNUM = re.compile(r"[A-Z0-9]")


def _gbt_parts(code: str, cascade: bool) -> dict[str, str]:
    if cascade:
        return {"form": "cascade", "manufacturer": code[0:3], "product_type": code[3], "battery_type": code[4],
                "spec": code[5:7], "trace": "", "date_code": code[7:10], "serial": code[10:17],
                "original_product_type": code[18]}
    return {"form": "standard", "manufacturer": code[0:3], "product_type": code[3], "battery_type": code[4],
            "spec": code[5:7], "trace": code[7:14], "date_code": code[14:17], "serial": code[17:24]}


def _decode_date(date_code: str, table_name: str) -> date | None:
    table = DATE_TABLES[table_name]
    year, day = table["year"].get(date_code[0]), table["day"].get(date_code[2])
    month = MONTH_CHARS.index(date_code[1]) + 1 if date_code[1] in MONTH_CHARS else None
    if year is None or day is None or month is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def validate_gbt34014(code: str, *, level: str | None = None, chemistry: str | None = None,
                      rules: Gbt34014Rules = DEFAULT_GBT_RULES) -> CodeCheck:
    """Validate a GB/T 34014-2017 code (REFERENCE §2.1).

    Structure (1-based): 1-3 manufacturer code (CATARC-allocated), 4 product type P/M/C, 5 battery type,
    6-7 specification code, 8-14 traceability code, 15-17 production date (year, month, day),
    18-24 serial number [S: WENXIAOBAI; C: CX-TBC-TTL]. Digits and capital letters only
    [C: CHINAAUTOREGS]. No check character exists as far as any source shows [U], so none is checked.
    The product type must agree with the unit's `level`; the battery type is compared with the model's
    `chemistry` (warning only). Input is upper-cased and stripped.
    """
    code = (code or "").strip().upper()
    if not code:
        return CodeCheck(code, (error("code_required"),))
    cascade = len(code) == 19 and rules.accept_cascade_form
    if len(code) != 24 and not cascade:
        return CodeCheck(code, (error("gbt_length" if rules.accept_cascade_form else "gbt_length_24",
                                      length=len(code)),))
    issues: list[Issue] = []
    fast = (rules._cascade if cascade else rules._standard).fullmatch(code)  # type: ignore[attr-defined]
    parts = _gbt_parts(code, cascade)
    if fast is None:
        for position, char in enumerate(code, start=1):
            if not _ALNUM.fullmatch(char):
                issues.append(error("gbt_charset", position=position, char=char))
        if issues:
            return CodeCheck(code, tuple(issues), parts)
        if parts["product_type"] not in PRODUCT_TYPES:
            issues.append(error("gbt_product_type", char=parts["product_type"]))
        if parts["battery_type"] not in rules.battery_types:
            issues.append(error("gbt_battery_type", char=parts["battery_type"],
                                allowed=", ".join(rules.battery_types)))
        year_char, month_char, day_char = parts["date_code"]
        if year_char not in rules.year_chars:
            issues.append(error("gbt_year", char=year_char, allowed=rules.year_chars))
        if month_char not in MONTH_CHARS:
            issues.append(error("gbt_month", char=month_char))
        if day_char not in rules.day_chars:
            issues.append(error("gbt_day", char=day_char, allowed=rules.day_chars))
        if cascade and (code[17] != "R" or code[18] not in PRODUCT_TYPES):
            issues.append(error("gbt_cascade_suffix", suffix=code[17:19]))
        if not parts["serial"].isdigit():
            issues.append(warning("gbt_serial_letters", serial=parts["serial"]))
    if parts["serial"] == "0000000":
        issues.append(warning("gbt_serial_zero"))
    code_level = PRODUCT_TYPES.get(parts["product_type"])
    if level and code_level and code_level != level:
        issues.append(error("gbt_level_mismatch", char=parts["product_type"], code_level=code_level, level=level))
    expected = rules.battery_type_chemistry.get(parts["battery_type"])
    if chemistry and expected and expected != chemistry:
        issues.append(warning("gbt_battery_type_chemistry", char=parts["battery_type"], expected=expected,
                              chemistry=chemistry))
    if rules.date_table and not any(i.code in ("gbt_year", "gbt_month", "gbt_day") for i in issues):
        decoded = _decode_date(parts["date_code"], rules.date_table)
        if decoded is None:
            issues.append(error("gbt_date_invalid", date_code=parts["date_code"]))
        else:
            parts["production_date"] = decoded.isoformat()
    return CodeCheck(code, tuple(issues), parts)


# --- one entry point --------------------------------------------------------------------

CODE_MAX_LENGTH = 64  # BatteryUnit.code


def detect_scheme(code: str) -> str | None:
    """Guess the scheme of a code: a web address is a passport identifier, `(01)` a GS1 element string,
    anything of 19 or 24 characters a GB/T 34014 code (so that a mistyped one is explained as such)."""
    code = (code or "").strip()
    if code.lower().startswith(("https://", "http://")):
        return SCHEME_EU_PASSPORT
    if code.startswith("(01)"):
        return SCHEME_GS1
    if len(code) in (19, 24):
        return SCHEME_GBT34014
    return None


def validate_unit_code(*, scheme: str, code: str, level: str | None = None, gtin: str = "", serial: str = "",
                       chemistry: str | None = None, gbt_rules: Gbt34014Rules = DEFAULT_GBT_RULES,
                       passport_hosts: tuple[str, ...] = ()) -> CodeCheck:
    """Validate a battery unit's code in its scheme; `parts` carries `gtin` and `serial` for GS1 and
    passport codes (stored on the unit alongside the code)."""
    if scheme == SCHEME_GBT34014:
        result = validate_gbt34014(code, level=level, chemistry=chemistry, rules=gbt_rules)
    elif scheme == SCHEME_GS1:
        result = validate_gs1_unit(code, gtin=gtin, serial=serial)
    elif scheme == SCHEME_EU_PASSPORT:
        result = validate_passport_identifier(code, allowed_hosts=passport_hosts)
        if result.ok and ((gtin and validate_gtin(gtin).value != result.parts["gtin"])
                          or (serial and serial.strip() != result.parts["serial"])):
            result = CodeCheck(result.value, (error("gtin_serial_mismatch"),), result.parts)
    else:
        return CodeCheck(code, (error("scheme_unknown", scheme=scheme),))
    if result.ok and len(result.value) > CODE_MAX_LENGTH:
        return CodeCheck(result.value, (error("code_too_long", length=len(result.value), max=CODE_MAX_LENGTH),))
    return result
