//! What a frame that failed at the link layer looks like, to tell a file
//! whose header names the wrong link type (raw IP labelled Ethernet by
//! `editcap -T`, Ethernet labelled Linux SLL, IPv4 labelled IPv6-only...).
//!
//! The first such frame of a capture is kept ([`LinkFailure`]) with the
//! layout its bytes fit: an IPv4 header whose checksum holds (or whose
//! total length is the frame's), an IPv6 header whose payload length
//! reaches the frame's end, or an Ethernet, SLL, SLL2 or BSD loopback
//! header whose type field names IPv4, IPv6 or ARP and is followed by one.
//! It is only a hint for the message and the `editcap -T` command that
//! fixes the file: frames are never decoded under a guessed link type.
//!
//! A record shorter than [`TELLING`] bytes (an empty one above all) fits
//! no layout whatever the link type: it is no evidence of a wrong one.

/// Bytes of a failed frame kept to show it.
pub const HEAD: usize = 8;

/// Bytes a record needs before its layout can tell anything: the shortest
/// IP header. A shorter one holds no IP packet under any link type.
pub const TELLING: usize = 20;

/// The first frame of a capture that failed at the link layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LinkFailure {
    pub frame: u64,
    /// The link type its file (or pcapng interface) names.
    pub linktype: u32,
    /// Its first bytes (`head_len` of them).
    pub head: [u8; HEAD],
    pub head_len: u8,
    /// Bytes captured of it.
    pub captured: usize,
    /// The layout they fit.
    pub looks: Looks,
}

impl LinkFailure {
    pub fn new(frame: u64, linktype: u32, data: &[u8]) -> Self {
        let mut head = [0; HEAD];
        let n = data.len().min(HEAD);
        head[..n].copy_from_slice(&data[..n]);
        LinkFailure {
            frame,
            linktype,
            head,
            head_len: n as u8,
            captured: data.len(),
            looks: Looks::of(data),
        }
    }

    /// "45 00 01 66 00 00 00 00".
    pub fn head_hex(&self) -> String {
        let n = usize::from(self.head_len).min(HEAD);
        let hex: Vec<String> = self.head[..n].iter().map(|b| format!("{b:02x}")).collect();
        hex.join(" ")
    }

    /// Too short to tell any layout (see [`TELLING`]).
    pub fn short(&self) -> bool {
        self.captured < TELLING
    }

    /// "starts 45 00 01 66 00 00 00 00", or "is empty (0 bytes captured)".
    pub fn bytes_words(&self) -> String {
        match self.captured {
            0 => "is empty (0 bytes captured)".to_string(),
            n if n < HEAD => format!("holds only {n} bytes: {}", self.head_hex()),
            _ => format!("starts {}", self.head_hex()),
        }
    }

    /// The layout the frame fits, unless it is the link type already named
    /// (a frame of the right type that failed for its own reasons).
    pub fn other_layout(&self) -> Option<Looks> {
        let named = Looks::of_linktype(self.linktype);
        Some(self.looks).filter(|l| *l != Looks::Unknown && Some(*l) != named)
    }
}

/// The link layout a frame's first bytes fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Looks {
    Ipv4,
    Ipv6,
    Ethernet,
    Sll,
    Sll2,
    Loopback,
    Unknown,
}

impl Looks {
    /// The first layout (most telling first) that the frame fits.
    pub fn of(data: &[u8]) -> Looks {
        let at = |n: usize| data.get(n..).unwrap_or_default();
        if ipv4_at(data) {
            Looks::Ipv4
        } else if ipv6_at(data) {
            Looks::Ipv6
        } else if typed(be16(data, 12), at(14)) {
            Looks::Ethernet
        } else if typed(be16(data, 14), at(16)) && be16(data, 0).is_some_and(|p| p <= 4) {
            Looks::Sll
        } else if typed(be16(data, 0), at(20)) {
            Looks::Sll2
        } else if loopback_at(data) {
            Looks::Loopback
        } else {
            Looks::Unknown
        }
    }

    /// The layout of a link type provscope reads (raw IP as IPv4: both
    /// raw IPv4 and IPv6 frames fit it).
    fn of_linktype(linktype: u32) -> Option<Looks> {
        match linktype {
            1 => Some(Looks::Ethernet),
            113 => Some(Looks::Sll),
            276 => Some(Looks::Sll2),
            0 | 108 => Some(Looks::Loopback),
            _ => None,
        }
    }

    /// "an IPv4 header", for "the frames start with ...".
    pub fn words(self) -> &'static str {
        match self {
            Looks::Ipv4 => "an IPv4 header",
            Looks::Ipv6 => "an IPv6 header",
            Looks::Ethernet => "an Ethernet header",
            Looks::Sll => "a Linux cooked (SLL) header",
            Looks::Sll2 => "a Linux cooked v2 (SLL2) header",
            Looks::Loopback => "a BSD loopback family word",
            Looks::Unknown => "no link layout provscope reads",
        }
    }

    /// The `editcap -T` encapsulation that names this layout.
    pub fn editcap(self) -> &'static str {
        match self {
            Looks::Ipv4 | Looks::Ipv6 => "rawip",
            Looks::Ethernet => "ether",
            Looks::Sll => "linux-sll",
            Looks::Sll2 => "linux-sll2",
            Looks::Loopback => "null",
            Looks::Unknown => "",
        }
    }
}

