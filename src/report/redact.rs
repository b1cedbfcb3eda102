//! `--redact`: MAC addresses, public IP addresses, SIP user names and
//! SEP host names replaced consistently (the same value always gets the same
//! stand-in), so a report can go into a ticket. Private addresses stay: they
//! say where in the network things happen and identify no one outside it.
//! User names inside the capture paths are found by the paths' own bounds
//! (`redact/paths.rs`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::Document;
use crate::fact::{Body, Fact};
use crate::packet::mac_string;
use crate::phone::aor_user;
use crate::phone::identity::mac_from_user_agent;

mod paths;

/// Replaces the sensitive values of `doc` and `facts` in the rendered `text`.
pub fn redact(text: &str, doc: &Document, facts: &[(String, Vec<Fact>)]) -> String {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut macs: Vec<[u8; 6]> = Vec::new();
    let mut passwords: Vec<String> = Vec::new();
    let mut ips: Vec<IpAddr> = Vec::new();
    let mut users: Vec<String> = Vec::new();
    for p in &doc.phones {
        ips.extend(p.ips.iter().filter_map(|i| i.parse::<IpAddr>().ok()));
    }
    for (_, list) in facts {
        for f in list {
            macs.extend(f.src_mac);
            ips.push(f.src_ip());
            ips.push(f.dst_ip());
            match &f.body {
                Body::Dhcp(m) => {
                    macs.push(m.chaddr);
                    for (_, value) in m.provisioning_options() {
                        passwords.extend(passwords_in(&value));
                    }
                }
                Body::Sip(m) => {
                    macs.extend(m.user_agent.as_deref().and_then(mac_from_user_agent));
                    users.extend(m.from.as_deref().and_then(aor_user));
                    users.extend(m.to.as_deref().and_then(aor_user));
                    users.extend(
                        m.authorization
                            .as_ref()
                            .and_then(|a| a.get("username"))
                            .map(str::to_string),
                    );
                }
                _ => {}
            }
        }
    }
    for p in &doc.phones {
        if let Some(m) = &p.mac {
            if let Some(mac) = parse_mac(m) {
                macs.push(mac);
            }
        }
    }
    // MACs the report's words name (a User-Agent's, quoted in a warning).
    macs.extend(macs_in(text));
    macs.sort();
    macs.dedup();
    for (n, mac) in macs.iter().enumerate() {
        let n = n + 1;
        let stand_in = [0x02, 0, 0, 0, (n >> 8) as u8, n as u8];
        let hex = |m: &[u8; 6]| m.iter().map(|b| format!("{b:02x}")).collect::<String>();
        map.insert(mac_string(mac), mac_string(&stand_in));
        map.insert(
            hex(mac).to_ascii_uppercase(),
            hex(&stand_in).to_ascii_uppercase(),
        );
        map.insert(hex(mac), hex(&stand_in));
        // Dashed (Windows, some switch logs) and dotted (Cisco IOS) forms.
        let dashed = |m: &[u8; 6]| mac_string(m).replace(':', "-");
        map.insert(dashed(mac), dashed(&stand_in));
        map.insert(
            dashed(mac).to_ascii_uppercase(),
            dashed(&stand_in).to_ascii_uppercase(),
        );
        let dotted = |m: &[u8; 6]| {
            let h = hex(m);
            format!("{}.{}.{}", &h[0..4], &h[4..8], &h[8..12])
        };
        map.insert(dotted(mac), dotted(&stand_in));
        let sep = |m: &[u8; 6]| format!("SEP{}", hex(m).to_ascii_uppercase());
        map.insert(sep(mac), sep(&stand_in));
    }
    // Addresses inside the report's words (DNS answers, DHCP option values,
    // Via headers, subnets) are replaced like the packets' own.
    let written = written_addresses(text);
    ips.extend(written.iter().map(|(ip, _)| *ip));
    ips.sort();
    ips.dedup();
    let mut n = 0u32;
    for ip in ips.iter().filter(|ip| is_public(ip)) {
        n += 1;
        let stand_in = match ip {
            IpAddr::V4(_) => format!("198.18.{}.{}", n >> 8 & 0xff, n & 0xff),
            IpAddr::V6(_) => format!("2001:db8:ffff::{n:x}"),
        };
        // The words may write it otherwise than Rust does (upper-case hex,
        // leading zeros, uncompressed IPv6): each spelling is replaced.
        for (_, as_written) in written.iter().filter(|(w, _)| w == ip) {
            map.insert(as_written.clone(), stand_in.clone());
        }
        map.insert(ip.to_string(), stand_in);
    }
    users.sort();
    users.dedup();
    // A short number (an extension) is a user name only where the words say
    // so; elsewhere it is a frame number, a count, a status code. A longer
    // one is wherever it stands as a token but as a number of its own.
    let mut numbers: Vec<(String, String)> = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for (n, u) in users.iter().enumerate().filter(|(_, u)| u.len() > 1) {
        let stand_in = format!("user{}", n + 1);
        match u
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            true => numbers.push((u.clone(), stand_in)),
            false => names.push((u.clone(), stand_in)),
        }
    }
    let mut tokens: Vec<(&String, &String)> = map.iter().collect();
    tokens.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    // User names inside the capture paths first, by the paths' own bounds.
    let mut path_users: Vec<(String, String)> = names.iter().chain(&numbers).cloned().collect();
    path_users.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    let mut stand_ins: Vec<(String, &str)> = Vec::new();
    let paths = paths::path_forms(doc, facts);
    let mut out = paths::mark_users(text, &paths, &path_users, |to| {
        let marker = marker(stand_ins.len());
        stand_ins.push((marker.clone(), to));
        marker
    });
    // Each value is first swapped for a marker holding no ASCII, then the
    // markers for the stand-ins: a stand-in is never replaced in its turn.
    for (from, to) in tokens {
        let marker = marker(stand_ins.len());
        let next = replace_bounded(&out, from, &marker);
        if next != out {
            stand_ins.push((marker, to.as_str()));
            out = next;
        }
    }
    // User names: whole words, or right after a URI scheme (`sip:alice@`);
    // numbers as `replace_user_number` tells.
    type Replace = fn(&str, &str, &str) -> String;
    let users: [(&mut Vec<(String, String)>, Replace); 2] = [
        (&mut names, replace_user_name),
        (&mut numbers, replace_user_number),
    ];
    for (list, replace) in users {
        list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        for (from, to) in list.iter() {
            let marker = marker(stand_ins.len());
            let next = replace(&out, from, &marker);
            if next != out {
                stand_ins.push((marker, to.as_str()));
                out = next;
            }
        }
    }
    for (marker, to) in stand_ins.iter().rev() {
        out = out.replace(marker.as_str(), to);
    }
    // The scope's own passwords, as written (a comma or quote in one ends
    // no URL), then any other URL's.
    passwords.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    passwords.dedup();
    for p in passwords.iter().filter(|p| !p.is_empty()) {
        out = out.replace(p.as_str(), HIDDEN);
    }
    hide_passwords(&out)
}

