"""ROLIE categories (CSAF requirement 17): each feed entry names the manufacturers, models and
device types of its document; the folder's category document lists the categories of the
documents the reader may read; a publication rewrites only its own document's rows."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kir.accounts.models import User
from kir.exports.models import CsafCategory, CsafEntry
from kir.exports.provider_services import csaf_rebuild
from kir.outbox.worker import deliver_due
from kir.register.models import Issue, IssueState, Statement, StatementKind
from kir.register.services.statements import statement_add
from tests.exports.test_provider import body, reader

pytestmark = pytest.mark.django_db
GREEN = "/.well-known/csaf/green"
INFORMATION_TYPE = "urn:ietf:params:rolie:category:information-type"


def feed(client: Client) -> dict:
    return json.loads(body(client.get(f"{GREEN}/csaf-feed-tlp-green.json")))["feed"]


def terms(categories: list[dict]) -> set[tuple[str, str]]:
    """(kind, term) of RFC 8322 categories; the scheme's fragment is the kind."""
    return {
        (c["scheme"].rsplit("#", 1)[1], c["term"])
        for c in categories
        if c["scheme"] != INFORMATION_TYPE
    }


def category_document(client: Client) -> dict:
    response = client.get(f"{GREEN}/category-green.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_each_entry_names_its_documents_manufacturers_models_and_device_types(demo):
    deliver_due()
    client = reader()
    for entry in feed(client)["entry"]:
        document = json.loads(client.get(entry["content"]["src"].split("8000")[-1]).content)
        vendors = {branch["name"] for branch in document["product_tree"]["branches"]}
        models = {
            model["name"]
            for branch in document["product_tree"]["branches"]
            for model in branch["branches"]
        }
        named = terms(entry["category"])
        assert {t for k, t in named if k == "manufacturer"} == vendors, entry["id"]
        assert {t for k, t in named if k == "model"} == models, entry["id"]
        types = {t.split(" ")[0] for k, t in named if k == "device-type"}
        assert types == {name.rsplit("(", 1)[1].split(",")[0] for name in models}, entry["id"]
        assert {"scheme": INFORMATION_TYPE, "term": "csaf"} in entry["category"]


def test_the_category_document_lists_every_entrys_categories_and_the_feed_links_it(demo):
    deliver_due()
    client = reader()
    the_feed = feed(client)
    document = category_document(client)
    assert set(document) == {"categories"} and set(document["categories"]) == {"category"}
    listed = document["categories"]["category"]
    assert len(listed) == len(terms(listed))  # each once
    union = set().union(*(terms(entry["category"]) for entry in the_feed["entry"]))
    assert terms(listed) == union
    assert {kind for kind, _ in union} == {"manufacturer", "model", "device-type"}
    related = [link["href"] for link in the_feed["link"] if link["rel"] == "related"]
    assert [href.split("8000")[-1] for href in related] == [f"{GREEN}/category-green.json"]


def test_the_category_document_needs_credentials(demo):
    deliver_due()
    assert Client().get(f"{GREEN}/category-green.json").status_code == 401
    assert reader().get("/.well-known/csaf/amber/category-green.json").status_code == 404


def test_it_leaves_out_categories_only_documents_hidden_from_the_reader_fall_in(demo):
    deliver_due()
    entry = CsafEntry.objects.order_by("pk").first()
    CsafCategory.objects.create(entry=entry, kind="model", term="Only in one document")
    assert ("model", "Only in one document") in terms(
        category_document(reader())["categories"]["category"]
    )
    # Out of the published register (a state no reader sees through the provider).
    Issue.objects.filter(pk=entry.issue_id).update(state=IssueState.DRAFT)
    listed = terms(category_document(reader())["categories"]["category"])
    assert ("model", "Only in one document") not in listed
    assert listed  # the other documents' categories stay


def test_a_correction_rewrites_only_its_own_documents_categories(demo):
    deliver_due()
    before = {
        pk: set(CsafCategory.objects.filter(entry_id=pk).values_list("pk", flat=True))
        for pk in CsafEntry.objects.values_list("pk", flat=True)
    }
    corrected = Statement.objects.filter(issue__state=IssueState.PUBLISHED).order_by("pk")[0]
    statement_add(
        issue=corrected.issue,
        actor=User.objects.get(username="secas-administrator"),
        kind=StatementKind.CORRECTION,
        text="The figure counts both alert codes of each pair.",
        supersedes=corrected,
    )
    deliver_due()
    after = {
        pk: set(CsafCategory.objects.filter(entry_id=pk).values_list("pk", flat=True))
        for pk in CsafEntry.objects.values_list("pk", flat=True)
    }
    changed = {pk for pk in before if before[pk] != after[pk]}
    assert changed == {corrected.issue.csaf_entry.pk}
    assert len(after[corrected.issue.csaf_entry.pk]) == len(before[corrected.issue.csaf_entry.pk])


def test_a_rebuild_gives_entries_stored_before_categories_their_categories(demo):
    deliver_due()
    expected = sorted(CsafCategory.objects.values_list("entry_id", "kind", "term"))
    first = CsafEntry.objects.order_by("pk").first()
    # Entries as stored before categories: no rows, and (the first) a feed entry naming none.
    old_entry = json.loads(first.feed_entry)
    old_entry.pop("category")
    CsafEntry.objects.filter(pk=first.pk).update(feed_entry=json.dumps(old_entry))
    CsafCategory.objects.all().delete()
    assert category_document(reader())["categories"]["category"] == []
    csaf_rebuild()
    assert sorted(CsafCategory.objects.values_list("entry_id", "kind", "term")) == expected
    assert "category" in json.loads(CsafEntry.objects.get(pk=first.pk).feed_entry)
