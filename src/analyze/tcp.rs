//! TCP connections to decoders. The first bytes of a connection decide what
//! it carries (TLS record, SIP start line, DNS on port 53, HTTP request or
//! status line); anything else is tracked for its outcome only.

use std::net::SocketAddr;

use crate::fact::{Body, Fact, TcpAttempt, TcpResult, L4};
use crate::flow::{ConnInfo, ConnOutcome, TcpEvent, Track};
use crate::packet::{Packet, TcpSegment};
use crate::proto::{dns, http, sip, tls};
use crate::time::Timestamp;

/// What a connection carries, with one parser per direction (client,
/// server). The parsers are boxed: a connection waiting in the flow table
/// costs a pointer, not the size of the largest parser.
#[derive(Default)]
enum App {
    /// No decision yet; counts the data chunks that matched nothing.
    #[default]
    Undecided,
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

/// Per-connection state kept by the flow table.
#[derive(Default)]
pub struct ConnState {
    id: u64,
    app: App,
}

/// Connection numbering and counters shared by all connections.
pub struct TcpSide {
    next_id: u64,
    pub malformed: u64,
    sbc_port: u16,
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
            sbc_port,
        }
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
                if let App::Undecided | App::Unrecognised(_) = st.app {
                    st.app = self.decide(info, data, &st.app);
                }
                let at = At {
                    info,
                    conn: st.id,
                    from_client,
                    frame,
                    ts,
                };
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
                let at = At {
                    info,
                    conn: st.id,
                    from_client: true,
                    frame,
                    ts,
                };
                facts.push(at.fact(Body::Tcp {
                    conn: st.id,
                    attempt,
                }));
                Track::Bytes
            }
            TcpEvent::Gap { from_client, .. } => {
                match &mut st.app {
                    App::Tls(pair) => pick(from_client, pair).gap(),
                    App::Sip(pair) => pick(from_client, pair).gap(),
                    _ => {}
                }
                Track::Bytes
            }
            TcpEvent::Closed {
                from_client,
                rst,
                frame,
                ts,
            } => {
                if !matches!(st.app, App::Undecided | App::Ignored) {
                    let at = At {
                        info,
                        conn: st.id,
                        from_client,
                        frame,
                        ts,
                    };
                    facts.push(at.fact(Body::Closed {
                        conn: st.id,
                        from_client,
                        rst,
                    }));
                }
                Track::Bytes
            }
        }
    }

    /// What the connection carries, from the first bytes of a data chunk. A
    /// few chunks that match nothing are allowed first (a STARTTLS-style
    /// greeting before the TLS records), then the connection is ignored.
    fn decide(&self, info: &ConnInfo, data: &[u8], now: &App) -> App {
        let port = |n: u16| info.server.port() == n || info.client.port() == n;
        if tls::looks_like_tls(data) {
            App::Tls(Box::default())
        } else if sip::looks_like_sip(data) {
            App::Sip(Box::default())
        } else if port(53) {
            App::Dns(Box::default())
        } else if http::looks_like_http(data) {
            App::Http(Box::default())
        } else if let App::Unrecognised(n @ 1..MAX_UNRECOGNISED) = now {
            App::Unrecognised(n + 1)
        } else if let App::Undecided = now {
            App::Unrecognised(1)
        } else {
            log::debug!(
                "tcp: conn {} -> {} (sbc port {}): payload not TLS/SIP/DNS/HTTP, outcome only",
                info.client,
                info.server,
                self.sbc_port
            );
            App::Ignored
        }
    }

    fn data(&mut self, at: &At<'_>, app: &mut App, data: &[u8], facts: &mut Vec<Fact>) -> Track {
        let from_client = at.from_client;
        match app {
            App::Tls(pair) => {
                let (c, s) = &mut **pair;
                let stream = if from_client { &mut *c } else { &mut *s };
                for (frame, event) in stream.push(at.frame, data) {
                    match &event {
                        tls::TlsEvent::ServerHello {
                            selected_version, ..
                        } => {
                            c.peer_selected(*selected_version);
                            // TLS 1.3: the client's later handshake records are encrypted too.
                            if *selected_version == 0x0304 || selected_version >> 8 == 0x7f {
                                c.set_handshake_encrypted();
                            }
                        }
                        tls::TlsEvent::HelloRetryRequest { selected_version } => {
                            c.peer_selected(*selected_version);
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
                if c.done() && s.done() {
                    *app = App::TlsDone;
                    return Track::OutcomeOnly;
                }
            }
            App::Sip(pair) => {
                for (frame, m) in pick(from_client, pair).push(at.frame, data) {
                    facts.push(At { frame, ..*at }.fact(Body::Sip(Box::new(m))));
                }
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
                for m in pick(from_client, pair).push(data) {
                    facts.push(at.fact(Body::Http(m)));
                }
            }
            App::Ignored | App::TlsDone => return Track::OutcomeOnly,
            App::Undecided | App::Unrecognised(_) => {}
        }
        Track::Bytes
    }
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

impl At<'_> {
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
                None
            },
            vlan: self.info.vlan,
            truncated: false,
            body,
        }
    }
}

fn attempt(info: &ConnInfo, o: ConnOutcome) -> TcpAttempt {
    let (result, syns, first, answer, unreach) = match o {
        ConnOutcome::Established {
            syn_frame,
            synack_frame,
            syns,
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
        } => (
            TcpResult::Unreachable,
            syns,
            syn_frame,
            icmp_frame,
            Some(kind),
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
        unreach,
    }
}
