"""Built-in survey templates, as data. Their texts are translated lazily: an organisation's copy
is written (``services.templates.templates_ensure_builtin``) in the language active then, the
language of the HR admin whose page first needs them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

YES_NO_UNSURE = [
    pgettext_lazy("survey answer", "Yes"),
    pgettext_lazy("survey answer", "Not sure"),
    pgettext_lazy("survey answer", "No"),
]

BUILTIN_TEMPLATES: dict[str, dict[str, Any]] = {
    "pairing-fit": {
        "name": _("Pairing fit"),
        "description": _(
            "After the first session: does the pair work? Attributed, so HR can re-pair."
        ),
        "attributed": True,
        "questions": [
            (_("How well does your pairing fit so far?"), "likert", True, []),
            (_("Would you like to continue with this partner?"), "single", True, YES_NO_UNSURE),
            (_("Anything HR should know?"), "text", False, []),
        ],
    },
    "monthly-check-in": {
        "name": _("Monthly check-in"),
        "description": _("A short, anonymous pulse of how the program is going."),
        "attributed": False,
        "questions": [
            (_("How valuable were your sessions this month?"), "likert", True, []),
            (_("How safe did you feel to speak candidly?"), "likert", True, []),
            (_("How likely are you to recommend the program to a colleague?"), "nps", True, []),
            (
                _("How often did you meet this month?"),
                "single",
                True,
                [_("Not at all"), _("Once"), _("Twice or more")],
            ),
            (_("What would make the program better?"), "text", False, []),
        ],
    },
    "post-session": {
        "name": _("Post-session quick check"),
        "description": _("Three short questions, offered right after a session is logged."),
        "attributed": False,
        "questions": [
            (_("How useful was this session?"), "likert", True, []),
            (_("Did you both learn something?"), "single", True, YES_NO_UNSURE),
            (_("One thing you will try before the next session"), "text", False, []),
        ],
    },
    "end-of-program": {
        "name": _("End of program"),
        "description": _(
            "The final look back, with a self-rating per objective topic for the pre/post skill "
            "change."
        ),
        "attributed": False,
        "questions": [
            (_("Overall, how valuable was the program for you?"), "likert", True, []),
            (_("How likely are you to recommend the program to a colleague?"), "nps", True, []),
            (
                _("Your final self-rating for each of your objective topics"),
                "objective_ratings",
                True,
                [],
            ),
            (_("What should the next cohort know?"), "text", False, []),
        ],
    },
}
