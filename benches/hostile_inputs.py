#!/usr/bin/env python3
"""Writes the hostile uploads of issue 19 §2 into a folder, one case per file (or folder), so
that benches/hostile.sh can time rdptriage on each and read its peak RSS.

    python3 benches/hostile_inputs.py OUT_DIR

Every case is small on disk and large once read: frame tables that alias one frame, XML
exports in UTF-16 that expand a thousandfold, archives nested three deep, a pcapng of
millions of unknown blocks, connections that send tens of thousands of TLS alerts, and a
password-guessing bundle (one address, 20,000 connections and 20,000 failed logons).
"""
import gzip
import io
import os
import struct
import sys
import zipfile

OUT = sys.argv[1] if len(sys.argv) > 1 else "target/hostile"
os.makedirs(OUT, exist_ok=True)


def path(name):
    return os.path.join(OUT, name)


def netmon_aliasing(entries, frame_bytes):
    """A NetMon 2.3 file: one Ethernet frame of `frame_bytes`, then a frame table of
    `entries` entries that all point at it (Network Monitor capture file format)."""
    head = bytearray(128)
    head[0:4] = b"GMBU"
    head[4], head[5] = 3, 2
    struct.pack_into("<H", head, 6, 1)  # MAC type: Ethernet
    for i, v in enumerate([2026, 11, 0, 22, 3, 12, 39, 298]):
        struct.pack_into("<H", head, 8 + 2 * i, v)
    frame = struct.pack("<QII", 0, frame_bytes, frame_bytes) + bytes(frame_bytes)
    table_offset = 128 + len(frame)
    struct.pack_into("<II", head, 24, table_offset, 4 * entries)
    table = struct.pack("<I", 128) * entries
    return bytes(head) + frame + table


def event_xml(record):
    return (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Microsoft-Windows-Security-Auditing" '
        'Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/><EventID>4625</EventID>'
        "<Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode>"
        "<Keywords>0x8010000000000000</Keywords>"
        f'<TimeCreated SystemTime="2026-11-22T03:{(record // 60) % 60:02d}:{record % 60:02d}.000000000Z"/>'
        f"<EventRecordID>{record}</EventRecordID><Correlation/>"
        '<Execution ProcessID="612" ThreadID="4242"/><Channel>Security</Channel>'
        "<Computer>RDPT-SRV</Computer><Security/></System><EventData>"
        '<Data Name="TargetUserName">alice</Data><Data Name="TargetDomainName">RDPT</Data>'
        '<Data Name="Status">0xc000006d</Data><Data Name="SubStatus">0xc000006a</Data>'
        '<Data Name="LogonType">3</Data><Data Name="IpAddress">10.9.0.2</Data>'
        '<Data Name="IpPort">0</Data></EventData></Event>'
    )


def utf16_xml_gz(name, events):
    """An Event Viewer XML export in UTF-16LE with a BOM, gzipped; the same event repeated
    `events` times with rising record ids."""
    with gzip.open(path(name), "wb", compresslevel=9) as out:
        out.write(b"\xff\xfe")
        out.write('<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>'.encode("utf-16-le"))
        batch = []
        for r in range(events):
            batch.append(event_xml(r + 1))
            if len(batch) == 1000:
                out.write("".join(batch).encode("utf-16-le"))
                batch = []
        out.write(("".join(batch) + "</Events>").encode("utf-16-le"))


