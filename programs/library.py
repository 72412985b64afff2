"""Built-in program templates, in the same JSON shape as a program export.

Keeping one shape means the built-in template, an export from another organisation and a file
an HR admin edits by hand all go through the same validated import.

The texts are marked for translation (lazily): reading a template from :data:`TEMPLATES` gives
them in the active language, so a program adopted from it is written in the language of the
HR admin who adopts it, and stays as written afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EXPORT_FORMAT = "reverse-mentoring/program"
EXPORT_VERSION = 1

# Translators: the agreement participants accept. Keep the numbered layout and line breaks.
DIGITAL_FLUENCY_AGREEMENT = _("""\
Reverse mentoring agreement

1. Purpose. The junior colleague mentors the senior colleague on digital fluency and how the
   younger workforce sees the company; the senior colleague shares experience in return.
2. Confidentiality. What is said in our sessions stays between us. Session notes are ours;
   feedback to the organisation is anonymous and aggregated.
3. Cadence. We meet every two weeks for about an hour, for six sessions, and keep each other
   informed if a meeting has to move.
4. Candour. We speak openly and respectfully, and we both learn: the senior colleague is here to
   listen, the junior colleague to teach.
5. Escalation. If something is wrong, either of us can talk to the program's HR contact in
   confidence.
6. No-fault exit. Either of us can end the pairing at any time through the app, without giving
   a reason and without consequences.
