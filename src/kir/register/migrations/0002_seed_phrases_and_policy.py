"""Seed the neutral-language phrase list and threshold policy version 1.

Both are data that administrators change later (the phrases in the admin, the policy through
policy_update, which makes a new version); these are only the starting values.
"""

from django.db import migrations

# Phrases that assert responsibility or non-compliance (seed paper, option 3(b)(i)). A trailing *
# matches any word ending (breach, breached, breaching); otherwise matching is on whole words.
PHRASES = [
    ("non-compliant", "asserts non-compliance"),
    ("non-compliance", "asserts non-compliance"),
    ("noncompliant", "asserts non-compliance"),
    ("not compliant", "asserts non-compliance"),
    ("failed to comply", "asserts non-compliance"),
    ("fails to comply", "asserts non-compliance"),
    ("failure to comply", "asserts non-compliance"),
    ("does not comply", "asserts non-compliance"),
    ("did not comply", "asserts non-compliance"),
    ("breach*", "asserts a breach of obligations"),
    ("in violation of", "asserts a breach of obligations"),
    ("violates", "asserts a breach of obligations"),
    ("defective", "asserts a defect as fact"),
    ("faulty", "asserts a defect as fact"),
    ("design flaw", "asserts a defect as fact"),
    ("not fit for purpose", "asserts unsuitability"),
    ("fault of", "assigns responsibility"),
    ("at fault", "assigns responsibility"),
    ("to blame", "assigns responsibility"),
    ("is responsible for the", "assigns responsibility"),
    ("liable", "assigns liability"),
    ("liability", "assigns liability"),
    ("negligent", "assigns liability"),
    ("negligence", "assigns liability"),
]


def seed(apps, schema_editor):
    ProhibitedPhrase = apps.get_model("register", "ProhibitedPhrase")
    ThresholdPolicy = apps.get_model("register", "ThresholdPolicy")
    for phrase, note in PHRASES:
        ProhibitedPhrase.objects.get_or_create(phrase=phrase, defaults={"note": note})
    if not ThresholdPolicy.objects.exists():
        ThresholdPolicy.objects.create(
            version=1,
            minimum_evidence_level="corroborated",
            minimum_impact_level="moderate",
            notice_period_business_days=10,
            second_approver_required=True,
            in_force=True,
            note="Initial policy: corroborated evidence, moderate impact, ten business days' notice.",
        )


def unseed(apps, schema_editor):
    apps.get_model("register", "ProhibitedPhrase").objects.filter(
        phrase__in=[p for p, _ in PHRASES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("register", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
