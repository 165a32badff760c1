"""Seed-funding pages: the public accountability page of a city's funded projects ("you said, we did") and the
selection results; the youth teams' pages (open calls, submit and edit a proposal, attachments, the youth vote);
and the staff pages under /staff/<city>/funding/ (calls, proposals, eligibility and review, vote results,
selection and overrides, projects, tranches and ledger).

Every write calls proposals.services and every aggregate read proposals.selectors; access goes through the
helpers of proposals.permissions (an object the user may not see answers 404). Public pages carry team names
only.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cities.errors import DomainError
from cities.models import City
from proposals import selectors, services
from proposals.errors import FundingError
from proposals.models import (
    CallPhase,
    FundingCall,
    LedgerKind,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectProposal,
    Review,
    Tranche,
    VoteMethod,
)
from proposals.permissions import (
    attachment_for_team_or_staff,
    call_for_staff,
    call_proposal,
    can_manage_funding,
    can_report_progress,
    can_review,
    city_for_funding_staff,
    project_for_staff,
    project_for_team_lead,
    project_milestone,
    project_tranche,
    proposal_for_staff,
    proposal_for_team_lead,
)

from ..errors import error_message, error_text, form_error

MEMBER_ROWS = 8


# --- forms --------------------------------------------------------------------------------------------------


class CallForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    budget = forms.DecimalField(
        label=gettext_lazy("Total budget"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    cap_per_project = forms.DecimalField(
        label=gettext_lazy("Maximum per project"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    submission_deadline = forms.DateTimeField(
        label=gettext_lazy("Submission deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    min_age = forms.IntegerField(label=gettext_lazy("Minimum age"), initial=15, min_value=10, max_value=99)
    max_age = forms.IntegerField(label=gettext_lazy("Maximum age"), initial=35, min_value=10, max_value=99)
    min_team_size = forms.IntegerField(label=gettext_lazy("Minimum team size"), initial=2, min_value=1)
    max_team_size = forms.IntegerField(label=gettext_lazy("Maximum team size"), initial=8, min_value=1)
    vote_method = forms.ChoiceField(label=gettext_lazy("Youth vote method"), choices=VoteMethod.choices)


class ProposalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Project title"), max_length=200)
    summary = forms.CharField(
        label=gettext_lazy("What will you do, for whom, and how?"), widget=forms.Textarea(attrs={"rows": 6})
    )
    team_name = forms.CharField(
        label=gettext_lazy("Team name"),
        max_length=120,
        help_text=gettext_lazy("Shown on public pages instead of your names."),
    )
    requested_amount = forms.DecimalField(label=gettext_lazy("Amount requested"), max_digits=14, decimal_places=2)
    beneficiaries_expected = forms.IntegerField(
        label=gettext_lazy("How many people will benefit?"), min_value=0, initial=0
    )


def _members_from_post(post) -> list[dict]:
    members = []
    for i in range(1, MEMBER_ROWS + 1):
        name, age = post.get(f"member_name_{i}", "").strip(), post.get(f"member_age_{i}", "").strip()
        if name or age:
            members.append({"name": name, "age": age})
    return members


def _member_rows(members: list[dict]) -> list[dict]:
    rows = list(members) + [{"name": "", "age": ""}] * (MEMBER_ROWS - len(members))
    return [{"index": i, **row} for i, row in enumerate(rows[:MEMBER_ROWS], start=1)]


# --- public -------------------------------------------------------------------------------------------------


def city_projects(request, city_slug):
    """The public accountability page: a city's funded projects with their progress, each linked to the proposal,
    the challenges and the session it came from. Team names only."""
    city = get_object_or_404(City, slug=city_slug)
    projects = selectors.public_projects_for_city(city)
    calls = FundingCall.objects.filter(city=city, selected_at__isnull=False).order_by("-selected_at")
    return render(
        request,
        "frontend/projects/city_projects.html",
        {"city": city, "projects": [(p, selectors.project_progress(p)) for p in projects], "calls": calls},
    )


def selection_results(request, city_slug, call_id):
    """Why each proposal was or was not funded (public once the selection has run)."""
    city = get_object_or_404(City, slug=city_slug)
    call = get_object_or_404(FundingCall, city=city, pk=call_id, selected_at__isnull=False)
    return render(
        request,
        "frontend/projects/selection_results.html",
        {"city": city, "call": call, "decisions": selectors.selection_results(call)},
    )


# --- youth teams --------------------------------------------------------------------------------------------


@login_required
def team_calls(request):
    """Open calls (any city) and the signed-in person's own proposals."""
    open_calls = selectors.calls_open_for_submission()
    voting = selectors.calls_open_for_votes()
    mine = (
        ProjectProposal.objects.filter(lead=request.user)
        .select_related("call__city", "project")
        .order_by("-submitted_at")
    )
    return render(
        request, "frontend/projects/team_calls.html", {"open_calls": open_calls, "voting": voting, "mine": mine}
    )


