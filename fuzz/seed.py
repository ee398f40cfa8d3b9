#!/usr/bin/env python3
"""Seeds for the fuzz targets, generated from the repository's fixtures (never committed).

Writes fuzz/corpus/<target>/ for every target of fuzz/harness.rs:

* capture, pipeline: the fixture captures as they are (pcap, NetMon) and rewritten as
  pcapng (little- and big-endian); pipeline also gets the event logs and archives.
* decode: fixture frames behind the link-type byte the harness reads (Ethernet, raw IP).
* tcp: the fixture connections' TCP segments in the harness's 16-byte record format.
* x224, mcs, tls: PDUs cut from the fixture connections' reassembled streams (TPKT
  Connection Request/Confirm, TPKT Data with MCS inside, TLS handshake bytes and the server
  certificate's DER).
* credssp, side: CredSSP travels inside TLS (encrypted in every capture) and the fixtures
  hold no DNS or Kerberos, so these are small hand-made messages (TSRequests, DNS queries and
  answers, KRB-ERRORs) as Windows and DNS servers send them.
* evtx, eventlog_xml: the fixture event logs (XML also as UTF-16).
* archive: fixtures in gzip (one and two members), zip (stored and deflated), a zip in a
  zip and a gzip in a zip.

Only the Python standard library is used. Usage: fuzz/seed.py [REPO_ROOT]
"""

import glob
import gzip
import hashlib
import io
import os
import struct
import sys
import zipfile

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def put(target, data, name=None):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def pcap_records(data):
    """(ts_sec, ts_frac, linktype, frame) of a little-endian microsecond pcap."""
    magic, = struct.unpack_from("<I", data, 0)
    assert magic == 0xA1B2C3D4, "fixture pcaps are little-endian microsecond pcaps"
    linktype, = struct.unpack_from("<I", data, 20)
    at = 24
    while at + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from("<IIII", data, at)
        yield sec, frac, linktype, data[at + 16 : at + 16 + incl]
        at += 16 + incl


