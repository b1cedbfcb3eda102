//! DHCPv4 (RFC 2131, 2132): message header and options.
//!
//! The option walker is our own. It reads the fixed BOOTP header (RFC 2131
//! section 2), checks the magic cookie (RFC 2132 section 2), then walks the
//! options field: pad (0) is skipped, end (255) closes an area. Option 52
//! (overload, RFC 2132 section 9.3) continues the walk in `file`, then in
//! `sname` (RFC 2131 section 4.1). Repeated instances of one code are joined
//! into a single option at the place of the first (RFC 3396). `sname` and
//! `file` are reported as strings only when they do not carry options.
//!
//! Problems that still leave a usable message (a truncated option, an area
//! without an end option, an hlen other than 6) are kept as stable ids in
//! [`DhcpMessage::anomalies`]; only a payload shorter than the header or
//! without the cookie is an error. Ignored: `secs`, `flags`, `hops`, the
//! chaddr bytes after the sixth, and the meaning of most option codes (their
//! bytes are kept as they are).

use std::net::Ipv4Addr;

use serde::Serialize;

pub mod address;

/// Option codes this crate reads (RFC 2132 and later, IANA names).
pub mod code {
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DOMAIN_NAME_SERVER: u8 = 6;
    pub const HOST_NAME: u8 = 12;
    pub const DOMAIN_NAME: u8 = 15;
    pub const NTP_SERVERS: u8 = 42;
    pub const VENDOR_SPECIFIC: u8 = 43;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const OVERLOAD: u8 = 52;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAMETER_REQUEST_LIST: u8 = 55;
    pub const VENDOR_CLASS: u8 = 60;
    pub const CLIENT_ID: u8 = 61;
    pub const TFTP_SERVER_NAME: u8 = 66;
    pub const BOOTFILE_NAME: u8 = 67;
    pub const VIVSO: u8 = 125;
    pub const TFTP_SERVERS: u8 = 150;
    pub const CONFIG_FILE: u8 = 159;
    pub const PROVISIONING_URL: u8 = 160;
    pub const END: u8 = 255;
}

/// Length of the fixed header, magic cookie included.
const HEADER_LEN: usize = 240;
/// RFC 2132 section 2: 99.130.83.99.
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const CHADDR_AT: usize = 28;
const SNAME_AT: usize = 44;
const SNAME_LEN: usize = 64;
const FILE_AT: usize = 108;
const FILE_LEN: usize = 128;
const COOKIE_AT: usize = 236;

/// Overload bit: `file` carries options.
const OVERLOAD_FILE: u8 = 1;
/// Overload bit: `sname` carries options.
const OVERLOAD_SNAME: u8 = 2;

/// One option after RFC 3396 concatenation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DhcpOption {
    pub code: u8,
    pub data: Vec<u8>,
}

/// A decoded DHCP message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DhcpMessage {
    /// 1 BOOTREQUEST, 2 BOOTREPLY.
    pub op: u8,
    /// Hardware address type (1 Ethernet).
    pub htype: u8,
    /// Hardware address length (6 for Ethernet).
    pub hlen: u8,
    pub xid: u32,
    /// Client hardware address (first 6 bytes of chaddr when htype is Ethernet).
    pub chaddr: [u8; 6],
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    /// BOOTP server host name; `None` when empty or used for options (overload).
    pub sname: Option<String>,
    /// BOOTP boot file name; `None` when empty or used for options (overload).
    pub file: Option<String>,
    /// Option 53.
    pub message_type: Option<u8>,
    /// Options in wire order (options field, then file, then sname).
    pub options: Vec<DhcpOption>,
    /// Stable snake_case ids of what was wrong but survivable, each once:
    /// `option_truncated` (length past the end of its area; the bytes there
    /// are kept), `options_no_end` (an area without end option),
    /// `overload_invalid` (option 52 not 1-3; sname/file read as strings),
    /// `hlen_not_6`, `address_list_length` (option 3, 6, 42 or 150 not in
    /// whole IPv4 addresses).
    pub anomalies: Vec<&'static str>,
}

/// Why a payload is not a DHCP message at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DhcpError {
    #[error("dhcp: {len} bytes, shorter than the 240-byte header")]
    TooShort { len: usize },
    #[error("dhcp: no magic cookie")]
    NoCookie,
}

/// Sub-options as (sub-code, value), in wire order.
pub type SubOptions = Vec<(u8, Vec<u8>)>;

