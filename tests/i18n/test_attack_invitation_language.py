"""An invitation goes to an address; when that address already belongs to someone with an
account (a member of another organisation, say), they have chosen their language: the
invitation must follow it, as every other message to them does (mentorship.i18n.language_for),
rather than the inviting organisation's default."""

from __future__ import annotations

from django.core import mail

from mentorship import services
from mentorship.models import Organization, Role, User
from tests.conftest import Tenant


def test_invitation_to_an_existing_account_is_in_its_chosen_language(
    alpha: Tenant, beta: Tenant, django_capture_on_commit_callbacks
) -> None:
    Organization.objects.filter(pk=alpha.organization.pk).update(default_language="fr")
    alpha.organization.refresh_from_db()
    invitee = beta.participant
    User.objects.filter(pk=invitee.pk).update(language="de")
    with alpha.scope(), django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organization=alpha.organization,
            email=invitee.email,
            role=Role.PARTICIPANT,
            invited_by=alpha.hr,
        )
    sent = [m for m in mail.outbox if invitee.email in m.to]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    # German "Einladung", not French "Invitation à".
    assert "Einladung" in sent[0].subject, sent[0].subject
