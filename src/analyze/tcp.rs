//! TCP connections to decoders. The first bytes of a connection decide what
//! it carries (TLS record, SIP start line, DNS on port 53, HTTP request or
//! status line); anything else is tracked for its outcome only.
//!
//! The decision reads the start of each direction's byte stream, not of one
//! segment: a ClientHello or a REGISTER written a few bytes at a time is held
//! ([`MAX_PENDING`] bytes at most) until its first bytes tell, then replayed
//! into the parser with its own frames. Empty lines before a SIP start line
//! (keep-alive CRLFs, RFC 3261 section 7.5) do not decide anything. A
//! connection whose start matches nothing gets a few more chunks (a greeting
//! before TLS), then is followed for its outcome only, and counted.

use std::net::SocketAddr;

use crate::fact::{Body, Fact, TcpAttempt, TcpResult, L4};
use crate::flow::{Answered, ConnInfo, ConnOutcome, TcpEvent, Track};
use crate::packet::{Packet, TcpSegment};
use crate::phone::names::{is_activation_name, is_provisioning_name};
use crate::proto::{dns, http, sip, tls};
use crate::time::Timestamp;

/// What a connection carries, with one parser per direction (client,
/// server). The parsers are boxed: a connection waiting in the flow table
/// costs a pointer, not the size of the largest parser.
#[derive(Default)]
enum App {
    /// No decision yet: the start of the streams is held in [`Pending`].
    #[default]
    Undecided,
    /// The start matched nothing: counts the later chunks that did not
    /// either.
    Unrecognised(u8),
    Tls(Box<(tls::TlsStream, tls::TlsStream)>),
    Sip(Box<(sip::SipStream, sip::SipStream)>),
    Dns(Box<(dns::DnsTcpStream, dns::DnsTcpStream)>),
    Http(Box<(http::HttpStream, http::HttpStream)>),
    /// TLS past its handshake both ways: the parsers are dropped, only the
    /// close is still reported.
    TlsDone,
    Ignored,
}

/// Data chunks of an unrecognised connection looked at before giving up.
const MAX_UNRECOGNISED: u8 = 4;

/// Bytes held, both directions together, while the start of a connection
/// is too short to tell (a SIP start line is the longest wait).
pub const MAX_PENDING: usize = 2048;

/// Per-connection state kept by the flow table.
#[derive(Default)]
pub struct ConnState {
    id: u64,
    app: App,
    pending: Option<Box<Pending>>,
    /// Counted in [`TcpSide::lost_acked`].
    lost_counted: bool,
    /// Closes (FIN, RST) seen: a session followed to its close is let go
    /// once both sides closed or one reset.
    closes: u8,
    /// Per direction (client, server): the frame of its last bytes
    /// delivered, where bytes the capture lost after them start.
    last_data: [u64; 2],
    /// Per direction: a snaplen cut of a TLS record was said (once), and
    /// one that hid what the direction said (once).
    cut_said: [bool; 2],
    hid_said: [bool; 2],
}

/// The chunks of an undecided connection, as they came.
#[derive(Default)]
struct Pending {
    chunks: Vec<Chunk>,
    bytes: usize,
}

struct Chunk {
    from_client: bool,
    frame: u64,
    ts: Timestamp,
    data: Vec<u8>,
}

impl Pending {
    /// The held start of one direction's stream.
    fn stream(&self, from_client: bool) -> Vec<u8> {
        let of_side = self.chunks.iter().filter(|c| c.from_client == from_client);
        of_side.flat_map(|c| c.data.iter().copied()).collect()
    }
}

/// What the start of one direction says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sniff {
    Tls,
    Sip,
    Http,
    Nothing,
    NeedMore,
}

fn sniff(stream: &[u8]) -> Sniff {
    let guesses = [
        (tls::sniff_tls(stream), Sniff::Tls),
        (sip::sniff_sip(stream), Sniff::Sip),
        (http::sniff_http(stream), Sniff::Http),
    ];
    if let Some((_, kind)) = guesses.iter().find(|(g, _)| *g == Some(true)) {
        return *kind;
    }
    match guesses.iter().any(|(g, _)| g.is_none()) {
        true => Sniff::NeedMore,
        false => Sniff::Nothing,
    }
}

