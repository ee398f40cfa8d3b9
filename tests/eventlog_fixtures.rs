//! Event-log fixtures for the events no public sample has (`fixtures/eventlog/`).
//!
//! Each fixture is described once below ([`fixtures`]): from that description come the Event
//! Viewer XML export (`NAME.xml`) and the binary log (`NAME.evtx`, written by
//! `tests/evtx_writer`). `cargo test --test eventlog_fixtures -- --ignored regenerate` rewrites
//! both; the other tests check that
//!
//! * the committed files are what the description gives (byte for byte);
//! * the `evtx` crate reads every `.evtx` back (no errors), with the record count, record ids,
//!   record timestamps, provider, event id and fields of the description;
//! * each record as the `evtx` crate renders it (XML and JSON) says the same as the matching
//!   `<Event>` of the XML export, element by element and attribute by attribute (GUIDs compared
//!   case-insensitively, SystemTime to 100 ns: the two forms Windows itself differs in);
//! * typed values stay typed (EventID, ProcessID... are JSON numbers, as in real files).
//!
//! Where each structure comes from, and what each fixture holds: `fixtures/eventlog/README.md`.

mod evtx_writer;

use std::collections::BTreeMap;
use std::path::PathBuf;

use evtx_writer::{Element, Instance, Record, Value, filetime, write_evtx};

const NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

// ---------------------------------------------------------------------------------------------
// Description of the fixtures.

/// How the provider's System part is laid out (each after a real file in the corpus, see the
/// README).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// Manifest provider whose Name, Guid and Channel are substitutions (RdpCoreTS,
    /// RemoteConnectionManager/Operational in the corpus). Used here for RdpCoreTS, RCM 1149,
    /// Schannel and ClientActiveXCore.
    Manifest,
    /// Security-Auditing: Name and Guid literal (lower-case GUID), Channel literal.
    Security,
    /// RemoteConnectionManager in the System log (TermService 1056 in the corpus): Name, Guid
    /// (upper case) and EventSourceName literal, classic `<Data>`/`<Binary>` event data.
    ClassicManifest,
    /// Classic event source without a manifest (NetBT 4321 in the corpus; TermDD here).
    Classic,
}

