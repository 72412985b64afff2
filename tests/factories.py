"""factory_boy factories.

Every tenant row takes its organisation from its parent (a participant's from its program, a
meeting's from its pair, a survey's version from its template), so a row can never belong to
another organisation than the rows it points at. Pass ``organization=`` only to the top of a
chain (a program, a topic, a survey template); without it a new organisation is made.

Creating rows needs no scope; reading them back (and a post-generation step such as
``offers``) does, as in the code under test. Participants and pairs are created as the services
create them, inside ``programs.tallies.tally_track``, so the dashboards' live totals count them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from feedback.models import FeedbackCycle, Question, SurveyTemplate, TemplateVersion
from mentorship.models import Membership, Organization, User
from mentorship.tenancy import across_all_organizations
from pairings.models import Meeting, Pairing, SessionLog
from programs.models import Participant, Program, Side, Topic
from programs.tallies import tally_track


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    mfa_required = False


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified_email(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)


# --- Programs ------------------------------------------------------------------------------------


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    """A program, a draft unless ``status`` says otherwise (as a program HR has just made)."""

    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    slug = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A person in a program: a junior unless ``side`` says otherwise. With ``membership`` the
    email is the member's. ``offers`` and ``wants`` take topics (set after saving)."""

    class Meta:
        model = Participant
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    membership = None
    email = factory.LazyAttributeSequence(
        lambda o, n: o.membership.user.email if o.membership else f"person{n}@example.com"
    )
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    side = Side.JUNIOR

    @classmethod
    def _create(
        cls, model_class: type[Participant], *args: object, **kwargs: object
    ) -> Participant:
        with across_all_organizations(), tally_track() as tally:
            participant = super()._create(model_class, *args, **kwargs)
            tally.created([participant.pk])
        return participant

    @factory.post_generation
    def offers(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            self.offers.set(extracted)

    @factory.post_generation
    def wants(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted:
            self.wants.set(extracted)


class PairingFactory(factory.django.DjangoModelFactory):
    """An active pair of a junior (``mentor``) and a senior (``mentee``) of one program."""

    class Meta:
        model = Pairing

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    mentor = factory.SubFactory(
        ParticipantFactory, program=factory.SelfAttribute("..program"), side=Side.JUNIOR
    )
    mentee = factory.SubFactory(
        ParticipantFactory, program=factory.SelfAttribute("..program"), side=Side.SENIOR
    )
    status = Pairing.Status.ACTIVE

    @classmethod
    def _create(cls, model_class: type[Pairing], *args: object, **kwargs: object) -> Pairing:
        people = [kwargs["mentor"].pk, kwargs["mentee"].pk]  # type: ignore[attr-defined]
        with across_all_organizations(), tally_track(people):
            return super()._create(model_class, *args, **kwargs)


class MeetingFactory(factory.django.DjangoModelFactory):
    """A meeting of a pair, in two days unless ``starts_at`` says otherwise."""

    class Meta:
        model = Meeting

    pairing = factory.SubFactory(PairingFactory)
    organization = factory.SelfAttribute("pairing.organization")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    uid = factory.LazyFunction(lambda: f"{uuid.uuid4()}@test")


class SessionLogFactory(factory.django.DjangoModelFactory):
    """A session log of a pair, written by its junior unless ``author`` says otherwise."""

    class Meta:
        model = SessionLog

    pairing = factory.SubFactory(PairingFactory)
    organization = factory.SelfAttribute("pairing.organization")
    author = factory.SelfAttribute("pairing.mentor")
    date = factory.LazyFunction(timezone.localdate)
    minutes = 45


# --- Surveys -------------------------------------------------------------------------------------


class SurveyTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyTemplate

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Survey {n}")


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemplateVersion

    template = factory.SubFactory(SurveyTemplateFactory)
    organization = factory.SelfAttribute("template.organization")
    number = 1


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question of a survey version: a 1-to-5 scale unless ``kind`` says otherwise."""

    class Meta:
        model = Question

    version = factory.SubFactory(TemplateVersionFactory)
    organization = factory.SelfAttribute("version.organization")
    position = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = Question.Kind.LIKERT


class FeedbackCycleFactory(factory.django.DjangoModelFactory):
    """A survey of a program, on a version of a template of the program's organisation."""

    class Meta:
        model = FeedbackCycle

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    version = factory.SubFactory(
        TemplateVersionFactory, template__organization=factory.SelfAttribute("...organization")
    )
    title = factory.Sequence(lambda n: f"Survey {n}")
    opens_at = factory.LazyFunction(timezone.now)
