"""Operators (and scripts) make an API key without the browser; HR admins use Settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mentorship.api.services import api_key_create
from mentorship.models import Organization
from mentorship.tenancy import tenant_scope
from mentorship.web import error_text


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="The organisation")
        parser.add_argument("--name", required=True, help="What the key is for")
        parser.add_argument(
            "--write", action="store_true", help="A read-write key (default: read only)"
        )

    def handle(self, *args: Any, org: str, name: str, write: bool, **options: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation has the slug '{org}'.")
        try:
            with tenant_scope(organization):
                key, plain = api_key_create(
                    organization=organization, name=name, can_write=write, actor=None
                )
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from exc
        self.stderr.write(
            f"API key “{key.name}” ({key.access}) for {organization.name}. It is shown only once:"
        )
        self.stdout.write(plain)
