#!/usr/bin/env python3
"""Write a capture of many decryptable RDP connections for benches/decrypt-timing.sh: the
connections of fixtures/captures/decrypt-keylog.pcap (nine xfreerdp NLA attempts under TLS 1.3
and TLS 1.2 ECDHE, real traffic) copied N times, each copy from its own client address
(10.100.0.0/16) and 10 s after the one before. The copies keep their ClientHello randoms, so
the fixture's key log (decrypt-keylog.keys) decrypts every connection of the output.

  python3 benches/gen_decrypt_bench.py COPIES OUT.pcap

Standard library only. IPv4 header checksums are rewritten; TCP checksums are left as they
are (neither rdptriage nor tshark checks them by default).
"""
import struct
import sys

SRC = "fixtures/captures/decrypt-keylog.pcap"
CLIENT = bytes([10, 99, 1, 2])


def ip_checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) | header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def main(copies, out_path):
    data = open(SRC, "rb").read()
    header, body = data[:24], data[24:]
    records = []
    at = 0
    while at + 16 <= len(body):
        sec, usec, caplen, origlen = struct.unpack("<IIII", body[at:at + 16])
        records.append((sec, usec, bytearray(body[at + 16:at + 16 + caplen]), origlen))
        at += 16 + caplen
    with open(out_path, "wb") as out:
        out.write(header)
        for n in range(copies):
            new_client = bytes([10, 100, (n >> 8) & 0xFF, n & 0xFF])
            for sec, usec, frame, origlen in records:
                f = bytearray(frame)
                ip = 14  # Ethernet
                if f[ip:ip + 1] and f[ip] >> 4 == 4:
                    ihl = (f[ip] & 0xF) * 4
                    for off in (ip + 12, ip + 16):
                        if f[off:off + 4] == CLIENT:
                            f[off:off + 4] = new_client
                    f[ip + 10:ip + 12] = b"\0\0"
                    f[ip + 10:ip + 12] = struct.pack(">H", ip_checksum(f[ip:ip + ihl]))
                out.write(struct.pack("<IIII", sec + 10 * n, usec, len(f), origlen))
                out.write(f)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
