"""Which of a user's subscriptions a published issue matches, kind by kind.

A matcher takes the issue's facts (read once per issue) and one subscription and answers the
lines it matched, in words, or nothing. Each subscription kind has one, registered by
`matcher(kind)`; "my estate" (a supplier's saved list of installed models, firmware and DMCs,
kir.exports.estate) answers the estate lines the issue touches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kir.catalogue.models import DeviceVersion, Region
from kir.notify.models import Subscription, SubscriptionKind
from kir.register.models import AffectedProduct, Category, Issue


@dataclass(frozen=True)
class IssueFacts:
    """What subscriptions are matched against: ids as strings, as `Subscription.value` is."""

    manufacturers: dict[str, str] = field(default_factory=dict)  # id -> name
    device_models: dict[str, str] = field(default_factory=dict)
    dmcs: dict[str, str] = field(default_factory=dict)
    regions: frozenset[str] = frozenset()
    category: str = ""
    issue_id: int = 0


Matcher = Callable[[IssueFacts, Subscription], list[str]]
MATCHERS: dict[str, Matcher] = {}


def matcher(kind: str) -> Callable[[Matcher], Matcher]:
    def register(function: Matcher) -> Matcher:
        MATCHERS[kind] = function
        return function

    return register


def issue_facts(issue: Issue) -> IssueFacts:
    facts = IssueFacts(regions=frozenset(issue.regions), category=issue.category, issue_id=issue.pk)
    products = AffectedProduct.objects.filter(issue=issue).select_related(
        "device_version__device_model__manufacturer", "dmc"
    )
    versions: list[DeviceVersion] = []
    for product in products:
        if product.dmc is not None:
            facts.dmcs[str(product.dmc.pk)] = str(product.dmc)
            versions += product.dmc.members.select_related("device_model__manufacturer")
        elif product.device_version is not None:
            versions.append(product.device_version)
    for version in versions:
        model = version.device_model
        facts.device_models[str(model.pk)] = str(model)
        facts.manufacturers[str(model.manufacturer.pk)] = model.manufacturer.name
    return facts


def _named(table: dict[str, str], label: str, value: str) -> list[str]:
    return [f"{label} {table[value]}"] if value in table else []


@matcher(SubscriptionKind.MANUFACTURER)
def _manufacturer(facts: IssueFacts, subscription: Subscription) -> list[str]:
    return _named(facts.manufacturers, "manufacturer", subscription.value)


@matcher(SubscriptionKind.DEVICE_MODEL)
def _device_model(facts: IssueFacts, subscription: Subscription) -> list[str]:
    return _named(facts.device_models, "device model", subscription.value)


@matcher(SubscriptionKind.DMC)
def _dmc(facts: IssueFacts, subscription: Subscription) -> list[str]:
    return _named(facts.dmcs, "Device Model Combination", subscription.value)


@matcher(SubscriptionKind.REGION)
def _region(facts: IssueFacts, subscription: Subscription) -> list[str]:
    if subscription.value not in facts.regions:
        return []
    return [f"region {Region(subscription.value).label}"]


@matcher(SubscriptionKind.CATEGORY)
def _category(facts: IssueFacts, subscription: Subscription) -> list[str]:
    if subscription.value != facts.category:
        return []
    return [f"category {Category(subscription.value).label}"]


@matcher(SubscriptionKind.ESTATE)
def _estate(facts: IssueFacts, subscription: Subscription) -> list[str]:
    """The saved estate's lines the issue touches, as the estate check finds them; an estate
    counts only for members of the organisation that saved it."""
    from kir.exports.estate import estate_matches, saved_estates_for

    value = subscription.value
    estates = saved_estates_for(user=subscription.user)
    estate = estates.filter(pk=int(value)).first() if value.isdigit() else None
    if estate is None:
        return []
    issue = Issue.objects.get(pk=facts.issue_id)
    return [
        f"your estate {estate.name}: {line.manufacturer} {line.model} firmware {line.firmware}"
        + (f" in DMC {line.dmc}" if line.dmc else "")
        for line in estate_matches(estate=estate, issue=issue)
    ]


def matched_lines(facts: IssueFacts, subscriptions: Iterable[Subscription]) -> list[str]:
    """Every line the issue matches among the subscriptions (no matcher for a kind: none)."""
    lines: list[str] = []
    for subscription in subscriptions:
        found = MATCHERS.get(subscription.kind)
        if found is not None:
            lines += [line for line in found(facts, subscription) if line not in lines]
    return lines
