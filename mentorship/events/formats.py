"""What a delivery sends: the signed Standard Webhooks request, or a chat message.

- "standard": the event's stored envelope as JSON, signed per the Standard Webhooks
  specification (``webhook-id`` = the event's message id, the same on every attempt;
  ``webhook-timestamp``; ``webhook-signature`` = one ``v1,…`` HMAC-SHA256 per valid secret,
  space-separated, so a receiver verifies with the new secret or the old one during a rotation).
- "slack": ``{"text": …}`` for a Slack incoming webhook;
- "teams": a message with an Adaptive Card, for a Microsoft Teams workflow ("Post to a channel
  when a webhook request is received").

Chat messages are short and built from the payload's program-level facts (which program, what
happened); they name nobody, as the chat channel may be wider than the HR team.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from mentorship.events.models import TEST_EVENT_TYPE, EventType, WebhookEndpoint, WebhookEvent
from mentorship.identity.secrets import decrypt

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# How long the previous secret keeps signing after a rotation, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
USER_AGENT = "reverse-mentoring-webhooks/1"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and base64 of 32 random bytes (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets to sign with now: the current one, and the previous one during its 24 h."""
    found = [decrypt(endpoint.secret)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(decrypt(endpoint.previous_secret))
    return [s for s in found if s]


def signature(*, secrets_: list[str], message_id: str, at: datetime, body: bytes) -> str:
    return " ".join(Webhook(s).sign(msg_id=message_id, timestamp=at, data=body) for s in secrets_)


def request_for(
    endpoint: WebhookEndpoint, event: WebhookEvent, *, organization_name: str, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt to deliver ``event`` to ``endpoint``."""
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.message_id,
    }
    if endpoint.format == WebhookEndpoint.Format.STANDARD:
        body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers["webhook-timestamp"] = str(int(now.timestamp()))
        headers["webhook-signature"] = signature(
            secrets_=signing_secrets(endpoint, now=now),
            message_id=event.message_id,
            at=now,
            body=body,
        )
        return body, headers
    text = chat_text(event.event_type, event.payload.get("data") or {}, organization_name)
    if endpoint.format == WebhookEndpoint.Format.SLACK:
        return json.dumps(slack_body(text)).encode(), headers
    return json.dumps(teams_body(text)).encode(), headers


def slack_body(text: str) -> dict[str, Any]:
    # Slack reads "&", "<" and ">" as markup (links, mentions): escaped, a name stays a name.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {"text": escaped}


# What Adaptive Card TextBlocks read as Markdown (emphasis, code, links and images, raw
# HTML on some clients), escaped with a backslash as CommonMark allows; and what makes a
# heading, a quote or a list where the text starts.
_TEAMS_MARKUP = re.compile(r"([\\`*_~\[\]()<>|])")
_TEAMS_BLOCK_START = re.compile(r"^([#+-]|\d+(?=[.)]))")


def teams_markdown_escaped(text: str) -> str:
    """``text`` shown as it is in a Teams card: a program named
    "[Confirm your account](https://…)" is that text, not a link posted under the app's name."""
    text = " ".join(text.split())  # one line, so that no list or heading starts within it
    text = _TEAMS_MARKUP.sub(r"\\\1", text)
    # "1." starts a list: its dot is escaped ("1\."); "#", "+" and "-" themselves.
    match = _TEAMS_BLOCK_START.match(text)
    if match is None:
        return text
    if match.group(1)[0].isdigit():
        end = match.end()
        return f"{text[:end]}\\{text[end:]}"
    return f"\\{text}"


def teams_body(text: str) -> dict[str, Any]:
    # Our own words hold no Markdown; the names in them (programs, surveys, the organisation)
    # are typed by users, and escaped like Slack's.
    text = teams_markdown_escaped(text)
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                },
            }
        ],
    }


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _program_name(data: dict[str, Any]) -> str | None:
    """The program's name from a payload: ``program_name``, or ``program`` as an object or a
    bare name. Payloads are the API's objects, whose shapes belong to the apps."""
    program = data.get("program")
    if isinstance(program, dict):
        program = program.get("name")
    return _text(data.get("program_name")) or _text(program)


def _survey_name(data: dict[str, Any]) -> str | None:
    for key in ("name", "title", "template_name"):
        if name := _text(data.get(key)):
            return name
    return None


def _survey_text(opened: bool, survey: str | None, program: str | None) -> str:
    """Whole sentences, one per case, so that each language can order its words."""
    values = {"survey": survey, "program": program}
    if opened:
        if survey and program:
            return _("The survey “%(survey)s” opened in “%(program)s”.") % values
        if survey:
            return _("The survey “%(survey)s” opened in a program.") % values
        if program:
            return _("The survey opened in “%(program)s”.") % values
        return _("The survey opened in a program.")
    if survey and program:
        return _("The survey “%(survey)s” closed in “%(program)s”.") % values
    if survey:
        return _("The survey “%(survey)s” closed in a program.") % values
    if program:
        return _("The survey closed in “%(program)s”.") % values
    return _("The survey closed in a program.")


def _status_text(name: str | None, program: str | None, status: str | None) -> str:
    # The status is the payload's code ("in_progress"), shown as words.
    values = {"name": name, "program": f"“{program}”".capitalize(), "status": status}
    if status:
        values["status"] = status.replace("_", " ")
        if name:
            return _("The program “%(name)s” is now %(status)s.") % values
        if program:
            return _("%(program)s is now %(status)s.") % values
        return _("A program is now %(status)s.") % values
    if name:
        return _("The program “%(name)s” changed status.") % values
    if program:
        return _("%(program)s changed status.") % values
    return _("A program changed status.")


def chat_text(event_type: str, data: dict[str, Any], organization_name: str) -> str:
    """One line for a chat channel about ``event_type``, from its payload's ``data``, in the
    active language (the delivery activates the organisation's default)."""
    program = _program_name(data)
    if event_type == EventType.PAIRING_ACTIVE:
        message = (
            _("A new mentoring pair went live in “%(program)s”.") % {"program": program}
            if program
            else _("A new mentoring pair went live in a program.")
        )
    elif event_type == EventType.SURVEY_OPENED:
        message = _survey_text(True, _survey_name(data), program)
    elif event_type == EventType.SURVEY_CLOSED:
        message = _survey_text(False, _survey_name(data), program)
    elif event_type == EventType.PROGRAM_STATUS_CHANGED:
        message = _status_text(_text(data.get("name")), program, _text(data.get("status")))
    elif event_type == TEST_EVENT_TYPE:
        message = _("Test message: this webhook works.")
    else:
        message = f"{EventType(event_type).label}." if event_type in EventType.values else ""
    return f"{organization_name} · {message}".strip(" ·")
