"""The release plan holds under every combination of views.

Each leak found so far has its test here, written to fail on the per-view checks that
came before; the adversarial property test then collects every survey figure that HR admins
and sponsors can obtain from results pages, their CSVs and both dashboards at every filter, and
checks the atoms of the groups behind them.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedback.disclosure import EVERYONE, atoms, cell, release, small_atoms
from feedback.models import FeedbackCycle, Question, SurveyResponse, SurveyTemplate, TopicRating
from feedback.services import cycles as cycle_services
from feedback.services import templates as template_services
from feedback.summaries import summarize_cycles
from mentorship.models import Role
from programs.models import Participant
from programs.services import participants as participant_services
from programs.services import sponsors as sponsor_services
from programs.services import topics as topic_services
from tests.conftest import Tenant
from tests.factories import ParticipantFactory
from tests.feedback.test_results import make_cycle
from tests.queries import Run, assert_same_queries, run

# --- The pure rule --------------------------------------------------------------------------------


def test_a_plan_drops_groups_until_every_atom_holds_k() -> None:
    """Juniors 4 (3 in Ops, 1 in Sales), seniors 3 in Sales: each group and its complement
    reach 3, but juniors of Sales is one person, so departments go and sides stay."""
    cells = {
        cell(side="junior", department="Ops"): 3,
        cell(side="junior", department="Sales"): 1,
        cell(side="senior", department="Sales"): 3,
    }
    family = release(cells, 3)
    assert family == {EVERYONE, ("side", "junior"), ("side", "senior")}
    assert not small_atoms(cells, family, 3)
    assert sorted(atoms(cells, family).values()) == [3, 4]


def test_nothing_is_released_below_k_and_groups_nobody_is_in_are_not_offered() -> None:
    assert release({cell(side="junior"): 2}, 3) == frozenset()
    assert release({cell(side="junior"): 3}, 3) == {EVERYONE, ("side", "junior")}
    assert release({}, 3) == frozenset()


def test_fixed_groups_stay_and_only_what_splits_them_is_checked() -> None:
    """Programs are fixed: a small program is shown on its own dashboard anyway, but no
    department may split it into fewer than k."""
    cells = {
        cell(program="1", department="Ops"): 6,
        cell(program="2", department="Ops"): 2,
        cell(program="2", department="Sales"): 8,
        cell(program="3", department="Legal"): 1,
    }
    programs = {("program", p) for p in "123"}
    family = release(
        cells,
        3,
        candidates={("department", d) for d in ("Ops", "Sales", "Legal")},
        fixed=programs,
    )
    # Ops and Sales would cut program 2 into 2 and 8; Legal is all of program 3 (no split).
    assert family - programs == {("department", "Legal")}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["junior", "senior"]), st.sampled_from(["A", "B", "C", "D"])),
        st.integers(0, 9),
    ),
    st.integers(3, 6),
)
def test_every_plan_is_valid(population: dict[tuple[str, str], int], k: int) -> None:
    cells = {cell(side=s, department=d): n for (s, d), n in population.items()}
    family = release(cells, k)
    assert all(n >= k for n in atoms(cells, family).values()) or not family


# --- Survey helpers -------------------------------------------------------------------------------


def respond(
    cycle: FeedbackCycle,
    *,
    side: str,
    department: str,
    likert: int | None = None,
    text: str = "",
    topics: dict[str, int] | None = None,
) -> None:
    response = SurveyResponse.objects.create(
        organization=cycle.organization, cycle=cycle, side=side, department=department
    )
    for q in cycle.version.questions.all():
        if q.kind == Question.Kind.LIKERT and likert is not None:
            response.answers.create(organization=cycle.organization, question=q, number=likert)
        elif q.kind == Question.Kind.TEXT and text:
            response.answers.create(organization=cycle.organization, question=q, text=text)
        elif q.kind == Question.Kind.OBJECTIVE_RATINGS:
            for topic, rating in (topics or {}).items():
                TopicRating.objects.create(
                    organization=cycle.organization,
                    cycle=cycle,
                    question=q,
                    topic_name=topic,
                    rating=rating,
                    side=side,
                    department=department,
                )


def closed_survey(program, key: str = "end-of-program") -> FeedbackCycle:
    """A survey of the built-in template ``key``, closed now, with no answers yet."""
    cycle = cycle_services.cycle_create(
        program=program,
        template=SurveyTemplate.objects.get(builtin_key=key),
        opens_at=timezone.now(),
    )
    FeedbackCycle.objects.filter(pk=cycle.pk).update(
        status="closed", opened_at=timezone.now(), closed_at=timezone.now()
    )
    cycle.refresh_from_db()
    return cycle


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def texts(export: str) -> set[str]:
    return {row[2] for row in read_csv(export) if len(row) == 3 and row[1] == "answer"}


# --- Leak 1: a side and a department --------------------------------------------------------------


def test_juniors_minus_a_department_never_gives_one_persons_answers(
    alpha: Tenant, client_for
) -> None:
    """k = 3. Ops: three juniors. Sales: one junior and three seniors. "Juniors" (4) and "Ops"
    (3) each pass a per-view check, and juniors minus Ops was the Sales junior's comment."""
    alpha.organization.anonymity_threshold = 3
    alpha.organization.save()
    with alpha.scope():
        cycle = make_cycle(alpha)
        for n in range(3):
            respond(cycle, side="junior", department="Ops", likert=4, text=f"ops junior {n}")
        respond(cycle, side="junior", department="Sales", likert=1, text="THE SALES JUNIOR")
        for n in range(3):
            respond(cycle, side="senior", department="Sales", likert=3, text=f"senior {n}")
        summarize_cycles(cycle_ids=[cycle.pk])
        sponsor_services.program_sponsor_add(
            program=cycle.program, membership=alpha.members[Role.SPONSOR]
        )
    base = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/results.csv"
    for user in (alpha.hr, alpha.sponsor):
        client = client_for(user)
        juniors = client.get(base + "?side=junior").content.decode()
        ops = client.get(base + "?department=Ops").content.decode()
        assert texts(juniors) - texts(ops) != {"THE SALES JUNIOR"}
        # The scale's distribution cannot be subtracted either: the "1" of juniors minus Ops.
        ones = [
            int(row[2])
            for export in (juniors, ops)
            for row in read_csv(export)
            if len(row) == 3 and row[1] == "1" and row[0].startswith("How valuable were")
        ]
        assert ones in ([], [1, 1], [1]) or ones[0] - ones[1] != 1


