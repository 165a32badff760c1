"""Seed-funded youth projects: funding calls, the proposals teams submit to them, review, the youth vote,
selection within the budget, and the funded projects with their tranches, milestones, reports and ledger.

Rules live in services.py; these models carry fields, database constraints and small properties only. The
one exception is LedgerEntry, which refuses to be changed or deleted (append-only) at the model level too.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.models import City, Currency
from consultations.models import Item

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class CallPhase(models.TextChoices):
    """A funding call moves forward through these phases, in this order (services.call_set_phase)."""

    SUBMISSION = "submission", _("Submission")
    REVIEW = "review", _("Review")
    VOTE = "vote", _("Youth vote")
    SELECTION = "selection", _("Selection")
    IMPLEMENTATION = "implementation", _("Implementation")
    CLOSED = "closed", _("Closed")


PHASE_ORDER = list(CallPhase.values)


class VoteMethod(models.TextChoices):
    APPROVAL = "approval", _("Approval (one vote per proposal supported)")
    BUDGET = "budget", _("Budget allocation (each voter spreads the budget)")


class FundingCall(models.Model):
    """A city's seed fund for youth projects. `allocated` is the sum of the grants of its projects; the database
    refuses any row where it exceeds the budget, and services change it under a row lock."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="funding_calls", verbose_name=_("city"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(_("total budget"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    cap_per_project = models.DecimalField(_("maximum per project"), **MONEY)
    allocated = models.DecimalField(_("allocated"), **MONEY, default=ZERO, editable=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=15)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=35)
    min_team_size = models.PositiveSmallIntegerField(_("minimum team size"), default=2)
    max_team_size = models.PositiveSmallIntegerField(_("maximum team size"), default=8)
    vote_method = models.CharField(
        _("youth vote method"), max_length=10, choices=VoteMethod.choices, default=VoteMethod.APPROVAL
    )
    phase = models.CharField(_("phase"), max_length=20, choices=CallPhase.choices, default=CallPhase.SUBMISSION)
    submission_deadline = models.DateTimeField(_("submission deadline"))
    review_ends = models.DateField(_("review ends"), null=True, blank=True)
    vote_starts = models.DateField(_("youth vote starts"), null=True, blank=True)
    vote_ends = models.DateField(_("youth vote ends"), null=True, blank=True)
    selection_on = models.DateField(_("selection date"), null=True, blank=True)
    implementation_ends = models.DateField(_("implementation ends"), null=True, blank=True)
    selected_at = models.DateTimeField(_("selection run"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("funding call")
        verbose_name_plural = _("funding calls")
        ordering = ["-submission_deadline", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(allocated__lte=F("budget")), name="fundingcall_allocated_within_budget"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="fundingcall_allocated_not_negative"),
            models.CheckConstraint(
                condition=Q(cap_per_project__gt=0) & Q(cap_per_project__lte=F("budget")),
                name="fundingcall_cap_within_budget",
            ),
            models.CheckConstraint(condition=Q(min_age__lte=F("max_age")), name="fundingcall_age_range"),
            models.CheckConstraint(
                condition=Q(min_team_size__gte=1) & Q(min_team_size__lte=F("max_team_size")),
                name="fundingcall_team_size_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.allocated

    @property
    def accepts_submissions(self) -> bool:
        return self.phase == CallPhase.SUBMISSION and timezone.now() <= self.submission_deadline

    @property
    def accepts_votes(self) -> bool:
        return self.phase == CallPhase.VOTE

    @property
    def next_phase(self) -> str | None:
        """The phase the call moves to next (services.call_set_phase moves it forward only); None once closed."""
        later = PHASE_ORDER[PHASE_ORDER.index(self.phase) + 1 :]
        return later[0] if later else None


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")
    FUNDED = "funded", _("Funded")
    NOT_FUNDED = "not_funded", _("Not funded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProjectProposal(models.Model):
    """A youth team's proposal to a funding call (the API calls them "proposals"). Submitted online by a signed-in
    team lead, or promoted by staff from a live session's proposal (source_item), whose session and answered
    challenges give its provenance. Not to be confused with consultations.Item of kind "proposal"."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("call"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    team_name = models.CharField(_("team name"), max_length=120, help_text=_("Shown publicly instead of names."))
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_proposals",
        verbose_name=_("team lead"),
    )
    requested_amount = models.DecimalField(_("amount requested"), **MONEY)
    beneficiaries_expected = models.PositiveIntegerField(_("expected beneficiaries"), default=0)
    source_item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_proposals",
        limit_choices_to={"kind": "proposal"},
        verbose_name=_("from the live-session proposal"),
    )
    status = models.CharField(_("status"), max_length=12, choices=ProposalStatus.choices, default="submitted")
    eligibility_note = models.TextField(_("eligibility note"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("project proposal")
        verbose_name_plural = _("project proposals")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="projectproposal_amount_positive"),
            models.UniqueConstraint(
                fields=["call", "source_item"],
                condition=Q(source_item__isnull=False),
                name="projectproposal_item_once_per_call",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def city(self) -> City:
        return self.call.city


class TeamMember(models.Model):
    """A member of a proposal's team. Personal data (names, ages) is seen by the team and the city's staff only,
    never on public pages or in anonymous API answers."""

    proposal = models.ForeignKey(ProjectProposal, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=150)
    age = models.PositiveSmallIntegerField(_("age"), validators=[MinValueValidator(10), MaxValueValidator(99)])
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["-is_lead", "id"]

    def __str__(self) -> str:
        return self.name


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPG = "jpg", "JPEG"
    PNG = "png", "PNG"


MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def attachment_path(instance, filename: str) -> str:
    return f"proposals/{instance.proposal.call_id}/{instance.proposal_id}/{filename}"


class Attachment(models.Model):
    proposal = models.ForeignKey(ProjectProposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    kind = models.CharField(_("type"), max_length=3, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.CheckConstraint(condition=Q(size__lte=MAX_ATTACHMENT_BYTES), name="attachment_max_size")]

    def __str__(self) -> str:
        return self.original_name


# --- review -------------------------------------------------------------------------------------------------


class Criterion(models.Model):
    """One line of the call's scoring rubric. Each reviewer scores it from 0 to max_score."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=150)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, validators=[MinValueValidator(1)])
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=5, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["call", "name"], name="criterion_unique_name")]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """A jury member's review of a proposal. A declared conflict of interest keeps the score out of the total."""

    proposal = models.ForeignKey(ProjectProposal, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conflict_of_interest = models.BooleanField(_("conflict of interest declared"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["proposal", "reviewer"], name="review_one_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} → {self.proposal_id}"


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.value}"


# --- youth vote ---------------------------------------------------------------------------------------------


class VoterCode(models.Model):
    """A single-use code handed out at an event, for voters without an account. Used once, then spent."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="voter_codes")
    code = models.CharField(_("code"), max_length=12, unique=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("voter code")
        verbose_name_plural = _("voter codes")

    def __str__(self) -> str:
        return self.code


class YouthVote(models.Model):
    """One voter's support for one proposal: 1 for approval, an amount for budget allocation. A voter is either a
    signed-in account or a single-use code; the database holds one vote per voter and proposal."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="votes")
    proposal = models.ForeignKey(ProjectProposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    voter_code = models.ForeignKey(VoterCode, on_delete=models.CASCADE, null=True, blank=True, related_name="votes")
    amount = models.DecimalField(_("support"), **MONEY, default=Decimal("1.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("youth vote")
        verbose_name_plural = _("youth votes")
        constraints = [
            models.UniqueConstraint(
                fields=["voter", "proposal"], condition=Q(voter__isnull=False), name="youthvote_one_per_account"
            ),
            models.UniqueConstraint(
                fields=["voter_code", "proposal"],
                condition=Q(voter_code__isnull=False),
                name="youthvote_one_per_code",
            ),
            models.CheckConstraint(
                condition=(Q(voter__isnull=False) & Q(voter_code__isnull=True))
                | (Q(voter__isnull=True) & Q(voter_code__isnull=False)),
                name="youthvote_exactly_one_voter",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="youthvote_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.amount}"


# --- selection ----------------------------------------------------------------------------------------------


class Outcome(models.TextChoices):
    FUNDED = "funded", _("Funded")
    DOES_NOT_FIT = "does_not_fit", _("Did not fit in the remaining budget")
    INELIGIBLE = "ineligible", _("Not eligible")
    OVERRIDE_FUNDED = "override_funded", _("Funded by a staff decision")
    OVERRIDE_REFUSED = "override_refused", _("Not funded by a staff decision")


class SelectionDecision(models.Model):
    """Why a proposal was or was not funded: its rank, the figures the rule used, and the budget left when its turn
    came. Written by services.call_select_projects (one row per proposal) and by overrides (with a reason)."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="decisions")
    proposal = models.OneToOneField(ProjectProposal, on_delete=models.CASCADE, related_name="decision")
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    support = models.DecimalField(_("youth support"), **MONEY, default=ZERO)
    jury_score = models.DecimalField(_("jury score"), max_digits=6, decimal_places=2, null=True, blank=True)
    remaining_before = models.DecimalField(_("budget left at its turn"), **MONEY, default=ZERO)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    override_reason = models.TextField(_("reason for the staff decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("selection decision")
        verbose_name_plural = _("selection decisions")
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.outcome}"

    @property
    def funded(self) -> bool:
        return self.outcome in (Outcome.FUNDED, Outcome.OVERRIDE_FUNDED)


# --- projects -----------------------------------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Under way")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Project(models.Model):
    """A funded proposal. `balance` is the money the team holds (paid tranches minus spending and refunds); it
    always equals the sum of the project's ledger entries and never goes below zero."""

    proposal = models.OneToOneField(ProjectProposal, on_delete=models.PROTECT, related_name="project")
    call = models.ForeignKey(FundingCall, on_delete=models.PROTECT, related_name="projects")
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="funded_projects")
    title = models.CharField(_("title"), max_length=200)
    grant = models.DecimalField(_("grant"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(_("status"), max_length=10, choices=ProjectStatus.choices, default="active")
    disbursed = models.DecimalField(_("paid to the team"), **MONEY, default=ZERO, editable=False)
    spent = models.DecimalField(_("spent"), **MONEY, default=ZERO, editable=False)
    balance = models.DecimalField(_("balance"), **MONEY, default=ZERO, editable=False)
    beneficiaries_reached = models.PositiveIntegerField(_("beneficiaries reached"), default=0)
    created_at = models.DateTimeField(_("funded"), auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["call", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(grant__gt=0), name="project_grant_positive"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="project_balance_not_negative"),
            models.CheckConstraint(condition=Q(disbursed__lte=F("grant")), name="project_disbursed_within_grant"),
        ]

    def __str__(self) -> str:
        return self.title


class TrancheStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PAID = "paid", _("Paid")


class Tranche(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("number"))
    amount = models.DecimalField(_("amount"), **MONEY)
    planned_on = models.DateField(_("planned for"))
    status = models.CharField(_("status"), max_length=8, choices=TrancheStatus.choices, default="planned")
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment tranche")
        verbose_name_plural = _("payment tranches")
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="tranche_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="planned", paid_on__isnull=True) | Q(status="paid", paid_on__isnull=False),
                name="tranche_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} #{self.number}"


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=MilestoneStatus.choices, default="planned")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "due_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="milestone_progress_percent")]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("report"))
    beneficiaries_reached = models.PositiveIntegerField(_("beneficiaries reached so far"), default=0)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.submitted_at:%Y-%m-%d}"


def photo_path(instance, filename: str) -> str:
    return f"projects/{instance.report.project_id}/{filename}"


class ReportPhoto(models.Model):
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=photo_path)
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    def __str__(self) -> str:
        return self.caption or self.file.name


class LedgerKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("Tranche paid to the team")
    EXPENSE = "expense", _("Spending by the team")
    REFUND = "refund", _("Unspent money returned")


class AppendOnlyError(ValidationError):
    pass


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(_("Ledger entries cannot be changed."))

    def delete(self):
        raise AppendOnlyError(_("Ledger entries cannot be deleted."))


class LedgerEntry(models.Model):
    """A money movement of a project: + when the team receives money, − when it spends or returns it. Entries are
    never updated or deleted; a mistake is corrected by a new entry. The sum of a project's entries is its balance."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=12, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY, help_text=_("Positive in, negative out."))
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    description = models.CharField(_("description"), max_length=300)
    tranche = models.OneToOneField(Tranche, on_delete=models.PROTECT, null=True, blank=True, related_name="entry")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["project", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledgerentry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="disbursement", amount__gt=0) | (~Q(kind="disbursement") & Q(amount__lt=0)),
                name="ledgerentry_sign_matches_kind",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledgerentry_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_("Ledger entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("Ledger entries cannot be deleted."))
