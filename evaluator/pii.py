"""Finding personal data in text: e-mail addresses, phone numbers, payment card numbers,
IBANs and the names of a list the team keeps.

One detector, used by the fixture lint rule (CPR307) and by redaction on import. It is
tuned to miss little in support transcripts, whatever the writing, while leaving ids,
dates, amounts and token counts alone:

- Text is folded before it is searched (`fold`): compatibility forms become plain ones
  (NFKD: fullwidth `ｄａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ`, `０９０－１２３４`), zero-width and
  other invisible characters and accents are dropped, every kind of space, dash and
  apostrophe is one, letters are case-folded and digits of any script are ASCII. What is
  found is mapped back to the span of the original text it came from.
- Identifier-shaped tokens are set aside before digits are looked at: a run of letters,
  digits, `_` and `-` that holds both a letter and a digit (hex, base64 and UUID ids,
  `chatcmpl-…`, `2026-07-09T00:00`), dates, IPv4 addresses and decimal numbers. A card
  number is never found inside a trace id, nor a phone number in a score.
- An e-mail address may be written `@`, `%40`, `(at)`, `[at]` or `<at>`, its dots
  `(dot)` or ` dot `; a plain ` at ` counts only with such a dot (`dana at example dot
  com`), since `look at example.com` is ordinary prose. Local parts and domains may be in
  any script (`用户@例子.广告`).
- A card number passes the Luhn check and starts as the card networks' numbers do; an
  IBAN has a registered country, that country's length and passes the ISO 13616 mod-97
  check; a phone number has the shape of one (a leading `+` or `00`, an area code in
  brackets, a trunk `0`, or a number valid in a country without one, as the
  `phonenumbers` library knows it) or follows a word such as "phone" or "call".
- Names match whole words whatever their case, accents, apostrophe (’ ' ʼ) and order:
  `Dana Whitfield` is also `Whitfield, Dana`, `dana whitfield` and `Dána Whitfield`.

Redaction on import (`Redactor`) replaces each distinct value by one stable placeholder
such as `<EMAIL_1>`, so that a redacted conversation still reads naturally;
`mask_personal_data` hides values in messages, where no numbering is kept.
"""

# ruff: noqa: RUF002  (the characters ruff finds ambiguous are the ones folding reads)

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass

EMAIL = "email address"
PHONE = "phone number"
CARD = "payment card number"
IBAN = "IBAN"
NAME = "name"

PLACEHOLDER_LABELS = {EMAIL: "EMAIL", PHONE: "PHONE", CARD: "CARD", IBAN: "IBAN", NAME: "NAME"}


@dataclass(frozen=True)
class PersonalData:
    """One value found: its kind and where it is in the text searched (`text[start:end]`)."""

    kind: str
    start: int
    end: int
    text: str


# --- folding ------------------------------------------------------------------------------

# Dropped from text before it is searched: accents (the combining diacritical marks, which
# NFKD splits from their letters) and the characters that show nothing (zero-width spaces
# and joiners, the soft hyphen, bidirectional controls, variation selectors, tags). The
# fixture rule's prescreen drops the same set, so it never skips what the detector finds.
DROPPED_CHARACTERS = (
    "\u00ad\u0300-\u036f\u061c\u17b4\u17b5\u180b-\u180f\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f\ufeff"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_DROPPED = f"[{DROPPED_CHARACTERS}]"
# Characters NFKD leaves alone that are read as one of the plain ones.
_SAME_AS = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u30fc", "-"),
    **dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u2032", "'"),
    **dict.fromkeys("\u3002\uff61", "."),
    **dict.fromkeys("\u2044\u2215", "/"),
}
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    """`source` compiled on first use: the larger patterns here take milliseconds to
    compile, which `import cprlint.cli` should not spend."""
    return re.compile(source)


def decompose(text: str) -> str:
    """`text` in NFKD, with `DROPPED_CHARACTERS` removed: what `fold` does, in C, but for
    case, other scripts' digits and `_SAME_AS`. The fixture rule's prescreen reads lines
    that are not ASCII so."""
    return _pattern(_DROPPED).sub("", unicodedata.normalize("NFKD", text))


