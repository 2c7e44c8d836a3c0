"""A published issue as a CSAF 2.0 document (profile "CSAF Base", see docs/csaf-mapping.md).

Pure: values from kir.exports.csaf_input in, a JSON-ready dict out. The same document is served
to every reader who may see the issue, so it holds only what every SEC Party may read (no
evidence files, no installation-level data) and nothing that depends on when it is generated.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from kir.exports.csaf_input import Affected, CsafIssue, Publisher, Version

CSAF_VERSION = "2.0"
# Not one of the spec's named profiles (a known defect is no vulnerability: see the docs page),
# and far enough from their names for mandatory test 6.1.26.
DOCUMENT_CATEGORY = "gb_smart_metering_known_issue"
# Every SEC Party may read the register; it is not for the public (docs/csaf-mapping.md).
TLP_LABEL = "GREEN"
TLP_URL = "https://www.first.org/tlp/"
GENERATOR = {"engine": {"name": "kir Known Issues Register"}}
DISCLAIMER = (
    "Inclusion of an issue in the Known Issues Register records an observation that met the SEC "
    "Panel's threshold of certainty and impact. It is not an assertion of responsibility or of "
    "non-compliance by any manufacturer or other party."
)

# CSAF's contradiction groups (mandatory test 6.1.6) allow a product one status; when the
# register lists a product twice, the most cautious status wins.
STATUS_PRECEDENCE = ("known_affected", "under_investigation", "fixed", "known_not_affected")
STILL_AFFECTED = ("known_affected", "under_investigation")
FINAL_STATES = frozenset({"resolved", "closed", "withdrawn"})
_FILENAME_UNSAFE = re.compile(r"[^+\-a-z0-9]+")


def csaf_filename(tracking_id: str) -> str:
    """The file name spec section 5.1 gives a document with this tracking id."""
    return _FILENAME_UNSAFE.sub("_", tracking_id.lower()) + ".json"


def csaf_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def csaf_document_path(issue: CsafIssue) -> str:
    """Path under the provider's `.well-known/csaf/`: TLP folder, year of the initial release."""
    year = issue.revisions[0].date.astimezone(UTC).year
    return f"{TLP_LABEL.lower()}/{year}/{csaf_filename(issue.human_id)}"


def csaf_document(issue: CsafIssue, publisher: Publisher) -> dict[str, Any]:
    document: dict[str, Any] = {
        "document": _document(issue, publisher),
        "product_tree": _product_tree(issue),
        "vulnerabilities": [_vulnerability(issue)],
    }
    if not document["product_tree"]:
        del document["product_tree"]
    return document


def _document(issue: CsafIssue, publisher: Publisher) -> dict[str, Any]:
    return {
        "category": DOCUMENT_CATEGORY,
        "csaf_version": CSAF_VERSION,
        "lang": "en-GB",
        "title": _title(issue),
        "publisher": {
            "category": "coordinator",
            "name": publisher.name,
            "namespace": publisher.namespace,
            "contact_details": publisher.contact_details,
        },
        "distribution": {
            "text": "For SEC Parties: every signed-in member of a SEC Party may read it.",
            "tlp": {"label": TLP_LABEL, "url": TLP_URL},
        },
        "notes": _unique(_document_notes(issue)),
        "references": [
            {
                "category": "self",
                "summary": "This document in the register's CSAF provider layout",
                "url": f"{publisher.base_url}/.well-known/csaf/{csaf_document_path(issue)}",
            }
        ],
        "tracking": _tracking(issue),
    }


def _title(issue: CsafIssue) -> str:
    markers = (("WITHDRAWN", issue.withdrawn), ("DISPUTED", issue.disputed))
    return "".join(f"[{word}] " for word, on in markers if on) + issue.title


def _tracking(issue: CsafIssue) -> dict[str, Any]:
    revisions = sorted(issue.revisions, key=lambda revision: revision.date)
    history = [
        {"date": csaf_timestamp(r.date), "number": str(number), "summary": r.summary}
        for number, r in enumerate(revisions, start=1)
    ]
    return {
        "id": issue.human_id,
        "status": "final" if issue.state in FINAL_STATES else "interim",
        "version": str(len(history)),
        "revision_history": history,
        "initial_release_date": history[0]["date"],
        "current_release_date": history[-1]["date"],
        "generator": GENERATOR,
    }


