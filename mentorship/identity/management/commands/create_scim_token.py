"""Operators (and tests) make a SCIM token without the browser; HR admins use Settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mentorship.identity.tokens import scim_token_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from mentorship.web import error_text


class Command(BaseCommand):
    help = "Create a SCIM provisioning token for an organisation and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="The organisation")
        parser.add_argument("--name", default="Command line", help="What the token is for")

    def handle(self, *args: Any, org: str, name: str, **options: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation has the slug '{org}'.")
        try:
            with tenant_scope(organization):
                token, plain = scim_token_create(organization=organization, name=name, actor=None)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stderr.write(f"Token “{token.name}” for {organization.name}. It is shown only once:")
        self.stdout.write(plain)
