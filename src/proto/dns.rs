//! DNS messages (RFC 1035; SRV RFC 2782; AAAA RFC 3596; EDNS RFC 6891),
//! decoded by one bounded walk of every name (RFC 9267): a message whose
//! names loop or point past its end is kept as `malformed` with its header,
//! never half-trusted.
//!
//! The walk ([`parse`]) reads the header, every question and
//! every record of the four sections, and decodes each owner name plus the
//! names inside CNAME, SRV, NS, PTR, MX and SOA rdata. A compression pointer
//! must point strictly backwards, before the start of the name (or the part
//! of it) being read (RFC 9267 section 2), inside the message; a name may
//! take at most [`MAX_POINTER_HOPS`] pointers and 255 octets (RFC 1035
//! 3.1). Chains of pointers to pointers that end are valid. A, AAAA, CNAME
//! and SRV rdata must have their exact sizes. Any violation makes the message
//! `malformed`: header and the questions read so far are kept, records are
//! dropped.
//!
//! The records of a message the walk accepts are its A, AAAA, CNAME and SRV
//! data of class IN; other types, and records of other classes (CHAOS), are
//! `Other` with their rtype. Unknown qtypes, classes and the Z bit are read
//! as they are. The tests check the walk against the
//! simple-dns crate on real messages (the same result wherever that crate
//! accepts the message); the walk alone runs, once per message.
//!
//! Ignored: the authority section's contents (only walked), OPT options
//! (only the OPT record's presence and extended rcode are kept, and OPT is
//! not listed among the additionals), DNSSEC, the AA/RD/RA flags, and bytes after the last
//! record.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsQuestion {
    /// Lowercase, no trailing dot.
    pub name: String,
    pub qtype: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RData {
    A {
        addr: Ipv4Addr,
    },
    Aaaa {
        addr: Ipv6Addr,
    },
    Cname {
        target: String,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Other {
        rtype: u16,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Lowercase, no trailing dot.
    pub name: String,
    pub ttl: u32,
    pub data: RData,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    /// Response code (header rcode; EDNS extended bits when present).
    pub rcode: u16,
    /// TC: the answer did not fit (in UDP); the full one needs DNS over TCP
    /// (RFC 1035 4.1.1, RFC 7766).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tc: bool,
    /// The message carries an OPT record (EDNS, RFC 6891).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub edns: bool,
    /// A referral (RFC 1034 4.3.1): no answer, not authoritative, no
    /// recursion available (RA clear), name servers in the authority
    /// section. An authoritative-only server answering a stub.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub referral: bool,
    /// NOERROR with nothing in the answer and authority sections: a name
    /// with no record of the type asked comes with its zone's SOA (RFC 2308
    /// 2.2), so the resolver made this one up (a local override, a filter,
    /// DNS rebind protection discarding a private address).
    #[serde(skip)]
    pub bare_noerror: bool,
    pub questions: Vec<DnsQuestion>,
    pub answers: Vec<DnsRecord>,
    /// Additional-section records (SRV targets' addresses ride here).
    pub additionals: Vec<DnsRecord>,
    /// Why the body could not be trusted (pointer loop, ...); answers empty then.
    pub malformed: Option<String>,
    /// Where the capture's snaplen cut the message after its answer section
    /// ([`parse_cut`]), e.g. `"additional 1"`: the questions and answers are
    /// whole facts; the records from there on are unknown, and so are the
    /// OPT record's presence (`edns`) and extended rcode bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DnsError {
    #[error("dns: {len} bytes, shorter than the 12-byte header")]
    TooShort { len: usize },
}

/// Name of a record type, e.g. `"SRV"`; `"TYPE65"` style for the rest.
pub fn qtype_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        35 => "NAPTR".into(),
        41 => "OPT".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        _ => format!("TYPE{t}"),
    }
}

/// Name of a response code, e.g. `"NXDOMAIN"`.
pub fn rcode_name(r: u16) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        7 => "YXRRSET".into(),
        8 => "NXRRSET".into(),
        9 => "NOTAUTH".into(),
        10 => "NOTZONE".into(),
        16 => "BADVERS".into(),
        // RFC 7873 section 8: the server's cookie is attached; ask again with it.
        23 => "BADCOOKIE".into(),
        _ => format!("RCODE{r}"),
    }
}

/// Most compression pointers one name may follow (RFC 9267 section 2 asks
/// for a bound; real names take one or two).
pub const MAX_POINTER_HOPS: usize = 64;

