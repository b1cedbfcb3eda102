#!/usr/bin/env python3
"""reframe.py - rewrite the framing of a little-endian microsecond pcap of
Ethernet frames (as the lab's tcpdump writes them), keeping the captured bytes.
Used by derive.sh for what editcap/tcprewrite cannot do:

  reframe.py bigendian IN OUT  the same records, file and record headers
                               big-endian (magic a1b2c3d4 read as written)
  reframe.py rawip IN OUT      linktype 101 (raw IP): each IPv4/IPv6 frame
                               without its 14-byte Ethernet header; ARP and
                               other frames are left out
  reframe.py splitsip IN OUT   every TCP segment to or from port 5060 with
                               more than 40 payload bytes becomes two segments
                               (first half without PSH, sequence numbers and
                               IPv4/TCP checksums recomputed); the rest as is
"""
import struct
import sys

HDR = "IHHiIII"  # magic, major, minor, thiszone, sigfigs, snaplen, linktype
REC = "IIII"  # ts_sec, ts_usec, incl_len, orig_len
LINKTYPE_RAW = 101


def records(data):
    """The file header fields and a list of (sec, usec, orig_len, frame)."""
    head = struct.unpack("<" + HDR, data[:24])
    if head[0] != 0xA1B2C3D4:
        sys.exit("reframe.py: not a little-endian microsecond pcap")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<" + REC, data[off:off + 16])
        out.append((sec, usec, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return head, out


def ones_complement(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def split_sip(frame):
    """Two frames for a SIP TCP segment over IPv4, else None."""
    if frame[12:14] != b"\x08\x00" or len(frame) < 34 or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    tcp = 14 + ihl
    thl = (frame[tcp + 12] >> 4) * 4
    sport, dport, seq = struct.unpack("!HHI", frame[tcp:tcp + 8])
    payload = frame[tcp + thl:]
    if 5060 not in (sport, dport) or len(payload) <= 40:
        return None
    half = len(payload) // 2
    parts = ((payload[:half], seq), (payload[half:], (seq + half) & 0xFFFFFFFF))
    frames = []
    for n, (part, pseq) in enumerate(parts):
        ip = bytearray(frame[14:tcp])
        struct.pack_into("!H", ip, 2, ihl + thl + len(part))
        struct.pack_into("!H", ip, 10, 0)
        struct.pack_into("!H", ip, 10, ones_complement(bytes(ip)))
        th = bytearray(frame[tcp:tcp + thl])
        struct.pack_into("!I", th, 4, pseq)
        struct.pack_into("!H", th, 16, 0)
        if n == 0:
            th[13] &= 0xF7  # PSH only on the segment that ends the message
        pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, thl + len(part))
        struct.pack_into("!H", th, 16, ones_complement(pseudo + bytes(th) + part))
        frames.append(frame[:14] + bytes(ip) + bytes(th) + part)
    return frames


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("bigendian", "rawip", "splitsip"):
        sys.exit(__doc__)
    mode, src, dst = sys.argv[1:]
    with open(src, "rb") as f:
        head, recs = records(f.read())
    out = []
    if mode == "bigendian":
        out.append(struct.pack(">" + HDR, *head))
        for sec, usec, orig, frame in recs:
            out.append(struct.pack(">" + REC, sec, usec, len(frame), orig) + frame)
    elif mode == "rawip":
        out.append(struct.pack("<" + HDR, *head[:6], LINKTYPE_RAW))
        for sec, usec, orig, frame in recs:
            if frame[12:14] in (b"\x08\x00", b"\x86\xdd"):
                ip = frame[14:]
                out.append(struct.pack("<" + REC, sec, usec, len(ip), orig - 14) + ip)
    else:
        out.append(struct.pack("<" + HDR, *head))
        for sec, usec, orig, frame in recs:
            halves = split_sip(frame)
            if halves is None:
                out.append(struct.pack("<" + REC, sec, usec, len(frame), orig) + frame)
                continue
            for n, part in enumerate(halves):
                # one microsecond apart, unless that would carry into the next second
                u = usec + n if usec + n < 1000000 else usec
                out.append(struct.pack("<" + REC, sec, u, len(part), len(part)) + part)
    with open(dst, "wb") as f:
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