""")

# The built-in session plan: six conversations in the order reverse-mentoring pairs usually need
# them (trust first, then the senior's goals, practice, the senior's side, mutual feedback, and a
# close that turns the learning into habits). Each guide is short on purpose: a pair reads it in
# two minutes before they meet.
DIGITAL_FLUENCY_SESSION_PLAN: list[dict[str, Any]] = [
    {
        "title": _("Ground rules: candour and confidentiality"),
        "purpose": _("Agree how you will work together so that both of you can speak freely."),
        # Translators: an agenda is a Markdown list. Keep each line starting with "- " and
        # the minutes ("- 10 min: "), which add up to the hour.
        "agenda": _(
            "- 10 min: introductions beyond job titles (what each of you does on a normal day)\n"
            "- 15 min: read the agreement together; what confidentiality means for you two\n"
            '- 15 min: how to give each other honest feedback, and a signal for "too much"\n'
            "- 10 min: practicalities: when, where, how to move a meeting\n"
            "- 10 min: one thing each of you hopes to get out of the program"
        ),
        # Translators: questions are a Markdown list: keep each line starting with "- ".
        "junior_questions": _(
            "- What would make it easy for you to tell me something I may not want to hear?\n"
            "- Which topics are off limits, or need care?\n"
            "- How do you prefer to learn: being shown, or trying first?"
        ),
        "senior_questions": _(
            "- What would make you comfortable challenging me, even on my own habits?\n"
            "- What do you need from me to prepare each session?\n"
            "- What does a good outcome of this program look like for you?"
        ),
    },
    {
        "title": _("The senior's learning objectives"),
        "purpose": _(
            "Turn the senior's curiosity into two or three objectives you can both track."
        ),
        "agenda": _(
            "- 10 min: what has changed in the senior's work because of digital tools\n"
            "- 20 min: list what the senior wants to be able to do, then pick two or three\n"
            "- 15 min: make each objective concrete: what will the senior do differently?\n"
            "- 10 min: rate today's level of each (1–5) and record the objectives in the app\n"
            "- 5 min: choose the tool for the hands-on session"
        ),
        "junior_questions": _(
            "- When did you last feel out of your depth with a tool or a platform?\n"
            "- What do you see colleagues of my generation do that you would like to try?\n"
            "- How will we know, in three months, that you have got there?"
        ),
        "senior_questions": _(
            "- Which of my objectives do you think matters most, and why?\n"
            "- What would you like to learn from me in return?\n"
            "- Is there anything in my objectives that you would find hard to teach?"
        ),
    },
    {
        "title": _("Hands on: a tool the junior uses every day"),
        "purpose": _("Learn by doing: the senior drives, the junior coaches."),
        "agenda": _(
            "- 5 min: what the senior tried since last time\n"
            "- 10 min: the junior shows the tool and why they rely on it\n"
            "- 30 min: the senior does a real task with it, hands on the keyboard\n"
            "- 10 min: what was easy, what was confusing, what to practise\n"
            "- 5 min: one small thing to try before the next session"
        ),
        "junior_questions": _(
            "- Where did you hesitate, and what were you expecting to happen?\n"
            "- Which real task of yours could this tool make faster this week?\n"
            "- What would you need to keep using it without me?"
        ),
        "senior_questions": _(
            "- Which habits make you quick with this tool that I could copy?\n"
            "- What mistakes do beginners make that I should avoid?\n"
            "- How does your team decide which tools to use?"
        ),
    },
    {
        "title": _("The senior's view of the organisation and career"),
        "purpose": _(
            "The learning runs both ways: the junior hears how the organisation works from the top."
        ),
        "agenda": _(
            "- 10 min: the senior's path: two decisions that shaped their career\n"
            "- 20 min: how decisions are really made here, and where the junior's work fits\n"
            "- 15 min: the junior's questions about their own next steps\n"
            "- 10 min: what the senior learned about the junior's generation so far\n"
            "- 5 min: progress on the senior's objectives"
        ),
        "junior_questions": _(
            "- What do you wish you had known at my stage?\n"
            "- What gets noticed by leaders here, and what goes unseen?\n"
            "- Which skill should I build now for the role I want in five years?"
        ),
        "senior_questions": _(
            "- What surprises you most about how this organisation works?\n"
            "- Where do you feel your generation is not heard here?\n"
            "- What could I change in how I lead that would matter to people like you?"
        ),
    },
    {
        "title": _("Feedback both ways: what each of you has changed"),
        "purpose": _(
            "Take stock honestly: what each of you does differently now, and what has not moved."
        ),
        "agenda": _(
            "- 10 min: each of you names one thing you now do differently\n"
            "- 15 min: the junior's candid feedback on the senior's progress\n"
            "- 15 min: the senior's candid feedback on the junior as a mentor\n"
            "- 10 min: update the objectives' progress in the app\n"
            "- 10 min: adjust the plan for the last sessions"
        ),
        "junior_questions": _(
            "- Where have you seen me change how I work since we started?\n"
            "- What did I explain badly, and how should I have done it?\n"
            "- Which objective is stuck, and what would unblock it?"
        ),
        "senior_questions": _(
            "- What have you changed because of what I showed you?\n"
            "- What should I stop doing as your mentor?\n"
            "- Has anything I said changed how you see your work or your team?"
        ),
    },
    {
        "title": _("Closing: what each of you will keep doing"),
        "purpose": _(
            "End well: turn what you learned into habits, and decide how you stay in touch."
        ),
        "agenda": _(
            "- 20 min: look back at the objectives: rate each again (1–5)\n"
            "- 15 min: the one habit each of you will keep, and how\n"
            "- 10 min: what you would tell the next pair\n"
            "- 10 min: whether and how you stay in touch\n"
            "- 5 min: thank each other, and answer the program's closing survey"
        ),
        "junior_questions": _(
            "- Which new habit will you still have in six months?\n"
            "- Who else around you could benefit from what you learned?\n"
            "- How would you like to keep in touch?"
        ),
        "senior_questions": _(
            "- What will you do differently in your own work after this program?\n"
            "- Would you mentor again, and what would you change?\n"
            "- What would you like me to keep an eye out for in your career?"
        ),
    },
]

DIGITAL_FLUENCY: dict[str, Any] = {
    "format": EXPORT_FORMAT,
    "version": EXPORT_VERSION,
    "program": {
        "name": _("Reverse mentoring — digital fluency"),
        "description": _(
            "Junior colleagues mentor senior leaders on the tools, platforms and habits of a "
            "digital workplace, and learn from their experience in return."
        ),
        "goals": _(
            "Senior leaders gain confidence with social media, AI tools and collaboration "
            "tools; junior colleagues gain visibility, leadership insight and a sponsor's view "
            "of the organisation; both sides understand each other's generation better."
        ),
        "cadence_weeks": 2,
        "expected_sessions": 6,
        "mentees_per_mentor": 1,
        "mentors_per_mentee": 1,
        "min_level_gap": 2,
        "exclude_reporting_line": True,
        "exclude_same_department": True,
        "allow_repairing": False,
        "training_required": True,
        "agreement_text": DIGITAL_FLUENCY_AGREEMENT,
        "reminder_offsets_hours": [24, 1],
        "meeting_minutes": 60,
        "close_quiet_after_days": None,
    },
    "topics": [
        _("Social media"),
        _("AI tools"),
        _("Collaboration tools"),
        _("Data literacy"),
        _("Generational perspectives"),
        _("Personal branding online"),
        _("Cybersecurity habits"),
    ],
    "training_modules": [
        {
            "title": _("What reverse mentoring is"),
            "body": _(
                "## Why we do it\n\nIn reverse mentoring **you are the mentor**: you bring "
                "what you know about digital tools and how your generation sees work, and a "
                "senior leader brings curiosity and experience.\n\n"
                "## What good looks like\n\n- Agree two or three learning objectives in the "
                "first session.\n- Meet every two weeks.\n- Log each session: what you taught "
                "and what you learned."
            ),
            "required_for_juniors": True,
            "required_for_seniors": False,
        },
        {
            "title": _("Running a good session"),
            "body": _(
                "1. Start with what your mentee tried since last time.\n"
                "2. Show, then let them do it: hands on the keyboard.\n"
                "3. End with one small thing to try before the next session.\n\n"
                "Ask open questions and be candid: your mentee asked for an honest view."
            ),
            "required_for_juniors": True,
            "required_for_seniors": False,
        },
        {
            "title": _("Confidentiality and the no-fault exit"),
            "body": _(
                "What is said in sessions stays in the pair. If something feels wrong, talk to "
                "your HR contact, or end the pairing from the app: no reason needed, no blame."
            ),
            "required_for_juniors": True,
            "required_for_seniors": True,
        },
    ],
    "session_plan": DIGITAL_FLUENCY_SESSION_PLAN,
}


def _resolved(value: Any) -> Any:
    """``value`` with every lazy text written out in the active language (plain JSON data)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {key: _resolved(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item) for item in value]
    return value


class _Library(Mapping[str, dict[str, Any]]):
    """The built-in templates by key. Each read is a fresh copy of plain data in the active
    language: what the import stores, what a JSON dump writes, and safe to change."""

    def __init__(self, specs: dict[str, dict[str, Any]]) -> None:
        self._specs = specs

    def __getitem__(self, key: str) -> dict[str, Any]:
        return _resolved(self._specs[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


_BUILTIN: dict[str, dict[str, Any]] = {"digital-fluency": DIGITAL_FLUENCY}
TEMPLATES: Mapping[str, dict[str, Any]] = _Library(_BUILTIN)
# Lazy names: the form's choice reads in the viewer's language.
TEMPLATE_CHOICES = [(key, spec["program"]["name"]) for key, spec in _BUILTIN.items()]
