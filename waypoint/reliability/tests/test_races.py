"""Concurrency over real HTTP (a live server, one thread per client): the same assessment posted 20 times at
once with one Idempotency-Key is stored once; two amendments from the same version: one wins, one gets 409."""

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import COWS
from waypoint.accounts.models import ApiToken
from waypoint.audit import trail as audit
from waypoint.withdrawal import services as withdrawal
from waypoint.withdrawal.models import Assessment

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # slow: real subprocesses or servers


def post_json(url, token, body, headers=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the test's own live server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def all_at_once(count, call):
    """Run call(n) in `count` threads released together; the answers in thread order."""
    barrier, answers = threading.Barrier(count), [None] * count

    def run(n):
        barrier.wait()
        answers[n] = call(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def test_a_retry_storm_of_20_identical_posts_with_one_key_stores_exactly_one_assessment(live_server, nurse, admitted):
    _, token = ApiToken.issue(nurse)
    patient = admitted.patient
    body = {"instrument": "cows", "responses": COWS, "taken_at": (timezone.now() - timedelta(minutes=3)).isoformat()}
    url = f"{live_server.url}/api/v1/patients/{patient.pk}/assessments/"
    answers = all_at_once(20, lambda n: post_json(url, token, body, {"Idempotency-Key": "storm-0001"}))
    assert [status for status, _ in answers] == [201] * 20
    assert len({answer["id"] for _, answer in answers}) == 1
    assert Assessment.objects.filter(patient=patient).count() == 1
    assert audit.verify().intact


def test_two_amendments_from_the_same_version_one_wins_and_one_gets_409(live_server, nurse, admitted):
    _, token = ApiToken.issue(nurse)
    patient = admitted.patient
    original = withdrawal.record_assessment(
        acting_user=nurse,
        patient=patient,
        instrument="cows",
        responses=COWS,
        taken_at=timezone.now() - timedelta(hours=1),
    )
    url = f"{live_server.url}/api/v1/patients/{patient.pk}/assessments/{original.pk}/amend/"

    def amend(n):
        responses = COWS | {"gooseflesh": 3 if n == 0 else 5}
        return post_json(
            url, token, {"responses": responses, "reason": f"rescored by clinician {n}", "version": original.version}
        )

    answers = all_at_once(2, amend)
    assert sorted(status for status, _ in answers) == [201, 409]
    loser = next(body for status, body in answers if status == 409)
    assert "changed since you read it" in loser["version"][0]
    assert Assessment.objects.filter(patient=patient, record_status="final").count() == 1
    assert Assessment.objects.filter(patient=patient, record_status="amended").count() == 1
    assert audit.verify().intact