/// Longest name on the wire, length octets and the root included (RFC 1035
/// section 3.1).
const MAX_NAME_OCTETS: usize = 255;

/// Record types whose rdata this module looks into.
const TYPE_A: u16 = 1;
const TYPE_NS: u16 = 2;
const TYPE_CNAME: u16 = 5;
const TYPE_SOA: u16 = 6;
const TYPE_PTR: u16 = 12;
const TYPE_MX: u16 = 15;
const TYPE_AAAA: u16 = 28;
const TYPE_SRV: u16 = 33;
const TYPE_OPT: u16 = 41;

/// Decodes one DNS message (a UDP payload, or one message of a TCP stream
/// without its length prefix). Err only when even the header is missing.
pub fn parse(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    decode(msg, false)
}

/// Decodes a message the capture's snaplen cut short. Running out of octets
/// after the answer section (in the authority or additional records, often
/// in the EDNS OPT record) is that cut, not a fault: the message keeps its
/// questions, its answers and the additional records read whole, and `cut`
/// says where it ends. A cut in the questions or answers, or any other
/// fault, is `malformed` as in [`parse`].
pub fn parse_cut(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    decode(msg, true)
}

fn decode(msg: &[u8], snaplen_cut: bool) -> Result<DnsMessage, DnsError> {
    let header = Header::read(msg).ok_or(DnsError::TooShort { len: msg.len() })?;
    let mut walk = walk(msg, &header);
    let cut = match (snaplen_cut, walk.cut_in) {
        (true, Some((section @ (Section::Authority | Section::Additional), index))) => {
            walk.error = None;
            Some(format!("{} {index}", section.word()))
        }
        _ => None,
    };
    let mut out = DnsMessage {
        id: header.id,
        response: header.flags & 0x8000 != 0,
        opcode: ((header.flags >> 11) & 0x0f) as u8,
        rcode: header.rcode(walk.opt_ext_rcode),
        tc: header.flags & 0x0200 != 0,
        edns: walk.opt_ext_rcode.is_some(),
        referral: header.flags & 0x8000 != 0
            && header.flags & 0x000f == 0
            && header.flags & 0x0480 == 0
            && header.ancount == 0
            && header.nscount > 0,
        bare_noerror: header.flags & 0x8000 != 0
            && header.flags & 0x000f == 0
            && header.ancount == 0
            && header.nscount == 0,
        questions: walk.questions,
        answers: Vec::new(),
        additionals: Vec::new(),
        malformed: walk.error,
        cut,
    };
    // A malformed message keeps the answers read whole before the fault.
    out.answers = walk.answers;
    if out.malformed.is_none() {
        out.additionals = walk.additionals;
    }
    Ok(out)
}

/// The fixed 12-octet header (RFC 1035 section 4.1.1).
struct Header {
    id: u16,
    flags: u16,
    qdcount: u16,
    ancount: u16,
    nscount: u16,
    arcount: u16,
}

impl Header {
    fn read(msg: &[u8]) -> Option<Header> {
        Some(Header {
            id: be16(msg, 0)?,
            flags: be16(msg, 2)?,
            qdcount: be16(msg, 4)?,
            ancount: be16(msg, 6)?,
            nscount: be16(msg, 8)?,
            arcount: be16(msg, 10)?,
        })
    }

    /// Header rcode, with the OPT record's upper eight bits when present
    /// (RFC 6891 section 6.1.3).
    fn rcode(&self, opt_ext_rcode: Option<u8>) -> u16 {
        let low = self.flags & 0x000f;
        match opt_ext_rcode {
            Some(ext) => (u16::from(ext) << 4) | low,
            None => low,
        }
    }
}

fn be16(msg: &[u8], at: usize) -> Option<u16> {
    let b = msg.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

fn be32(msg: &[u8], at: usize) -> Option<u32> {
    let b = msg.get(at..at.checked_add(4)?)?;
    let mut word = [0u8; 4];
    word.copy_from_slice(b);
    Some(u32::from_be_bytes(word))
}

/// Why a name could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameError {
    Truncated,
    /// Following the pointers comes back to a pointer already followed.
    PointerLoop,
    /// Points at or after the start of the name, but does not loop.
    ForwardPointer,
    PointerBeyondEnd(u16),
    TooLong,
    TooManyHops,
    /// Label types 0b01 and 0b10 (RFC 6891 section 5 retired them).
    ReservedLabelType(u8),
}

