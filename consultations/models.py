"""Consultations and their live sessions: participants, items (challenges and proposals) and ballots."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cities.models import City, District

# Six characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
JOIN_CODE_LENGTH = 6


class Phase(models.TextChoices):
    LOBBY = "lobby", _("Lobby")
    CHALLENGES = "challenges", _("Challenges")
    CHALLENGE_VOTING = "challenge_voting", _("Challenge voting")
    PROPOSALS = "proposals", _("Proposals")
    PROPOSAL_VOTING = "proposal_voting", _("Proposal voting")
    RESULTS = "results", _("Results")
    CLOSED = "closed", _("Closed")


PHASE_ORDER = [p.value for p in Phase]


class VotingMethod(models.TextChoices):
    APPROVAL = "approval", _("Approval (one vote per item)")
    DOT = "dot", _("Dot voting (points to spread)")


class AgeBand(models.TextChoices):
    UNDER_15 = "under_15", _("Under 15")
    AGE_15_17 = "15_17", _("15-17")
    AGE_18_24 = "18_24", _("18-24")
    AGE_25_29 = "25_29", _("25-29")
    AGE_30_35 = "30_35", _("30-35")
    OVER_35 = "over_35", _("Over 35")
    UNSAID = "unsaid", _("Prefer not to say")


MINOR_AGE_BANDS = {AgeBand.UNDER_15, AgeBand.AGE_15_17}


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Another way")
    UNSAID = "unsaid", _("Prefer not to say")


class Organisation(models.TextChoices):
    NONE = "none", _("None")
    SCHOOL = "school", _("School or university")
    ASSOCIATION = "association", _("Association or NGO")
    YOUTH_CENTRE = "youth_centre", _("Youth centre")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("Prefer not to say")


class Consultation(models.Model):
    """A consultation process across several sessions, with themes and the profile questions it asks."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="consultations", verbose_name=_("city"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_public = models.BooleanField(
        _("listed publicly"), default=True, help_text=_("Shown on the home page while it has open sessions.")
    )
    participants_may_be_minors = models.BooleanField(
        _("participants may be minors"),
        default=True,
        help_text=_("Turns pre-moderation on for new sessions and limits what is asked."),
    )
    ask_age_band = models.BooleanField(_("ask age band"), default=True)
    ask_gender = models.BooleanField(_("ask gender"), default=True)
    ask_district = models.BooleanField(_("ask district"), default=True)
    ask_organisation = models.BooleanField(_("ask organisation"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Theme(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="themes", verbose_name=_("consultation")
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["consultation", "name"], name="theme_unique_name")]

    def __str__(self) -> str:
        return self.name


class JoinPolicy(models.TextChoices):
    """How a session admits people (consultations/joins.py holds the rule, docs/security.md what each stops)."""

    OPEN = "open", _("Open link: one participant per browser")
    ROTATING = "rotating", _("Code on the screen that changes every minute")
    CARDS = "cards", _("Printed one-time cards")


def default_phases() -> list[str]:
    return list(PHASE_ORDER)


class Session(models.Model):
    """One live session of a consultation, joined by QR code or by its six-character join code."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("consultation")
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    capacity = models.PositiveIntegerField(
        _("headcount cap"), null=True, blank=True, help_text=_("Nobody more may join once reached.")
    )
    phases = models.JSONField(_("phases"), default=default_phases)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, default=Phase.LOBBY)
    challenge_voting_method = models.CharField(
        _("challenge voting method"),
        max_length=10,
        choices=VotingMethod.choices,
        default=VotingMethod.APPROVAL,
    )
    proposal_voting_method = models.CharField(
        _("proposal voting method"),
        max_length=10,
        choices=VotingMethod.choices,
        default=VotingMethod.APPROVAL,
    )
    dot_points = models.PositiveSmallIntegerField(_("points per participant (dot voting)"), default=5)
    dot_max_per_item = models.PositiveSmallIntegerField(_("most points on one item (dot voting)"), default=3)
    premoderation = models.BooleanField(
        _("pre-moderation"),
        default=True,
        help_text=_("Submissions appear only once a facilitator approves them."),
    )
    join_code = models.CharField(_("join code"), max_length=JOIN_CODE_LENGTH, unique=True)
    locked = models.BooleanField(_("room locked"), default=False)
    join_policy = models.CharField(_("join policy"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN)
    results_visible = models.BooleanField(_("results shown to participants"), default=False)
    published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    # Set for good when the ballots counted on items whose voting had closed change (voting reopened, ballots set
    # aside or restored, items merged): breakdowns read before and after would differ by those ballots alone, so
    # the session's results show none from then on (services.breakdowns_withhold, docs/privacy.md).
    breakdowns_withheld = models.BooleanField(_("breakdowns withheld"), default=False)
    # One counter per session that only rises; every change a screen can see increments it.
    version = models.BigIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(dot_max_per_item__gte=1), name="session_dot_max_positive"),
            models.CheckConstraint(condition=Q(dot_points__gte=1), name="session_dot_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.join_code})"

    @property
    def city(self) -> City:
        return self.consultation.city

    @property
    def is_closed(self) -> bool:
        return self.phase == Phase.CLOSED

    @property
    def reached_results(self) -> bool:
        """The room's work is done: the session is in its results phase or closed."""
        return self.phase in (Phase.RESULTS, Phase.CLOSED)

    @property
    def accepts_joins(self) -> bool:
        return not self.is_closed and not self.locked

    @property
    def submission_kind(self) -> str | None:
        """The kind of item participants may submit now, or None."""
        return {Phase.CHALLENGES: ItemKind.CHALLENGE, Phase.PROPOSALS: ItemKind.PROPOSAL}.get(self.phase)

    @property
    def voting_kind(self) -> str | None:
        """The kind of item participants may vote on now, or None."""
        return {Phase.CHALLENGE_VOTING: ItemKind.CHALLENGE, Phase.PROPOSAL_VOTING: ItemKind.PROPOSAL}.get(self.phase)

    def voting_method_for(self, kind: str) -> str:
        return self.challenge_voting_method if kind == ItemKind.CHALLENGE else self.proposal_voting_method

    def points_for(self, kind: str) -> int | None:
        """The points a participant spreads over items of kind (dot voting); None under approval voting."""
        return None if self.voting_method_for(kind) == VotingMethod.APPROVAL else self.dot_points

    def max_points_on_item(self, kind: str) -> int:
        """The most points one participant may give one item of kind: 1 under approval voting."""
        return 1 if self.voting_method_for(kind) == VotingMethod.APPROVAL else self.dot_max_per_item


class JoinCode(models.Model):
    """Every code a session has had, so that a code is never reused and a retired one stops joins at once."""

    code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="join_codes")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.code


