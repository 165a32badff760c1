import json

import openpyxl
import pytest
from django.core.management import call_command

from cities.exports import run_export
from cities.models import ExportLog
from tests.factories import ConsultationFactory, SessionFactory


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
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
    else:
        assert "Key figures" in data.decode("utf-8-sig")
    log = ExportLog.objects.get()
    assert (log.actor, log.channel, log.format, log.options) == (None, "cli", fmt, {"consultation": c.pk})


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