/// Connection numbering and counters shared by all connections.
pub struct TcpSide {
    next_id: u64,
    pub malformed: u64,
    /// Connections with data that matched no decoder (outcome only).
    pub unrecognised: u64,
    /// Connections missing bytes their receiver acknowledged (not cut by
    /// the snaplen): the capture dropped them.
    pub lost_acked: u64,
    sbc_port: u16,
    /// (source, destination) of segments the snaplen cut: their bytes are
    /// missing, so a body left short there was not cut by its sender.
    snaplen_cut: rustc_hash::FxHashSet<(SocketAddr, SocketAddr)>,
    /// Those of them cut by an amount not known (a reassembled datagram):
    /// where a body ends cannot be counted.
    cut_unknown: rustc_hash::FxHashSet<(SocketAddr, SocketAddr)>,
}

/// Source and destination socket addresses of a segment.
pub fn endpoints(p: &Packet<'_>, seg: &TcpSegment<'_>) -> (SocketAddr, SocketAddr) {
    (
        SocketAddr::new(p.src, seg.sport),
        SocketAddr::new(p.dst, seg.dport),
    )
}

impl TcpSide {
    pub fn new(sbc_port: u16) -> Self {
        TcpSide {
            next_id: 0,
            malformed: 0,
            unrecognised: 0,
            lost_acked: 0,
            sbc_port,
            snaplen_cut: Default::default(),
            cut_unknown: Default::default(),
        }
    }

    /// A segment from `src` to `dst` was cut by the capture's snaplen;
    /// `known`: by how much is known (its IP length).
    pub fn cut_by_snaplen(&mut self, src: SocketAddr, dst: SocketAddr, known: bool) {
        self.snaplen_cut.insert((src, dst));
        if !known {
            self.cut_unknown.insert((src, dst));
        }
    }

    /// A TLS handshake message over the size limit that the connection's
    /// end cut while it was being skipped: counted as undecodable too.
    fn unread_at_end(&mut self, app: &mut App) {
        if let App::Tls(pair) = app {
            let (c, s) = &mut **pair;
            for stream in [c, s] {
                if let Some(tls::TlsEvent::Unread { msg_type, octets }) =
                    stream.take_unfinished_skip()
                {
                    self.malformed += 1;
                    log::debug!(
                        "tls: handshake message type {msg_type} of {octets} octets cut by the \
                         connection's end, not read"
                    );
                }
            }
        }
    }

    /// Did the snaplen cut any of the server's segments of this connection
    /// by an amount not known (a body's end cannot be counted)?
    fn server_cut(&self, info: &ConnInfo) -> bool {
        self.cut_unknown.contains(&(info.server, info.client))
    }

