//! A phone's hostname, model and firmware, read from its own facts: DHCP
//! options 12 and 60, User-Agent headers of HTTP and SIP, TFTP file names.

use super::{identity, Phone};
use crate::fact::{Body, Fact};
use crate::proto::{http, tftp};

/// Hostname, model and firmware from the phone's own facts.
pub(super) fn describe(p: &mut Phone, facts: &[Fact]) {
    let own = p.facts.clone();
    for i in own {
        let f = &facts[i];
        match &f.body {
            Body::Dhcp(m) if m.op == 1 => {
                if let Some(h) = m.option(12) {
                    p.hostname.get_or_insert_with(|| text(h));
                }
                if let Some(vc) = m.option(60) {
                    if p.model.is_none() {
                        p.model = identity::model_from(&text(vc));
                    }
                }
            }
            // Only what the phone sent: a proxy receives its clients' agents.
            Body::Http(http::HttpMessage::Request {
                user_agent: Some(ua),
                ..
            }) if p.ips.contains(&f.src_ip()) => user_agent(p, ua),
            // Any of its addresses (a dual-stack phone registers over IPv6).
            Body::Sip(m) if p.ips.contains(&f.src_ip()) => {
                if let Some(ua) = &m.user_agent {
                    user_agent(p, ua);
                }
            }
            Body::Tftp(tftp::TftpPacket::Rrq { filename, .. })
                if p.model.is_none() && p.ips.contains(&f.src_ip()) =>
            {
                p.model = identity::model_from(filename).filter(|m| m.contains("3PCC"));
            }
            _ => {}
        }
    }
}

fn user_agent(p: &mut Phone, ua: &str) {
    if let Some(m) = identity::model_from(ua) {
        p.model.get_or_insert(m);
        if p.firmware.is_none() {
            p.firmware = identity::firmware_from_user_agent(ua);
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches('\0')
        .to_string()
}
