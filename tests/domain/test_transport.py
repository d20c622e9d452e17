from datetime import UTC, datetime, timedelta

from clinic.domain.transport import (
    RideDetails,
    check_in_refusal,
    discharge_refusal,
    in_digest,
    is_at_risk,
    moved_pickup,
    ride_errors,
    ride_link_spent,
)

ALL = ("driver", "taxi", "medical_transport")
START = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


def test_a_missing_ride_needs_nothing_else_but_an_arranged_one_needs_details():
    assert ride_errors(RideDetails("missing", None, None, None), ALL) == {}
    errors = ride_errors(RideDetails("arranged", "driver", None, None), ALL)
    assert set(errors) == {"contact_name", "contact_phone"}
    assert ride_errors(RideDetails("arranged", "taxi", None, "+16175550100"), ALL) == {}
    assert set(ride_errors(RideDetails("confirmed", None, "Sam", "+16175550100"), ALL)) == {"mode"}


def test_a_mode_the_location_does_not_allow_is_refused_by_name():
    errors = ride_errors(RideDetails("arranged", "taxi", "Cab Co", "+16175550100"), ("driver",))
    assert "taxi" in errors["mode"][0]
    assert set(ride_errors(RideDetails("flying", None, None, None), ALL)) == {"status"}


def test_check_in_and_discharge_rules():
    assert check_in_refusal(True, "missing")
    assert check_in_refusal(True, None)
    assert check_in_refusal(True, "arranged") is None
    assert check_in_refusal(False, None) is None
    assert discharge_refusal(True, "confirmed")
    assert discharge_refusal(True, "verified") is None
    assert discharge_refusal(False, "missing") is None


def test_at_risk_window_edges():
    window = timedelta(hours=48)
    assert is_at_risk(START, "arranged", START - window, window)  # exactly 48 h ahead counts
    assert not is_at_risk(START, "arranged", START - window - timedelta(seconds=1), window)
    assert not is_at_risk(START, "confirmed", START - timedelta(hours=1), window)
    assert not is_at_risk(START, "missing", START, window)  # started: no longer a ride to chase
    assert in_digest(START, "missing", START - timedelta(hours=24))
    assert not in_digest(START, "missing", START - timedelta(hours=25))


def test_pickup_follows_the_visit():
    pickup = START + timedelta(hours=2, minutes=30)
    assert moved_pickup(pickup, START + timedelta(hours=2), START + timedelta(hours=5)) == pickup + timedelta(
        hours=3
    )


def test_a_ride_link_confirms_once_and_spends_the_links_sent_before():
    sent = START - timedelta(days=3)
    assert not ride_link_spent(sent, None, "missing")
    assert not ride_link_spent(sent, None, "confirmed")  # confirmed by staff: the patient may still change it
    confirmed = sent + timedelta(hours=2)
    for status in ("confirmed", "missing", "verified"):
        assert ride_link_spent(sent, confirmed, status)
    assert ride_link_spent(confirmed, confirmed, "missing")  # sent in the same instant: used


def test_a_link_sent_after_the_confirmation_works_only_once_staff_reopen_the_ride():
    confirmed = START - timedelta(days=2)
    sent_later = confirmed + timedelta(hours=5)
    assert ride_link_spent(sent_later, confirmed, "confirmed")
    assert not ride_link_spent(sent_later, confirmed, "missing")
    assert not ride_link_spent(sent_later, confirmed, "arranged")
