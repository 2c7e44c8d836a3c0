from __future__ import annotations

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.register.models import Issue, IssueState, StatementKind
from kir.search.index import (
    fts5_query,
    index_issue,
    reindex_all,
    remove_issue,
    search_issue_ids,
    search_match,
    search_rank,
)
from kir.search.models import IssueSearchDocument
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    DMCFactory,
    IssueFactory,
    ManufacturerFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def found(query: str) -> set[str]:
    return set(
        Issue.objects.filter(pk__in=search_issue_ids(query)).values_list("human_id", flat=True)
    )


@pytest.fixture
def flapping(db):
    return IssueFactory(
        human_id="KIR-2026-0007",
        title="Connect and disconnect flapping on prepayment meters",
        summary="Supply interruptions are reported repeatedly within seconds.",
        description="Seen *mostly* in the North region after a firmware upgrade.",
    )


@pytest.fixture
def clock(db):
    return IssueFactory(
        human_id="KIR-2026-0008",
        title="Clock adjusted alerts every night",
        summary="Gas meters send 8145 after time synchronisation.",
        description="",
    )


def test_it_finds_issues_by_words_of_title_summary_and_description(flapping, clock):
    assert found("flapping") == {"KIR-2026-0007"}
    assert found("interruptions") == {"KIR-2026-0007"}
    assert found("firmware upgrade") == {"KIR-2026-0007"}
    assert found("clock") == {"KIR-2026-0008"}
    assert found("8145") == {"KIR-2026-0008"}


def test_it_requires_every_word(flapping, clock):
    assert found("flapping clock") == set()


def test_it_stems_english_words(flapping, clock):
    assert found("flaps") == {"KIR-2026-0007"}
    assert found("interruption") == {"KIR-2026-0007"}
    assert found("adjusting alert") == {"KIR-2026-0008"}


def test_it_supports_phrases_alternatives_and_exclusions(flapping, clock):
    assert found('"connect and disconnect"') == {"KIR-2026-0007"}
    assert found('"disconnect connect"') == set()
    assert found("flapping or clock") == {"KIR-2026-0007", "KIR-2026-0008"}
    assert found("alerts -gas") == set()
    assert found("meters -gas") == {"KIR-2026-0007"}


def test_it_finds_statement_text_once_reindexed(flapping):
    StatementFactory(issue=flapping, kind=StatementKind.ROOT_CAUSE, text="Relay chatter suspected")
    assert found("chatter") == set()
    index_issue(flapping)
    assert found("chatter") == {"KIR-2026-0007"}


def test_it_finds_affected_products_by_name_and_gbcs_ids(flapping, clock):
    maker = ManufacturerFactory(identifier="1A2B", name="Acme Metering")
    model = DeviceModelFactory(manufacturer=maker, model_id="00012345", name="Acme Flex")
    version = DeviceVersionFactory(device_model=model, firmware_version="01020304")
    AffectedProductFactory(issue=flapping, device_version=version)
    combination = DMCFactory(identifier="DMC-ABCDEF123456", name="North hub pairing")
    AffectedProductFactory(issue=clock, dmc=combination)
    index_issue(flapping)
    index_issue(clock)

    assert found("acme") == {"KIR-2026-0007"}
    assert found("1A2B") == {"KIR-2026-0007"}
    assert found("00012345") == {"KIR-2026-0007"}
    assert found("01020304") == {"KIR-2026-0007"}
    assert found("DMC-ABCDEF123456") == {"KIR-2026-0008"}
    assert found("pairing") == {"KIR-2026-0008"}


def test_it_finds_the_human_id(flapping, clock):
    assert found("KIR-2026-0007") == {"KIR-2026-0007"}


def test_it_forgets_old_text_when_an_issue_is_reindexed(flapping):
    Issue.objects.filter(pk=flapping.pk).update(title="Meter display blank")
    flapping.refresh_from_db()
    index_issue(flapping)
    assert found("flapping") == set()
    assert found("display") == {"KIR-2026-0007"}
    assert IssueSearchDocument.objects.count() == 1


def test_it_removes_an_issue_from_the_index(flapping, clock):
    remove_issue(flapping.pk)
    assert found("flapping or clock") == {"KIR-2026-0008"}


