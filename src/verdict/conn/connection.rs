//! The phone's TCP connections, each with what TLS showed on it, and the
//! stage each belongs to: by SNI, else by the name its server address
//! resolved from, else (SBC) by its port or an SRV target address.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::fact::{Body, Fact, TcpAttempt};
use crate::packet::UnreachKind;
use crate::phone::names::{is_activation_lookup, is_activation_name};
use crate::phone::names::{is_provisioning_lookup, is_provisioning_name};
use crate::proto::tls::{is_tls13, CertInfo, Tail, TlsEvent, ALERT};
use crate::verdict::Ctx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Activation,
    Provisioning,
    Sbc,
    Other,
}

/// One TCP connection of the phone, with what TLS showed on it.
pub(super) struct Conn<'a> {
    pub(super) server: SocketAddr,
    pub(super) first: &'a Fact,
    pub(super) tcp: Option<(&'a Fact, TcpAttempt)>,
    pub(super) sni: Option<String>,
    pub(super) offered: Vec<u16>,
    pub(super) hello: Option<&'a Fact>,
    /// TLS 1.3: the server's HelloRetryRequest and the phone's second
    /// ClientHello after it.
    pub(super) retry: Option<(&'a Fact, Option<&'a Fact>)>,
    pub(super) server_hello: Option<(&'a Fact, u16)>,
    pub(super) chain: Option<(&'a Fact, &'a [CertInfo])>,
    /// The server's CertificateRequest (mutual TLS), in clear (TLS 1.2).
    pub(super) cert_request: Option<&'a Fact>,
    /// The server's Certificate message was in the capture but (some of)
    /// its certificates could not be read (not DER, or over the size limit).
    pub(super) cert_unread: Option<&'a Fact>,
    /// The phone's first TLS record after its ClientHello(s).
    pub(super) phone_next: Option<&'a Fact>,
    /// The phone's own Certificate message and the certificates it held.
    pub(super) client_cert: Option<(&'a Fact, &'a [CertInfo])>,
    pub(super) alerts: Vec<(&'a Fact, bool, u8, u8)>,
    /// A side whose bytes are not TLS records (a banner, HTTP): the fact,
    /// whether it is the phone's side, and what came instead.
    pub(super) not_tls: Option<(&'a Fact, bool, &'a str)>,
    pub(super) ccs: [bool; 2],
    pub(super) app_data: [bool; 2],
    /// Each side's first encrypted alert (TLS 1.3: a record of an alert's
    /// length where the handshake ends or right after it).
    pub(super) enc_alert: [Option<&'a Fact>; 2],
    /// A side sent more after its alert-sized record (it was data).
    pub(super) went_on: [bool; 2],
    /// TLS 1.3: the phone sent more after its Finished's segment.
    pub(super) phone_more: Option<&'a Fact>,
    /// The phone's first application_data record (TLS 1.2: its request;
    /// TLS 1.3: its Finished).
    pub(super) phone_data: Option<&'a Fact>,
    /// The first fact that showed the handshake finished (CCS or app data).
    pub(super) finished: Option<&'a Fact>,
    pub(super) closed: Option<(&'a Fact, bool, bool)>,
    /// The phone reset the connection (aborted it) at some point.
    pub(super) phone_reset: Option<&'a Fact>,
    /// The capture ends with the phone's bytes re-sent and never
    /// acknowledged, the server silent: the last send and the re-sends.
    pub(super) unacked: Option<(&'a Fact, u32)>,
    /// The server's bytes the phone never got, to the connection's end: a
    /// hole its acknowledgments stayed before (see `Body::Unreceived`).
    pub(super) unreceived: Option<&'a Fact>,
    /// ICMP errors answered the phone's bytes after the handshake (never
    /// acknowledged): the first ICMP, its kind, its sender, how many came.
    pub(super) icmp: Option<(&'a Fact, UnreachKind, IpAddr, u32)>,
    /// A side acknowledged bytes of the other's that the capture lacks.
    pub(super) hidden_bytes: bool,
    /// Bytes the capture lost (`Body::Lost`): the fact that showed the
    /// earliest of them, and the frame after which they were sent.
    pub(super) lost: Option<(&'a Fact, u64)>,
    /// The capture's snaplen cut TLS records of this connection.
    pub(super) snaplen_cut: bool,
    /// Per side (phone, server): the first snaplen cut that hid what the
    /// side said (an alert, a handshake message, a record of unknown
    /// type), and the first that cut an alert: sent, not readable.
    pub(super) cut_hid: [Option<&'a Fact>; 2],
    pub(super) cut_alert: [Option<&'a Fact>; 2],
    /// The server's last TLS record.
    pub(super) server_last: Option<&'a Fact>,
    /// A session followed to its close: what each side had sent in it by
    /// the last close seen (bytes a re-send filled in after the first).
    pub(super) last_tail: Option<[Tail; 2]>,
}

impl Conn<'_> {
    /// The phone checked the server's certificate and went on: TLS 1.2, a
    /// chain in clear then the phone's application data; TLS 1.3, its first
    /// encrypted record a Finished (not an alert), sent only once the
    /// server's certificate passed.
    pub(super) fn cert_accepted(&self) -> bool {
        let refused = self.alerts.iter().any(|a| a.1 && a.2 == 2);
        match self.server_hello {
            Some((_, v)) if is_tls13(v) => self.app_data[0] && self.enc_alert[0].is_none(),
            Some(_) => self.chain.is_some() && self.app_data[0] && !refused,
            None => false,
        }
    }
}

pub(super) fn conns<'a>(ctx: &'a Ctx<'a>) -> Vec<(Kind, Conn<'a>)> {
    let mut by_id: BTreeMap<u64, Conn<'a>> = BTreeMap::new();
    for f in ctx.own() {
        if let Body::Malformed { of: "tls", reason } = &f.body {
            // No connection id on it: the latest connection to that server.
            let of_conn = |c: &&mut Conn<'a>| c.server == f.src || c.server == f.dst;
            if let Some(c) = by_id.values_mut().rev().find(of_conn) {
                let what = match reason.split_once(", starts ") {
                    Some((_, text)) => text.trim_end_matches(')'),
                    None => reason.as_str(),
                };
                c.not_tls.get_or_insert((f, c.server == f.dst, what));
            }
            continue;
        }
        let (id, from_client) = match &f.body {
            Body::Tcp { conn, .. } => (*conn, true),
            Body::Tls {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::Closed {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::Unacked {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::DataUnreachable { conn, .. } => (*conn, true),
            Body::Lost {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::Unreceived {
                conn, from_client, ..
            } => (*conn, *from_client),
            _ => continue,
        };
        let (client, server) = if from_client {
            (f.src, f.dst)
        } else {
            (f.dst, f.src)
        };
        if !ctx.is_phone(&client.ip()) {
            continue;
        }
        let c = by_id.entry(id).or_insert_with(|| Conn {
            server,
            first: f,
            tcp: None,
            sni: None,
            offered: Vec::new(),
            hello: None,
            retry: None,
            server_hello: None,
            chain: None,
            cert_request: None,
            cert_unread: None,
            phone_next: None,
            client_cert: None,
            alerts: Vec::new(),
            not_tls: None,
            ccs: [false; 2],
            app_data: [false; 2],
            enc_alert: [None; 2],
            went_on: [false; 2],
            phone_more: None,
            phone_data: None,
            finished: None,
            closed: None,
            phone_reset: None,
            unacked: None,
            unreceived: None,
            icmp: None,
            hidden_bytes: false,
            lost: None,
            snaplen_cut: false,
            cut_hid: [None; 2],
            cut_alert: [None; 2],
            server_last: None,
            last_tail: None,
        });
        let side = usize::from(!from_client);
        if let Body::Tls { event, .. } = &f.body {
            let hello = matches!(event, TlsEvent::ClientHello { .. });
            if from_client && !hello && c.hello.is_some() {
                c.phone_next.get_or_insert(f);
            }
            if !from_client {
                c.server_last = Some(f);
            }
        }
        match &f.body {
            Body::Tcp { attempt, .. } => c.tcp = Some((f, *attempt)),
            Body::Unreceived { .. } if !from_client => c.unreceived = Some(f),
            Body::Unacked {
                resent,
                went_silent: false,
                ..
            } if from_client => c.unacked = Some((f, *resent)),
            Body::DataUnreachable {
                kind,
                sender,
                count,
                ..
            } => c.icmp = Some((f, *kind, *sender, *count)),
            Body::Lost {
                snaplen: true,
                hides,
                content_type,
                ..
            } => {
                c.snaplen_cut = true;
                if *hides {
                    c.cut_hid[side].get_or_insert(f);
                }
                if *hides && *content_type == Some(ALERT) {
                    c.cut_alert[side].get_or_insert(f);
                }
            }
            Body::Lost { after, .. } => {
                c.hidden_bytes = true;
                if c.lost.is_none_or(|(_, a)| *after < a) {
                    c.lost = Some((f, *after));
                }
            }
            Body::Closed {
                rst,
                peer_unseen,
                tls,
                ..
            } => {
                c.last_tail = tls.as_deref().copied().or(c.last_tail);
                c.hidden_bytes |= *peer_unseen;
                c.closed.get_or_insert((f, from_client, *rst));
                if *rst && from_client {
                    c.phone_reset.get_or_insert(f);
                }
            }
            Body::Tls { event, .. } => match event {
                TlsEvent::ClientHello { versions, sni, .. } => {
                    if let Some((_, second @ None)) = &mut c.retry {
                        *second = Some(f);
                    }
                    c.hello.get_or_insert(f);
                    c.sni = sni.clone();
                    c.offered = versions.clone();
                }
                TlsEvent::HelloRetryRequest { .. } if !from_client => {
                    c.retry.get_or_insert((f, None));
                }
                TlsEvent::ServerHello {
                    selected_version, ..
                } => {
                    c.server_hello = Some((f, *selected_version));
                }
                TlsEvent::Certificate { chain } if !from_client => c.chain = Some((f, chain)),
                TlsEvent::Certificate { chain } => c.client_cert = Some((f, chain)),
                TlsEvent::Handshake {
                    msg_type: CERTIFICATE_REQUEST,
                } if !from_client => c.cert_request = Some(f),
                TlsEvent::Unread { msg_type: 11, .. } if !from_client => {
                    c.cert_unread.get_or_insert(f);
                }
                TlsEvent::Alert { level, description } => {
                    c.alerts.push((f, from_client, *level, *description))
                }
                TlsEvent::ChangeCipherSpec => {
                    c.ccs[side] = true;
                    if c.ccs == [true, true] {
                        c.finished.get_or_insert(f);
                    }
                }
                TlsEvent::EncryptedAlert => {
                    c.enc_alert[side].get_or_insert(f);
                }
                TlsEvent::RecordAfterAlert => c.went_on[side] = true,
                TlsEvent::LaterRecord if from_client => {
                    c.phone_more.get_or_insert(f);
                }
                TlsEvent::ApplicationData => {
                    c.app_data[side] = true;
                    if side == 0 {
                        c.finished.get_or_insert(f);
                        c.phone_data.get_or_insert(f);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    let mut out: Vec<(Kind, Conn<'a>)> =
        by_id.into_values().map(|c| (kind_of(ctx, &c), c)).collect();
    out.sort_by_key(|(_, c)| c.first.frame);
    out
}

/// The server's name without SNI: the name that resolved to its address
/// (the stage's own name first: activate.cisco.com rather than its CNAME
/// target), else the address.
pub(super) fn server_name(ctx: &Ctx<'_>, c: &Conn<'_>, kind: Kind) -> String {
    let ip = c.server.ip();
    let own = |n: &&str| match kind {
        Kind::Activation => is_activation_lookup(n),
        Kind::Provisioning => is_provisioning_lookup(n),
        Kind::Sbc | Kind::Other => true,
    };
    let name = ctx
        .names
        .names(&ip)
        .find(own)
        .or_else(|| ctx.names.names(&ip).next());
    // (An IPv6 address in brackets, so that `name:port` reads right.)
    name.map_or_else(
        || match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        },
        str::to_string,
    )
}

fn kind_of(ctx: &Ctx<'_>, c: &Conn<'_>) -> Kind {
    let ip = c.server.ip();
    if let Some(sni) = c.sni.as_deref() {
        if is_activation_name(sni) {
            return Kind::Activation;
        }
        if is_provisioning_name(sni) {
            return Kind::Provisioning;
        }
        // The phone names one of its SRV targets, or the SIP domain it found
        // no SRV record for (RFC 3263 4.2): its SBC, whatever the port (a
        // firewall in front of the tap may translate 8934).
        let sni = sni.trim_end_matches('.');
        if ctx.names.srv_targets.contains_key(sni) || ctx.names.srv_domains.contains(sni) {
            return Kind::Sbc;
        }
    }
    let srv_port = ctx
        .names
        .names(&ip)
        .filter_map(|n| ctx.names.srv_targets.get(n))
        .any(|ports| ports.contains(&c.server.port()));
    // Without SNI, an address that serves several names: the SBC's port
    // (or an SRV target's) tells the SBC before the names do.
    let port = c.server.port();
    if c.sni.is_none() {
        if port != 443 && (port == ctx.sbc_port || srv_port) {
            return Kind::Sbc;
        }
        if ctx.names.any_name(&ip, is_activation_lookup) {
            return Kind::Activation;
        }
        if ctx.names.any_name(&ip, is_provisioning_lookup) {
            return Kind::Provisioning;
        }
    }
    // SIP over TLS on its own port (5061, RFC 3261 26.2), or TLS to SIP's
    // cleartext port (a transport set to TLS with the proxy's port left at
    // 5060): the phone's proxy, reached by its address record or by IP.
    // (Named by the capture's DNS for that address when the phone sent a
    // name: another service on 5061 with a name of its own is not the SBC.)
    let named = c.sni.as_deref().is_none_or(|sni| {
        let sni = sni.trim_end_matches('.');
        ctx.names.names(&ip).any(|n| n.eq_ignore_ascii_case(sni))
    });
    let sips = named && (port == 5061 || port == 5060 && c.hello.is_some());
    if port == ctx.sbc_port || srv_port || sips {
        Kind::Sbc
    } else {
        Kind::Other
    }
}

/// The stage a host name belongs to, for a proxy's CONNECT target.
pub(super) fn host_kind(host: &str) -> Option<Kind> {
    if is_activation_name(host) {
        Some(Kind::Activation)
    } else if is_provisioning_name(host) {
        Some(Kind::Provisioning)
    } else {
        None
    }
}

/// Handshake type of CertificateRequest (RFC 5246 section 7.4.4).
const CERTIFICATE_REQUEST: u8 = 13;
