"""Operators create an organisation and invite its first HR admin; from then on it is self-serve."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from mentorship import services
from mentorship.identity import services as identity_services
from mentorship.models import Organization, Role
from mentorship.tenancy import tenant_scope
from mentorship.web import error_text


class Command(BaseCommand):
    help = "Create an organisation and email an HR-admin invitation to its first administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="URL name, e.g. 'acme' for /o/acme/")
        parser.add_argument("name", help="Display name, e.g. 'Acme Corporation'")
        parser.add_argument("--hr-admin", required=True, metavar="EMAIL", help="First HR admin")
        parser.add_argument(
            "--domain",
            action="append",
            default=[],
            metavar="DOMAIN",
            help="An email domain the organisation speaks for (single sign-on); repeatable",
        )

    def handle(
        self, *args: Any, slug: str, name: str, hr_admin: str, domain: list[str], **options: Any
    ) -> None:
        try:
            validate_slug(slug)
            validate_email(hr_admin)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the slug '{slug}' already exists.")
        try:
            with transaction.atomic():
                organization = services.organization_create(slug=slug, name=name)
                with tenant_scope(organization):
                    # The operator vouches for these domains (no HR admin's address proves them).
                    claimed = [
                        identity_services.domain_claim(
                            organization=organization, domain=d, actor=None
                        ).domain
                        for d in domain
                    ]
                    services.invitation_create(
                        organization=organization,
                        email=hr_admin,
                        role=Role.HR_ADMIN,
                        invited_by=None,
                    )
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {name} at /o/{slug}/."))
        if claimed:
            self.stdout.write(f"Claimed domains: {', '.join(claimed)}.")
        self.stdout.write(f"An HR-admin invitation is on its way to {hr_admin}.")
