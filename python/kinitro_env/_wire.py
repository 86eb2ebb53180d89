"""The env server's framing (docs/training.md, "Transport"), standard library + numpy.

A message is: u32 LE body length | u32 LE header length | UTF-8 JSON header | zero padding to 8 |
arrays, where ``header["arrays"]`` lists {name, dtype, shape} of the arrays that follow, each on an
8-byte boundary of the body. Arrays come back as read-only numpy views into one received buffer.
"""
from __future__ import annotations

import json
import socket
import struct
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

DTYPES = {"float64": np.float64, "float32": np.float32, "uint8": np.uint8, "int32": np.int32}
_U32 = struct.Struct("<I")


def _pad8(n: int) -> int:
    return (n + 7) & ~7


def encode(header: Dict[str, Any], arrays: Optional[List[Tuple[str, np.ndarray]]] = None) -> bytes:
    arrays = arrays or []
    described = []
    blobs = []
    for name, array in arrays:
        a = np.ascontiguousarray(array)
        dtype = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32", np.dtype(np.uint8): "uint8", np.dtype(np.int32): "int32"}[a.dtype]
        described.append({"name": name, "dtype": dtype, "shape": list(a.shape)})
        blobs.append(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
    head = json.dumps({**header, "arrays": described}, separators=(",", ":")).encode("utf-8")
    parts = [_U32.pack(len(head)), head]
    size = 4 + len(head)
    for blob in blobs:
        pad = _pad8(size) - size
        parts.append(b"\0" * pad)
        parts.append(blob)
        size += pad + len(blob)
    pad = _pad8(size) - size
    parts.append(b"\0" * pad)
    size += pad
    return _U32.pack(size) + b"".join(parts)


def decode(body: memoryview) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    (head_len,) = _U32.unpack_from(body, 0)
    header = json.loads(bytes(body[4 : 4 + head_len]))
    at = _pad8(4 + head_len)
    arrays: Dict[str, np.ndarray] = {}
    for d in header.pop("arrays", []):
        dtype = np.dtype(DTYPES[d["dtype"]]).newbyteorder("<")
        count = int(np.prod(d["shape"])) if d["shape"] else 1
        arrays[d["name"]] = np.frombuffer(body, dtype=dtype, count=count, offset=at).reshape(d["shape"])
        at = _pad8(at + count * dtype.itemsize)
    return header, arrays


class ServerError(RuntimeError):
    """The env server refused a request (its message says why)."""


class Connection:
    """One socket to an env server: request/response, one message at a time."""

    def __init__(self, address: str, timeout: Optional[float] = 120.0):
        if address.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: Any = address[len("unix:") :]
        elif address.startswith("tcp:"):
            host, _, port = address[len("tcp:") :].rpartition(":")
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            target = (host, int(port))
        else:
            raise ValueError(f"address must be unix:PATH or tcp:HOST:PORT, got {address!r}")
        self.sock.settimeout(timeout)
        self.sock.connect(target)

    def _read_exact(self, size: int) -> memoryview:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = self.sock.recv_into(view[got:], size - got)
            if n == 0:
                raise ConnectionError("the env server closed the connection")
            got += n
        return view

    def request(self, header: Dict[str, Any], arrays: Optional[List[Tuple[str, np.ndarray]]] = None) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
        self.sock.sendall(encode(header, arrays))
        (size,) = _U32.unpack(self._read_exact(4))
        reply, out = decode(self._read_exact(size))
        if reply.get("op") == "error":
            raise ServerError(reply.get("message", "error"))
        return reply, out

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
