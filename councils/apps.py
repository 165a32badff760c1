from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "councils"
    verbose_name = _("Councils")

    def ready(self) -> None:
        from councils import exporters  # noqa: F401  (registers this app's exporters)