/// Option 43 (RFC 2132 section 8.4): encapsulated sub-options when the bytes
/// parse as such, else the bytes as sent (many vendors put plain text here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum VendorSpecific {
    SubOptions(SubOptions),
    Raw(Vec<u8>),
}

/// Name of a message type (option 53), e.g. `"DISCOVER"`.
pub fn message_type_name(t: u8) -> &'static str {
    match t {
        1 => "DISCOVER",
        2 => "OFFER",
        3 => "REQUEST",
        4 => "DECLINE",
        5 => "ACK",
        6 => "NAK",
        7 => "RELEASE",
        8 => "INFORM",
        _ => "UNKNOWN",
    }
}

/// Decodes a UDP payload from port 67/68.
pub fn parse(payload: &[u8]) -> Result<DhcpMessage, DhcpError> {
    let too_short = DhcpError::TooShort { len: payload.len() };
    let header = payload.get(..HEADER_LEN).ok_or(too_short)?;
    if bytes::<4>(header, COOKIE_AT) != MAGIC_COOKIE {
        return Err(DhcpError::NoCookie);
    }
    let options_field = payload.get(HEADER_LEN..).unwrap_or_default();
    let sname_field = header
        .get(SNAME_AT..SNAME_AT + SNAME_LEN)
        .unwrap_or_default();
    let file_field = header.get(FILE_AT..FILE_AT + FILE_LEN).unwrap_or_default();
    let mut anomalies = Vec::new();

    // The options field first; option 52 there says where the walk goes next.
    let mut found = Vec::new();
    walk_area(options_field, &mut found, &mut anomalies);
    let overload = overload_of(&found, &mut anomalies);
    if overload & OVERLOAD_FILE != 0 {
        walk_area(file_field, &mut found, &mut anomalies);
    }
    if overload & OVERLOAD_SNAME != 0 {
        walk_area(sname_field, &mut found, &mut anomalies);
    }
    let options = join_repeated(found);
    // Lists of IPv4 addresses (RFC 2132 3.5, 3.8, 8.3; option 150) come in
    // whole addresses.
    let address_lists = [3, 6, 42, code::TFTP_SERVERS];
    if options
        .iter()
        .any(|o| address_lists.contains(&o.code) && o.data.len() % 4 != 0)
    {
        note(&mut anomalies, "address_list_length");
    }

    let hlen = byte(header, 2);
    if hlen != 6 {
        note(&mut anomalies, "hlen_not_6");
    }
    let message_type = options
        .iter()
        .find(|o| o.code == code::MESSAGE_TYPE)
        .and_then(|o| o.data.first().copied());
    let sname = match overload & OVERLOAD_SNAME {
        0 => nul_terminated(sname_field),
        _ => None,
    };
    let file = match overload & OVERLOAD_FILE {
        0 => nul_terminated(file_field),
        _ => None,
    };
    Ok(DhcpMessage {
        op: byte(header, 0),
        htype: byte(header, 1),
        hlen,
        xid: u32::from_be_bytes(bytes::<4>(header, 4)),
        chaddr: bytes::<6>(header, CHADDR_AT),
        ciaddr: Ipv4Addr::from(bytes::<4>(header, 12)),
        yiaddr: Ipv4Addr::from(bytes::<4>(header, 16)),
        siaddr: Ipv4Addr::from(bytes::<4>(header, 20)),
        giaddr: Ipv4Addr::from(bytes::<4>(header, 24)),
        sname,
        file,
        message_type,
        options,
        anomalies,
    })
}

/// The fixed fields of a message the capture's snaplen cut before its
/// options (a header of at least op to chaddr): no options, the missing
/// bytes read as zero, and the anomaly `cut_by_snaplen`. `None` when even
/// the client's hardware address is cut.
pub fn parse_cut(payload: &[u8]) -> Option<DhcpMessage> {
    if payload.len() < CHADDR_AT + 16 {
        return None;
    }
    let mut whole = [0u8; HEADER_LEN + 1];
    let kept = payload.len().min(COOKIE_AT);
    whole.get_mut(..kept)?.copy_from_slice(payload.get(..kept)?);
    whole
        .get_mut(COOKIE_AT..HEADER_LEN)?
        .copy_from_slice(&MAGIC_COOKIE);
    // The options field holds only its end.
    *whole.get_mut(HEADER_LEN)? = code::END;
    let mut m = parse(&whole).ok()?;
    m.anomalies.push("cut_by_snaplen");
    Some(m)
}

/// Stable anomaly ids, in the order first met.
type Anomalies = Vec<&'static str>;

