"""The project's shape, checked: layers (import-linter), one layout for every app, no module
too long, and one helper for what used to be written several times. Each test names what to
change when it fails."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("programs", "pairings", "feedback")
PACKAGES = ("mentorship", *APPS)
MAX_LINES = 600


def _sources() -> list[Path]:
    """Every module of the project's packages, migrations excepted."""
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_import_contracts_hold() -> None:
    """Layers, the kernel importing no app, pure modules without Django, views private to their
    app, and no cycle between sibling modules (see pyproject.toml)."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def _kernel_layer(contract: dict, prefix: str) -> set[str]:
    bottom = contract["layers"][-1]
    return {name.strip().removeprefix(prefix) for name in bottom.split(":")}


def test_every_module_of_mentorship_is_in_the_kernel_or_the_frame() -> None:
    """A new module under ``mentorship/`` must be named in the kernel's layer of both layer
    contracts (or live in ``mentorship/frame/``): the contracts cannot check what they do not
    name."""
    children = {
        path.stem if path.suffix == ".py" else path.name
        for path in (ROOT / "mentorship").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    contracts = _contracts()
    kernel = children - {"frame"}
    assert _kernel_layer(contracts["layers"], "mentorship.") == kernel
    assert _kernel_layer(contracts["kernel-or-frame"], "") == kernel
    assert {
        name.removeprefix("mentorship.")
        for name in contracts["kernel-imports-no-app"]["source_modules"]
    } == kernel


@pytest.mark.parametrize("path", _sources(), ids=_relative)
def test_no_module_is_longer_than_600_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{_relative(path)} has {lines} lines: split it by noun"


def _view_modules() -> list[Path]:
    return [path for path in _sources() if "views" in path.parts]


def test_every_app_has_the_same_layout() -> None:
    for app in (*APPS, "mentorship"):
        base = ROOT / app
        for required in ("models.py", "selectors.py", "forms.py", "urls.py", "tasks.py"):
            assert (base / required).exists(), f"{app} has no {required}"
        assert (base / "views" / "__init__.py").exists(), f"{app}'s views are not a package"
        strays = [
            path.name
            for path in base.glob("*.py")
            if re.fullmatch(r"(meeting|views)_\w+\.py|views\.py", path.name)
        ]
        assert not strays, f"{app}: {strays} belong in urls.py, forms.py, tasks.py or views/"
    settings = (ROOT / "mentorship" / "settings.py").read_text()
    assert "CELERY_IMPORTS" not in settings, "every task lives in its app's tasks.py"


def test_no_orm_call_and_no_form_class_in_a_view_module() -> None:
    offenders = []
    for path in _view_modules():
        source = path.read_text()
        if ".objects." in source:
            offenders.append(f"{_relative(path)}: .objects. (a selector or a service does that)")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any(
                "Form" in ast.unparse(base) for base in node.bases
            ):
                offenders.append(f"{_relative(path)}: class {node.name} (forms.py)")
    assert not offenders, offenders


def _formatted_strings(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def test_tenant_links_are_built_from_url_names() -> None:
    """``tenant_url`` / ``reverse()``, never ``f"/o/…"``: a moved page must not leave stale
    links in notifications and emails."""
    offenders = [
        f"{_relative(path)}:{line}"
        for path in _sources()
        for line, text in _formatted_strings(path)
        if text.startswith("/o/")
    ]
    assert not offenders, offenders


# What used to be written out several times, and the one helper that replaces it.
COPIES = {
    r'" "\.join\(\w+\.messages\)': ("mentorship/web.py", "mentorship.web.error_text"),
    # Who the HR admins are; notify_hr_admins tells them all.
    r"is_hr_admin=True,\s*removed_at__isnull=True": (
        "mentorship/selectors.py",
        "mentorship.selectors.hr_admins or mentorship.services.notify_hr_admins",
    ),
}


@pytest.mark.parametrize("pattern", COPIES, ids=lambda p: COPIES[p][1])
def test_one_helper_per_repeated_pattern(pattern: str) -> None:
    home, helper = COPIES[pattern]
    where = [
        _relative(path)
        for path in _sources()
        if re.search(pattern, path.read_text()) and _relative(path) != home
    ]
    assert not where, f"use {helper} in {where}"
    assert re.search(pattern, (ROOT / home).read_text()), f"{helper} moved: update this test"


def test_test_files_are_named_for_what_they_cover() -> None:
    """Not for the review or the issue that produced them."""
    named_for_a_review = [
        _relative(path)
        for path in (ROOT / "tests").rglob("test_*.py")
        if re.search(r"review|fixes|issue\d*|regression", path.stem)
    ]
    assert not named_for_a_review, named_for_a_review