@functools.lru_cache(maxsize=4096)
def _fold_character(char: str) -> str:
    """One non-ASCII character as the patterns see it (see `fold`)."""
    if char.isdecimal():
        return str(unicodedata.decimal(char))  # a digit of any script, fullwidth too
    plain = decompose(char)
    if any(part.isdigit() for part in plain):
        return char  # ①, ², ½: not digits anyone writes a number with
    plain = "".join(_SAME_AS.get(part, part) for part in plain).casefold()
    # Case folding may split a letter again (İ -> i + dot above): drop what that adds.
    return decompose(plain)


@dataclass(frozen=True)
class Folded:
    """Text as the patterns see it, and where each of its characters came from.

    `origins[i]` is the index in the original text of the character that gave folded
    character `i`; `None` when folding kept every position (ASCII text).
    """

    text: str
    origins: list[int] | None
    original_length: int

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span for `text[start:end]`, characters dropped inside or
        right after it included, so that replacing it leaves no stray accent behind."""
        origins = self.origins
        if origins is None:
            return start, end
        following = origins[end] if end < len(origins) else self.original_length
        return origins[start], max(origins[end - 1] + 1, following)


def fold(text: str) -> Folded:
    """`text` folded for searching: NFKD compatibility forms, accents and invisible
    characters dropped, spaces, dashes and apostrophes unified, case folded, digits ASCII."""
    if text.isascii():
        return Folded(text.lower(), None, len(text))
    pieces: list[str] = []
    origins: list[int] = []
    position = 0
    for run in _NON_ASCII_RUN.finditer(text):
        start, end = run.span()
        pieces.append(text[position:start].lower())
        origins.extend(range(position, start))
        for index in range(start, end):
            folded = _fold_character(text[index])
            pieces.append(folded)
            origins.extend(itertools.repeat(index, len(folded)))
        position = end
    pieces.append(text[position:].lower())
    origins.extend(range(position, len(text)))
    return Folded("".join(pieces), origins, len(text))


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` with `spans` overwritten by `_`, which no pattern of digits reads across."""
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if start < position:
            start = position
        pieces.append(text[position:start])
        pieces.append("_" * (end - start))
        position = max(position, end)
    pieces.append(text[position:])
    return "".join(pieces)


# --- identifiers --------------------------------------------------------------------------

# A token of id characters holding both a letter and a digit: hex and base64 ids, UUIDs,
# `chatcmpl-9Xyz`, `toolu_01A`, `2026-07-09t00` (folded text is lower case). Not across
# `=`, `/` or `+`, which join ids to what is no id: `card=4111…`, `/users/4111…`.
_ID_TOKEN = re.compile(r"(?<![0-9a-z_\-])[0-9a-z_\-]*[0-9][0-9a-z_\-]*=*")
_ID_LETTER = re.compile(r"[a-z]")
# Dates (2026-11-06, 06/11/2026, 6.11.26), IPv4 addresses and decimal numbers (scores,
# embeddings, 20.798499425406632 tokens a second): digits in groups that are no card or
# phone number.
_NOT_A_NUMBER = (
    r"(?=[0-9])(?:(?<![0-9.\-/])(?:"
    r"[0-9]{4}([\-/.])[0-9]{1,2}\1[0-9]{1,2}"
    r"|[0-9]{1,2}([\-/.])[0-9]{1,2}\2[0-9]{2,4}"
    r"|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
    r")(?![0-9]|[.\-/][0-9])"
    r"|(?<![0-9.])[0-9]+\.[0-9]+(?![0-9]|\.[0-9]))"
)


def identifier_spans(folded: str) -> list[tuple[int, int]]:
    """Where ids, dates, IPv4 addresses and decimal numbers are in folded text."""
    spans = [
        match.span() for match in _ID_TOKEN.finditer(folded) if _ID_LETTER.search(match.group())
    ]
    spans += [match.span() for match in _pattern(_NOT_A_NUMBER).finditer(folded)]
    return spans


# --- e-mail addresses ---------------------------------------------------------------------