/// One option instance as it sits on the wire, before RFC 3396 joining.
struct Instance<'a> {
    code: u8,
    data: &'a [u8],
}

/// Reads the options of one area (options field, `file` or `sname`) into
/// `found`. Stops at end (255), at the end of the area, or at an option whose
/// length runs past the area; such an option keeps the bytes that are there.
fn walk_area<'a>(area: &'a [u8], found: &mut Vec<Instance<'a>>, anomalies: &mut Anomalies) {
    let mut rest = area;
    loop {
        let Some((&code, after_code)) = rest.split_first() else {
            note(anomalies, "options_no_end");
            return;
        };
        match code {
            code::PAD => rest = after_code,
            code::END => return,
            _ => {
                let Some((&len, body)) = after_code.split_first() else {
                    note(anomalies, "option_truncated");
                    return;
                };
                match body.split_at_checked(usize::from(len)) {
                    Some((data, next)) => {
                        found.push(Instance { code, data });
                        rest = next;
                    }
                    None => {
                        found.push(Instance { code, data: body });
                        note(anomalies, "option_truncated");
                        return;
                    }
                }
            }
        }
    }
}

/// The overload value (option 52) from the options field: 1 file, 2 sname,
/// 3 both; 0 when absent or invalid.
fn overload_of(found: &[Instance<'_>], anomalies: &mut Anomalies) -> u8 {
    let Some(first) = found.iter().find(|i| i.code == code::OVERLOAD) else {
        return 0;
    };
    match first.data {
        [value @ 1..=3] => *value,
        _ => {
            note(anomalies, "overload_invalid");
            0
        }
    }
}

/// RFC 3396: instances of one code are concatenated, in wire order, into a
/// single option that takes the place of the first instance.
fn join_repeated(found: Vec<Instance<'_>>) -> Vec<DhcpOption> {
    let mut slot_of_code: [Option<usize>; 256] = [None; 256];
    let mut options: Vec<DhcpOption> = Vec::new();
    for instance in found {
        let Some(slot) = slot_of_code.get_mut(usize::from(instance.code)) else {
            continue;
        };
        match (*slot).and_then(|at| options.get_mut(at)) {
            Some(first) => first.data.extend_from_slice(instance.data),
            None => {
                *slot = Some(options.len());
                options.push(DhcpOption {
                    code: instance.code,
                    data: instance.data.to_vec(),
                });
            }
        }
    }
    options
}

impl DhcpMessage {
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.data.as_slice())
    }

    /// Text of an option (e.g. 159, 160, 67): lossy UTF-8, NULs trimmed.
    pub fn option_text(&self, code: u8) -> Option<String> {
        self.option(code).map(text)
    }

    /// Option 12, the client's host name (`SEP<mac>` on Cisco phones).
    pub fn hostname(&self) -> Option<String> {
        self.option_text(code::HOST_NAME)
    }

    /// Option 60, vendor class identifier.
    pub fn vendor_class(&self) -> Option<String> {
        self.option_text(code::VENDOR_CLASS)
    }

    /// Option 55, the codes the client asks for.
    pub fn requested_options(&self) -> Option<&[u8]> {
        self.option(code::PARAMETER_REQUEST_LIST)
    }

    /// Option 50, requested IP address.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.option(code::REQUESTED_IP).and_then(first_ipv4)
    }

    /// Option 54, server identifier; `None` too when it holds an address
    /// that names no server (0.0.0.0, broadcast...: see `address.rs`).
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.option(code::SERVER_ID)
            .and_then(first_ipv4)
            .filter(|a| address::usable(*a))
    }

    /// Option 51, lease time in seconds.
    pub fn lease_time(&self) -> Option<u32> {
        let data = self.option(code::LEASE_TIME)?;
        data.first_chunk::<4>().map(|b| u32::from_be_bytes(*b))
    }

    /// Option 1, subnet mask.
    pub fn subnet_mask(&self) -> Option<Ipv4Addr> {
        self.option(code::SUBNET_MASK).and_then(first_ipv4)
    }

    /// Option 3, routers; empty when absent.
    pub fn routers(&self) -> Vec<Ipv4Addr> {
        self.option(code::ROUTER).map(ipv4_list).unwrap_or_default()
    }

    /// Option 6, DNS servers; empty when absent.
    pub fn dns_servers(&self) -> Vec<Ipv4Addr> {
        self.option(code::DOMAIN_NAME_SERVER)
            .map(ipv4_list)
            .unwrap_or_default()
    }

    /// Option 15, domain name.
    pub fn domain_name(&self) -> Option<String> {
        self.option_text(code::DOMAIN_NAME)
    }

    /// Option 42, NTP servers; empty when absent.
    pub fn ntp_servers(&self) -> Vec<Ipv4Addr> {
        self.option(code::NTP_SERVERS)
            .map(ipv4_list)
            .unwrap_or_default()
    }

    /// Option `code` (3, 6, 42, 150...) when it is sent but none of its
    /// addresses can name a server (a placeholder such as 0.0.0.0: see
    /// `address.rs`): its whole addresses. `None` when it is absent or one
    /// of them is usable.
    pub fn unusable_servers(&self, code: u8) -> Option<Vec<Ipv4Addr>> {
        let addrs = ipv4_list(self.option(code)?);
        (!addrs.iter().any(|a| address::usable(*a))).then_some(addrs)
    }

    /// Option 66, TFTP server name (dnsmasq sends it NUL-terminated).
    pub fn tftp_server_name(&self) -> Option<String> {
        self.option_text(code::TFTP_SERVER_NAME)
    }

    /// Option 150 (Cisco), TFTP server addresses; empty when absent.
    pub fn tftp_servers(&self) -> Vec<Ipv4Addr> {
        self.option(code::TFTP_SERVERS)
            .map(ipv4_list)
            .unwrap_or_default()
    }

    /// Option 61, client identifier (usually hardware type then MAC).
    pub fn client_id(&self) -> Option<&[u8]> {
        self.option(code::CLIENT_ID)
    }

    /// Option 43, vendor-specific information.
    pub fn vendor_specific(&self) -> Option<VendorSpecific> {
        let data = self.option(code::VENDOR_SPECIFIC)?;
        Some(match encapsulated(data) {
            Some(subs) => VendorSpecific::SubOptions(subs),
            None => VendorSpecific::Raw(data.to_vec()),
        })
    }

    /// Option 125 (RFC 3925): (enterprise number, sub-options) per vendor.
    /// A block cut short keeps the sub-options read before the cut.
    pub fn vivso(&self) -> Vec<(u32, SubOptions)> {
        self.option(code::VIVSO)
            .map(vivso_blocks)
            .unwrap_or_default()
    }

    /// Options that hand the phone a provisioning server, as text, in wire
    /// order: 66, 150 (`"192.0.2.10, 192.0.2.11"`), 159, 160, and 43 / 125
    /// when a value looks like a TFTP/HTTP server or URL, or, under
    /// Cisco's enterprise number in 125, is a host name or address as text.
    pub fn provisioning_options(&self) -> Vec<(u8, String)> {
        self.options
            .iter()
            .filter_map(|o| provisioning_text(o).map(|t| (o.code, t)))
            .collect()
    }

    /// The value of option `code` (66, 150, 159, 160) when it names no
    /// server yet is not blank: an address that names none, or a URL whose
    /// host is one ("0.0.0.0", "http://0.0.0.0/p.xml", "http://").
    pub fn placeholder_server(&self, code: u8) -> Option<String> {
        if code == code::TFTP_SERVERS {
            let addrs = self.unusable_servers(code)?;
            let texts: Vec<String> = addrs.iter().map(|a| address::unusable_text(*a)).collect();
            return (!texts.is_empty()).then(|| texts.join(", "));
        }
        let option = self.options.iter().find(|o| o.code == code)?;
        let value = text(&option.data);
        let blank = value.trim().is_empty();
        (!blank && provisioning_text(option).is_none()).then(|| value.trim().to_string())
    }

    /// Options 66, 150, 159 and 160 sent without a server (empty, only NULs
    /// and blanks, 0.0.0.0, or fewer than 4 bytes for 150): present, naming
    /// none.
    pub fn empty_provisioning_options(&self) -> Vec<u8> {
        let codes = [
            code::TFTP_SERVER_NAME,
            code::TFTP_SERVERS,
            code::CONFIG_FILE,
            code::PROVISIONING_URL,
        ];
        self.options
            .iter()
            .filter(|o| codes.contains(&o.code) && provisioning_text(o).is_none())
            .map(|o| o.code)
            .collect()
    }
}

