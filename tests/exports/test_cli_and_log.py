import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cities.exports import run_export
from cities.models import ExportLog
from tests.factories import ConsultationFactory, SessionFactory


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "html"])
def test_cli_writes_each_format_and_logs_as_platform(city_a, tmp_path, fmt):
    c = ConsultationFactory(city=city_a)
    SessionFactory(consultation=c)
    out = tmp_path / f"summary.{fmt}"
    call_command("export", "consultation_summary", "--format", fmt, "--output", str(out), "--consultation", str(c.pk))
    data = out.read_bytes()
    if fmt == "json":
        assert json.loads(data)["Key figures"][0]["sessions"] == 1
    elif fmt == "xlsx":
        assert "Key figures" in openpyxl.load_workbook(out).sheetnames
    elif fmt == "html":
        html = data.decode()
        assert html.startswith("<!doctype html>") and "<script" not in html and "<style>" in html
    else:
        assert "Key figures" in data.decode("utf-8-sig")
    log = ExportLog.objects.get()
    assert (log.actor, log.channel, log.format, log.options) == (None, "cli", fmt, {"consultation": c.pk})


def test_cli_html_report_in_arabic_is_right_to_left(city_a, summary_data, tmp_path):
    out = tmp_path / "report.html"
    call_command(
        "export",
        "consultation_summary",
        "--format",
        "html",
        "--language",
        "ar",
        "--output",
        str(out),
        "--consultation",
        str(summary_data.consultation.pk),
    )
    html = out.read_text()
    assert '<html lang="ar" dir="rtl">' in html and 'direction="rtl"' in html


@pytest.mark.parametrize(
    ("identifier", "args", "table"),
    [
        ("council_roster", ["--city", "fes"], "Roster"),
        ("council_attendance", ["--city", "fes"], "Attendance per meeting"),
        ("council_elections", ["--city", "fes"], "Elections"),
    ],
)
def test_cli_council_exporters(city_a, council_data, tmp_path, identifier, args, table):
    out = tmp_path / "out.json"
    call_command("export", identifier, "--format", "json", "--output", str(out), *args)
    assert json.loads(out.read_bytes())[table]


def test_cli_roster_of_a_given_term(city_a, council_data, tmp_path):
    out = tmp_path / "roster.csv"
    call_command("export", "council_roster", "--output", str(out), "--term", str(council_data["term"].pk))
    assert "Member 0" in out.read_text(encoding="utf-8-sig")
    assert ExportLog.objects.get().city == city_a


def test_cli_funding_exporters(city_a, funding_data, tmp_path):
    out = tmp_path / "results.json"
    call_command(
        "export",
        "funding_call_results",
        "--format",
        "json",
        "--output",
        str(out),
        "--call",
        str(funding_data["call"].pk),
    )
    assert len(json.loads(out.read_bytes())["Proposals and decisions"]) == 3
    book = tmp_path / "portfolio.xlsx"
    call_command("export", "project_portfolio", "--format", "xlsx", "--output", str(book), "--city", "fes")
    assert openpyxl.load_workbook(book)["Projects"]["A2"].value == "Library corner"


def test_cli_network_key_figures(network, tmp_path):
    out = tmp_path / "network.json"
    call_command("export", "network_key_figures", "--format", "json", "--output", str(out), "--network", "med")
    rows = json.loads(out.read_bytes())["Key figures by city"]
    assert [r["city"] for r in rows] == ["Fes", "Saida", "Total"]
    assert ExportLog.objects.get().options == {"network": "med"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing_such"], "Unknown exporter"),
        (["consultation_summary"], "needs --consultation"),
        (["consultation_summary", "--consultation", "999999"], "needs --consultation"),
        (["network_key_figures"], "needs --network"),
        (["council_attendance", "--city", "nowhere"], "No city"),
    ],
)
def test_cli_bad_input_is_a_clear_error_and_writes_nothing(db, tmp_path, args, message):
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=message):
        call_command("export", *args, "--output", str(out))
    assert not out.exists() and not ExportLog.objects.exists()


def test_cli_city_without_council_is_a_clear_error(city_a, tmp_path):
    with pytest.raises(CommandError, match="no youth council"):
        call_command("export", "council_attendance", "--city", "fes", "--output", str(tmp_path / "x.csv"))


def test_run_export_refuses_charlie_and_logs_nothing(city_a, charlie):
    c = ConsultationFactory(city=city_a)
    with pytest.raises(LookupError):
        run_export(
            identifier="consultation_summary",
            city=city_a,
            fmt="csv",
            options={"consultation": c.pk},
            actor=charlie,
            channel="web",
        )
    assert not ExportLog.objects.exists()


def test_run_export_logs_who_what_format(city_a, analyst):
    c = ConsultationFactory(city=city_a)
    run_export(
        identifier="consultation_summary",
        city=city_a,
        fmt="json",
        options={"consultation": c.pk},
        actor=analyst,
        channel="web",
    )
    log = ExportLog.objects.get()
    assert (log.actor, log.city, log.exporter, log.channel) == (analyst, city_a, "consultation_summary", "web")
