#!/usr/bin/env python3
"""kcw_patch.py IN OUT WHAT — a damaged or foreign .kcw artifact for the
cache tests (tests/cli/cache.sh), from a good one (layout: the opening
comment of src/jit/artifact.c).

WHAT: corrupt   flip one byte of the code, checksum left as it was
      truncate  drop the last 100 bytes
      version   the kiln version field "9.9.9", checksum recomputed
      cpu       every CPU feature bit set, checksum recomputed
      module    one module byte changed, checksum recomputed but not the
                module's own digest (tampering that fixed up the checksum)
"""
import hashlib
import struct
import sys

src, dst, what = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
HDR = 136
mlen, = struct.unpack_from("<Q", b, 120)


def reseal():
    b[-32:] = hashlib.sha256(bytes(b[:-32])).digest()


if what == "corrupt":
    b[-40] ^= 0xFF
elif what == "truncate":
    del b[-100:]
elif what == "version":
    b[16:32] = b"9.9.9".ljust(16, b"\0")
    reseal()
elif what == "cpu":
    b[64:72] = b"\xff" * 8
    reseal()
elif what == "module":
    b[HDR + mlen - 1] ^= 0x01
    reseal()
else:
    sys.exit("kcw_patch.py: unknown WHAT " + what)
open(dst, "wb").write(bytes(b))