/// The passwords an option 66/160 value carries: a URL's user information
/// after its first colon, a profile rule's `--pwd` value.
fn passwords_in(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let tail = rest.get(at + 3..).unwrap_or("");
        let authority = tail
            .get(..tail.find('/').unwrap_or(tail.len()))
            .unwrap_or(tail);
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            found.extend(userinfo.split_once(':').map(|(_, p)| p.to_string()));
        }
        rest = tail;
    }
    let mut rest = value;
    while let Some(at) = rest.find("--pwd") {
        let tail = rest.get(at + "--pwd".len()..).unwrap_or("").trim_start();
        let end = tail
            .find(|c: char| c == ']' || c.is_whitespace())
            .unwrap_or(tail.len());
        found.push(tail.get(..end).unwrap_or("").to_string());
        rest = tail;
    }
    found
}

/// What a password is replaced with.
const HIDDEN: &str = "*****";

/// Passwords written into the words: a URL's user information
/// (`http://user:password@host/`, RFC 3986 3.2.1) and a Cisco profile
/// rule's `--pwd` option (`[--uid u --pwd p]http://...`, as DHCP option
/// 66/160 may carry it).
fn hide_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| "/?#\"', ]\n".contains(c) || c.is_whitespace())
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rsplit_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or("");
                out.push_str(&format!("{user}:{HIDDEN}@{host}"));
            }
            _ => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("--pwd ") {
        let (head, tail) = rest.split_at(at + "--pwd ".len());
        masked.push_str(head);
        let tail = tail.trim_start();
        let end = tail
            .find(|c: char| c == ']' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        masked.push_str(HIDDEN);
        rest = tail.get(end..).unwrap_or("");
    }
    masked.push_str(rest);
    masked
}