    /// The callback the flow table reports a connection's events to.
    pub fn sink<'a>(
        &'a mut self,
        facts: &'a mut Vec<Fact>,
    ) -> impl FnMut(&ConnInfo, &mut ConnState, TcpEvent<'_>) -> Track + 'a {
        move |info, st, ev| self.event(info, st, ev, facts)
    }

    fn event(
        &mut self,
        info: &ConnInfo,
        st: &mut ConnState,
        ev: TcpEvent<'_>,
        facts: &mut Vec<Fact>,
    ) -> Track {
        if st.id == 0 {
            self.next_id += 1;
            st.id = self.next_id;
        }
        match ev {
            TcpEvent::Data {
                from_client,
                frame,
                ts,
                data,
            } => {
                if data.is_empty() {
                    return Track::Bytes;
                }
                st.last_data[usize::from(!from_client)] = frame;
                if let App::Undecided = st.app {
                    let chunk = Chunk {
                        from_client,
                        frame,
                        ts,
                        data: data.to_vec(),
                    };
                    return self.undecided(info, st, chunk, facts);
                }
                if let App::Unrecognised(n) = st.app {
                    st.app = self.decide_chunk(info, data, n);
                }
                let at = At::new(info, st.id, from_client, frame, ts);
                self.data(&at, &mut st.app, data, facts)
            }
            TcpEvent::Outcome { outcome, frame, ts } => {
                let attempt = attempt(info, outcome);
                // Silence is dated by the last SYN, not by the end of the capture.
                let (frame, ts) = match outcome {
                    ConnOutcome::NoAnswer {
                        last_syn_frame,
                        last_syn_ts,
                        ..
                    } => (last_syn_frame, last_syn_ts),
                    _ => (frame, ts),
                };
                let at = At::new(info, st.id, true, frame, ts);
                facts.push(at.fact(Body::Tcp {
                    conn: st.id,
                    attempt,
                }));
                Track::Bytes
            }
            TcpEvent::Open { frame, ts } => {
                self.unread_at_end(&mut st.app);
                // A response body still coming when the capture ends.
                if let (App::Http(pair), false) = (&st.app, self.server_cut(info)) {
                    if let Some(cut) = pair.1.unfinished(http::Cut::CaptureEnd) {
                        connection_fact(info, st, false, frame, ts, Body::Http(cut), facts);
                    }
                }
                Track::Bytes
            }
            TcpEvent::Gap {
                from_client,
                len,
                acked,
                snaplen,
                unreceived,
                frame,
                ts,
            } => {
                if let Some(held) = unreceived {
                    let body = Body::Unreceived {
                        conn: st.id,
                        from_client,
                        missing: len,
                        held,
                    };
                    connection_fact(info, st, from_client, frame, ts, body, facts);
                }
                let sides = match from_client {
                    true => (info.client, info.server),
                    false => (info.server, info.client),
                };
                let cut = self.snaplen_cut.contains(&sides);
                if acked && !cut && !st.lost_counted {
                    st.lost_counted = true;
                    self.lost_acked += 1;
                }
                if acked && !cut {
                    lost_fact(info, st, (from_client, None), frame, ts, facts);
                }
                // A TLS record cut by the snaplen: what it was, as far as
                // it came. Said for the side's first cut, its first that
                // hid what the side said, and each that cut an alert.
                let tls_cut = match (&mut st.app, snaplen) {
                    (App::Tls(pair), true) => Some(pick(from_client, pair).cut(frame, len)),
                    _ => None,
                };
                if let Some((cut, _)) = tls_cut {
                    let side = usize::from(!from_client);
                    let alert = cut.hides && cut.content_type == Some(tls::ALERT);
                    if !st.cut_said[side] || cut.hides && !st.hid_said[side] || alert {
                        st.cut_said[side] = true;
                        st.hid_said[side] |= cut.hides;
                        lost_fact(info, st, (from_client, Some(cut)), frame, ts, facts);
                    }
                }
                // Bytes after a hole do not continue what was held before it.
                if let Some(p) = st.pending.as_deref_mut() {
                    p.chunks.retain(|c| c.from_client != from_client);
                    p.bytes = p.chunks.iter().map(|c| c.data.len()).sum();
                }
                let at = At::new(info, st.id, from_client, frame, ts);
                // Messages may be lost in the hole: a fact, so that no
                // verdict rests on their absence.
                let lost = |of: &'static str, what: &str| {
                    let reason = format!(
                        "bytes missing from the TCP stream (lost, or cut by the snaplen): {what}"
                    );
                    let mut fact = at.fact(Body::Malformed { of, reason });
                    fact.truncated = true;
                    fact
                };
                match &mut st.app {
                    App::Tls(pair) => {
                        // Cut by the snaplen inside a record: the records
                        // after it stay in step.
                        let (c, s) = &mut **pair;
                        let stream = if from_client { &mut *c } else { &mut *s };
                        let (kept, events) = match tls_cut {
                            Some((cut, events)) => (cut.kept, events),
                            None => (false, Vec::new()),
                        };
                        if !kept {
                            stream.gap();
                        }
                        self.tls_facts(&at, (c, s), events, facts);
                    }
                    App::Http(pair) => {
                        let (c, s) = &mut **pair;
                        if from_client {
                            c.gap(len);
                        } else if !(s.gap(len) && snaplen) {
                            // (Acknowledged: the phone has the bytes, the
                            // capture dropped them. Cut by the snaplen inside
                            // a body, they are counted off it: nothing lost.)
                            let fact = match (acked, snaplen) {
                                (true, _) => lost("http_acked", "the phone acknowledged them"),
                                (false, true) => lost("http_cut", "cut by the snaplen"),
                                (false, false) => lost("http", "an HTTP response may be gone"),
                            };
                            facts.push(fact);
                        }
                    }
                    App::Sip(pair) => {
                        // A message whose start line came before the hole
                        // is read as far as it came (as a cut datagram is).
                        let stream = pick(from_client, pair);
                        let piece = cut_sip(info, st.id, from_client, stream);
                        stream.gap();
                        // (The snaplen's cut of a message read as far as
                        // it came loses nothing else: the segment's next
                        // bytes follow in order.)
                        if !(snaplen && piece.is_some()) {
                            facts.push(lost("sip", "SIP messages may be gone"));
                        }
                        facts.extend(piece);
                    }
                    _ => {}
                }
                Track::Bytes
            }
            TcpEvent::DataUnreachable {
                kind,
                sender,
                count,
                frame,
                ts,
            } => {
                let body = Body::DataUnreachable {
                    conn: st.id,
                    kind,
                    sender,
                    count,
                };
                connection_fact(info, st, true, frame, ts, body, facts)
            }
            TcpEvent::Unacked {
                from_client,
                resent,
                synack_again,
                went_silent,
                sacked,
                frame,
                ts,
            } => {
                let body = Body::Unacked {
                    conn: st.id,
                    from_client,
                    resent,
                    synack_again,
                    went_silent,
                    sacked,
                };
                connection_fact(info, st, from_client, frame, ts, body, facts)
            }
            TcpEvent::Closed {
                from_client,
                rst,
                peer_acked,
                peer_silent,
                peer_unseen,
                own_unseen,
                own_acked_unseen,
                frame,
                ts,
            } => {
                // Bytes of the other side's this side acknowledged and the
                // capture lacks (not cut by the snaplen): dropped. So are
                // this side's that the other acknowledged (a reset, which
                // the other side does not answer with a close of its own).
                let (own, other) = match from_client {
                    true => ((info.client, info.server), (info.server, info.client)),
                    false => ((info.server, info.client), (info.client, info.server)),
                };
                let peer_lost = peer_unseen && !self.snaplen_cut.contains(&other);
                let own_lost = own_unseen && !self.snaplen_cut.contains(&own);
                let acked_lost = peer_lost || own_acked_unseen && own_lost;
                if acked_lost && !st.lost_counted {
                    st.lost_counted = true;
                    self.lost_acked += 1;
                }
                for side in [(!from_client, peer_lost), (from_client, own_lost)] {
                    if side.1 {
                        lost_fact(info, st, (side.0, None), frame, ts, facts);
                    }
                }
                // SIP messages whose bytes the capture lacks before the
                // close: as far as they came.
                if let App::Sip(pair) = &mut st.app {
                    let sides = [(from_client, own_unseen), (!from_client, peer_unseen)];
                    for (side, _) in sides.into_iter().filter(|s| s.1) {
                        let stream = pick(side, pair);
                        facts.extend(cut_sip(info, st.id, side, stream));
                        stream.gap();
                    }
                }
                self.unread_at_end(&mut st.app);
                // A response body cut short by the close (the snaplen's
                // cuts hide bytes the server did send).
                if let (App::Http(pair), false) = (&st.app, self.server_cut(info)) {
                    if let Some(cut) = pair.1.unfinished(http::Cut::Close) {
                        connection_fact(info, st, false, frame, ts, Body::Http(cut), facts);
                    }
                }
                // A session followed to its close: what each side sent in it.
                let tls = match &st.app {
                    App::Tls(pair) => {
                        (pair.0.tail().zip(pair.1.tail())).map(|(c, s)| Box::new([c, s]))
                    }
                    _ => None,
                };
                // A followed session that ended both ways (or was reset):
                // nothing more to read of it.
                st.closes = st.closes.saturating_add(1);
                let ended = tls.is_some() && (rst || st.closes >= 2);
                let body = Body::Closed {
                    conn: st.id,
                    from_client,
                    rst,
                    peer_acked,
                    peer_silent,
                    peer_unseen,
                    own_unseen,
                    tls,
                };
                connection_fact(info, st, from_client, frame, ts, body, facts);
                if ended {
                    st.app = App::TlsDone;
                    return self.after_tls(info);
                }
                Track::Bytes
            }
        }
    }

    /// Holds a chunk of a connection not decided yet; once the start of a
    /// direction tells what the connection carries, the held chunks go to
    /// its parser in the order they came.
    fn undecided(
        &mut self,
        info: &ConnInfo,
        st: &mut ConnState,
        chunk: Chunk,
        facts: &mut Vec<Fact>,
    ) -> Track {
        let pending = st.pending.get_or_insert_with(Box::default);
        // Keep-alive CRLFs before anything else on a side are not held: a
        // long-lived connection may send thousands before its next request.
        let blank = chunk.data.iter().all(|b| matches!(b, b'\r' | b'\n'));
        if blank && pending.stream(chunk.from_client).is_empty() {
            return Track::Bytes;
        }
        pending.bytes = pending.bytes.saturating_add(chunk.data.len());
        pending.chunks.push(chunk);
        // A direction that has sent nothing yet tells nothing.
        let sniffs = [true, false].map(|side| match pending.stream(side) {
            bytes if bytes.is_empty() => Sniff::Nothing,
            bytes => sniff(&bytes),
        });
        let found = |k: Sniff| sniffs.contains(&k);
        let port = |n: u16| info.server.port() == n || info.client.port() == n;
        st.app = if found(Sniff::Tls) && sniffs[0] != Sniff::Sip {
            App::Tls(Box::default())
        } else if found(Sniff::Sip) {
            App::Sip(Box::default())
        } else if port(53) {
            App::Dns(Box::default())
        } else if found(Sniff::Http) {
            App::Http(Box::default())
        } else if found(Sniff::NeedMore) && pending.bytes < MAX_PENDING {
            return Track::Bytes;
        } else {
            // Nothing we read starts this connection; a few later chunks
            // may still (a greeting before TLS).
            st.pending = None;
            st.app = App::Unrecognised(0);
            return Track::Bytes;
        };
        let held = st.pending.take().map(|p| p.chunks).unwrap_or_default();
        let mut track = Track::Bytes;
        for c in held {
            let at = At::new(info, st.id, c.from_client, c.frame, c.ts);
            track = self.data(&at, &mut st.app, &c.data, facts);
        }
        track
    }

    /// A later chunk of a connection whose start matched nothing: TLS, SIP
    /// or HTTP may still begin here; after a few chunks the connection is
    /// followed for its outcome only, and counted.
    fn decide_chunk(&mut self, info: &ConnInfo, data: &[u8], seen: u8) -> App {
        if tls::looks_like_tls(data) {
            App::Tls(Box::default())
        } else if sip::looks_like_sip(data) {
            App::Sip(Box::default())
        } else if http::looks_like_http(data) {
            App::Http(Box::default())
        } else if seen < MAX_UNRECOGNISED {
            App::Unrecognised(seen + 1)
        } else {
            log::debug!(
                "tcp: conn {} -> {} (sbc port {}): payload not TLS/SIP/DNS/HTTP, outcome only",
                info.client,
                info.server,
                self.sbc_port
            );
            self.unrecognised += 1;
            App::Ignored
        }
    }

    /// What a TLS connection past its handshake still needs: to the SBC
    /// (or SIP over TLS's own port), the sequence numbers, so that an SBC
    /// gone silent in the middle of the session is told; else nothing.
    fn after_tls(&self, info: &ConnInfo) -> Track {
        match info.server.port() {
            p if p == self.sbc_port || p == 5061 => Track::Sequence,
            _ => Track::OutcomeOnly,
        }
    }

    /// Facts of the TLS events of one direction (`at.from_client`), and
    /// what they change in either parser.
    fn tls_facts(
        &mut self,
        at: &At<'_>,
        (c, s): (&mut tls::TlsStream, &mut tls::TlsStream),
        events: Vec<(u64, tls::TlsEvent)>,
        facts: &mut Vec<Fact>,
    ) {
        let from_client = at.from_client;
        for (frame, event) in events {
            match &event {
                tls::TlsEvent::ServerHello {
                    selected_version, ..
                } => {
                    c.peer_selected(*selected_version);
                    // TLS 1.3: the client's later handshake records are encrypted too.
                    if tls::is_tls13(*selected_version) {
                        c.set_handshake_encrypted();
                    }
                }
                // A download from the activation or provisioning
                // service: followed to its close (was it all sent?).
                tls::TlsEvent::ClientHello { sni: Some(sni), .. }
                    if from_client && is_download_name(sni) =>
                {
                    c.follow_to_close();
                    s.follow_to_close();
                }
                tls::TlsEvent::HelloRetryRequest { selected_version } => {
                    c.peer_selected(*selected_version);
                }
                // TLS 1.3: the server's first word after the
                // client's Finished may be an (encrypted) refusal.
                tls::TlsEvent::ApplicationData if from_client => {
                    s.peer_finished();
                    s.watch_next_record(frame);
                    // And the phone's own next segment: more data or
                    // a close of its own makes the server's alert no
                    // refusal.
                    c.watch_next_record(frame);
                }
                // A handshake message (or certificates) not read:
                // counted with the undecodable.
                tls::TlsEvent::Unread { msg_type, octets } => {
                    self.malformed += 1;
                    log::debug!(
                        "tls: frame {frame}: handshake message type {msg_type} of \
                         {octets} octets not read"
                    );
                }
                _ => {}
            }
            let body = Body::Tls {
                conn: at.conn,
                from_client,
                event,
            };
            facts.push(At { frame, ..*at }.fact(body));
        }
    }

    fn data(&mut self, at: &At<'_>, app: &mut App, data: &[u8], facts: &mut Vec<Fact>) -> Track {
        let from_client = at.from_client;
        match app {
            App::Tls(pair) => {
                let (c, s) = &mut **pair;
                // To the SBC (or SIP over TLS's own port, 5061): whether
                // each side sent data inside the session.
                if matches!(at.info.server.port(), p if p == self.sbc_port || p == 5061) {
                    c.follow_to_application_data();
                    s.follow_to_application_data();
                }
                let stream = if from_client { &mut *c } else { &mut *s };
                let was_stopped = stream.stopped().is_some();
                let records = stream.records();
                let events = stream.push(at.frame, data);
                stream.note_time(records, at.ts);
                // A side that does not speak TLS (a banner, HTTP) is a fact.
                if let (false, Some(why)) = (was_stopped, stream.stopped()) {
                    if why.starts_with("not a TLS record") {
                        let reason = why.to_string();
                        facts.push(at.fact(Body::Malformed { of: "tls", reason }));
                    }
                }
                // The client's first request: the server's records before
                // it answer nothing of it.
                if from_client && c.requested() {
                    s.peer_requested();
                }
                self.tls_facts(at, (c, s), events, facts);
                if c.done() && s.done() {
                    *app = App::TlsDone;
                    return self.after_tls(at.info);
                }
            }
            App::Sip(pair) => {
                let stream = pick(from_client, pair);
                let skips = stream.skips();
                for (frame, m) in stream.push(at.frame, data) {
                    facts.push(At { frame, ..*at }.fact(Body::Sip(Box::new(m))));
                }
                stream.note_time(at.frame, at.ts);
                // Bytes that were no SIP message: counted as undecodable.
                self.malformed += stream.skips().saturating_sub(skips);
            }
            App::Dns(pair) => {
                for msg in pick(from_client, pair).push(data) {
                    match dns::parse(&msg) {
                        Ok(m) => facts.push(at.fact(Body::Dns(m))),
                        Err(e) => {
                            self.malformed += 1;
                            let reason = e.to_string();
                            facts.push(at.fact(Body::Malformed { of: "dns", reason }));
                        }
                    }
                }
            }
            App::Http(pair) => {
                let (c, s) = &mut **pair;
                let stream = if from_client { &mut *c } else { &mut *s };
                let mut heads = stream.push(data);
                let tunnel = Some(http::TUNNEL);
                // The proxy answered the CONNECT without opening a tunnel:
                // the client speaks HTTP again (a CONNECT with credentials).
                let refused = !from_client
                    && c.stopped() == tunnel
                    && s.stopped() != tunnel
                    && heads
                        .iter()
                        .any(|m| matches!(m, http::HttpMessage::Response { .. }));
                for m in heads.drain(..) {
                    if let http::HttpMessage::Request { method, .. } = &m {
                        s.expect_response(method.eq_ignore_ascii_case("HEAD"));
                    }
                    facts.push(at.fact(Body::Http(m)));
                }
                if refused {
                    let at = At {
                        from_client: true,
                        ..*at
                    };
                    heads = c.tunnel_refused();
                    for m in heads.drain(..) {
                        facts.push(at.fact(Body::Http(m)));
                    }
                }
                // A client held at its CONNECT waits for the answer that
                // opens the tunnel.
                if c.stopped() == tunnel && s.stopped() != tunnel {
                    s.expect_tunnel();
                }
                // A proxy opened a CONNECT tunnel: what runs in it (TLS to
                // activate.cisco.com, say) is read as if connected directly.
                if c.stopped() == tunnel && s.stopped() == tunnel {
                    let (to_server, to_client) = (c.take_tunnel(), s.take_tunnel());
                    *app = App::Tls(Box::default());
                    for (side, bytes) in [(true, to_server), (false, to_client)] {
                        if !bytes.is_empty() {
                            let at = At {
                                from_client: side,
                                ..*at
                            };
                            let track = self.data(&at, app, &bytes, facts);
                            if track != Track::Bytes {
                                return track;
                            }
                        }
                    }
                }
            }
            App::TlsDone => return self.after_tls(at.info),
            App::Ignored => return Track::OutcomeOnly,
            App::Undecided | App::Unrecognised(_) => {}
        }
        Track::Bytes
    }
}

