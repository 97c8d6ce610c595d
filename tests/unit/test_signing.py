"""HMAC signing of webhook bodies: the header format, the tolerance window, tampering."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from common.signing import (
    SignatureError,
    compute_signature,
    parse_header,
    sign,
    verify,
)

SECRET = "whsec_test_0123456789"
BODY = b'{"lms_submission_id": "a1", "course": "CS5242"}'
T = 1_718_000_000


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert compute_signature(SECRET, T, BODY) == expected
    assert sign(SECRET, BODY, timestamp=T) == f"t={T},v1={expected}"


def test_a_fresh_signature_verifies_and_returns_its_timestamp_and_digest() -> None:
    header = sign(SECRET, BODY, timestamp=T)
    verified = verify(SECRET, BODY, header, now=T + 10)
    assert verified.timestamp == T
    assert verified.signature == compute_signature(SECRET, T, BODY)


def test_bytes_and_str_secrets_sign_alike() -> None:
    assert sign(SECRET.encode(), BODY, timestamp=T) == sign(SECRET, BODY, timestamp=T)


@pytest.mark.parametrize(
    ("body", "secret"),
    [
        (BODY + b" ", SECRET),  # one byte of body changed
        (BODY, SECRET + "x"),  # signed with another key
    ],
    ids=["tampered-body", "wrong-secret"],
)
def test_a_signature_over_other_bytes_or_key_is_a_mismatch(body: bytes, secret: str) -> None:
    header = sign(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError) as info:
        verify(secret, body, header, now=T)
    assert info.value.reason == "mismatch"


def test_changing_the_timestamp_breaks_the_signature() -> None:
    digest = compute_signature(SECRET, T, BODY)
    with pytest.raises(SignatureError) as info:
        verify(SECRET, BODY, f"t={T + 1},v1={digest}", now=T)
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize("skew", [-301, 301, -86_400])
def test_timestamps_outside_the_window_either_way_are_expired(skew: int) -> None:
    header = sign(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError) as info:
        verify(SECRET, BODY, header, now=T - skew)
    assert info.value.reason == "expired"


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamps_at_the_edge_of_the_window_are_accepted(skew: int) -> None:
    assert verify(SECRET, BODY, sign(SECRET, BODY, timestamp=T), now=T + skew).timestamp == T


def test_the_tolerance_window_is_configurable() -> None:
    header = sign(SECRET, BODY, timestamp=T)
    with pytest.raises(SignatureError):
        verify(SECRET, BODY, header, now=T + 31, tolerance_s=30)


def test_expiry_is_checked_before_the_mac_so_stale_junk_says_expired() -> None:
    with pytest.raises(SignatureError) as info:
        verify(SECRET, BODY, f"t={T},v1={'0' * 64}", now=T + 3600)
    assert info.value.reason == "expired"


def test_one_matching_digest_among_several_verifies_for_secret_rotation() -> None:
    good = compute_signature(SECRET, T, BODY)
    old = compute_signature("old-secret", T, BODY)
    assert verify(SECRET, BODY, f"t={T},v1={old},v1={good}", now=T).signature == good


def test_unknown_schemes_are_ignored_and_uppercase_hex_is_accepted() -> None:
    good = compute_signature(SECRET, T, BODY).upper()
    assert verify(SECRET, BODY, f"t={T}, v2=zzz, v1={good}", now=T).timestamp == T


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("garbage", "malformed"),
        ("v1=" + "a" * 64, "malformed"),  # no timestamp
        (f"t={T}", "malformed"),  # no digest
        (f"t=abc,v1={'a' * 64}", "malformed"),
        (f"t=-5,v1={'a' * 64}", "malformed"),
        (f"t={T},t={T},v1={'a' * 64}", "malformed"),
        (f"t={T},v1=abc", "malformed"),  # too short
        (f"t={T},v1={'g' * 64}", "malformed"),  # not hex
        (f"t={T},v1={'a' * 64}," + "x=y," * 400, "malformed"),  # too long
        (f"t=١٢٣,v1={'a' * 64}", "malformed"),  # non-ASCII digits
    ],
)
def test_malformed_headers_are_refused_with_a_reason(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        parse_header(header)
    assert info.value.reason == reason
    assert str(info.value)  # a sentence the sender can read