/// A link type's name, as in "Ethernet (link type 1)".
pub fn linktype_name(linktype: u32) -> &'static str {
    match linktype {
        0 => "BSD loopback",
        1 => "Ethernet",
        12 | 14 | 101 => "raw IP",
        108 => "OpenBSD loopback",
        113 => "Linux SLL",
        228 => "raw IPv4",
        229 => "raw IPv6",
        239 => "Linux NFLOG",
        276 => "Linux SLL2",
        _ => "an unread link type",
    }
}

/// An IPv4 header at the frame's start: version 4, a header that fits,
/// and a checksum that holds or a total length that is the frame's.
fn ipv4_at(data: &[u8]) -> bool {
    let Some(&first) = data.first() else {
        return false;
    };
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 || data.len() < ihl {
        return false;
    }
    let sum = data[..ihl]
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum::<u32>();
    let folded = (sum & 0xffff) + (sum >> 16);
    let folded = (folded & 0xffff) + (folded >> 16);
    folded == 0xffff || be16(data, 2).map(usize::from) == Some(data.len())
}

/// An IPv6 header at the frame's start whose payload reaches the frame's
/// end (or beyond it: a frame cut by the snaplen).
fn ipv6_at(data: &[u8]) -> bool {
    data.first().is_some_and(|b| b >> 4 == 6)
        && data.len() >= 40
        && be16(data, 4).is_some_and(|n| 40 + usize::from(n) >= data.len())
}

/// A type field of IPv4, IPv6 or ARP (or a VLAN tag over one), followed by
/// what it names.
fn typed(ethertype: Option<u16>, rest: &[u8]) -> bool {
    let nibble = rest.first().map(|b| b >> 4);
    match ethertype {
        Some(0x0800) => nibble == Some(4),
        Some(0x86dd) => nibble == Some(6),
        Some(0x0806) => be16(rest, 0) == Some(1) && be16(rest, 2) == Some(0x0800),
        Some(0x8100 | 0x88a8) => {
            matches!(be16(rest, 2), Some(0x0800 | 0x86dd | 0x0806 | 0x8100))
        }
        _ => false,
    }
}

/// A BSD loopback family word (IPv4 or IPv6, either byte order) followed
/// by its IP version.
fn loopback_at(data: &[u8]) -> bool {
    let Some(word) = data.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return false;
    };
    let nibble = data.get(4).map(|b| b >> 4);
    [u32::from_be_bytes(word), u32::from_le_bytes(word)]
        .iter()
        .any(|f| match f {
            2 => nibble == Some(4),
            24 | 28 | 30 => nibble == Some(6),
            _ => false,
        })
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (10.0.0.1 to 10.0.0.2, UDP) with its checksum.
    const IPV4: [u8; 20] = [
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0x66, 0xd7, 10, 0, 0, 1, 10, 0, 0, 2,
    ];

    fn with(prefix: &[u8]) -> Vec<u8> {
        [prefix, &IPV4[..]].concat()
    }

    #[test]
    fn each_layout_is_told_from_its_first_bytes() {
        assert_eq!(Looks::of(&IPV4), Looks::Ipv4);
        let mut v6 = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        v6.extend([0; 40]);
        assert_eq!(Looks::of(&v6), Looks::Ipv6);
        let eth = [&[0xff; 6][..], &[0, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00]].concat();
        assert_eq!(Looks::of(&with(&eth)), Looks::Ethernet);
        let sll = [0, 0, 0, 1, 0, 6, 0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x08, 0x00];
        assert_eq!(Looks::of(&with(&sll)), Looks::Sll);
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6];
        sll2.extend([0, 0, 0x5e, 0, 0x53, 1, 0, 0]);
        assert_eq!(Looks::of(&with(&sll2)), Looks::Sll2);
        assert_eq!(Looks::of(&with(&[2, 0, 0, 0])), Looks::Loopback);
        assert_eq!(Looks::of(&with(&[0, 0, 0, 30])), Looks::Unknown);
        assert_eq!(Looks::of(&[0x88, 0xe5, 0, 0]), Looks::Unknown);
    }

    #[test]
    fn a_bad_checksum_of_a_frame_too_long_is_no_ipv4_header() {
        let mut f = IPV4.to_vec();
        f[10] = 0;
        assert_eq!(Looks::of(&f), Looks::Ipv4, "total length is the frame's");
        f.push(0);
        assert_eq!(Looks::of(&f), Looks::Unknown);
    }

    #[test]
    fn the_named_layout_is_no_other() {
        let eth = [&[0xff; 6][..], &[0, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00]].concat();
        let f = with(&eth);
        assert_eq!(LinkFailure::new(1, 1, &f).other_layout(), None);
        let on_sll = LinkFailure::new(3, 113, &f);
        assert_eq!(on_sll.other_layout(), Some(Looks::Ethernet));
        assert_eq!(on_sll.head_hex(), "ff ff ff ff ff ff 00 00");
        assert_eq!(on_sll.bytes_words(), "starts ff ff ff ff ff ff 00 00");
        assert_eq!(
            LinkFailure::new(1, 0, &IPV4).other_layout(),
            Some(Looks::Ipv4)
        );
    }

    #[test]
    fn an_empty_record_is_said_empty_and_short() {
        let empty = LinkFailure::new(5, 1, &[]);
        assert!(empty.short());
        assert_eq!(empty.bytes_words(), "is empty (0 bytes captured)");
        let three = LinkFailure::new(6, 1, &[1, 2, 3]);
        assert_eq!(three.bytes_words(), "holds only 3 bytes: 01 02 03");
        assert!(!LinkFailure::new(1, 0, &IPV4).short());
    }
}