# --- Leak 2: departments on the dashboards --------------------------------------------------------


def test_everyone_minus_two_departments_on_a_dashboard_never_gives_a_third(
    alpha: Tenant, client_for
) -> None:
    """Approved people: 4 per department, so an HR admin may filter by each. Respondents: Ops 3,
    Sales 3, Legal 1. Each department's figure used to be checked alone; everyone minus Ops and
    Sales was Legal's one answer."""
    alpha.organization.anonymity_threshold = 3
    alpha.organization.save()
    with alpha.scope():
        cycle = make_cycle(alpha)
        program = cycle.program
        sponsor_services.program_sponsor_add(
            program=program, membership=alpha.members[Role.SPONSOR]
        )
        for department in ("Ops", "Sales", "Legal"):
            for n in range(4):
                ParticipantFactory(
                    program=program,
                    email=f"{department}{n}@example.com",
                    first_name="P",
                    last_name=f"{department}{n}",
                    side="junior" if n % 2 else "senior",
                    level=2 if n % 2 else 9,
                    department=department,
                    status=Participant.Status.APPROVED,
                )
        for department, n, value in (("Ops", 3, 4), ("Sales", 3, 4), ("Legal", 1, 1)):
            for _ in range(n):
                respond(cycle, side="junior", department=department, likert=value)
        FeedbackCycle.objects.filter(pk=cycle.pk).update(closed_at=timezone.now(), anonymous=True)
        summarize_cycles(cycle_ids=[cycle.pk])
    # HR admins filter dashboards by department (sponsors are offered none).
    hr = client_for(alpha.hr)
    url = f"/o/alpha/programs/{program.slug}/dashboard/"
    page = hr.get(url).content.decode()
    offered = [d for d in ("Ops", "Sales", "Legal") if f'<option value="{d}"' in page]
    assert sorted(offered) == ["Legal", "Ops", "Sales"]  # people: 4 in each
    shown = {}
    for department in ["", *offered]:
        rows = read_csv(hr.get(f"{url}surveys.csv?department={department}").content.decode())
        (line,) = rows[1:]
        shown[department] = line[-2] != "withheld"  # satisfaction
    assert shown[""]
    # Everyone, Ops and Sales together would give Legal: at most one of them is shown.
    assert not (shown["Ops"] and shown["Sales"])
    assert not shown["Legal"]


