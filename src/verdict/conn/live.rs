//! A live session with an SBC: the TLS handshake done, records both ways
//! after it (the phone's beyond its Finished in TLS 1.3), no bytes left
//! unacknowledged, answered by ICMP or lost, and not yet closed. A phone
//! holding one has got past `sbc-connect` whatever a target of its SRV set
//! that it prefers (a lower priority) does to the attempts it makes
//! meanwhile. (In TLS 1.3 the server's records after the phone's Finished
//! may be only its session tickets: a session to a silent server looks
//! live, which is why only a phone checking a preferred target counts.)

use std::net::SocketAddr;

use super::connection::Conn;
use crate::fact::Fact;
use crate::proto::tls::is_tls13;

/// A live session: its server, the phone's first data in it, and the frame
/// that closed it (`u64::MAX` while open at the capture's end).
#[derive(Clone, Copy)]
pub(super) struct Live<'a> {
    pub(super) server: SocketAddr,
    pub(super) data: &'a Fact,
    pub(super) until: u64,
}

impl Live<'_> {
    /// The session was live when `frame` was sent.
    pub(super) fn spans(&self, frame: u64) -> bool {
        self.data.frame < frame && frame < self.until
    }
}

/// `c` as a live session, when it became one.
pub(super) fn session<'a>(c: &Conn<'a>) -> Option<Live<'a>> {
    let broken = c.unacked.is_some() || c.icmp.is_some() || c.lost.is_some();
    let tls13 = c.server_hello.is_some_and(|(_, v)| is_tls13(v));
    let phone = match tls13 {
        true => c.phone_more?,
        false => c.phone_data?,
    };
    // The server sent records after the phone's first encrypted one.
    let first = c.phone_data?.frame;
    let answered = c.server_last.is_some_and(|s| s.frame > first);
    let done = c.finished.is_some() && c.app_data == [true, true];
    let until = c.closed.map_or(u64::MAX, |(f, _, _)| f.frame);
    (done && answered && !broken).then_some(Live {
        server: c.server,
        data: phone,
        until,
    })
}
