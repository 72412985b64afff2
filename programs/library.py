"""Built-in program templates, in the same JSON shape as a program export.

Keeping one shape means the built-in template, an export from another organisation and a file
an HR admin edits by hand all go through the same validated import.
"""

from __future__ import annotations

from typing import Any

EXPORT_FORMAT = "reverse-mentoring/program"
EXPORT_VERSION = 1

DIGITAL_FLUENCY_AGREEMENT = """\
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
"""

DIGITAL_FLUENCY: dict[str, Any] = {
    "format": EXPORT_FORMAT,
    "version": EXPORT_VERSION,
    "program": {
        "name": "Reverse mentoring — digital fluency",
        "description": (
            "Junior colleagues mentor senior leaders on the tools, platforms and habits of a "
            "digital workplace, and learn from their experience in return."
        ),
        "goals": (
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
    },
    "topics": [
        "Social media",
        "AI tools",
        "Collaboration tools",
        "Data literacy",
        "Generational perspectives",
        "Personal branding online",
        "Cybersecurity habits",
    ],
    "training_modules": [
        {
            "title": "What reverse mentoring is",
            "body": (
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
            "title": "Running a good session",
            "body": (
                "1. Start with what your mentee tried since last time.\n"
                "2. Show, then let them do it: hands on the keyboard.\n"
                "3. End with one small thing to try before the next session.\n\n"
                "Ask open questions and be candid: your mentee asked for an honest view."
            ),
            "required_for_juniors": True,
            "required_for_seniors": False,
        },
        {
            "title": "Confidentiality and the no-fault exit",
            "body": (
                "What is said in sessions stays in the pair. If something feels wrong, talk to "
                "your HR contact, or end the pairing from the app: no reason needed, no blame."
            ),
            "required_for_juniors": True,
            "required_for_seniors": True,
        },
    ],
}

TEMPLATES: dict[str, dict[str, Any]] = {"digital-fluency": DIGITAL_FLUENCY}
TEMPLATE_CHOICES = [(key, spec["program"]["name"]) for key, spec in TEMPLATES.items()]
