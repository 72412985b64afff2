"""Create (or refresh) the demo organisations and logins. Safe to run again."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from feedback.demo import seed_demo_feedback
from mentorship import services
from mentorship.i18n import recipient_language
from mentorship.identity.demo import DEMO_NEW_HIRE, seed_demo_sso
from mentorship.models import Organization, Role, User
from mentorship.tenancy import tenant_scope
from mentorship.web import tenant_url
from pairings.demo import seed_demo_pairs
from programs import tallies
from programs.demo import seed_demo_program

DEFAULT_PASSWORD = "demo-mentoring-2026"
DEMO_ORGANIZATIONS = {"acme": "Acme Corporation", "globex": "Globex Industries"}
PARTICIPANTS_PER_SIDE = 8
CONSULTANT_EMAIL = "consultant@example.com"


# A few demo people read the product in another language, so `make run` shows the switch:
# globex's sponsor gets the weekly digest in French, acme's junior2 their reminders in Spanish,
# acme's senior2 reads German.
DEMO_LANGUAGES = {
    "sponsor@globex.example": "fr",
    "junior2@acme.example": "es",
    "senior2@acme.example": "de",
}


def demo_people(slug: str) -> list[tuple[str, str, str, Role]]:
    """(email, first name, last name, role) of one demo organisation."""
    people = [
        (f"admin@{slug}.example", "Avery", "Admin", Role.HR_ADMIN),
        (f"sponsor@{slug}.example", "Sam", "Sponsor", Role.SPONSOR),
    ]
    for side in ("junior", "senior"):
        for n in range(1, PARTICIPANTS_PER_SIDE + 1):
            people.append(
                (f"{side}{n}@{slug}.example", side.capitalize(), str(n), Role.PARTICIPANT)
            )
    return people


class Command(BaseCommand):
    help = "Create the demo organisations acme and globex with their users (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password of every demo user."
        )

    def handle(self, *args: Any, password: str, **options: Any) -> None:
        # One hash for all demo users: hashing is deliberately slow, and 35 of them add up.
        password_hash = make_password(password)
        with transaction.atomic():
            for slug, name in DEMO_ORGANIZATIONS.items():
                self._seed_organization(slug, name, password_hash)
            consultant = self._user(CONSULTANT_EMAIL, "Casey", "Consultant", password_hash)
            for slug, role in (("acme", Role.HR_ADMIN), ("globex", Role.PARTICIPANT)):
                organization = Organization.objects.get(slug=slug)
                with tenant_scope(organization):
                    services.membership_grant(organization=organization, user=consultant, role=role)
        self._print_logins(password)

    def _seed_organization(self, slug: str, name: str, password_hash: str) -> None:
        organization, created = Organization.objects.get_or_create(
            slug=slug, defaults={"name": name, "mfa_required": False}
        )
        with tenant_scope(organization):
            admin = None
            for email, first, last, role in demo_people(slug):
                user = self._user(email, first, last, password_hash)
                services.membership_grant(organization=organization, user=user, role=role)
                admin = admin or user
            if slug == "acme":
                # acme signs in through `make run`'s local identity provider too.
                seed_demo_sso(organization=organization, domain=f"{slug}.example")
            # Each app adds its demo content through its own seed module.
            seed_demo_program(organization=organization)
            if created:
                # Time-relative items (meetings, logs) only when the organisation is new.
                seed_demo_pairs(organization=organization)
                seed_demo_feedback(organization=organization)
            # The demo writes some rows directly: the dashboards' totals are recounted once.
            tallies.rebuild(organization_id=organization.pk)
            if created and admin is not None:
                # Time-relative items are made only once, when the organisation is new.
                with recipient_language(admin, organization):
                    services.notification_send(
                        organization=organization,
                        recipient=admin,
                        subject=_("Welcome to the reverse-mentoring space of %(name)s")
                        % {"name": name},
                        body=_("Invite your colleagues from the Invitations page to get started."),
                        url=tenant_url(organization, "invitations"),
                    )

    @staticmethod
    def _user(email: str, first: str, last: str, password_hash: str) -> User:
        user, _created = User.objects.update_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "password": password_hash,
                "is_active": True,
            },
            # Only when created: a language someone chose in the demo survives a re-seed.
            create_defaults={
                "first_name": first,
                "last_name": last,
                "password": password_hash,
                "is_active": True,
                "language": DEMO_LANGUAGES.get(email, ""),
            },
        )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _print_logins(self, password: str) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000 with:"))
        out.write(f"  password for every demo user: {password}")
        for slug in DEMO_ORGANIZATIONS:
            out.write(
                f"  {slug}: admin@{slug}.example (HR admin), sponsor@{slug}.example (sponsor),"
            )
            out.write(
                f"        junior1..{PARTICIPANTS_PER_SIDE}@{slug}.example and "
                f"senior1..{PARTICIPANTS_PER_SIDE}@{slug}.example (participants)"
            )
        out.write(f"  {CONSULTANT_EMAIL}: HR admin in acme, participant in globex")
        out.write(
            "  languages: sponsor@globex.example reads French, junior2@acme.example Spanish, "
            "senior2@acme.example German (everyone can switch in the account menu)"
        )
        if settings.SSO_ALLOW_INSECURE:
            out.write(
                "  single sign-on: 'Sign in with single sign-on' with "
                f"{DEMO_NEW_HIRE['email']} goes through the local identity provider "
                "(choose that person there) and joins acme as a participant"
            )
