"""Youth council records: the council and its terms, people and their seats, committees, meetings and
attendance, candidates from consultations, and secret-ballot elections.

A Person is the individual (personal data, kept per city); a Membership is that person's seat in one term,
with its role, dates, status, how it was filled and where the person came from. A person may serve several
terms. Every change to a membership is kept in MembershipChange (who, when, what, why).
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.models import City, District
from consultations.models import MINOR_AGE_BANDS, AgeBand, Consultation, Gender, Participant, Session

# The same look-alike-free alphabet as join codes, so members can read codes aloud and type them.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
MEMBER_CODE_LENGTH = 8
BALLOT_CODE_LENGTH = 8
ADULT_AGE = 18


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band_for(age: int | None) -> str:
    if age is None:
        return ""
    if age < 15:
        return AgeBand.UNDER_15
    if age <= 17:
        return AgeBand.AGE_15_17
    if age <= 24:
        return AgeBand.AGE_18_24
    if age <= 29:
        return AgeBand.AGE_25_29
    if age <= 35:
        return AgeBand.AGE_30_35
    return AgeBand.OVER_35


class MemberRole(models.TextChoices):
    PRESIDENT = "president", _("President")
    VICE_PRESIDENT = "vice_president", _("Vice-president")
    SECRETARY = "secretary", _("Secretary")
    RAPPORTEUR = "rapporteur", _("Rapporteur")
    COMMITTEE_CHAIR = "committee_chair", _("Committee chair")
    MEMBER = "member", _("Member")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    RESIGNED = "resigned", _("Resigned")
    ENDED = "ended", _("Ended")


SEATED_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED)


class SelectionMethod(models.TextChoices):
    ELECTED = "elected", _("Elected")
    APPOINTED = "appointed", _("Appointed")
    LOT = "lot", _("Drawn by lot")
    COOPTED = "coopted", _("Co-opted")


class Council(models.Model):
    """A city's youth council, with its composition targets and its published eligibility rules."""

    city = models.OneToOneField(City, on_delete=models.CASCADE, related_name="council", verbose_name=_("city"))
    name = models.CharField(_("name"), max_length=200)
    mandate = models.TextField(_("mandate"), blank=True)
    seat_count = models.PositiveSmallIntegerField(_("seats"))
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=15)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=35)
    residence_required = models.BooleanField(
        _("residence in the city required"), default=True, help_text=_("Candidates must live in one of its districts.")
    )
    gender_min_share = models.PositiveSmallIntegerField(
        _("minimum share of each of women and men (%)"),
        default=40,
        help_text=_("Gender balance target: below this share the composition panel flags an imbalance."),
    )
    eligibility_notes = models.TextField(_("published eligibility rules"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["city__slug"]
        constraints = [
            models.CheckConstraint(condition=Q(seat_count__gte=1), name="council_seats_positive"),
            models.CheckConstraint(condition=Q(max_age__gte=models.F("min_age")), name="council_age_range"),
            models.CheckConstraint(condition=Q(gender_min_share__lte=50), name="council_gender_share_max_50"),
        ]

    def __str__(self) -> str:
        return self.name

    def current_term(self, day: date | None = None) -> "Term | None":
        day = day or timezone.localdate()
        terms = self.terms.order_by("-starts_on")
        return terms.filter(starts_on__lte=day, ends_on__gte=day).first() or terms.first()


class DistrictSeatTarget(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="district_targets")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+", verbose_name=_("district"))
    seats = models.PositiveSmallIntegerField(_("seats"))

    class Meta:
        verbose_name = _("seats per district")
        verbose_name_plural = _("seats per district")
        constraints = [models.UniqueConstraint(fields=["council", "district"], name="district_target_unique")]

    def __str__(self) -> str:
        return f"{self.district}: {self.seats}"


class Term(models.Model):
    """One mandate period of a council."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="terms", verbose_name=_("council"))
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="term_ends_after_start"),
            models.UniqueConstraint(fields=["council", "name"], name="term_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="committees")
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="committee_unique_name")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """An individual who sits or sat on a council. Personal data: secretariat only, exportable, erasable."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+", verbose_name=_("city"))
    full_name = models.CharField(_("full name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "id"]

    def __str__(self) -> str:
        if self.erased_at:
            return str(_("Erased person #%(id)s") % {"id": self.pk})
        return self.full_name

    def age(self, day: date | None = None) -> int | None:
        return age_on(self.date_of_birth, day or timezone.localdate())

    @property
    def current_age_band(self) -> str:
        return age_band_for(self.age()) or self.age_band

    def is_minor_on(self, day: date) -> bool:
        age = age_on(self.date_of_birth, day)
        if age is not None:
            return age < ADULT_AGE
        return self.age_band in MINOR_AGE_BANDS


class Membership(models.Model):
    """A person's seat in one term: role, dates, status, how the seat was filled and provenance."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("term"))
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    selection_method = models.CharField(_("how selected"), max_length=10, choices=SelectionMethod.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    committees = models.ManyToManyField(Committee, blank=True, related_name="memberships", verbose_name=_("committees"))
    source_consultation = models.ForeignKey(
        Consultation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("came from consultation"),
    )
    source_session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("came from session")
    )
    guardian_consent_at = models.DateTimeField(_("guardian consented"), null=True, blank=True)
    member_code = models.CharField(_("member code"), max_length=MEMBER_CODE_LENGTH, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["person__full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "term"], name="membership_one_seat_per_term"),
            models.UniqueConstraint(
                fields=["term"],
                condition=Q(role="president", status="active"),
                name="membership_one_active_president_per_term",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.term}"

    @property
    def council(self) -> Council:
        return self.term.council

    @property
    def is_seated(self) -> bool:
        return self.status in SEATED_STATUSES


class MembershipChange(models.Model):
    """The history of a membership: who changed what, when, and why."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=30)
    reason = models.TextField(_("reason"), blank=True)
    changes = models.JSONField(_("what changed"), default=dict, blank=True)
    election = models.ForeignKey("Election", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.action}"


class Meeting(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    checkin_open = models.BooleanField(_("check-in open"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at", "-id"]

    def __str__(self) -> str:
        return self.title


class AttendanceMethod(models.TextChoices):
    QR = "qr", _("QR check-in")
    SECRETARIAT = "secretariat", _("Recorded by the secretariat")


class Attendance(models.Model):
    """A member was present at a meeting. At most one row per member and meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="attendances")
    method = models.CharField(_("how recorded"), max_length=12, choices=AttendanceMethod.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_once_per_meeting")]

    def __str__(self) -> str:
        return f"{self.membership} @ {self.meeting}"


class CandidateStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted as member")
    DECLINED = "declined", _("Declined")


class Candidate(models.Model):
    """A participant who asked, with explicit consent, to be contacted about the youth council."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="candidates")
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32)
    email = models.EmailField(_("e-mail address"), blank=True)
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    consented_at = models.DateTimeField(_("consented at"))
    guardian_consent_at = models.DateTimeField(_("guardian consented"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.NEW)
    membership = models.OneToOneField(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidate"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "participant"], condition=Q(participant__isnull=False), name="candidate_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ElectionStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Closed")


class TieRule(models.TextChoices):
    TIE = "tie", _("No winner: record a tie")
    LOTS = "lots", _("Draw lots (the seed is recorded)")


class ElectionOutcome(models.TextChoices):
    WINNER = "winner", _("Winner")
    WINNER_BY_LOT = "winner_by_lot", _("Winner drawn by lot after a tie")
    TIE = "tie", _("Tie")
    NO_QUORUM = "no_quorum", _("Quorum not reached")
    NO_VOTES = "no_votes", _("No votes for any candidate")


class Election(models.Model):
    """A secret-ballot election of one role (president, a bureau seat) among the members of a term."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="elections")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="elections", verbose_name=_("term"))
    title = models.CharField(_("title"), max_length=200)
    role = models.CharField(_("role elected"), max_length=20, choices=MemberRole.choices)
    candidates = models.ManyToManyField(Membership, related_name="candidacies", verbose_name=_("candidates"))
    quorum_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("quorum (% of members who must vote)"),
        default=50,
        help_text=_("0 for no quorum."),
    )
    tie_rule = models.CharField(_("if there is a tie"), max_length=5, choices=TieRule.choices, default=TieRule.TIE)
    status = models.CharField(_("status"), max_length=10, choices=ElectionStatus.choices, default=ElectionStatus.DRAFT)
    eligible_count = models.PositiveIntegerField(_("members who may vote"), default=0)
    outcome = models.CharField(_("outcome"), max_length=15, choices=ElectionOutcome.choices, blank=True)
    winner = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lot_seed = models.CharField(_("seed of the draw"), max_length=64, blank=True)
    tally = models.JSONField(_("votes per candidate"), default=dict, blank=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="elections",
        verbose_name=_("meeting where members vote"),
        help_text=_("A ballot code then works only for a member checked in to this meeting."),
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="election_quorum_percent")]

    def __str__(self) -> str:
        return self.title


class BallotCode(models.Model):
    """A member's single-use code for one election (printed on the ballot sheet). It says who may vote,
    never what they chose."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="codes")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=BALLOT_CODE_LENGTH, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "membership"], name="ballot_code_once")]

    def __str__(self) -> str:
        return self.code


class ElectionVoter(models.Model):
    """That a member has voted (the register), never when: no timestamp. Unique per election and member: one
    ballot per member is a database constraint. Nothing here points at a ballot."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="voters")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["election", "membership"], name="election_one_vote_per_member")]

    def __str__(self) -> str:
        return f"{self.election_id}/{self.membership_id}"


class IncidentKind(models.TextChoices):
    CODE_USED = "code_used", _("Told that their code had already been used")
    NOT_CHECKED_IN = "not_checked_in", _("Tried to vote without being checked in to the meeting")


class ElectionIncident(models.Model):
    """A member's ballot code was refused in a way that may mean someone else used or tried it: the chair and the
    room see these on the register. Says who and when, never anything about a ballot."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="incidents")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what happened"), max_length=20, choices=IncidentKind.choices)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    first_at = models.DateTimeField(_("first time"), default=timezone.now)

    class Meta:
        verbose_name = _("election incident")
        verbose_name_plural = _("election incidents")
        constraints = [
            models.UniqueConstraint(fields=["election", "membership", "kind"], name="election_incident_once")
        ]

    def __str__(self) -> str:
        return f"{self.election_id}/{self.membership_id}: {self.kind}"


class ElectionBallot(models.Model):
    """What was chosen (the urn). A random key and no timestamp, and every cast rewrites the election's whole urn
    in a random order with new keys (services.ballot_cast): no row order, rowid, key or transaction id ties a
    ballot to the moment it was cast, hence to a voter. An empty choice is a blank vote."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots")
    choice = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return str(self.id)