# --- Leak 3: pooling on the Surveys page ----------------------------------------------------------


def test_a_pool_of_final_ratings_never_includes_a_survey_withheld_on_its_own(
    alpha: Tenant, client_for
) -> None:
    """Two end-of-program surveys: three rated "Cloud" 4 in the first, one rated it 1 in the
    second. The pool of four used to be shown (3.25): minus the first, shown on its own, it was
    the one person's 1."""
    from feedback.results import program_results

    alpha.organization.anonymity_threshold = 3
    alpha.organization.save()
    with alpha.scope():
        program = make_cycle(alpha).program
        template_services.templates_ensure_builtin(organization=alpha.organization)
        first, second = closed_survey(program), closed_survey(program)
        for _ in range(3):
            respond(first, side="senior", department="Ops", topics={"Cloud": 4})
        respond(second, side="senior", department="Ops", topics={"Cloud": 1})
        summarize_cycles(cycle_ids=[first.pk, second.pk])
        skills = dict((t, (b, a)) for t, b, a, _ in program_results(program=program, k=3).skills)
    assert skills["Cloud"][1] == 4.0
    page = client_for(alpha.hr).get(f"/o/alpha/programs/{program.slug}/feedback/").content
    assert b"3.25" not in page and b"3.2" not in page


# --- The adversarial property test ----------------------------------------------------------------

SIDES = ("junior", "senior")
DEPARTMENTS = ("Ops", "Sales", "Legal")

population = st.lists(
    st.tuples(
        st.sampled_from(SIDES),
        st.sampled_from(DEPARTMENTS),
        st.one_of(st.none(), st.integers(1, 5)),  # the scale question, optional here
        st.booleans(),  # wrote a comment
        st.sampled_from([(), ("Cloud",), ("Cloud", "AI"), ("AI",)]),  # topics rated
    ),
    min_size=3,
    max_size=14,
)

LEAK_1 = [
    ("junior", "Ops", 4, True, ("Cloud",)),
    ("junior", "Ops", 4, True, ("Cloud",)),
    ("junior", "Ops", 4, True, ("Cloud",)),
    ("junior", "Sales", 1, True, ("Cloud",)),
    ("senior", "Sales", 3, True, ("Cloud",)),
    ("senior", "Sales", 3, True, ("Cloud",)),
    ("senior", "Sales", 3, True, ("Cloud",)),
]


