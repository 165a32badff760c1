"""Spreadsheet formula injection, tried as an attacker would: a formula typed into every text field a person can
write (names, item texts, team names, organisations, reasons, titles ...), then every CSV and Excel file the
application writes, downloaded through every door: the pages (the exports pages' runs and their download links, the
council page's roster), the API (api:export-run) and the command line (manage.py export). No cell may start a
formula (tests/exports/formulas.py: the attacker's view of a cell, written without the application's rule), and no
XLSX cell may be a formula cell (openpyxl data_type "f").

Nothing is listed by hand that could be enumerated: the text fields are every CharField and TextField of our apps
(minus the machinery's own: codes, hashes, actions), the exporters and their formats come from the registry, and
the pages that answer a spreadsheet to a GET are found by walking the URL configuration, so a new field, exporter or
download page is attacked without editing this file.

Run alone: .venv/bin/python -m pytest tests/hardening/test_formula_injection.py -q
"""

import io
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pandas as pd
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from cities.exports import REGISTRY, escape_cell
from proposals.models import FundingCall
from tests.exports.formulas import CORPUS, starts_formula

from .urlwalk import call, routes_in_scope, url_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

APPS = ("cities", "consultations", "councils", "proposals")
# Text the application writes itself, never a person: a password hash, codes and keys, what the audit and export
# logs name (an action, a model, a format), a language code, a seed.
MACHINERY = {
    ("cities", "User", "password"),
    ("cities", "City", "country"),
    ("cities", "ApiToken", "prefix"),
    ("cities", "AuditEntry", "action"),
    ("cities", "AuditEntry", "target_type"),
    ("cities", "AuditEntry", "target_id"),
    ("cities", "ExportLog", "exporter"),
    ("cities", "ExportLog", "format"),
    ("cities", "ExportLog", "channel"),
    ("consultations", "Participant", "language"),
    ("consultations", "Item", "submission_key"),
    ("councils", "MembershipChange", "action"),
    ("councils", "Election", "lot_seed"),
}
SPREADSHEETS = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# Pages that answer a spreadsheet to a GET, found by test_every_page_that_serves_a_spreadsheet_is_attacked: the
# council page's roster, and the download link of a finished export (reached below through the exports pages).
FILE_PAGES = {"frontend:council_export", "frontend:exports_download"}
WALKERS = ("admin", "analyst", "secretariat", "network_admin")
# Exporters whose files hold no text a person writes: the payloads cannot reach them, so they are not asked to.
WITHOUT_WRITTEN_TEXT = {"consultation_ballots"}  # session, item, kind, points; the profile columns stay empty


def writable_text_fields() -> list[tuple[type[models.Model], models.Field]]:
    """Every text field of our apps a person can write: CharField, TextField and EmailField without choices."""
    fields = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in APPS:
            continue
        for field in meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField) or field.choices or field.primary_key:
                continue
            if isinstance(field, models.SlugField | models.URLField) or field.unique:
                continue
            if (meta.app_label, model.__name__, field.name) in MACHINERY:
                continue
            fields.append((model, field))
    return fields


