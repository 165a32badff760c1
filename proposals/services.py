"""Every write of funding calls, proposals and projects. Views, the API, the admin and demo data call these only.

Money rules: a call's `allocated` changes only here, under a row lock on the call (select_for_update), and the
database refuses allocated > budget; a project's ledger is append-only and its `balance` changes only here,
under a row lock on the project, together with a new ledger entry.
"""

import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.models import City, User
from cities.services import audit_record
from consultations.models import Item, ItemKind, ItemStatus

from . import selectors
from .errors import (
    CALL_WRONG_PHASE,
    AlreadyVoted,
    BadAttachment,
    BudgetExceeded,
    DeadlinePassed,
    InsufficientBalance,
    InvalidInput,
    NotAllowed,
    WrongPhase,
)
from .models import (
    MAX_ATTACHMENT_BYTES,
    PHASE_ORDER,
    ZERO,
    Attachment,
    AttachmentKind,
    CallPhase,
    Criterion,
    FundingCall,
    LedgerEntry,
    LedgerKind,
    Milestone,
    MilestoneStatus,
    Outcome,
    ProgressReport,
    Project,
    ProjectProposal,
    ProjectStatus,
    ProposalStatus,
    ReportPhoto,
    Review,
    Score,
    SelectionDecision,
    Tranche,
    TrancheStatus,
    VoteMethod,
    VoterCode,
    YouthVote,
)
from .permissions import can_manage_funding, can_report_progress, can_review, is_team_lead

CENT = Decimal("0.01")
VOTER_CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"  # no look-alikes (0/O, 1/I/L, 5/S, 8/B)


# An amount as a form, the API or the demo gives it; _money checks it and makes it a Decimal.
Amount = Decimal | int | str