impl NameError {
    fn describe(self, place: &str) -> String {
        match self {
            NameError::Truncated => format!("truncated ({place})"),
            NameError::PointerLoop => format!("compression pointer loop ({place})"),
            NameError::ForwardPointer => format!("forward compression pointer ({place})"),
            NameError::PointerBeyondEnd(target) => {
                format!("compression pointer 0x{target:x} beyond end of message ({place})")
            }
            NameError::TooLong => format!("name longer than 255 octets ({place})"),
            NameError::TooManyHops => format!("too many compression pointers ({place})"),
            NameError::ReservedLabelType(b) => {
                format!("reserved label type 0x{:02x} ({place})", b & 0xc0)
            }
        }
    }
}

/// Reads the name at `start`. Returns it (lowercase, no trailing dot, `""`
/// for the root) and the offset just after its in-place octets.
fn read_name(msg: &[u8], start: usize) -> Result<(String, usize), NameError> {
    // Most names fit: one allocation instead of a few regrowths.
    let mut name = String::with_capacity(32);
    let mut pos = start;
    // A pointer must target an offset below this: the start of the name, then
    // the start of each part reached through a pointer.
    let mut limit = start;
    let mut end_in_place = None;
    let mut octets = 1usize;
    let mut hops = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(NameError::Truncated)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                let end = end_in_place.unwrap_or(pos.saturating_add(1));
                return Ok((name, end));
            }
            0x00 => {
                let first = pos.saturating_add(1);
                let label = msg
                    .get(first..first.saturating_add(usize::from(len)))
                    .ok_or(NameError::Truncated)?;
                octets = octets.saturating_add(1 + usize::from(len));
                if octets > MAX_NAME_OCTETS {
                    return Err(NameError::TooLong);
                }
                push_label(&mut name, label);
                pos = first.saturating_add(usize::from(len));
            }
            0xc0 => {
                let low = *msg.get(pos.saturating_add(1)).ok_or(NameError::Truncated)?;
                let target = (u16::from(len & 0x3f) << 8) | u16::from(low);
                end_in_place.get_or_insert(pos.saturating_add(2));
                if usize::from(target) >= msg.len() {
                    return Err(NameError::PointerBeyondEnd(target));
                }
                if usize::from(target) >= limit {
                    return Err(classify_bad_pointer(msg, start));
                }
                hops += 1;
                if hops > MAX_POINTER_HOPS {
                    return Err(NameError::TooManyHops);
                }
                limit = usize::from(target);
                pos = limit;
            }
            _ => return Err(NameError::ReservedLabelType(len)),
        }
    }
}

/// A name broke the backwards rule: follow its pointers without that rule,
/// remembering where they sat, to tell a loop from a mere forward pointer.
fn classify_bad_pointer(msg: &[u8], start: usize) -> NameError {
    let mut followed: Vec<usize> = Vec::new();
    let mut pos = start;
    let mut octets = 1usize;
    loop {
        let Some(&len) = msg.get(pos) else {
            return NameError::Truncated;
        };
        match len & 0xc0 {
            0x00 if len == 0 => return NameError::ForwardPointer,
            0x00 => {
                octets = octets.saturating_add(1 + usize::from(len));
                if octets > MAX_NAME_OCTETS {
                    // Labels piling up through pointers: a loop with labels in it.
                    return NameError::PointerLoop;
                }
                pos = pos.saturating_add(1 + usize::from(len));
            }
            0xc0 => {
                if followed.contains(&pos) {
                    return NameError::PointerLoop;
                }
                if followed.len() >= MAX_POINTER_HOPS {
                    return NameError::TooManyHops;
                }
                followed.push(pos);
                let Some(&low) = msg.get(pos.saturating_add(1)) else {
                    return NameError::Truncated;
                };
                let target = (u16::from(len & 0x3f) << 8) | u16::from(low);
                if usize::from(target) >= msg.len() {
                    return NameError::PointerBeyondEnd(target);
                }
                pos = usize::from(target);
            }
            _ => return NameError::ReservedLabelType(len),
        }
    }
}

/// Appends one label in presentation form (RFC 1035 section 5.1): ASCII
/// lowercased, `.` and `\` escaped, other octets as `\DDD`.
fn push_label(name: &mut String, label: &[u8]) {
    if !name.is_empty() {
        name.push('.');
    }
    for &b in label {
        match b {
            b'.' | b'\\' => {
                name.push('\\');
                name.push(char::from(b));
            }
            0x21..=0x7e => name.push(char::from(b.to_ascii_lowercase())),
            _ => {
                let _ = write!(name, "\\{b:03}");
            }
        }
    }
}

