"""The register's own vocabulary: the words "did you mean" may suggest, kept beside the search
documents by kir.search.index (the same transaction, the same callers).

One trigram table of our own serves both engines rather than pg_trgm on PostgreSQL and a second
mechanism (spellfix, not shipped with Python's SQLite) on SQLite: the vocabulary is small (the
benchmark's 20,000 issues have about 10,000 words), so an indexed look-up by a dozen trigrams is
fast on both, needs no extension or superuser, and both engines suggest exactly the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from kir.search.models import IssueWord, VocabularyWord, WordTrigram

MIN_WORD = 3
MAX_WORD = 40
_WORD = re.compile(r"\w+")
_BATCH = 5000


def words_of(texts: Iterable[str]) -> set[str]:
    """The case-folded words of `texts` a suggestion may be made of: runs of letters and digits
    of 3 to 40 characters, not only digits (a mistyped figure has no "right" spelling)."""
    words = set()
    for text in texts:
        for match in _WORD.finditer(text):
            word = match.group().casefold()
            if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit():
                words.add(word)
    return words


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before and one after, so that the
    start of a word weighs more than its end, as it does when people misspell."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(word: str, other: str) -> float:
    """Shared trigrams over all trigrams of the two words (pg_trgm's similarity)."""
    mine, theirs = trigrams(word), trigrams(other)
    return len(mine & theirs) / len(mine | theirs)


def edit_distance(word: str, other: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), row by row."""
    previous = list(range(len(other) + 1))
    for i, char in enumerate(word, start=1):
        current = [i]
        for j, other_char in enumerate(other, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other_char))
            )
        previous = current
    return previous[-1]


def store_issue_words(words_by_issue: Mapping[int, set[str]]) -> None:
    """Make each issue's vocabulary exactly `words_by_issue[issue]`; call it in the transaction
    that writes the issues' search documents. Words no issue uses any more stay in the table:
    they are never suggested (a suggestion needs a visible issue holding the word)."""
    issue_ids = list(words_by_issue)
    IssueWord.objects.filter(issue_id__in=issue_ids).delete()
    ids = _word_ids(set().union(*words_by_issue.values()))
    IssueWord.objects.bulk_create(
        (
            IssueWord(issue_id=issue_id, word_id=ids[word])
            for issue_id, words in words_by_issue.items()
            for word in words
        ),
        batch_size=_BATCH,
    )


def _word_ids(words: set[str]) -> dict[str, int]:
    """The ids of `words`, adding the new ones with their trigrams. Two writers adding the same
    word at once are both served: conflicts are ignored and the ids read back. New words go in
    sorted, so two writers wait for each other's words in one order and never deadlock."""
    ids = _read_ids(words)
    new = words - set(ids)
    if new:
        VocabularyWord.objects.bulk_create(
            (VocabularyWord(word=word, length=len(word)) for word in sorted(new)),
            batch_size=_BATCH,
            ignore_conflicts=True,
        )
        added = _read_ids(new)
        WordTrigram.objects.bulk_create(
            (
                WordTrigram(trigram=trigram, word_id=word_id)
                for word, word_id in added.items()
                for trigram in trigrams(word)
            ),
            batch_size=_BATCH,
            ignore_conflicts=True,
        )
        ids.update(added)
    return ids


def _read_ids(words: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    ordered = sorted(words)
    for start in range(0, len(ordered), _BATCH):
        rows = VocabularyWord.objects.filter(word__in=ordered[start : start + _BATCH])
        ids.update(rows.values_list("word", "pk"))
    return ids
