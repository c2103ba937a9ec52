"""Reading a request's body whole, by its HTTP/1.1 framing, so that a kept-alive connection stays usable.

An HTTP/1.1 server that answers without reading the request body must either read it afterwards or close
the connection and say so (`Connection: close`): otherwise the unread bytes are parsed as the next request,
or, if it closes silently, the client puts the connection back in its pool and its next request meets a
closed socket (httpx: "Server disconnected without sending a response"). The fake Hub reads every body
first, whatever the method, and only closes when the framing cannot be trusted (RFC 9112 §6.3: answer 400
and close).
"""

from __future__ import annotations

import io
import re
from email.message import Message

_CHUNK = 64 * 1024
_MAX_LINE = 64 * 1024  # http.server's own limit on a request or header line
_HEX = re.compile(rb"[0-9A-Fa-f]+")


class FramingError(ValueError):
    """The request's body length cannot be determined; the connection cannot be reused after it."""


def read_body(headers: Message, rfile: io.BufferedIOBase) -> int:
    """Reads and discards the request body framed by `headers`; returns its length in bytes.

    Raises FramingError for a Transfer-Encoding other than chunked, a malformed chunk, or an invalid or
    conflicting Content-Length. A client that disconnects mid-body just yields a short count: the next
    read of a request line then sees the end of the stream and the server closes."""
    encoding = headers.get("Transfer-Encoding")
    if encoding is not None:
        if encoding.split(",")[-1].strip().lower() != "chunked":
            raise FramingError(f"unsupported Transfer-Encoding {encoding!r}; send chunked or a Content-Length")
        return _read_chunked(rfile)
    declared = headers.get_all("Content-Length") or []
    values = {value.strip() for field in declared for value in str(field).split(",")}
    if not values:
        return 0
    value = values.pop()
    if values or not value.isdigit():
        raise FramingError(f"invalid Content-Length {', '.join(map(str, declared))!r}; send one decimal length")
    return _skip(rfile, int(value))


def _read_chunked(rfile: io.BufferedIOBase) -> int:
    total = 0
    while True:
        line = rfile.readline(_MAX_LINE + 1)
        if not line:
            return total  # the client went away
        size_text = line.split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_text):
            raise FramingError(f"invalid chunk size line {line[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            break
        total += _skip(rfile, size)
        rfile.readline(_MAX_LINE + 1)  # the CRLF that ends the chunk's data
    while rfile.readline(_MAX_LINE + 1) not in (b"\r\n", b"\n", b""):  # trailer fields, then a blank line
        pass
    return total


def _skip(rfile: io.BufferedIOBase, length: int) -> int:
    """Reads `length` bytes in bounded pieces (a large body never sits in memory whole)."""
    done = 0
    while done < length:
        piece = rfile.read(min(_CHUNK, length - done))
        if not piece:
            break
        done += len(piece)
    return done