/// What our own walk of the message found.
#[derive(Debug, Default)]
struct Walk {
    questions: Vec<DnsQuestion>,
    answers: Vec<DnsRecord>,
    additionals: Vec<DnsRecord>,
    /// Upper rcode bits of the OPT record (RFC 6891 section 6.1.3).
    opt_ext_rcode: Option<u8>,
    /// First violation; records are dropped when set.
    error: Option<String>,
    /// The section and record where the message ran out of octets (the
    /// violation).
    cut_in: Option<(Section, usize)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Answer,
    Authority,
    Additional,
}

impl Section {
    fn word(self) -> &'static str {
        match self {
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }
}

/// Walks the questions and the three record sections, checking every name.
fn walk(msg: &[u8], header: &Header) -> Walk {
    // Sized by the header (bounded): facts keep these vectors, and a grown
    // one would hold twice the room it needs, per message.
    fn sized<T>(n: u16) -> Vec<T> {
        Vec::with_capacity(usize::from(n).min(MAX_PRESIZED))
    }
    let mut walk = Walk {
        questions: sized(header.qdcount),
        answers: sized(header.ancount),
        additionals: sized(header.arcount),
        ..Walk::default()
    };
    let mut pos = 12usize;
    for index in 1..=usize::from(header.qdcount) {
        match read_question(msg, pos, index) {
            Ok((question, next)) => {
                walk.questions.push(question);
                pos = next;
            }
            Err(e) => {
                walk.error = Some(e);
                return walk;
            }
        }
    }
    let sections = [
        (Section::Answer, header.ancount),
        (Section::Authority, header.nscount),
        (Section::Additional, header.arcount),
    ];
    for (section, count) in sections {
        for index in 1..=usize::from(count) {
            match read_record(msg, pos, section, index) {
                Ok((record, next)) => {
                    pos = next;
                    walk.keep(section, record);
                }
                Err(fault) => {
                    walk.error = Some(fault.why);
                    walk.cut_in = fault.out_of_octets.then_some((section, index));
                    // Past the answer section, the answers were read whole
                    // (a resolver reading them ignores the rest).
                    if section == Section::Answer {
                        walk.answers.clear();
                    }
                    return walk;
                }
            }
        }
    }
    // The OPT record is counted in arcount but not kept.
    walk.additionals.shrink_to_fit();
    walk
}

/// Records pre-allocated per section at most; more grow as they come.
const MAX_PRESIZED: usize = 16;

impl Walk {
    fn keep(&mut self, section: Section, record: WalkedRecord) {
        match section {
            Section::Answer => self.answers.push(record.record),
            Section::Authority => {}
            Section::Additional if record.rtype == TYPE_OPT => {
                self.opt_ext_rcode = Some(record.ttl_high);
            }
            Section::Additional => self.additionals.push(record.record),
        }
    }
}

fn read_question(msg: &[u8], pos: usize, index: usize) -> Result<(DnsQuestion, usize), String> {
    let place = || format!("question {index} name");
    let (name, after) = read_name(msg, pos).map_err(|e| e.describe(&place()))?;
    let qtype = be16(msg, after).ok_or_else(|| format!("truncated (question {index})"))?;
    be16(msg, after.saturating_add(2)).ok_or_else(|| format!("truncated (question {index})"))?;
    Ok((DnsQuestion { name, qtype }, after.saturating_add(4)))
}

/// Why a record could not be read: the words for `malformed`, and whether
/// the message merely ran out of octets there rather than breaking a rule.
struct RecordFault {
    why: String,
    out_of_octets: bool,
}

struct WalkedRecord {
    record: DnsRecord,
    rtype: u16,
    /// Top octet of the TTL field: the extended rcode for OPT.
    ttl_high: u8,
}

/// The Internet class (RFC 1035 section 3.2.4).
const CLASS_IN: u16 = 1;

