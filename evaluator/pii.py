"""Finding personal data in text: e-mail addresses, phone numbers, payment card numbers.

One detector, used by the fixture lint rule and by redaction on import. It is tuned to
miss little in support transcripts while leaving ids, dates, amounts and token counts
alone: a card number must pass the Luhn check, and a phone number needs the shape of
one (a leading `+`, or digit groups split by spaces, dots, dashes or brackets).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

EMAIL = "email address"
PHONE = "phone number"
CARD = "payment card number"

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