/// The activation and provisioning services' names: what the phone fetches
/// from them is judged by how the session ended.
fn is_download_name(sni: &str) -> bool {
    let name = sni.trim_end_matches('.').to_ascii_lowercase();
    is_activation_name(&name) || is_provisioning_name(&name)
}

/// A fact about the connection itself (its close, data never acknowledged),
/// kept only for connections that carried a protocol we read.
fn connection_fact(
    info: &ConnInfo,
    st: &ConnState,
    from_client: bool,
    frame: u64,
    ts: Timestamp,
    body: Body,
    facts: &mut Vec<Fact>,
) -> Track {
    if !matches!(st.app, App::Undecided | App::Ignored) {
        let at = At::new(info, st.id, from_client, frame, ts);
        facts.push(at.fact(body));
    }
    Track::Bytes
}

/// Bytes of side `from_client` the capture lost (or its snaplen cut, and
/// what the cut record was), shown at `frame`: sent after that side's last
/// bytes delivered.
fn lost_fact(
    info: &ConnInfo,
    st: &ConnState,
    (from_client, cut): (bool, Option<tls::Cut>),
    frame: u64,
    ts: Timestamp,
    facts: &mut Vec<Fact>,
) {
    let after = st.last_data[usize::from(!from_client)];
    let body = Body::Lost {
        conn: st.id,
        from_client,
        after,
        snaplen: cut.is_some(),
        hides: cut.is_some_and(|c| c.hides),
        content_type: cut.and_then(|c| c.content_type),
    };
    connection_fact(info, st, from_client, frame, ts, body, facts);
}