# A letter of a non-Latin script (or a mark that goes with one): not ASCII, not space, not
# punctuation of the general, CJK, Latin-1 or fullwidth blocks.
_SCRIPT = r"[^\x00-\x7f\s\u00a0-\u00bf\u00d7\u00f7\u2000-\u206f\u3000-\u303f\uff00-\uffef]"
_DOT_WORD = r"(?: ?[(\[<] ?dot ?[)\]>] ?| dot )"
# (A local part starts where a word does, not after `a.`, and is never given back once
# read; its atoms and the domain's labels are at most nine: what keeps a search over a
# page of prose, or over `a.a.a.a…`, linear.)
_ASCII_LOCAL = (
    r"(?<![a-z0-9_+\-])(?<![a-z0-9_+\-][.'])"
    r"(?>[a-z0-9_+\-]++(?:(?:[.']|" + _DOT_WORD + r")[a-z0-9_+\-]++){0,8})"
)
_SCRIPT_LOCAL = (
    rf"(?<![a-z0-9_+.\-])(?<!{_SCRIPT})"
    rf"(?>(?:{_SCRIPT}|[0-9_+\-])++(?:\.(?:{_SCRIPT}|[0-9_+\-])++){{0,8}})"
)
_AT = r"(?P<at>@|%40| ?[(\[<] ?at ?[)\]>] ?| at )"
_LABEL = rf"(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?|(?:{_SCRIPT}|[0-9\-])+)"
_TOP_LEVEL = rf"(?:xn--[a-z0-9\-]+|[a-z]{{2,63}}(?![a-z0-9_\-])|{_SCRIPT}{{2,}}(?![0-9_\-]))"
_EMAIL = (
    rf"(?P<local>{_ASCII_LOCAL}|{_SCRIPT_LOCAL}){_AT}"
    rf"(?P<domain>(?:{_LABEL}(?:\.|{_DOT_WORD})){{1,8}}{_TOP_LEVEL})"
)
_HAS_DOT_WORD = re.compile(r"\bdot\b")
# Something every address has: one of the ways to write its `@`.
_MAY_HOLD_AN_EMAIL = re.compile(r"@|%40|[(\[<] ?at ?[)\]>]| at ")


def _find_emails(folded: str) -> Iterator[tuple[int, int]]:
    position = 0
    while match := _pattern(_EMAIL).search(folded, position):
        if match.group("at") == " at " and not _HAS_DOT_WORD.search(match.group("domain")):
            # `look at example.com` is prose, unless the dots are spelt out too; and
            # `me at dana.whitfield@example.com` holds an address further on.
            position = match.start("at") + 1
            continue
        yield match.span()
        position = match.end()


# --- card numbers -------------------------------------------------------------------------

# Digits in groups, as numbers are written: spaces (one or two), dots, dashes, slashes or
# underscores between groups, an area code in brackets, a leading `+`.
_NUMBER = re.compile(
    r"(?<![0-9a-z_+.\-/])(?:\+ ?)?(?:\( ?\+?[0-9]{1,5} ?\) ?)?[0-9]+"
    r"(?:(?: {1,2}| ?[._/\-] ?| ?\( ?[0-9]{1,5} ?\) ?)[0-9]+)*"
)
_DIGIT_GROUP = re.compile(r"[0-9]+")
# The most groups a card or phone number is written in (`+33 6 12 34 56 78`: 6).
MAX_GROUPS = 7
# The first digits of card numbers: Mir and Mastercard 2, Amex, Diners and JCB 3, Visa
# and Elo 4, Mastercard and Maestro 5, Discover, UnionPay, RuPay and Hipercard 6, RuPay
# and UnionPay 81 and 82, Troy 9792. A count of nanoseconds (17...) is none of these.
_CARD_PREFIX = re.compile(r"[2-6]|8[12]|9792")


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


def _is_card(window: str) -> bool:
    if "+" in window or "(" in window:
        return False
    digits = _digits(window)
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


# --- phone numbers ------------------------------------------------------------------------

# Words after which a number written without separators is a phone number.
_PHONE_WORD = (
    r"(?:(?<![a-z_])(?:phone|tel|mobile|mob|cell|call|ring|whatsapp|sms|fax|handy|telefon|"
    r"telefono|telefone|telephone|portable|celular|movil|cellulare)(?:s|ed|ing)?(?![a-z_])"
    r"|電話|携帯|फोन)[^0-9\"{}\[\]=_]{0,24}$"
)
# Countries whose own numbers have no trunk `0` to tell them by (or often go without it):
# a number grouped as one of theirs is a phone number.
NATIONAL_REGIONS = ("US", "CA", "IN", "ES", "IT", "PT", "PL", "DK", "NO", "GR", "BR", "CN")
# `+` and 9 to 15 digits (E.164 allows 15; the fixture rule's prescreen looks for nine,
# and few countries' numbers are shorter); a number written nationally has 9 to 12.
_INTERNATIONAL_DIGITS = range(9, 16)
_NATIONAL_DIGITS = range(9, 13)


