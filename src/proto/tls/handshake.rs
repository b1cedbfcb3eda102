//! Handshake messages of one direction (RFC 5246 section 7.4, RFC 8446
//! section 4): reassembled across records up to [`MAX_HANDSHAKE_LEN`]
//! octets, a longer one skipped, and each whole one decoded by its type.

use super::hello::{client_hello, server_hello};
use super::x509::certificate;
use super::{is_tls13, TlsEvent, TlsStream, MAX_HANDSHAKE_LEN};

impl TlsStream {
    /// Takes every whole message out of the handshake buffer. A message
    /// longer than [`MAX_HANDSHAKE_LEN`] is skipped as its octets arrive and
    /// reported as `Handshake { msg_type }` once it has gone by.
    pub(super) fn handshake_messages(&mut self, frame: u64, events: &mut Vec<(u64, TlsEvent)>) {
        let buf = std::mem::take(&mut self.handshake);
        let mut at = 0usize;
        loop {
            if self.skip > 0 {
                let n = self.skip.min(buf.len().saturating_sub(at));
                at = at.saturating_add(n);
                self.skip -= n;
                if self.skip > 0 {
                    break;
                }
                events.push((
                    frame,
                    TlsEvent::Unread {
                        msg_type: self.skipped_type,
                        octets: self.skipped_len,
                    },
                ));
            }
            let Some(header) = buf.get(at..at.saturating_add(4)) else {
                break;
            };
            let msg_type = header.first().copied().unwrap_or_default();
            let len = header
                .get(1..4)
                .map(|b| b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
                .unwrap_or_default();
            let body_start = at.saturating_add(4);
            if len > MAX_HANDSHAKE_LEN {
                log::debug!("tls: handshake message type {msg_type} of {len} octets, skipped");
                self.skip = len;
                self.skipped_type = msg_type;
                self.skipped_len = len;
                at = body_start;
                continue;
            }
            let Some(body) = buf.get(body_start..body_start.saturating_add(len)) else {
                break;
            };
            for event in self.handshake_message(msg_type, body) {
                events.push((frame, event));
            }
            at = body_start.saturating_add(len);
            if self.handshake_encrypted {
                // What follows a TLS 1.3 ServerHello is not plaintext.
                return;
            }
        }
        self.handshake = buf;
        self.handshake.drain(..at.min(self.handshake.len()));
    }

    /// The events of one whole message: its own, and `Unread` when it (or
    /// certificates in it) could not be read.
    fn handshake_message(&mut self, msg_type: u8, body: &[u8]) -> Vec<TlsEvent> {
        let unread = TlsEvent::Unread {
            msg_type,
            octets: body.len(),
        };
        let event = match msg_type {
            1 => client_hello(body),
            2 => server_hello(body),
            11 => match certificate(body) {
                Some((event, 0)) => Some(event),
                // Some certificates of the chain unread: the rest is kept.
                Some((event, _)) => return vec![event, unread],
                None => None,
            },
            14 => Some(TlsEvent::ServerHelloDone),
            _ => return vec![TlsEvent::Handshake { msg_type }],
        };
        let Some(event) = event else {
            return vec![unread];
        };
        match &event {
            TlsEvent::ClientHello { versions, .. } => {
                self.hello_seen = true;
                self.offered_tls13 = versions.iter().any(|v| is_tls13(*v));
            }
            TlsEvent::ServerHello {
                selected_version, ..
            } => {
                self.hello_seen = true;
                if is_tls13(*selected_version) {
                    self.tls13 = true;
                    self.handshake_encrypted = true;
                }
            }
            TlsEvent::HelloRetryRequest { .. } => self.tls13 = true,
            _ => {}
        }
        vec![event]
    }
}
