"""crawler/http.py's own inflation of gzip and deflate bodies: every encoding the client asks for comes out as
sent, and the size cap holds for what a body inflates to, at every layer."""

from __future__ import annotations

import gzip
import zlib

import httpx2
import pytest

from crawler.http import Limits, ResponseTooLarge, _InflatingStream

PAGE = b'[{"id": "a/b"}' + b", " * 5000 + b"]"


class Chunks(httpx2.SyncByteStream):
    def __init__(self, body: bytes, size: int = 7) -> None:
        self._parts = [body[i : i + size] for i in range(0, len(body), size)]

    def __iter__(self):
        yield from self._parts


def inflated(body: bytes, encodings: list[str], cap: int = 1 << 20) -> bytes:
    return b"".join(_InflatingStream(Chunks(body), encodings, Limits(30.0, cap, 60.0)))


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encodings", "encode"),
    [
        (["gzip"], gzip.compress),
        (["deflate"], zlib.compress),  # zlib-wrapped, as RFC 9110 says
        (["deflate"], raw_deflate),  # raw, as some servers send it (httpx accepts both)
        (["gzip", "deflate"], lambda data: zlib.compress(gzip.compress(data))),  # gzip applied first
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "gzip-then-deflate"],
)
def test_every_encoding_the_client_asks_for_comes_out_as_sent(encodings, encode):
    assert inflated(encode(PAGE), encodings) == PAGE


def test_the_cap_holds_for_what_the_body_inflates_to():
    bomb = gzip.compress(b" " * (8 << 20))
    assert len(bomb) < 16 << 10
    with pytest.raises(ResponseTooLarge, match=r"grew past 1 MiB once inflated \(Content-Encoding: gzip\)"):
        inflated(bomb, ["gzip"], cap=1 << 20)


def test_a_layer_inside_another_is_capped_too():
    nested = gzip.compress(gzip.compress(b" " * (64 << 20)))  # ~64 MiB inside ~64 kB inside a few hundred bytes
    with pytest.raises(ResponseTooLarge, match="once inflated"):
        inflated(nested, ["gzip", "gzip"], cap=1 << 20)


def test_a_body_that_is_not_what_it_says_is_a_decoding_error():
    with pytest.raises(httpx2.DecodingError, match="not valid gzip"):
        inflated(b"plain text, not gzip", ["gzip"])
