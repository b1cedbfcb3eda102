//! A NAK from a second DHCP server: before the lease, from another server
//! than the one that leased (RFC 2131 4.3.2: a server not named by the
//! REQUEST does not answer it).

use super::{server_of, NAK, REQUEST};
use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;

/// A NAK before the lease from another server than the one that leased
/// (`ack`): a second server refusing what it was not asked to judge.
pub(super) struct StrayNak {
    /// The server that sent the NAK.
    pub(super) by: String,
    pub(super) frame: u64,
    /// The server the refused REQUEST named (option 54), if any.
    pub(super) named: Option<std::net::Ipv4Addr>,
}

impl StrayNak {
    /// "the phone's REQUEST naming 192.0.2.1", or without a name.
    pub(super) fn request_text(&self) -> String {
        match self.named {
            Some(named) => format!("the phone's REQUEST naming {named}"),
            None => "the phone's REQUEST".to_string(),
        }
    }
}

/// The last NAK in `msgs` before `ack` whose sender is not the server
/// that leased.
pub(super) fn stray_nak(
    msgs: &[(&Fact, &DhcpMessage)],
    ack: &Fact,
    m: &DhcpMessage,
) -> Option<StrayNak> {
    let leaser = server_of(ack, m);
    let (nak, n) = (msgs.iter().rev())
        .filter(|(g, n)| g.frame < ack.frame && n.op == 2 && n.message_type == Some(NAK))
        .find(|(g, n)| server_of(g, n) != leaser)?;
    let named = (msgs.iter().rev())
        .filter(|(g, q)| g.frame < nak.frame && q.op == 1 && q.xid == n.xid)
        .find(|(_, q)| q.message_type == Some(REQUEST))
        .and_then(|(_, q)| q.server_id());
    Some(StrayNak {
        by: server_of(nak, n),
        frame: nak.frame,
        named,
    })
}
