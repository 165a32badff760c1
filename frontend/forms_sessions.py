"""Forms of the live-session pages. They only shape input; every rule is enforced by consultations.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.models import PHASE_ORDER, AgeBand, Gender, JoinPolicy, Organisation, Phase, VotingMethod
from consultations.services import ITEM_TEXT_MAX

UNSAID = "unsaid"


class ConsentForm(forms.Form):
    consent = forms.BooleanField(
        label=_("I have read this and I want to take part."),
        required=True,
        error_messages={"required": _("Please tick the box to accept the terms of participation.")},
    )


def _with_blank(choices):
    return [("", _("Choose…")), *choices]


class ProfileForm(forms.Form):
    """Only the questions the consultation asks; each offers "Prefer not to say"."""

    age_band = forms.ChoiceField(label=_("Your age"), choices=_with_blank(AgeBand.choices), required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=_with_blank(Gender.choices), required=False)
    district = forms.ChoiceField(label=_("District where you live"), required=False)
    organisation = forms.ChoiceField(
        label=_("Are you here with an organisation?"), choices=_with_blank(Organisation.choices), required=False
    )

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        asked = {
            "age_band": consultation.ask_age_band,
            "gender": consultation.ask_gender,
            "district": consultation.ask_district,
            "organisation": consultation.ask_organisation,
        }
        for name, ask in asked.items():
            if not ask:
                del self.fields[name]
        if "district" in self.fields:
            districts = [(str(d.pk), str(d)) for d in consultation.city.districts.all()]
            if districts:
                self.fields["district"].choices = _with_blank([*districts, (UNSAID, _("Prefer not to say"))])
            else:
                del self.fields["district"]

    def profile(self) -> dict:
        """The answers given, as a join request's fields (consultations/live/ingest.py: parse_join); a question left
        unanswered is left out."""
        return {name: str(value) for name, value in self.cleaned_data.items() if value}


class ItemForm(forms.Form):
    text = forms.CharField(
        label=_("Your idea"),
        # No maxlength: a browser cuts a longer paste silently. The participant page counts down to ITEM_TEXT_MAX
        # and says when a paste goes over it; the service refuses a longer text with its own message.
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )
    answers = forms.MultipleChoiceField(
        label=_("Which challenges does it answer?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, challenges=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answers"].choices = [(str(c["id"]), c["text"]) for c in challenges]
        if not challenges:
            del self.fields["answers"]


class ConsultationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    themes = forms.CharField(
        label=_("Themes"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    participants_may_be_minors = forms.TypedChoiceField(
        label=_("May participants be minors?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        initial="yes",
        widget=forms.RadioSelect,
        help_text=_("With minors, pre-moderation is on by default and nothing more is asked of them."),
    )
    ask_age_band = forms.BooleanField(label=_("Ask the age band"), required=False, initial=True)
    ask_gender = forms.BooleanField(label=_("Ask the gender"), required=False, initial=True)
    ask_district = forms.BooleanField(label=_("Ask the district"), required=False, initial=True)
    ask_organisation = forms.BooleanField(label=_("Ask the organisation"), required=False, initial=False)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["themes"] = [line.strip() for line in data["themes"].splitlines() if line.strip()]
        return data


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    phases = forms.MultipleChoiceField(
        label=_("Phases to use"),
        choices=[(p.value, p.label) for p in Phase if p not in (Phase.LOBBY, Phase.CLOSED)],
        widget=forms.CheckboxSelectMultiple,
        initial=[p for p in PHASE_ORDER if p not in (Phase.LOBBY, Phase.CLOSED)],
        required=False,
        help_text=_("Every session starts in the lobby and ends closed."),
    )
    challenge_voting_method = forms.ChoiceField(
        label=_("Voting method for challenges"), choices=VotingMethod.choices, initial=VotingMethod.APPROVAL
    )
    proposal_voting_method = forms.ChoiceField(
        label=_("Voting method for proposals"), choices=VotingMethod.choices, initial=VotingMethod.DOT
    )
    dot_points = forms.IntegerField(label=_("Points per participant (dot voting)"), min_value=1, initial=5)
    dot_max_per_item = forms.IntegerField(label=_("Most points on one item (dot voting)"), min_value=1, initial=3)
    premoderation = forms.BooleanField(
        label=_("Pre-moderation"),
        required=False,
        help_text=_("Submissions appear only once a facilitator approves them."),
    )
    capacity = forms.IntegerField(
        label=_("Headcount cap"), min_value=1, required=False, help_text=_("Leave empty for no cap.")
    )
    join_policy = forms.ChoiceField(
        label=_("Join policy"), choices=JoinPolicy.choices, initial=JoinPolicy.OPEN, required=False
    )

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premoderation"].initial = consultation.participants_may_be_minors


class EditItemForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=ITEM_TEXT_MAX)


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into"), min_value=1)
