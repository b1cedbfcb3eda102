//! ClientHello and ServerHello bodies (RFC 5246 section 7.4.1, RFC 8446
//! section 4.1): the server_name (SNI) and supported_versions extensions,
//! the offered and chosen versions, and a HelloRetryRequest told by its
//! random.

use super::TlsEvent;

/// ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3).
pub(super) const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
    0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
    0x33, 0x9c,
];

/// Walks an extensions block: (type, data) pairs, stopping at the first
/// malformed one.
fn extensions(mut block: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let [t0, t1, l0, l1, rest @ ..] = block {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let Some(data) = rest.get(..len) else { break };
        out.push((u16::from_be_bytes([*t0, *t1]), data));
        block = rest.get(len..).unwrap_or_default();
    }
    out
}

/// Big-endian 16-bit values of `bytes` (an odd last octet is ignored).
pub(super) fn be16_values(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
        .map(u16::from_be_bytes)
}

/// A GREASE version value (RFC 8701): 0x0a0a, 0x1a1a, ..., 0xfafa.
pub(super) fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 12 == (v >> 4) & 0x0f
}

pub(super) fn client_hello(body: &[u8]) -> Option<TlsEvent> {
    let (_, hello) = tls_parser::parse_tls_handshake_client_hello(body).ok()?;
    let legacy_version = hello.version.0;
    let mut versions = Vec::new();
    let mut sni = None;
    for (ext_type, data) in extensions(hello.ext.unwrap_or_default()) {
        match ext_type {
            0 => sni = sni.or_else(|| server_name(data)),
            43 => {
                // supported_versions: a 1-octet length, then 2-octet versions.
                let list = data.get(1..).unwrap_or_default();
                let list = list.get(..usize::from(*data.first()?)).unwrap_or(list);
                versions = be16_values(list).filter(|v| !is_grease(*v)).collect();
            }
            _ => {}
        }
    }
    if versions.is_empty() {
        versions.push(legacy_version);
    }
    Some(TlsEvent::ClientHello {
        legacy_version,
        versions,
        sni,
        sslv2_compat: false,
    })
}

/// The first host_name of a server_name extension (RFC 6066 section 3).
fn server_name(data: &[u8]) -> Option<String> {
    let mut list = data.get(2..)?;
    while let [name_type, l0, l1, rest @ ..] = list {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let name = rest.get(..len)?;
        if *name_type == 0 {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        list = rest.get(len..)?;
    }
    None
}

/// ServerHello (RFC 5246 7.4.1.3, RFC 8446 4.1.3); the drafts of TLS 1.3
/// before 22 (version 0x7fxx in the body) had no session id and no
/// compression method.
pub(super) fn server_hello(body: &[u8]) -> Option<TlsEvent> {
    let legacy_version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let random = body.get(2..34)?;
    let after_random = body.get(34..)?;
    let ext_block = if legacy_version >> 8 == 0x7f {
        after_random.get(2..)
    } else {
        let sid_len = usize::from(*after_random.first()?);
        after_random.get(1usize.saturating_add(sid_len).saturating_add(3)..)
    };
    let ext_block = ext_block.unwrap_or_default();
    let ext_data = match ext_block {
        [l0, l1, rest @ ..] => rest.get(..usize::from(u16::from_be_bytes([*l0, *l1])))?,
        _ => &[],
    };
    let mut selected_version = legacy_version;
    for (ext_type, data) in extensions(ext_data) {
        if let (43, [v0, v1]) = (ext_type, data) {
            selected_version = u16::from_be_bytes([*v0, *v1]);
        }
    }
    if random == HELLO_RETRY_RANDOM {
        return Some(TlsEvent::HelloRetryRequest { selected_version });
    }
    Some(TlsEvent::ServerHello {
        legacy_version,
        selected_version,
    })
}