/// A typed EventData value.
#[derive(Clone, Debug)]
enum F {
    S(&'static str),
    U32(u32),
    U64(u64),
    Hex32(u32),
    Hex64(u64),
    SizeT(u32),
    Sid(&'static str),
}

impl F {
    fn text(&self) -> String {
        match self {
            F::S(s) | F::Sid(s) => s.to_string(),
            F::U32(v) => v.to_string(),
            F::U64(v) => v.to_string(),
            F::Hex32(v) | F::SizeT(v) => format!("0x{v:x}"),
            F::Hex64(v) => format!("0x{v:x}"),
        }
    }
    fn value(&self) -> Value {
        match self {
            F::S(s) => Value::Str(s.to_string()),
            F::U32(v) => Value::U32(*v),
            F::U64(v) => Value::U64(*v),
            F::Hex32(v) => Value::HexInt32(*v),
            F::Hex64(v) => Value::HexInt64(*v),
            F::SizeT(v) => Value::SizeT32(*v),
            F::Sid(s) => Value::Sid(s.to_string()),
        }
    }
    fn ty(&self) -> u8 {
        match self {
            F::S(_) => 0x01,
            F::U32(_) => 0x08,
            F::U64(_) => 0x0A,
            F::Hex32(_) => 0x14,
            F::Hex64(_) => 0x15,
            F::SizeT(_) => 0x10,
            F::Sid(_) => 0x13,
        }
    }
}

#[derive(Clone, Debug)]
enum Payload {
    /// `<EventData><Data Name="…">…</Data>…</EventData>`
    Named(Vec<(&'static str, F)>),
    /// `<UserData><EventXML xmlns="Event_NS"><Param1>…</Param1>…</EventXML></UserData>`
    User(Vec<(&'static str, &'static str)>),
    /// `<EventData><Data>…</Data>…<Binary>…</Binary></EventData>` (classic insertion strings)
    Classic {
        strings: Vec<&'static str>,
        binary: Option<Vec<u8>>,
    },
}

#[derive(Clone, Debug)]
struct Ev {
    shape: Shape,
    provider: &'static str,
    /// As Windows renders it: upper case for GUID-typed values and the RCM System template,
    /// lower case where the template has it literally in lower case (Security-Auditing).
    guid: Option<&'static str>,
    source: Option<&'static str>,
    id: u16,
    qualifiers: Option<u16>,
    version: u8,
    level: u8,
    task: u16,
    opcode: u8,
    keywords: u64,
    /// UTC, 7 fraction digits (FILETIME resolution).
    time: &'static str,
    record_id: u64,
    activity: Option<&'static str>,
    pid: u32,
    tid: u32,
    channel: &'static str,
    computer: &'static str,
    user: Option<&'static str>,
    payload: Payload,
}

struct Fixture {
    name: &'static str,
    events: Vec<Ev>,
}

const SRV: &str = "RDPT-SRV";
const CLI: &str = "RDPT-CLIENT";
const RDPCORETS: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS";
const RDPCORETS_GUID: &str = "{1139C61B-B549-4251-8ED3-27250A1EDEC8}";
const RDPCORETS_CH: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";
const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";
const RCM_GUID: &str = "{C76BAA63-AE81-421C-B425-340B4B24157F}";
const RCM_CH: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
const SECURITY_GUID: &str = "{54849625-5478-4994-a5ba-3e3b0328c30d}";
const SCHANNEL: &str = "Schannel";
const SCHANNEL_GUID: &str = "{1F678132-5938-4686-9FDC-C8FF68F15C85}";
const AXC: &str = "Microsoft-Windows-TerminalServices-ClientActiveXCore";
const AXC_GUID: &str = "{28AA95BB-D444-4719-A36F-40462168127E}";
const AXC_CH: &str = "Microsoft-Windows-TerminalServices-RDPClient/Operational";
const CLIENT_USER: &str = "S-1-5-21-1004336348-1177238915-682003330-1001";

/// TermDD 56 binary data: the layout and bytes of the AskPerf sample (the last DWORD,
/// D0000184 little-endian, is the NTSTATUS C0000184 as an HRESULT).
const TERMDD_56_BINARY: [u8; 44] = [
    0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, 0x0A, 0xC0,
    0x00, 0x00, 0x00, 0x00, 0x38, 0x00, 0x0A, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x84, 0x01, 0x00, 0xD0,
];

fn rdpcorets(
    id: u16,
    record_id: u64,
    time: &'static str,
    activity: &'static str,
    tid: u32,
    data: Vec<(&'static str, F)>,
) -> Ev {
    let (level, opcode) = if id == 140 { (3, 14) } else { (4, 15) };
    Ev {
        shape: Shape::Manifest,
        provider: RDPCORETS,
        guid: Some(RDPCORETS_GUID),
        source: None,
        id,
        qualifiers: None,
        version: 0,
        level,
        task: 4,
        opcode,
        keywords: 0x4000_0000_0000_0000,
        time,
        record_id,
        activity: Some(activity),
        pid: 1096,
        tid,
        channel: RDPCORETS_CH,
        computer: SRV,
        user: Some("S-1-5-20"),
        payload: Payload::Named(data),
    }
}

fn logon_failure(record_id: u64, time: &'static str, tid: u32) -> Ev {
    Ev {
        shape: Shape::Security,
        provider: SECURITY,
        guid: Some(SECURITY_GUID),
        source: None,
        id: 4625,
        qualifiers: None,
        version: 0,
        level: 0,
        task: 12544,
        opcode: 0,
        keywords: 0x8010_0000_0000_0000,
        time,
        record_id,
        activity: None,
        pid: 668,
        tid,
        channel: "Security",
        computer: SRV,
        user: None,
        payload: Payload::Named(vec![
            ("SubjectUserSid", F::Sid("S-1-0-0")),
            ("SubjectUserName", F::S("-")),
            ("SubjectDomainName", F::S("-")),
            ("SubjectLogonId", F::Hex64(0)),
            ("TargetUserSid", F::Sid("S-1-0-0")),
            ("TargetUserName", F::S("rdptest")),
            ("TargetDomainName", F::S("RDPT-SRV")),
            ("Status", F::Hex32(0xC000_006D)),
            ("FailureReason", F::S("%%2313")),
            ("SubStatus", F::Hex32(0xC000_006A)),
            ("LogonType", F::U32(3)),
            ("LogonProcessName", F::S("NtLmSsp ")),
            ("AuthenticationPackageName", F::S("NTLM")),
            ("WorkstationName", F::S(CLI)),
            ("TransmittedServices", F::S("-")),
            ("LmPackageName", F::S("-")),
            ("KeyLength", F::U32(0)),
            ("ProcessId", F::SizeT(0)),
            ("ProcessName", F::S("-")),
            ("IpAddress", F::S("10.99.1.2")),
            ("IpPort", F::S("0")),
        ]),
    }
}

/// A string made at run time for a description that holds `&'static str` (the fixtures are
/// built once per test run).
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A Security-Auditing event of the layout of [`logon_failure`] (the real 4625 id 59 of
/// `Security_with_size_t.evtx`), with its own id, task, keywords, version and EventData.
fn security_event(
    id: u16,
    record_id: u64,
    time: &'static str,
    task: u16,
    success: bool,
    version: u8,
    data: Vec<(&'static str, F)>,
) -> Ev {
    Ev {
        id,
        record_id,
        time,
        task,
        version,
        // Audit success / audit failure.
        keywords: if success {
            0x8020_0000_0000_0000
        } else {
            0x8010_0000_0000_0000
        },
        tid: 700 + (record_id % 97) as u32,
        payload: Payload::Named(data),
        ..logon_failure(record_id, time, 0)
    }
}

/// What a failed or successful logon says: who, from where, how.
#[derive(Clone, Copy)]
struct Logon {
    user: &'static str,
    domain: &'static str,
    ip: &'static str,
    port: &'static str,
    workstation: &'static str,
    logon_type: u32,
}

/// Security 4625 with the EventData of the real record (names, order, types), for `who`
/// refused with `status` / `sub_status`. A network logon (type 3) is NTLM's `NtLmSsp`; an
/// interactive one (10, 7) winlogon's `User32`.
fn failed_logon(
    record_id: u64,
    time: &'static str,
    who: Logon,
    status: u32,
    sub_status: u32,
) -> Ev {
    let (process, package, pid, name) = if who.logon_type == 3 {
        ("NtLmSsp ", "NTLM", 0, "-")
    } else {
        (
            "User32 ",
            "Negotiate",
            0x3a4,
            "C:\\Windows\\System32\\svchost.exe",
        )
    };
    security_event(
        4625,
        record_id,
        time,
        12544,
        false,
        0,
        vec![
            ("SubjectUserSid", F::Sid("S-1-0-0")),
            ("SubjectUserName", F::S("-")),
            ("SubjectDomainName", F::S("-")),
            ("SubjectLogonId", F::Hex64(0)),
            ("TargetUserSid", F::Sid("S-1-0-0")),
            ("TargetUserName", F::S(who.user)),
            ("TargetDomainName", F::S(who.domain)),
            ("Status", F::Hex32(status)),
            (
                "FailureReason",
                F::S(if sub_status == 0xC000_0072 {
                    "%%2310"
                } else if status == 0xC000_0234 {
                    "%%2307"
                } else {
                    "%%2313"
                }),
            ),
            ("SubStatus", F::Hex32(sub_status)),
            ("LogonType", F::U32(who.logon_type)),
            ("LogonProcessName", F::S(process)),
            ("AuthenticationPackageName", F::S(package)),
            ("WorkstationName", F::S(who.workstation)),
            ("TransmittedServices", F::S("-")),
            ("LmPackageName", F::S("-")),
            ("KeyLength", F::U32(0)),
            ("ProcessId", F::SizeT(pid)),
            ("ProcessName", F::S(name)),
            ("IpAddress", F::S(who.ip)),
            ("IpPort", F::S(who.port)),
        ],
    )
}

/// Security 4624 (version 2, the EventData names and order of Windows 10 / Server 2016 and
/// later, without `LogonGuid`, a GUID-typed value the fixture writer does not write).
fn logon(record_id: u64, time: &'static str, who: Logon, logon_id: u64) -> Ev {
    let (process, package) = if who.logon_type == 3 {
        ("NtLmSsp ", "NTLM")
    } else {
        ("User32 ", "Negotiate")
    };
    security_event(
        4624,
        record_id,
        time,
        12544,
        true,
        2,
        vec![
            (
                "SubjectUserSid",
                F::Sid(if who.logon_type == 3 {
                    "S-1-0-0"
                } else {
                    "S-1-5-18"
                }),
            ),
            (
                "SubjectUserName",
                F::S(if who.logon_type == 3 {
                    "-"
                } else {
                    "RDPT-SRV$"
                }),
            ),
            (
                "SubjectDomainName",
                F::S(if who.logon_type == 3 {
                    "-"
                } else {
                    "WORKGROUP"
                }),
            ),
            (
                "SubjectLogonId",
                F::Hex64(if who.logon_type == 3 { 0 } else { 0x3e7 }),
            ),
            (
                "TargetUserSid",
                F::Sid("S-1-5-21-3623811015-3361044348-30300820-1013"),
            ),
            ("TargetUserName", F::S(who.user)),
            ("TargetDomainName", F::S(who.domain)),
            ("TargetLogonId", F::Hex64(logon_id)),
            ("LogonType", F::U32(who.logon_type)),
            ("LogonProcessName", F::S(process)),
            ("AuthenticationPackageName", F::S(package)),
            ("WorkstationName", F::S(who.workstation)),
            ("TransmittedServices", F::S("-")),
            (
                "LmPackageName",
                F::S(if who.logon_type == 3 { "NTLM V2" } else { "-" }),
            ),
            (
                "KeyLength",
                F::U32(if who.logon_type == 3 { 128 } else { 0 }),
            ),
            (
                "ProcessId",
                F::SizeT(if who.logon_type == 3 { 0 } else { 0x3a4 }),
            ),
            (
                "ProcessName",
                F::S(if who.logon_type == 3 {
                    "-"
                } else {
                    "C:\\Windows\\System32\\svchost.exe"
                }),
            ),
            ("IpAddress", F::S(who.ip)),
            ("IpPort", F::S(who.port)),
            ("ImpersonationLevel", F::S("%%1833")),
            (
                "RestrictedAdminMode",
                F::S(if who.logon_type == 10 { "%%1843" } else { "-" }),
            ),
            ("TargetOutboundUserName", F::S("-")),
            ("TargetOutboundDomainName", F::S("-")),
            ("VirtualAccount", F::S("%%1843")),
            ("TargetLinkedLogonId", F::Hex64(0)),
            ("ElevatedToken", F::S("%%1842")),
        ],
    )
}

/// Security 4740 (a user account was locked out) and 4767 (unlocked): task 13824 (User
/// Account Management), EventData `TargetUserName`, `TargetDomainName` (4740: the caller
/// computer whose failures locked it; 4767: the account's domain), `TargetSid`, then who
/// logged it (4740: the computer's own account; 4767: who unlocked it).
fn account_event(
    id: u16,
    record_id: u64,
    time: &'static str,
    user: &'static str,
    target_domain: &'static str,
    by: (&'static str, &'static str),
) -> Ev {
    security_event(
        id,
        record_id,
        time,
        13824,
        true,
        0,
        vec![
            ("TargetUserName", F::S(user)),
            ("TargetDomainName", F::S(target_domain)),
            (
                "TargetSid",
                F::Sid("S-1-5-21-3623811015-3361044348-30300820-1014"),
            ),
            (
                "SubjectUserSid",
                F::Sid(if id == 4740 {
                    "S-1-5-18"
                } else {
                    "S-1-5-21-3623811015-3361044348-30300820-500"
                }),
            ),
            ("SubjectUserName", F::S(by.0)),
            ("SubjectDomainName", F::S(by.1)),
            (
                "SubjectLogonId",
                F::Hex64(if id == 4740 { 0x3e7 } else { 0x4c1f2 }),
            ),
        ],
    )
}

/// Security 5152, the Windows Filtering Platform dropped an inbound packet: the System part,
/// EventData names, order and value types of the real record 319457771 in
/// `omerbenamram-evtx/Security_short_selected.evtx` (a SYN to 3389 dropped at the transport
/// layer: Application `-`, ProcessId 0, Direction `%%14592` inbound, Protocol 6, LayerName
/// `%%14597`, LayerRTID 13; Execution 4/80, the System process).
fn wfp_drop(record_id: u64, time: &'static str, source_port: &'static str) -> Ev {
    Ev {
        shape: Shape::Security,
        provider: SECURITY,
        guid: Some(SECURITY_GUID),
        source: None,
        id: 5152,
        qualifiers: None,
        version: 0,
        level: 0,
        task: 12809,
        opcode: 0,
        keywords: 0x8010_0000_0000_0000,
        time,
        record_id,
        activity: None,
        pid: 4,
        tid: 80,
        channel: "Security",
        computer: SRV,
        user: None,
        payload: Payload::Named(vec![
            ("ProcessId", F::U64(0)),
            ("Application", F::S("-")),
            ("Direction", F::S("%%14592")),
            ("SourceAddress", F::S("10.99.1.2")),
            ("SourcePort", F::S(source_port)),
            ("DestAddress", F::S("10.99.2.2")),
            ("DestPort", F::S("3389")),
            ("Protocol", F::U32(6)),
            ("FilterRTID", F::U64(70417)),
            ("LayerName", F::S("%%14597")),
            ("LayerRTID", F::U64(13)),
        ]),
    }
}

fn rcm_system(id: u16, record_id: u64, time: &'static str, status: &'static str) -> Ev {
    Ev {
        shape: Shape::ClassicManifest,
        provider: RCM,
        guid: Some(RCM_GUID),
        source: Some("TermService"),
        id,
        qualifiers: Some(49152),
        version: 0,
        level: 2,
        task: 0,
        opcode: 0,
        keywords: 0x0080_0000_0000_0000,
        time,
        record_id,
        activity: None,
        pid: 0,
        tid: 0,
        channel: "System",
        computer: SRV,
        user: None,
        payload: Payload::Classic {
            strings: vec![status],
            binary: None,
        },
    }
}

fn schannel(
    id: u16,
    record_id: u64,
    time: &'static str,
    activity: &'static str,
    tid: u32,
    data: Vec<(&'static str, F)>,
) -> Ev {
    Ev {
        shape: Shape::Manifest,
        provider: SCHANNEL,
        guid: Some(SCHANNEL_GUID),
        source: None,
        id,
        qualifiers: None,
        version: 0,
        level: 2,
        task: 0,
        opcode: 0,
        keywords: 0x8000_0000_0000_0000,
        time,
        record_id,
        activity: Some(activity),
        pid: 668,
        tid,
        channel: "System",
        computer: SRV,
        user: Some("S-1-5-18"),
        payload: Payload::Named(data),
    }
}

fn client(
    id: u16,
    record_id: u64,
    time: &'static str,
    opcode: u8,
    data: Vec<(&'static str, F)>,
) -> Ev {
    Ev {
        shape: Shape::Manifest,
        provider: AXC,
        guid: Some(AXC_GUID),
        source: None,
        id,
        qualifiers: None,
        version: 0,
        level: 4,
        task: 101,
        opcode,
        keywords: 0x4000_0000_0000_0000,
        time,
        record_id,
        activity: Some("{D3A2F1C4-5B6E-4F70-8A9B-0C1D2E3F0000}"),
        pid: 5312,
        tid: 6044,
        channel: AXC_CH,
        computer: CLI,
        user: Some(CLIENT_USER),
        payload: Payload::Named(data),
    }
}

/// Every fixture. Times and addresses are those of `fixtures/captures/*.pcap` (see the README).
fn fixtures() -> Vec<Fixture> {
    let a = "{F420A1D2-6C3B-4E1A-9B7E-2C5D8A1E0000}";
    let b = "{F4207A11-93C4-4D25-8E60-71B2C9D40000}";
    let c = "{F420C3E5-0A7F-4B18-A2D9-5E6F7A8B0000}";
    let d = "{F42019B8-E4D2-4C3A-B5F6-0718293A0000}";
    vec![
        Fixture {
            name: "server-rdpcorets",
            events: vec![
                rdpcorets(
                    131,
                    4211,
                    "2026-11-22T03:42:30.4629118Z",
                    a,
                    1416,
                    vec![
                        ("ConnType", F::S("TCP")),
                        ("ClientIP", F::S("10.99.1.2:53850")),
                    ],
                ),
                rdpcorets(
                    131,
                    4212,
                    "2026-11-22T03:42:37.5538004Z",
                    b,
                    1416,
                    vec![
                        ("ConnType", F::S("TCP")),
                        ("ClientIP", F::S("10.99.1.2:56862")),
                    ],
                ),
                rdpcorets(
                    140,
                    4213,
                    "2026-11-22T03:42:37.5891520Z",
                    b,
                    10860,
                    vec![("IPString", F::S("10.99.1.2"))],
                ),
                rdpcorets(
                    131,
                    4214,
                    "2026-11-22T03:42:37.5935092Z",
                    c,
                    1416,
                    vec![
                        ("ConnType", F::S("TCP")),
                        ("ClientIP", F::S("10.99.1.2:56872")),
                    ],
                ),
                rdpcorets(
                    140,
                    4215,
                    "2026-11-22T03:42:37.7263310Z",
                    c,
                    10860,
                    vec![("IPString", F::S("10.99.1.2"))],
                ),
                rdpcorets(
                    131,
                    4216,
                    "2026-11-22T03:42:41.5054129Z",
                    d,
                    1416,
                    vec![
                        ("ConnType", F::S("TCP")),
                        ("ClientIP", F::S("10.99.1.2:56880")),
                    ],
                ),
            ],
        },
        Fixture {
            name: "server-security",
            events: vec![
                logon_failure(118734, "2026-11-22T03:42:37.5889906Z", 2212),
                logon_failure(118735, "2026-11-22T03:42:37.7261874Z", 2212),
            ],
        },
        Fixture {
            name: "server-rcm",
            events: vec![Ev {
                shape: Shape::Manifest,
                provider: RCM,
                guid: Some(RCM_GUID),
                source: None,
                id: 1149,
                qualifiers: None,
                version: 0,
                level: 4,
                task: 0,
                opcode: 0,
                keywords: 0x1000_0000_0000_0000,
                time: "2026-11-22T03:42:41.5481733Z",
                record_id: 731,
                activity: Some(d),
                pid: 1096,
                tid: 4152,
                channel: RCM_CH,
                computer: SRV,
                user: Some("S-1-5-20"),
                payload: Payload::User(vec![
                    ("Param1", "rdptest"),
                    ("Param2", ""),
                    ("Param3", "10.99.1.2"),
                ]),
            }],
        },
        Fixture {
            name: "server-system",
            events: vec![
                rcm_system(
                    1058,
                    15402,
                    "2026-11-22T03:40:12.3175402Z",
                    "Access is denied.",
                ),
                rcm_system(
                    1057,
                    15403,
                    "2026-11-22T03:40:12.3201187Z",
                    "Object already exists.",
                ),
                schannel(
                    36870,
                    15417,
                    "2026-11-22T03:42:30.5551873Z",
                    "{B1E3A429-AE1E-0001-CF50-D24FA6E0D801}",
                    3936,
                    vec![
                        ("Type", F::S("server")),
                        ("ErrorCode", F::Hex32(0x8009_030D)),
                        ("ErrorStatus", F::U32(10013)),
                    ],
                ),
                Ev {
                    shape: Shape::Classic,
                    provider: "TermDD",
                    guid: None,
                    source: None,
                    id: 56,
                    qualifiers: Some(49162),
                    version: 0,
                    level: 2,
                    task: 0,
                    opcode: 0,
                    keywords: 0x0080_0000_0000_0000,
                    time: "2026-11-22T03:42:52.4424718Z",
                    record_id: 15420,
                    activity: None,
                    pid: 4,
                    tid: 172,
                    channel: "System",
                    computer: SRV,
                    user: None,
                    payload: Payload::Classic {
                        strings: vec!["\\Device\\Termdd", "10.99.1.2"],
                        binary: Some(TERMDD_56_BINARY.to_vec()),
                    },
                },
                schannel(
                    36888,
                    15431,
                    "2026-11-22T03:43:54.6978102Z",
                    "{B1E3A429-AE1E-0002-4A61-D24FA6E0D801}",
                    4120,
                    vec![("AlertDesc", F::U32(40)), ("ErrorState", F::U32(1205))],
                ),
            ],
        },
        // tcp-dropped.pcap: each of the 8 SYNs (03:41:50.046054 … 03:42:01.375689) dropped by
        // the server's firewall, logged ~0.17 ms after the client's capture saw it leave.
        Fixture {
            name: "server-security-wfp",
            events: vec![
                wfp_drop(118726, "2026-11-22T03:41:50.0462271Z", "36304"),
                wfp_drop(118727, "2026-11-22T03:41:51.0679338Z", "36304"),
                wfp_drop(118728, "2026-11-22T03:41:52.0958604Z", "36304"),
                wfp_drop(118729, "2026-11-22T03:41:53.1158912Z", "36304"),
                wfp_drop(118730, "2026-11-22T03:41:54.1398767Z", "36304"),
                wfp_drop(118731, "2026-11-22T03:41:55.1639005Z", "36304"),
                wfp_drop(118732, "2026-11-22T03:41:57.1799013Z", "36304"),
                wfp_drop(118733, "2026-11-22T03:42:01.3758621Z", "36304"),
            ],
        },
        // server-reset-mid-handshake.pcap: the connection accepted (SYN 03:42:52.293399) …
        Fixture {
            name: "server-rdpcorets-tlskey",
            events: vec![rdpcorets(
                131,
                4217,
                "2026-11-22T03:42:52.2935712Z",
                "{F4205D3C-7A19-4E2B-9C41-8D3E6F5A0000}",
                1416,
                vec![
                    ("ConnType", F::S("TCP")),
                    ("ClientIP", F::S("10.99.1.2:45692")),
                ],
            )],
        },
        // … and Schannel failing on the private key at its ClientHello (03:42:52.420797).
        Fixture {
            name: "server-system-tlskey",
            events: vec![schannel(
                36870,
                15418,
                "2026-11-22T03:42:52.4211240Z",
                "{B1E3A429-AE1E-0003-7B12-D24FA6E0D801}",
                3936,
                vec![
                    ("Type", F::S("server")),
                    ("ErrorCode", F::Hex32(0x8009_030D)),
                    ("ErrorStatus", F::U32(10001)),
                ],
            )],
        },
        // A server with local accounts, one morning (the expected conclusions are in
        // fixtures/eventlog/README.md): alice mistypes twice and gets in; bob's saved wrong
        // password locks him out, an administrator unlocks him and he gets in; "carol " (a
        // trailing space) does not exist, carol does; and a console unlock that is no RDP.
        Fixture {
            name: "server-security-lockout",
            events: lockout_morning(),
        },
        // Password guessing over the network from one internet address: 20 tries a second,
        // a new workstation name each, mostly `administrator`, some made-up names, and
        // `guest` whose password was right but who is disabled.
        Fixture {
            name: "server-security-guessing",
            events: guessing_flood(),
        },
        // The same minute in RdpCoreTS: connections from that address (131) and failed NLA
        // (140): what makes the guessing RDP's.
        Fixture {
            name: "server-rdpcorets-guessing",
            events: (0..6u64)
                .map(|i| {
                    let t = leak(format!(
                        "2026-11-23T10:00:0{}.{:07}Z",
                        i / 2,
                        (i % 2) * 5_000_000 + 120
                    ));
                    let activity = leak(format!("{{F420AA{i:02}-6C3B-4E1A-9B7E-2C5D8A1E0000}}"));
                    if i % 2 == 0 {
                        rdpcorets(
                            131,
                            7310 + i,
                            t,
                            activity,
                            1416,
                            vec![
                                ("ConnType", F::S("TCP")),
                                (
                                    "ClientIP",
                                    F::S(leak(format!("203.0.113.50:{}", 50110 + i))),
                                ),
                            ],
                        )
                    } else {
                        rdpcorets(
                            140,
                            7310 + i,
                            t,
                            activity,
                            10860,
                            vec![("IPString", F::S("203.0.113.50"))],
                        )
                    }
                })
                .collect(),
        },
        Fixture {
            name: "client-rdpclient",
            events: vec![
                client(
                    1024,
                    57,
                    "2026-11-22T03:42:30.4614377Z",
                    10,
                    vec![
                        ("Name", F::S("Server Name")),
                        ("Value", F::S("10.99.2.2")),
                        ("CustomLevel", F::S("Info")),
                    ],
                ),
                client(
                    1026,
                    58,
                    "2026-11-22T03:42:30.5936654Z",
                    11,
                    vec![
                        ("Name", F::S("Disconnect Reason")),
                        ("Value", F::U32(2308)),
                        ("CustomLevel", F::S("Info")),
                    ],
                ),
            ],
        },
    ]
}

/// `server-security-lockout`: see its fixture.
fn lockout_morning() -> Vec<Ev> {
    const WRONG: (u32, u32) = (0xC000_006D, 0xC000_006A);
    const NO_USER: (u32, u32) = (0xC000_006D, 0xC000_0064);
    let alice = Logon {
        user: "alice",
        domain: SRV,
        ip: "10.99.1.2",
        port: "0",
        workstation: CLI,
        logon_type: 3,
    };
    let bob = Logon {
        user: "bob",
        ip: "10.99.1.3",
        workstation: "RDPT-BOB",
        ..alice
    };
    let carol_typo = Logon {
        user: "carol ",
        ip: "10.99.1.4",
        workstation: "RDPT-CAROL",
        ..alice
    };
    let carol = Logon {
        user: "carol",
        ..carol_typo
    };
    let rdp = |who: Logon, port: &'static str| Logon {
        logon_type: 10,
        port,
        workstation: SRV,
        ..who
    };
    let mut events = vec![
        failed_logon(
            52001,
            "2026-11-23T09:00:05.1023345Z",
            alice,
            WRONG.0,
            WRONG.1,
        ),
        failed_logon(
            52002,
            "2026-11-23T09:00:14.6610293Z",
            alice,
            WRONG.0,
            WRONG.1,
        ),
        logon(52003, "2026-11-23T09:00:31.2290117Z", alice, 0x5a1c3e),
        logon(
            52004,
            "2026-11-23T09:00:33.0418852Z",
            rdp(alice, "50412"),
            0x5a1d07,
        ),
    ];
    for (i, t) in [
        "2026-11-23T09:10:00.3325510Z",
        "2026-11-23T09:10:10.4417790Z",
        "2026-11-23T09:10:20.5208126Z",
        "2026-11-23T09:10:30.6114467Z",
        "2026-11-23T09:10:40.7034521Z",
    ]
    .into_iter()
    .enumerate()
    {
        events.push(failed_logon(52010 + i as u64, t, bob, WRONG.0, WRONG.1));
    }
    events.extend([
        account_event(
            4740,
            52015,
            "2026-11-23T09:10:40.7051107Z",
            "bob",
            "RDPT-BOB",
            ("RDPT-SRV$", "WORKGROUP"),
        ),
        failed_logon(52016, "2026-11-23T09:10:50.8871203Z", bob, 0xC000_0234, 0),
        // The administrator unlocks the console: winlogon's own unlock, no RDP.
        logon(
            52017,
            "2026-11-23T09:20:00.1187000Z",
            Logon {
                user: "admin",
                ip: "127.0.0.1",
                workstation: SRV,
                logon_type: 7,
                ..alice
            },
            0x61b2a0,
        ),
        account_event(
            4767,
            52018,
            "2026-11-23T09:25:00.5539816Z",
            "bob",
            SRV,
            ("admin", SRV),
        ),
        logon(52019, "2026-11-23T09:26:10.2201934Z", bob, 0x63c001),
        logon(
            52020,
            "2026-11-23T09:26:12.0097411Z",
            rdp(bob, "50733"),
            0x63c0e8,
        ),
        failed_logon(
            52021,
            "2026-11-23T09:30:00.4410082Z",
            carol_typo,
            NO_USER.0,
            NO_USER.1,
        ),
        failed_logon(
            52022,
            "2026-11-23T09:30:09.0917334Z",
            carol_typo,
            NO_USER.0,
            NO_USER.1,
        ),
        failed_logon(
            52023,
            "2026-11-23T09:30:20.7730219Z",
            carol_typo,
            NO_USER.0,
            NO_USER.1,
        ),
        logon(52024, "2026-11-23T09:31:00.3318845Z", carol, 0x64d210),
        logon(
            52025,
            "2026-11-23T09:31:02.1164773Z",
            rdp(carol, "51020"),
            0x64d2b6,
        ),
    ]);
    events
}

/// `server-security-guessing`: 120 failed network logons from 203.0.113.50 in six seconds.
fn guessing_flood() -> Vec<Ev> {
    let mut events = Vec::new();
    // A fixed pseudo-random sequence (the same workstation names at every regeneration).
    let mut x: u32 = 0x2545_F491;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for i in 0..120u64 {
        let r = next();
        let workstation = leak(
            (0..8)
                .map(|k| {
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[((r >> (k * 4)) % 36) as usize] as char
                })
                .collect::<String>(),
        );
        let (user, status, sub) = match i {
            // Guest's password is blank and right, but the account is disabled.
            37 | 38 | 91 => ("guest", 0xC000_006E, 0xC000_0072),
            _ if i % 10 == 4 => (
                ["admin", "user", "test", "scanner"][(i / 10 % 4) as usize],
                0xC000_006D,
                0xC000_0064,
            ),
            _ => ("administrator", 0xC000_006D, 0xC000_006A),
        };
        let time = leak(format!(
            "2026-11-23T10:00:{:02}.{:07}Z",
            i / 20,
            (i % 20) * 500_000 + (r % 40_000) as u64
        ));
        let who = Logon {
            user,
            domain: "",
            ip: "203.0.113.50",
            port: leak(format!("{}", 49152 + r % 16000)),
            workstation,
            logon_type: 3,
        };
        events.push(failed_logon(61000 + i, time, who, status, sub));
    }
    events
}

// ---------------------------------------------------------------------------------------------
// Event Viewer XML ("Save All Events As… XML").

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// SystemTime as Event Viewer writes it on current Windows: 7 digits and two zeros.
fn viewer_time(t: &str) -> String {
    format!("{}00Z", t.trim_end_matches('Z'))
}

fn event_xml(e: &Ev) -> String {
    let mut x = format!("<Event xmlns=\"{NS}\"><System>");
    x.push_str(&format!("<Provider Name=\"{}\"", esc(e.provider)));
    if let Some(g) = e.guid {
        x.push_str(&format!(" Guid=\"{g}\""));
    }
    if let Some(s) = e.source {
        x.push_str(&format!(" EventSourceName=\"{}\"", esc(s)));
    }
    x.push_str("/>");
    match e.qualifiers {
        Some(q) => x.push_str(&format!("<EventID Qualifiers=\"{q}\">{}</EventID>", e.id)),
        None => x.push_str(&format!("<EventID>{}</EventID>", e.id)),
    }
    let classic = e.shape == Shape::Classic;
    if !classic {
        x.push_str(&format!("<Version>{}</Version>", e.version));
    }
    x.push_str(&format!(
        "<Level>{}</Level><Task>{}</Task>",
        e.level, e.task
    ));
    if !classic {
        x.push_str(&format!("<Opcode>{}</Opcode>", e.opcode));
    }
    x.push_str(&format!("<Keywords>0x{:x}</Keywords>", e.keywords));
    x.push_str(&format!(
        "<TimeCreated SystemTime=\"{}\"/>",
        viewer_time(e.time)
    ));
    x.push_str(&format!("<EventRecordID>{}</EventRecordID>", e.record_id));
    if !classic {
        match e.activity {
            Some(a) => x.push_str(&format!("<Correlation ActivityID=\"{a}\"/>")),
            None => x.push_str("<Correlation/>"),
        }
        x.push_str(&format!(
            "<Execution ProcessID=\"{}\" ThreadID=\"{}\"/>",
            e.pid, e.tid
        ));
    }
    x.push_str(&format!("<Channel>{}</Channel>", esc(e.channel)));
    x.push_str(&format!("<Computer>{}</Computer>", esc(e.computer)));
    match e.user {
        Some(u) => x.push_str(&format!("<Security UserID=\"{u}\"/>")),
        None => x.push_str("<Security/>"),
    }
    x.push_str("</System>");
    match &e.payload {
        Payload::Named(fields) => {
            x.push_str("<EventData>");
            for (n, v) in fields {
                x.push_str(&format!("<Data Name=\"{n}\">{}</Data>", esc(&v.text())));
            }
            x.push_str("</EventData>");
        }
        Payload::User(params) => {
            x.push_str("<UserData><EventXML xmlns=\"Event_NS\">");
            for (n, v) in params {
                x.push_str(&format!("<{n}>{}</{n}>", esc(v)));
            }
            x.push_str("</EventXML></UserData>");
        }
        Payload::Classic { strings, binary } => {
            x.push_str("<EventData>");
            for s in strings {
                x.push_str(&format!("<Data>{}</Data>", esc(s)));
            }
            if let Some(b) = binary {
                x.push_str(&format!("<Binary>{}</Binary>", hex_upper(b)));
            }
            x.push_str("</EventData>");
        }
    }
    x.push_str("</Event>");
    x
}

fn export_xml(f: &Fixture) -> String {
    let mut x =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?><Events>");
    for e in &f.events {
        x.push_str(&event_xml(e));
    }
    x.push_str("</Events>");
    x
}

// ---------------------------------------------------------------------------------------------
// The same events as BinXML templates and values.

fn system_template(e: &Ev) -> Element {
    let manifest = e.shape == Shape::Manifest;
    let classic = e.shape == Shape::Classic;
    let mut provider = Element::new("Provider");
    if manifest {
        provider = provider
            .attr_sub("Name", 14, 0x01)
            .attr_sub("Guid", 15, 0x0F);
    } else {
        provider = provider.attr_text("Name", e.provider);
        if let Some(g) = e.guid {
            provider = provider.attr_text("Guid", g);
        }
        if let Some(s) = e.source {
            provider = provider.attr_text("EventSourceName", s);
        }
    }
    let related = if manifest { 13 } else { 18 };
    let mut sys = Element::new("System").child(provider).child(
        Element::new("EventID")
            .attr_sub("Qualifiers", 4, 0x06)
            .sub(3, 0x06, true),
    );
    if !classic {
        sys = sys.child(Element::with_sub("Version", 11, 0x04));
    }
    sys = sys
        .child(Element::with_sub("Level", 0, 0x04))
        .child(Element::with_sub("Task", 2, 0x06));
    if !classic {
        sys = sys.child(Element::with_sub("Opcode", 1, 0x04));
    }
    sys = sys
        .child(Element::with_sub("Keywords", 5, 0x15))
        .child(Element::new("TimeCreated").attr_sub("SystemTime", 6, 0x11))
        .child(Element::with_sub("EventRecordID", 10, 0x0A));
    if !classic {
        sys = sys
            .child(
                Element::new("Correlation")
                    .attr_sub("ActivityID", 7, 0x0F)
                    .attr_sub("RelatedActivityID", related, 0x0F),
            )
            .child(
                Element::new("Execution")
                    .attr_sub("ProcessID", 8, 0x08)
                    .attr_sub("ThreadID", 9, 0x08),
            );
    }
    sys = if manifest {
        sys.child(Element::with_sub("Channel", 16, 0x01))
    } else {
        sys.child(Element::new("Channel").text(e.channel))
    };
    sys = sys
        .child(Element::new("Computer").text(e.computer))
        .child(Element::new("Security").attr_sub("UserID", 12, 0x13));
    let data_index = if manifest { 17 } else { 19 };
    let mut ev = Element::new("Event").attr_text("xmlns", NS).child(sys);
    ev = match e.payload {
        Payload::User(_) => ev.child(Element::new("UserData").sub(data_index, 0x21, true)),
        _ => ev.sub(data_index, 0x21, true),
    };
    ev
}

fn payload_instance(e: &Ev) -> Instance {
    // Nested EventData starts with a fragment header in Security-Auditing and classic records,
    // not in RdpCoreTS / RemoteConnectionManager ones (corpus files).
    let fragment_header = e.shape != Shape::Manifest;
    match &e.payload {
        Payload::Named(fields) => {
            let mut data = Element::new("EventData");
            let mut values = Vec::new();
            for (i, (name, v)) in fields.iter().enumerate() {
                let index = u16::try_from(i).unwrap_or(u16::MAX);
                data = data.child(Element::new("Data").attr_text("Name", name).sub(
                    index,
                    v.ty(),
                    false,
                ));
                values.push(v.value());
            }
            Instance {
                template: data,
                values,
                fragment_header,
            }
        }
        Payload::User(params) => {
            let mut x = Element::new("EventXML").attr_text("xmlns", "Event_NS");
            let mut values = Vec::new();
            for (i, (name, v)) in params.iter().enumerate() {
                let index = u16::try_from(i).unwrap_or(u16::MAX);
                x = x.child(Element::new(name).sub(index, 0x01, false));
                values.push(Value::StrZ(v.to_string()));
            }
            Instance {
                template: x,
                values,
                fragment_header,
            }
        }
        Payload::Classic { strings, binary } => {
            let data = Element::new("EventData")
                .child(Element::with_sub("Data", 0, 0x81))
                .child(Element::with_sub("Binary", 2, 0x0E));
            let bin_len = binary.as_ref().map_or(0, Vec::len);
            Instance {
                template: data,
                values: vec![
                    Value::StrArray(strings.iter().map(|s| s.to_string()).collect()),
                    Value::U32(u32::try_from(bin_len).unwrap_or(u32::MAX)),
                    binary.clone().map_or(Value::Null, Value::Binary),
                ],
                fragment_header: true,
            }
        }
    }
}

fn record(e: &Ev) -> Result<Record, String> {
    let ft = filetime(e.time).map_err(|x| x.to_string())?;
    let manifest = e.shape == Shape::Manifest;
    let count = if manifest { 18 } else { 20 };
    let mut v = vec![Value::Null; count];
    v[0] = Value::U8(e.level);
    v[1] = Value::U8(e.opcode);
    v[2] = Value::U16(e.task);
    v[3] = Value::U16(e.id);
    v[4] = e.qualifiers.map_or(Value::Null, Value::U16);
    v[5] = Value::HexInt64(e.keywords);
    v[6] = Value::FileTime(ft);
    v[7] = e
        .activity
        .map_or(Value::Null, |a| Value::Guid(a.to_string()));
    v[8] = Value::U32(e.pid);
    v[9] = Value::U32(e.tid);
    v[10] = Value::U64(e.record_id);
    v[11] = Value::U8(e.version);
    v[12] = e.user.map_or(Value::Null, |u| Value::Sid(u.to_string()));
    let nested = Value::BinXml(Box::new(payload_instance(e)));
    if manifest {
        v[14] = Value::Str(e.provider.to_string());
        v[15] = e.guid.map_or(Value::Null, |g| Value::Guid(g.to_string()));
        v[16] = Value::Str(e.channel.to_string());
        v[17] = nested;
    } else {
        v[19] = nested;
    }
    Ok(Record {
        id: e.record_id,
        filetime: ft,
        content: Instance {
            template: system_template(e),
            values: v,
            fragment_header: true,
        },
    })
}

fn evtx_bytes(f: &Fixture) -> Result<Vec<u8>, String> {
    let records = f.events.iter().map(record).collect::<Result<Vec<_>, _>>()?;
    write_evtx(&records).map_err(|e| e.to_string())
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/eventlog")
}

/// Rewrites `fixtures/eventlog/*.xml` and `*.evtx` from the descriptions.
#[test]
#[ignore = "writes fixtures/eventlog; run with -- --ignored regenerate"]
fn regenerate() -> Result<(), String> {
    std::fs::create_dir_all(dir()).map_err(|e| e.to_string())?;
    for f in fixtures() {
        let xml = export_xml(&f);
        std::fs::write(dir().join(format!("{}.xml", f.name)), xml).map_err(|e| e.to_string())?;
        let bin = evtx_bytes(&f)?;
        std::fs::write(dir().join(format!("{}.evtx", f.name)), bin).map_err(|e| e.to_string())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small XML reader for the two regular forms compared here (the export and the evtx crate's
// rendering): elements, double-quoted attributes, text, the five predefined entities.

#[derive(Debug, Clone, PartialEq)]
struct XNode {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<XNode>,
    text: String,
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn parse_xml(s: &str) -> Result<Vec<XNode>, String> {
    let mut stack: Vec<XNode> = vec![XNode {
        name: String::new(),
        attrs: vec![],
        children: vec![],
        text: String::new(),
    }];
    let mut rest = s;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("unterminated tag")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            if let Some(name) = tag.strip_prefix('/') {
                let node = stack.pop().ok_or("unbalanced")?;
                if node.name != name.trim() {
                    return Err(format!("</{name}> closes <{}>", node.name));
                }
                stack.last_mut().ok_or("unbalanced")?.children.push(node);
                continue;
            }
            let empty = tag.ends_with('/');
            let tag = tag.trim_end_matches('/').trim();
            let (name, mut attr_text) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
            let mut attrs = Vec::new();
            loop {
                attr_text = attr_text.trim_start();
                if attr_text.is_empty() {
                    break;
                }
                let eq = attr_text.find('=').ok_or("attribute without =")?;
                let key = attr_text[..eq].trim().to_string();
                let v = attr_text[eq + 1..].trim_start();
                let v = v.strip_prefix('"').ok_or("unquoted attribute")?;
                let close = v.find('"').ok_or("unterminated attribute")?;
                attrs.push((key, unescape(&v[..close])));
                attr_text = &v[close + 1..];
            }
            let node = XNode {
                name: name.to_string(),
                attrs,
                children: vec![],
                text: String::new(),
            };
            if empty {
                stack.last_mut().ok_or("unbalanced")?.children.push(node);
            } else {
                stack.push(node);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            rest = &rest[end..];
            stack
                .last_mut()
                .ok_or("unbalanced")?
                .text
                .push_str(&unescape(text));
        }
    }
    let root = stack.pop().ok_or("unbalanced")?;
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    Ok(root.children)
}

fn is_guid(s: &str) -> bool {
    s.len() == 38 && s.starts_with('{') && s.ends_with('}')
}

/// SystemTime to 7 fraction digits (Event Viewer writes 9, the last two zero).
fn norm_time(s: &str) -> String {
    let body = s.trim_end_matches('Z');
    match body.split_once('.') {
        Some((a, f)) => {
            let mut f = f.to_string();
            f.truncate(7);
            while f.len() < 7 {
                f.push('0');
            }
            format!("{a}.{f}Z")
        }
        None => format!("{body}.0000000Z"),
    }
}

/// The facts of one `<Event>`: `path = value` for every attribute and every leaf element's
/// text, in document order; repeated unnamed `Data` keep their position.
fn facts(node: &XNode, path: &str, out: &mut Vec<(String, String)>) {
    let mut here = format!("{path}/{}", node.name);
    if node.name == "Data"
        && let Some((_, n)) = node.attrs.iter().find(|(k, _)| k == "Name")
    {
        here = format!("{here}[{n}]");
    }
    for (k, v) in &node.attrs {
        let v = if is_guid(v) {
            v.to_ascii_lowercase()
        } else if k == "SystemTime" {
            norm_time(v)
        } else {
            v.clone()
        };
        out.push((format!("{here}@{k}"), v));
    }
    if node.children.is_empty() {
        if !node.text.is_empty() || node.attrs.is_empty() {
            out.push((here.clone(), node.text.trim().to_string()));
        }
    } else {
        for c in &node.children {
            facts(c, &here, out);
        }
    }
}

fn event_facts(node: &XNode) -> Vec<(String, String)> {
    let mut out = Vec::new();
    facts(node, "", &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Checks.

fn read(name: &str) -> Result<Vec<u8>, String> {
    std::fs::read(dir().join(name)).map_err(|e| format!("{name}: {e} (run the regenerate test)"))
}

#[test]
fn committed_files_are_what_the_descriptions_give() -> Result<(), String> {
    for f in fixtures() {
        let xml = read(&format!("{}.xml", f.name))?;
        assert!(
            xml == export_xml(&f).into_bytes(),
            "{}.xml differs from its description: run the regenerate test",
            f.name
        );
        let bin = read(&format!("{}.evtx", f.name))?;
        assert!(
            bin == evtx_bytes(&f)?,
            "{}.evtx differs from its description: run the regenerate test",
            f.name
        );
    }
    Ok(())
}

#[test]
fn xml_exports_have_windows_structure() -> Result<(), String> {
    for f in fixtures() {
        let text =
            String::from_utf8(read(&format!("{}.xml", f.name))?).map_err(|e| e.to_string())?;
        assert!(text.starts_with(
            "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?><Events><Event xmlns=\""
        ));
        let top = parse_xml(&text)?;
        assert_eq!(top.len(), 1, "{}: one <Events> root", f.name);
        let events = &top[0].children;
        assert_eq!(events.len(), f.events.len(), "{}", f.name);
        for (x, e) in events.iter().zip(&f.events) {
            assert_eq!(x.name, "Event");
            let sys = &x.children[0];
            assert_eq!(sys.name, "System");
            let names: Vec<&str> = sys.children.iter().map(|c| c.name.as_str()).collect();
            let expected: &[&str] = if e.shape == Shape::Classic {
                &[
                    "Provider",
                    "EventID",
                    "Level",
                    "Task",
                    "Keywords",
                    "TimeCreated",
                    "EventRecordID",
                    "Channel",
                    "Computer",
                    "Security",
                ]
            } else {
                &[
                    "Provider",
                    "EventID",
                    "Version",
                    "Level",
                    "Task",
                    "Opcode",
                    "Keywords",
                    "TimeCreated",
                    "EventRecordID",
                    "Correlation",
                    "Execution",
                    "Channel",
                    "Computer",
                    "Security",
                ]
            };
            assert_eq!(names, expected, "{} record {}", f.name, e.record_id);
            let data = &x.children[1];
            match e.payload {
                Payload::User(_) => {
                    assert_eq!(data.name, "UserData");
                    assert_eq!(data.children[0].name, "EventXML");
                    assert_eq!(
                        data.children[0].attrs,
                        vec![("xmlns".to_string(), "Event_NS".to_string())]
                    );
                }
                _ => assert_eq!(data.name, "EventData"),
            }
        }
    }
    Ok(())
}

/// Field values as a reader normalizes them: `Data@Name` (or `param1`… for classic unnamed
/// Data, and `Binary`), or the children of `UserData`'s element.
fn expected_fields(e: &Ev) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    match &e.payload {
        Payload::Named(fs) => {
            for (n, v) in fs {
                m.insert(n.to_string(), v.text());
            }
        }
        Payload::User(ps) => {
            for (n, v) in ps {
                m.insert(n.to_string(), v.to_string());
            }
        }
        Payload::Classic { strings, binary } => {
            for (i, s) in strings.iter().enumerate() {
                m.insert(format!("param{}", i + 1), s.to_string());
            }
            if let Some(b) = binary {
                m.insert("Binary".to_string(), hex_upper(b));
            }
        }
    }
    m
}

fn fields_of(node: &XNode) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for part in node.children.iter().skip(1) {
        if part.name == "EventData" {
            let mut unnamed = 0;
            for d in &part.children {
                match d.attrs.iter().find(|(k, _)| k == "Name") {
                    Some((_, n)) => {
                        m.insert(n.clone(), d.text.clone());
                    }
                    None if d.name == "Data" => {
                        unnamed += 1;
                        m.insert(format!("param{unnamed}"), d.text.clone());
                    }
                    None => {
                        m.insert(d.name.clone(), d.text.clone());
                    }
                }
            }
        } else if part.name == "UserData" {
            for inner in &part.children {
                for c in &inner.children {
                    m.insert(c.name.clone(), c.text.clone());
                }
            }
        }
    }
    m
}

fn child<'a>(n: &'a XNode, name: &str) -> Option<&'a XNode> {
    n.children.iter().find(|c| c.name == name)
}

#[test]
fn evtx_crate_reads_the_binary_fixtures_as_the_xml_exports_say() -> Result<(), String> {
    use evtx::EvtxParser;
    for f in fixtures() {
        let bin = read(&format!("{}.evtx", f.name))?;
        let mut parser = EvtxParser::from_buffer(bin.clone()).map_err(|e| e.to_string())?;
        let mut rendered = Vec::new();
        for r in parser.records() {
            let r = r.map_err(|e| format!("{}: {e}", f.name))?;
            rendered.push(r);
        }
        assert_eq!(rendered.len(), f.events.len(), "{}: record count", f.name);

        let text =
            String::from_utf8(read(&format!("{}.xml", f.name))?).map_err(|e| e.to_string())?;
        let exported = parse_xml(&text)?;
        let exported = &exported[0].children;

        for ((r, e), x) in rendered.iter().zip(&f.events).zip(exported) {
            let what = format!("{} record {}", f.name, e.record_id);
            assert_eq!(r.event_record_id, e.record_id, "{what}: record id");
            let ts = format!("{:?}", r.timestamp);
            assert_eq!(
                norm_time(&r.timestamp.to_string()),
                e.time,
                "{what}: record timestamp {ts}"
            );
            let parsed = parse_xml(&r.data)?;
            let ev = parsed
                .iter()
                .find(|n| n.name == "Event")
                .ok_or(format!("{what}: no <Event>"))?;
            let sys = child(ev, "System").ok_or("no System")?;
            let provider = child(sys, "Provider").ok_or("no Provider")?;
            assert_eq!(
                provider.attrs.first(),
                Some(&("Name".to_string(), e.provider.to_string())),
                "{what}: provider"
            );
            let id = child(sys, "EventID").ok_or("no EventID")?;
            assert_eq!(id.text, e.id.to_string(), "{what}: event id");
            assert_eq!(fields_of(ev), expected_fields(e), "{what}: fields (evtx)");
            assert_eq!(fields_of(x), expected_fields(e), "{what}: fields (xml)");
            // Everything else, element by element.
            assert_eq!(event_facts(ev), event_facts(x), "{what}: evtx vs xml");
        }

        // Typed values stay typed, as in real files.
        let mut parser = EvtxParser::from_buffer(bin).map_err(|e| e.to_string())?;
        for (r, e) in parser.records_json_value().zip(&f.events) {
            let r = r.map_err(|x| x.to_string())?;
            let sys = &r.data["Event"]["System"];
            let id = match e.qualifiers {
                Some(q) => {
                    assert_eq!(
                        sys["EventID"]["#attributes"]["Qualifiers"],
                        serde_json::json!(q)
                    );
                    &sys["EventID"]["#text"]
                }
                None => &sys["EventID"],
            };
            assert_eq!(id, &serde_json::json!(e.id), "{}", f.name);
            assert_eq!(sys["Level"], serde_json::json!(e.level), "{}", f.name);
            assert_eq!(sys["EventRecordID"], serde_json::json!(e.record_id));
            if e.shape != Shape::Classic {
                assert_eq!(
                    sys["Execution"]["#attributes"]["ProcessID"],
                    serde_json::json!(e.pid)
                );
            }
        }
    }
    Ok(())
}

#[test]
fn binary_fixtures_have_valid_checksums_and_layout() -> Result<(), String> {
    for f in fixtures() {
        let bin = read(&format!("{}.evtx", f.name))?;
        assert_eq!(&bin[..8], b"ElfFile\0");
        assert_eq!((bin.len() - 4096) % 65536, 0, "{}: whole chunks", f.name);
        let stored = u32::from_le_bytes([bin[124], bin[125], bin[126], bin[127]]);
        assert_eq!(
            stored,
            evtx_writer::crc32(&[&bin[..120]]),
            "{}: file CRC",
            f.name
        );
        let chunk = &bin[4096..4096 + 65536];
        assert_eq!(&chunk[..8], b"ElfChnk\0");
        let free = u32::from_le_bytes([chunk[48], chunk[49], chunk[50], chunk[51]]) as usize;
        let data_crc = u32::from_le_bytes([chunk[52], chunk[53], chunk[54], chunk[55]]);
        assert_eq!(data_crc, evtx_writer::crc32(&[&chunk[512..free]]));
        let header_crc = u32::from_le_bytes([chunk[124], chunk[125], chunk[126], chunk[127]]);
        assert_eq!(
            header_crc,
            evtx_writer::crc32(&[&chunk[..120], &chunk[128..512]])
        );
        let mut parser = evtx::EvtxParser::from_buffer(bin.clone()).map_err(|e| e.to_string())?;
        assert!(parser.header().validate_checksum(), "{}", f.name);
        for c in parser.chunks() {
            let c = c.map_err(|e| e.to_string())?;
            assert!(c.validate_checksum(), "{}: chunk CRCs", f.name);
        }
    }
    Ok(())
}

/// The product's reader (`rdptriage::eventlog`) gives the same normalized events for the
/// `.evtx` and for the XML export of each fixture, and they say what the description says.
#[test]
fn product_reader_gives_the_same_events_for_evtx_and_xml() -> Result<(), String> {
    use rdptriage::eventlog::{parse_time, read_evtx, read_xml};
    for f in fixtures() {
        let bin = read(&format!("{}.evtx", f.name))?;
        let text =
            String::from_utf8(read(&format!("{}.xml", f.name))?).map_err(|e| e.to_string())?;
        let from_evtx = read_evtx(&format!("{}.evtx", f.name), &bin[..]);
        let from_xml = read_xml(&format!("{}.xml", f.name), &text);
        for (what, r) in [("evtx", &from_evtx), ("xml", &from_xml)] {
            assert!(r.readable, "{} ({what}) unreadable", f.name);
            assert!(
                r.warnings.is_empty(),
                "{} ({what}): {:?}",
                f.name,
                r.warnings
            );
            assert_eq!(r.counts.corrupt, 0, "{} ({what})", f.name);
            assert_eq!(
                r.counts.records,
                f.events.len() as u64,
                "{} ({what}): records read",
                f.name
            );
        }
        // Everything but the input's name (the two files' names differ).
        let facts =
            |events: &[rdptriage::eventlog::CatalogEvent]| -> Vec<(serde_json::Value, i64)> {
                events
                    .iter()
                    .map(|e| {
                        let mut v = serde_json::to_value(e).expect("serializes");
                        v.as_object_mut().expect("an object").remove("input");
                        (v, e.time_ns)
                    })
                    .collect()
            };
        assert_eq!(
            facts(&from_evtx.events),
            facts(&from_xml.events),
            "{}: evtx and xml give different events",
            f.name
        );
        // Every fixture event is a catalog event, so every one is kept.
        assert_eq!(from_evtx.events.len(), f.events.len(), "{}: kept", f.name);
        for (got, e) in from_evtx.events.iter().zip(&f.events) {
            let what = format!("{} record {}", f.name, e.record_id);
            assert_eq!(got.record_id, e.record_id, "{what}");
            assert_eq!(got.id, u32::from(e.id), "{what}");
            assert_eq!(&*got.provider, e.provider, "{what}");
            assert_eq!(&*got.channel, e.channel, "{what}");
            assert_eq!(&*got.computer, e.computer, "{what}");
            assert_eq!(Some(got.time_ns), parse_time(e.time), "{what}: time");
            let fields: BTreeMap<String, String> = got
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(fields, expected_fields(e), "{what}: fields");
        }
    }
    Ok(())
}

/// More records than one chunk holds: the writer starts new chunks (each with its own string
/// table and templates), and the `evtx` crate reads all of them back in order.
#[test]
fn writer_splits_records_across_chunks() -> Result<(), String> {
    let mut records = Vec::new();
    for i in 0..200u64 {
        let mut e = logon_failure(1000 + i, "2026-11-22T03:42:37.5889906Z", 2212);
        e.record_id = 1000 + i;
        records.push(record(&e)?);
    }
    let bin = write_evtx(&records).map_err(|e| e.to_string())?;
    let chunks = (bin.len() - 4096) / 65536;
    assert!(chunks >= 2, "{chunks} chunk(s)");
    let mut parser = evtx::EvtxParser::from_buffer(bin).map_err(|e| e.to_string())?;
    assert_eq!(usize::from(parser.header().chunk_count), chunks);
    let ids = parser
        .records()
        .map(|r| r.map(|r| r.event_record_id).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    assert_eq!(ids, (1000..1200).collect::<Vec<u64>>());
    Ok(())
}

/// Writes `target/bench-data/large.evtx`: the RdpCoreTS and Security fixture events repeated
/// (`EVTX_RECORDS`, default 300,000 records), for `benches/evtx-timing.sh`.
/// `n` records of the fixture `name` repeated, record i logged `step_ms` × i after the first,
/// as an `.evtx`.
fn repeated_log(name: &str, n: u64, step_ms: u64) -> Result<Vec<u8>, String> {
    let base: Vec<Record> = fixtures()
        .iter()
        .filter(|f| f.name == name)
        .flat_map(|f| f.events.iter())
        .map(record)
        .collect::<Result<_, _>>()?;
    let first = base.iter().map(|r| r.filetime).min().unwrap_or(0);
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut r = base[(i % base.len() as u64) as usize].clone();
            r.id = i + 1;
            r.content.values[10] = Value::U64(i + 1);
            r.filetime = first + i * step_ms * 10_000;
            r.content.values[6] = Value::FileTime(r.filetime);
            r
        })
        .collect();
    write_evtx(&records).map_err(|e| e.to_string())
}

/// The fixture `name` repeated `n` times 50 ms apart, written to a temporary directory and
/// analysed: its one finding, which must be password guessing, and the report.
fn one_guessing_finding(
    name: &str,
    n: u64,
) -> Result<
    (
        tempfile::TempDir,
        rdptriage::diagnose::Finding,
        rdptriage::report::Report,
    ),
    String,
> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join(format!("{name}.evtx"));
    std::fs::write(&path, repeated_log(name, n, 50)?).map_err(|e| e.to_string())?;
    let r = rdptriage::analyze::analyze_paths(&[path], &rdptriage::analyze::Options::default());
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = r.findings[0].clone();
    assert_eq!(f.cause, rdptriage::model::Cause::PasswordGuessing);
    Ok((dir, f, r))
}

/// A Security log of 600,000 failed logons/// A Security log of 600,000 failed logons (`server-security-guessing` repeated, 20 a second
/// for 8 h 20 min), three times the events a log keeps: the finding counts every one of them,
/// from the first to the last, per account and status.
#[test]
fn every_failed_logon_of_a_large_log_counts() -> Result<(), String> {
    // The directory stays while the report is written: it reads the log again.
    let (_dir, f, r) = one_guessing_finding("server-security-guessing", 600_000)?;
    assert!(
        f.summary.starts_with("RDPT-SRV rejected 600,000 network logons (SMB or RDP NLA; the log cannot tell which) from 203.0.113.50 between 2026-11-23T10:00:00.003954Z and 2026-11-23T18:19:59.953954Z (8.3 h, 20.0 a second; no capture covers it): administrator ×525,000 (wrong password), admin ×15,000 (no such user), guest ×15,000 (account disabled), scanner ×15,000 (no such user), test ×15,000 (no such user), user ×15,000 (no such user); 120 workstation names (040V4BSO ×5,000, 0BAJQV4I ×5,000, 0RHLUKUK ×5,000, 117 more names); 15,000 of these on guest got 0xC0000072"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence.last().map(String::as_str),
        Some(
            "… 600,000 failures in all: 200,000 listed in `events`, 400,000 more counted past the cap on kept events"
        )
    );
    // The structured fields count them all too.
    assert_eq!(
        (
            f.server.as_deref(),
            f.clients.clone(),
            f.first.as_deref(),
            f.last.as_deref(),
            f.count
        ),
        (
            Some("RDPT-SRV"),
            vec!["203.0.113.50".to_string()],
            Some("2026-11-23T10:00:00.003954Z"),
            Some("2026-11-23T18:19:59.953954Z"),
            600_000
        )
    );
    // JSON Lines lists every event: the 200,000 kept, then the rest read again from the file.
    let mut lines = EventLines::default();
    r.write_jsonl(&mut lines).map_err(|e| e.to_string())?;
    assert_eq!((lines.events, lines.last_record), (600_000, 600_000));
    Ok(())
}

/// Counts the `event` lines of JSON Lines as they are written (each write holds whole lines),
/// and keeps the record id of the last.
#[derive(Default)]
struct EventLines {
    events: u64,
    last_record: u64,
}

impl std::io::Write for EventLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in buf.split(|&b| b == b'\n') {
            if line.starts_with(b"{\"type\":\"event\"") {
                self.events += 1;
                let text = String::from_utf8_lossy(line);
                if let Some(id) = text
                    .split("\"record_id\":")
                    .nth(1)
                    .and_then(|r| r.split(',').next())
                    .and_then(|n| n.trim().parse().ok())
                {
                    self.last_record = id;
                }
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An RdpCoreTS log of 300,000 events (`server-rdpcorets-guessing` repeated, 131 and 140 in
/// turn, 20 a second), past the 200,000 a log keeps: every failed NLA logon (140) counts.
#[test]
fn every_failed_nla_logon_of_a_large_log_counts() -> Result<(), String> {
    // The directory stays while the report is written: it reads the log again.
    let (_dir, f, _) = one_guessing_finding("server-rdpcorets-guessing", 300_000)?;
    assert!(
        f.summary
            == "RDPT-SRV rejected 150,000 RDP logons from 203.0.113.50 between 2026-11-23T10:00:00.050012Z and 2026-11-23T14:09:59.950012Z (4.2 h, 10.0 a second; no capture covers it): RdpCoreTS 140, NLA failed (user name or password incorrect); no Security 4625 read says which account or why.",
        "{}",
        f.summary
    );
    assert_eq!(
        f.evidence.last().map(String::as_str),
        Some(
            "… 150,000 failures in all: 100,000 listed in `events`, 50,000 more counted past the cap on kept events"
        )
    );
    Ok(())
}

/// `EVTX_FIXTURES` names the fixtures repeated (default `server-rdpcorets,server-security`).
/// Without `EVTX_STEP_MS` each copy keeps its fixture's time (the log's times go back at each
/// copy, and the report must sort them); with it, record i is logged i × that many
/// milliseconds after the first, in time order as a real log is.
#[test]
#[ignore = "writes target/bench-data/large.evtx; run with -- --ignored write_large_evtx"]
fn write_large_evtx() -> Result<(), String> {
    let n: u64 = std::env::var("EVTX_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let names = std::env::var("EVTX_FIXTURES")
        .unwrap_or_else(|_| "server-rdpcorets,server-security".to_string());
    let names: Vec<&str> = names.split(',').collect();
    let step_ms: Option<u64> = std::env::var("EVTX_STEP_MS")
        .ok()
        .and_then(|v| v.parse().ok());
    let base: Vec<Record> = fixtures()
        .iter()
        .filter(|f| names.contains(&f.name))
        .flat_map(|f| f.events.iter())
        .map(record)
        .collect::<Result<_, _>>()?;
    if base.is_empty() {
        return Err(format!("no fixture named in EVTX_FIXTURES={names:?}"));
    }
    let first_filetime = base.iter().map(|r| r.filetime).min().unwrap_or(0);
    // EVTX_CATALOG_EVERY=K keeps every K-th record a catalog event and gives the others id
    // 4688 (process creation, outside the catalog), as in a real Security log.
    let every: u64 = std::env::var("EVTX_CATALOG_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let records: Vec<Record> = (0..n)
        .map(|i| {
            let mut r = base[(i % base.len() as u64) as usize].clone();
            r.id = i + 1;
            r.content.values[10] = Value::U64(i + 1);
            if i % every != 0 {
                r.content.values[3] = Value::U16(4688);
            }
            if let Some(step) = step_ms {
                // FILETIME counts 100 ns.
                r.filetime = first_filetime + i * step * 10_000;
                r.content.values[6] = Value::FileTime(r.filetime);
            }
            r
        })
        .collect();
    let bytes = write_evtx(&records).map_err(|e| e.to_string())?;
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let name = std::env::var("EVTX_OUT").unwrap_or_else(|_| "large.evtx".to_string());
    std::fs::write(out.join(name), bytes).map_err(|e| e.to_string())
}
