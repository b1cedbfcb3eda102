//! Advice for a certificate the phone rejected, most telling cause first:
//! a certificate of the chain not for servers (its extended key usage
//! without serverAuth) when the alert is unsupported_certificate; the
//! server's certificate really out of date at capture time (or an expired
//! CA certificate sent with it); one that
//! does not name the server the phone asked for (SNI against its
//! subjectAltName DNS names, else its CN; RFC 6125 wildcards); a
//! TLS-inspecting middlebox (unknown_ca from an issuer that is not a public
//! CA, or any rejection of an issuer whose name says it inspects); the
//! phone's own clock when NTP did not pass; an RSA key under 2048 bits.

use crate::proto::tls::CertInfo;
use crate::time::Timestamp;

/// Words in an issuer that mark a re-signing middlebox: what it does, and
/// the names of TLS-inspecting products (firewalls, web proxies, cloud
/// gateways, antivirus filters). They win over the public CA words: a
/// gateway sold by a vendor whose name is on that list (Cisco Umbrella,
/// Cisco WSA) signs with its own CA, which no phone trusts.
const INSPECTION_WORDS: &[&str] = &[
    "inspection",
    "decrypt",
    "intercept",
    "firewall",
    "proxy",
    "mitm",
    "ssl-inspect",
    "ssl visibility",
    "web security",
    "web gateway",
    "internet gateway",
    "fortinet",
    "fortigate",
    "palo alto",
    "paloalto",
    "zscaler",
    "sophos",
    "untangle",
    "bluecoat",
    "blue coat",
    "netskope",
    "forcepoint",
    "websense",
    "checkpoint",
    "check point",
    "barracuda",
    "umbrella",
    "opendns",
    "ironport",
    "skyhigh",
    "squid",
    "kerio",
    "watchguard",
    "sonicwall",
    "iboss",
    "menlo security",
    "smoothwall",
    "lightspeed",
    "securly",
    "contentkeeper",
    "interscan",
    "kaspersky",
    "bitdefender",
    "avast",
    "eset ssl",
];

/// Public CAs (word fragments of their names) that Webex and Cisco chains use
/// or that any phone trust store carries. "cisco" is for Cisco's own roots
/// (Cisco Root CA M2, Cisco Basic Assurance Root CA); activate.cisco.com
/// itself chains to HydrantID (IdenTrust).
const PUBLIC_CA_WORDS: &[&str] = &[
    "identrust",
    "hydrantid",
    "digicert",
    "quovadis",
    "globalsign",
    "let's encrypt",
    "isrg",
    "sectigo",
    "comodo",
    "usertrust",
    "entrust",
    "godaddy",
    "go daddy",
    "starfield",
    "amazon",
    "google trust",
    "gts ",
    "baltimore",
    "verisign",
    "thawte",
    "geotrust",
    "buypass",
    "certum",
    "actalis",
    "swisssign",
    "ssl.com",
    "microsoft",
    "cisco",
    "network solutions",
    "t-systems",
    "telesec",
    "harica",
    "e-tugra",
    "trustwave",
    "zerossl",
    "cloudflare",
    "certainly",
    "secom",
    "d-trust",
    "apple public",
];

/// Alert descriptions that mean "I do not accept your certificate".
pub fn is_certificate_alert(desc: u8) -> bool {
    matches!(desc, 42..=46 | 48)
}

/// How an issuer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuer {
    Inspection,
    Public,
    Private,
}

pub fn classify_issuer(leaf: &CertInfo) -> Issuer {
    let text = format!(
        "{} {} {}",
        leaf.issuer_cn.as_deref().unwrap_or(""),
        leaf.issuer_o.as_deref().unwrap_or(""),
        leaf.issuer
    )
    .to_ascii_lowercase();
    if INSPECTION_WORDS.iter().any(|w| text.contains(w)) {
        Issuer::Inspection
    } else if PUBLIC_CA_WORDS.iter().any(|w| text.contains(w)) {
        Issuer::Public
    } else {
        Issuer::Private
    }
}

