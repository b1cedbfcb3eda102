//! The Certificate handshake message (RFC 5246 section 7.4.2, RFC 8446
//! section 4.4.2): each certificate of the chain read with x509-parser into
//! a [`CertInfo`] (subject and issuer as RFC 4514 strings, validity as RFC
//! 3339 times, subject alternative names, RSA key size, whether its extended
//! key usage allows a server). Nothing is
//! validated.

use tls_parser::TlsMessageHandshake;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

use super::hello::be16_values;
use super::memo;
use super::{CertInfo, TlsEvent};

/// Certificate (RFC 5246 7.4.2): each DER certificate read by x509-parser;
/// one that does not parse is left out of the chain, and counted (the
/// second value).
pub(super) fn certificate(body: &[u8]) -> Option<(TlsEvent, usize)> {
    let (_, msg) = tls_parser::parse_tls_handshake_msg_certificate(body).ok()?;
    let TlsMessageHandshake::Certificate(contents) = msg else {
        return None;
    };
    let chain = memo::chain(body, || {
        contents
            .cert_chain
            .iter()
            .filter_map(|raw| match X509Certificate::from_der(raw.data) {
                Ok((_, cert)) => Some(cert_info(&cert)),
                Err(e) => {
                    log::debug!("tls: certificate of {} octets skipped: {e}", raw.data.len());
                    None
                }
            })
            .collect()
    });
    let unread = contents.cert_chain.len().saturating_sub(chain.len());
    Some((TlsEvent::Certificate { chain }, unread))
}

fn cert_info(cert: &X509Certificate) -> CertInfo {
    let validity = cert.validity();
    let not_before_unix = validity.not_before.timestamp();
    let not_after_unix = validity.not_after.timestamp();
    let san = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(dns.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    CertInfo {
        subject: rfc4514(cert.subject()),
        subject_cn: first_value(cert.subject(), OID_CN),
        issuer: rfc4514(cert.issuer()),
        issuer_cn: first_value(cert.issuer(), OID_CN),
        issuer_o: first_value(cert.issuer(), OID_O),
        not_before: rfc3339(not_before_unix),
        not_after: rfc3339(not_after_unix),
        not_before_unix,
        not_after_unix,
        san,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        rsa_bits: rsa_bits(cert),
        not_for_servers: match cert.extended_key_usage() {
            // anyExtendedKeyUsage alone does not do: OpenSSL refuses it too.
            Ok(Some(eku)) => !eku.value.server_auth,
            _ => false,
        },
        weak_signature: weak_signature(&cert.signature_algorithm.algorithm.to_id_string()),
    }
}

/// The broken hash of a signature algorithm (RFC 3279, RFC 5758), by OID.
fn weak_signature(oid: &str) -> Option<&'static str> {
    match oid {
        // sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1, the
        // OIW sha1WithRSASignature.
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29" => {
            Some("SHA-1")
        }
        "1.2.840.113549.1.1.4" => Some("MD5"),
        "1.2.840.113549.1.1.2" => Some("MD2"),
        _ => None,
    }
}

/// The size of an RSA key's modulus in bits, leading zero bits left out.
fn rsa_bits(cert: &X509Certificate) -> Option<u32> {
    let Ok(x509_parser::public_key::PublicKey::RSA(key)) = cert.public_key().parsed() else {
        return None;
    };
    let modulus = key.modulus;
    let start = modulus.iter().position(|b| *b != 0)?;
    let first = modulus.get(start)?;
    let bytes = u32::try_from(modulus.len() - start).ok()?;
    Some(bytes * 8 - first.leading_zeros())
}

const OID_CN: &str = "2.5.4.3";
const OID_O: &str = "2.5.4.10";

/// Short names of attribute types: RFC 4514 section 3, then the usual ones
/// from RFC 4519 and PKCS #9.
fn attribute_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "2.5.4.5" => "serialNumber",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn first_value(name: &X509Name, oid: &str) -> Option<String> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| attribute_text(a.attr_value().tag().0, a.attr_value().as_bytes()))
}

/// The text of a directory string (RFC 5280 4.1.2.4): UTF8, Printable, IA5,
/// Numeric, Visible; Teletex read as Latin-1; BMP as UTF-16; Universal as
/// UTF-32. None for other types.
fn attribute_text(tag: u32, bytes: &[u8]) -> Option<String> {
    match tag {
        12 | 18 | 19 | 22 | 26 => Some(String::from_utf8_lossy(bytes).into_owned()),
        20 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        30 => {
            let units: Vec<u16> = be16_values(bytes).collect();
            Some(String::from_utf16_lossy(&units))
        }
        28 => Some(
            bytes
                .chunks_exact(4)
                .filter_map(|c| <[u8; 4]>::try_from(c).ok())
                .map(|c| char::from_u32(u32::from_be_bytes(c)))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ),
        _ => None,
    }
}

/// A distinguished name as RFC 4514 writes it: the last RDN first, `+`
/// between the values of a multi-valued RDN, special characters escaped,
/// values without a string form (or of an unnamed type) as `#` and the hex
/// of their DER encoding. RDNs are joined by `, `.
fn rfc4514(name: &X509Name) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            let parts: Vec<String> = rdn
                .iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let value = attr.attr_value();
                    let short = attribute_short_name(&oid);
                    let text = attribute_text(value.tag().0, value.as_bytes());
                    match (short, text) {
                        (Some(short), Some(text)) => format!("{short}={}", escape_value(&text)),
                        (short, _) => format!(
                            "{}=#{}",
                            short.map(str::to_string).unwrap_or(oid),
                            der_hex(value.tag().0, value.as_bytes())
                        ),
                    }
                })
                .collect();
            parts.join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// RFC 4514 section 2.4 escaping of an attribute value.
pub(super) fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// Hex of a DER value rebuilt from its (low-number) tag and contents.
pub(super) fn der_hex(tag: u32, contents: &[u8]) -> String {
    let mut der = vec![u8::try_from(tag).unwrap_or(0x04).min(30)];
    let len = contents.len();
    if len < 0x80 {
        der.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        der.push(0x80 | significant.len() as u8);
        der.extend_from_slice(significant);
    }
    der.extend_from_slice(contents);
    der.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the epoch as RFC 3339 UTC, e.g. `2024-03-01T00:00:00Z`.
pub(super) fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Proleptic Gregorian date of a day count from 1970-01-01, computed over
/// 400-year eras of 146,097 days starting on March 1st.
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days.saturating_add(719_468); // 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era
        .saturating_mul(400)
        .saturating_add(year_of_era)
        .saturating_add(i64::from(month <= 2));
    (year, month, day)
}