# `phonenumbers` is imported where it is used: its import takes some 20 ms, which cprlint
# spends only when text holds something shaped like a phone number.


@functools.lru_cache(maxsize=4096)
def _possible_international(number: str) -> bool:
    """Whether `+...` has a country code and a length that country's numbers have."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)


class _LookupBudget:
    """How many numbers of one text may still be looked up in `NATIONAL_REGIONS`: each
    look-up costs some 0.3 ms, and a list of numbers would make thousands."""

    def __init__(self, lookups: int = 32) -> None:
        self.left = lookups

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


@functools.lru_cache(maxsize=4096)
def _valid_in_a_national_region(number: str) -> bool:
    """Whether a number written without its country code is one of `NATIONAL_REGIONS`',
    and grouped as that country groups its numbers (`415 555 0132`, not `4155 550 132`):
    most runs of ten digits are valid somewhere, few are also grouped so."""
    import phonenumbers

    groups = [len(group) for group in _DIGIT_GROUP.findall(number)]
    for region in NATIONAL_REGIONS:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(parsed):
            continue
        international = phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        usual = [len(group) for group in _DIGIT_GROUP.findall(international)][1:]
        # Nine digits in threes is how Spain, Portugal and Poland write them, too.
        if len(groups) == 1 or groups in (usual, [3, 3, 3]):
            return True
    return False


def _is_phone(window: str, before: str, lookups: _LookupBudget) -> bool:
    """Whether a group of digits `window`, which follows the text `before`, is a phone
    number."""
    digits = _digits(window)
    if window.startswith("+"):
        return len(digits) in _INTERNATIONAL_DIGITS and _possible_international(window)
    separated = not window.isdigit()
    if digits.startswith("00") and separated:  # 0044 20 7946 0958: `+` dialled as 00
        return len(digits) - 2 in _INTERNATIONAL_DIGITS and _possible_international(
            "+" + window[2:]
        )
    if len(digits) not in _NATIONAL_DIGITS:
        return False
    if not separated:
        return bool(_pattern(_PHONE_WORD).search(before)) and (
            digits.startswith("0") or (lookups.spend() and _valid_in_a_national_region(digits))
        )
    if "(" in window:
        return True  # (415) 555-0132, (11) 91234-5678, 020 (0)...
    return digits.startswith("0") or (lookups.spend() and _valid_in_a_national_region(window))


def _find_numbers(work: str) -> Iterator[tuple[str, int, int]]:
    """Card and phone numbers among the digit groups of `work` (folded, ids masked).

    A run of groups may hold a number and more (`4111 1111 1111 1111 12/27 123`): whole
    groups are tried, at most `MAX_GROUPS`, the longest first from the leftmost, card
    before phone.
    """
    lookups = _LookupBudget()
    for candidate in _NUMBER.finditer(work):
        base = candidate.start()
        text = candidate.group()
        groups = [match.span() for match in _DIGIT_GROUP.finditer(text)]
        if _grouped_by_thousands([end - start for start, end in groups]):
            continue  # 1 250 000 000: an amount
        # digits_before[i]: how many digits the groups before group i hold.
        digits_before = list(
            itertools.accumulate((end - start for start, end in groups), initial=0)
        )
        first = 0
        while first < len(groups):
            last = first + _longest_window(digits_before, first)
            while last >= first and digits_before[last + 1] - digits_before[first] >= 9:
                start = 0 if first == 0 else _opening(text, groups[first][0])
                end = _closing(text, groups[last][1])
                window = text[start:end]
                kind = CARD if _is_card(window) else None
                before = work[max(0, base + start - 40) : base + start]
                if kind is None and _is_phone(window, before, lookups):
                    kind = PHONE
                if kind is not None:
                    yield kind, base + start, base + end
                    first = last
                    break
                last -= 1
            first += 1


def _grouped_by_thousands(sizes: list[int]) -> bool:
    """Ten digits or more grouped as amounts are, by threes after the first group."""
    return sum(sizes) >= 10 and sizes[0] <= 3 and all(size == 3 for size in sizes[1:])


def _longest_window(digits_before: list[int], first: int) -> int:
    """How many groups after group `first` a number starting there may take: up to 19
    digits, the most a card number has, in up to `MAX_GROUPS` groups."""
    extra = 0
    while (
        extra + 1 < MAX_GROUPS
        and first + extra + 2 < len(digits_before)
        and digits_before[first + extra + 2] - digits_before[first] <= 19
    ):
        extra += 1
    return extra


def _opening(text: str, start: int) -> int:
    """The start of a group, its bracket included: `(0)20`."""
    stripped = text[:start].rstrip(" ")
    return len(stripped) - 1 if stripped.endswith("(") else start


def _closing(text: str, end: int) -> int:
    """The end of a group, its bracket included."""
    rest = text[end:]
    stripped = rest.lstrip(" ")
    return end + len(rest) - len(stripped) + 1 if stripped.startswith(")") else end


# --- IBANs --------------------------------------------------------------------------------

# The IBAN length of each country of the ISO 13616 registry (SWIFT, release 99).
IBAN_LENGTHS = {
    "ad": 24, "ae": 23, "al": 28, "at": 20, "az": 28, "ba": 20, "be": 16, "bg": 22,
    "bh": 22, "bi": 27, "br": 29, "by": 28, "ch": 21, "cr": 22, "cy": 28, "cz": 24,
    "de": 22, "dj": 27, "dk": 18, "do": 28, "ee": 20, "eg": 29, "es": 24, "fi": 18,
    "fk": 18, "fo": 18, "fr": 27, "gb": 22, "ge": 22, "gi": 23, "gl": 18, "gr": 27,
    "gt": 28, "hn": 28, "hr": 21, "hu": 28, "ie": 22, "il": 23, "iq": 23, "is": 26,
    "it": 27, "jo": 30, "kw": 30, "kz": 20, "lb": 28, "lc": 32, "li": 21, "lt": 20,
    "lu": 20, "lv": 21, "ly": 25, "mc": 27, "md": 24, "me": 22, "mk": 19, "mn": 20,
    "mr": 27, "mt": 31, "mu": 30, "ni": 28, "nl": 18, "no": 15, "om": 23, "pk": 24,
    "pl": 28, "ps": 29, "pt": 25, "qa": 29, "ro": 24, "rs": 22, "ru": 33, "sa": 24,
    "sc": 31, "sd": 18, "se": 24, "si": 19, "sk": 24, "sm": 27, "so": 23, "st": 25,
    "sv": 28, "tl": 23, "tn": 24, "tr": 26, "ua": 29, "va": 22, "vg": 24, "xk": 20,
    "ye": 30,
}  # fmt: skip
# Country code, check digits, then letters and digits, compact or in groups split by a
# space or a dash (folded text: lower case).
_IBAN = re.compile(r"(?<![0-9a-z])[a-z]{2}[0-9]{2}(?:[ \-]?[0-9a-z]){11,30}(?![0-9a-z])")
_IBAN_SEPARATORS = re.compile(r"[ \-]")
# Every registered format has a run of at least nine digits (bank code and account), which
# is what the fixture rule's prescreen looks for.
_NINE_DIGITS_IN_GROUPS = re.compile(r"[0-9](?:[ \-]?[0-9]){8}")
# How trace and span ids are written (OpenTelemetry: 32 and 16 lower-case hex digits).
_OTEL_ID = re.compile(r"[0-9a-f]{16}|[0-9a-f]{32}")


def iban_valid(text: str) -> bool:
    """A registered country, its length, and the ISO 13616 check: the rearranged IBAN,
    letters as 10..35, is 1 modulo 97."""
    compact = _IBAN_SEPARATORS.sub("", text).lower()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isascii():
        return False
    if not compact.isalnum() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _find_ibans(folded: str, original: str, spans: Folded) -> Iterator[tuple[int, int]]:
    position = 0
    while match := _IBAN.search(folded, position):
        found = _iban_in(match.group())
        if found is None:
            position = match.start() + 1  # an IBAN may start inside what was tried
            continue
        start, end = match.start(), match.start() + found
        original_start, original_end = spans.original_span(start, end)
        if _OTEL_ID.fullmatch(original[original_start:original_end]):
            position = end  # a span id (a Belgian IBAN written so would look the same)
            continue
        yield start, end
        position = end


def _iban_in(candidate: str) -> int | None:
    """The length of the IBAN `candidate` starts with, if any: as long as its country's
    IBANs, ending where a group does (the pattern may run on into the next words)."""
    length = IBAN_LENGTHS.get(candidate[:2])
    if length is None:
        return None
    count = 0
    for index, char in enumerate(candidate):
        count += char.isalnum()
        if count == length:
            end = index + 1
            if end < len(candidate) and candidate[end].isalnum():
                return None
            iban = candidate[:end]
            if iban_valid(iban) and _NINE_DIGITS_IN_GROUPS.search(iban):
                return end
            return None
    return None


# --- names --------------------------------------------------------------------------------

# A word of a name, in folded text: letters and digits, joined by apostrophes and hyphens
# (`o'brien`, `jean-luc`).
_NAME_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# What may stand between the words of a name: spaces, a comma (`Whitfield, Dana`), the dot
# of an initial.
_NAME_GAP = re.compile(r"[ ,.]{1,3}")
# Scripts written without spaces between words (Thai, kana, Han, Hangul): a name in them is
# not bounded by other letters, and its words may touch (`田中太郎様`).
_UNSPACED_SCRIPTS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
)


def _unspaced(word: str) -> bool:
    return any(low <= ord(char) <= high for char in word for low, high in _UNSPACED_SCRIPTS)


class NameList:
    """The names of a list, found in folded text whatever their case, accents, apostrophe
    and word order: `Dana Whitfield` is also `Whitfield, Dana` and `DÁNA WHITFIELD`.

    A name is looked up by its words, sorted, among the words of the text; only text that
    holds one of the names' words is looked at further, so a list of thousands of names
    costs little more than one. Names in scripts written without spaces are a pattern of
    their words in every order, with nothing or a space between them.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._names: set[tuple[str, ...]] = set()  # words sorted
        self._words: set[str] = set()
        self._most_words = 0
        unspaced: set[str] = set()
        for name in names:
            words = _NAME_WORD.findall(fold(name).text)
            if not words:
                continue
            if any(_unspaced(word) for word in words):
                orders = itertools.permutations(words) if len(words) <= 3 else [words]
                unspaced.update(r"(?: ?[,、] ?| *)".join(map(re.escape, o)) for o in orders)
                continue
            self._names.add(tuple(sorted(words)))
            self._words.update(words)
            self._most_words = max(self._most_words, len(words))
        alternatives = "|".join(sorted(unspaced, key=lambda s: (-len(s), s)))
        self._unspaced = re.compile(alternatives) if alternatives else None

    def __bool__(self) -> bool:
        return bool(self._names) or self._unspaced is not None

    def finditer(self, folded: str) -> Iterator[tuple[int, int]]:
        """The spans of the listed names in folded text, by position."""
        if self._unspaced is not None:
            yield from (match.span() for match in self._unspaced.finditer(folded))
        if not self._words.intersection(_NAME_WORD.findall(folded)):
            return  # the common case, decided in C
        tokens = [
            (match.start(), match.end(), match.group()) for match in _NAME_WORD.finditer(folded)
        ]
        index = 0
        while index < len(tokens):
            length = self._name_at(folded, tokens, index)
            if not length:
                index += 1
                continue
            _, end, last_word = tokens[index + length - 1]
            if last_word not in self._words:
                end -= len("'s")  # Dana's order: the name without its `'s`
            yield tokens[index][0], end
            index += length

    def _name_at(self, folded: str, tokens: list[tuple[int, int, str]], index: int) -> int:
        """How many words from `index` on are a listed name (the most that are), or 0."""
        words: list[str] = []
        for offset in range(min(self._most_words, len(tokens) - index)):
            start, _, word = tokens[index + offset]
            if offset and not _NAME_GAP.fullmatch(folded, tokens[index + offset - 1][1], start):
                break
            word = word if word in self._words else word.removesuffix("'s")
            if word not in self._words:
                break
            words.append(word)
        for length in range(len(words), 0, -1):
            if tuple(sorted(words[:length])) in self._names:
                return length
        return 0