/// The provisioning server or URL an option carries, as text, if any.
fn provisioning_text(option: &DhcpOption) -> Option<String> {
    match option.code {
        // Sent empty (or only NULs and blanks): it names no server.
        // 0.0.0.0 names no server either (RFC 1122 3.2.1.3: no destination).
        code::TFTP_SERVER_NAME | code::PROVISIONING_URL => Some(text(&option.data))
            .filter(|t| names_a_server(t.trim()))
            .map(|_| value_text(&option.data)),
        // A configuration file (a path or URL): anything but blank.
        code::CONFIG_FILE => Some(text(&option.data))
            .filter(|t| !t.trim().is_empty() && !t.trim().ends_with("://"))
            .map(|_| value_text(&option.data)),
        // Not one whole address that can name a server (0.0.0.0,
        // broadcast, loopback...: address.rs): no server named. Text where
        // addresses belong (150 typed as a string) is said as such.
        code::TFTP_SERVERS => {
            let read = ipv4_list(&option.data)
                .iter()
                .any(|a| address::usable(*a))
                .then(|| ipv4_text(&option.data));
            match (read, address_text(&option.data)) {
                (Some(read), Some(typed)) => Some(format!(
                    "the text '{typed}' (typed as a string, not as addresses: read as {read})"
                )),
                (read, _) => read,
            }
        }
        // Option 43 names no vendor: its sub-options mean what the vendor
        // class they answer says (a controller's address for Aruba,
        // Ruckus or Cisco access points sharing the scope), so only a value
        // that reads as a TFTP/HTTP server or URL counts, never a bare
        // address or host name.
        code::VENDOR_SPECIFIC => {
            let subs = encapsulated(&option.data).unwrap_or_default();
            server_values(subs.iter().map(|(_, v)| (v.as_slice(), false)))
                .or_else(|| server_values([(option.data.as_slice(), false)]))
        }
        // Under Cisco's enterprise number a host name or address text
        // names a server; under others' (TR-111's 3561) only a URL does.
        code::VIVSO => {
            let blocks = vivso_blocks(&option.data);
            let subs = (blocks.iter())
                .flat_map(|(ent, subs)| subs.iter().map(move |(_, v)| (v, *ent == CISCO)));
            server_values(subs.map(|(v, cisco)| (v.as_slice(), cisco)))
        }
        _ => None,
    }
}

