from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("Proposals")

    def ready(self) -> None:
        from proposals import exporters  # noqa: F401  (registers this app's exporters)
