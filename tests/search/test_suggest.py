"""The register's vocabulary and "did you mean" over it (kir.search.vocabulary, .suggest), on
whichever database the run uses; who may see which words is tested in
tests/register/test_did_you_mean.py."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kir.register.models import Issue
from kir.search.index import index_issue, reindex_all, remove_issue
from kir.search.models import IssueWord, VocabularyWord, WordTrigram
from kir.search.suggest import suggest_query
from kir.search.vocabulary import edit_distance, similarity, trigrams, words_of
from tests.factories import (
    AffectedProductFactory,
    DeviceModelFactory,
    DeviceVersionFactory,
    IssueFactory,
    ManufacturerFactory,
    StatementFactory,
)


def suggest(query: str) -> str | None:
    return suggest_query(query, visible=Issue.objects.all())


@pytest.fixture
def register(db):
    battery = IssueFactory(
        title="Battery drains after firmware upgrade",
        summary="Gas meters report low battery within weeks.",
        description="Seen on prepayment installations.",
    )
    maker = ManufacturerFactory(identifier="1A2B", name="Acme Metering")
    model = DeviceModelFactory(manufacturer=maker, model_id="00C0FFEE", name="ABC-1234")
    AffectedProductFactory(issue=battery, device_version=DeviceVersionFactory(device_model=model))
    index_issue(battery)
    clock = IssueFactory(title="Clock adjusted alerts every night", summary="", description="")
    return battery, clock


def test_words_of_folds_case_and_keeps_words_of_three_to_forty_letters():
    words = words_of(["Battery LOW at 8145, ok? Überspannung", "x" * 41, "déjà-vu"])
    assert words == {"battery", "low", "überspannung", "déjà"}


def test_trigrams_and_similarity_follow_pg_trgm():
    assert trigrams("cat") == {"  c", " ca", "cat", "at "}
    assert similarity("batery", "battery") == pytest.approx(6 / 9)
    assert similarity("cat", "cat") == 1.0


def test_edit_distance_counts_insertions_deletions_and_substitutions():
    assert edit_distance("batery", "battery") == 1
    assert edit_distance("battery", "batery") == 1
    assert edit_distance("clok", "clock") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_zero_only_for_equal_words(a, b):
    assert edit_distance(a, b) == edit_distance(b, a)
    assert (edit_distance(a, b) == 0) == (a == b)


def test_it_suggests_the_nearest_word_of_the_register(register):
    assert suggest("batery") == "battery"
    assert suggest("Clok adjustd") == "clock adjusted"
    assert suggest("firmwre upgrade") == "firmware upgrade"


def test_it_keeps_the_query_syntax_and_the_known_words_as_typed(register):
    assert suggest('"low batery" or Clok -Gas') == '"low battery" or clock -Gas'
    assert suggest("Battery firmware") is None


def test_it_suggests_model_names_and_manufacturers(register):
    assert suggest("Acme Meterng") == "Acme metering"
    assert suggest("ABD-1234") == "abc-1234"


def test_it_suggests_nothing_for_unrelated_words(register):
    assert suggest("zebra") is None
    assert suggest("xylophone quartet") is None


@pytest.mark.parametrize(
    "query", ["", "   ", "b", "ba", "--", '"', "8145", "1234567", "x" * 41, "🙂🙂🙂", "ok or no"]
)
def test_it_suggests_nothing_for_empty_short_numeric_or_wordless_queries(register, query):
    assert suggest(query) is None


def test_it_corrects_unicode_words(db):
    IssueFactory(title="Überspannung am Zähler", summary="", description="")
    assert suggest("Uberspannung") == "überspannung"
    assert suggest("ZÄHLR") == "zähler"


def test_it_bounds_the_work_of_a_very_long_query(register, django_assert_max_num_queries):
    # Every word unknown: at most MAX_TERMS words are corrected, two look-ups each, plus one.
    query = " ".join(["batery"] * 5 + [f"qwzx{n}" for n in range(500)])
    with django_assert_max_num_queries(1 + 2 * 8):
        suggestion = suggest(query)
    assert suggestion is not None and suggestion.startswith("battery battery")


def test_it_draws_words_from_statements_and_forgets_replaced_text(register):
    battery, _ = register
    StatementFactory(issue=battery, text="Relay chatter suspected")
    index_issue(battery)
    assert suggest("chattr") == "chatter"
    Issue.objects.filter(pk=battery.pk).update(title="Display blank")
    battery.refresh_from_db()
    index_issue(battery)
    assert suggest("drians") is None
    assert suggest("dispaly") == "display"
    remove_issue(battery.pk)
    assert suggest("batery") is None


def test_it_forgets_the_words_of_a_deleted_issue(register):
    battery, _ = register
    battery.delete()
    assert suggest("batery") is None
    assert not IssueWord.objects.filter(issue_id=battery.pk).exists()


def test_reindex_all_rebuilds_the_vocabulary(register):
    IssueWord.objects.all().delete()
    assert suggest("batery") is None
    reindex_all()
    assert suggest("batery") == "battery"
    battery_word = VocabularyWord.objects.get(word="battery")
    assert set(WordTrigram.objects.filter(word=battery_word).values_list("trigram", flat=True)) == (
        trigrams("battery")
    )


def test_it_leaves_firmware_versions_and_dmc_ids_out_of_the_vocabulary(register):
    assert not VocabularyWord.objects.filter(word__regex=r"^dmc").exists()
    battery, _ = register
    firmware = battery.products.get().device_version.firmware_version.casefold()
    assert not VocabularyWord.objects.filter(word=firmware).exists()
    assert VocabularyWord.objects.filter(word="00c0ffee").exists()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_it_never_fails_on_any_input(register, query):
    suggestion = suggest(query)
    assert suggestion is None or suggestion != query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_the_same_new_word_both_succeed():
    """The second writer's insert waits for the first's uncommitted word, then reads its id."""
    import threading
    import time

    from django.db import connections, transaction

    from kir.search.vocabulary import store_issue_words

    first, second = IssueFactory(title="One"), IssueFactory(title="Two")
    inserted, errors = threading.Event(), []

    def write(issue_id: int, hold: bool) -> None:
        try:
            with transaction.atomic():
                store_issue_words({issue_id: {"quokkaword", "shared"}})
                if hold:
                    inserted.set()
                    time.sleep(0.5)  # the other writer is now waiting on our rows
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=write, args=(first.pk, True))
    holder.start()
    assert inserted.wait(10)
    follower = threading.Thread(target=write, args=(second.pk, False))
    follower.start()
    holder.join(15)
    follower.join(15)
    assert errors == []
    word = VocabularyWord.objects.get(word="quokkaword")
    assert set(word.issues.values_list("issue_id", flat=True)) == {first.pk, second.pk}
    assert word.trigrams.count() == len(trigrams("quokkaword"))
    assert suggest("quokaword") == "quokkaword"
