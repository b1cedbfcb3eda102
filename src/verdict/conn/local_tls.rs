//! HTTPS to a profile server the DHCP scope named (option 159 / 160),
//! judged as an activation or provisioning download is (`handshake`): the
//! handshake's outcome, a certificate for another name, a phone that sent
//! no request, alerts, a server that closed with no answer. TLS hides the
//! HTTP status, so a completed download is never a profile seen.

use super::connection::{conns, Kind};
use super::handshake::tls_outcome;
use super::tcp::tcp_outcome;
use crate::verdict::{Ctx, Evidence, Status};

/// One HTTPS fetch's judgement: status, summary, advice and evidence.
pub struct Judged {
    pub status: Status,
    pub summary: String,
    pub advice: Option<String>,
    pub evidence: Vec<Evidence>,
}

/// The TLS judgement of each connection whose ClientHello is one of
/// `hellos` (frame numbers), by that frame.
pub fn judge(ctx: &Ctx<'_>, hellos: &[u64]) -> Vec<(u64, Judged)> {
    let all = conns(ctx);
    // (As for the download stages: a clock set by NTP, or a certificate
    // accepted elsewhere in the boot, clears the phone's clock.)
    let clock = super::Clock::of(ctx, &all);
    all.iter()
        .filter_map(|(_, c)| {
            let hello = c.hello.filter(|h| hellos.contains(&h.frame))?;
            let port = c.server.port();
            let o = tcp_outcome(ctx, c, false, true)
                .unwrap_or_else(|| tls_outcome(ctx, c, Kind::Provisioning, clock.ok_for(c), port));
            let judged = Judged {
                status: o.status,
                summary: o.summary,
                advice: o.advice,
                evidence: o.evidence,
            };
            Some((hello.frame, judged))
        })
        .collect()
}
