"""The one road's parsers (consultations/live/ingest.py) never disagree with the API's documented request shapes:
the plain reading of the usual join and vote is what JoinRequest and VoteRequest would validate."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.api.serializers import JoinRequest, VoteRequest
from consultations.live import ingest
from consultations.live.ingest import plain_join as plain_join_request
from consultations.models import AgeBand, Gender, Organisation

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", " ", "  x  ", "\x00", "\ud800", "ar", "fr-CA", "123456789", *AgeBand.values]),
    st.sampled_from([*Gender.values, *Organisation.values, "unsaid", "3", " 3 "]),
    st.lists(st.integers(), max_size=2),
    st.text(alphabet="abc-", min_size=14, max_size=70),
)
_requests = st.dictionaries(
    st.sampled_from(
        ["consent", "age_band", "gender", "district", "organisation", "language", "device", "room_code", "card", "x"]
    ),
    _values,
    max_size=6,
)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_requests, _requests.map(lambda d: {**d, "consent": True}), st.lists(st.integers()), st.text()))
def test_the_plain_request_is_what_the_serializer_would_validate(data):
    plain = plain_join_request(data)
    if plain is None:
        return  # the serializer decides (and words any error)
    serializer = JoinRequest(data=data)
    assert serializer.is_valid(), serializer.errors
    assert plain == dict(serializer.validated_data)


def test_the_usual_requests_take_the_plain_way():
    assert plain_join_request({"consent": True}) == {"consent": True}
    answers = {"consent": True, "age_band": AgeBand.values[0], "gender": "", "district": " 12 ", "language": "ar"}
    assert plain_join_request(answers) == {**answers, "district": "12"}
    assert plain_join_request({"consent": True, "district": None}) == {"consent": True, "district": None}
    for unusual in ({"consent": False}, {"consent": "true"}, {"consent": True, "gender": "x"}, [], "consent"):
        assert plain_join_request(unusual) is None


_vote_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["1", " 2 ", "03", "-1", "1.0", "١", "¹", "x"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.sampled_from(["item", "points", "other"]), _vote_values, max_size=3))
def test_a_vote_is_parsed_as_vote_request_validates_it(data):
    serializer = VoteRequest(data=data)
    if serializer.is_valid():
        assert ingest.parse_vote(data) == dict(serializer.validated_data)
    else:
        with pytest.raises(ingest.Invalid) as refused:
            ingest.parse_vote(data)
        expected = {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}
        assert refused.value.errors == expected