/// The message a SIP stream holds in part when its bytes stop (a hole, a
/// close after bytes the capture lacks), as a cut fact: its start line, no
/// Call-ID or CSeq.
fn cut_sip(info: &ConnInfo, conn: u64, from_client: bool, s: &sip::SipStream) -> Option<Fact> {
    let (frame, ts, mut m) = s.cut_message()?;
    // A cut segment may hold more messages after this one (a 403 behind a
    // 200): said as a piece, never matched to its transaction.
    m.call_id = None;
    m.cseq = None;
    let at = At::new(info, conn, from_client, frame, ts);
    let mut fact = at.fact(Body::Sip(Box::new(m)));
    fact.truncated = true;
    Some(fact)
}

/// The parser of one direction.
fn pick<T>(from_client: bool, pair: &mut (T, T)) -> &mut T {
    if from_client {
        &mut pair.0
    } else {
        &mut pair.1
    }
}

/// Where and when a fact of a connection happened.
#[derive(Clone, Copy)]
struct At<'a> {
    info: &'a ConnInfo,
    conn: u64,
    from_client: bool,
    frame: u64,
    ts: Timestamp,
}

impl<'a> At<'a> {
    fn new(info: &'a ConnInfo, conn: u64, from_client: bool, frame: u64, ts: Timestamp) -> Self {
        At {
            info,
            conn,
            from_client,
            frame,
            ts,
        }
    }

