"""Full-text index of register issues: one search document per issue, one interface, two engines.

Each issue has an IssueSearchDocument whose `body` gathers everything a user may type to find it
(human id, title, summary, description, every statement, the affected products' names and GBCS ids).
Services call `index_issue` inside their own transaction, so the document never disagrees with the
issue it describes. Evidence descriptions are deliberately left out: installation-level evidence
must not become findable by users who may see the issue but not that evidence. Beside the
document, the issue's words go into the register's vocabulary (kir.search.vocabulary), from
which "did you mean" suggestions are drawn.

SQLite: an FTS5 table (porter stemming) over the documents, kept in step by triggers created in the
search migration. PostgreSQL: a tsvector of the document stored on the issue row, kept in step by a
trigger on the document table, with a GIN index, queried with websearch_to_tsquery. `search_match`
hides the difference: a filter over Issue, so the search combines with the visibility filter
inside one SQL statement.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from kir.register.models import AffectedProduct, Issue, Statement
from kir.search.fulltext_sql import FTS_TABLE, ISSUE_TABLE, ISSUE_VECTOR_COLUMN
from kir.search.models import IssueSearchDocument, IssueWord
from kir.search.vocabulary import store_issue_words, words_of

TEXT_SEARCH_CONFIG = "english"
_REINDEX_BATCH = 1000

_PRODUCT_FIELDS = (
    "device_version__device_model__manufacturer__name",
    "device_version__device_model__manufacturer__identifier",
    "device_version__device_model__name",
    "device_version__device_model__model_id",
    "device_version__device_model__device_type",
    "device_version__firmware_version",
    "dmc__identifier",
    "dmc__name",
)
# What a suggestion may be made of: the text, and the products' names and model and manufacturer
# ids. Firmware versions and DMC ids (hashes) are left out: thousands of them, and a mistyped one
# has no nearest "right" value worth suggesting.
_VOCABULARY_PRODUCT_FIELDS = (
    "device_version__device_model__manufacturer__name",
    "device_version__device_model__manufacturer__identifier",
    "device_version__device_model__name",
    "device_version__device_model__model_id",
    "dmc__name",
)


def index_issue(issue: Issue) -> None:
    """(Re)build the issue's search document. Call it in the transaction that changed the text."""
    fields = (issue.human_id, issue.title, issue.summary, issue.description)
    statements = _statement_texts([issue.pk]).get(issue.pk, [])
    body = compose_body(
        issue_fields=fields,
        statements=statements,
        products=_product_words([issue.pk]).get(issue.pk, []),
    )
    IssueSearchDocument.objects.update_or_create(issue_id=issue.pk, defaults={"body": body})
    names = _product_words([issue.pk], _VOCABULARY_PRODUCT_FIELDS).get(issue.pk, [])
    store_issue_words({issue.pk: words_of((*fields, *statements, *names))})


def remove_issue(issue_id: int) -> None:
    IssueSearchDocument.objects.filter(issue_id=issue_id).delete()
    IssueWord.objects.filter(issue_id=issue_id).delete()


def compose_body(
    *, issue_fields: Iterable[str], statements: Iterable[str], products: Iterable[str]
) -> str:
    # Product words repeat across rows (one manufacturer, many firmware versions); once is enough.
    product_text = " ".join(dict.fromkeys(word for word in products if word))
    return "\n".join(part for part in (*issue_fields, *statements, product_text) if part)


@transaction.atomic
def reindex_all() -> int:
    """Rebuild every search document in batches (bulk loads, repairs); returns the count."""
    if connection.vendor == "postgresql":
        # Each document written here makes the trigger update its issue row (kir.search.
        # fulltext_sql), while a service locks an issue row first and writes its document after.
        # Writers wait for the rebuild instead of deadlocking with it; readers are not held up.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {ISSUE_TABLE} IN EXCLUSIVE MODE")
    IssueSearchDocument.objects.all().delete()
    IssueWord.objects.all().delete()
    issues = Issue.objects.order_by("pk").values_list(
        "pk", "human_id", "title", "summary", "description"
    )
    count = 0
    last_pk = 0
    while True:
        batch = list(issues.filter(pk__gt=last_pk)[:_REINDEX_BATCH])
        if not batch:
            break
        ids = [row[0] for row in batch]
        statements = _statement_texts(ids)
        products = _product_words(ids)
        names = _product_words(ids, _VOCABULARY_PRODUCT_FIELDS)
        IssueSearchDocument.objects.bulk_create(
            IssueSearchDocument(
                issue_id=pk,
                body=compose_body(
                    issue_fields=fields,
                    statements=statements.get(pk, []),
                    products=products.get(pk, []),
                ),
            )
            for pk, *fields in batch
        )
        store_issue_words(
            {
                pk: words_of((*fields, *statements.get(pk, []), *names.get(pk, [])))
                for pk, *fields in batch
            }
        )
        count += len(batch)
        last_pk = ids[-1]
    return count


