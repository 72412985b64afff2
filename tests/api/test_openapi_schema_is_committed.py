"""The OpenAPI schema of /api/v1/ is committed (``mentorship/frame/openapi-v1.yaml``), so every
change to the API shows in review as a change to that file. This test generates the schema the
way the regeneration command does and fails when the committed file differs from it."""

from __future__ import annotations

import difflib
import re
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command

from tests.isolation.test_api_isolation import ROUTES

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "mentorship" / "frame" / "openapi-v1.yaml"
REGENERATE = (
    "DEBUG=1 .venv/bin/python manage.py spectacular "
    "--file mentorship/frame/openapi-v1.yaml --validate"
)
# Lines of the difference shown in a failure: enough to see what changed, not the whole file.
EXCERPT_LINES = 80


def generated_schema() -> str:
    """The schema as ``manage.py spectacular --validate`` writes it (an invalid schema fails
    here with the validator's message)."""
    out = StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing. Generate it with:\n  {REGENERATE}"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    generated = generated_schema()
    if committed == generated:
        return
    diff = list(
        difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            fromfile="committed",
            tofile="generated",
            lineterm="",
        )
    )
    excerpt = "\n".join(diff[:EXCERPT_LINES])
    more = f"\n… and {len(diff) - EXCERPT_LINES} more lines" if len(diff) > EXCERPT_LINES else ""
    raise AssertionError(
        "The API changed but its committed schema did not. Regenerate it, review the "
        f"difference and commit it:\n  {REGENERATE}\n\n{excerpt}{more}"
    )


def test_the_schema_documents_every_route_and_method_of_the_api() -> None:
    """Every route and method the router mounts is in the schema: one hidden from it would
    escape both the review of this file and the schemathesis run."""
    paths = yaml.safe_load(generated_schema())["paths"]
    # Literal paths first: /participants/bulk/ is not /participants/{id}/.
    patterns = {
        re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"): p
        for p in sorted(paths, key=lambda p: p.count("{"))
    }
    missing = []
    for route in ROUTES:
        url = route.path(1) if route.kwargs else route.path()
        documented = next((p for regex, p in patterns.items() if regex.match(url)), None)
        for method in route.methods:
            if documented is None or method not in paths[documented]:
                missing.append(f"{method.upper()} {url} ({route.name})")
    assert not missing, f"Not in the schema: {missing}"
