//! DHCPv4 (RFC 2131, 2132): message header and options.
//!
//! The option walker is our own. It keeps options in wire order, joins
//! repeated options (RFC 3396), follows option 52 overload into the `file`
//! then `sname` fields (RFC 2131 section 4.1), and keeps `sname`/`file` apart
//! from options.

use std::net::Ipv4Addr;

use serde::Serialize;

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
    /// Stable snake_case ids of what was wrong but survivable.
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
    let _ = payload;
    todo!("dhcp: parse")
}

impl DhcpMessage {
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.data.as_slice())
    }
}

impl DhcpMessage {
    /// Provisioning options present (66, 150, 159, 160; 43/125 URLs), as text.
    pub fn provisioning_options(&self) -> Vec<(u8, String)> {
        todo!("dhcp: provisioning_options")
    }
}
