"""A whole election of a 91-member council, in Arabic and in French, through the pages only: the secretariat
schedules the sitting, prepares and opens the election and prints the slips; every member checks in on their phone
and votes at /e/; the register and the election page show turnout against the members checked in; closing counts."""

import re
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from councils import selectors
from councils.models import Election

from .conftest import signed_in
from .factories import add_member, make_council

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SEATS = 91
NAMES = {"ar": "عضو المجلس {n}", "fr": "Membre du conseil {n}"}


def _phone(lang: str) -> Client:
    client = Client()
    client.cookies["majlis_language"] = lang
    return client


def _t(lang: str, message: str, **params) -> str:
    with translation.override(lang):
        text = translation.gettext(message)
    if lang != "en":
        assert text != message, f"no {lang} translation for {message!r}"
    return text % params if params else text


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_a_91_member_council_elects_its_president_through_the_pages(lang, city_a, secretariat):
    council = make_council(city_a, secretariat, seat_count=SEATS)
    term = council.terms.get()
    members = [
        add_member(term, secretariat, full_name=NAMES[lang].format(n=n), phone=f"+212 611 000 {n:03d}")
        for n in range(1, SEATS + 1)
    ]
    office = signed_in(secretariat)
    office.cookies["majlis_language"] = lang

    # The sitting, with check-in open.
    response = office.post(
        reverse("frontend:council_meetings", args=["fes"]),
        {"title": "Séance / جلسة", "scheduled_at": "2026-12-07T18:00", "place": "Hôtel de ville"},
    )
    assert response.status_code == 302
    meeting = council.meetings.get()
    meeting_url = reverse("frontend:council_meeting", args=["fes", meeting.pk])
    office.post(meeting_url, {"form": "checkin"})
    token = office.get(meeting_url).content.decode().split("/m/")[1].split("/")[0]

    # The election, held at the sitting.
    candidates = members[:3]
    response = office.post(
        reverse("frontend:council_elections", args=["fes"]),
        {
            "title": "Président / الرئيس",
            "role": "president",
            "candidates": [c.pk for c in candidates],
            "quorum_percent": 50,
            "tie_rule": "tie",
            "meeting": meeting.pk,
        },
    )
    assert response.status_code == 302
    election = Election.objects.get(council=council)
    election_url = reverse("frontend:council_election", args=["fes", election.pk])
    assert office.post(election_url, {"action": "open"}).status_code == 302

    slips = office.get(reverse("frontend:council_election_codes", args=["fes", election.pk])).content.decode()
    names = re.findall(r'<p class="slip-name">(.*?)</p>', slips)
    codes = re.findall(r'<strong class="input-code">([A-Z0-9]+)</strong>', slips)
    assert len(names) == len(codes) == SEATS
    code_of = dict(zip(names, codes, strict=True))
    assert _t(lang, "First check in to the meeting with your member code; this code works only after that.") in slips

    # A slip used before its member checks in is refused, and the room sees it.
    early = _phone(lang).post("/e/", {"code": code_of[str(members[-1].person)]})
    assert early.status_code == 409
    assert _t(lang, "Check in to the meeting first.") in early.content.decode()

    # Every member checks in and votes on their own phone.
    plan = [candidates[0]] * 46 + [candidates[1]] * 30 + [candidates[2]] * 10 + [None] * 5
    for member, choice in zip(members, plan, strict=True):
        phone = _phone(lang)
        page = phone.post(f"/m/{token}/", {"code": member.member_code}).content.decode()
        assert _t(lang, "You are checked in. Welcome!") in page
        code = code_of[str(member.person)]
        ballot = phone.post("/e/", {"code": code})
        assert ballot.status_code == 200
        page = ballot.content.decode()
        assert f'lang="{lang}"' in page and ('dir="rtl"' in page) == (lang == "ar")
        assert _t(lang, "Cast my vote") in page and str(candidates[0].person) in page
        done = phone.post("/e/", {"code": code, "choice": str(choice.pk) if choice else "blank"})
        assert done.status_code == 200
        assert _t(lang, "Thank you, your vote is counted.") in done.content.decode()
        assert _t(lang, "See the voters' register: who has voted, never how") in done.content.decode()

    # Turnout against the members checked in, on the election page and the public register.
    page = office.get(election_url).content.decode()
    assert _t(lang, "Ballots cast: %(voted)s · members checked in: %(present)s", voted=SEATS, present=SEATS) in page
    assert _t(lang, "More ballots than members checked in.") not in page
    register_url = re.search(r'href="(https?://[^"]+/e/register/[^"]+/)"', page).group(1)
    register_page = _phone(lang).get(register_url).content.decode()
    assert _t(lang, "Voters' register") in register_page
    assert all(str(m.person) in register_page for m in members)
    register = selectors.election_register(election)
    assert (register.eligible, register.present, register.voted) == (SEATS, SEATS, SEATS)
    assert len(register.incidents) == 1  # the early slip

    # Closing counts.
    assert office.post(election_url, {"action": "close"}).status_code == 302
    election.refresh_from_db()
    counted = Counter({int(pk): votes for pk, votes in election.tally["candidates"].items()})
    assert counted == Counter(c.pk for c in plan if c) and election.tally["blank"] == 5
    assert election.winner == candidates[0] and election.tally["turnout"] == SEATS
    assert str(candidates[0].person) in office.get(election_url).content.decode()