class JoinCard(models.Model):
    """A printed one-time card of a session with the cards join policy: it admits one participant, and the same
    card later resumes that participant instead of admitting another (consultations/joins.py)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="join_cards")
    code = models.CharField(max_length=16)
    participant = models.OneToOneField(
        "Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="join_card"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "code"], name="join_card_unique_code")]

    def __str__(self) -> str:
        return self.code


class Participant(models.Model):
    """An anonymous participant of one session. No name or contact details are kept here."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    consented_at = models.DateTimeField(_("consented at"))
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    organisation = models.CharField(_("organisation"), max_length=20, choices=Organisation.choices, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)
    # How this participant was admitted, and keyed hashes (consultations/joins.py) of the device id its browser
    # sent and of the address it joined from: never the id or the address themselves, and not comparable across
    # sessions. They let a browser resume its participant and the console show many joins from one place.
    join_policy = models.CharField(max_length=10, choices=JoinPolicy.choices, blank=True, editable=False)
    device_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    origin_key = models.CharField(max_length=16, blank=True, default="", editable=False)
    # Set by a facilitator (joins.participants_set_aside): the participant's ballots are kept here, out of every
    # count, until restored; a set-aside participant cannot vote.
    set_aside_at = models.DateTimeField(null=True, blank=True, editable=False)
    set_aside_ballots = models.JSONField(default=list, blank=True, editable=False)
    # Not a column: set on the participant services.participant_join answers, True when it resumed an earlier join.
    resumed: bool

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["session", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "device_key"], condition=~Q(device_key=""), name="participant_one_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_minor(self) -> bool:
        return self.age_band in MINOR_AGE_BANDS