def test_it_drops_the_document_with_its_issue(flapping, clock):
    flapping.delete()
    replacement = IssueFactory(human_id="KIR-2026-0009", title="Display blank")
    assert IssueSearchDocument.objects.filter(pk=replacement.pk).exists()
    assert found("flapping") == set()
    assert found("display") == {"KIR-2026-0009"}


def test_reindex_all_rebuilds_every_document(flapping, clock):
    StatementFactory(issue=clock, text="Time server drift identified")
    IssueSearchDocument.objects.all().delete()
    assert found("clock") == set()

    assert reindex_all() == 2

    assert found("clock") == {"KIR-2026-0008"}
    assert found("drift") == {"KIR-2026-0008"}
    assert found("flapping") == {"KIR-2026-0007"}


def test_it_combines_with_other_filters_in_one_query(flapping, clock):
    Issue.objects.filter(pk=clock.pk).update(state=IssueState.PUBLISHED)
    published = Issue.objects.filter(state=IssueState.PUBLISHED)
    matching = published.filter(pk__in=search_issue_ids("alerts or flapping"))
    assert list(matching.values_list("human_id", flat=True)) == ["KIR-2026-0008"]


def test_an_empty_or_wordless_query_matches_nothing(flapping):
    for query in ["", "   ", '"', "-", "()", "*", "OR"]:
        assert found(query) == set(), query


NASTY_QUERIES = [
    '"unterminated',
    'flapping"',
    "flapping AND OR NOT",
    "NEAR(flapping clock, 2)",
    "body:flapping",
    "^flapping",
    "flap*",
    "(flapping",
    "flapping)",
    "'; DROP TABLE search_issuesearchdocument; --",
    "a & b | !c <-> d",
    "\\",
    "%_",
    "\x00flapping",
    "ﬂapping ünïcödé 中文",
]


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_it_never_raises_on_query_syntax(flapping, query):
    found(query.replace("\x00", ""))


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=ANY_TEXT)
def test_it_never_raises_on_any_text(flapping, query):
    found(query)


def test_fts5_query_quotes_every_user_term():
    assert fts5_query('flap* NEAR(x) "a b" -c or d') == '"flap*" "NEAR(x)" "a b" NOT "c" OR "d"'


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plan")
def test_it_reads_the_vector_on_the_issue_row_through_its_gin_index_on_postgresql(flapping):
    query = Issue.objects.filter(search_match("flapping"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "register_issue_search_vector" in plan
    assert "search_issuesearchdocument" not in plan


def test_saving_an_issue_keeps_it_findable(flapping):
    """On PostgreSQL the vector is a column the Issue model does not know: a save writes the
    model's columns only and must leave the vector as the document trigger set it."""
    flapping.title = "Connect and disconnect flapping, revised"
    flapping.save()
    Issue.objects.filter(pk=flapping.pk).update(summary="Changed in bulk.")
    assert found("interruptions") == {"KIR-2026-0007"}


def ranked(query: str) -> list[str]:
    return list(
        Issue.objects.filter(pk__in=search_issue_ids(query))
        .order_by(search_rank(query).desc(), "pk")
        .values_list("human_id", flat=True)
    )


def test_search_rank_puts_the_better_match_first(db):
    passing = IssueFactory(
        human_id="KIR-2026-0101",
        title="Display blank",
        summary="One flapping report among many other words about displays and meters.",
        description="The screen stays blank after a power cycle on several meters.",
    )
    focused = IssueFactory(
        human_id="KIR-2026-0102",
        title="Flapping relay",
        summary="Flapping, flapping and more flapping.",
        description="",
    )
    assert ranked("flapping") == [focused.human_id, passing.human_id]
    assert ranked('"') == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL table lock")
@pytest.mark.django_db(transaction=True)
def test_reindex_all_holds_issue_writers_off_until_it_commits(flapping):
    """A service locks an issue row and then writes its document; the rebuild writes documents
    and (through the trigger) issue rows. Writers must wait for it, not deadlock with it."""
    import psycopg

    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )
    try:
        with transaction.atomic():
            reindex_all()
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("BEGIN")
                other.execute("LOCK TABLE register_issue IN ROW SHARE MODE NOWAIT")
        other.execute("ROLLBACK")
        other.execute("BEGIN")
        other.execute("LOCK TABLE register_issue IN ROW SHARE MODE NOWAIT")
        other.execute("ROLLBACK")
    finally:
        other.close()
