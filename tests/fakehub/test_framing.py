"""Reading a request body by its HTTP/1.1 framing (fakehub.framing), on in-memory streams."""

from __future__ import annotations

import io
from email.message import Message

import pytest

from fakehub.framing import FramingError, read_body


def headers(*fields: tuple[str, str]) -> Message:
    message = Message()
    for name, value in fields:
        message[name] = value
    return message


def test_content_length_reads_exactly_the_body_and_leaves_the_next_request():
    stream = io.BytesIO(b"x" * 100_000 + b"GET / HTTP/1.1\r\n")

    assert read_body(headers(("Content-Length", "100000")), stream) == 100_000
    assert stream.read() == b"GET / HTTP/1.1\r\n"


def test_no_framing_headers_mean_no_body():
    stream = io.BytesIO(b"GET / HTTP/1.1\r\n")

    assert read_body(headers(), stream) == 0
    assert stream.read() == b"GET / HTTP/1.1\r\n"


def test_chunked_reads_chunks_extensions_and_trailers():
    body = b"4;name=value\r\nabcd\r\nA\r\n0123456789\r\n0\r\nExpires: never\r\n\r\nNEXT"
    stream = io.BytesIO(body)

    assert read_body(headers(("Transfer-Encoding", "gzip, chunked")), stream) == 14
    assert stream.read() == b"NEXT"


def test_repeated_equal_content_lengths_are_one_length():
    stream = io.BytesIO(b"abcdNEXT")

    assert read_body(headers(("Content-Length", "4"), ("Content-Length", "4, 4")), stream) == 4
    assert stream.read() == b"NEXT"


def test_a_client_gone_mid_body_gives_a_short_count():
    assert read_body(headers(("Content-Length", "10")), io.BytesIO(b"abc")) == 3
    assert read_body(headers(("Transfer-Encoding", "chunked")), io.BytesIO(b"A\r\nabc")) == 3


@pytest.mark.parametrize(
    ("fields", "body", "message"),
    [
        ((("Content-Length", "-1"),), b"", "invalid Content-Length '-1'; send one decimal length"),
        ((("Content-Length", "4"), ("Content-Length", "5")), b"", "invalid Content-Length '4, 5'"),
        ((("Transfer-Encoding", "chunked, gzip"),), b"", "unsupported Transfer-Encoding 'chunked, gzip'"),
        ((("Transfer-Encoding", "chunked"),), b"-5\r\n", "invalid chunk size line b'-5\\r\\n'"),
        ((("Transfer-Encoding", "chunked"),), b"0x10\r\n", "invalid chunk size line b'0x10\\r\\n'"),
    ],
)
def test_framing_that_cannot_be_trusted_is_refused(fields, body, message):
    with pytest.raises(FramingError) as raised:
        read_body(headers(*fields), io.BytesIO(body))

    assert message in str(raised.value)
