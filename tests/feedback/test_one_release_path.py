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
    "mentorship/frame/management/commands/seed_scale.py": "seeds benchmark answers",
}


def _modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _reads_answers(tree: ast.AST) -> bool:
    return any(isinstance(node, ast.Name) and node.id in ANSWER_TABLES for node in ast.walk(tree))


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
        if not _asks_the_plan(tree):
            offenders.append(name)
    assert not offenders, f"these read answers without the release plan: {offenders}"
    # The readers known today, so that this test is seen to look at something.
    assert {"feedback/results.py", "mentorship/frame/dashboards.py"} <= set(readers)


def test_the_per_view_checks_are_gone() -> None:
    """The old checks judged each view alone; nothing may fall back on them."""
    import feedback.anonymity as anonymity

    assert not hasattr(anonymity, "may_show_subset")
    assert not hasattr(anonymity, "shown_groups")
