"""Roster import (all or nothing, problems by row and column) and export (CSV and Excel round trip)."""

import io

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import translation

from councils import services
from councils.errors import RosterImportError
from councils.exporters import RosterExporter
from councils.models import Membership, Person

pytestmark = pytest.mark.django_db

HEADER = "full_name,gender,date_of_birth,district,role,selection_method,starts_on,phone,committees,guardian_consent\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def test_a_good_csv_imports_every_row(term, council, secretariat):
    services.committee_create(council=council, name="Culture", actor=secretariat)
    data = _csv(
        "Salma Alaoui,female,2001-05-02,Saiss,member,elected,2026-01-15,+212600000001,Culture,",
        "Youssef Tazi,Male,2000-02-03,فاس المدينة,Vice-president,Appointed,2026-01-15,,,",
        "Hiba Idrissi,F,2010-01-01,Saiss,member,lot,2026-01-15,,,yes",
    ).replace(b",F,", b",female,")
    created = services.roster_import(term=term, data=data, filename="roster.csv", actor=secretariat)
    assert len(created) == 3
    youssef = Membership.objects.get(person__full_name="Youssef Tazi")
    assert youssef.person.gender == "male" and youssef.role == "vice_president"
    assert youssef.person.district.name == "Fes-Medina"
    assert Membership.objects.get(person__full_name="Salma Alaoui").committees.get().name == "Culture"
    assert Membership.objects.get(person__full_name="Hiba Idrissi").guardian_consent_at is not None


def test_one_bad_row_imports_nothing_and_every_problem_names_its_row_and_column(term, secretariat):
    data = _csv(
        "Salma Alaoui,female,2001-05-02,Saiss,member,elected,2026-01-15,,,",
        "Bad Gender,robot,2001-05-02,Saiss,member,elected,2026-01-15,,,",
        "Bad Date,male,02/30/2001,Nowhere,member,elected,,,,",
        "Minor,male,2012-01-01,Saiss,member,elected,2026-01-15,,,",
    )
    with pytest.raises(RosterImportError) as info:
        services.roster_import(term=term, data=data, filename="roster.csv", actor=secretariat)
    problems = {(row, column) for row, column, _message in info.value.problems}
    assert (3, "gender") in problems
    assert {(4, "date_of_birth"), (4, "district"), (4, "starts_on")} <= problems
    assert (5, "guardian_consent") in problems
    assert not Membership.objects.exists() and not Person.objects.exists()


def test_import_problems_are_reported_in_the_users_language(term, secretariat):
    with translation.override("fr"), pytest.raises(RosterImportError) as info:
        services.roster_import(term=term, data=b"name\nx\n", filename="roster.csv", actor=secretariat)
    assert info.value.problems[0][:2] == (1, "full_name")
    assert isinstance(str(info.value.problems[0][2]), str)


def test_more_rows_than_free_seats_imports_nothing(city_a, secretariat):
    from .factories import make_council

    council = make_council(city_a, secretariat, seat_count=1)
    term = council.terms.get()
    data = _csv(
        "A One,female,2001-05-02,Saiss,member,elected,2026-01-15,,,",
        "B Two,male,2001-05-02,Saiss,member,elected,2026-01-15,,,",
    )
    with pytest.raises(RosterImportError) as info:
        services.roster_import(term=term, data=data, filename="roster.csv", actor=secretariat)
    assert info.value.problems[0][0] == 3
    assert not Membership.objects.exists()


def test_a_duplicate_row_is_reported(term, secretariat):
    data = _csv(
        "A One,female,2001-05-02,Saiss,member,elected,2026-01-15,0600000001,,",
        "A One,female,2001-05-02,Saiss,member,elected,2026-01-15,0600000001,,",
    )
    with pytest.raises(RosterImportError) as info:
        services.roster_import(term=term, data=data, filename="roster.csv", actor=secretariat)
    assert info.value.problems == [(3, "full_name", info.value.problems[0][2])]


@pytest.mark.parametrize("content", [b"\x00\x01garbage", b""])
def test_an_unreadable_file_imports_nothing(term, secretariat, content):
    with pytest.raises(RosterImportError):
        services.roster_import(term=term, data=content, filename="roster.xlsx", actor=secretariat)


def test_a_file_of_another_type_is_refused(term, secretariat):
    with pytest.raises(RosterImportError):
        services.roster_import(term=term, data=b"x", filename="roster.pdf", actor=secretariat)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_into_a_new_term(council, term, members, secretariat, fmt):
    data, _type, filename = RosterExporter().export(term, fmt)
    frame = pd.read_excel(io.BytesIO(data)) if fmt == "xlsx" else pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(frame) == 4 and "member_code" in frame.columns
    import datetime

    new_term = services.term_create(
        council=council,
        name="next",
        starts_on=datetime.date(2030, 1, 1),
        ends_on=datetime.date(2033, 1, 1),
        actor=secretariat,
    )
    created = services.roster_import(term=new_term, data=data, filename=filename, actor=secretariat)
    assert sorted(m.person.full_name for m in created) == sorted(m.person.full_name for m in members)


def test_import_page_lists_problems_and_writes_nothing(council, term, secretariat_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.csv", _csv("X,robot,2001-05-02,Saiss,member,elected,2026-01-15,,,"))
    response = secretariat_client.post(
        reverse("frontend:council_import", args=["fes"]), {"file": upload, "term": term.pk}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported" in body and "<code>gender</code>" in body
    assert not Membership.objects.exists()


def test_import_page_imports_a_good_file(council, term, secretariat_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("roster.csv", _csv("X Y,female,2001-05-02,Saiss,member,elected,2026-01-15,,,"))
    response = secretariat_client.post(
        reverse("frontend:council_import", args=["fes"]), {"file": upload, "term": term.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.count() == 1


def test_excel_export_download(council, members, secretariat_client):
    response = secretariat_client.get(reverse("frontend:council_export", args=["fes", "xlsx"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    frame = pd.read_excel(io.BytesIO(response.content))
    assert set(frame["full_name"]) == {m.person.full_name for m in members}
