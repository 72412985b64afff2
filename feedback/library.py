"""Built-in survey templates, as data."""

from __future__ import annotations

from typing import Any

YES_NO_UNSURE = ["Yes", "Not sure", "No"]

BUILTIN_TEMPLATES: dict[str, dict[str, Any]] = {
    "pairing-fit": {
        "name": "Pairing fit",
        "description": "After the first session: does the pair work? "
        "Attributed, so HR can re-pair.",
        "attributed": True,
        "questions": [
            ("How well does your pairing fit so far?", "likert", True, []),
            ("Would you like to continue with this partner?", "single", True, YES_NO_UNSURE),
            ("Anything HR should know?", "text", False, []),
        ],
    },
    "monthly-check-in": {
        "name": "Monthly check-in",
        "description": "A short, anonymous pulse of how the program is going.",
        "attributed": False,
        "questions": [
            ("How valuable were your sessions this month?", "likert", True, []),
            ("How safe did you feel to speak candidly?", "likert", True, []),
            ("How likely are you to recommend the program to a colleague?", "nps", True, []),
            (
                "How often did you meet this month?",
                "single",
                True,
                ["Not at all", "Once", "Twice or more"],
            ),
            ("What would make the program better?", "text", False, []),
        ],
    },
    "post-session": {
        "name": "Post-session quick check",
        "description": "Three short questions, offered right after a session is logged.",
        "attributed": False,
        "questions": [
            ("How useful was this session?", "likert", True, []),
            ("Did you both learn something?", "single", True, YES_NO_UNSURE),
            ("One thing you will try before the next session", "text", False, []),
        ],
    },
    "end-of-program": {
        "name": "End of program",
        "description": "The final look back, with a self-rating per objective topic for the "
        "pre/post skill change.",
        "attributed": False,
        "questions": [
            ("Overall, how valuable was the program for you?", "likert", True, []),
            ("How likely are you to recommend the program to a colleague?", "nps", True, []),
            (
                "Your final self-rating for each of your objective topics",
                "objective_ratings",
                True,
                [],
            ),
            ("What should the next cohort know?", "text", False, []),
        ],
    },
}
