"""Parquet files of one schema joined into one file by their bytes: no row is read, decoded or compressed again.

A Parquet file is `PAR1`, its column chunks, a footer (Thrift compact protocol: the schema, and per row group
where each column chunk starts) and `<footer length>PAR1`. Joining copies each file's column chunks one after
the other and writes one footer holding every file's row groups, their offsets moved by where the file's bytes
now start. The footer is decoded and re-encoded field by field, unknown fields kept as they are, so a file
joined alone comes out byte for byte the same. Only what the assembly's part writers produce is taken: no
page index, bloom filter or encryption, whose offsets live outside the footer; anything else is refused.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

MAGIC = b"PAR1"
BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)
# FileMetaData / RowGroup / ColumnChunk / ColumnMetaData field ids (parquet.thrift)
FILE_SCHEMA, FILE_NUM_ROWS, FILE_ROW_GROUPS, FILE_KEY_VALUES = 2, 3, 4, 5
FILE_ENCRYPTION = (8, 9)
GROUP_COLUMNS, GROUP_FILE_OFFSET, GROUP_ORDINAL = 1, 5, 7
CHUNK_FILE_OFFSET, CHUNK_META = 2, 3
CHUNK_OUTSIDE = (4, 6, 8, 9)  # offset index, column index, crypto metadata, encrypted metadata
META_OFFSETS = (9, 10, 11)  # data page, index page, dictionary page
META_BLOOM_FILTER = 14


class JoinError(ValueError):
    """The files cannot be joined by their bytes (other schemas, or parts a footer does not wholly describe)."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _read(data: bytes, at: int, kind: int):
    """(value, next position) of one Thrift compact value of type `kind`."""
    if kind == BYTE:
        return data[at], at + 1
    if kind in (I16, I32, I64):
        value, at = _varint(data, at)
        return _zigzag(value), at
    if kind == DOUBLE:
        return data[at : at + 8], at + 8
    if kind == BINARY:
        size, at = _varint(data, at)
        return data[at : at + size], at + size
    if kind in (LIST, SET):
        head = data[at]
        at += 1
        size, element = head >> 4, head & 0x0F
        if size == 15:
            size, at = _varint(data, at)
        items = []
        for _ in range(size):
            if element in (BOOL_TRUE, BOOL_FALSE):  # a boolean element is one byte of its own
                item, at = data[at], at + 1
            else:
                item, at = _read(data, at, element)
            items.append(item)
        return (element, items), at
    if kind == MAP:
        size, at = _varint(data, at)
        if not size:
            return (0, 0, []), at
        keys, values = data[at] >> 4, data[at] & 0x0F
        at += 1
        pairs = []
        for _ in range(size):
            key, at = _read(data, at, keys)
            value, at = _read(data, at, values)
            pairs.append((key, value))
        return (keys, values, pairs), at
    if kind == STRUCT:
        fields, last = [], 0
        while (head := data[at]) != 0:
            at += 1
            kind_, delta = head & 0x0F, head >> 4
            if delta:
                number = last + delta
            else:
                number, at = _varint(data, at)
                number = _zigzag(number)
            if kind_ in (BOOL_TRUE, BOOL_FALSE):  # a boolean field's value is its type
                value = kind_ == BOOL_TRUE
            else:
                value, at = _read(data, at, kind_)
            fields.append([number, kind_, value])
            last = number
        return fields, at + 1
    raise JoinError(f"not a Parquet footer (Thrift type {kind})")


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _write(out: bytearray, kind: int, value) -> None:
    """The inverse of `_read`."""
    if kind == BYTE:
        out.append(value)
    elif kind in (I16, I32, I64):
        _put_varint(out, (value << 1) ^ (value >> 63))
    elif kind == DOUBLE:
        out += value
    elif kind == BINARY:
        _put_varint(out, len(value))
        out += value
    elif kind in (LIST, SET):
        element, items = value
        if len(items) < 15:
            out.append(len(items) << 4 | element)
        else:
            out.append(0xF0 | element)
            _put_varint(out, len(items))
        for item in items:
            if element in (BOOL_TRUE, BOOL_FALSE):
                out.append(item)
            else:
                _write(out, element, item)
    elif kind == MAP:
        keys, values, pairs = value
        _put_varint(out, len(pairs))
        if pairs:
            out.append(keys << 4 | values)
        for key, item in pairs:
            _write(out, keys, key)
            _write(out, values, item)
    else:
        last = 0
        for number, kind_, item in value:
            if 0 < number - last <= 15:
                out.append((number - last) << 4 | kind_)
            else:
                out.append(kind_)
                _put_varint(out, (number << 1) ^ (number >> 15))
            if kind_ not in (BOOL_TRUE, BOOL_FALSE):
                _write(out, kind_, item)
            last = number
        out.append(0)