def _unique(items: list[Any]) -> list[Any]:
    """`items` without repeats, in order: the schema wants notes, remediations and involvements
    unique, and two organisations may say the same thing."""
    kept: list[Any] = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return kept


def _note(category: str, title: str, text: str) -> dict[str, str]:
    return {"category": category, "title": title, "text": text}


def _document_notes(issue: CsafIssue) -> list[dict[str, str]]:
    notes = [_note("summary", "Summary", issue.summary)]
    if issue.description.strip():
        notes.append(_note("description", "Description", issue.description))
    if issue.withdrawn:
        reason = issue.withdrawal_reason.strip() or "No reason was recorded."
        notes.append(_note("general", "Withdrawn", f"This issue was withdrawn. {reason}"))
    if issue.disputed:
        notes.append(
            _note(
                "general",
                "Disputed",
                "A manufacturer named in this issue disputes it; its response is among the "
                "statements below. The issue stays on the register, marked disputed.",
            )
        )
    notes += [
        _note("other", "Category", issue.category),
        _note("other", "Evidence level", issue.evidence_level),
        _note("other", "Root-cause status", issue.root_cause_status),
        _note("other", "Impact", _impact_text(issue)),
        _note("legal_disclaimer", "Not an assertion of responsibility", DISCLAIMER),
    ]
    if issue.regions:
        notes.insert(-1, _note("other", "Regions", ", ".join(issue.regions)))
    return notes


def _impact_text(issue: CsafIssue) -> str:
    lines = [f"Impact level: {issue.impact_level}."]
    lines += [f"{figure.label}: {figure.value}." for figure in issue.impact_figures]
    if issue.impact_rationale.strip():
        lines.append(issue.impact_rationale.strip())
    return "\n".join(lines)


def _product_tree(issue: CsafIssue) -> dict[str, Any]:
    versions: dict[str, Version] = {}
    for affected in issue.affected:
        members = affected.combination.members if affected.combination else ()
        for version in (affected.version, *members):
            if version is not None:
                versions.setdefault(version.product_id, version)
    tree: dict[str, Any] = {}
    if versions:
        tree["branches"] = _vendor_branches(versions.values())
    relationships = [
        relationship
        for combination in _combinations(issue)
        for relationship in _installed_with(combination.identifier, combination)
    ]
    if relationships:
        tree["relationships"] = relationships
    return tree


def vendor_name(manufacturer_name: str, manufacturer_id: str) -> str:
    """The name of a manufacturer's `vendor` branch (and of its ROLIE category)."""
    return f"{manufacturer_name} (GBCS manufacturer {manufacturer_id})"


def product_name(version: Version) -> str:
    """The name of a device model's `product_name` branch (and of its ROLIE category)."""
    return f"{version.model_name} ({version.device_type}, GBCS model {version.model_id})"


def _vendor_branches(versions: Any) -> list[dict[str, Any]]:
    vendors: dict[str, dict[str, list[Version]]] = {}
    names: dict[str, str] = {}
    for version in sorted(versions, key=lambda v: v.product_id):
        names[version.manufacturer_id] = version.manufacturer_name
        models = vendors.setdefault(version.manufacturer_id, {})
        models.setdefault(version.model_id, []).append(version)
    return [
        {
            "category": "vendor",
            "name": vendor_name(names[maker], maker),
            "branches": [_model_branch(members) for members in models.values()],
        }
        for maker, models in vendors.items()
    ]


def _model_branch(versions: list[Version]) -> dict[str, Any]:
    model = versions[0]
    return {
        "category": "product_name",
        "name": product_name(model),
        "branches": [
            {
                "category": "product_version",
                "name": f"firmware {v.firmware_version} hardware {v.hardware_version}",
                "product": {
                    "name": (
                        f"{v.manufacturer_name} {v.model_name} firmware {v.firmware_version}"
                        f" hardware {v.hardware_version}"
                    ),
                    "product_id": v.product_id,
                    "product_identification_helper": {"model_numbers": [v.model_id]},
                },
            }
            for v in versions
        ],
    }


def _combinations(issue: CsafIssue) -> list[Any]:
    seen: dict[str, Any] = {}
    for affected in issue.affected:
        if affected.combination is not None:
            seen.setdefault(affected.combination.identifier, affected.combination)
    return list(seen.values())


