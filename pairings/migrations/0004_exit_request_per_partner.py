"""One exit request per partner instead of one per pair: a second partner's request was refused
(and told them the first one existed). Existing requests move to the side of who asked."""

from django.db import migrations, models


def _side_of_requester(pairing, actor_id) -> str:
    """ "mentor", "mentee" or "" for the partner who asked. The requester's account may be gone
    or unlinked from the pair (the foreign key set to null, a participant's data erased): then
    the one side whose participant has no account asked."""
    sides = {"mentor": pairing.mentor, "mentee": pairing.mentee}
    for side, participant in sides.items():
        if participant.membership is not None and participant.membership.user_id == actor_id:
            return side
    orphans = [side for side, participant in sides.items() if participant.membership is None]
    return orphans[0] if len(orphans) == 1 else ""


def split(apps, schema_editor) -> None:
    Pairing = apps.get_model("pairings", "Pairing")
    PairingEvent = apps.get_model("pairings", "PairingEvent")
    pairings = Pairing.objects.filter(exit_requested_at__isnull=False).select_related(
        "mentor__membership", "mentee__membership"
    )
    for pairing in pairings:
        actor_id = pairing.exit_requested_by_id
        if actor_id is None:
            # The confidential event of the request may still name who asked.
            actor_id = (
                PairingEvent.objects.filter(pairing=pairing, confidential=True)
                .exclude(actor=None)
                .values_list("actor_id", flat=True)
                .first()
            )
        side = _side_of_requester(pairing, actor_id)
        if side:
            setattr(pairing, f"{side}_exit_requested_at", pairing.exit_requested_at)
            pairing.save(update_fields=[f"{side}_exit_requested_at"])
        # Otherwise nobody can tell who asked: neither partner is shown a request they may not
        # have made; HR admins still find it in the pair's confidential history.


def merge(apps, schema_editor) -> None:
    """Back to one request per pair: the earlier one, by the partner who made it."""
    Pairing = apps.get_model("pairings", "Pairing")
    pairings = Pairing.objects.filter(
        models.Q(mentor_exit_requested_at__isnull=False)
        | models.Q(mentee_exit_requested_at__isnull=False)
    ).select_related("mentor__membership", "mentee__membership")
    for pairing in pairings:
        asked = [
            (at, participant)
            for at, participant in (
                (pairing.mentor_exit_requested_at, pairing.mentor),
                (pairing.mentee_exit_requested_at, pairing.mentee),
            )
            if at is not None
        ]
        at, participant = min(asked, key=lambda row: row[0])
        pairing.exit_requested_at = at
        pairing.exit_requested_by_id = participant.membership and participant.membership.user_id
        pairing.save(update_fields=["exit_requested_at", "exit_requested_by"])


class Migration(migrations.Migration):
    dependencies = [
        ("pairings", "0003_activity_weeks"),
    ]

    operations = [
        migrations.AddField(
            model_name="pairing",
            name="mentor_exit_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="pairing",
            name="mentee_exit_requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(split, merge),
        migrations.RemoveField(
            model_name="pairing",
            name="exit_requested_at",
        ),
        migrations.RemoveField(
            model_name="pairing",
            name="exit_requested_by",
        ),
    ]