/// How the issuer of a chain's leaf reads, helped by the certificates sent
/// with it: a leaf from an issuer of no known name whose intermediate was
/// issued by a public CA is a public CA's (an allow-list of names always
/// misses some); any inspection name in the chain keeps it inspection.
pub fn classify_chain(chain: &[CertInfo]) -> Issuer {
    let Some(leaf) = chain.first() else {
        return Issuer::Private;
    };
    let read: Vec<Issuer> = chain.iter().map(classify_issuer).collect();
    match read.first() {
        Some(Issuer::Private) if read.contains(&Issuer::Inspection) => Issuer::Inspection,
        Some(Issuer::Private) if read.contains(&Issuer::Public) => Issuer::Public,
        _ => classify_issuer(leaf),
    }
}

/// Is the certificate valid at `at` (capture time)?
pub fn valid_at(cert: &CertInfo, at: &Timestamp) -> bool {
    let secs = at.ns.div_euclid(1_000_000_000);
    cert.not_before_unix <= secs && secs <= cert.not_after_unix
}

/// Does the certificate name `host`? The subjectAltName DNS names when
/// there are any, else the subject CN (RFC 6125 section 6.4); a wildcard
/// stands for exactly one leftmost label.
pub fn names_host(cert: &CertInfo, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let matches = |pattern: &str| {
        let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            None => pattern == host,
        }
    };
    if cert.san.is_empty() {
        cert.subject_cn.as_deref().is_some_and(matches)
    } else {
        cert.san.iter().any(|n| matches(n))
    }
}

/// Two distinguished names as written ("CN=x, O=y") naming the same
/// entity: the same attributes, in any order (a cross-signed CA
/// certificate may list them in another order than the leaf's issuer).
fn same_name(a: &str, b: &str) -> bool {
    let parts = |s: &str| {
        let mut v: Vec<String> = s.split(',').map(|p| p.trim().to_string()).collect();
        v.sort_unstable();
        v
    };
    parts(a) == parts(b)
}

/// The shortest RSA key current phone firmware (and OpenSSL's default
/// security level 2) accepts.
const MIN_RSA_BITS: u32 = 2048;

/// The alert description certificate_revoked (RFC 5246 7.2.2).
const CERTIFICATE_REVOKED: u8 = 44;

/// The names the phone wants its server's certificate to hold: the SNI it
/// sent, else (no SNI) the names its server's address was resolved from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted<'a> {
    pub sni: Option<&'a str>,
    pub resolved: &'a [String],
}

