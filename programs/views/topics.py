"""The organisation's topic taxonomy: add, rename, merge."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mentorship.models import Role
from mentorship.tenancy import role_required
from mentorship.web import posted
from programs import selectors
from programs.forms import TopicForm, TopicMergeForm
from programs.services import topics as topic_services

hr_only = role_required(Role.HR_ADMIN)


@require_http_methods(["GET", "POST"])
@hr_only
def topics(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = TopicForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            topic = topic_services.topic_create(
                organization=request.organization, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Topic “%(topic)s” added.") % {"topic": topic.name})
            return redirect("topics", org_slug=org_slug)
    return render(
        request, "programs/topics.html", {"form": form, "topics": selectors.topics_with_usage()}
    )


@require_http_methods(["GET", "POST"])
@hr_only
def topic_edit(request: HttpRequest, org_slug: str, topic_id: int) -> HttpResponse:
    topic = selectors.topic_get(topic_id=topic_id)
    form = TopicForm(posted(request), initial={"name": topic.name})
    if request.method == "POST" and form.is_valid():
        try:
            topic_services.topic_rename(topic=topic, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Topic renamed everywhere it is used."))
            return redirect("topics", org_slug=org_slug)
    return render(request, "programs/topic_edit.html", {"form": form, "topic": topic})


@require_http_methods(["GET", "POST"])
@hr_only
def topic_merge(request: HttpRequest, org_slug: str, topic_id: int) -> HttpResponse:
    source = selectors.topic_get(topic_id=topic_id)
    form = TopicMergeForm(posted(request), source=source)
    if request.method == "POST" and form.is_valid():
        try:
            target = topic_services.topic_merge(
                source=source, target=form.cleaned_data["target"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error("target", exc)
        else:
            messages.success(
                request,
                _("“%(source)s” was merged into “%(target)s”.")
                % {"source": source.name, "target": target.name},
            )
            return redirect("topics", org_slug=org_slug)
    return render(request, "programs/topic_merge.html", {"form": form, "topic": source})