# --- finding ------------------------------------------------------------------------------


def find_sensitive_data(text: str, *, names: NameList | None = None) -> list[PersonalData]:
    """Every e-mail address, IBAN, card and phone number in `text`, and the names of
    `names` elsewhere, by position."""
    folded = fold(text)
    found: list[tuple[str, int, int]] = []  # kind and span in the folded text
    search = folded.text
    if _MAY_HOLD_AN_EMAIL.search(search):
        found += [(EMAIL, *span) for span in _find_emails(search)]
    if any(char.isdigit() for char in search):
        work = _masked(search, [(start, end) for _, start, end in found])
        found += [(IBAN, *span) for span in _find_ibans(work, text, folded)]
        work = _masked(work, [*identifier_spans(work), *((s, e) for _, s, e in found)])
        found += list(_find_numbers(work))
    if names:
        for name_start, name_end in names.finditer(search):
            if not any(name_start < end and start < name_end for _, start, end in found):
                found.append((NAME, name_start, name_end))
    result = []
    for kind, start, end in sorted(found, key=lambda item: item[1]):
        original_start, original_end = folded.original_span(start, end)
        result.append(
            PersonalData(kind, original_start, original_end, text[original_start:original_end])
        )
    return result


# --- redaction ----------------------------------------------------------------------------