def _statement_texts(issue_ids: list[int]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = defaultdict(list)
    rows = Statement.objects.filter(issue_id__in=issue_ids).order_by("created_at", "pk")
    for issue_id, text in rows.values_list("issue_id", "text"):
        texts[issue_id].append(text)
    return texts


def _product_words(
    issue_ids: list[int], fields: tuple[str, ...] = _PRODUCT_FIELDS
) -> dict[int, list[str]]:
    words: dict[int, list[str]] = defaultdict(list)
    rows = AffectedProduct.objects.filter(issue_id__in=issue_ids).order_by("pk")
    for issue_id, *values in rows.values_list("issue_id", *fields):
        words[issue_id].extend(value for value in values if value)
    return words


def search_match(query: str) -> Q:
    """A filter over Issue: the issue's document matches `query`.

    The query takes the web-search syntax on both engines: words (all must match, stemmed),
    "quoted phrases", `or` between alternatives and `-word` to exclude. Nothing a user types can
    make the database raise a syntax error. On PostgreSQL the test reads the vector stored on the
    issue row itself (kir.search.fulltext_sql), so it composes with visibility and filters in one
    scan; on SQLite it is an id subquery over the FTS5 table.
    """
    if connection.vendor == "postgresql":
        if not query.strip():
            return Q(pk__in=[])
        return Q(_WebSearchMatch(F("pk"), Value(query)))
    match = fts5_query(query)
    if not match:
        return Q(pk__in=[])
    matching_rowids = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (match,))
    documents = IssueSearchDocument.objects.filter(issue_id__in=matching_rowids)
    return Q(pk__in=documents.values("issue_id"))


def search_issue_ids(query: str) -> QuerySet[Any]:
    """Ids of the issues `search_match(query)` selects, as a subquery for `pk__in=`."""
    return Issue.objects.filter(search_match(query)).values("pk")


def _issue_vector(compiler: Any, issue_pk: Any) -> str:
    """The stored vector column of the issue whose resolved primary key column is `issue_pk`;
    the column is unknown to the model, so it is addressed through the issue table's alias."""
    column = ISSUE_VECTOR_COLUMN
    identifiers = (issue_pk.alias, column) if issue_pk.alias else (column,)
    return ".".join(map(compiler.quote_name_unless_alias, identifiers))


def _tsquery(compiler: Any, query: Any) -> tuple[str, tuple[Any, ...]]:
    """websearch_to_tsquery of the query text: it never raises on malformed input, unlike
    to_tsquery."""
    query_sql, query_params = compiler.compile(query)
    config = f"'{TEXT_SEARCH_CONFIG}'::regconfig"
    return f"websearch_to_tsquery({config}, {query_sql})", tuple(query_params)


class _WebSearchMatch(Func):
    """`<issue>.search_vector @@ websearch_to_tsquery('english', q)` on PostgreSQL."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, query = self.get_source_expressions()
        tsquery, params = _tsquery(compiler, query)
        return f"{_issue_vector(compiler, issue_pk)} @@ {tsquery}", params


def search_rank(query: str) -> Func:
    """An expression over Issue: how well its document matches `query`, higher is better.

    For ordering issues already filtered with `search_match(query)`. PostgreSQL ranks with
    ts_rank over the vector on the issue row; SQLite with FTS5's bm25 (negated: FTS5 ranks better
    matches lower), in a correlated subquery, so only matching issues are ranked.
    """
    text = query if connection.vendor == "postgresql" else fts5_query(query)
    if not text.strip():
        return Func(Value(0.0), function="", output_field=FloatField())
    return _SearchRank(F("pk"), Value(text))


class _SearchRank(Func):
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        issue_pk, query = self.get_source_expressions()
        if connection.vendor == "postgresql":
            tsquery, params = _tsquery(compiler, query)
            return f"ts_rank({_issue_vector(compiler, issue_pk)}, {tsquery})", params
        (issue_sql, issue_params), (query_sql, query_params) = (
            compiler.compile(expression) for expression in (issue_pk, query)
        )
        sql = (
            f"(SELECT -rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {query_sql} "
            f"AND rowid = {issue_sql})"
        )
        return sql, (*query_params, *issue_params)


_QUERY_PART = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w")


def fts5_query(query: str) -> str:
    """Translate web-search syntax into an FTS5 MATCH expression made only of quoted strings.

    Every user term becomes an FTS5 string ("..."), so FTS5 operators, column filters, brackets and
    stray quotes in the input are plain text; only our own AND/OR/NOT reach the parser. An empty
    result means there is nothing to search for.
    """
    groups: list[tuple[list[str], list[str]]] = [([], [])]
    for match in _QUERY_PART.finditer(query):
        phrase, word = match.group(1), match.group(2)
        if word is not None and word.lower() == "or":
            groups.append(([], []))
            continue
        negated = word is not None and word.startswith("-") and len(word) > 1
        text = phrase if phrase is not None else word.removeprefix("-") if negated else word
        if not _WORD.search(text):
            continue
        positives, negatives = groups[-1]
        (negatives if negated else positives).append('"' + text.replace('"', " ") + '"')
    # FTS5's NOT needs a left operand; a group made only of exclusions cannot be expressed.
    clauses = [
        " ".join(positives) + "".join(f" NOT {term}" for term in negatives)
        for positives, negatives in groups
        if positives
    ]
    return " OR ".join(clauses)
