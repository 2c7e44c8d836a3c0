"""The search document of each issue; see kir.search.index for how it is built and queried."""

from __future__ import annotations

from django.db import models


class IssueSearchDocument(models.Model):
    """Everything a user may type to find an issue, in one column the full-text engines index.

    On SQLite the FTS5 table `search_issue_fts` mirrors this table through triggers (migration
    0002). A migration that alters this table on SQLite rebuilds it and drops those triggers:
    such a migration must recreate them (kir.search.fulltext_sql.SQLITE_TRIGGERS). On PostgreSQL
    a trigger stores the body's tsvector on the issue row (migration 0004).
    """

    issue = models.OneToOneField(
        "register.Issue",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"search document of issue {self.issue_id}"


class VocabularyWord(models.Model):
    """One word of the register's own vocabulary, the words "did you mean" may suggest.

    Words are what `kir.search.vocabulary.words_of` finds in an issue's text and in the names and
    ids of its products, case-folded. A word is suggested only to a user who may see an issue it
    belongs to (IssueWord), so the table itself is shared by every audience.
    """

    word = models.CharField(max_length=40, unique=True)
    # Candidates are looked up among words of about the typed length (kir.search.suggest).
    length = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return self.word


class WordTrigram(models.Model):
    """A trigram of a vocabulary word (padded as pg_trgm pads: two spaces before, one after),
    so the words close to a misspelling are found by the trigrams they share with it."""

    trigram = models.CharField(max_length=3)
    # The unique index (trigram, word) serves the look-up by trigram; no second index by word.
    word = models.ForeignKey(
        VocabularyWord, on_delete=models.CASCADE, related_name="trigrams", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trigram", "word"], name="search_trigram_word_unique")
        ]

    def __str__(self) -> str:
        return f"{self.trigram!r} of word {self.word_id}"


class IssueWord(models.Model):
    """A vocabulary word occurs in an issue: the link through which the visibility rule decides
    whether the word may be suggested to a user."""

    issue = models.ForeignKey("register.Issue", on_delete=models.CASCADE, related_name="words")
    word = models.ForeignKey(
        VocabularyWord, on_delete=models.CASCADE, related_name="issues", db_index=False
    )

    class Meta:
        constraints = [
            # Also the index of "is this word in a visible issue" (word first).
            models.UniqueConstraint(fields=["word", "issue"], name="search_word_issue_unique")
        ]

    def __str__(self) -> str:
        return f"word {self.word_id} in issue {self.issue_id}"
