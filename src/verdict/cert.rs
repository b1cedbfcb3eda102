//! Advice for a certificate the phone rejected: a TLS-inspecting middlebox
//! (an issuer that is not a public CA), the server's certificate really out
//! of date at capture time, or the phone's own clock when NTP did not pass.

use crate::proto::tls::CertInfo;
use crate::time::Timestamp;

/// Words in an issuer that mark a re-signing middlebox.
const INSPECTION_WORDS: &[&str] = &[
    "inspection",
    "decrypt",
    "intercept",
    "firewall",
    "fortinet",
    "fortigate",
    "palo alto",
    "zscaler",
    "sophos",
    "untangle",
    "proxy",
    "bluecoat",
    "blue coat",
    "netskope",
    "forcepoint",
    "websense",
    "checkpoint",
    "check point",
    "barracuda",
    "mitm",
    "ssl-inspect",
];

/// Public CAs (word fragments of their names) that Webex and Cisco chains use
/// or that any phone trust store carries.
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

/// Is the certificate valid at `at` (capture time)?
pub fn valid_at(cert: &CertInfo, at: &Timestamp) -> bool {
    let secs = at.ns.div_euclid(1_000_000_000);
    cert.not_before_unix <= secs && secs <= cert.not_after_unix
}

/// One line of advice for a certificate rejected by the phone.
pub fn advice(
    desc: u8,
    chain: Option<&[CertInfo]>,
    at: &Timestamp,
    ntp_ok: bool,
    port: u16,
) -> String {
    let leaf = chain.and_then(|c| c.first());
    let issuer = leaf.map(classify_issuer);
    let issuer_name = leaf
        .and_then(|l| l.issuer_cn.clone().or_else(|| l.issuer_o.clone()))
        .unwrap_or_else(|| "an unknown issuer".to_string());
    if let Some(Issuer::Inspection | Issuer::Private) = issuer {
        if desc == 48 || desc == 42 || desc == 46 {
            return format!(
                "the server certificate was issued by '{issuer_name}', not a public CA: a \
                 TLS-inspecting firewall is likely re-signing port {port}; exempt Webex Calling \
                 (8934) and provisioning (443) from TLS decryption"
            );
        }
    }
    if let Some(l) = leaf {
        if !valid_at(l, at) {
            return format!(
                "the server certificate is outside its validity ({} to {}) at capture time: \
                 renew it on the server",
                l.not_before, l.not_after
            );
        }
    }
    let clock_matters = desc == 45 || desc == 42 || desc == 46 || desc == 48;
    if clock_matters && !ntp_ok {
        return "the certificate is valid at capture time but the phone rejected it; no good \
                NTP exchange was seen: the phone's clock is the first suspect (check NTP, \
                DHCP option 42, UDP 123)"
            .to_string();
    }
    if desc == 48 {
        return format!(
            "the phone does not trust '{issuer_name}': update the phone's firmware (trust \
             store) or check what sits between the phone and port {port}"
        );
    }
    format!("the phone rejected the server's certificate: check the chain served on port {port}")
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
        }
    }

    #[test]
    fn inspection_ca_is_named_and_the_clock_is_not() {
        let c = [cert("Example Corp SSL Inspection CA", 0, i64::MAX)];
        let a = advice(
            48,
            Some(&c),
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            8934,
        );
        assert!(a.contains("TLS-inspecting"), "{a}");
        assert!(!a.contains("clock"), "{a}");
    }

    #[test]
    fn expired_alert_with_valid_cert_and_no_ntp_blames_the_clock() {
        let c = [cert("HydrantID Server CA O1", 0, i64::MAX)];
        let a = advice(
            45,
            Some(&c),
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            8934,
        );
        assert!(a.contains("clock"), "{a}");
        let a = advice(
            45,
            Some(&c),
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            true,
            8934,
        );
        assert!(!a.contains("clock"), "{a}");
    }

    #[test]
    fn really_expired_certificate_is_the_server_s_problem() {
        let c = [cert("HydrantID Server CA O1", 0, 10)];
        let a = advice(
            45,
            Some(&c),
            &Timestamp::new(1_700_000_000_000_000_000, 6),
            false,
            443,
        );
        assert!(a.contains("renew"), "{a}");
    }
}