/// Whether `c` is one of [`marker`]'s private-use characters.
fn is_marker_char(c: char) -> bool {
    ('\u{E000}'..='\u{E1FF}').contains(&c)
}

/// A placeholder for the `n`th replacement: private-use characters only.
fn marker(n: usize) -> String {
    let digit = |d: usize| char::from_u32(0xE100 + (d & 0xff) as u32).unwrap_or('\u{E0FF}');
    let mut m = String::from('\u{E000}');
    let mut n = n;
    loop {
        m.push(digit(n));
        n >>= 8;
        if n == 0 {
            break;
        }
    }
    m.push('\u{E001}');
    m
}

/// Replaces the numeric SIP user `from` where the text names it as one: in
/// a URI (`sip:N`, `N@`) or after "line", "lines:", "users (" (also further
/// along a comma-separated list of such numbers); one of at least
/// [`MIN_BARE_USER_DIGITS`] digits also wherever it is a token (non-
/// alphanumerics around it) but a number of its own ([`numeric_value`]).
fn replace_user_number(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(from) {
        let (head, tail) = (&rest[..pos], &rest[pos + from.len()..]);
        let whole = !head
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && !tail
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        // Walk back over a list of numbers (and of users already replaced:
        // their markers) to the words before it.
        let before = head.trim_end_matches(|c: char| {
            c.is_ascii_digit() || c == ',' || c == ' ' || is_marker_char(c)
        });
        let named = tail.starts_with('@')
            || ["sip:", "sips:", "tel:"].iter().any(|m| head.ends_with(m))
            || ["line", "lines:", "users (", "user"]
                .iter()
                .any(|m| before.ends_with(m));
        let long = from.trim_start_matches('+').len() >= MIN_BARE_USER_DIGITS;
        let named = named || long && !numeric_value(head, tail);
        out.push_str(head);
        out.push_str(if whole && named { to } else { from });
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// A numeric SIP user of this many digits or more is replaced wherever it
/// stands as a token (a Call-ID, a reason phrase, a host name); a shorter
/// one only where the words name it as a user: one to three digits are
/// also status codes, counts and frame numbers in every report.
const MIN_BARE_USER_DIGITS: usize = 4;

/// Whether the digits between `head` and `tail` are a number of their own,
/// not a user name: part of a longer number (an address, a time, a decimal:
/// a `.`, `:` or `,` joins them to digits), a frame reference (`#N`, the
/// end of `#N-M`), or a value standing alone (a JSON or XML number, a table
/// cell), where replacing it would also break the document.
fn numeric_value(head: &str, tail: &str) -> bool {
    let joined = |c: Option<char>, d: Option<char>| {
        c.is_some_and(|c| ".:,".contains(c)) && d.is_some_and(|d| d.is_ascii_digit())
    };
    let mut back = head.chars().rev();
    let mut ahead = tail.chars();
    if joined(back.next(), back.next()) || joined(ahead.next(), ahead.next()) {
        return true;
    }
    let range_end = head.strip_suffix('-').is_some_and(|h| {
        let t = h.trim_end_matches(|c: char| c.is_ascii_digit());
        t.len() < h.len() && t.ends_with('#')
    });
    if head.ends_with('#') || range_end {
        return true;
    }
    let before = head.trim_end_matches(' ').chars().next_back();
    let after = tail.trim_start_matches(' ').chars().next();
    let opens = before.is_none_or(|c| ":=\"[,|(\n".contains(c));
    let closes = after.is_none_or(|c| ",\"]}|)\n".contains(c));
    opens && closes
}

/// Replaces the SIP user name `from` as a whole token, also right after a
/// URI scheme (`sip:`, `sips:`, `tel:`), where a colon does not bound it.
fn replace_user_name(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(from) {
        let (head, tail) = (&rest[..pos], &rest[pos + from.len()..]);
        let scheme = ["sip:", "sips:", "tel:"]
            .iter()
            .any(|m| head.to_ascii_lowercase().ends_with(m));
        let before = scheme || !head.chars().next_back().is_some_and(is_word);
        let bounded = before && ends_token(tail, from);
        out.push_str(head);
        out.push_str(if bounded { to } else { from });
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The MACs written in `text` as six colon-separated hex pairs.
pub(crate) fn macs_in(text: &str) -> Vec<[u8; 6]> {
    let run = |c: char| c.is_ascii_hexdigit() || c == ':';
    (text.split(|c: char| !run(c)))
        .filter(|t| t.len() == 17)
        .filter_map(parse_mac)
        .collect()
}

/// Addresses that identify a site from outside: not private, loopback,
/// link-local, multicast or unspecified.
fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_multicast()
                || v.is_unspecified()
                || v.is_broadcast())
        }
        IpAddr::V6(v) => {
            let seg = v.segments()[0];
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (seg & 0xfe00) == 0xfc00
                || (seg & 0xffc0) == 0xfe80)
        }
    }
}

