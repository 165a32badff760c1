"""Item.tally: the sum of an item's ballot points, kept by the ballot services (see models.Item)."""

from django.db import migrations, models
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce


def count_existing_ballots(apps, schema_editor):
    Item = apps.get_model("consultations", "Item")
    Ballot = apps.get_model("consultations", "Ballot")
    sums = (
        Ballot.objects.filter(item=OuterRef("pk")).order_by().values("item").annotate(total=Sum("points")).values("total")
    )
    Item.objects.using(schema_editor.connection.alias).update(
        tally=Coalesce(Subquery(sums, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0002_item_submission_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="tally",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="votes"),
        ),
        migrations.RunPython(count_existing_ballots, migrations.RunPython.noop, elidable=True),
    ]
