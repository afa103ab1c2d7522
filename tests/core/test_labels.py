"""`core.labels.LabelledEnum`: the label rides with the member; the value alone goes out."""

from __future__ import annotations

import json
import pickle

import pytest

from core.labels import LabelledEnum
from core.seat_events import SeatStatus


class Colour(LabelledEnum):
    RED = "red", "红"
    GREEN = "green", "绿"


def test_given_a_labelled_member_then_its_value_is_the_plain_string_and_its_label_the_text() -> None:
    assert Colour.RED.value == "red" and Colour.RED.label == "红"
    assert Colour("green") is Colour.GREEN
    assert str(Colour.RED) == "red" and f"{Colour.RED}" == "red" and Colour.RED == "red"
    assert json.dumps({"c": Colour.GREEN}) == '{"c": "green"}'
    assert pickle.loads(pickle.dumps(SeatStatus.WRAP_UP)) is SeatStatus.WRAP_UP
    assert [c.value for c in Colour] == ["red", "green"]


def test_given_an_unknown_value_when_looked_up_then_the_usual_error() -> None:
    with pytest.raises(ValueError):
        Colour("blue")


def test_given_a_member_without_its_label_when_declared_then_refused() -> None:
    with pytest.raises(TypeError, match="no label"):

        class Broken(LabelledEnum):
            ONLY_VALUE = "only_value"
