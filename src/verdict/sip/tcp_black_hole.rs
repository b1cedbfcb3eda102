//! A REGISTER over TCP whose first, full-size segment the registrar never
//! acknowledges while it selectively acknowledges (SACK, RFC 2018) the
//! segments after it: the small tail crosses the path, the full-size
//! segments do not, however often TCP sends them again. A path-MTU black
//! hole, not a registrar that ignores the phone.

use super::transaction::Transaction;
use crate::fact::{Body, Fact};
use crate::verdict::Ctx;

/// The phone's connection to the registrar of `last` ended with its bytes
/// re-sent and never acknowledged while the registrar SACKed the bytes
/// after them: that fact and how many times they were sent again.
pub(super) fn sacked_tail<'a>(ctx: &Ctx<'a>, last: &Transaction<'_>) -> Option<(&'a Fact, u32)> {
    let (phone, to) = (last.request.src, last.request.dst);
    if last.request.l4 != crate::fact::L4::Tcp {
        return None;
    }
    ctx.own().find_map(|f| match f.body {
        Body::Unacked {
            from_client: true,
            sacked: true,
            resent,
            ..
        } if f.frame > last.request.frame && f.src == phone && f.dst == to => Some((f, resent)),
        _ => None,
    })
}