def pcapng(records, big=False):
    e = ">" if big else "<"

    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack(e + "II", kind, n) + body + struct.pack(e + "I", n)

    out = block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    links = []
    for sec, frac, link, frame in records:
        if link not in links:
            links.append(link)
            out += block(1, struct.pack(e + "HHI", link, 0, 65535))
        ts = sec * 1_000_000 + frac
        out += block(6, struct.pack(e + "IIIII", links.index(link), ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


def tcp_segments(frame):
    """(src, sport, dst, dport, seq, ack, flags, window, payload) of an Ethernet/IPv4/TCP frame."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6:
        return None
    total, = struct.unpack_from(">H", ip, 2)
    tcp = ip[ihl:total]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack = struct.unpack_from(">HHII", tcp, 0)
    off = (tcp[12] >> 4) * 4
    flags = tcp[13] & 0x1F
    window, = struct.unpack_from(">H", tcp, 14)
    return ip[12:16], sport, ip[16:20], dport, seq, ack, flags, window, tcp[off:]


def connections(path):
    """Per connection (keyed by the client side): the ordered segments, with direction."""
    conns = {}
    for sec, frac, link, frame in pcap_records(read(path)):
        s = tcp_segments(frame)
        if not s:
            continue
        src, sport, dst, dport = s[:4]
        if dport == 3389 or (sport != 3389 and dport < sport):
            key, to_client = (src, sport, dst, dport), False
        else:
            key, to_client = (dst, dport, src, sport), True
        conns.setdefault(key, []).append((sec * 1_000_000 + frac, to_client, s))
    return conns


def streams(segments):
    """The two directions' byte streams, in sequence order (fixtures are clean enough)."""
    out = {False: {}, True: {}}
    for _, to_client, s in segments:
        if s[8]:
            out[to_client].setdefault(s[4], s[8])
    return tuple(b"".join(v for _, v in sorted(out[d].items())) for d in (False, True))


def cut_tpkt_and_tls(stream):
    """TPKT packets and TLS records from the start of a stream, until neither frames."""
    at, out = 0, []
    while at + 5 <= len(stream):
        if stream[at] == 3 and stream[at + 1] == 0:
            n, = struct.unpack_from(">H", stream, at + 2)
            kind = "tpkt"
        elif stream[at] in (20, 21, 22, 23) and stream[at + 1] == 3:
            n = 5 + struct.unpack_from(">H", stream, at + 3)[0]
            kind = "tls"
        else:
            break
        if n < 4:
            break
        out.append((kind, stream[at : at + n]))
        at += n
    return out


def tcp_records(segments):
    """The harness's tcp format: a cap byte, then 16-byte records with their payloads."""
    out = bytearray([8])
    last = segments[0][0] if segments else 0
    for ts, to_client, s in segments:
        flags = s[6] | (0x80 if to_client else 0)
        dport = s[3] if not to_client else s[1]
        port_sel = {3389: 0, 88: 1, 53: 2}.get(dport, 3)
        dt = max(-32768, min(32767, (ts - last) // 10_000))
        last = ts
        payload = s[8][:65535]
        out += struct.pack("<BBIIHhH", flags, port_sel << 2, s[4], s[5], s[7], dt, len(payload))
        out += payload
    return bytes(out)


def der(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    elif n < 0x100:
        head = bytes([tag, 0x81, n])
    else:
        head = bytes([tag, 0x82, n >> 8, n & 0xFF])
    return head + content


def dns(ident, name, rcode=None, answer=None):
    flags = 0x0100 if rcode is None else 0x8180 | rcode
    b = struct.pack(">HHHHHH", ident, flags, 1, 1 if answer else 0, 0, 0)
    for label in name.split("."):
        b += bytes([len(label)]) + label.encode()
    b += b"\0\0\1\0\1"
    if answer:
        b += bytes([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]) + bytes(answer)
    return b


def krb_error(code, realm, sname):
    names = b"".join(der(0x1B, n.encode()) for n in sname)
    principal = der(0x30, der(0xA0, der(2, b"\2")) + der(0xA1, der(0x30, names)))
    body = (
        der(0xA0, der(2, b"\5"))
        + der(0xA1, der(2, bytes([30])))
        + der(0xA4, der(0x18, b"20261122040000Z"))
        + der(0xA5, der(2, b"\0"))
        + der(0xA6, der(2, bytes([code])))
        + der(0xA9, der(0x1B, realm.encode()))
        + der(0xAA, principal)
    )
    return der(0x7E, der(0x30, body))


def main():
    captures = sorted(glob.glob(os.path.join(FIX, "captures", "*.pcap")))
    netmon = sorted(glob.glob(os.path.join(FIX, "netmon", "*")))
    netmon = [p for p in netmon if not p.endswith(".md")]
    evtx = sorted(glob.glob(os.path.join(FIX, "eventlog", "*.evtx")))
    xml = sorted(glob.glob(os.path.join(FIX, "eventlog", "*.xml")))

    for p in captures + netmon:
        data = read(p)
        put("capture", data)
        put("pipeline", data)
    for p in captures:
        recs = list(pcap_records(read(p)))
        for big in (False, True):
            put("capture", pcapng(recs, big))
        put("pipeline", pcapng(recs))
        for _, _, link, frame in recs[:40]:
            put("decode", b"\x01" + frame)
            put("decode", b"\x03" + frame[14:])
        for segs in connections(p).values():
            put("tcp", tcp_records(segs))
            c2s, s2c = streams(segs)
            handshake = {False: b"", True: b""}
            for to_client, stream in ((False, c2s), (True, s2c)):
                for kind, pdu in cut_tpkt_and_tls(stream):
                    if kind == "tpkt" and len(pdu) > 5 and pdu[5] in (0xE0, 0xD0):
                        put("x224", pdu)
                    elif kind == "tpkt":
                        put("mcs", pdu)
                    elif pdu[0] == 22:
                        handshake[to_client] += pdu[5:]
            for hs in handshake.values():
                if not hs:
                    continue
                put("tls", hs)
                at = 0
                while at + 4 <= len(hs):
                    n = int.from_bytes(hs[at + 1 : at + 4], "big")
                    if hs[at] == 11 and n > 6:
                        cert_len = int.from_bytes(hs[at + 7 : at + 10], "big")
                        put("tls", hs[at + 10 : at + 10 + cert_len])
                    at += 4 + n
    for p in evtx:
        put("evtx", read(p))
        put("pipeline", read(p))
    for p in xml:
        data = read(p)
        put("eventlog_xml", data)
        put("eventlog_xml", b"\xff\xfe" + data.decode("utf-8", "replace").encode("utf-16-le"))
        put("pipeline", data)

    # CredSSP TSRequests (MS-CSSP 2.2.1): error code, nego token, pubKeyAuth, nonce.
    version = der(0xA0, der(2, b"\6"))
    put("credssp", der(0x30, version + der(0xA4, der(2, b"\0\xc0\0\0\x6d"))))
    put("credssp", der(0x30, version + der(0xA1, der(0x30, der(0x30, der(0xA0, der(4, b"NTLMSSP\0\1\0\0\0" + b"\0" * 20)))))))
    put("credssp", der(0x30, version + der(0xA3, der(4, b"\x55" * 300)) + der(0xA5, der(4, b"\x11" * 32))))
    put("credssp", der(0x30, der(0xA0, der(2, b"\2")) + der(0xA2, der(4, b"\x22" * 64))))

    # DNS and Kerberos side traffic.
    put("side", dns(7, "rdp.example.com"))
    put("side", dns(7, "rdp.example.com", 0, [10, 0, 0, 9]))
    put("side", dns(8, "rdp.example.com", 3))
    put("side", krb_error(37, "CORP.EXAMPLE", ["TERMSRV", "rdp.corp.example"]))
    put("side", krb_error(24, "CORP.EXAMPLE", ["krbtgt", "CORP.EXAMPLE"]))
    put("side", krb_error(7, "CORP.EXAMPLE", ["TERMSRV", "10.0.0.9"]))

    # Archives.
    small = [read(p) for p in captures[:3]] + [read(xml[0]), read(evtx[0])]
    for data in small:
        gz = gzip.compress(data)
        put("archive", gz)
        put("pipeline", gz)
    put("archive", gzip.compress(small[0]) + gzip.compress(small[1]))

    def zipped(members, method):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", method) as z:
            for name, data in members:
                z.writestr(name, data)
        return b.getvalue()

    members = [("bundle/a.pcap", small[0]), ("bundle/b.pcap", small[1]), ("logs/x.xml", small[3])]
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        z = zipped(members, method)
        put("archive", z)
        put("pipeline", z)
    inner = zipped(members[:1], zipfile.ZIP_DEFLATED)
    put("archive", zipped([("inner.zip", inner), ("c.pcap.gz", gzip.compress(small[2]))], zipfile.ZIP_DEFLATED))
    put("pipeline", zipped([("inner.zip", inner), ("c.pcap.gz", gzip.compress(small[2]))], zipfile.ZIP_STORED))

    for t in sorted(os.listdir(OUT)):
        print(f"{t}: {len(os.listdir(os.path.join(OUT, t)))} seeds")


if __name__ == "__main__":
    main()
