"""One road for every file a person downloads: the council page's roster goes through the export framework like every
other export (its escaping, its audit, its formats); the pages, the API and the command line read the same options
through cities.exports.export_request and refuse the same bad ones with the same translated message; each export is
audited once."""

import html
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cities.exports import IMPORT, REGISTRY, ExportError, ExportNotFound, export_request, option_choices
from cities.models import AuditEntry, ExportLog
from tests.conftest import token_client
from tests.councils.factories import add_member, make_council
from tests.exports.formulas import starts_formula
from tests.exports.test_escaping import _cells  # the cells of a CSV or Excel file, never a formula

ROOT = Path(settings.BASE_DIR)
NAMES = ('=HYPERLINK("http://x")', "+cmd", "@SUM(1)")


@pytest.fixture(autouse=True)
def _english():
    """A page's request leaves its language active in this thread: each test starts in English."""
    with translation.override("en"):
        yield


def _client(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


# --- the council page's roster -------------------------------------------------------------------------------------


@pytest.fixture
def attacked_roster(city_a, secretariat):
    """A roster whose members signed up with formulas for names (the public opt-in form takes any text)."""
    council = make_council(city_a, actor=secretariat)
    term = council.terms.get()
    for name in NAMES:
        add_member(term, actor=secretariat, full_name=name)
    return term


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_roster_page_download_writes_names_as_text_not_formulas(attacked_roster, secretariat, fmt):
    response = _client(secretariat).get(reverse("frontend:council_export", args=["fes", fmt]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="council_roster-fes-')
    cells = _cells(response.content, fmt)
    for name in NAMES:
        assert "'" + name in cells, name
    assert not [cell for cell in cells if starts_formula(cell)]
    assert cells[0] == "full_name"  # the import's layout: the header first, no title row


def test_the_roster_page_offers_no_format_the_import_layout_lacks(attacked_roster, secretariat):
    client = _client(secretariat)
    for fmt in ("json", "pdf", "html", "doc"):
        assert client.get(reverse("frontend:council_export", args=["fes", fmt])).status_code == 404
    assert not ExportLog.objects.exists()


def test_the_roster_page_is_refused_to_an_analyst_by_the_framework_too(attacked_roster, analyst):
    with pytest.raises(ExportNotFound):
        export_request("council_roster", {"format": "csv"}, user=analyst, city=attacked_roster.council.city)


# --- one audit entry per export ------------------------------------------------------------------------------------


def _page_run(client, city, fmt):
    response = client.post(reverse("frontend:exports", args=[city.slug]), {"exporter": "council_roster", "format": fmt})
    token = re.search(r"\?ready=([\w-]+)$", response["Location"]).group(1)
    return client.get(reverse("frontend:exports_download", args=[token]))


@pytest.mark.parametrize("door", ["roster page", "exports page", "api", "command", "report page"])
def test_one_export_makes_exactly_one_audit_entry(door, city_a, secretariat, council_data, tmp_path):
    api = token_client(secretariat)  # issuing the token is audited: before counting
    audits = AuditEntry.objects.count()
    if door == "roster page":
        response = _client(secretariat).get(reverse("frontend:council_export", args=["fes", "csv"]))
        assert response.status_code == 200
    elif door == "exports page":
        assert _page_run(_client(secretariat), city_a, "xlsx").status_code == 200
    elif door == "api":
        body = {"format": "json", "options": {"city": "fes"}}
        assert api.post("/api/v1/exports/council_roster", body, format="json").status_code == 200
    elif door == "command":
        out = tmp_path / "roster.csv"
        call_command("export", "council_roster", "--city", "fes", "--output", str(out), stdout=io.StringIO())
    else:
        url = reverse("frontend:exports_report", args=["fes", "council_attendance"])
        assert _client(secretariat).get(url).status_code == 200
    log = ExportLog.objects.get()
    assert log.city == city_a and log.exporter in {"council_roster", "council_attendance"}
    assert log.actor == (None if door == "command" else secretariat)
    assert log.channel == {"api": "api", "command": "cli"}.get(door, "web")
    assert AuditEntry.objects.count() == audits  # the export log is the one record, nothing beside it


def test_the_roster_page_logs_its_term_and_format(city_a, secretariat, council_data):
    term = council_data["term"]
    _client(secretariat).get(reverse("frontend:council_export", args=["fes", "xlsx"]), {"term": term.pk})
    log = ExportLog.objects.get()
    assert (log.exporter, log.format, log.options, log.actor) == (
        "council_roster",
        "xlsx",
        {"term": term.pk},
        secretariat,
    )


# --- the three doors read the same options -------------------------------------------------------------------------


def _api(user, options: dict, fmt: str, language: str):
    body = {"format": fmt, "options": {"city": "fes", **options}}
    return token_client(user).post("/api/v1/exports/council_roster", body, format="json", HTTP_ACCEPT_LANGUAGE=language)


def _page(user, options: dict, fmt: str, language: str):
    url = reverse("frontend:exports", args=["fes"])
    return _client(user, language).post(url, {"exporter": "council_roster", "format": fmt, **options})


def _command(options: dict, fmt: str, language: str, out: Path):
    flags = [f"--{name}={value}" for name, value in options.items()]
    call_command(
        "export", "council_roster", "--city=fes", f"--format={fmt}", f"--language={language}", f"--output={out}", *flags
    )


@pytest.mark.parametrize(
    ("options", "fmt", "message"),
    [
        ({}, "pdf", ("This export is not offered as %(format)s.", {"format": "pdf"})),
        ({"term": 999999}, "csv", ("Unknown %(name)s: %(value)s.", {"name": "term", "value": 999999})),
    ],
    ids=["format not offered", "term of no council of the city"],
)
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_three_doors_refuse_a_bad_option_with_the_same_translated_message(
    city_a, secretariat, council_data, tmp_path, options, fmt, message, language
):
    with translation.override(language):
        expected = gettext(message[0]) % message[1]
    assert expected != message[0] % message[1]  # translated indeed
    api = _api(secretariat, options, fmt, language)
    assert api.status_code == 400 and api.json()["detail"] == expected
    page = _page(secretariat, options, fmt, language)
    assert page.status_code == 400
    shown = re.search(r'<p class="field-error" role="alert">(.*?)</p>', page.content.decode(), re.S).group(1)
    assert html.unescape(shown) == expected
    out = tmp_path / f"roster.{fmt}"
    with pytest.raises(CommandError) as refused:
        _command(options, fmt, language, out)
    assert str(refused.value) == expected
    assert not out.exists() and not ExportLog.objects.exists()


def test_the_three_doors_accept_the_same_options_and_give_the_same_file(city_a, secretariat, council_data, tmp_path):
    term = council_data["term"]
    options = {"term": term.pk}
    api = _api(secretariat, options, "csv", "fr")
    assert api.status_code == 200
    page = _page(secretariat, options, "csv", "fr")
    token = re.search(r"\?ready=([\w-]+)$", page["Location"]).group(1)
    download = _client(secretariat, "fr").get(reverse("frontend:exports_download", args=[token]))
    out = tmp_path / "roster.csv"
    _command(options, "csv", "fr", out)
    assert api.content == download.content == out.read_bytes()
    assert "Member 0" in out.read_text(encoding="utf-8-sig")
    assert [log.options for log in ExportLog.objects.all()] == [options] * 3


# --- export_request, the one reading of the options -----------------------------------------------------------------


def test_export_request_checks_language_and_ids(city_a, council_data):
    with pytest.raises(ExportError, match="Unknown language: xx"):
        export_request("council_roster", {"city": "fes", "language": "xx"})
    with pytest.raises(ExportError, match="Unknown term: abc"):
        export_request("council_roster", {"city": "fes", "term": " abc "})
    export = export_request("council_roster", {"city": "fes", "term": f" {council_data['term'].pk} ", "language": "ar"})
    assert (export.city, export.options, export.language, export.fmt) == (
        city_a,
        {"term": council_data["term"].pk},
        "ar",
        "csv",
    )


def test_export_request_finds_the_city_of_the_object_named_among_the_users_cities_only(
    city_a, secretariat, charlie, council_data
):
    values = {"term": council_data["term"].pk}
    assert export_request("council_roster", values, user=secretariat).city == city_a
    with pytest.raises(ExportNotFound):
        export_request("council_roster", values, user=charlie)


def test_an_explicit_city_wins_and_an_object_of_another_city_is_unknown_there(city_a, city_b, charlie, council_data):
    values = {"city": city_b.slug, "term": council_data["term"].pk}
    with pytest.raises(ExportError, match="Unknown term"):
        export_request("council_roster", values)


def test_a_city_page_does_not_run_a_network_export(city_a, network, network_admin):
    with pytest.raises(ExportNotFound):
        export_request("network_key_figures", {"network": "med"}, user=network_admin, city=city_a)


def test_the_import_layout_is_only_for_exporters_that_have_one(city_a, council_data):
    with pytest.raises(ExportError):
        export_request("council_attendance", {"city": "fes"}, layout=IMPORT)
    with pytest.raises(ExportError, match="not offered as json"):
        export_request("council_roster", {"city": "fes", "format": "json"}, layout=IMPORT)


def test_the_exports_page_offers_the_objects_of_its_city_only(city_a, city_b, secretariat, council_data):
    term = council_data["term"]
    other = make_council(city_b).terms.get()
    roster = REGISTRY["council_roster"]
    assert option_choices(roster, "term", city_a) == [(term.pk, str(term))]
    assert option_choices(roster, "term", city_b) == [(other.pk, str(other))]
    page = _client(secretariat).get(reverse("frontend:exports", args=["fes"])).content.decode()
    select = re.search(r'<select name="term" id="id_council_roster_term".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)">', select) == [str(term.pk)]


# --- the framework's place ------------------------------------------------------------------------------------------

OUR_APPS = ("consultations", "councils", "proposals", "frontend")


def test_the_export_framework_knows_none_of_our_apps():
    """cities holds the framework, its report template and the export command: it imports none of the apps that
    register exporters, and names none of their templates or static files."""
    sources = [p for p in (ROOT / "cities").rglob("*") if p.suffix in {".py", ".html"} and "migrations" not in p.parts]
    assert ROOT / "cities" / "templates" / "cities" / "exports" / "report.html" in sources
    assert ROOT / "cities" / "management" / "commands" / "export.py" in sources
    mention = re.compile(rf"^\s*(from|import)\s+({'|'.join(OUR_APPS)})\b|['\"]({'|'.join(OUR_APPS)})/", re.M)
    found = [f"{p.relative_to(ROOT)}: {m.group(0).strip()}" for p in sources for m in mention.finditer(p.read_text())]
    assert not found


# Answers that hand a file over without the framework, each with why it is not an export.
NOT_EXPORTS = {
    "config/api_schema.py": "the OpenAPI schema, shown inline",
    "frontend/views/projects.py": "a proposal's attachment, served as uploaded (FileResponse)",
}


def test_no_file_is_written_or_handed_over_outside_the_framework():
    """Every CSV and Excel file is written by cities/exports.py, and every export handed over by its
    export_response: no other module writes a spreadsheet, and only the answers of NOT_EXPORTS set an attachment."""
    writers = re.compile(r"csv\.writer|\.to_csv\(|\.to_excel\(|ExcelWriter|Workbook\(")
    handing = re.compile(r"Content-Disposition|FileResponse")
    sources = [
        p
        for app in ("cities", *OUR_APPS, "config")
        for p in (ROOT / app).rglob("*.py")
        if "migrations" not in p.parts and p != ROOT / "cities" / "exports.py"
    ]
    assert not [str(p.relative_to(ROOT)) for p in sources if writers.search(p.read_text())]
    handed = {str(p.relative_to(ROOT)) for p in sources if handing.search(p.read_text())}
    assert handed <= set(NOT_EXPORTS), handed - set(NOT_EXPORTS)
