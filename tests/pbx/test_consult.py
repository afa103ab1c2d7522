"""`pbx.consult.Consultations` on the orders the recordings do not show: Local optimisation during
the consultation (the target's channel then stands in the seat's bridge and `AttendedTransfer`
names it), a target that never answers, a consultation that dials nobody."""

from __future__ import annotations

from pbx.ami_event import AmiEvent
from pbx.consult import Consultations

LOCAL = "Local/1002@hotline-consult-00000007"
CALL = "1796569441.0"


def ev(name: str, channel: str, uid: str, **extra: str) -> AmiEvent:
    context = "hotline-consult" if channel.startswith("Local/") else "seats-out"
    headers = {"Event": name, "Channel": channel, "Uniqueid": uid, "Linkedid": CALL, "Context": context}
    return AmiEvent.from_headers({**headers, "Exten": "1002", **extra})


def dialled(c: Consultations, status: str) -> None:
    dial = {"DestChannel": "PJSIP/1002-00000009", "DestUniqueid": "9.9"}
    assert c.dial_begin(ev("DialBegin", f"{LOCAL};2", "9.3", **dial))
    assert c.dial_end(ev("DialEnd", f"{LOCAL};2", "9.3", DialStatus=status, **dial))


def test_given_local_optimisation_during_the_consultation_then_the_transfer_names_the_dialled_channel() -> (
    None
):
    c = Consultations()
    dialled(c, "ANSWER")
    assert c.hangup(ev("Hangup", f"{LOCAL};1", "9.2")) is None  # optimised away: not over
    assert c.hangup(ev("Hangup", f"{LOCAL};2", "9.3")) is None
    assert c.is_consult_channel(ev("HangupRequest", "PJSIP/1002-00000009", "9.9"))

    done = c.complete(
        AmiEvent.from_headers(
            {
                "Event": "AttendedTransfer",
                "TransferTargetChannel": "PJSIP/1002-00000009",
                "TransferTargetUniqueid": "9.9",
                "SecondTransfererLinkedid": CALL,
            }
        )
    )

    assert (done.dest_uid, done.exten, done.context, done.completed) == (
        "9.9",
        "1002",
        "hotline-consult",
        True,
    )
    # The target is the caller's party now: its hang-up is the call's business, not the consultation's.
    assert not c.is_consult_channel(ev("HangupRequest", "PJSIP/1002-00000009", "9.9"))
    assert c.hangup(ev("Hangup", "PJSIP/1002-00000009", "9.9")) is None


def test_given_an_answered_consultation_when_the_target_hangs_up_then_it_ended_untransferred() -> None:
    c = Consultations()
    dialled(c, "ANSWER")
    assert c.hangup(ev("Hangup", f"{LOCAL};1", "9.2")) is None
    over = c.hangup(ev("Hangup", "PJSIP/1002-00000009", "9.9"))
    assert over is not None and (over.exten, over.dial_status, over.completed) == ("1002", "ANSWER", False)


def test_given_a_cancelled_consultation_when_the_target_hangs_up_before_the_local_half_then_it_ends_once() -> (
    None
):
    """CancelAtxfer of an outside line on Asterisk 22.10.1: the trunk channel's Hangup may come
    before `;1`'s; the consultation ended untransferred once, not again when `;1` goes."""
    c = Consultations()
    dialled(c, "ANSWER")
    over = c.hangup(ev("Hangup", "PJSIP/1002-00000009", "9.9"))
    assert over is not None and over.dial_status == "ANSWER"
    assert c.hangup(ev("Hangup", f"{LOCAL};2", "9.3")) is None
    assert c.hangup(ev("Hangup", f"{LOCAL};1", "9.2")) is None
    # The pair is forgotten: a later consultation that dials nobody still ends when its `;1` goes.
    assert c.hangup(ev("Hangup", "Local/1009@hotline-consult-00000008;1", "9.5")) is not None


def test_given_a_target_that_never_answers_then_the_consultation_ends_with_its_dial_status() -> None:
    c = Consultations()
    dialled(c, "NOANSWER")
    over = c.hangup(ev("Hangup", f"{LOCAL};1", "9.2"))
    assert over is not None and over.dial_status == "NOANSWER"
    # A consultation whose Dial() created no channel (no DialBegin): over when its `;1` goes.
    never = c.hangup(ev("Hangup", "Local/1009@hotline-consult-00000008;1", "9.5"))
    assert never is not None and (never.exten, never.dest_uid) == ("1002", "")


def test_given_a_phone_transfer_then_no_consultation_is_taken() -> None:
    c = Consultations()
    dialled(c, "ANSWER")
    phone = c.complete(
        AmiEvent.from_headers(
            {
                "Event": "AttendedTransfer",
                "TransferTargetChannel": "PJSIP/1003-0000000a",
                "TransferTargetUniqueid": "8.1",
            }
        )
    )
    assert phone.dest_uid == "" and phone.completed
