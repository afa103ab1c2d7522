"""Phone numbers are masked by their shape, wherever they sit in the data."""

from __future__ import annotations

import pytest

from core.privacy import mask_phone_numbers, mask_text, restore_masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Channel names: the finding (62 full numbers in 150 s to city-wide roles).
        ("PJSIP/13900139000-00000012", "PJSIP/139****9000-00000012"),
        ("Local/13900139000@hotline-callback-0000001a;1", "Local/139****9000@hotline-callback-0000001a;1"),
        ("SIP/trunk-13812345678", "SIP/trunk-138****5678"),
        # Mobiles in other spellings.
        ("+8613900139000", "+86139****9000"),
        ("0086 139-0013-9000", "0086 139-****-9000"),
        ("139 0013 9000", "139 **** 9000"),
        ("来电13900139000已接通", "来电139****9000已接通"),
        # Landlines with and without area code.
        ("021-62345678", "021-****5678"),
        ("02162345678", "021****5678"),
        ("(0755)23456789", "(075*)****6789"),  # 12 digits: 5 hidden, as mask_number does
        ("62345678", "****5678"),
        ("两个号码 13900139000 和 021-62345678", "两个号码 139****9000 和 021-****5678"),
        # Kept readable: seat ids, service numbers, codes, Asterisk ids, timestamps.
        ("1001", "1001"),
        ("seat-1001", "seat-1001"),
        ("12345", "12345"),
        ("12348", "12348"),
        ("请转 12345 市民热线", "请转 12345 市民热线"),
        ("q-310106-labor", "q-310106-labor"),
        ("310106", "310106"),
        ("310106001", "310106001"),
        ("310106001000", "310106001000"),
        ("1795300000.16", "1795300000.16"),
        ("2026-11-23T02:00:00+00:00", "2026-11-23T02:00:00+00:00"),
        ("PJSIP/1001-00000012", "PJSIP/1001-00000012"),
        # Ids that mix letters and digits are never cut.
        ("01JD2345678ABCDEFGHJKMNPQR", "01JD2345678ABCDEFGHJKMNPQR"),
        ("wo_13900139000X", "wo_13900139000X"),
        ("", ""),
    ],
)
def test_given_a_string_when_masked_then_only_phone_shaped_runs_are_hidden(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_given_nested_data_when_masked_then_every_string_at_any_depth_is_masked() -> None:
    data = {
        "type": "CallRinging",
        "data": {
            "call_id": "1795300000.16",
            "seat_id": "1001",
            "channel": "PJSIP/13900139000-00000012",
            "legs": [
                {"channel": "PJSIP/1001-00000013", "peer": "PJSIP/13900139000-00000012"},
                ["Local/02162345678@hotline-callback", 42, None, True],
            ],
            "caller_number": "+852 9123 4567",  # a foreign number: its key still says what it is
            "queue": "q-310106-labor",
            "transfer": {"12345": "12345"},
            "13900139000": "a number as a key",
            "talk_seconds": 13900139000,  # numbers that are not strings are not text
        },
    }
    original = repr(data)
    assert mask_phone_numbers(data) == {
        "type": "CallRinging",
        "data": {
            "call_id": "1795300000.16",
            "seat_id": "1001",
            "channel": "PJSIP/139****9000-00000012",
            "legs": [
                {"channel": "PJSIP/1001-00000013", "peer": "PJSIP/139****9000-00000012"},
                ["Local/021****5678@hotline-callback", 42, None, True],
            ],
            "caller_number": "+85*******4567",
            "queue": "q-310106-labor",
            "transfer": {"12345": "12345"},
            "139****9000": "a number as a key",
            "talk_seconds": 13900139000,
        },
    }
    assert repr(data) == original  # the input is left alone


def test_given_already_masked_text_then_masking_again_changes_nothing() -> None:
    once = mask_phone_numbers({"c": "PJSIP/13900139000-1", "caller_number": "13900139000"})
    assert mask_phone_numbers(once) == once


def test_saving_a_masked_record_keeps_the_stored_numbers() -> None:
    stored = "来电人留了手机 13900139000，座机 021-62345678。"
    shown = mask_text(stored)
    assert "13900139000" not in shown
    edited = shown + " 已告知可到街道工作站咨询。"
    restored = restore_masked(edited, stored)
    assert restored == stored + " 已告知可到街道工作站咨询。"


def test_a_mask_typed_with_no_stored_number_stays_as_typed() -> None:
    assert restore_masked("号码 139****9000", "没有号码") == "号码 139****9000"
    # a different number with the same mask shape is not invented
    assert restore_masked("号码 139****9000", "号码 13800138000") == "号码 139****9000"


def test_an_offices_public_phone_is_not_masked_but_a_number_beside_it_is() -> None:
    pop = {"office": {"name": "临汾路街道工作站", "public_phone": "021-62345678", "note": "021-62345678"}}
    assert mask_phone_numbers(pop) == {
        "office": {"name": "临汾路街道工作站", "public_phone": "021-62345678", "note": "021-****5678"}
    }
