from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consultations.models import ItemKind
from proposals import services
from proposals.errors import BadAttachment, DeadlinePassed, InvalidInput, NotAllowed, WrongPhase
from proposals.models import CallPhase, ProjectProposal
from tests.factories import ConsultationFactory, ItemFactory, SessionFactory, UserFactory

from .conftest import move_to

TEAM = [{"name": "Amina", "age": 19}, {"name": "Youssef", "age": 17}]


def submit(call, lead, **overrides):
    fields = {
        "title": "Green rooftop",
        "summary": "Plant a garden on the youth centre roof.",
        "team_name": "Roof Rangers",
        "requested_amount": "2500.00",
        "members": TEAM,
    }
    fields.update(overrides)
    return services.proposal_submit(call=call, lead=lead, **fields)


def test_signed_in_youth_submits_a_proposal_with_its_team(call_a):
    lead = UserFactory()
    proposal = submit(call_a, lead)
    assert proposal.lead == lead
    assert proposal.requested_amount == Decimal("2500.00")
    assert [m.name for m in proposal.members.all()] == ["Amina", "Youssef"]
    assert proposal.members.get(is_lead=True).name == "Amina"


def test_amount_above_the_cap_is_refused_and_nothing_is_written(call_a):
    with pytest.raises(InvalidInput):
        submit(call_a, UserFactory(), requested_amount="5000.01")
    assert not ProjectProposal.objects.exists()


@pytest.mark.parametrize(
    "members",
    [[{"name": "Solo", "age": 20}], [{"name": "Old", "age": 40}, {"name": "Young", "age": 18}]],
    ids=["team-too-small", "member-too-old"],
)
def test_team_outside_the_calls_eligibility_is_refused(call_a, members):
    with pytest.raises(InvalidInput):
        submit(call_a, UserFactory(), members=members)
    assert not ProjectProposal.objects.exists()


def test_float_like_amounts_with_more_than_two_decimals_are_refused(call_a):
    with pytest.raises(InvalidInput):
        submit(call_a, UserFactory(), requested_amount="100.005")


def test_submission_after_the_deadline_is_refused(call_a):
    call_a.submission_deadline = timezone.now() - timedelta(minutes=1)
    call_a.save()
    with pytest.raises(DeadlinePassed):
        submit(call_a, UserFactory())


def test_submission_outside_the_submission_phase_is_refused(call_a):
    move_to(call_a, CallPhase.REVIEW)
    with pytest.raises(WrongPhase):
        submit(call_a, UserFactory())


def test_lead_edits_until_the_deadline_and_not_after(call_a):
    lead = UserFactory()
    proposal = submit(call_a, lead)
    services.proposal_update(proposal=proposal, user=lead, title="Bigger rooftop", requested_amount="3000")
    proposal.refresh_from_db()
    assert proposal.title == "Bigger rooftop"
    assert proposal.requested_amount == Decimal("3000.00")
    call_a.submission_deadline = timezone.now() - timedelta(seconds=1)
    call_a.save()
    with pytest.raises(DeadlinePassed):
        services.proposal_update(proposal=proposal, user=lead, title="Too late")
    proposal.refresh_from_db()
    assert proposal.title == "Bigger rooftop"


def test_only_the_team_lead_edits_a_proposal(call_a):
    proposal = submit(call_a, UserFactory())
    with pytest.raises(NotAllowed):
        services.proposal_update(proposal=proposal, user=UserFactory(), title="Hijack")


PDF = b"%PDF-1.4\n%...\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20


def test_pdf_and_png_attachments_are_accepted(call_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lead = UserFactory()
    proposal = submit(call_a, lead)
    pdf = services.attachment_add(proposal=proposal, user=lead, upload=SimpleUploadedFile("plan.pdf", PDF))
    png = services.attachment_add(proposal=proposal, user=lead, upload=SimpleUploadedFile("site.PNG", PNG))
    assert (pdf.kind, png.kind) == ("pdf", "png")
    assert pdf.size == len(PDF)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ..."),
        ("fake.pdf", b"<html>not a pdf</html>"),
        ("huge.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)),
        ("empty.png", b""),
    ],
    ids=["wrong-type", "content-does-not-match", "over-5-MB", "empty"],
)
def test_bad_attachments_are_refused(call_a, settings, tmp_path, name, content):
    settings.MEDIA_ROOT = tmp_path
    lead = UserFactory()
    proposal = submit(call_a, lead)
    with pytest.raises(BadAttachment):
        services.attachment_add(proposal=proposal, user=lead, upload=SimpleUploadedFile(name, content))
    assert not proposal.attachments.exists()


def test_a_live_session_proposal_is_promoted_with_its_provenance(call_a, facilitator, city_a):
    session = SessionFactory(consultation=ConsultationFactory(city=city_a))
    challenge = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text="No green spaces")
    item = ItemFactory(session=session, kind=ItemKind.PROPOSAL, text="Pocket parks in every district")
    item.answers.add(challenge)
    proposal = services.proposal_promote(
        call=call_a, item=item, actor=facilitator, team_name="Session 3 winners", requested_amount="4000"
    )
    assert proposal.source_item == item
    assert proposal.source_item.session == session
    assert list(proposal.source_item.answers.all()) == [challenge]
    with pytest.raises(InvalidInput):
        services.proposal_promote(call=call_a, item=item, actor=facilitator, team_name="Again", requested_amount="1")


def test_a_challenge_or_another_citys_item_cannot_be_promoted(call_a, facilitator, city_a, city_b):
    challenge = ItemFactory(session=SessionFactory(consultation=ConsultationFactory(city=city_a)))
    foreign = ItemFactory(session=SessionFactory(consultation=ConsultationFactory(city=city_b)), kind=ItemKind.PROPOSAL)
    for item in (challenge, foreign):
        with pytest.raises(InvalidInput):
            services.proposal_promote(call=call_a, item=item, actor=facilitator, team_name="T", requested_amount="10")


def test_charlie_cannot_promote_into_city_a(call_a, charlie, city_a):
    item = ItemFactory(session=SessionFactory(consultation=ConsultationFactory(city=city_a)), kind=ItemKind.PROPOSAL)
    with pytest.raises(NotAllowed):
        services.proposal_promote(call=call_a, item=item, actor=charlie, team_name="T", requested_amount="10")


def test_call_currency_defaults_to_the_citys(city_a, facilitator):
    call = services.call_create(
        city=city_a,
        actor=facilitator,
        title="Fonds jeunesse",
        budget="200000",
        cap_per_project="20000",
        submission_deadline=timezone.now() + timedelta(days=5),
    )
    assert call.currency == "MAD"
    with pytest.raises(InvalidInput):
        services.call_create(
            city=city_a,
            actor=facilitator,
            title="Bad",
            budget="100",
            cap_per_project="200",
            submission_deadline=timezone.now(),
        )


def test_phases_only_move_forward_and_implementation_needs_a_selection(call_a, facilitator):
    services.call_set_phase(call=call_a, phase=CallPhase.REVIEW, actor=facilitator)
    with pytest.raises(WrongPhase):
        services.call_set_phase(call=call_a, phase=CallPhase.SUBMISSION, actor=facilitator)
    with pytest.raises(WrongPhase):
        services.call_set_phase(call=call_a, phase=CallPhase.IMPLEMENTATION, actor=facilitator)
    call_a.refresh_from_db()
    assert call_a.phase == CallPhase.REVIEW