/// One line of advice for a certificate rejected by the phone. `hidden` says
/// why the chain is not in the capture when it is not (e.g. "TLS 1.3
/// encrypts it"); `sni` is the name the phone asked for.
pub fn advice(
    desc: u8,
    chain: Option<&[CertInfo]>,
    hidden: &str,
    at: &Timestamp,
    ntp_ok: bool,
    port: u16,
    wanted: Wanted<'_>,
) -> String {
    let sni = wanted.sni;
    let clock = if ntp_ok {
        ""
    } else {
        "; no NTP exchange gave the phone a good time, so the phone's clock is a suspect too \
         (check DHCP option 42 and UDP 123)"
    };
    // Revoked (RFC 5246 7.2.2): the issuer withdrew it, whatever the chain.
    if desc == CERTIFICATE_REVOKED {
        let subject = chain
            .and_then(|c| c.first())
            .and_then(|leaf| leaf.subject_cn.clone())
            .map_or(String::new(), |cn| format!(" ({cn})"));
        return format!(
            "the phone found the certificate served on port {port}{subject} revoked by its \
             issuer (a CRL or OCSP answer says so): the server needs a new certificate from \
             its CA, not a chain or path fix"
        );
    }
    let Some(leaf) = chain.and_then(|c| c.first()) else {
        // Only the alert is visible (TLS 1.3, or a snaplen that cut the chain).
        return match desc {
            // As with the chain in clear: re-signing, or a chain sent
            // without its intermediate.
            48 => format!(
                "the phone does not trust the certificate's issuer (not visible: {hidden}); \
                 a TLS-inspecting firewall re-signing port {port} is the usual cause (exempt \
                 Webex Calling (8934) and provisioning (443) from TLS decryption); else the \
                 server's chain may be incomplete: configure it to send its intermediate CA \
                 certificate with its own{clock}"
            ),
            _ if !ntp_ok => format!(
                "the phone rejected the server's certificate (not visible: {hidden}) \
                 and no NTP exchange gave the phone a good time: the phone's clock is the first \
                 suspect (check DHCP option 42 and UDP 123), then the chain served on port {port}"
            ),
            _ => format!(
                "the phone rejected the server's certificate (not visible: {hidden}): \
                 check the chain served on port {port} and anything re-signing TLS on the path"
            ),
        };
    };
    let issuer_name = leaf
        .issuer_cn
        .clone()
        .or_else(|| leaf.issuer_o.clone())
        .unwrap_or_else(|| "an unknown issuer".to_string());
    let issuer = chain.map_or(Issuer::Private, classify_chain);
    // A certificate outside its validity explains a rejection by itself
    // (a not-yet-valid one draws bad_certificate from OpenSSL), whoever
    // issued it; with no NTP the phone's clock is a suspect too.
    // Expired: renew it. Not yet valid: it was made with a start date in
    // the future (a wrong clock where it was issued), so reissue it.
    let secs = at.ns.div_euclid(1_000_000_000);
    let outside = || match secs < leaf.not_before_unix {
        true => format!(
            "the server certificate only becomes valid on {}, after the capture was taken: it \
             was issued with a start date in the future; reissue it with a correct start date \
             and check the clock of the host that issued it{clock}",
            leaf.not_before
        ),
        false => format!(
            "the server certificate is outside its validity ({} to {}) at capture time: renew \
             it on the server{clock}",
            leaf.not_before, leaf.not_after
        ),
    };
    // A certificate of the chain made for other uses (extended key usage
    // without serverAuth): refused for its use, whoever issued it; first
    // when the alert says so (unsupported_certificate), a renewal from the
    // same template would be refused again.
    let not_for_servers = chain.and_then(|c| c.iter().find(|c| c.not_for_servers));
    let usage = not_for_servers.filter(|_| desc != 48).map(|cert| {
        let cn = cert.subject_cn.as_deref().unwrap_or(&cert.subject);
        let which = match std::ptr::eq(cert, leaf) {
            true => "the certificate",
            false => "the CA certificate",
        };
        let dates = match valid_at(leaf, at) {
            true => String::new(),
            false => format!(
                "; the certificate is also outside its validity ({} to {}) at capture time",
                leaf.not_before, leaf.not_after
            ),
        };
        format!(
            "{which} '{cn}' served on port {port} is not for servers: its extended key \
             usage leaves out TLS server authentication (serverAuth), so the phone refuses it \
             ({}); reissue it with serverAuth in its extended key usage{dates}",
            crate::proto::tls::alert_name(desc)
        )
    });
    if let (Some(usage), 43) = (&usage, desc) {
        return usage.clone();
    }
    if !valid_at(leaf, at) && desc != 48 {
        return outside();
    }
    // A CA certificate the server sends beside its own, outside its validity
    // (an expired intermediate): the chain fails however good the leaf is.
    // (unknown_ca says the phone found no issuer it trusts, not a date.)
    let stale_ca = chain
        .filter(|_| desc != 48)
        .and_then(|c| c.iter().skip(1).find(|ca| !valid_at(ca, at)));
    if let Some(ca) = stale_ca {
        let cn = ca.subject_cn.as_deref().unwrap_or(&ca.subject);
        return format!(
            "the CA certificate '{cn}' the server sends with its own is outside its validity \
             ({} to {}) at capture time: serve the current intermediate (the CA's renewed \
             certificate) with the server's certificate on port {port}{clock}",
            ca.not_before, ca.not_after
        );
    }
    let named = |n: &str| names_host(leaf, n);
    // The name the served certificate is for.
    let served = (leaf.san.first())
        .or(leaf.subject_cn.as_ref())
        .map_or("another name", String::as_str);
    if let Some(sni) = sni.filter(|n| !named(n) && desc != 48) {
        return format!(
            "the certificate served on port {port} is for {served}, not {sni} (the name the \
             phone asked for): install the right certificate for {sni} on the server, or check \
             that DNS/SRV points the phone at the right host"
        );
    }
    // No SNI: a server holding several certificates gives its default one,
    // and the phone checks it against the name it connected to.
    let resolved = wanted.resolved;
    let unnamed = sni.is_none() && !resolved.is_empty() && !resolved.iter().any(|n| named(n));
    if let (true, Some(name), false) = (unnamed, resolved.first(), desc == 48) {
        return format!(
            "the certificate served on port {port} is for {served}, not {name}: the phone sent \
             no SNI (server name), so a server holding several certificates gave its default \
             one; make the certificate for {name} the server's default, or have the phone send \
             SNI"
        );
    }
    if let Some(usage) = usage {
        return usage;
    }
    if leaf.self_signed && desc == 48 {
        // Issued by itself: no CA to trust, inspection or not.
        let cn = leaf.subject_cn.as_deref().unwrap_or(&leaf.subject);
        let dated = if valid_at(leaf, at) { "" } else { clock };
        return format!(
            "the server certificate '{cn}' on port {port} is self-signed (issued by itself): the \
             phone trusts no such certificate; install one from a CA the phone trusts{dated}"
        );
    }
    // Outside its validity too: said after the main cause (and then, with
    // no good NTP, the phone's clock).
    let dates = match valid_at(leaf, at) {
        true => String::new(),
        false => format!(
            "; the certificate is also outside its validity ({} to {}) at capture time{clock}",
            leaf.not_before, leaf.not_after
        ),
    };
    // The server did not send its certificate's issuer (the leaf alone, or
    // other certificates beside it): the phone cannot build the chain
    // (servers must send intermediates, RFC 8446 4.4.2, RFC 5246 7.4.2).
    let others = chain.map_or(0, |c| c.len().saturating_sub(1));
    let issuer_sent = chain.is_some_and(|c| {
        c.iter()
            .skip(1)
            .any(|i| same_name(&i.subject, &leaf.issuer))
    });
    let missing = desc == 48 && !issuer_sent && !leaf.self_signed;
    // A public issuer, or other certificates sent that are not it: the
    // server's chain lacks its intermediate (an inspecting firewall sends
    // its own chain whole).
    if missing && (issuer == Issuer::Public || others > 0) {
        let besides = match others {
            0 => String::new(),
            n => format!(
                " (it sent {} besides its own)",
                crate::text::plural(n, "other", "others")
            ),
        };
        return format!(
            "the server did not send its certificate's issuer '{issuer_name}'{besides}: its chain \
             is incomplete and the phone cannot build it; configure the server on port {port} to \
             send the intermediate with its certificate{dates}"
        );
    }
    if missing && issuer == Issuer::Private {
        return format!(
            "the server sent its certificate alone, issued by '{issuer_name}', not a public CA: \
             a TLS-inspecting firewall re-signing port {port} is the usual cause (exempt \
             Webex Calling (8934) and provisioning (443) from TLS decryption); if '{issuer_name}' \
             is the server's own intermediate CA, its chain is incomplete: configure it to send \
             the intermediate with its certificate{dates}"
        );
    }
    let inspection = match desc {
        48 => issuer != Issuer::Public,
        _ => issuer == Issuer::Inspection,
    };
    if inspection {
        // A re-signing middlebox explains the failure whatever the clock
        // says; the dates are said too.
        return format!(
            "the server certificate was issued by '{issuer_name}', not a public CA: a \
             TLS-inspecting firewall is likely re-signing port {port}; exempt Webex Calling \
             (8934) and provisioning (443) from TLS decryption{dates}"
        );
    }
    if !valid_at(leaf, at) {
        return outside();
    }
    // A short RSA key explains a rejection by itself, whatever the clock.
    if let (42 | 43 | 46, Some(bits @ ..MIN_RSA_BITS)) = (desc, leaf.rsa_bits) {
        return format!(
            "the server certificate has a {bits}-bit RSA key, which the phone refuses (it \
             wants {MIN_RSA_BITS} bits or more): reissue it with a {MIN_RSA_BITS}-bit or \
             larger key"
        );
    }
    // A signature with a broken hash on a certificate the server sends (a
    // root's own signature aside): current TLS stacks refuse it.
    let weak = chain
        .unwrap_or(std::slice::from_ref(leaf))
        .iter()
        .find(|c| !c.self_signed && c.weak_signature.is_some());
    if let (42 | 43 | 46, Some(c)) = (desc, weak) {
        let cn = c.subject_cn.as_deref().unwrap_or(&c.subject);
        let hash = c.weak_signature.unwrap_or("a weak hash");
        return format!(
            "the certificate '{cn}' served on port {port} is signed with {hash}, which current \
             TLS stacks (the phone's too) refuse: reissue it signed with SHA-256 or stronger"
        );
    }
    if !ntp_ok {
        return "the certificate is valid at capture time but the phone rejected it and no NTP \
                exchange gave the phone a good time: the phone's clock is the first suspect \
                (check NTP, DHCP option 42, UDP 123)"
            .to_string();
    }
    if desc == 48 {
        return format!(
            "the phone does not trust '{issuer_name}': update the phone's firmware (trust \
             store) or check what sits between the phone and port {port}"
        );
    }
    let private = match issuer {
        Issuer::Private => format!(" (issued by '{issuer_name}', not a public CA)"),
        _ => String::new(),
    };
    format!(
        "the phone rejected the server's certificate{private}: check the chain served on port \
         {port} and anything re-signing TLS on the path"
    )
}