def _installed_with(product_id: str, combination: Any) -> list[dict[str, Any]]:
    """A DMC of n members as n - 1 `installed_with` relationships, each joining the next member
    to the combination so far; the last one is the DMC itself, with its identifier as product
    id. A one-member DMC is joined to nothing and stands for its member."""
    members = sorted({m.product_id: m for m in combination.members}.values(), key=_member_key)
    relationships = []
    so_far = members[0].product_id
    for index, member in enumerate(members[1:], start=2):
        last = index == len(members)
        joined = product_id if last else f"{product_id}:{index}"
        name = combination.name or combination.identifier
        relationships.append(
            {
                "category": "installed_with",
                "product_reference": member.product_id,
                "relates_to_product_reference": so_far,
                "full_product_name": {
                    "name": name if last else f"{name}: first {index} members",
                    "product_id": joined,
                },
            }
        )
        so_far = joined
    return relationships


def _member_key(version: Version) -> tuple[str, str]:
    return (version.device_type, version.product_id)


def _product_id(affected: Affected) -> str:
    if affected.version is not None:
        return affected.version.product_id
    assert affected.combination is not None
    members = {m.product_id for m in affected.combination.members}
    if len(members) == 1:
        return next(iter(members))
    return affected.combination.identifier


def _statuses(issue: CsafIssue) -> dict[str, str]:
    """Product id -> its one status, the most cautious of those the register lists."""
    chosen: dict[str, str] = {}
    for affected in issue.affected:
        product_id = _product_id(affected)
        current = chosen.get(product_id)
        if current is None or STATUS_PRECEDENCE.index(affected.status) < STATUS_PRECEDENCE.index(
            current
        ):
            chosen[product_id] = affected.status
    return chosen


def _vulnerability(issue: CsafIssue) -> dict[str, Any]:
    vulnerability: dict[str, Any] = {
        "title": issue.title,
        "ids": [{"system_name": "Known Issues Register", "text": issue.human_id}],
        "notes": _unique(_statement_notes(issue)) or [_note("summary", "Summary", issue.summary)],
    }
    statuses = _statuses(issue)
    product_status: dict[str, list[str]] = {}
    for product_id, status in sorted(statuses.items()):
        product_status.setdefault(status, []).append(product_id)
    if product_status:
        vulnerability["product_status"] = product_status
    remediations = _unique(_remediations(issue, statuses))
    if remediations:
        vulnerability["remediations"] = remediations
    involvements = _unique(_involvements(issue))
    if involvements:
        vulnerability["involvements"] = involvements
    return vulnerability


def _statement_notes(issue: CsafIssue) -> list[dict[str, str]]:
    notes = []
    for statement in issue.statements:
        challenged = " (challenged)" if statement.challenged else ""
        title = (
            f"{statement.kind_label} by {statement.organisation}, "
            f"{csaf_timestamp(statement.created_at)[:10]}{challenged}"
        )
        category = (
            "other" if statement.kind in ("manufacturer_response", "challenge") else "details"
        )
        notes.append(_note(category, title, statement.text))
    return notes


def _remediations(issue: CsafIssue, statuses: dict[str, str]) -> list[dict[str, Any]]:
    fixes: dict[str, list[str]] = {}
    for affected in issue.affected:
        if affected.first_fixed_firmware:
            ids = fixes.setdefault(affected.first_fixed_firmware, [])
            if _product_id(affected) not in ids:
                ids.append(_product_id(affected))
    remediations: list[dict[str, Any]] = [
        {
            "category": "vendor_fix",
            "details": f"Firmware {firmware} is the first version recorded as fixed.",
            "product_ids": sorted(ids),
        }
        for firmware, ids in sorted(fixes.items())
    ]
    still = sorted(pid for pid, status in statuses.items() if status in STILL_AFFECTED)
    targets = still or sorted(statuses)
    if targets:
        remediations += [
            {"category": "workaround", "details": statement.text, "product_ids": targets}
            for statement in issue.statements
            if statement.kind == "workaround"
        ]
    return remediations


def _involvements(issue: CsafIssue) -> list[dict[str, str]]:
    involvements = [
        {"party": "vendor", "status": vendor.status, "summary": vendor.organisation}
        for vendor in issue.vendors
    ]
    if issue.disputed and not any(i["status"] == "disputed" for i in involvements):
        involvements.append(
            {"party": "vendor", "status": "disputed", "summary": "A named manufacturer"}
        )
    return involvements
