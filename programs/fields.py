"""A participant's details, listed once: what the forms edit, a CSV import reads, compares and
writes, and the personal-data export carries. No Django here: the CSV parser reads it."""

from __future__ import annotations

# The columns of a participants CSV besides the email (the key) and the topics: what an import
# compares to decide between "updated" and "unchanged", and writes.
IMPORTED_FIELDS = (
    "first_name",
    "last_name",
    "side",
    "department",
    "title",
    "level",
    "manager_email",
    "timezone",
)
# What people write about themselves: edited in the forms, never imported. ``availability`` is
# the availability note; the weekly hours have their own page (``my_availability``).
ABOUT_FIELDS = ("availability", "bio")
# Set on the weekly availability page (and by PATCH in the API): not a form field of the others.
WEEKLY_FIELDS = ("weekly_availability",)
PARTICIPANT_FIELDS = (*IMPORTED_FIELDS, *WEEKLY_FIELDS, *ABOUT_FIELDS)
