"""A small PNG decoder for the end-to-end tests (standard library only),
so that tests check pixels and not only that an image parses."""
import struct
import zlib


def decode_png(data):
    """(width, height, rows of (r, g, b, a) tuples) of a non-interlaced PNG
    of 8-bit RGBA, RGB or grey+alpha, or 1-8 bit indexed or grey (with
    tRNS): the kinds an encoder picking the smallest fit may write."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    pos, idat, plte, trns = 8, b"", None, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            plte = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    packed = ctype in (0, 3)
    assert interlace == 0 and (depth == 8 or (packed and depth in (1, 2, 4))), (ctype, depth)
    raw = zlib.decompress(idat)
    bpp = {6: 4, 2: 3, 4: 2}.get(ctype, 1)
    stride = w * bpp if not packed else (w * depth + 7) // 8
    prev = bytearray(stride)
    rows, i = [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if ctype == 6:
            rows.append([tuple(line[4 * x:4 * x + 4]) for x in range(w)])
        elif ctype == 4:
            rows.append([(line[2 * x],) * 3 + (line[2 * x + 1],) for x in range(w)])
        elif ctype == 2:
            key = struct.unpack(">HHH", trns) if trns else None
            rows.append([tuple(line[3 * x:3 * x + 3]) + (0 if key == tuple(line[3 * x:3 * x + 3]) else 255,)
                         for x in range(w)])
        elif ctype == 0:
            key = struct.unpack(">H", trns)[0] if trns else None
            scale = 255 // ((1 << depth) - 1)
            out = []
            for x in range(w):
                bit = x * depth
                k = (line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                out.append((k * scale,) * 3 + (0 if k == key else 255,))
            rows.append(out)
        else:
            out = []
            for x in range(w):
                bit = x * depth
                k = (line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                alpha = trns[k] if k < len(trns) else 255
                out.append((plte[3 * k], plte[3 * k + 1], plte[3 * k + 2], alpha))
            rows.append(out)
    return w, h, rows
