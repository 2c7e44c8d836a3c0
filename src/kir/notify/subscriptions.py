"""Writes and reads for a user's subscriptions and e-mail preferences (one page shows them).

A subscription names a catalogue row (manufacturer, device model, DMC) by id or a region or
category by code; the catalogue is open to every member, so anything in it may be followed.
What a user is told of is still only what the user may see: kir.notify.fanout asks the
visibility module when an issue is published.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from kir.accounts.models import User
from kir.audit.events import AuditEventType
from kir.audit.services import audit_record
from kir.catalogue.models import DMC, DeviceModel, Manufacturer, Region
from kir.notify.mailing import preferences_of
from kir.notify.models import (
    Delivery,
    MailPreferences,
    PublicationMail,
    Subscription,
    SubscriptionKind,
)
from kir.register.errors import ValidationFailed
from kir.register.models import Category


def _row_label(
    model: type[Manufacturer] | type[DeviceModel] | type[DMC],
) -> Callable[[User, str], str]:
    def label(user: User, value: str) -> str:
        row = model.objects.filter(pk=int(value)).first() if value.isdigit() else None
        return "" if row is None else str(row)

    return label


def _estate_label(user: User, value: str) -> str:
    """A saved estate is its organisation's alone (kir.exports.estate): another's names nothing."""
    from kir.exports.estate import saved_estates_for

    estate = saved_estates_for(user=user).filter(pk=int(value)).first() if value.isdigit() else None
    return "" if estate is None else estate.name


def _choice_label(choices: type[Region] | type[Category]) -> Callable[[User, str], str]:
    return lambda user, value: str(dict(choices.choices).get(value, ""))


# kind -> what the value names for the user, in words ("" when it names nothing)
LABELS: dict[str, Callable[[User, str], str]] = {
    SubscriptionKind.MANUFACTURER: _row_label(Manufacturer),
    SubscriptionKind.DEVICE_MODEL: _row_label(DeviceModel),
    SubscriptionKind.DMC: _row_label(DMC),
    SubscriptionKind.REGION: _choice_label(Region),
    SubscriptionKind.CATEGORY: _choice_label(Category),
    SubscriptionKind.ESTATE: _estate_label,
}


def subscriptions_of(*, user: User) -> list[tuple[Subscription, str]]:
    """The user's subscriptions with what each names, in words."""
    return [(s, LABELS[s.kind](user, s.value)) for s in Subscription.objects.filter(user=user)]


@transaction.atomic
def subscription_add(*, user: User, kind: str, value: str) -> Subscription:
    if kind not in LABELS:
        raise ValidationFailed({"kind": [f"{kind!r} is not a kind of subscription."]})
    value = value.strip()
    label = LABELS[kind](user, value)
    if not label:
        kind_label = SubscriptionKind(kind).label.lower()
        raise ValidationFailed({kind: [f"There is no {kind_label} {value!r} to follow."]})
    subscription, created = Subscription.objects.get_or_create(user=user, kind=kind, value=value)
    if created:
        audit_record(
            actor=user,
            verb=AuditEventType.SUBSCRIPTIONS_CHANGED,
            target=subscription,
            data={"added": {"kind": kind, "value": value, "label": label}},
        )
    return subscription


@transaction.atomic
def subscription_remove(*, user: User, subscription_id: int) -> None:
    subscription = Subscription.objects.filter(user=user, pk=subscription_id).first()
    if subscription is None:
        raise ValidationFailed({"subscription": ["You have no such subscription."]})
    audit_record(
        actor=user,
        verb=AuditEventType.SUBSCRIPTIONS_CHANGED,
        target=subscription,
        data={"removed": {"kind": subscription.kind, "value": subscription.value}},
    )
    subscription.delete()


@transaction.atomic
def mail_preferences_update(
    *, user: User, publications: str, delivery: str, bulletins: bool, work: bool
) -> MailPreferences:
    errors = {}
    if publications not in PublicationMail.values:
        errors["publications"] = [f"Expected one of {', '.join(PublicationMail.values)}."]
    if delivery not in Delivery.values:
        errors["delivery"] = [f"Expected one of {', '.join(Delivery.values)}."]
    if errors:
        raise ValidationFailed(errors)
    before = preferences_of(user)
    old = {f: getattr(before, f) for f in ("publications", "delivery", "bulletins", "work")}
    preferences, _ = MailPreferences.objects.update_or_create(
        user=user,
        defaults={
            "publications": publications,
            "delivery": delivery,
            "bulletins": bulletins,
            "work": work,
        },
    )
    new = {f: getattr(preferences, f) for f in old}
    audit_record(
        actor=user,
        verb=AuditEventType.SUBSCRIPTIONS_CHANGED,
        target=preferences,
        data={f: [old[f], new[f]] for f in old if old[f] != new[f]},
    )
    return preferences
