"""Every survey figure goes through the release plan: a module that reads answers to show
figures must take them from ``feedback.release_plans``. A new page, export, dashboard, digest
or API that reads answers another way fails here until it does."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("feedback", "mentorship", "pairings", "programs")
# The tables that hold what people answered.
ANSWER_TABLES = {"Answer", "SurveyResponse", "TopicRating", "QuestionSummary", "PendingResponse"}
# Modules that store answers or hand a person their own, and never show aggregates: each
# with the reason it may touch the tables directly.
WRITERS = {
    "feedback/models.py": "defines the tables",
    "feedback/services/responses.py": "writes answers as people submit them",
    "feedback/summaries.py": "writes totals and the plan at closing",
    "feedback/release_plans.py": "builds the plan itself",
    "feedback/privacy.py": "a person's own answers by name, for export and erasure",
    "feedback/demo.py": "seeds demo answers",
    "mentorship/frame/seeding/surveys.py": "seeds benchmark answers",
}


def _modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _offends(tree: ast.AST) -> bool:
    """A module that reads the answer tables without asking the release plan."""
    return _reads_answers(tree) and not _asks_the_plan(tree)


def _reads_answers(tree: ast.AST) -> bool:
    """Whether the module names an answer table: used by name, imported (under any alias), or
    reached as an attribute (``models.Answer``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ANSWER_TABLES:
            return True
        if isinstance(node, ast.Attribute) and node.attr in ANSWER_TABLES:
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name in ANSWER_TABLES for a in node.names):
            return True
    return False


def _asks_the_plan(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "feedback.release_plans"
        for node in ast.walk(tree)
    )


def test_every_module_that_reads_answers_releases_them_through_the_plan() -> None:
    offenders = []
    readers = []
    for path in _modules():
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if name in WRITERS or not _reads_answers(tree):
            continue
        readers.append(name)
        if _offends(tree):
            offenders.append(name)
    assert not offenders, f"these read answers without the release plan: {offenders}"
    # The readers known today, so that this test is seen to look at something.
    assert {"feedback/results.py", "mentorship/frame/dashboards.py"} <= set(readers)


def test_the_writers_allowed_are_modules_that_exist() -> None:
    """An allowance names one module, never a package, and goes when its module moves: a stale
    entry would let a new module of the same name read answers around the plan."""
    missing = [name for name in WRITERS if not (ROOT / name).is_file()]
    assert not missing, f"allowed writers that are no longer there: {missing}"


def test_a_reader_that_bypasses_the_plan_is_caught() -> None:
    """The check itself: a new module showing answers without the plan is an offender, however
    it imports the tables; importing the plan module is what clears it."""
    bypass = "from feedback.models import Answer\n\ndef shown():\n    return Answer.objects.all()\n"
    aliased = "from feedback.models import SurveyResponse as R\n\nR.objects.count()\n"
    dotted = "from feedback import models\n\nmodels.TopicRating.objects.count()\n"
    planned = "from feedback.release_plans import plans_for\n" + bypass
    for source in (bypass, aliased, dotted):
        assert _offends(ast.parse(source)), source
    assert not _offends(ast.parse(planned))


def test_the_per_view_checks_are_gone() -> None:
    """The old checks judged each view alone; nothing may fall back on them."""
    import feedback.anonymity as anonymity

    assert not hasattr(anonymity, "may_show_subset")
    assert not hasattr(anonymity, "shown_groups")