/// Option 150's bytes when they are the text of addresses or a host name
/// ("192.0.2.10", "tftp.example.com"), the mistake of typing the option as
/// a string: printable, with a dot, and all addresses or a dotted name.
fn address_text(data: &[u8]) -> Option<String> {
    let data = data.strip_suffix(&[0]).unwrap_or(data);
    if !data.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let t = String::from_utf8_lossy(data).trim().to_string();
    let words: Vec<&str> = t.split([',', ' ', ';']).filter(|w| !w.is_empty()).collect();
    let addresses = words
        .iter()
        .all(|w| w.parse::<std::net::Ipv4Addr>().is_ok());
    // A dotted host name: labels of letters, digits and hyphens, the last
    // one (its top-level domain) letters only.
    let labels: Vec<&str> = t.split('.').collect();
    let name = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    (!words.is_empty() && (addresses || name)).then_some(t)
}

/// Anything but empty or an address that names no server (0.0.0.0,
/// loopback, broadcast...: address.rs), and a URL only with a host (not a
/// bare scheme such as "http://").
fn names_a_server(t: &str) -> bool {
    // The host of an authority: no user info, no port, no brackets.
    let host_of = |authority: &str| {
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        };
        host.to_string()
    };
    let null = |h: &str| match h.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => !address::usable(v4),
        Ok(std::net::IpAddr::V6(v6)) => {
            v6.is_unspecified() || v6.is_loopback() || v6.is_multicast()
        }
        Err(_) => false,
    };
    match t.split_once("://") {
        Some((_, rest)) => {
            let host = host_of(rest.split(['/', '?', '#']).next().unwrap_or(""));
            !host.is_empty() && !null(&host)
        }
        // No scheme: a name, an address or a path, offered all the same.
        None => !t.is_empty() && !null(&host_of(t)),
    }
}

/// Cisco's IANA enterprise number (option 125 blocks, RFC 3925).
const CISCO: u32 = 9;

/// The values that look like a server or URL, joined with ", "; with
/// `true` beside it, a value that is a host name or address text counts
/// too.
fn server_values<'a>(values: impl IntoIterator<Item = (&'a [u8], bool)>) -> Option<String> {
    let hits: Vec<String> = values
        .into_iter()
        .filter(|(v, names)| looks_like_server(&text(v)) || *names && address_text(v).is_some())
        .map(|(v, _)| text(v))
        .collect();
    (!hits.is_empty()).then(|| hits.join(", "))
}