def pcap_header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def pcap_record(ts_us, frame):
    return struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(frame), len(frame)) + frame


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """Ethernet + IPv4 + TCP with zero checksums (readers of captures do not check them)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 64240, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


SYN, ACK, PSH, RST = 0x02, 0x10, 0x08, 0x04
X224_REQUEST = bytes.fromhex("030000130ee000000000000100080003000000")
X224_CONFIRM = bytes.fromhex("030000130ed000001234000200080001000000")
CLIENT_HELLO_STUB = bytes.fromhex("16030100050100000103")


def alerting_connection(n, ts, alerts):
    """Client 10.9.x.y:port -> 10.9.0.1:3389: handshake, X.224 with TLS chosen, a
    ClientHello stub, then `alerts` TLS warning alerts from the server, then a reset."""
    cli = [10, 9, 1 + n // 250, 1 + n % 250]
    srv = [10, 9, 0, 1]
    sport = 40000 + n % 20000
    cs, ss = 1000, 5000
    out = [
        pcap_record(ts, tcp_frame(cli, srv, sport, 3389, cs, 0, SYN)),
        pcap_record(ts + 100, tcp_frame(srv, cli, 3389, sport, ss, cs + 1, SYN | ACK)),
        pcap_record(ts + 200, tcp_frame(cli, srv, sport, 3389, cs + 1, ss + 1, ACK)),
    ]
    cs, ss = cs + 1, ss + 1
    t = ts + 300
    for data, client in ((X224_REQUEST, True), (X224_CONFIRM, False), (CLIENT_HELLO_STUB, True)):
        if client:
            out.append(pcap_record(t, tcp_frame(cli, srv, sport, 3389, cs, ss, PSH | ACK, data)))
            cs += len(data)
        else:
            out.append(pcap_record(t, tcp_frame(srv, cli, 3389, sport, ss, cs, PSH | ACK, data)))
            ss += len(data)
        t += 100
    alert = bytes.fromhex("15030300020100")  # warning, close_notify
    per_segment = 200
    for k in range(0, alerts, per_segment):
        data = alert * min(per_segment, alerts - k)
        out.append(pcap_record(t, tcp_frame(srv, cli, 3389, sport, ss, cs, PSH | ACK, data)))
        ss += len(data)
        t += 50
    out.append(pcap_record(t, tcp_frame(cli, srv, sport, 3389, cs, ss, RST | ACK)))
    return b"".join(out)


def tls_alerts(name, connections, alerts):
    with gzip.open(path(name), "wb", compresslevel=9) as out:
        out.write(pcap_header())
        ts = 1_795_317_159_000_000
        for n in range(connections):
            out.write(alerting_connection(n, ts, alerts))
            ts += 20_000


def pcapng_unknown_blocks(name, blocks):
    """A pcapng with one section header and `blocks` blocks of an unknown type (12 bytes
    each), gzipped."""
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    unknown = struct.pack("<III", 0x0BAD0001, 12, 12)
    with gzip.open(path(name), "wb", compresslevel=9) as out:
        out.write(shb)
        for _ in range(blocks // 10000):
            out.write(unknown * 10000)


def nested_archives(name, members, member_mib):
    """A zip of `members` zips, each holding one `member_mib` MiB capture of zeros after a
    pcap header (deflated a thousandfold)."""
    outer = zipfile.ZipFile(path(name), "w", zipfile.ZIP_STORED)
    for m in range(members):
        inner_bytes = io.BytesIO()
        with zipfile.ZipFile(inner_bytes, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as inner:
            with inner.open(f"big{m}.pcap", "w", force_zip64=True) as f:
                f.write(pcap_header())
                block = bytes(1 << 20)
                for _ in range(member_mib):
                    f.write(block)
        outer.writestr(f"inner{m}.zip", inner_bytes.getvalue())
    outer.close()


def guessing_bundle(folder, n):
    """One address trying `n` times: a capture of `n` connections the server resets after the
    X.224 request, and a Security export of `n` 4625s from that address."""
    os.makedirs(path(folder), exist_ok=True)
    cli = [10, 9, 0, 2]
    srv = [10, 9, 0, 1]
    with open(path(os.path.join(folder, "guessing.pcap")), "wb") as out:
        out.write(pcap_header())
        ts = 1_795_317_159_000_000
        for k in range(n):
            sport = 1024 + k % 60000
            out.write(pcap_record(ts, tcp_frame(cli, srv, sport, 3389, 1, 0, SYN)))
            out.write(pcap_record(ts + 100, tcp_frame(srv, cli, 3389, sport, 9, 2, SYN | ACK)))
            out.write(pcap_record(ts + 200, tcp_frame(cli, srv, sport, 3389, 2, 10, ACK)))
            out.write(pcap_record(ts + 300, tcp_frame(cli, srv, sport, 3389, 2, 10, PSH | ACK, X224_REQUEST)))
            out.write(pcap_record(ts + 400, tcp_frame(srv, cli, 3389, sport, 10, 2 + len(X224_REQUEST), RST | ACK)))
            ts += 500_000
    with open(path(os.path.join(folder, "security.xml")), "w") as out:
        out.write("<Events>")
        for r in range(n):
            out.write(event_xml(r + 1))
        out.write("</Events>")


cases = sys.argv[2:] or ["all"]
want = lambda c: "all" in cases or c in cases
if want("netmon"):
    with gzip.open(path("netmon-alias-10k.cap.gz"), "wb", compresslevel=9) as f:
        f.write(netmon_aliasing(10_000, 400_000))
    with gzip.open(path("netmon-alias-100k.cap.gz"), "wb", compresslevel=9) as f:
        f.write(netmon_aliasing(100_000, 400_000))
if want("xml"):
    utf16_xml_gz("utf16-export.xml.gz", 1_000_000)
    os.makedirs(path("utf16-four"), exist_ok=True)
    for k in range(4):
        utf16_xml_gz(os.path.join("utf16-four", f"export{k}.xml.gz"), 250_000)
if want("nested"):
    nested_archives("nested-three.zip", 3, 255)
if want("pcapng"):
    pcapng_unknown_blocks("unknown-blocks.pcapng.gz", 6_000_000)
if want("alerts"):
    tls_alerts("tls-alerts.pcap.gz", 600, 20_000)
if want("guessing"):
    guessing_bundle("guessing-20k", 20_000)
for name in sorted(os.listdir(OUT)):
    p = path(name)
    size = sum(os.path.getsize(os.path.join(p, f)) for f in os.listdir(p)) if os.path.isdir(p) else os.path.getsize(p)
    print(f"{size:>12}  {name}")
