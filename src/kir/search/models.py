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
