"""The neutral-language check: find phrases that assert responsibility or non-compliance.

Pure functions over text; the phrase list comes from the ProhibitedPhrase table (administrators
edit it) and the manufacturer names from the issue's affected products.

Matching rules (each has a test):
- case-insensitive, on whole words: "liable" does not hit "reliable", "compliant" is not hit by
  "non-compliant", "defective" does not hit "defectively" or "non-defective" (a hyphen joins words,
  so "non-defective" is one word that denies, not asserts);
- inside a phrase, a space or hyphen matches any run of spaces and hyphens, so "non-compliant"
  also hits "non compliant" and "Non-Compliant"; straight and curly apostrophes are the same;
- a trailing "*" matches any ending: "breach*" hits "breach", "breached", "breaching"; without it
  "breach" would not hit "breached";
- naming a manufacturer is neutral and necessary (the register identifies the devices), but naming
  it as the *cause* is an assertion of responsibility: "<name>'s fault/error/defect/failure",
  "caused/introduced by <name>", "due to <name>", "because of <name>", "attributable to <name>",
  "blame <name>", "<name> caused", "<name> is/are to blame/at fault/responsible". A name is tried in
  full and without a company suffix (Ltd, Limited, plc, Inc, GmbH, LLP, Co), since people write
  "Acme Meters" for "Acme Meters Ltd".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

_WORD_BEFORE = r"(?<![\w\-])"
_WORD_AFTER = r"(?![\w\-])"
_GAP = r"[\s\-\u2010-\u2015]+"
_APOSTROPHES = "'\u2019\u2018"
_COMPANY_SUFFIX = re.compile(r"[\s,]+(ltd\.?|limited|plc|inc\.?|gmbh|llp|co\.?)$", re.IGNORECASE)

_CAUSE_NOUNS = r"(?:fault|error|defect|failure|mistake|problem)s?"
# {name} is replaced by the escaped manufacturer name pattern.
_CAUSE_TEMPLATES = (
    r"{name}['\u2019\u2018]s?" + _GAP + _CAUSE_NOUNS,
    r"(?:caused|introduced|created)" + _GAP + r"by" + _GAP + "{name}",
    r"(?:due|attributable|owing)" + _GAP + r"to" + _GAP + "{name}",
    r"because" + _GAP + r"of" + _GAP + "{name}",
    r"blame[sd]?" + _GAP + "{name}",
    r"{name}" + _GAP + r"caused",
    r"{name}" + _GAP + r"(?:is|are|was|were)" + _GAP + r"(?:to blame|at fault|responsible)",
)


@dataclass(frozen=True)
class Hit:
    """One finding: `phrase` names the rule (the list entry, or "<name> as the cause")."""

    phrase: str
    matched: str
    start: int
    end: int


def _phrase_body(phrase: str) -> str:
    words = [w for w in re.split(r"[\s\-\u2010-\u2015]+", phrase.strip()) if w]
    apostrophe = f"[{_APOSTROPHES}]"
    return _GAP.join(
        "".join(apostrophe if ch in _APOSTROPHES else re.escape(ch) for ch in word)
        for word in words
    )


@lru_cache(maxsize=1024)
def compile_phrase(phrase: str) -> re.Pattern[str]:
    wildcard = phrase.strip().endswith("*")
    body = _phrase_body(phrase.strip().rstrip("*"))
    tail = r"[\w\-]*" if wildcard else ""
    return re.compile(_WORD_BEFORE + body + tail + _WORD_AFTER, re.IGNORECASE)


def name_variants(name: str) -> list[str]:
    """The full name and, when it has one, the name without its company suffix."""
    full = name.strip()
    short = _COMPANY_SUFFIX.sub("", full).strip()
    return [v for v in dict.fromkeys([full, short]) if len(v) >= 2]


@lru_cache(maxsize=256)
def compile_cause_rule(name: str) -> re.Pattern[str]:
    names = "|".join(_phrase_body(v) for v in name_variants(name))
    alternatives = "|".join(t.format(name=f"(?:{names})") for t in _CAUSE_TEMPLATES)
    return re.compile(_WORD_BEFORE + f"(?:{alternatives})" + _WORD_AFTER, re.IGNORECASE)


def cause_rule_label(name: str) -> str:
    return f"{name} as the cause"


def find_prohibited(
    text: str, phrases: Iterable[str], manufacturer_names: Iterable[str] = ()
) -> list[Hit]:
    """Every hit in `text`, in order of position."""
    hits = []
    for phrase in phrases:
        if not phrase.strip().rstrip("*").strip():
            continue
        for match in compile_phrase(phrase).finditer(text):
            hits.append(Hit(phrase, match.group(0), match.start(), match.end()))
    for name in manufacturer_names:
        if not name_variants(name):
            continue
        for match in compile_cause_rule(name).finditer(text):
            hits.append(Hit(cause_rule_label(name), match.group(0), match.start(), match.end()))
    return sorted(hits, key=lambda h: (h.start, h.phrase))


def check_texts(
    texts: Mapping[str, str], phrases: Iterable[str], manufacturer_names: Iterable[str] = ()
) -> dict[str, list[Hit]]:
    """Hits per field name, for the fields that have any."""
    phrase_list = list(phrases)
    names = list(manufacturer_names)
    found = {}
    for field, text in texts.items():
        hits = find_prohibited(text, phrase_list, names)
        if hits:
            found[field] = hits
    return found


def text_digest(text: str) -> str:
    """What an override is bound to: rewording the text needs a fresh decision."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