pub(crate) fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in mac.iter_mut() {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    Some(mac)
}

/// The IP addresses written in `text`: runs of hex digits, dots and colons
/// that parse as one (an IPv4 address may carry a `:port`).
pub(crate) fn addresses_in(text: &str) -> Vec<IpAddr> {
    written_addresses(text)
        .into_iter()
        .map(|(ip, _)| ip)
        .collect()
}

/// The IP addresses written in `text`, each with its spelling there.
fn written_addresses(text: &str) -> Vec<(IpAddr, String)> {
    let run = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    let mut out = Vec::new();
    for token in text.split(|c: char| !run(c)).filter(|t| t.len() >= 3) {
        let token = token.trim_matches(['.', ':']);
        if let Some(ip) = token
            .parse::<IpAddr>()
            .ok()
            .or_else(|| zero_padded_v4(token))
        {
            out.push((ip, token.to_string()));
        } else if let Some((ip, port)) = token.rsplit_once(':') {
            let v4 = ip.parse::<IpAddr>().ok().or_else(|| zero_padded_v4(ip));
            if let (Some(v4 @ IpAddr::V4(_)), true) =
                (v4, port.bytes().all(|b| b.is_ascii_digit()))
            {
                out.push((v4, ip.to_string()));
            }
        }
    }
    out
}

/// An IPv4 address written with leading zeros (`192.000.002.001`), which
/// Rust's parser refuses; read as decimal.
fn zero_padded_v4(token: &str) -> Option<IpAddr> {
    let mut octets = [0u8; 4];
    let mut parts = token.split('.');
    for o in octets.iter_mut() {
        let part = parts.next().filter(|p| (1..=3).contains(&p.len()))?;
        *o = part
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())??;
    }
    parts.next().is_none().then_some(IpAddr::from(octets))
}

