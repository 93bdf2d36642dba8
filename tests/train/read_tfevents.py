#!/usr/bin/python3
"""Independent reader for TensorBoard event files, stdlib only.

Checks bmfm's TensorBoardWriter against a second implementation of the format
(TFRecord framing, masked CRC32C, Event/Summary protobuf) written from the
spec rather than from the C++ code. Prints JSON:
  {"file_version": "...", "scalars": [{"step": s, "tag": t, "value": v, "wall_time": w}, ...]}
Exits 1 with a message on a bad CRC, a truncated record or a malformed message.

Usage: read_tfevents.py EVENT_FILE
"""
import json
import math
import struct
import sys


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint runs past the end of the message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yields (field_number, wire_type, value) for each field of a message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        if pos > len(buf):
            raise ValueError("field %d runs past the end of the message" % number)
        yield number, wire, value


def json_number(x):
    return x if math.isfinite(x) else str(x)  # JSON has no nan/inf


def parse_event(payload, out):
    step, wall_time, values = 0, 0.0, []
    for number, wire, value in fields(payload):
        if number == 1 and wire == 1:
            wall_time = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            step = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3 and wire == 2:
            out["file_version"] = value.decode("utf-8")
        elif number == 5 and wire == 2:
            for n, w, v in fields(value):
                if n != 1 or w != 2:
                    continue
                tag, simple = None, None
                for vn, vw, vv in fields(v):
                    if vn == 1 and vw == 2:
                        tag = vv.decode("utf-8")
                    elif vn == 2 and vw == 5:
                        simple = struct.unpack("<f", vv)[0]
                values.append((tag, simple))
    for tag, simple in values:
        out["scalars"].append({"step": step, "tag": tag, "value": json_number(simple),
                               "wall_time": wall_time})


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    out = {"file_version": None, "scalars": []}
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError("truncated record header at byte %d" % pos)
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked(crc32c(header)) != length_crc:
            raise ValueError("bad length CRC at byte %d" % pos)
        payload = data[pos + 12:pos + 12 + length]
        if len(payload) != length or pos + 16 + length > len(data):
            raise ValueError("truncated record at byte %d" % pos)
        (payload_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if masked(crc32c(payload)) != payload_crc:
            raise ValueError("bad payload CRC at byte %d" % pos)
        parse_event(payload, out)
        pos += 16 + length
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        main(sys.argv[1])
    except ValueError as e:
        sys.exit("read_tfevents: %s: %s" % (sys.argv[1], e))
