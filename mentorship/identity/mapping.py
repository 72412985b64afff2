"""What an identity provider's attributes (SAML) or claims (OpenID Connect) say of a person, in
the profile fields matching reads. Pure: no ORM, no request.

An organisation's ``SingleSignOn.attribute_mapping`` names, for each profile field, the
attribute or claim its provider sends it under. ``MAPPING_PRESETS`` are the starting points
Settings offers. A field left empty in the mapping, or whose attribute is missing from a
sign-in, falls back to ``DEFAULT_NAMES``: the names the common providers use out of the box
(Entra ID's claim URIs, the SAML ``urn:oid`` names, the OpenID Connect standard claims).

A name without a ``/`` also matches an attribute whose URI ends in ``/<name>``: Entra ID writes
a claim added with a namespace as ``<namespace>/<name>`` and without one as plain ``<name>``, and
the HR admin should not have to know which the IdP admin chose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

PROFILE_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "department",
    "title",
    "manager_email",
    "level",
)

# Entra ID's SAML claim namespaces: its default claims, and the one its "Add new claim" offers.
_XMLSOAP = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
_MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims"

MAPPING_PRESETS: dict[str, dict[str, str]] = {
    # Entra ID sends email, given name and surname by default (SAML); department, job title and
    # manager's email are claims the IdP admin adds under "Attributes & Claims" with these names.
    "entra": {
        "email": f"{_XMLSOAP}/emailaddress",
        "first_name": f"{_XMLSOAP}/givenname",
        "last_name": f"{_XMLSOAP}/surname",
        "department": "department",
        "title": "jobtitle",
        "manager_email": "manageremail",
        "level": "level",
    },
    # Okta's SAML attribute statements take the names the admin types; these are the names of
    # Okta's own profile attributes (user.firstName, user.department, ...).
    "okta": {
        "email": "email",
        "first_name": "firstName",
        "last_name": "lastName",
        "department": "department",
        "title": "title",
        "manager_email": "managerEmail",
        "level": "level",
    },
    # Google Workspace's SAML app maps directory fields (Primary email, Department, Job title,
    # Manager's email, ...) to attribute names the admin chooses: these.
    "google": {
        "email": "email",
        "first_name": "first_name",
        "last_name": "last_name",
        "department": "department",
        "title": "job_title",
        "manager_email": "manager_email",
        "level": "level",
    },
    # A starting point to edit: the OpenID Connect standard claims and plain names.
    "custom": {
        "email": "email",
        "first_name": "given_name",
        "last_name": "family_name",
        "department": "department",
        "title": "title",
        "manager_email": "manager_email",
        "level": "level",
    },
}

DEFAULT_NAMES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        f"{_XMLSOAP}/emailaddress",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "mail",
        "Email",
    ),
    "first_name": (
        "given_name",
        f"{_XMLSOAP}/givenname",
        "urn:oid:2.5.4.42",
        "firstName",
        "first_name",
    ),
    "last_name": (
        "family_name",
        f"{_XMLSOAP}/surname",
        "urn:oid:2.5.4.4",
        "lastName",
        "last_name",
    ),
    "department": ("department", f"{_MS}/department", "urn:oid:2.16.840.1.113730.3.1.1"),
    "title": ("title", "jobtitle", "job_title", "jobTitle", "urn:oid:2.5.4.12"),
    "manager_email": ("manager_email", "manageremail", "managerEmail"),
    "level": ("level", "job_level", "grade"),
}

# Lengths of the profile's columns (DirectoryProfile, User): longer values are cut, not refused.
_MAX_LENGTH = {"first_name": 150, "last_name": 150, "department": 80, "title": 120}
_LEVEL_MAX = 32767  # a PositiveSmallIntegerField


def _values(raw: Mapping[str, object], name: str) -> list[str]:
    value = raw.get(name)
    if value is None and "/" not in name:
        suffix = f"/{name.lower()}"
        value = next((v for k, v in raw.items() if k.lower().endswith(suffix)), None)
    if value is None:
        return []
    items: Iterable[object] = value if isinstance(value, list | tuple) else [value]
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def _first(raw: Mapping[str, object], names: Iterable[str]) -> str | None:
    for name in names:
        if name:
            values = _values(raw, name)
            if values:
                return values[0]
    return None


def _email(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


def _level(value: str | None) -> int | None:
    """ "3", "L3" or "Grade 3" is level 3; no number, no level."""
    match = re.search(r"\d+", value or "")
    if match is None:
        return None
    number = int(match.group())
    return number if number <= _LEVEL_MAX else None


def map_attributes(mapping: Mapping[str, str] | None, raw: Mapping[str, object]) -> dict:
    """The profile fields found in ``raw`` (attribute or claim name → a value or a list of
    values): ``email`` and ``manager_email`` lower-cased and valid or None, names and texts
    stripped and cut to their column, ``level`` an int or None. Missing fields are None."""
    mapping = mapping or {}
    found: dict[str, object] = {}
    for field in PROFILE_FIELDS:
        configured = (mapping.get(field) or "").strip()
        names = (configured, *DEFAULT_NAMES[field]) if configured else DEFAULT_NAMES[field]
        value = _first(raw, names)
        if field in ("email", "manager_email"):
            found[field] = _email(value)
        elif field == "level":
            found[field] = _level(value)
        else:
            found[field] = value[: _MAX_LENGTH[field]] if value else None
    return found