def _groups_of_views(client, cycle, people, scales: set[str]) -> dict[str, list[frozenset[int]]]:
    """Per figure key (a question or a topic), the sets of people behind every figure a viewer
    obtained: every filter and combination on the results page and its CSV, and the surveys and
    skills tables of both dashboards at every department offered."""
    base = f"/o/alpha/programs/{cycle.program.slug}/feedback/{cycle.pk}/"
    groups: dict[str, list[frozenset[int]]] = defaultdict(list)

    def who(side: str, department: str, has) -> frozenset[int]:
        return frozenset(
            i
            for i, person in enumerate(people)
            if (not side or person[0] == side)
            and (not department or person[1] == department)
            and has(person)
        )

    answered = {
        "scale": lambda p: p[2] is not None,
        "text": lambda p: p[3],
        "Cloud": lambda p: "Cloud" in p[4],
        "AI": lambda p: "AI" in p[4],
        "respondents": lambda p: True,
    }
    for side in ("", *SIDES):
        for department in ("", *DEPARTMENTS):
            query = f"side={side}&department={department}"
            page = client.get(f"{base}?{query}").content.decode()
            if "This filter is not" in page:
                side_, department_ = "", ""  # refused: everyone's figures are shown
            else:
                side_, department_ = side, department
            export = read_csv(client.get(f"{base}results.csv?{query}").content.decode())
            for row in export:
                if len(row) != 3 or row[2] == "withheld":
                    continue
                question, item, _ = row
                if question == "respondents by department" and item in DEPARTMENTS:
                    groups["respondents"].append(who("", item, answered["respondents"]))
                elif question in scales and item == "average":
                    groups["scale"].append(who(side_, department_, answered["scale"]))
                elif item == "answer":
                    groups["text"].append(who(side_, department_, answered["text"]))
                elif item in ("Cloud", "AI"):
                    groups[item].append(who(side_, department_, answered[item]))
    for dashboard in (
        f"/o/alpha/programs/{cycle.program.slug}/dashboard/",
        "/o/alpha/dashboard/",
    ):
        page = client.get(dashboard).content.decode()
        for department in ("", *(d for d in DEPARTMENTS if f'<option value="{d}"' in page)):
            surveys = read_csv(
                client.get(f"{dashboard}surveys.csv?department={department}").content.decode()
            )
            for line in surveys[1:]:
                if line[-2] != "withheld":
                    groups["scale"].append(who("", department, answered["scale"]))
            skills = read_csv(
                client.get(f"{dashboard}skills.csv?department={department}").content.decode()
            )
            for line in skills[1:]:
                if line[0] in ("Cloud", "AI") and line[2] != "withheld":
                    groups[line[0]].append(who("", department, answered[line[0]]))
    return groups


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(population, st.integers(3, 5))
@example(LEAK_1, 3)
def test_no_combination_of_views_isolates_fewer_than_k_people(
    alpha: Tenant, client_for, people, k
) -> None:
    alpha.organization.anonymity_threshold = k
    alpha.organization.save()
    with transaction.atomic():
        with alpha.scope():
            cycle = make_cycle(alpha)
            sponsor_services.program_sponsor_add(
                program=cycle.program, membership=alpha.members[Role.SPONSOR]
            )
            # The end-of-program survey's questions (a scale, a comment, topic ratings).
            template_services.templates_ensure_builtin(organization=alpha.organization)
            version = SurveyTemplate.objects.get(builtin_key="end-of-program").versions.first()
            FeedbackCycle.objects.filter(pk=cycle.pk).update(
                version=version, closed_at=timezone.now()
            )
            cycle.refresh_from_db()
            scales = set(
                version.questions.filter(kind=Question.Kind.LIKERT).values_list("text", flat=True)
            )
            for n, (side, department, likert, wrote, topics) in enumerate(people):
                respond(
                    cycle,
                    side=side,
                    department=department,
                    likert=likert,
                    text=f"comment {n}" if wrote else "",
                    topics=dict.fromkeys(topics, 1 + n % 5),
                )
                # People behind the dashboards' department filters: enough of each to offer it.
                ParticipantFactory(
                    program=cycle.program,
                    email=f"p{n}@example.com",
                    first_name="P",
                    last_name=str(n),
                    side=side,
                    level=2 if side == "junior" else 9,
                    department=department,
                    status=Participant.Status.APPROVED,
                )
            summarize_cycles(cycle_ids=[cycle.pk])
        for user in (alpha.hr, alpha.sponsor):
            views = _groups_of_views(client_for(user), cycle, people, scales)
            for key, shown in views.items():
                universe = frozenset().union(*shown)
                signatures: dict[frozenset[int], int] = defaultdict(int)
                for person in universe:
                    signatures[frozenset(i for i, g in enumerate(shown) if person in g)] += 1
                small = {s: n for s, n in signatures.items() if n < k}
                assert not small, (user.email, key, k, people)
        transaction.set_rollback(True)


# --- Changing k, blank answers, topics one person chose, groups that do not meet ------------------


def _closed_check_in(alpha: Tenant, program, people: int) -> FeedbackCycle:
    cycle = closed_survey(program, "monthly-check-in")
    for _ in range(people):
        respond(cycle, side="junior", department="Ops", likert=4, text="fine")
    summarize_cycles(cycle_ids=[cycle.pk])
    cycle.refresh_from_db()
    return cycle


