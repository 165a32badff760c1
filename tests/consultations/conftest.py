import threading

import pytest
from django.db import connection

from consultations import services
from consultations.models import Phase
from consultations.tokens import participant_token


@pytest.fixture
def consultation(city_a, facilitator):
    return services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )


@pytest.fixture
def live_session(consultation, facilitator):
    return services.session_create(consultation=consultation, title="Session 1", created_by=facilitator)


def join(session, **profile):
    return services.participant_join(code=session.join_code, consent=True, **profile)


def to_phase(session, phase, actor=None):
    return services.session_set_phase(session=session, phase=phase, actor=actor)


def participant_client(api_client, participant):
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(participant)}")
    return api_client


def in_parallel(jobs):
    """Run the callables at once, each in a thread of its own released by one barrier (real parallel requests on
    PostgreSQL); returns (their results, in the jobs' order; the exceptions raised). Each thread closes its
    connection."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(i):
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:  # collected for the test to assert
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def voting_session(city, facilitator, *, items: int, **settings):
    """A session of city in its challenge-voting phase, with `items` approved challenges of one author; settings
    go to session_create (voting method, points). Returns (session, items)."""
    consultation = services.consultation_create(
        city=city, title="Race", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Race", created_by=facilitator, **settings)
    author = join(session)
    to_phase(session, "challenges", facilitator)
    made = [services.item_submit(participant=author, kind="challenge", text=f"Item {i}") for i in range(items)]
    to_phase(session, "challenge_voting", facilitator)
    return session, made


__all__ = ["Phase", "in_parallel", "join", "participant_client", "to_phase", "voting_session"]