@login_required
def team_submit(request, call_id):
    call = get_object_or_404(FundingCall.objects.select_related("city"), pk=call_id)
    form = ProposalForm(request.POST or None)
    members = _members_from_post(request.POST) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_submit(call=call, lead=request.user, members=members, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your proposal was submitted. You may edit it until the deadline."))
            return redirect("frontend:team_proposal_edit", proposal_id=proposal.pk)
    return render(
        request,
        "frontend/projects/team_proposal_form.html",
        {"call": call, "form": form, "member_rows": _member_rows(members), "proposal": None},
    )


@login_required
def team_proposal_edit(request, proposal_id):
    proposal = proposal_for_team_lead(request.user, proposal_id)
    call = proposal.call
    initial = {f: getattr(proposal, f) for f in ProposalForm.base_fields}
    form = ProposalForm(request.POST or None, initial=initial)
    members = (
        _members_from_post(request.POST)
        if request.method == "POST"
        else [{"name": m.name, "age": m.age} for m in proposal.members.all()]
    )
    if request.method == "POST" and "upload" in request.POST:
        upload = request.FILES.get("file")
        with error_message(request):
            if upload is None:
                raise FundingError(_("Choose a file to attach."))
            services.attachment_add(proposal=proposal, user=request.user, upload=upload)
            messages.success(request, _("The file was attached."))
        return redirect("frontend:team_proposal_edit", proposal_id=proposal.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_update(proposal=proposal, user=request.user, members=members, **form.cleaned_data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("frontend:team_proposal_edit", proposal_id=proposal.pk)
    return render(
        request,
        "frontend/projects/team_proposal_form.html",
        {
            "call": call,
            "form": form,
            "member_rows": _member_rows(members),
            "proposal": proposal,
            "editable": call.accepts_submissions,
            "attachments": proposal.attachments.all(),
        },
    )


def attachment_download(request, attachment_id):
    """An attachment, for the proposal's team lead and the city's staff only."""
    attachment = attachment_for_team_or_staff(request.user, attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


def team_vote(request, call_id):
    """The youth vote: a signed-in account, or anyone with a single-use code handed out at an event."""
    call = get_object_or_404(FundingCall.objects.select_related("city"), pk=call_id)
    proposals = selectors.ballot_proposals(call)
    errors = []
    if request.method == "POST":
        if call.vote_method == VoteMethod.APPROVAL:
            choices = dict.fromkeys(request.POST.getlist("approve"), 1)
        else:
            choices = {}
            for key, value in request.POST.items():
                if key.startswith("amount_") and value.strip() and value.strip() not in ("0", "0.00"):
                    choices[key.removeprefix("amount_")] = value.strip()
        try:
            services.vote_cast(call=call, choices=choices, user=request.user, code=request.POST.get("code", ""))
        except DomainError as exc:
            errors.append(error_text(exc))
        else:
            messages.success(request, _("Thank you: your vote was counted."))
            return redirect("frontend:team_vote", call_id=call.pk)
    return render(
        request,
        "frontend/projects/team_vote.html",
        {"call": call, "proposals": proposals, "errors": errors},
    )


# --- staff --------------------------------------------------------------------------------------------------


def _act(request, action, success: str, redirect_to: str):
    """Run a service call from a staff form: a message either way, then back to the page (POST/redirect/GET)."""
    with error_message(request):
        action()
        messages.success(request, success)
    return redirect(redirect_to)


@login_required
def funding_call_list(request, city_slug):
    city = city_for_funding_staff(request.user, city_slug)
    may_manage = can_manage_funding(request.user, city)
    form = CallForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise Http404
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                call = services.call_create(city=city, actor=request.user, **data)
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, _("The funding call was created."))
                return redirect("frontend:funding_call_detail", city_slug=city.slug, call_id=call.pk)
    projects = selectors.projects_with_progress(Project.objects.filter(city=city)).order_by("-call_id", "id")
    return render(
        request,
        "frontend/projects/staff_calls.html",
        {
            "city": city,
            "calls": selectors.call_overview(city),
            "projects": [(p, selectors.project_progress(p)) for p in projects],
            "form": form,
            "may_manage": may_manage,
        },
    )


@login_required
def funding_call_detail(request, city_slug, call_id):
    call = call_for_staff(request.user, call_id, city_slug=city_slug)
    city = call.city
    support = selectors.youth_support(call)
    scores = selectors.jury_scores(call)
    proposals = [
        (p, support.get(p.pk), scores.get(p.pk))
        for p in call.proposals.select_related("source_item")
        .annotate(review_count=Count("reviews"))
        .order_by("submitted_at", "id")
    ]
    next_phase = call.next_phase
    return render(
        request,
        "frontend/projects/staff_call.html",
        {
            "city": city,
            "call": call,
            "proposals": proposals,
            "ranking": selectors.selection_ranking(call) if call.selected_at is None else [],
            "decisions": selectors.selection_results(call),
            "voters": selectors.voter_count(call),
            "next_phase": (next_phase, CallPhase(next_phase).label) if next_phase else None,
            "selection_refusal": selectors.selection_refusal(call),
            "may_manage": can_manage_funding(request.user, city),
            "new_codes": request.session.pop(f"voter-codes-{call.pk}", None),
        },
    )


@login_required
def funding_call_action(request, city_slug, call_id):
    """One POST endpoint for the call page's staff buttons: phase, selection, voter codes, override."""
    if request.method != "POST":
        raise Http404
    call = call_for_staff(request.user, call_id, manage=True, city_slug=city_slug)
    city = call.city
    back = reverse("frontend:funding_call_detail", args=[city.slug, call.pk])
    action = request.POST.get("action")
    user = request.user
    if action == "phase":
        return _act(
            request,
            lambda: services.call_set_phase(call=call, phase=request.POST.get("phase", ""), actor=user),
            _("The phase was changed."),
            back,
        )
    if action == "select":
        return _act(
            request, lambda: services.call_select_projects(call=call, actor=user), _("The selection has run."), back
        )
    if action == "codes":

        def issue():
            count = _int(request.POST.get("count"))
            request.session[f"voter-codes-{call.pk}"] = services.voter_codes_issue(call=call, count=count, actor=user)

        return _act(request, issue, _("Voting codes were issued: print them now, they are shown once."), back)
    if action == "override":
        proposal = call_proposal(call, request.POST.get("proposal"))
        grant = request.POST.get("grant", "").strip() or None
        return _act(
            request,
            lambda: services.selection_override(
                proposal=proposal,
                actor=user,
                fund=request.POST.get("fund") == "1",
                reason=request.POST.get("reason", ""),
                grant=grant,
            ),
            _("The decision was recorded with its reason."),
            back,
        )
    raise Http404


@login_required
def funding_proposal(request, city_slug, proposal_id):
    proposal = proposal_for_staff(request.user, proposal_id, city_slug=city_slug)
    call = proposal.call
    city = call.city
    back = reverse("frontend:funding_proposal", args=[city.slug, proposal.pk])
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "eligibility":
            if not can_manage_funding(request.user, city):
                raise Http404
            return _act(
                request,
                lambda: services.proposal_set_eligibility(
                    proposal=proposal,
                    actor=request.user,
                    eligible=request.POST.get("eligible") == "1",
                    note=request.POST.get("note", ""),
                ),
                _("The eligibility check was recorded."),
                back,
            )
        if action == "review":
            scores = {c.pk: request.POST.get(f"score_{c.pk}") for c in call.criteria.all()}
            scores = {k: int(v) for k, v in scores.items() if v not in (None, "")}
            return _act(
                request,
                lambda: services.review_submit(
                    proposal=proposal,
                    reviewer=request.user,
                    scores=scores,
                    comment=request.POST.get("comment", ""),
                    conflict_of_interest=request.POST.get("conflict") == "1",
                ),
                _("Your review was saved."),
                back,
            )
        raise Http404
    my_review = Review.objects.filter(proposal=proposal, reviewer=request.user).prefetch_related("scores").first()
    my_scores = {s.criterion_id: s.value for s in my_review.scores.all()} if my_review else {}
    criteria = [(c, my_scores.get(c.pk), list(range(c.max_score + 1))) for c in call.criteria.all()]
    return render(
        request,
        "frontend/projects/staff_proposal.html",
        {
            "city": city,
            "call": call,
            "proposal": proposal,
            "problems": services.eligibility_problems(proposal),
            "reviews": Review.objects.filter(proposal=proposal)
            .select_related("reviewer")
            .prefetch_related("scores__criterion"),
            "jury_score": selectors.jury_scores(call).get(proposal.pk),
            "criteria": criteria,
            "my_review": my_review,
            "may_manage": can_manage_funding(request.user, city),
            "may_review": can_review(request.user, call),
        },
    )


def _project_queryset():
    return selectors.projects_with_progress().prefetch_related(
        Prefetch("tranches", queryset=Tranche.objects.order_by("number")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "id")),
        "reports__photos",
    )


@login_required
def funding_project(request, city_slug, project_id):
    project = project_for_staff(request.user, project_id, city_slug=city_slug, queryset=_project_queryset())
    city = project.city
    back = reverse("frontend:funding_project", args=[city.slug, project.pk])
    return _project_page(request, project, back=back, staff=True)


@login_required
def team_project(request, project_id):
    """The team lead's page of a funded project: milestones, spending and progress reports."""
    project = project_for_team_lead(request.user, project_id, queryset=_project_queryset())
    return _project_page(request, project, back=reverse("frontend:team_project", args=[project.pk]), staff=False)


def _project_page(request, project, *, back: str, staff: bool):
    city = project.city
    if request.method == "POST":
        if not can_report_progress(request.user, project):
            raise Http404
        action, post, user = request.POST.get("action"), request.POST, request.user
        actions = {
            "tranche_plan": (
                lambda: services.tranche_plan(
                    project=project, amount=post.get("amount"), planned_on=_date(post.get("planned_on")), actor=user
                ),
                _("The tranche was planned."),
            ),
            "tranche_pay": (
                lambda: services.tranche_pay(
                    tranche=project_tranche(project, post.get("tranche")),
                    actor=user,
                    paid_on=_date(post.get("paid_on"), required=False),
                ),
                _("The tranche was paid and entered in the ledger."),
            ),
            "ledger": (
                lambda: services.ledger_record(
                    project=project,
                    kind=post.get("kind", ""),
                    amount=post.get("amount"),
                    description=post.get("description", ""),
                    actor=user,
                ),
                _("The ledger entry was recorded."),
            ),
            "milestone_add": (
                lambda: services.milestone_add(
                    project=project, title=post.get("title", ""), due_on=_date(post.get("due_on")), actor=user
                ),
                _("The milestone was added."),
            ),
            "milestone_update": (
                lambda: services.milestone_update(
                    milestone=project_milestone(project, post.get("milestone")),
                    status=post.get("status", ""),
                    progress=_int(post.get("progress")),
                    actor=user,
                ),
                _("The milestone was updated."),
            ),
            "report": (
                lambda: services.report_submit(
                    project=project,
                    author=user,
                    text=post.get("text", ""),
                    beneficiaries_reached=_int(post.get("beneficiaries_reached")),
                    photos=request.FILES.getlist("photos"),
                ),
                _("The progress report was saved."),
            ),
        }
        if action not in actions:
            raise Http404
        call, success = actions[action]
        return _act(request, call, success, back)
    return render(
        request,
        "frontend/projects/staff_project.html",
        {
            "city": city,
            "project": project,
            "progress": selectors.project_progress(project),
            "ledger": project.ledger.select_related("recorded_by").order_by("id"),
            "may_manage": can_manage_funding(request.user, city),
            "staff": staff,
            "milestone_statuses": MilestoneStatus.choices,
            "ledger_kinds": [(k, label) for k, label in LedgerKind.choices if k != LedgerKind.DISBURSEMENT],
        },
    )


def _date(value: str | None, *, required: bool = True):
    """A date typed in a plain form (YYYY-MM-DD); a form error when it is missing (and required) or malformed."""
    if not (value or "").strip():
        if required:
            raise FundingError(_("Enter a date."))
        return None
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise FundingError(_("Enter a date such as 2026-12-31."))
    return parsed


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise FundingError(_("Enter a whole number.")) from None
