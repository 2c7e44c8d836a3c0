""" "Did you mean": the query with each unknown word replaced by the nearest word of the
register's vocabulary that the asking user may see.

Who may see what is not decided here: the caller passes the issues visible to the user
(kir.register.selectors.search_suggestion passes the visibility module's answer), and a word is
known or suggested only when one of those issues holds it. A word found only in hidden issues is
treated as if it did not exist.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet

from kir.search.models import VocabularyWord, WordTrigram
from kir.search.vocabulary import MAX_WORD, MIN_WORD, edit_distance, similarity, trigrams

# Within pg_trgm's default similarity threshold and two edits: "batery" -> "battery" (0.67, one
# edit); beyond that the "correction" is more often another word than the one meant.
MIN_SIMILARITY = 0.3
MAX_EDITS = 2
# Candidates read per word, by trigrams shared, before they are scored; then at most this many
# words of a query are corrected, so a pasted paragraph costs no more than a short query.
CANDIDATES = 40
MAX_TERMS = 8
_TERM = re.compile(r"\w+")


def suggest_query(query: str, *, visible: QuerySet[Any]) -> str | None:
    """`query` with its unknown words corrected, or None when there is nothing to correct.

    `visible` is a queryset of the issues the user may see. The rest of the query (quotes, `or`,
    `-`, punctuation) is kept as typed, so the suggestion searches the same way.
    """
    spans = [m for m in _TERM.finditer(query) if _correctable(m.group())][:MAX_TERMS]
    terms = {m.group().casefold() for m in spans}
    if not terms:
        return None
    unknown = terms - _visible_words(terms, visible)
    corrections = {term: _nearest(term, visible) for term in sorted(unknown)}
    if not any(corrections.values()):
        return None
    parts, end = [], 0
    for match in spans:
        correction = corrections.get(match.group().casefold())
        if correction:
            parts += [query[end : match.start()], correction]
            end = match.end()
    return "".join(parts) + query[end:]


def _correctable(term: str) -> bool:
    return MIN_WORD <= len(term) <= MAX_WORD and not term.isdigit()


def _in_visible_issue(visible: QuerySet[Any]) -> Exists:
    """The vocabulary word (outer row) occurs in at least one of the `visible` issues."""
    return Exists(visible.filter(words__word=OuterRef("pk")))


def _visible_words(words: set[str], visible: QuerySet[Any]) -> set[str]:
    rows = VocabularyWord.objects.filter(word__in=words).filter(_in_visible_issue(visible))
    return set(rows.values_list("word", flat=True))


def _nearest(term: str, visible: QuerySet[Any]) -> str | None:
    """The visible vocabulary word closest to `term`: fewest edits, then most similar, then
    alphabetically first (so the answer never depends on the order rows come back in)."""
    ranked = sorted(
        (edit_distance(term, word), -similarity(term, word), word, pk)
        for pk, word in _candidates(term)
    )
    ranked = [r for r in ranked if r[0] <= MAX_EDITS and -r[1] >= MIN_SIMILARITY]
    if not ranked:
        return None
    seen = VocabularyWord.objects.filter(pk__in=[r[3] for r in ranked])
    shown = set(seen.filter(_in_visible_issue(visible)).values_list("pk", flat=True))
    return next((word for _, _, word, pk in ranked if pk in shown), None)


def _candidates(term: str) -> list[tuple[int, str]]:
    """(id, word) of the words of about `term`'s length sharing most trigrams with it."""
    length = len(term)
    rows = (
        WordTrigram.objects.filter(
            trigram__in=trigrams(term),
            word__length__range=(length - MAX_EDITS, length + MAX_EDITS),
        )
        .values("word_id", "word__word")
        .annotate(shared=Count("pk"))
        .order_by("-shared", "word__word")[:CANDIDATES]
    )
    return [(row["word_id"], row["word__word"]) for row in rows]
