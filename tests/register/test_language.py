"""The neutral-language check: hits, near misses, manufacturer named as the cause."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kir.register.language import check_texts, find_prohibited, name_variants, text_digest
from kir.register.models import ProhibitedPhrase

SEEDED = [
    "non-compliant",
    "defective",
    "fault of",
    "breach*",
    "failed to comply",
    "liable",
]


def phrases_hit(text, phrases=SEEDED, names=()):
    return [hit.phrase for hit in find_prohibited(text, phrases, names)]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The meter is non-compliant.", "non-compliant"),
        ("The meter is NON-COMPLIANT.", "non-compliant"),
        ("The meter is non compliant.", "non-compliant"),
        ("The meter is non\u2011compliant.", "non-compliant"),
        ("A Defective hub.", "defective"),
        ("It is the fault of the hub.", "fault of"),
        ("It is the fault\nof the hub.", "fault of"),
        ("A breach of the SEC.", "breach*"),
        ("The supplier breached the SEC.", "breach*"),
        ("The device failed to comply with SMETS.", "failed to comply"),
        ("(defective)", "defective"),
        ("defective", "defective"),
    ],
)
def test_it_finds_prohibited_phrases(text, phrase):
    assert phrases_hit(text) == [phrase]


@pytest.mark.parametrize(
    "text",
    [
        "The meter is compliant with SMETS2.",
        "The units are non-defective after the update.",
        "The display updates defectively slowly.",
        "A reliable firmware image.",
        "The hub logs a fault code on start-up.",
        "Alerts from the fault-of-day counter",
        "",
    ],
)
def test_it_ignores_near_misses(text):
    assert phrases_hit(text) == []


def test_it_matches_whole_words_only_without_a_wildcard():
    assert phrases_hit("The supplier breached the SEC.", ["breach"]) == []
    assert phrases_hit("A breach.", ["breach"]) == ["breach"]


def test_it_reports_every_hit_in_order():
    hits = find_prohibited("Liable, defective and liable.", SEEDED)
    assert [(h.phrase, h.matched) for h in hits] == [
        ("liable", "Liable"),
        ("defective", "defective"),
        ("liable", "liable"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "This is Acme Meters' fault.",
        "This is Acme Meters Ltd\u2019s fault.",
        "The storm was caused by Acme Meters.",
        "Alerts are due to ACME METERS firmware.",
        "Acme Meters is to blame.",
        "We blame Acme Meters Ltd for it.",
        "Acme Meters caused the storm.",
    ],
)
def test_it_finds_a_named_manufacturer_as_the_cause(text):
    assert phrases_hit(text, [], ["Acme Meters Ltd"]) == ["Acme Meters Ltd as the cause"]


@pytest.mark.parametrize(
    "text",
    [
        "Acme Meters Ltd Flex meters with firmware 01020304 send alert 8F35.",
        "Devices from Acme Meters are installed with hub X.",
        "An Acme Meters error code appears in the log.",
        "Seen on Acme Metering devices.",
        "Caused by a firmware change in the hub.",
    ],
)
def test_it_lets_a_manufacturer_be_named_neutrally(text):
    assert phrases_hit(text, [], ["Acme Meters Ltd"]) == []


def test_it_tries_the_name_without_its_company_suffix():
    assert name_variants("Acme Meters Ltd") == ["Acme Meters Ltd", "Acme Meters"]
    assert name_variants("Zed plc") == ["Zed plc", "Zed"]
    assert name_variants("Hubco") == ["Hubco"]


def test_it_treats_names_as_text_not_patterns():
    assert phrases_hit("caused by A.B", [], ["A+B (UK)"]) == []
    assert phrases_hit("caused by A+B (UK)", [], ["A+B (UK)"]) == ["A+B (UK) as the cause"]


def test_it_groups_hits_by_field():
    found = check_texts({"title": "Defective hub", "summary": "Alerts repeat"}, SEEDED)
    assert list(found) == ["title"]


def test_it_binds_digests_to_the_exact_text():
    assert text_digest("a") != text_digest("a ")


@pytest.mark.django_db
def test_it_seeds_the_phrase_list_as_data():
    seeded = set(ProhibitedPhrase.objects.filter(active=True).values_list("phrase", flat=True))
    assert {"non-compliant", "defective", "fault of", "breach*", "failed to comply"} <= seeded
    assert phrases_hit("The hub breached SMETS and is defective.", seeded) == [
        "breach*",
        "defective",
    ]


_EXACT = [p for p in SEEDED if not p.endswith("*")]
_GLUE = st.sampled_from(list("abcxyz019_-"))
_EDGE = st.sampled_from([" ", ".", ",", "(", ")", "\n", '"', ";", ""])


@given(st.sampled_from(_EXACT), _GLUE, st.booleans(), st.booleans())
def test_it_never_hits_a_phrase_glued_to_another_word(phrase, glue, before, upper):
    text = phrase.upper() if upper else phrase
    text = glue + text if before else text + glue
    assert phrases_hit(f"x {text} y", [phrase]) == []


@given(st.sampled_from(_EXACT), _EDGE, _EDGE, st.booleans())
def test_it_always_hits_a_phrase_standing_alone(phrase, left, right, upper):
    text = phrase.upper() if upper else phrase
    assert phrases_hit(f"Seen{left or ' '}{text}{right} here", [phrase]) == [phrase]
