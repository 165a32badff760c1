from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        from consultations import (
            exporters,  # noqa: F401  (registers the consultation exporters)
            signals,  # noqa: F401  (connects the receivers)
        )
