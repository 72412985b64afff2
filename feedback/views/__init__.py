"""Views of the feedback app, one module per noun: ``answers`` (answering a survey, and the
survey offered after a session log), ``templates``, ``cycles`` (scheduling, per program),
``results`` (a survey's results and their CSV) and ``concerns``."""