class ItemKind(models.TextChoices):
    CHALLENGE = "challenge", _("Challenge")
    PROPOSAL = "proposal", _("Proposal")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Approved")
    HIDDEN = "hidden", _("Hidden")
    MERGED = "merged", _("Merged into another")


# The status each moderation action gives an item.
MODERATION_RESULTS = {"approve": ItemStatus.APPROVED, "hide": ItemStatus.HIDDEN}


def moderation_actions(status: str) -> tuple[str, ...]:
    """The moderation actions that change an item in status: none once it is merged (its votes count for the item
    it was merged into, which is the one to moderate)."""
    if status == ItemStatus.MERGED:
        return ()
    return tuple(action for action, result in MODERATION_RESULTS.items() if result != status)


class HideReason(models.TextChoices):
    """Why a facilitator hid items: kept in the audit record of each item hidden (services.items_moderate)."""

    HURTFUL = "hurtful", _("Insulting or hurtful")
    PERSONAL = "personal", _("Personal details (name, phone, address)")
    OFF_TOPIC = "off_topic", _("Off topic")
    DUPLICATE = "duplicate", _("Says the same as another item")
    OTHER = "other", _("Another reason")


class Item(models.Model):
    """A challenge or a proposal submitted in a session. A proposal may answer one or more challenges."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    text = models.TextField(_("text"))
    original_text = models.TextField(_("text as submitted"), blank=True)
    author = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_items"
    )
    theme = models.ForeignKey(Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    answers = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="answered_by",
        verbose_name=_("answers challenges"),
    )
    flags = models.JSONField(_("automatic screen"), default=list, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    # The sum of the points of the item's ballots, kept by every service that writes ballots (vote_cast,
    # vote_cast_many, vote_withdraw, items_merge) in the ballot's own transaction, so that the state every screen
    # reads several times a second is not a SUM over the whole session's ballots (docs/realtime.md, "Tallies").
    tally = models.PositiveIntegerField(_("votes"), default=0, editable=False)
    # SHA-256 of the client's Idempotency-Key: a retried submission returns this item instead of a new one
    # (services.item_submit_once). Meaningless once the author link is removed at the retention cut-off.
    submission_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "kind", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=Q(author__isnull=False) & ~Q(submission_key=""),
                name="item_one_per_author_submission_key",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def moderation_actions(self) -> tuple[str, ...]:
        return moderation_actions(self.status)


class Ballot(models.Model):
    """One participant's points on one item. At most one ballot per participant and item."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="ballots")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ballots")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="ballots")
    points = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["participant", "item"], name="ballot_one_per_participant_item"),
            models.CheckConstraint(condition=Q(points__gte=1), name="ballot_points_positive"),
        ]
        indexes = [models.Index(fields=["session", "item"])]

    def __str__(self) -> str:
        return f"{self.participant_id}→{self.item_id}: {self.points}"


class ItemMerge(models.Model):
    """One merge of a duplicate (source) into the item kept (target), as services.items_merge made it, so that
    services.items_merge_undo can put everything back: the statuses before, and per participant who had a ballot on
    the source, the points on the source and on the target before the merge and on the target after it."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="merges")
    source = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="merges_as_source")
    target = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="merges_as_target")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source_status = models.CharField(max_length=10, choices=ItemStatus.choices)
    target_status = models.CharField(max_length=10, choices=ItemStatus.choices)
    target_status_after = models.CharField(max_length=10, choices=ItemStatus.choices)
    # [[participant id, points on source before, points on target before (0: none), points on target after], ...]
    ballots = models.JSONField(default=list, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.source_id}→{self.target_id}"
