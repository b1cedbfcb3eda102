//! A profile server handed out in the BOOTP fields (next-server and boot
//! file) instead of a DHCP option, and used by the phone.

use super::{dhcp_facts, server_of, ACK, FACTORY_RESET};
use crate::fact::{Body, Fact};
use crate::verdict::{ev, Ctx, Stage, StageResult, Status};

/// A profile server handed out in the BOOTP fields instead of an option:
/// the ACK's `siaddr` (next-server) and `file`, with the phone asking that
/// server for a file (TFTP or HTTP) after it. Servers fill `siaddr` on
/// their own (dnsmasq names itself), so it counts only when used.
pub struct BootServer<'a> {
    pub ack: &'a Fact,
    /// The DHCP server that sent the ACK.
    pub server: String,
    pub next_server: std::net::Ipv4Addr,
    pub file: String,
    /// The phone's first request to `next_server` after the ACK.
    pub fetch: &'a Fact,
}

/// The phone's last whole ACK, when it offers no provisioning option but a
/// next-server and boot file the phone then fetched from (see
/// [`BootServer`]).
pub fn boot_server<'a>(ctx: &'a Ctx<'a>) -> Option<BootServer<'a>> {
    let (ack, m) = dhcp_facts(ctx).into_iter().rev().find(|(f, m)| {
        m.op == 2 && m.message_type == Some(ACK) && !f.truncated && !m.yiaddr.is_unspecified()
    })?;
    let file = m.file.as_deref().map(str::trim).filter(|f| !f.is_empty())?;
    if m.siaddr.is_unspecified() || !m.provisioning_options().is_empty() {
        return None;
    }
    let next_server = std::net::IpAddr::V4(m.siaddr);
    let fetch = ctx.own().find(|f| {
        f.frame > ack.frame
            && f.dst_ip() == next_server
            && ctx.is_phone(&f.src_ip())
            && matches!(&f.body, Body::Tftp(_) | Body::Http(_))
    })?;
    Some(BootServer {
        ack,
        server: server_of(ack, m),
        next_server: m.siaddr,
        file: file.to_string(),
        fetch,
    })
}

impl BootServer<'_> {
    /// "next-server 192.0.2.10 and boot file CP-8851-3PCC.xml"
    pub fn text(&self) -> String {
        format!(
            "next-server {} and boot file {}",
            self.next_server, self.file
        )
    }

    /// Where a scope's next-server and boot file are set.
    pub const WHERE: &'static str =
        "ISC dhcpd: next-server, filename; Kea: next-server, boot-file-name; dnsmasq: dhcp-boot";

    /// Stage `dhcp-options` for a scope handing out a boot server.
    pub(super) fn options_result(&self) -> StageResult {
        let summary = format!("scope offers {} (BOOTP siaddr/file)", self.text());
        let evidence = vec![
            ev(
                self.ack,
                format!("ACK from {}: {}", self.server, self.text()),
            ),
            ev(
                self.fetch,
                format!("the phone asks {} for a file", self.next_server),
            ),
        ];
        let advice = format!(
            "remove the {} from the scope on DHCP server {} ({}){FACTORY_RESET}",
            self.text(),
            self.server,
            Self::WHERE
        );
        StageResult::new(Stage::DhcpOptions, Status::Fail, summary)
            .advice(advice)
            .evidence(evidence)
    }
}