def _field(fields: list, number: int):
    return next((f for f in fields if f[0] == number), None)


def footer(path: Path) -> tuple[list, int]:
    """(the file's FileMetaData as Thrift fields, where the footer starts)."""
    with path.open("rb") as handle:
        handle.seek(-8, 2)
        tail = handle.read(8)
        size = struct.unpack("<I", tail[:4])[0]
        start = handle.tell() - 8 - size
        handle.seek(start)
        data = handle.read(size)
    if tail[4:] != MAGIC:
        raise JoinError(f"{path.name} is not a Parquet file")
    fields, _ = _read(data, 0, STRUCT)
    return fields, start


def _moved(group: list, shift: int, ordinal: int) -> list:
    """A row group's fields with every offset moved by `shift` (an unset offset, 0, stays 0)."""
    for number, _, value in group:
        if number == GROUP_COLUMNS:
            for chunk in value[1]:
                if any(_field(chunk, n) for n in CHUNK_OUTSIDE):
                    raise JoinError("a column chunk with a page index or encryption: not joined by its bytes")
                offset = _field(chunk, CHUNK_FILE_OFFSET)
                if offset and offset[2]:
                    offset[2] += shift
                meta = _field(chunk, CHUNK_META)[2]
                if _field(meta, META_BLOOM_FILTER):
                    raise JoinError("a column chunk with a bloom filter: not joined by its bytes")
                for field in meta:
                    if field[0] in META_OFFSETS and field[2]:
                        field[2] += shift
    for field in group:
        if field[0] == GROUP_FILE_OFFSET and field[2]:
            field[2] += shift
        elif field[0] == GROUP_ORDINAL:
            field[2] = ordinal
    return group


def join(files: list[Path], target: BinaryIO) -> None:
    """The Parquet `files` (one schema, as written by one writer's settings) as one file into `target`, in order."""
    footers = [footer(path) for path in files]
    first = footers[0][0]
    same = (FILE_SCHEMA, FILE_KEY_VALUES)
    for fields, _ in footers:
        if any(_field(fields, n) for n in FILE_ENCRYPTION):
            raise JoinError("an encrypted Parquet file: not joined by its bytes")
        if [_field(fields, n) for n in same] != [_field(first, n) for n in same]:
            raise JoinError("Parquet files of different schemas: not joined")
    target.write(MAGIC)
    at, groups, rows = len(MAGIC), [], 0
    for path, (fields, start) in zip(files, footers, strict=True):
        shift = at - len(MAGIC)
        for group in _field(fields, FILE_ROW_GROUPS)[2][1]:
            groups.append(_moved(group, shift, len(groups)))
        rows += _field(fields, FILE_NUM_ROWS)[2]
        with path.open("rb") as handle:
            handle.seek(len(MAGIC))
            _copy(handle, target, start - len(MAGIC))
        at += start - len(MAGIC)
    merged = [list(f) for f in first]
    _field(merged, FILE_NUM_ROWS)[2] = rows
    _field(merged, FILE_ROW_GROUPS)[2] = (STRUCT, groups)
    encoded = bytearray()
    _write(encoded, STRUCT, merged)
    target.write(bytes(encoded) + struct.pack("<I", len(encoded)) + MAGIC)


def _copy(source: BinaryIO, target: BinaryIO, size: int) -> None:
    while size > 0:
        block = source.read(min(size, 1 << 20))
        if not block:
            raise JoinError("a Parquet part is shorter than its footer says")
        target.write(block)
        size -= len(block)
