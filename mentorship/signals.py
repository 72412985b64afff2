"""The kernel's signals. Apps above the kernel listen; the kernel never imports them. Its own
receivers (of Django's authentication signals) are in ``mentorship.receivers``."""

from __future__ import annotations

from django.dispatch import Signal

# Sent (inside the transaction) when someone joins an organisation through an invitation, with
# ``membership``. Apps above the kernel listen; the kernel never imports them.
member_joined = Signal()
# Sent (inside the transaction) when a member is removed from an organisation, with
# ``membership``. Apps drop what must not outlive the membership, such as a calendar feed's secret:
# the row stays for history and is reused if the person comes back, so nothing tied to it may
# come back with them.
member_removed = Signal()
# Sent (inside the transaction) when an organisation's anonymity threshold changes, with
# ``organization`` and ``k``: feedback narrows its surveys' release plans there and then, so no
# page has to rebuild them on reading.
anonymity_threshold_changed = Signal()
# Sent (inside the transaction) when the organisation's directory (an SSO sign-in, SCIM) says
# something new of a member, with ``membership`` and ``attributes`` (any of ``department``,
# ``title``, ``manager_email``, ``level``): programs copies them onto the member's participant
# records that matching reads.
member_attributes_changed = Signal()