def _in_unique_constraint(model, field) -> bool:
    groups = [c.fields for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    groups += [tuple(g) for g in model._meta.unique_together]
    return any(field.name in group for group in groups)


def poison(payload: str) -> None:
    """Put payload into every writable text field of every row (cut to the field's length; rows that must differ
    get their id after it; e-mail addresses get it as their local part)."""
    for model, field in writable_text_fields():
        rows = model._base_manager.all()
        if isinstance(field, models.EmailField):
            rows.exclude(**{field.name: ""}).update(**{field.name: "=1+1@example.org"})
            continue
        limit = field.max_length or 10_000
        if _in_unique_constraint(model, field):
            for pk in rows.values_list("pk", flat=True):
                rows.filter(pk=pk).update(**{field.name: f"{payload[: limit - 8]} {pk}"})
        else:
            rows.update(**{field.name: payload[:limit]})


def cells_of(data: bytes, fmt: str) -> list:
    """Every cell of a CSV (read as a spreadsheet program would: every field as text) or of every sheet of an XLSX
    workbook; an XLSX formula cell fails at once."""
    if fmt == "csv":
        frame = pd.read_csv(
            io.BytesIO(data),
            dtype=str,
            keep_default_na=False,
            header=None,
            encoding="utf-8-sig",
            skip_blank_lines=True,
            engine="python",
            on_bad_lines="skip",
            names=range(200),
        )
        return [cell for row in frame.itertuples(index=False) for cell in row if isinstance(cell, str) and cell]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if cell.value is not None:
                    cells.append(cell.value)
    return cells


# --- every door --------------------------------------------------------------------------------------------------


def _options(world, cls) -> dict:
    options = {}
    if "consultation" in cls.options:
        options["consultation"] = world.consultation.pk
    if "call" in cls.required_options:
        options["call"] = FundingCall.objects.filter(city=world.city).order_by("pk").first().pk
    return options


def _spreadsheet_formats(cls) -> list[str]:
    return [fmt for fmt in cls.formats if fmt in SPREADSHEETS.values()]


def _network_slug(world) -> str:
    return world.kwargs["network_slug"]


def page_files(world):
    """The exports pages of the city and of the network: POST a run of every exporter in every spreadsheet format,
    follow the redirect to the ready link and download it; then the council page's roster."""
    for identifier, cls in sorted(REGISTRY.items()):
        network = cls.scope == "network"
        client = world.clients["network_admin" if network else "admin"]
        page = (
            reverse("frontend:network_exports", args=[_network_slug(world)])
            if network
            else reverse("frontend:exports", args=[world.city.slug])
        )
        for fmt in _spreadsheet_formats(cls):
            response = client.post(page, {"exporter": identifier, "format": fmt, **_options(world, cls)})
            assert response.status_code == 302, (identifier, fmt, response.status_code)
            token = parse_qs(urlsplit(response["Location"]).query)["ready"][0]
            download = client.get(reverse("frontend:exports_download", args=[token]))
            assert download.status_code == 200, (identifier, fmt)
            yield f"page {identifier}.{fmt}", identifier, fmt, download.content
    for fmt in ("csv", "xlsx"):
        response = world.clients["secretariat"].get(reverse("frontend:council_export", args=[world.city.slug, fmt]))
        assert response.status_code == 200, fmt
        yield f"page council_export.{fmt}", "council_export", fmt, response.content


def api_files(world, api_clients):
    for identifier, cls in sorted(REGISTRY.items()):
        network = cls.scope == "network"
        options = {"network": _network_slug(world)} if network else (_options(world, cls) or {"city": world.city.slug})
        client = api_clients["network_admin" if network else "admin"]
        for fmt in _spreadsheet_formats(cls):
            response = client.post(
                reverse("api:export-run", args=[identifier]), {"format": fmt, "options": options}, format="json"
            )
            assert response.status_code == 200, (identifier, fmt, response.status_code)
            yield f"api {identifier}.{fmt}", identifier, fmt, response.content


def command_files(world, tmp_path):
    for identifier, cls in sorted(REGISTRY.items()):
        args = [f"--network={_network_slug(world)}"] if cls.scope == "network" else [f"--city={world.city.slug}"]
        args += [f"--{name}={value}" for name, value in _options(world, cls).items()]
        for fmt in _spreadsheet_formats(cls):
            output = tmp_path / f"{identifier}.{fmt}"
            call_command("export", identifier, f"--format={fmt}", f"--output={output}", *args, stdout=io.StringIO())
            yield f"command {identifier}.{fmt}", identifier, fmt, output.read_bytes()


@pytest.fixture
def api_clients(world):
    from cities.models import User

    clients = {}
    for role, email in (("admin", None), ("network_admin", "network@majlis.test")):
        user = User.objects.get(email=email) if email else _fes_admin(world)
        client = APIClient()
        client.force_authenticate(user)
        clients[role] = client
    return clients


def _fes_admin(world):
    from cities.models import StaffRole

    return StaffRole.objects.filter(city=world.city, role="admin").select_related("user").first().user


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_fields_attacked_include_those_the_issue_names():
    attacked = {(m._meta.label, f.name) for m, f in writable_text_fields()}
    for label, name in [
        ("councils.Person", "full_name"),
        ("councils.Person", "organisation"),
        ("councils.Person", "email"),
        ("councils.Candidate", "name"),
        ("consultations.Item", "text"),
        ("proposals.ProjectProposal", "team_name"),
        ("proposals.TeamMember", "name"),
        ("councils.MembershipChange", "reason"),
        ("proposals.SelectionDecision", "override_reason"),
        ("cities.District", "name"),
    ]:
        assert (label, name) in attacked


def test_every_export_of_every_door_writes_no_formula_for_any_payload(world, api_clients, tmp_path):
    """For each payload of the corpus in turn, in every writable text field: every file of every door. Each
    payload must reach every exporter's files (else the test would prove nothing about it). Voting is closed in
    every session first: the anonymous ballot table leaves out sessions whose voting is open. That table holds no
    text a person writes (ids, kinds, points; no profile), so no payload can reach it (WITHOUT_WRITTEN_TEXT)."""
    from consultations.models import Phase, Session

    Session.objects.filter(phase__in=[Phase.CHALLENGE_VOTING, Phase.PROPOSAL_VOTING]).update(phase=Phase.RESULTS)
    problems = []
    for payload in CORPUS:
        poison(payload)
        reached = defaultdict(bool)
        files = [*page_files(world), *api_files(world, api_clients), *command_files(world, tmp_path)]
        assert len(files) >= 3 * sum(len(_spreadsheet_formats(c)) for c in REGISTRY.values()) + 2
        for door, identifier, fmt, data in files:
            for cell in cells_of(data, fmt):
                if starts_formula(cell):
                    problems.append((payload, door, cell))
                if isinstance(cell, str) and cell.startswith(str(escape_cell(payload[:20]))):
                    reached[identifier] = True
        missed = sorted(
            {identifier for _door, identifier, _fmt, _data in files}
            - {k for k, v in reached.items() if v}
            - WITHOUT_WRITTEN_TEXT
        )
        assert not missed, f"payload {payload!r} reached no cell of {missed}: the test would prove nothing there"
    assert not problems, "\n".join(f"{payload!r} via {door}: cell {cell!r}" for payload, door, cell in problems[:30])


def test_every_page_that_serves_a_spreadsheet_is_attacked(world):
    """Walk every page and API route (GET) as the roles that run exports, with a formula in every text field: each
    answer that is a spreadsheet is checked, and its route must be one of FILE_PAGES, which the test above downloads
    for every payload (the POST doors are the registry's, enumerated above)."""
    payload = CORPUS[0]
    poison(payload)
    served = set()
    for route in routes_in_scope():
        formats = ("csv", "xlsx") if "fmt" in route.arguments else (None,)
        for fmt in formats:
            if fmt:
                world.overrides.setdefault(route.name, {})["fmt"] = fmt
            path = url_for(world, route)
            for role in WALKERS:
                response = call(world.clients[role], "GET", path)
                kind = SPREADSHEETS.get(response.get("Content-Type", "").split(";")[0].strip())
                if response.status_code != 200 or kind is None:
                    continue
                served.add(route.name)
                content = b"" if response.streaming else response.content
                for cell in cells_of(content, kind):
                    assert not starts_formula(cell), (route.name, role, cell)
    assert served, "no page served a spreadsheet: the walk proves nothing"
    assert served <= FILE_PAGES, f"pages serving spreadsheets not attacked for every payload: {served - FILE_PAGES}"


def test_the_export_command_is_the_only_command_that_writes_a_file():
    """The command-line door attacked above is manage.py export; a new command of ours taking an output file (or a
    format) would be a door this test does not download yet."""
    from django.core.management import get_commands, load_command_class

    writers = set()
    for name, app in get_commands().items():
        if app.split(".")[0] not in (*APPS, "frontend"):
            continue
        parser = load_command_class(app, name).create_parser("manage.py", name)
        flags = {flag for action in parser._actions for flag in action.option_strings}
        if flags & {"--output", "-o", "--format", "--file"}:
            writers.add(name)
    assert writers == {"export"}