/// Printable text naming a URL ("://") or a TFTP/HTTP server. A bare
/// address is not enough: Aruba access points, for one, get their
/// controller's address as text in option 43.
fn looks_like_server(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let printable = !text.is_empty() && !text.chars().any(char::is_control);
    printable && (lower.contains("://") || lower.contains("tftp") || lower.contains("http"))
}

/// RFC 2132 section 8.4: code/length/value with the options' own syntax (pad
/// and end included). `None` unless the bytes parse exactly and hold at least
/// one sub-option.
fn encapsulated(data: &[u8]) -> Option<SubOptions> {
    let mut subs = Vec::new();
    let mut rest = data;
    while let Some((&code, after_code)) = rest.split_first() {
        match code {
            code::PAD => rest = after_code,
            code::END => break,
            _ => {
                let (&len, body) = after_code.split_first()?;
                let (value, next) = body.split_at_checked(usize::from(len))?;
                subs.push((code, value.to_vec()));
                rest = next;
            }
        }
    }
    (!subs.is_empty()).then_some(subs)
}

/// RFC 3925 section 4: blocks of enterprise number (4), data length (1) and
/// sub-options (code, length, value).
fn vivso_blocks(data: &[u8]) -> Vec<(u32, SubOptions)> {
    let mut blocks = Vec::new();
    let mut rest = data;
    while let Some((enterprise, after)) = rest.split_first_chunk::<4>() {
        let Some((&len, body)) = after.split_first() else {
            break;
        };
        let (block, next) = body
            .split_at_checked(usize::from(len))
            .unwrap_or((body, &[]));
        blocks.push((u32::from_be_bytes(*enterprise), sub_options(block)));
        rest = next;
    }
    blocks
}

/// Plain code/length/value triples; a value cut short keeps what is there.
fn sub_options(data: &[u8]) -> SubOptions {
    let mut subs = Vec::new();
    let mut rest = data;
    while let Some(([code, len], body)) = rest.split_first_chunk::<2>() {
        let (value, next) = body
            .split_at_checked(usize::from(*len))
            .unwrap_or((body, &[]));
        subs.push((*code, value.to_vec()));
        rest = next;
    }
    subs
}

/// Adds an anomaly id once.
fn note(anomalies: &mut Anomalies, id: &'static str) {
    if !anomalies.contains(&id) {
        anomalies.push(id);
    }
}

fn byte(data: &[u8], at: usize) -> u8 {
    data.get(at).copied().unwrap_or(0)
}

/// `N` bytes at `at`, zeros where the data ends first.
fn bytes<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    data.get(at..)
        .and_then(|s| s.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

/// A BOOTP string field: up to the first NUL; `None` when empty.
fn nul_terminated(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let bytes = field.get(..end).unwrap_or_default();
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Option text: lossy UTF-8 with leading and trailing NULs removed.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).trim_matches('\0').to_string()
}

/// A text option's value as text, or as hex bytes when it holds control
/// characters (a binary value, such as RFC 7618 port parameters under 159):
/// escapes would read as text that is not there.
fn value_text(data: &[u8]) -> String {
    let t = text(data);
    match t.chars().any(char::is_control) {
        true => {
            let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
            format!("the bytes {} (binary, not text)", hex.join(" "))
        }
        false => t,
    }
}

fn first_ipv4(data: &[u8]) -> Option<Ipv4Addr> {
    data.first_chunk::<4>().map(|b| Ipv4Addr::from(*b))
}

/// Whole 4-byte addresses; a trailing partial address is dropped.
fn ipv4_list(data: &[u8]) -> Vec<Ipv4Addr> {
    data.chunks_exact(4).filter_map(first_ipv4).collect()
}

/// Addresses joined with ", "; hex when not even one whole address is there;
/// bytes after the last whole address are said, not dropped.
fn ipv4_text(data: &[u8]) -> String {
    let addrs = ipv4_list(data);
    if addrs.is_empty() {
        return data.iter().map(|b| format!("{b:02x}")).collect();
    }
    let texts: Vec<String> = addrs.iter().map(Ipv4Addr::to_string).collect();
    let mut out = texts.join(", ");
    let stray = data.len() % 4;
    if stray > 0 {
        out.push_str(&format!(
            " (and {}: the length is not a multiple of 4)",
            crate::text::plural(stray, "stray byte", "stray bytes")
        ));
    }
    out
}

#[cfg(test)]
#[path = "test_pcap.rs"]
pub(crate) mod test_pcap;

#[cfg(test)]
mod tests;