def test_raising_k_narrows_every_plan_at_once_so_no_page_rebuilds_them(
    alpha: Tenant, client_for
) -> None:
    """Plans were narrowed lazily on the first page after k rose: 4 queries per survey inside
    a GET (20 queries with 1 survey, 52 with 9). The settings change narrows them instead."""
    from mentorship.services import organization_update

    with alpha.scope():
        program = make_cycle(alpha).program
    client = client_for(alpha.hr)

    def first_view_after_raising_k_to(k: int) -> tuple[Run, Run]:
        """Queries of the settings change (which narrows every plan), then of the page."""

        def change() -> None:
            with alpha.scope():
                organization_update(
                    organization=alpha.organization,
                    actor=alpha.hr,
                    name=alpha.organization.name,
                    anonymity_threshold=k,
                    mfa_required=alpha.organization.mfa_required,
                )

        def page() -> None:
            assert client.get("/o/alpha/dashboard/").status_code == 200

        return run(change), run(page)

    with alpha.scope():
        _closed_check_in(alpha, program, 8)
    one = first_view_after_raising_k_to(6)
    with alpha.scope():
        for _ in range(8):
            _closed_check_in(alpha, program, 8)
    many = first_view_after_raising_k_to(7)
    assert_same_queries(one[0], many[0])
    assert_same_queries(one[1], many[1])
    with alpha.scope():
        assert {c.release_plan["k"] for c in FeedbackCycle.objects.filter(status="closed")} == {7}


def test_summarising_again_or_lowering_k_never_widens_a_plan(alpha: Tenant) -> None:
    alpha.organization.anonymity_threshold = 5
    alpha.organization.save()
    with alpha.scope():
        cycle = _closed_check_in(alpha, make_cycle(alpha).program, 4)
        assert cycle.release_plan["families"]["respondents"] == []  # 4 < 5: nothing
        alpha.organization.anonymity_threshold = 3
        alpha.organization.save()
        summarize_cycles(cycle_ids=[cycle.pk])
        cycle.refresh_from_db()
        assert cycle.release_plan["k"] == 5
        assert cycle.release_plan["families"]["respondents"] == []


def test_unicode_spaces_are_no_answer_on_any_database(alpha: Tenant) -> None:
    """Four real comments and three of spaces only (NBSP and em space among them): with k = 5
    nothing is shown. PostgreSQL's \\s does not match NBSP; Python's strip() does."""
    from feedback.results import cycle_results

    with alpha.scope():
        cycle = make_cycle(alpha)
        for value in ["a1", "a2", "a3", "a4", "   ", "\t\n", "\u00a0\u2003"]:
            respond(cycle, side="junior", department="Ops", likert=3, text=value)
        summarize_cycles(cycle_ids=[cycle.pk])
        result = cycle_results(cycle=cycle, k=5, filters={}, show_names=False)
    (comments,) = [q for q in result.questions if q.question.kind == Question.Kind.TEXT]
    assert not comments.texts and comments.withheld


def test_the_surveys_page_does_not_name_a_topic_one_person_chose(alpha: Tenant, client_for) -> None:
    from programs.models import LearningObjective

    with alpha.scope():
        program = make_cycle(alpha).program
        common, rare = topic_services.topics_get_or_create(
            organization=alpha.organization, names=["AI tools", "Quantum basket weaving"]
        )
        for n in range(6):
            person = participant_services.participant_add(
                program=program,
                email=f"s{n}@example.com",
                invited_by=None,
                first_name="S",
                last_name=str(n),
                side="senior",
                level=9,
            )
            for topic in [common] + ([rare] if n == 0 else []):
                LearningObjective.objects.create(
                    organization=alpha.organization,
                    participant=person,
                    topic=topic,
                    success_criteria="x",
                    baseline_rating=2,
                )
    page = client_for(alpha.hr).get(f"/o/alpha/programs/{program.slug}/feedback/").content
    assert b"AI tools" in page and b"Quantum basket weaving" not in page


def test_two_released_groups_that_do_not_meet_show_no_answers(alpha: Tenant) -> None:
    """Found by the property test in CI: juniors are all in Tech and seniors all in Sales, so
    "juniors of Sales" is nobody. The page says there are no answers, not a count of 0."""
    from feedback.results import cycle_results

    alpha.organization.anonymity_threshold = 3
    alpha.organization.save()
    with alpha.scope():
        cycle = make_cycle(alpha)
        for side, department in (("junior", "Tech"), ("senior", "Sales")):
            for _ in range(3):
                respond(cycle, side=side, department=department, likert=1, text="x")
        summarize_cycles(cycle_ids=[cycle.pk])
        result = cycle_results(
            cycle=cycle, k=3, filters={"side": "junior", "department": "Sales"}, show_names=False
        )
    assert result.filters == {"side": "junior", "department": "Sales"}
    assert all(q.summary is None and not q.texts and not q.choices for q in result.questions)