/// One line of advice for a TLS 1.3 handshake the phone ended with an
/// encrypted alert: which alert, and so which cause, cannot be read, and
/// none is put first; without a good NTP exchange the clock is named
/// among the suspects.
pub fn advice_unread(port: u16, ntp_ok: bool) -> String {
    let clock = match ntp_ok {
        true => "",
        false => {
            "; no NTP exchange gave the phone a good time, so its clock is a suspect too \
             (check DHCP option 42 and UDP 123)"
        }
    };
    format!(
        "the phone refused the server, most often over its certificate, and TLS 1.3 hides \
         both the certificate and the alert: check the chain served on port {port} (names, \
         dates, issuer, intermediates) and anything re-signing TLS on the path{clock}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(issuer_cn: &str, nb: i64, na: i64) -> CertInfo {
        CertInfo {
            subject: "CN=sbc1.example.com".into(),
            subject_cn: Some("sbc1.example.com".into()),
            issuer: format!("CN={issuer_cn}"),
            issuer_cn: Some(issuer_cn.into()),
            issuer_o: None,
            not_before: String::new(),
            not_after: String::new(),
            not_before_unix: nb,
            not_after_unix: na,
            san: vec![],
            self_signed: false,
            rsa_bits: Some(2048),
            not_for_servers: false,
            weak_signature: None,
        }
    }

    #[test]
    fn a_certificate_for_clients_only_is_named_whoever_issued_it() {
        let mut client_only = cert("PSL Lab Root CA", 0, i64::MAX);
        client_only.not_for_servers = true;
        let at = Timestamp::new(1_000_000_000_000_000_000, 6);
        let a = advice(
            43,
            Some(&[client_only.clone()]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(a.contains("serverAuth") && !a.contains("public CA"), "{a}");
        // unknown_ca is about the issuer: the usage is not its reason.
        let a = advice(
            48,
            Some(&[client_only]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(!a.contains("serverAuth"), "{a}");
    }

    #[test]
    fn a_short_rsa_key_is_named_before_the_clock() {
        let mut weak = cert("Lab Root", 0, i64::MAX);
        weak.rsa_bits = Some(1024);
        let at = Timestamp::new(1_000_000_000_000_000_000, 6);
        let a = advice(
            42,
            Some(&[weak.clone()]),
            "",
            &at,
            false,
            8934,
            Wanted::default(),
        );
        assert!(
            a.contains("1024-bit RSA key") && !a.contains("clock"),
            "{a}"
        );
        // unknown_ca is about the issuer, not the key.
        let a = advice(48, Some(&[weak]), "", &at, true, 8934, Wanted::default());
        assert!(!a.contains("RSA key"), "{a}");
    }

    #[test]
    fn inspection_ca_is_named_and_the_clock_is_not() {
        let c = [cert("Example Corp SSL Inspection CA", 0, i64::MAX)];
        let a = advice(
            48,
            Some(&c),
            "",
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            8934,
            Wanted::default(),
        );
        assert!(a.contains("TLS-inspecting"), "{a}");
        assert!(!a.contains("clock"), "{a}");
    }

    #[test]
    fn a_leaf_of_an_unlisted_issuer_is_public_when_its_intermediate_is() {
        // tester135: an intermediate of a CA missing from the names,
        // itself issued by a public root, sent with the leaf.
        let chain = [
            cert("Example Domain Secure Site CA", 0, i64::MAX),
            cert("USERTrust ECC Certification Authority", 0, i64::MAX),
        ];
        assert_eq!(classify_issuer(&chain[0]), Issuer::Private);
        assert_eq!(classify_chain(&chain), Issuer::Public);
        // An inspection name anywhere in the chain wins.
        let chain = [
            cert("Example Issuing CA", 0, i64::MAX),
            cert("Corp Zscaler Root CA", 0, i64::MAX),
        ];
        assert_eq!(classify_chain(&chain), Issuer::Inspection);
        // A leaf alone of an unlisted issuer stays private.
        assert_eq!(classify_chain(&chain[..1]), Issuer::Private);
        assert_eq!(classify_chain(&[]), Issuer::Private);
    }

    #[test]
    fn a_gateway_of_a_public_vendor_is_inspection_and_its_public_cas_stay_public() {
        let read = |cn: &str, o: &str| {
            let mut c = cert(cn, 0, i64::MAX);
            c.issuer_o = Some(o.into());
            c.issuer = format!("CN={cn}, O={o}");
            classify_issuer(&c)
        };
        // tester129: Umbrella decrypts HTTPS under CA names of Cisco's.
        let umbrella = read("Cisco Umbrella Secondary SubCA fra-SG", "Cisco");
        assert_eq!(umbrella, Issuer::Inspection);
        let wsa = read("Cisco Web Security Appliance Demo Certificate", "Cisco");
        assert_eq!(wsa, Issuer::Inspection);
        assert_eq!(read("Kerio Control", "Kerio"), Issuer::Inspection);
        // The real chains of activate.cisco.com and Cisco's own roots.
        assert_eq!(read("HydrantID Server CA O1", "IdenTrust"), Issuer::Public);
        assert_eq!(read("Cisco Root CA M2", "Cisco"), Issuer::Public);
    }

    #[test]
    fn names_match_in_any_attribute_order() {
        assert!(same_name(
            "CN=PSL Lab Root CA, O=PSL Lab",
            "O=PSL Lab, CN=PSL Lab Root CA"
        ));
        assert!(!same_name(
            "CN=PSL Lab Root CA, O=PSL Lab",
            "CN=PSL Old Root, O=PSL Lab"
        ));
    }

    #[test]
    fn an_expired_intermediate_is_named_whatever_the_leaf() {
        let mut ca = cert("Example Root", 0, 1_600_000_000);
        ca.subject_cn = Some("Example Issuing CA 2019".into());
        let chain = [cert("Example Issuing CA 2019", 0, i64::MAX), ca];
        let at = Timestamp::new(1_700_000_000_000_000_000, 6);
        let a = advice(45, Some(&chain), "", &at, true, 8934, Wanted::default());
        assert!(
            a.contains("'Example Issuing CA 2019' the server sends"),
            "{a}"
        );
        assert!(!a.contains("clock"), "NTP was good: {a}");
        // Every certificate valid: not said.
        let a = advice(
            45,
            Some(&chain[..1]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(!a.contains("CA certificate"), "{a}");
    }

    #[test]
    fn expired_alert_with_valid_cert_and_no_ntp_blames_the_clock() {
        let c = [cert("HydrantID Server CA O1", 0, i64::MAX)];
        let a = advice(
            45,
            Some(&c),
            "",
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            8934,
            Wanted::default(),
        );
        assert!(a.contains("clock"), "{a}");
        let a = advice(
            45,
            Some(&c),
            "",
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            true,
            8934,
            Wanted::default(),
        );
        assert!(!a.contains("clock"), "{a}");
    }

    #[test]
    fn really_expired_certificate_is_the_server_s_problem() {
        let c = [cert("HydrantID Server CA O1", 0, 10)];
        let a = advice(
            45,
            Some(&c),
            "",
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            443,
            Wanted::default(),
        );
        assert!(a.contains("renew"), "{a}");
    }

    #[test]
    fn a_self_signed_server_certificate_is_not_blamed_on_inspection() {
        let mut leaf = cert("sbc1.example.com", 1_700_000_000, 1_900_000_000);
        leaf.self_signed = true;
        let at = Timestamp::new(1_800_000_000_000_000_000, 6);
        let a = advice(48, Some(&[leaf]), "", &at, false, 8934, Wanted::default());
        assert!(
            a.contains("self-signed") && !a.contains("TLS-inspecting"),
            "{a}"
        );
    }

    #[test]
    fn a_leaf_sent_without_its_issuer_is_an_incomplete_chain() {
        let at = Timestamp::new(1_800_000_000_000_000_000, 6);
        let (nb, na) = (1_700_000_000, 1_900_000_000);
        let public = cert("DigiCert Global G2 TLS RSA SHA256 2020 CA1", nb, na);
        let a = advice(
            48,
            Some(std::slice::from_ref(&public)),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(
            a.contains("chain is incomplete") && !a.contains("TLS-inspecting"),
            "{a}"
        );
        // With its issuer sent, a public chain the phone rejects is another
        // matter (its trust store).
        let mut issuer = cert("DigiCert Global Root G2", nb, na);
        issuer.subject = public.issuer.clone();
        let a = advice(
            48,
            Some(&[public.clone(), issuer]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(!a.contains("incomplete"), "{a}");
        // Another certificate sent (a root), not the issuer: incomplete too.
        let root = cert("DigiCert Global Root G2", nb, na);
        let a = advice(
            48,
            Some(&[public, root]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(
            a.contains("chain is incomplete") && a.contains("1 other"),
            "{a}"
        );
        // A private issuer alone: inspection first, the incomplete chain too.
        let private = cert("Example Issuing CA 1", nb, na);
        let a = advice(48, Some(&[private]), "", &at, true, 8934, Wanted::default());
        assert!(
            a.contains("TLS-inspecting") && a.contains("chain is incomplete"),
            "{a}"
        );
    }

    #[test]
    fn a_not_yet_valid_certificate_is_named_before_its_private_issuer() {
        // OpenSSL answers bad_certificate for a certificate valid from 2030.
        let c = [cert("PSL Lab Root", 1_893_456_000, 1_924_992_000)];
        let at = Timestamp::new(1_780_000_000_000_000_000, 6);
        let a = advice(42, Some(&c), "", &at, true, 8934, Wanted::default());
        assert!(a.contains("start date in the future"), "{a}");
        assert!(!a.contains("renew") && !a.contains("TLS-inspecting"), "{a}");
        // unknown_ca from a private issuer still points at inspection, and
        // says the dates too; with no NTP, the phone's clock as well.
        let a = advice(48, Some(&c), "", &at, true, 8934, Wanted::default());
        assert!(a.contains("TLS-inspecting"), "{a}");
        assert!(
            a.contains("also outside its validity") && !a.contains("clock"),
            "{a}"
        );
        let a = advice(48, Some(&c), "", &at, false, 8934, Wanted::default());
        assert!(
            a.contains("TLS-inspecting") && a.contains("phone's clock"),
            "{a}"
        );
        // Valid at capture time: the inspection alone (case 06).
        let inside = Timestamp::new(1_900_000_000_000_000_000, 6);
        let a = advice(48, Some(&c), "", &inside, false, 8934, Wanted::default());
        assert!(!a.contains("clock") && !a.contains("validity"), "{a}");
    }

    #[test]
    fn the_clock_not_a_middlebox_for_bad_certificate_without_ntp() {
        // Valid now, private issuer, bad_certificate, no NTP (tester5: the
        // phone's clock was in 2020).
        let c = [cert("PSL Lab Root CA", 0, i64::MAX)];
        let at = Timestamp::new(1_780_000_000_000_000_000, 6);
        let sni = Wanted {
            sni: Some("sbc1.example.com"),
            resolved: &[],
        };
        let a = advice(42, Some(&c), "", &at, false, 443, sni);
        assert!(a.contains("clock"), "{a}");
        assert!(!a.contains("TLS-inspecting"), "{a}");
        // With NTP good, the private issuer is named, the clock is not.
        let a = advice(42, Some(&c), "", &at, true, 443, sni);
        assert!(a.contains("not a public CA") && !a.contains("clock"), "{a}");
        // An issuer that says it inspects is blamed for any rejection.
        let c = [cert("Example Corp SSL Inspection CA", 0, i64::MAX)];
        let a = advice(42, Some(&c), "", &at, false, 443, sni);
        assert!(a.contains("TLS-inspecting"), "{a}");
    }

    #[test]
    fn a_certificate_for_another_name_is_named() {
        let mut c = cert("PSL Lab Root CA", 0, i64::MAX);
        c.san = vec!["sbc2.example.com".into()];
        let at = Timestamp::new(1_780_000_000_000_000_000, 6);
        let a = advice(
            42,
            Some(&[c.clone()]),
            "",
            &at,
            true,
            8934,
            Wanted {
                sni: Some("sbc1.example.com"),
                resolved: &[],
            },
        );
        assert!(
            a.contains("is for sbc2.example.com, not sbc1.example.com"),
            "{a}"
        );
        assert!(!names_host(&c, "sbc1.example.com"));
        assert!(names_host(&c, "SBC2.example.com."));
        // Wildcards cover one label; the CN counts only without SANs.
        c.san = vec!["*.example.com".into()];
        assert!(names_host(&c, "sbc1.example.com"));
        assert!(!names_host(&c, "a.sbc1.example.com"));
        assert!(!names_host(&c, "example.com"));
        c.san.clear();
        assert!(names_host(&c, "sbc1.example.com"), "CN sbc1.example.com");
    }

    #[test]
    fn a_weak_signature_and_a_default_certificate_are_named() {
        let at = Timestamp::new(1_780_000_000_000_000_000, 6);
        let mut sha1 = cert("PSL Lab Root CA", 0, i64::MAX);
        sha1.weak_signature = Some("SHA-1");
        let a = advice(
            42,
            Some(&[sha1.clone()]),
            "",
            &at,
            true,
            8934,
            Wanted::default(),
        );
        assert!(a.contains("signed with SHA-1"), "{a}");
        // A root signing itself with SHA-1 is no fault of the chain.
        sha1.self_signed = true;
        let a = advice(42, Some(&[sha1]), "", &at, true, 8934, Wanted::default());
        assert!(!a.contains("SHA-1"), "{a}");
        // No SNI: checked against the names the server's address had.
        let mut other = cert("PSL Lab Root CA", 0, i64::MAX);
        other.san = vec!["legacy.example.com".into()];
        let resolved = ["sbc1.example.com".to_string()];
        let no_sni = Wanted {
            sni: None,
            resolved: &resolved,
        };
        let a = advice(42, Some(&[other.clone()]), "", &at, true, 8934, no_sni);
        assert!(
            a.contains("for legacy.example.com, not sbc1.example.com"),
            "{a}"
        );
        assert!(a.contains("no SNI"), "{a}");
        // One of the names covered: no such claim.
        let both = [
            "sbc1.example.com".to_string(),
            "legacy.example.com".to_string(),
        ];
        let covered = Wanted {
            sni: None,
            resolved: &both,
        };
        let a = advice(42, Some(&[other]), "", &at, true, 8934, covered);
        assert!(!a.contains("no SNI"), "{a}");
    }
}
