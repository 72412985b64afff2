"""A large, deterministic organisation for benchmarks, and many small ones beside it: what
``manage.py seed_scale`` builds.

It builds "Bench Corp" (``/o/bench/``, no MFA required): ``admin@bench.example`` (HR admin),
``sponsor@bench.example`` (sponsor of all 10 programs) and ``participant@bench.example`` (a junior
of the first program with a live pair, meetings ahead and the open check-in to answer), all with
the password ``bench-password`` unless ``--password`` says otherwise.

What it holds, for N participants (everything grows with N):

- 10 programs (8 active, started 28 to 52 weeks ago; one matching; one closed 8 weeks ago), N/10
  people each, half juniors, half seniors; one in 50 applied, one in 50 withdrew, the rest are
  approved, with 1 to 3 objectives each, training done and offered/wanted topics. 12
  departments of uneven sizes, two of them (Legal, Internal Audit) below the anonymity threshold.
- Accounts: every participant has one (a verified email address and a membership), except one in
  three approved in the program still matching, who are invited and have not joined yet. With
  COPY, 20,000 accounts take a second, and they make every survey answer, meeting and
  cancellation one a signed-in person could have made.
- About N/2 pairs: mostly active, 5 % dissolved, 5 % at risk (no meeting for longer than
  ``PAIR_INACTIVITY_DAYS``), a few proposed; proposals and confirmations in the matching program.
- 10 × N meetings over the last 52 weeks and the next 4, in proportion to how long each pair has
  been meeting; one in 20 cancelled by one of the pair. 10 × N session logs: one for every past
  meeting that went ahead, by each side in turn, and the rest for sessions held without a booked
  meeting; ``last_met_at`` is the day of a pair's latest log, as ``session_log_create`` sets it.
- About 45 × N answers: monthly check-ins in every program that ran (70 % answered; the latest
  round open, its answers pending as ``response_submit`` keeps them), the post-session and
  pairing-fit checks offered after session logs (a round a week, as
  ``after_session_invitation`` makes them), the closed program's end-of-program survey with its
  topic ratings, and a few concerns. Closed surveys are as closing leaves them: they hold how
  many were invited and answered, their anonymous invitations no longer say who answered, and
  ``summarize_cycles`` summarises them.

Small organisations (``--orgs N --org-size M``, shape ``shapes.SMALL``): ``<org>-small-001`` and
on, each with its own HR admin, sponsor and benchmark participant as above, and M people in three
programs (one four months in, one two months in, one still matching), pairs active and
confirmed, 2 × M meetings and logs, monthly check-ins (closed, open, and one scheduled in the
matching program), the surveys offered after logs, a concern; and, from the minute of the run,
one live pair in four with a meeting whose 24-hour reminder falls due within the hour. So every
dispatcher finds work spread over many organisations. Each is built in its own tenant scope with
its own random generator (from the seed and its number): the same seed gives each the same rows.

Determinism: the same ``--seed`` and N give the same rows with the same values. Dates are whole
days from the midnight (UTC) that starts the day of the run, so dashboards look live whenever it
runs and nothing depends on the hour; only random ids (responses, answers, meeting UIDs,
invitation tokens) differ between runs. One random generator serves every module, drawn from in
the order ``seeder`` calls them: reordering the calls changes the data.

Speed: the big tables are written with COPY on PostgreSQL (``bulk_create`` elsewhere, enough for
test sizes), primary keys drawn from the tables' sequences beforehand so no row is read back; the
small organisations share one writer, so their rows go out in large batches. The whole build is
one transaction; as a superuser, its foreign keys are checked once per key before the commit
rather than row by row at it (``integrity``). The package sits above every app (it writes all
their tables), like the rest of the frame; nothing imports it but the command.

Modules, by noun: ``seeder`` (the order of the build and its timed stages), ``context`` (what
every part shares: parameters, random generator, row writer, calendar), ``shapes`` (the large
and the small organisation: programs and amounts), ``rows`` (writing many rows: COPY or
``bulk_create``), ``integrity`` (foreign keys checked by table), ``organizations`` (staff
accounts; deleting organisations and counting their rows), ``programs`` (the topics, the
programs made), ``people`` (participants, accounts and invitations, objectives, training),
``pairs`` (pairs and their history), ``sessions`` (meetings and session logs), ``surveys``
(surveys, invitations, answers, topic ratings, concerns).
"""
