"""Confidential concerns: participants raise them; HR admins alone read and resolve them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from feedback import services
from feedback.models import Concern
from mentorship.models import Role
from mentorship.tenancy import member_required, role_required
from mentorship.web import paginate, posted
from programs.models import Participant


class ConcernForm(forms.Form):
    participation = forms.ModelChoiceField(queryset=Participant.objects.none(), label="Program")
    kind = forms.ChoiceField(
        choices=Concern.Kind.choices, label="What is it about?", widget=forms.RadioSelect
    )
    text = forms.CharField(
        label="Tell HR more (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: object, membership: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participation"].queryset = Participant.objects.filter(
            membership=membership,
            status__in=(Participant.Status.APPROVED, Participant.Status.APPLIED),
        ).select_related("program")
        self.fields["participation"].label_from_instance = lambda p: p.program.name


@require_http_methods(["GET", "POST"])
@member_required
def concern_new(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ConcernForm(posted(request), membership=request.membership)
    if not form.fields["participation"].queryset.exists():
        raise Http404("Only participants raise concerns")
    if request.method == "POST" and form.is_valid():
        try:
            services.concern_raise(
                participant=form.cleaned_data["participation"],
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Your concern reached the HR admins, in confidence.")
            return redirect("org_home", org_slug=org_slug)
    return render(request, "feedback/concern_new.html", {"form": form})


@require_http_methods(["GET"])
@role_required(Role.HR_ADMIN)
def concerns(request: HttpRequest, org_slug: str) -> HttpResponse:
    page = paginate(
        request,
        Concern.objects.select_related("participant__program").order_by(
            "resolved_at", "-created_at"
        ),
    )
    return render(request, "feedback/concerns.html", {"page": page})


@require_POST
@role_required(Role.HR_ADMIN)
def concern_resolve(request: HttpRequest, org_slug: str, concern_id: int) -> HttpResponse:
    try:
        concern = Concern.objects.get(pk=concern_id)
    except Concern.DoesNotExist as exc:
        raise Http404("No such concern") from exc
    services.concern_resolve(concern=concern)
    messages.success(request, "Marked as resolved.")
    return redirect("concerns", org_slug=org_slug)
