"""Finding personal data in text: e-mail addresses, phone numbers, payment card numbers.

One detector, used by the fixture lint rule and by redaction on import. It is tuned to
miss little in support transcripts while leaving ids, dates, amounts and token counts
alone: a card number must pass the Luhn check, and a phone number needs the shape of
one (a leading `+`, or digit groups split by spaces, dots, dashes or brackets).

Redaction on import (`Redactor`) also replaces IBANs (which must pass the ISO 13616
mod-97 check) and the names of a list the team keeps, each distinct value by one stable
placeholder such as `<EMAIL_1>`, so that a redacted conversation still reads naturally.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

EMAIL = "email address"
PHONE = "phone number"
CARD = "payment card number"
IBAN = "IBAN"
NAME = "name"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:\+\d{1,3}[ .-]?)?"
    r"(?:\(\d{1,4}\)[ .-]?)?"
    r"\d{2,5}(?:[ .-]\d{2,5}){1,4}"
    r"(?![\w])"
)
_ANY_DIGIT = re.compile(r"\d")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


@dataclass(frozen=True)
class PersonalData:
    kind: str
    start: int
    end: int
    text: str


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def find_personal_data(text: str) -> Iterator[PersonalData]:
    """Every e-mail address, phone number and Luhn-valid card number in `text`."""
    if "@" not in text and not _ANY_DIGIT.search(text):
        return  # the common case, decided in C
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= taken_start or start >= taken_end for taken_start, taken_end in taken)

    for match in _EMAIL.finditer(text):
        taken.append(match.span())
        yield PersonalData(EMAIL, match.start(), match.end(), match.group())
    for match in _CARD.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and free(*match.span()):
            taken.append(match.span())
            yield PersonalData(CARD, match.start(), match.end(), match.group())
    for match in _PHONE.finditer(text):
        candidate = match.group()
        digits = _digits(candidate)
        if not 9 <= len(digits) <= 15 or _DATE_LIKE.match(candidate) or not free(*match.span()):
            continue
        has_shape = (
            candidate.startswith("+")
            or "(" in candidate
            or len(re.findall(r"[ .-]", candidate)) >= 2
        )
        if has_shape:
            taken.append(match.span())
            yield PersonalData(PHONE, match.start(), match.end(), candidate)


# An IBAN: country code, check digits, then 11 to 30 letters or digits, printed compact or
# in groups of four. Upper case only: ordinary lower-case words never pass for one.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
IBAN_LENGTHS = range(15, 35)


def iban_valid(text: str) -> bool:
    """The ISO 13616 check: the rearranged IBAN, letters as 10..35, is 1 modulo 97."""
    compact = text.replace(" ", "").upper()
    if len(compact) not in IBAN_LENGTHS or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _find_ibans(text: str) -> Iterator[PersonalData]:
    for match in _IBAN.finditer(text):
        # The pattern may run on into the following upper-case word ("... 32 TODAY"):
        # take the longest run of whole groups that passes the check.
        groups = match.group().split(" ")
        for count in range(len(groups), 0, -1):
            candidate = " ".join(groups[:count])
            if iban_valid(candidate):
                start = match.start()
                yield PersonalData(IBAN, start, start + len(candidate), candidate)
                break


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for a list of names, longest first, matched as whole words."""
    unique = sorted({name.strip() for name in names if name.strip()}, key=lambda n: (-len(n), n))
    if not unique:
        return None
    alternatives = "|".join(re.escape(name) for name in unique)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def find_sensitive_data(text: str, *, names: re.Pattern[str] | None = None) -> list[PersonalData]:
    """IBANs, listed names, then what `find_personal_data` finds elsewhere; by position."""
    found: list[PersonalData] = []
    if _ANY_DIGIT.search(text):
        found.extend(_find_ibans(text))
    if names is not None:
        for match in names.finditer(text):
            if not _overlaps(found, match.start(), match.end()):
                found.append(PersonalData(NAME, match.start(), match.end(), match.group()))
    for item in find_personal_data(text):
        if not _overlaps(found, item.start, item.end):
            found.append(item)
    return sorted(found, key=lambda item: item.start)


def _overlaps(found: list[PersonalData], start: int, end: int) -> bool:
    return any(start < item.end and item.start < end for item in found)


PLACEHOLDER_LABELS = {EMAIL: "EMAIL", PHONE: "PHONE", CARD: "CARD", IBAN: "IBAN", NAME: "NAME"}


def _identity(kind: str, text: str) -> str:
    """What makes two spellings the same value: `(415) 555-0132` is `415.555.0132`."""
    if kind in (PHONE, CARD):
        return _digits(text)
    if kind == IBAN:
        return text.replace(" ", "").upper()
    return text.casefold()


class Redactor:
    """Replaces personal data by placeholders, the same value by the same placeholder.

    Numbers count per kind in the order values are first met, so the same input gives
    the same output. `replaced` counts replacements per kind, `distinct` distinct values.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names = names_pattern(names)
        self._placeholders: dict[tuple[str, str], str] = {}
        self.distinct: Counter[str] = Counter()
        self.replaced: Counter[str] = Counter()

    def placeholder(self, kind: str, text: str) -> str:
        key = (kind, _identity(kind, text))
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            self.distinct[kind] += 1
            placeholder = f"<{PLACEHOLDER_LABELS[kind]}_{self.distinct[kind]}>"
            self._placeholders[key] = placeholder
        return placeholder

    def redact(self, text: str) -> str:
        found = find_sensitive_data(text, names=self._names)
        if not found:
            return text
        parts: list[str] = []
        position = 0
        for item in found:
            parts.append(text[position : item.start])
            parts.append(self.placeholder(item.kind, item.text))
            self.replaced[item.kind] += 1
            position = item.end
        parts.append(text[position:])
        return "".join(parts)