_AT_SPELLING = re.compile(r" ?[(\[<] ?at ?[)\]>] ?|%40| at ")
_DOT_SPELLING = re.compile(_DOT_WORD)


def _replaced(
    text: str, found: Iterable[PersonalData], replace: Callable[[PersonalData], str]
) -> str:
    """`text` with each value `found` in it (in order, not overlapping) replaced."""
    parts: list[str] = []
    position = 0
    for item in found:
        parts.append(text[position : item.start])
        parts.append(replace(item))
        position = item.end
    parts.append(text[position:])
    return "".join(parts)


def _identity(kind: str, text: str) -> str:
    """What makes two spellings the same value: `(415) 555-0132` is `415.555.0132`,
    `Dana(at)Example.com` is `dana@example.com`, `Whitfield, Dana` is `Dana Whitfield`."""
    if kind in (PHONE, CARD):
        return _digits(fold(text).text)
    folded = fold(text).text
    if kind == IBAN:
        return _IBAN_SEPARATORS.sub("", folded)
    if kind == EMAIL:
        return _DOT_SPELLING.sub(".", _AT_SPELLING.sub("@", folded))
    return " ".join(sorted(_NAME_WORD.findall(folded)))


class Redactor:
    """Replaces personal data by placeholders, the same value by the same placeholder.

    Numbers count per kind in the order values are first met, so the same input gives
    the same output. `replaced` counts replacements per kind, `distinct` distinct values.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names = NameList(names)
        self._placeholders: dict[tuple[str, str], str] = {}
        self.distinct: Counter[str] = Counter()
        self.replaced: Counter[str] = Counter()
        # Mapping keys found to hold no personal data: a trace repeats its keys.
        self._clean_keys: set[str] = set()

    def placeholder(self, kind: str, text: str) -> str:
        key = (kind, _identity(kind, text))
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            self.distinct[kind] += 1
            placeholder = f"<{PLACEHOLDER_LABELS[kind]}_{self.distinct[kind]}>"
            self._placeholders[key] = placeholder
        return placeholder

    def find(self, text: str) -> list[PersonalData]:
        """What `redact` replaces in `text`."""
        return find_sensitive_data(text, names=self._names)

    def redact(self, text: str) -> str:
        found = self.find(text)
        return _replaced(text, found, self._replace) if found else text

    def _replace(self, item: PersonalData) -> str:
        self.replaced[item.kind] += 1
        return self.placeholder(item.kind, item.text)

    def redact_key(self, key: str, taken: Container[str]) -> str:
        """A mapping's key redacted like text, and made unique among the keys `taken`
        already (`<EMAIL_1>~2`), so that redacted JSON keeps every entry."""
        if key in self._clean_keys:
            redacted = key
        else:
            found = self.find(key)
            if not found:
                self._clean_keys.add(key)
            redacted = _replaced(key, found, self._replace) if found else key
        if redacted not in taken:
            return redacted
        number = 2
        while f"{redacted}~{number}" in taken:
            number += 1
        return f"{redacted}~{number}"


# An address cut short (`dana.whitfield@exam`) is still hidden in a message.
_AT_TOKEN = re.compile(r"[^\s`'\"()\[\]<>]+(?:@|%40)[^\s`'\"()\[\]<>]*")


def mask_personal_data(text: str) -> str:
    """`text` with personal data replaced by its kind (`<EMAIL>`): for messages, which
    quote values from traces and may cut them short, so any word with an `@` goes too."""
    masked = _replaced(
        text, find_sensitive_data(text), lambda item: f"<{PLACEHOLDER_LABELS[item.kind]}>"
    )
    return _AT_TOKEN.sub(f"<{PLACEHOLDER_LABELS[EMAIL]}>", masked)
