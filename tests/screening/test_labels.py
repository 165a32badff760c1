"""Every flag the screen raises has a label a facilitator can read, in Arabic and French too."""

import pytest
from django.utils import translation

from consultations.screening import FLAGS
from frontend.views.sessions import FLAG_LABELS


def test_every_flag_has_a_label():
    assert set(FLAG_LABELS) == set(FLAGS)


@pytest.mark.parametrize("language", ["ar", "fr"])
@pytest.mark.parametrize("flag", FLAGS)
def test_flag_labels_are_translated(language, flag):
    with translation.override("en"):
        english = str(FLAG_LABELS[flag])
    with translation.override(language):
        assert str(FLAG_LABELS[flag]) != english
