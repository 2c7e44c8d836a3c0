"""`/.well-known/security.txt` (RFC 9116) with the `CSAF:` field of CSAF requirement 8 (spec
section 7.1.8), pointing at the provider metadata, as a pure function of plain values.

Expires is computed from the day, not the moment: the text, and so its cleartext signature,
stays the same all day (kir.exports.provider_views signs it once a day per key), and a reader
never holds a copy that expires within `days` less one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from kir.exports.csaf import csaf_timestamp

# RFC 9116 section 2.5.3: Contact is a URI; these are the schemes the RFC names.
CONTACT_SCHEMES = ("mailto:", "https://", "tel:")
PREFERRED_LANGUAGES = "en"


def security_txt_expires(today: date, days: int) -> datetime:
    """Midnight UTC `days` after `today`. RFC 9116 section 2.5.5 asks for less than a year."""
    if not 1 <= days < 365:
        raise ValueError(f"KIR_SECURITY_TXT_DAYS must be 1 to 364, not {days}")
    return datetime.combine(today + timedelta(days=days), time(), tzinfo=UTC)


def security_txt(
    *,
    contact: str,
    expires: datetime,
    canonical_url: str,
    csaf_url: str,
) -> str:
    """The fields, one a line. The first CSAF field is the well-known metadata URL, as
    requirement 8 asks when one of them fulfils requirement 9. No Encryption field: the register's
    key signs only (Ed25519), nobody can encrypt to it."""
    if not contact.startswith(CONTACT_SCHEMES):
        raise ValueError(
            f"KIR_SECURITY_CONTACT must be a mailto:, https:// or tel: URI: {contact!r}"
        )
    lines = [
        "# The Known Issues Register for GB smart metering: security contact and CSAF provider.",
        f"Contact: {contact}",
        f"Expires: {csaf_timestamp(expires)}",
        f"Canonical: {canonical_url}",
        f"Preferred-Languages: {PREFERRED_LANGUAGES}",
        f"CSAF: {csaf_url}",
    ]
    return "\n".join(lines) + "\n"
