"""Typed amounts and quantities: what a Vietnamese user types is read exactly, and what could mean two
numbers ("1.5", "1,5", "2.0") is refused with a message instead of being guessed."""
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pos.errors import InvalidInput
from pos.money import MAX_VND, format_number, format_vnd, parse_vnd
from pos.services import validate as v

dong = st.integers(min_value=0, max_value=MAX_VND)


@given(dong)
@example(0)
@example(MAX_VND)
@example(1_000)
def test_every_amount_shown_reads_back_as_the_same_dong(x):
    assert parse_vnd(format_number(x)) == x
    assert parse_vnd(format_vnd(x)) == x
    assert parse_vnd(format_number(x).replace(".", ",")) == x
    assert parse_vnd(format_number(x).replace(".", "\u00a0") + "\u00a0₫") == x
    assert parse_vnd(format_number(x) + "đ") == x
    assert parse_vnd(str(x)) == x
    assert parse_vnd(x) == x


@pytest.mark.parametrize("typed, expected", [
    ("1.250.000", 1_250_000), ("1,250,000", 1_250_000), ("1250000", 1_250_000), ("1.250.000 ₫", 1_250_000),
    ("120.000đ", 120_000), ("120.000 VNĐ", 120_000), ("  1 250 000  ", 1_250_000), ("1.250", 1_250),
    ("\u00a0125.000\u00a0₫", 125_000), ("0", 0), ("007", 7),
])
def test_the_ways_vietnamese_write_an_amount_keep_working(typed, expected):
    assert parse_vnd(typed) == expected


@pytest.mark.parametrize("typed", ["1.5", "1,5", "12.50", "1.2345", "1.250,00", "1,250.000", "1,250,000.00",
                                   ".500", ",500", "1.000.", "0.500", "1..000", "1.000,5", "1.25.000", "2.0",
                                   "1 5"])
def test_an_amount_that_could_mean_two_things_is_refused_with_a_message_naming_it(typed):
    with pytest.raises(InvalidInput) as err:
        parse_vnd(typed, field="price_vnd")
    assert err.value.field == "price_vnd"
    assert typed.strip() in err.value.text  # the message quotes what was typed
    assert "ba chữ số" in err.value.text


@pytest.mark.parametrize("value", [1.5, 100000.0, 1.0, True, False, float("nan")])
def test_floats_and_booleans_are_not_amounts(value):
    with pytest.raises(InvalidInput):
        parse_vnd(value, field="tendered_vnd")


groups = st.lists(st.text(alphabet="0123456789", min_size=1, max_size=5), min_size=2, max_size=4)


@given(groups, st.sampled_from([".", ",", " "]))
def test_a_separator_not_followed_by_exactly_three_digits_is_refused(parts, sep):
    typed = sep.join(parts)
    well_grouped = 1 <= len(parts[0]) <= 3 and parts[0][0] != "0" and all(len(p) == 3 for p in parts[1:])
    if well_grouped and int("".join(parts)) <= MAX_VND:
        assert parse_vnd(typed) == int("".join(parts))
    else:
        with pytest.raises(InvalidInput):
            parse_vnd(typed)


@given(st.text(alphabet="0123456789.,  \u00a0-+e₫đabc", max_size=20))
@example("1.250,00")
@example("1,5")
def test_random_typing_is_either_refused_or_read_as_exactly_its_digits(typed):
    try:
        value = parse_vnd(typed)
    except InvalidInput:
        return
    digits = "".join(re.findall(r"[0-9]", typed))
    assert value == int(digits)
    # Accepted only when every separator splits groups of three.
    core = re.sub(r"\s*(₫|đ)$", "", typed.replace("\u00a0", " ").strip()).strip()
    assert re.fullmatch(r"[0-9]+|[1-9][0-9]{0,2}([., ])[0-9]{3}(\1[0-9]{3})*", core)


# --- whole numbers: quantities, ids, counts of notes ----------------------------------------


@pytest.mark.parametrize("typed, expected", [("2", 2), (" 12 ", 12), ("1.000", 1000), ("1,000", 1000), (7, 7),
                                             ("-3", -3), ("+4", 4)])
def test_quantities_are_read_as_typed(typed, expected):
    assert v.integer({"qty": typed}, "qty") == expected


@pytest.mark.parametrize("typed", ["1.5", "2.0", "1,5", "10.00", "1.0000", ".5", "2.", "1e3", "abc", "½", "²"])
def test_a_quantity_with_a_fraction_is_refused_never_read_as_more(typed):
    with pytest.raises(InvalidInput) as err:
        v.integer({"qty": typed}, "qty", minimum=1)
    assert err.value.field == "qty"


@pytest.mark.parametrize("value", [1.5, 2.0, 1.0, True, False, [1], {"a": 1}])
def test_floats_booleans_and_lists_are_not_whole_numbers(value):
    with pytest.raises(InvalidInput):
        v.integer({"qty": value}, "qty")


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_a_json_integer_reaches_the_service_unchanged(n):
    assert v.integer({"qty": n}, "qty") == n
    if 0 <= n <= MAX_VND:
        assert v.money({"amount_vnd": n}, "amount_vnd") == n


@given(st.text(alphabet="0123456789.,  -+", min_size=1, max_size=15))
@example("2.0")
@example("1.5")
def test_integer_never_returns_a_number_other_than_the_digits_typed(typed):
    try:
        value = v.integer({"qty": typed}, "qty")
    except InvalidInput:
        return
    digits = "".join(re.findall(r"[0-9]", typed))
    assert abs(value) == int(digits)
    assert (value < 0) == (typed.strip().startswith("-") and int(digits) != 0)


# --- percentages -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed, bp", [("10", 1000), ("2,5", 250), ("2.5", 250), ("12,34", 1234), ("10 %", 1000),
                                       ("10%", 1000), ("0", 0), ("100", 10000), (15, 1500)])
def test_rates_keep_their_decimal_part(typed, bp):
    assert v.percent_bp({"rate": typed}, "rate") == bp


@pytest.mark.parametrize("typed", ["abc", "1e2", "-5", "½", "²", "2,555", "1.2.3", ".5", "10%%", "101", "nan",
                                   "inf", "1 0", True])
def test_garbage_rates_are_refused(typed):
    with pytest.raises(InvalidInput) as err:
        v.percent_bp({"rate": typed}, "rate")
    assert err.value.field == "rate"


@given(st.text(max_size=8))
def test_any_typed_rate_is_refused_or_within_0_to_100_percent(typed):
    try:
        bp = v.percent_bp({"rate": typed}, "rate")
    except InvalidInput:
        return
    assert 0 <= bp <= 10_000