def _money(value: Amount, *, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(_("Enter an amount such as 1500.00.")) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise InvalidInput(_("Enter a positive amount with at most two decimals."))
    return amount


def _require_manager(actor: User, city: City) -> None:
    if not can_manage_funding(actor, city):
        raise NotAllowed()


def _locked_call(call: FundingCall) -> FundingCall:
    return FundingCall.objects.select_for_update().get(pk=call.pk)


def _locked_project(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


# --- calls --------------------------------------------------------------------------------------------------


@transaction.atomic
def call_create(
    *,
    city: City,
    actor: User,
    title: str,
    budget: Amount,
    cap_per_project: Amount,
    submission_deadline: datetime,
    currency: str | None = None,
    description: str = "",
    min_age: int = 15,
    max_age: int = 35,
    min_team_size: int = 2,
    max_team_size: int = 8,
    vote_method: str = VoteMethod.APPROVAL,
    criteria: Iterable[tuple[str, int]] = (),
    **dates: datetime,
) -> FundingCall:
    """Open a funding call in its submission phase. The currency defaults to the city's. Raises NotAllowed,
    InvalidInput (amounts, cap above budget, empty ranges)."""
    _require_manager(actor, city)
    budget = _money(budget)
    cap = _money(cap_per_project)
    if cap > budget:
        raise InvalidInput(_("The maximum per project cannot exceed the budget."))
    if min_age > max_age or min_team_size < 1 or min_team_size > max_team_size:
        raise InvalidInput(_("The age range or the team size range is empty."))
    if not title.strip():
        raise InvalidInput(_("A title is required."))
    call = FundingCall.objects.create(
        city=city,
        title=title.strip(),
        description=description,
        budget=budget,
        currency=currency or city.currency,
        cap_per_project=cap,
        submission_deadline=submission_deadline,
        min_age=min_age,
        max_age=max_age,
        min_team_size=min_team_size,
        max_team_size=max_team_size,
        vote_method=vote_method,
        created_by=actor,
        **dates,
    )
    for name, weight in criteria:
        Criterion.objects.create(call=call, name=name, weight=weight)
    audit_record(actor=actor, action="funding_call.create", target=call, city=city, data={"budget": str(budget)})
    return call


@transaction.atomic
def call_set_phase(*, call: FundingCall, phase: str, actor: User) -> FundingCall:
    """Move the call forward to phase (never back). Selection must have run before implementation.
    Raises NotAllowed, WrongPhase."""
    _require_manager(actor, call.city)
    call = _locked_call(call)
    if phase not in PHASE_ORDER or PHASE_ORDER.index(phase) <= PHASE_ORDER.index(call.phase):
        raise WrongPhase(_("A funding call only moves forward through its phases."))
    if PHASE_ORDER.index(phase) >= PHASE_ORDER.index(CallPhase.IMPLEMENTATION) and call.selected_at is None:
        raise WrongPhase(_("Run the selection before starting the implementation."))
    previous = call.phase
    call.phase = phase
    call.save(update_fields=["phase"])
    audit_record(
        actor=actor, action="funding_call.phase", target=call, city=call.city, data={"from": previous, "to": phase}
    )
    return call


# --- proposals ----------------------------------------------------------------------------------------------


def eligibility_problems(proposal: ProjectProposal) -> list[str]:
    """The automatic checks against the call's rules; an empty list when none fails. Team rules apply to proposals
    submitted online (a promoted live-session proposal has no roster until staff add one)."""
    call = proposal.call
    problems = []
    if proposal.requested_amount > call.cap_per_project:
        problems.append(str(_("The amount requested is above the maximum per project.")))
    if proposal.source_item_id is None or proposal.members.exists():
        members = list(proposal.members.all())
        if not call.min_team_size <= len(members) <= call.max_team_size:
            problems.append(
                str(_("The team has %(n)s members; the call asks for %(min)s to %(max)s."))
                % {"n": len(members), "min": call.min_team_size, "max": call.max_team_size}
            )
        if any(not call.min_age <= m.age <= call.max_age for m in members):
            problems.append(
                str(_("Every member must be %(min)s to %(max)s years old."))
                % {"min": call.min_age, "max": call.max_age}
            )
    return problems


def _clean_members(members: Iterable[dict]) -> list[dict]:
    cleaned = []
    for member in members:
        name = str(member.get("name", "")).strip()
        try:
            age = int(member.get("age", ""))  # no age: ValueError, refused below
        except (TypeError, ValueError):
            raise InvalidInput(_("Give each team member's name and age.")) from None
        if not name or not 10 <= age <= 99:
            raise InvalidInput(_("Give each team member's name and age."))
        cleaned.append({"name": name[:150], "age": age})
    return cleaned


def _check_proposal_fields(call: FundingCall, title: str, summary: str, team_name: str, amount: Decimal) -> None:
    if not title.strip() or not summary.strip() or not team_name.strip():
        raise InvalidInput(_("A title, a summary and a team name are required."))
    if amount > call.cap_per_project:
        raise InvalidInput(
            _("The amount requested is above the maximum of %(cap)s %(currency)s per project.")
            % {"cap": call.cap_per_project, "currency": call.currency}
        )


@transaction.atomic
def proposal_submit(
    *,
    call: FundingCall,
    lead: User,
    title: str,
    summary: str,
    team_name: str,
    requested_amount: Amount,
    members: Iterable[dict],
    beneficiaries_expected: int = 0,
) -> ProjectProposal:
    """A signed-in team lead submits a proposal; the first member listed is the lead. Raises WrongPhase,
    DeadlinePassed, InvalidInput (missing fields, amount above the cap, team size or age outside the call's range)."""
    if not getattr(lead, "is_authenticated", False):
        raise NotAllowed()
    if call.phase != CallPhase.SUBMISSION:
        raise WrongPhase(CALL_WRONG_PHASE)
    if timezone.now() > call.submission_deadline:
        raise DeadlinePassed()
    amount = _money(requested_amount)
    _check_proposal_fields(call, title, summary, team_name, amount)
    members = _clean_members(members)
    proposal = ProjectProposal.objects.create(
        call=call,
        lead=lead,
        title=title.strip(),
        summary=summary.strip(),
        team_name=team_name.strip(),
        requested_amount=amount,
        beneficiaries_expected=max(0, int(beneficiaries_expected or 0)),
    )
    _replace_members(proposal, members)
    problems = eligibility_problems(proposal)
    if problems:
        raise InvalidInput(problems[0])
    return proposal


def _replace_members(proposal: ProjectProposal, members: list[dict]) -> None:
    proposal.members.all().delete()
    for index, member in enumerate(members):
        proposal.members.create(name=member["name"], age=member["age"], is_lead=index == 0)


@transaction.atomic
def proposal_update(
    *, proposal: ProjectProposal, user: User, members: Iterable[dict] | None = None, **fields: Any
) -> ProjectProposal:
    """The team lead edits the proposal until the submission deadline. fields: title, summary, team_name,
    requested_amount, beneficiaries_expected. Raises NotAllowed, DeadlinePassed, InvalidInput."""
    proposal = ProjectProposal.objects.select_for_update().select_related("call").get(pk=proposal.pk)
    if not is_team_lead(user, proposal):
        raise NotAllowed()
    call = proposal.call
    if call.phase != CallPhase.SUBMISSION or timezone.now() > call.submission_deadline:
        raise DeadlinePassed()
    allowed = {"title", "summary", "team_name", "requested_amount", "beneficiaries_expected"}
    for name, value in fields.items():
        if name not in allowed:
            raise InvalidInput(_("This field cannot be changed."))
        setattr(proposal, name, _money(value) if name == "requested_amount" else value)
    _check_proposal_fields(call, proposal.title, proposal.summary, proposal.team_name, proposal.requested_amount)
    proposal.save()
    if members is not None:
        _replace_members(proposal, _clean_members(members))
    problems = eligibility_problems(proposal)
    if problems:
        raise InvalidInput(problems[0])
    return proposal


MAGIC = {
    AttachmentKind.PDF: (b"%PDF-",),
    AttachmentKind.JPG: (b"\xff\xd8\xff",),
    AttachmentKind.PNG: (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {
    "pdf": AttachmentKind.PDF,
    "jpg": AttachmentKind.JPG,
    "jpeg": AttachmentKind.JPG,
    "png": AttachmentKind.PNG,
}


def sniff_upload(upload: UploadedFile) -> str:
    """The attachment kind of an uploaded file, from its extension AND its first bytes; BadAttachment otherwise."""
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES or upload.size == 0:
        raise BadAttachment()
    extension = (upload.name or "").rsplit(".", 1)[-1].lower()
    kind = EXTENSIONS.get(extension)
    if kind is None:
        raise BadAttachment()
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in MAGIC[kind]):
        raise BadAttachment()
    return kind


@transaction.atomic
def attachment_add(*, proposal: ProjectProposal, user: User, upload: UploadedFile) -> Attachment:
    """Attach a file (PDF, JPG or PNG, at most 5 MB) until the deadline. Raises NotAllowed, DeadlinePassed,
    BadAttachment."""
    if not is_team_lead(user, proposal):
        raise NotAllowed()
    if not proposal.call.accepts_submissions:
        raise DeadlinePassed()
    kind = sniff_upload(upload)
    assert upload.size is not None  # sniff_upload refuses a file of unknown size
    name = (upload.name or "file").rsplit("/", 1)[-1][:200]
    return Attachment.objects.create(proposal=proposal, file=upload, kind=kind, size=upload.size, original_name=name)


@transaction.atomic
def proposal_promote(
    *, call: FundingCall, item: Item, actor: User, team_name: str, requested_amount: Amount, title: str = ""
) -> ProjectProposal:
    """Staff enter a live session's winning proposal into the call, keeping the link to it (and so to its session
    and the challenges it answered). Raises NotAllowed, WrongPhase, InvalidInput (not an approved proposal of a
    session of this city, or already entered)."""
    _require_manager(actor, call.city)
    if call.phase not in (CallPhase.SUBMISSION, CallPhase.REVIEW):
        raise WrongPhase(CALL_WRONG_PHASE)
    if (
        item.kind != ItemKind.PROPOSAL
        or item.status != ItemStatus.APPROVED
        or item.session.consultation.city_id != call.city_id
    ):
        raise InvalidInput(_("Only an approved proposal from a session of this city can be entered."))
    if call.proposals.filter(source_item=item).exists():
        raise InvalidInput(_("This proposal is already entered in the call."))
    amount = _money(requested_amount)
    title = (title or item.text)[:200]
    _check_proposal_fields(call, title, item.text, team_name, amount)
    proposal = ProjectProposal.objects.create(
        call=call,
        title=title,
        summary=item.text,
        team_name=team_name.strip(),
        requested_amount=amount,
        source_item=item,
    )
    audit_record(actor=actor, action="proposal.promote", target=proposal, city=call.city, data={"item": item.pk})
    return proposal


@transaction.atomic
def proposal_set_eligibility(
    *, proposal: ProjectProposal, actor: User, eligible: bool, note: str = ""
) -> ProjectProposal:
    """Record the eligibility check. A proposal failing an automatic check cannot be declared eligible; a refusal
    needs a note saying why. Raises NotAllowed, WrongPhase, InvalidInput."""
    call = FundingCall.objects.select_related("city").get(pk=proposal.call_id)
    proposal = ProjectProposal.objects.select_for_update().get(pk=proposal.pk)
    _require_manager(actor, call.city)
    if call.phase not in (CallPhase.SUBMISSION, CallPhase.REVIEW) or call.selected_at is not None:
        raise WrongPhase(CALL_WRONG_PHASE)
    if eligible:
        problems = eligibility_problems(proposal)
        if problems:
            raise InvalidInput(problems[0])
    elif not note.strip():
        raise InvalidInput(_("Say why the proposal is not eligible."))
    proposal.status = ProposalStatus.ELIGIBLE if eligible else ProposalStatus.INELIGIBLE
    proposal.eligibility_note = note.strip()
    proposal.save(update_fields=["status", "eligibility_note", "updated_at"])
    audit_record(
        actor=actor, action="proposal.eligibility", target=proposal, city=call.city, data={"eligible": eligible}
    )
    return proposal


@transaction.atomic
def review_submit(
    *,
    proposal: ProjectProposal,
    reviewer: User,
    scores: dict[int, int],
    comment: str = "",
    conflict_of_interest: bool = False,
) -> Review:
    """A jury member scores a proposal on each criterion (or declares a conflict of interest, which keeps the
    review's scores out of the jury score). A second review by the same person replaces the first.
    Raises NotAllowed, WrongPhase, InvalidInput (missing or out-of-range score)."""
    call = FundingCall.objects.select_related("city").get(pk=proposal.call_id)
    proposal = ProjectProposal.objects.get(pk=proposal.pk)
    if not can_review(reviewer, call):
        raise NotAllowed()
    if call.phase not in (CallPhase.REVIEW, CallPhase.VOTE) or call.selected_at is not None:
        raise WrongPhase(CALL_WRONG_PHASE)
    if proposal.status != ProposalStatus.ELIGIBLE:
        raise InvalidInput(_("Only eligible proposals are scored."))
    criteria = list(call.criteria.all())
    if not conflict_of_interest:
        for criterion in criteria:
            value = scores.get(criterion.pk)
            if value is None or not 0 <= int(value) <= criterion.max_score:
                raise InvalidInput(
                    _("Score “%(name)s” from 0 to %(max)s.") % {"name": criterion.name, "max": criterion.max_score}
                )
    review, _created = Review.objects.update_or_create(
        proposal=proposal,
        reviewer=reviewer,
        defaults={"comment": comment.strip(), "conflict_of_interest": conflict_of_interest},
    )
    review.scores.all().delete()
    if not conflict_of_interest:
        Score.objects.bulk_create(Score(review=review, criterion=c, value=int(scores[c.pk])) for c in criteria)
    audit_record(
        actor=reviewer,
        action="proposal.review",
        target=proposal,
        city=call.city,
        data={"conflict_of_interest": conflict_of_interest},
    )
    return review


# --- youth vote ---------------------------------------------------------------------------------------------


@transaction.atomic
def voter_codes_issue(*, call: FundingCall, count: int, actor: User) -> list[str]:
    """Create count single-use voting codes to hand out at an event. Raises NotAllowed, InvalidInput."""
    _require_manager(actor, call.city)
    if not 1 <= count <= 2000:
        raise InvalidInput(_("Issue between 1 and 2,000 codes at a time."))
    codes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(VOTER_CODE_ALPHABET) for _ in range(8))
        if not VoterCode.objects.filter(code=code).exists():
            VoterCode.objects.create(call=call, code=code)
            codes.append(code)
    audit_record(actor=actor, action="funding_call.voter_codes", target=call, city=call.city, data={"count": count})
    return codes


@transaction.atomic
def vote_cast(
    *, call: FundingCall, choices: Mapping[int, Amount], user: User | None = None, code: str = ""
) -> list[YouthVote]:
    """Cast a voter's ballot: {proposal_id: 1} for approval, {proposal_id: amount} for budget allocation (the
    amounts add up to at most the call's budget). A signed-in account votes once per call; a code is spent by its
    ballot. The database holds one vote per voter and proposal. Raises WrongPhase, NotAllowed (no voter, unknown or
    spent code), AlreadyVoted, InvalidInput (no choice, proposal not eligible, amounts above the budget)."""
    call = _locked_call(call)  # serialises ballots of a call: the budget check below reads a consistent state
    if not call.accepts_votes:
        raise WrongPhase(CALL_WRONG_PHASE)
    voter_code = None
    if user is not None and getattr(user, "is_authenticated", False):
        if YouthVote.objects.filter(call=call, voter=user).exists():
            raise AlreadyVoted()
    elif code:
        voter_code = VoterCode.objects.select_for_update().filter(call=call, code=code.strip().upper()).first()
        if voter_code is None:
            raise NotAllowed(_("This voting code is not valid for this call."))
        if voter_code.used_at is not None:
            raise AlreadyVoted(_("This voting code has already been used."))
        user = None
    else:
        raise NotAllowed(_("Sign in or enter a voting code to vote."))
    if not choices:
        raise InvalidInput(_("Choose at least one proposal."))
    eligible = set(call.proposals.filter(status=ProposalStatus.ELIGIBLE).values_list("pk", flat=True))
    amounts: dict[int, Decimal] = {}
    for proposal_id, value in choices.items():
        try:
            proposal_id = int(proposal_id)
        except (TypeError, ValueError):
            raise InvalidInput(_("Choose among the eligible proposals.")) from None
        if proposal_id not in eligible:
            raise InvalidInput(_("Choose among the eligible proposals."))
        amounts[proposal_id] = Decimal("1.00") if call.vote_method == VoteMethod.APPROVAL else _money(value)
    if call.vote_method == VoteMethod.BUDGET and sum(amounts.values()) > call.budget:
        raise InvalidInput(_("Your allocations add up to more than the budget."))
    try:
        with transaction.atomic():
            votes = [
                YouthVote.objects.create(call=call, proposal_id=pid, voter=user, voter_code=voter_code, amount=amount)
                for pid, amount in amounts.items()
            ]
    except IntegrityError:
        raise AlreadyVoted() from None
    if voter_code is not None:
        voter_code.used_at = timezone.now()
        voter_code.save(update_fields=["used_at"])
    return votes


# --- selection ----------------------------------------------------------------------------------------------


def _fund(*, call: FundingCall, proposal: ProjectProposal, grant: Decimal) -> Project:
    """Create the project and add its grant to the call's allocation. The call row must be locked by the caller."""
    if grant > call.budget - call.allocated:
        raise BudgetExceeded()
    call.allocated += grant
    call.save(update_fields=["allocated"])
    proposal.status = ProposalStatus.FUNDED
    proposal.save(update_fields=["status", "updated_at"])
    return Project.objects.create(
        proposal=proposal, call=call, city=call.city, title=proposal.title, grant=grant, currency=call.currency
    )


@transaction.atomic
def call_select_projects(*, call: FundingCall, actor: User) -> list[SelectionDecision]:
    """Run the selection rule once (docs/projects.md): walk the eligible proposals in selection_ranking order and
    fund each one whose requested amount fits in what is left of the budget; one that does not fit is skipped and
    the walk goes on. Every proposal gets a SelectionDecision saying why. The call row is locked for the whole run,
    so parallel requests run one after the other and the second finds the selection done.
    Raises NotAllowed, WrongPhase, AlreadySelected, SelectionBlocked (proposals not yet checked for eligibility)."""
    _require_manager(actor, call.city)
    call = _locked_call(call)
    refusal = selectors.selection_refusal(call)
    if refusal is not None:
        raise refusal
    now = timezone.now()
    decisions = []
    remaining = call.budget - call.allocated
    for rank, ranked in enumerate(selectors.selection_ranking(call), start=1):
        proposal = ranked.proposal
        fits = proposal.requested_amount <= remaining
        decisions.append(
            SelectionDecision(
                call=call,
                proposal=proposal,
                rank=rank,
                support=ranked.support,
                jury_score=ranked.jury_score,
                remaining_before=remaining,
                outcome=Outcome.FUNDED if fits else Outcome.DOES_NOT_FIT,
                decided_by=actor,
                decided_at=now,
            )
        )
        if fits:
            _fund(call=call, proposal=proposal, grant=proposal.requested_amount)
            remaining -= proposal.requested_amount
        else:
            proposal.status = ProposalStatus.NOT_FUNDED
            proposal.save(update_fields=["status", "updated_at"])
    for proposal in call.proposals.filter(status=ProposalStatus.INELIGIBLE):
        decisions.append(
            SelectionDecision(
                call=call, proposal=proposal, outcome=Outcome.INELIGIBLE, remaining_before=remaining, decided_by=actor
            )
        )
    SelectionDecision.objects.bulk_create(decisions)
    call.selected_at = now
    call.save(update_fields=["selected_at"])
    audit_record(
        actor=actor,
        action="funding_call.select",
        target=call,
        city=call.city,
        data={"funded": [d.proposal_id for d in decisions if d.funded], "allocated": str(call.allocated)},
    )
    return decisions


@transaction.atomic
def selection_override(
    *, proposal: ProjectProposal, actor: User, fund: bool, reason: str, grant: Amount | None = None
) -> SelectionDecision:
    """Staff change the rule's outcome for one proposal, with a recorded reason. Funding it needs the grant (default:
    the amount requested) to fit in what is left of the budget; withdrawing funding is refused once money was paid.
    Raises NotAllowed, WrongPhase (selection not run), InvalidInput (no reason, ineligible), BudgetExceeded."""
    call = proposal.call
    _require_manager(actor, call.city)
    if not reason.strip():
        raise InvalidInput(_("Give the reason for this decision."))
    call = _locked_call(call)
    if call.selected_at is None or call.phase not in (CallPhase.SELECTION, CallPhase.IMPLEMENTATION):
        raise WrongPhase(_("Overrides are possible after the selection has run, until the call closes."))
    proposal = ProjectProposal.objects.select_for_update().get(pk=proposal.pk)
    decision = SelectionDecision.objects.filter(proposal=proposal).first() or SelectionDecision(
        call=call, proposal=proposal
    )
    if fund:
        if proposal.status not in (ProposalStatus.NOT_FUNDED, ProposalStatus.INELIGIBLE):
            raise InvalidInput(_("This proposal is already funded."))
        grant = _money(grant if grant is not None else proposal.requested_amount)
        if grant > call.cap_per_project:
            raise InvalidInput(_("The grant cannot exceed the maximum per project."))
        decision.remaining_before = call.budget - call.allocated
        _fund(call=call, proposal=proposal, grant=grant)
        decision.outcome = Outcome.OVERRIDE_FUNDED
    else:
        project = Project.objects.select_for_update().filter(proposal=proposal).first()
        if project is None:
            raise InvalidInput(_("This proposal is not funded."))
        if project.ledger.exists():
            raise InvalidInput(_("Money has already been paid to this project; it cannot be unfunded."))
        decision.remaining_before = call.budget - call.allocated
        call.allocated -= project.grant
        call.save(update_fields=["allocated"])
        project.tranches.all().delete()
        project.milestones.all().delete()
        project.delete()
        proposal.status = ProposalStatus.NOT_FUNDED
        proposal.save(update_fields=["status", "updated_at"])
        decision.outcome = Outcome.OVERRIDE_REFUSED
    decision.override_reason = reason.strip()
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.save()
    audit_record(
        actor=actor,
        action="funding_call.override",
        target=proposal,
        city=call.city,
        data={"fund": fund, "reason": reason.strip(), "allocated": str(call.allocated)},
    )
    return decision


# --- projects: tranches, ledger, milestones, reports --------------------------------------------------------


@transaction.atomic
def tranche_plan(*, project: Project, amount: Amount, planned_on: date, actor: User) -> Tranche:
    """Plan a payment tranche. Planned tranches never add up to more than the grant. Raises NotAllowed,
    InvalidInput, BudgetExceeded."""
    _require_manager(actor, project.city)
    project = _locked_project(project)
    amount = _money(amount)
    planned = sum((t.amount for t in project.tranches.all()), ZERO)
    if planned + amount > project.grant:
        raise BudgetExceeded(_("The tranches would add up to more than the grant."))
    number = (project.tranches.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    tranche = Tranche.objects.create(project=project, number=number, amount=amount, planned_on=planned_on)
    audit_record(
        actor=actor, action="project.tranche_plan", target=tranche, city=project.city, data={"amount": str(amount)}
    )
    return tranche


def _post(
    *,
    project: Project,
    kind: str,
    amount: Decimal,
    description: str,
    actor: User | None,
    tranche: Tranche | None = None,
) -> LedgerEntry:
    """Append a ledger entry and move the balance with it. project must be locked by the caller."""
    balance = project.balance + amount
    if balance < 0:
        raise InsufficientBalance()
    entry = LedgerEntry.objects.create(
        project=project,
        kind=kind,
        amount=amount,
        balance_after=balance,
        description=description[:300],
        tranche=tranche,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    project.balance = balance
    if kind == LedgerKind.DISBURSEMENT:
        project.disbursed += amount
    elif kind == LedgerKind.EXPENSE:
        project.spent -= amount
    project.save(update_fields=["balance", "disbursed", "spent"])
    return entry


@transaction.atomic
def tranche_pay(*, tranche: Tranche, actor: User, paid_on: date | None = None) -> LedgerEntry:
    """Mark a planned tranche paid and post it to the ledger. Raises NotAllowed, InvalidInput (already paid),
    BudgetExceeded (more than the grant paid)."""
    project = _locked_project(tranche.project)
    _require_manager(actor, project.city)
    tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
    if tranche.status == TrancheStatus.PAID:
        raise InvalidInput(_("This tranche is already paid."))
    if project.disbursed + tranche.amount > project.grant:
        raise BudgetExceeded(_("This would pay more than the grant."))
    tranche.status = TrancheStatus.PAID
    tranche.paid_on = paid_on or timezone.localdate()
    tranche.save(update_fields=["status", "paid_on"])
    entry = _post(
        project=project,
        kind=LedgerKind.DISBURSEMENT,
        amount=tranche.amount,
        description=str(_("Tranche %(n)s paid")) % {"n": tranche.number},
        actor=actor,
        tranche=tranche,
    )
    audit_record(
        actor=actor,
        action="project.tranche_pay",
        target=tranche,
        city=project.city,
        data={"amount": str(tranche.amount)},
    )
    return entry


@transaction.atomic
def ledger_record(*, project: Project, kind: str, amount: Amount, description: str, actor: User) -> LedgerEntry:
    """Record the team's spending (kind "expense") or a refund of unspent money (kind "refund"): a negative entry of
    amount. Raises NotAllowed, InvalidInput, InsufficientBalance (more than the team holds)."""
    project = _locked_project(project)
    if not can_report_progress(actor, project):
        raise NotAllowed()
    if kind not in (LedgerKind.EXPENSE, LedgerKind.REFUND):
        raise InvalidInput(_("Record an expense or a refund; tranches are paid from the tranche list."))
    if not description.strip():
        raise InvalidInput(_("Describe what the money was for."))
    entry = _post(project=project, kind=kind, amount=-_money(amount), description=description.strip(), actor=actor)
    audit_record(actor=actor, action=f"project.{kind}", target=entry, city=project.city, data={"amount": str(amount)})
    return entry


@transaction.atomic
def milestone_add(*, project: Project, title: str, due_on: date, actor: User) -> Milestone:
    if not can_report_progress(actor, project):
        raise NotAllowed()
    if not title.strip():
        raise InvalidInput(_("A title is required."))
    return Milestone.objects.create(project=project, title=title.strip(), due_on=due_on)


@transaction.atomic
def milestone_update(*, milestone: Milestone, status: str, progress: int, actor: User) -> Milestone:
    """Set a milestone's status and progress (0-100; "done" means 100). Raises NotAllowed, InvalidInput."""
    if not can_report_progress(actor, milestone.project):
        raise NotAllowed()
    if status not in MilestoneStatus.values or not 0 <= int(progress) <= 100:
        raise InvalidInput(_("Choose a status and a progress from 0 to 100."))
    milestone.status = status
    milestone.progress = 100 if status == MilestoneStatus.DONE else int(progress)
    milestone.save(update_fields=["status", "progress"])
    return milestone


@transaction.atomic
def report_submit(
    *, project: Project, author: User, text: str, beneficiaries_reached: int, photos: Iterable = ()
) -> ProgressReport:
    """The team (or staff) report progress, with photos (JPG or PNG, 5 MB each). The project's beneficiaries reached
    becomes the report's figure. Raises NotAllowed, InvalidInput, BadAttachment."""
    if not can_report_progress(author, project):
        raise NotAllowed()
    if not text.strip() or int(beneficiaries_reached) < 0:
        raise InvalidInput(_("Write what happened and how many people were reached."))
    report = ProgressReport.objects.create(
        project=project, author=author, text=text.strip(), beneficiaries_reached=int(beneficiaries_reached)
    )
    for photo in photos:
        if sniff_upload(photo) == AttachmentKind.PDF:
            raise BadAttachment(_("Photos must be JPG or PNG files of at most 5 MB."))
        ReportPhoto.objects.create(report=report, file=photo)
    Project.objects.filter(pk=project.pk).update(beneficiaries_reached=int(beneficiaries_reached))
    return report


@transaction.atomic
def project_set_status(*, project: Project, status: str, actor: User) -> Project:
    _require_manager(actor, project.city)
    if status not in ProjectStatus.values:
        raise InvalidInput()
    project.status = status
    project.save(update_fields=["status"])
    audit_record(actor=actor, action="project.status", target=project, city=project.city, data={"status": status})
    return project