    fn fact(&self, body: Body) -> Fact {
        let (src, dst) = if self.from_client {
            (self.info.client, self.info.server)
        } else {
            (self.info.server, self.info.client)
        };
        Fact {
            frame: self.frame,
            ts: self.ts,
            src,
            dst,
            l4: L4::Tcp,
            src_mac: if self.from_client {
                self.info.client_mac
            } else {
                self.info.server_mac
            },
            dst_mac: if self.from_client {
                self.info.server_mac
            } else {
                self.info.client_mac
            },
            vlan: self.info.vlan,
            truncated: false,
            ip_id: None,
            body,
        }
    }
}

fn attempt(info: &ConnInfo, o: ConnOutcome) -> TcpAttempt {
    let (by, astray) = match o {
        ConnOutcome::Established { by, .. } => (Some(by).filter(|b| *b != Answered::SynAck), None),
        ConnOutcome::NoAnswer { astray, .. } => (None, astray),
        _ => (None, None),
    };
    let (result, syns, first, answer, unreach) = match o {
        ConnOutcome::Established {
            syn_frame,
            synack_frame,
            syns,
            ..
        } => (TcpResult::Established, syns, syn_frame, synack_frame, None),
        ConnOutcome::Refused {
            syn_frame,
            rst_frame,
            syns,
        } => (TcpResult::Refused, syns, syn_frame, rst_frame, None),
        ConnOutcome::Unreachable {
            syn_frame,
            icmp_frame,
            syns,
            kind,
            sender,
        } => (
            TcpResult::Unreachable,
            syns,
            syn_frame,
            icmp_frame,
            Some((kind, sender)),
        ),
        ConnOutcome::NoAnswer {
            first_syn_frame,
            last_syn_frame,
            syns,
            ..
        } => (
            TcpResult::NoAnswer,
            syns,
            first_syn_frame,
            last_syn_frame,
            None,
        ),
    };
    TcpAttempt {
        result,
        syns,
        first_syn_frame: first,
        first_syn_ts: info.first_ts,
        answer_frame: answer,
        saw_syn: info.saw_syn,
        unreach: unreach.map(|u| u.0),
        unreach_from: unreach.map(|u| u.1),
        synack_unseen: by,
        astray,
    }
}

#[cfg(test)]
#[path = "tcp_tests.rs"]
mod tests;