/// Reads one resource record (RFC 1035 section 4.1.3).
fn read_record(
    msg: &[u8],
    pos: usize,
    section: Section,
    index: usize,
) -> Result<(WalkedRecord, usize), RecordFault> {
    let place = format!("{} {index}", section.word());
    let (name, after) = read_name(msg, pos).map_err(|e| RecordFault {
        why: e.describe(&format!("{place} name")),
        out_of_octets: e == NameError::Truncated,
    })?;
    let truncated = || RecordFault {
        why: format!("truncated ({place})"),
        out_of_octets: true,
    };
    let rtype = be16(msg, after).ok_or_else(truncated)?;
    let ttl = be32(msg, after.saturating_add(4)).ok_or_else(truncated)?;
    let rdlength = be16(msg, after.saturating_add(8)).ok_or_else(truncated)?;
    let rdata_start = after.saturating_add(10);
    let rdata_end = rdata_start.saturating_add(usize::from(rdlength));
    if rdata_end > msg.len() {
        return Err(truncated());
    }
    // A record of another class than IN (CHAOS, HESIOD) is no address or
    // name a stub resolver uses (OPT's class field is a size).
    let class = be16(msg, after.saturating_add(2)).ok_or_else(truncated)?;
    let data = match class == CLASS_IN || rtype == TYPE_OPT {
        true => read_rdata(msg, rtype, rdata_start, rdata_end).map_err(|e| RecordFault {
            why: format!("{e} ({place} rdata)"),
            out_of_octets: false,
        })?,
        false => RData::Other { rtype },
    };
    let walked = WalkedRecord {
        record: DnsRecord { name, ttl, data },
        rtype,
        ttl_high: (ttl >> 24) as u8,
    };
    Ok((walked, rdata_end))
}

/// Decodes the rdata of the types we use and checks the names inside the
/// others that carry names; the rest is `Other`.
fn read_rdata(msg: &[u8], rtype: u16, start: usize, end: usize) -> Result<RData, String> {
    let rdata = msg.get(start..end).ok_or("truncated")?;
    let name_at = |at: usize| -> Result<(String, usize), String> {
        let (name, after) = read_name(msg, at).map_err(|e| e.describe("name"))?;
        if after > end {
            return Err("name runs past rdlength".to_string());
        }
        Ok((name, after))
    };
    let data = match rtype {
        TYPE_A => {
            let octets: [u8; 4] = rdata
                .try_into()
                .map_err(|_| format!("A rdata of {} octets", rdata.len()))?;
            RData::A {
                addr: Ipv4Addr::from(octets),
            }
        }
        TYPE_AAAA => {
            let octets: [u8; 16] = rdata
                .try_into()
                .map_err(|_| format!("AAAA rdata of {} octets", rdata.len()))?;
            RData::Aaaa {
                addr: Ipv6Addr::from(octets),
            }
        }
        TYPE_CNAME => RData::Cname {
            target: name_at(start)?.0,
        },
        TYPE_SRV => {
            let field = |at: usize| be16(rdata, at).ok_or("SRV rdata too short");
            let (priority, weight, port) = (field(0)?, field(2)?, field(4)?);
            let (target, _) = name_at(start.saturating_add(6))?;
            RData::Srv {
                priority,
                weight,
                port,
                target,
            }
        }
        TYPE_NS | TYPE_PTR => {
            name_at(start)?;
            RData::Other { rtype }
        }
        TYPE_MX => {
            name_at(start.saturating_add(2))?;
            RData::Other { rtype }
        }
        TYPE_SOA => {
            let (_, after_mname) = name_at(start)?;
            name_at(after_mname)?;
            RData::Other { rtype }
        }
        _ => RData::Other { rtype },
    };
    Ok(data)
}

/// Splits a DNS-over-TCP byte stream (RFC 1035 4.2.2, 2-byte length prefix)
/// into messages.
#[derive(Debug, Default)]
pub struct DnsTcpStream {
    buf: Vec<u8>,
}

impl DnsTcpStream {
    /// Appends bytes; returns the complete messages now available.
    ///
    /// At most one incomplete message (65,535 octets and its prefix) stays
    /// buffered between calls. Zero-length messages are skipped.
    pub fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(data);
        let mut messages = Vec::new();
        let mut at = 0usize;
        while let Some(len) = be16(&self.buf, at) {
            let first = at.saturating_add(2);
            let Some(message) = self.buf.get(first..first.saturating_add(usize::from(len))) else {
                break;
            };
            if !message.is_empty() {
                messages.push(message.to_vec());
            }
            at = first.saturating_add(usize::from(len));
        }
        self.buf.drain(..at.min(self.buf.len()));
        messages
    }

    /// Bytes are missing before what comes next (a TCP gap): the framing is
    /// lost, so the partial message is dropped.
    pub fn gap(&mut self) {
        self.buf.clear();
    }
}

/// Capture reading for the tests of the protocol decoders (tls.rs uses it
/// too; `proto/mod.rs` is not ours to add it to).
#[cfg(test)]
#[path = "test_frames.rs"]
pub(crate) mod test_frames;

#[cfg(test)]
mod tests;
