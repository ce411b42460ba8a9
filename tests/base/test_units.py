import pytest

from funnelsim.base.units import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("90s", 90 / 86400),
        ("15m", 15 / 1440),
        ("2h", 2 / 24),
        ("3d", 3.0),
        ("2w", 14.0),
        ("1.5d", 1.5),
        (" 4h ", 4 / 24),
    ],
)
def test_durations_parse_to_days(text, days):
    assert parse_duration(text) == pytest.approx(days, rel=1e-12)


@pytest.mark.parametrize("bad", ["10", 10, "3 days", "h", "-2h", True, None, "2y"])
def test_durations_without_a_known_unit_are_refused(bad):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(bad)


@pytest.mark.parametrize("text", ["2w", "3d", "2h", "15m", "90s"])
def test_format_round_trips(text):
    assert parse_duration(format_duration(parse_duration(text))) == pytest.approx(
        parse_duration(text)
    )
