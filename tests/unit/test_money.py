import pytest

from pos.errors import InvalidInput
from pos.money import allocate, format_percent_bp, format_vnd, parse_vnd, percent_of


def test_amounts_look_like_vietnamese_dong():
    assert format_vnd(120000) == "120.000 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(99_999_999) == "99.999.999 ₫"
    assert format_vnd(-5000) == "-5.000 ₫"


@pytest.mark.parametrize("typed, expected", [("125.000", 125000), ("125,000", 125000), ("125000", 125000),
                                             ("125.000 ₫", 125000), (" 50.000đ ", 50000), (7000, 7000)])
def test_cashier_can_type_amounts_the_ways_vietnamese_write_them(typed, expected):
    assert parse_vnd(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "12.5e3", "-5000", "1.000,5x", "", True, "99999999999"])
def test_malformed_or_absurd_amounts_are_refused_naming_the_field(typed):
    with pytest.raises(InvalidInput) as err:
        parse_vnd(typed, field="price_vnd")
    assert err.value.field == "price_vnd"


def test_zero_can_be_refused_where_it_makes_no_sense():
    with pytest.raises(InvalidInput):
        parse_vnd("0", field="amount", allow_zero=False)


@pytest.mark.parametrize("total, weights", [
    (10_000, [1, 1, 1]), (1, [1, 1, 1]), (99_999, [95_000, 110_000, 85_000, 3]),
    (7, [3, 3, 3, 3, 3, 3, 3, 3]), (0, [5, 5]), (123_457, [1]),
])
def test_discount_allocation_adds_up_to_the_dong_for_awkward_splits(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
    # No share is more than one đồng away from its exact proportional value.
    for share, w in zip(shares, weights):
        assert abs(share * sum(weights) - total * w) < sum(weights)


def test_allocation_gives_leftover_dong_to_the_largest_remainders_first():
    # 100 over 1:1:1 -> 33.33 each; one đồng left goes to the first line (ties to the earlier).
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    # 10 over 3:1 -> 7.5 and 2.5; tie again goes to the earlier line.
    assert allocate(10, [3, 1]) == [8, 2]


def test_percentages_round_half_up_to_the_dong():
    assert percent_of(125_000, 1000) == 12_500
    assert percent_of(15, 1000) == 2  # 1.5 -> 2
    assert percent_of(14, 1000) == 1


def test_rates_show_as_vietnamese_percentages():
    assert format_percent_bp(1000) == "10"
    assert format_percent_bp(250) == "2,5"
    assert format_percent_bp(1234) == "12,34"
    assert format_percent_bp(None) == ""