/// Replaces whole-token occurrences of `from` (not inside a longer word,
/// number or address; an IPv4 address followed by `:port` counts as whole).
fn replace_bounded(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(from) {
        let head = &rest[..pos];
        let before = head.chars().next_back();
        let tail = &rest[pos + from.len()..];
        // A known MAC's twelve hex digits are replaced wherever they stand:
        // profile names wrap them in any prefix and suffix (spa<mac>.cfg,
        // Cisco_<mac>.xml, <mac>_ext.xml), and the odds that other hex holds
        // one by chance are nil.
        let bounded = mac_like(from) || !before.is_some_and(is_word) && ends_token(tail, from);
        out.push_str(&rest[..pos]);
        out.push_str(if bounded { to } else { from });
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == ':' || c == '_'
}

/// Twelve hex digits: a MAC written without separators.
fn mac_like(token: &str) -> bool {
    token.len() == 12 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Does `tail` (the text after a match of `token`) end the token there?
fn ends_token(tail: &str, token: &str) -> bool {
    let mut chars = tail.chars();
    let Some(c) = chars.next() else { return true };
    let next = chars.next();
    // A MAC's hex or SEP name may start a file name (SEP<mac>.cnf.xml).
    match c {
        '.' if token.starts_with("SEP") || mac_like(token) => {
            !next.is_some_and(|d| d.is_ascii_digit())
        }
        '.' => !next.is_some_and(|d| d.is_ascii_alphanumeric()),
        ':' => {
            let ipv4 = token.contains('.') && !token.contains(':');
            ipv4 && next.is_some_and(|d| d.is_ascii_digit())
                || !next.is_some_and(|d| d.is_ascii_alphanumeric())
        }
        c => !is_word(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_number_is_a_user_only_as_a_token_of_words() {
        let r = |text: &str, user: &str| replace_user_number(text, user, "U");
        // Tokens of words: replaced.
        assert_eq!(r("Call-ID 5301-febc@h", "5301"), "Call-ID U-febc@h");
        assert_eq!(r("mpp-5301-fixed@h", "5301"), "mpp-U-fixed@h");
        assert_eq!(
            r("403 Forbidden | see 5301", "5301"),
            "403 Forbidden | see U"
        );
        // Numbers of their own: kept.
        for text in [
            "\"frames\": 5301,",
            "tests=\"5301\"",
            "| 5301 |",
            "(#5301-5302)",
            "#7-5301",
            "10:20:30.5301Z",
            "1.5301 s",
            "a5301 5301b 53012",
        ] {
            assert_eq!(r(text, "5301"), text);
        }
        // Short numbers only where the words name a user.
        assert_eq!(r("see 530 and 530-x", "530"), "see 530 and 530-x");
        assert_eq!(r("sip:530@h", "530"), "sip:U@h");
    }

    #[test]
    fn finds_the_addresses_written_in_text() {
        let text = "A 198.51.100.10, AAAA 2001:db8:100::10; via 203.0.113.5:5060 at \
                    16:54:00.277562 from 00:00:5e:00:53:01 (firmware 12.0.2) [2001:db8::1]:443";
        let found: Vec<String> = addresses_in(text).iter().map(|a| a.to_string()).collect();
        assert_eq!(
            found,
            [
                "198.51.100.10",
                "2001:db8:100::10",
                "203.0.113.5",
                "2001:db8::1"
            ]
        );
    }

    #[test]
    fn a_numeric_user_is_replaced_only_where_named_as_one() {
        let text = "#5301-5302 line 5302: rejected (other lines: 5301, 5302); \
                    sip:5302@x \"frame\": 5302, 2026-12-04";
        assert_eq!(
            replace_user_number(text, "5302", "userB"),
            "#5301-5302 line userB: rejected (other lines: 5301, userB); \
             sip:userB@x \"frame\": 5302, 2026-12-04"
        );
    }

    #[test]
    fn a_stand_in_is_not_replaced_again_and_sep_files_are_redacted() {
        let doc = Document {
            version: 1,
            captures: Vec::new(),
            phones: Vec::new(),
        };
        // 198.18.0.1 is both a real address and the first stand-in.
        let out = redact("198.51.100.7 and 198.18.0.1", &doc, &[]);
        let parts: Vec<&str> = out.split(" and ").collect();
        assert_ne!(parts[0], parts[1], "{out}");
        let file = "SEP00005E005301.cnf.xml";
        assert_eq!(replace_bounded(file, "SEP00005E005301", "X"), "X.cnf.xml");
        // The MPP $MA profile names: spa<mac>.cfg, <mac>.xml.
        let spa = "GET /spa00005e005301.cfg and 00005e005301.xml";
        assert_eq!(
            replace_bounded(spa, "00005e005301", "X"),
            "GET /spaX.cfg and X.xml"
        );
        // Any prefix or suffix: a known MAC's hex is the MAC.
        let names = "Cisco_00005e005301.xml cfg00005E005301.xml ab00005e005301_ext";
        let out = replace_bounded(names, "00005e005301", "X");
        let out = replace_bounded(&out, "00005E005301", "X");
        assert_eq!(out, "Cisco_X.xml cfgX.xml abX_ext");
    }

    #[test]
    fn addresses_and_macs_are_replaced_as_written() {
        let doc = Document {
            version: 1,
            captures: Vec::new(),
            phones: Vec::new(),
        };
        let text = "option 160 = http://[2001:DB8:0:0::A10]/x; option 66 = \
                    2001:0db8:0000:0000:0000:0000:0000:0a11; also 2001:db8::a10 \
                    option 150 = 192.000.002.001 and 192.0.2.1:69 \
                    from 00:00:5e:00:53:01, 00-00-5E-00-53-01, 0000.5e00.5301";
        let out = redact(text, &doc, &[]);
        for leak in ["DB8", "0db8", "a10", "a11", "5e", "5E", "192."] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        // One address, one stand-in, however it is written.
        assert_eq!(out.matches("2001:db8:ffff::2").count(), 2, "{out}");
        assert_eq!(out.matches("198.18.0.1").count(), 2, "{out}");
    }

    #[test]
    fn user_names_after_a_uri_scheme_and_macs_in_words_are_found() {
        assert_eq!(
            replace_user_name("<sip:alic@198.18.0.6:5060> alic, malice", "alic", "U"),
            "<sip:U@198.18.0.6:5060> U, malice"
        );
        let text = "User-Agents name 2 phones' MACs (00:00:5e:00:53:01, 00:00:5E:00:53:02)";
        assert_eq!(
            macs_in(text),
            [[0, 0, 0x5e, 0, 0x53, 1], [0, 0, 0x5e, 0, 0x53, 2]]
        );
        assert!(macs_in("16:54:00.277562 and 2001:db8::1").is_empty());
    }

    #[test]
    fn passwords_in_urls_and_profile_rules_are_hidden() {
        let text = "option 160 = http://pbx:s3cret@192.0.2.10:8080/a.xml, \
                    [--uid u --pwd p4ss]http://h/x; https://h/no-userinfo@x";
        let out = hide_passwords(text);
        assert!(!out.contains("s3cret") && !out.contains("p4ss"), "{out}");
        assert!(
            out.contains("http://pbx:*****@192.0.2.10:8080/a.xml"),
            "{out}"
        );
        assert!(out.contains("[--uid u --pwd *****]http://h/x"), "{out}");
        assert!(out.contains("https://h/no-userinfo@x"), "{out}");
        let found = passwords_in("[--uid u --pwd  a'b]http://x:c,d@h:8080/p");
        assert_eq!(found, vec!["c,d".to_string(), "a'b".to_string()]);
    }

    #[test]
    fn replaces_whole_tokens_only() {
        assert_eq!(replace_bounded("a 192.0.2.1 b", "192.0.2.1", "X"), "a X b");
        assert_eq!(
            replace_bounded("a 192.0.2.10 b", "192.0.2.1", "X"),
            "a 192.0.2.10 b"
        );
        assert_eq!(replace_bounded("to 192.0.2.1.", "192.0.2.1", "X"), "to X.");
        assert_eq!(
            replace_bounded("\"192.0.2.1:5060\"", "192.0.2.1", "X"),
            "\"X:5060\""
        );
        // A MAC inside a SEP name is the MAC (the SEP name's own stand-in
        // normally comes first, the longer token).
        assert_eq!(
            replace_bounded("SEP001E7AAA0001", "001E7AAA0001", "Y"),
            "SEPY"
        );
        // A known MAC's hex is replaced wherever it stands.
        assert_eq!(replace_bounded("X001E7AAA0001", "001E7AAA0001", "Y"), "XY");
        // Other tokens keep their bounds.
        assert_eq!(
            replace_bounded("SEP001E7AAA00011", "SEP001E7AAA0001", "Y"),
            "SEP001E7AAA00011"
        );
    }
}
