//! TFTP profile fetches for stage `local-config` (RFC 1350, options RFC 2347
//! and 2348): the phone's read requests grouped by server and file (a
//! request after the phone acknowledged the last DATA of the group starts a
//! later fetch of its own), and how each transfer ended.
//!
//! A transfer ends with a DATA shorter than the block size (512 bytes, or the
//! `blksize` of the server's OACK): only then did the phone get a profile,
//! unless it never acknowledged any DATA and asked for the file again (the
//! server's replies, from a new port of its own, never got back: a firewall
//! or NAT without a TFTP helper; an ICMP error refusing them is cited).
//! Block numbers may wrap past 65535 (files over 32 MB): every block counts. A
//! last DATA of full size means the transfer stopped (the server fell silent,
//! sent an ERROR, or its port is gone) or the capture ended first. Where the
//! DATA is missing from the capture, the phone's own ACKs say what it got. A
//! DATA cut by the snaplen hides its length: the transfer counts as done
//! unless what followed says otherwise. A multi-homed server may answer from
//! another of its addresses: its packets to the phone's port count, and the
//! address is named. An OACK the phone never acknowledges (an empty file's
//! tsize 0, or options it refuses with ERROR 8) gives it no profile, unless
//! the capture ends within a second of it.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

use super::local::Outcome;
use super::{ev, Ctx, Evidence};
use crate::fact::{Body, Fact};
use crate::proto::tftp::TftpPacket;

/// Seconds after the first DATA within which the phone's request for the
/// same file is a retry of the transfer, not a later fetch.
const RETRY_SECS: f64 = 15.0;

/// A block number this far below the last one is the next after a wrap
/// past 65535, not a block of the window sent again.
const WRAP_GAP: u16 = 32_768;

/// Block size without an OACK (RFC 1350).
const BLOCK: usize = 512;
/// Seconds after a full block within which the capture's end, not the
/// server, may have cut the transfer (the phone re-sends after a few).
const END_SECS: f64 = 5.0;

/// One profile fetch: its outcome, a description, the frames behind it.
pub(super) type Attempt = (Outcome, String, Vec<Evidence>);

/// The phone's TFTP read requests, grouped by server and file.
pub(super) fn attempts(ctx: &Ctx<'_>, out: &mut Vec<Attempt>) {
    let own: Vec<&Fact> = ctx.own().collect();
    let completed = completions(ctx, &own);
    let mut groups: Vec<(IpAddr, String, Vec<&Fact>)> = Vec::new();
    let mut group_of: HashMap<(IpAddr, &str), usize> = HashMap::new();
    for f in &own {
        let Body::Tftp(TftpPacket::Rrq { filename, .. }) = &f.body else {
            continue;
        };
        if !ctx.is_phone(&f.src_ip()) {
            continue;
        }
        // A request after the group's transfer completed is a later fetch
        // of the file (a resync, a reboot): a transfer of its own.
        let later = |g: &(IpAddr, String, Vec<&Fact>)| {
            let last = g.2.last().map_or(0, |r| r.frame);
            // (A completing ACK between the group's last request and this one.)
            (g.2.iter()).any(|r| {
                (completed.get(&(g.0, r.src)))
                    .is_some_and(|c| c.iter().any(|&c| c > last && c < f.frame))
            })
        };
        let at = group_of.get(&(f.dst_ip(), filename.as_str()));
        match at.filter(|&&at| groups.get(at).is_some_and(|g| !later(g))) {
            Some(&at) => groups.get_mut(at).into_iter().for_each(|g| g.2.push(f)),
            None => {
                group_of.insert((f.dst_ip(), filename.as_str()), groups.len());
                groups.push((f.dst_ip(), filename.clone(), vec![f]));
            }
        }
    }
    if groups.is_empty() {
        return;
    }
    let index = Exchanges::index(ctx, &own);
    let last_elsewhere = LastSent::of(ctx, &own, |_| true);
    let last_tcp = LastSent::of(ctx, &own, |f| matches!(f.body, Body::Tcp { .. }));
    // The last ACK the phone sent from each of its ports, to any address.
    let mut last_ack_from: HashMap<SocketAddr, u64> = HashMap::new();
    for f in &own {
        if matches!(f.body, Body::Tftp(TftpPacket::Ack { .. })) && ctx.is_phone(&f.src_ip()) {
            last_ack_from.insert(f.src, f.frame);
        }
    }
    for (server, file, rrqs) in groups {
        let first = rrqs.first().map_or(0, |f| f.frame);
        let mut ports: Vec<SocketAddr> = rrqs.iter().map(|f| f.src).collect();
        ports.sort_unstable();
        ports.dedup();
        let mut t = Transfer::default();
        // The server's packets to the phone's ports from another address
        // (a multi-homed server answering from its own primary address).
        let mut at: Vec<usize> = Vec::new();
        let mut other = None;
        // Answers from another address the phone refused (ERROR 5, unknown
        // transfer ID: RFC 1350 section 4): the first one, and its address.
        let mut refused: Option<(IpAddr, usize)> = None;
        for port in &ports {
            at.extend_from_slice(index.of(server, *port));
            for &(ip, i) in index.others(*port) {
                match (ip != server, index.refused_by_phone(ip, *port)) {
                    (true, false) => {
                        other = Some(ip);
                        at.push(i);
                    }
                    (true, true) => {
                        refused.get_or_insert((ip, i));
                    }
                    _ => {}
                }
            }
        }
        at.sort_unstable();
        at.dedup();
        for i in at {
            if let Some(f) = own.get(i).filter(|f| f.frame > first) {
                t.add(ctx, f);
            }
        }
        t.rrqs = rrqs.iter().map(|f| (f.frame, f.ts)).collect();
        // The phone's ACKs from these ports to any address (a multi-homed
        // server's other one included): it did get DATA.
        t.phone_acked = (ports.iter()).any(|p| last_ack_from.get(p).is_some_and(|&at| at > first));
        // An ICMP error about the server's DATA to the phone (a firewall
        // refusing the replies from the server's new port), after the first.
        // (A router's ICMP to the server is none of the phone's own facts:
        // looked up among all, from the first DATA on.)
        if let (Some(first_data), Some(at)) = (t.first_data, t.first_data_ts) {
            let from = ctx.facts.partition_point(|f| f.frame <= first_data);
            let soon = |f: &&Fact| at.secs_until(&f.ts) <= RETRY_SECS;
            let later = ctx.facts.get(from..).unwrap_or_default().iter();
            t.data_refused = later.take_while(soon).find(|f| {
                matches!(&f.body, Body::Icmp(u)
                    if u.orig_src.ip() == server
                        && ports.contains(&u.orig_dst)
                        && f.src_ip() != u.orig_dst.ip())
            });
        }
        // The phone's own ICMP port unreachable for the server's DATA: it
        // closed its socket (gave up).
        if let Some(first_data) = t.first_data {
            t.phone_closed = ctx.own().find(|f| {
                f.frame > first_data
                    && matches!(&f.body, Body::Icmp(u)
                        if u.kind == crate::packet::UnreachKind::Port
                            && u.orig_src.ip() == server
                            && ports.contains(&u.orig_dst)
                            && f.src_ip() == u.orig_dst.ip())
            });
        }
        let n = rrqs.len();
        let from = match other {
            Some(ip) => format!("{server}, answered from {ip}"),
            None => server.to_string(),
        };
        let what = match n {
            1 => format!("TFTP {file} from {from}"),
            _ => format!("TFTP {file} from {from} ({n} requests)"),
        };
        let mut evidence: Vec<Evidence> = rrqs
            .iter()
            .map(|f| ev(f, format!("TFTP RRQ {file} to {server}")))
            .collect();
        // The phone went on to other things after its last request (not
        // waiting at the capture's end).
        let last_rrq = rrqs.last().map_or(0, |f| f.frame);
        let went_on = last_elsewhere.other_than(server) > last_rrq;
        t.moved_on = t
            .oack
            .is_some_and(|o| last_tcp.other_than(server) > o.frame);
        let single_at_end =
            n == 1 && !went_on && rrqs.last().is_some_and(|f| ctx.secs_left(&f.ts) < 1.0);
        let outcome = match refused.filter(|_| t.is_silent()) {
            // Nothing from the address asked, only refused answers from
            // another: a multi-homed server (or a NAT) answering from the
            // wrong address.
            Some((ip, i)) => {
                if let Some(f) = own.get(i) {
                    evidence.push(ev(f, format!("TFTP from {ip}, refused by the phone")));
                }
                Outcome::NoAnswer(format!(
                    "the server answers from {ip}, not the address asked, and the phone refuses \
                     it (ERROR 5, unknown transfer ID): bind the TFTP server to {server} (a \
                     multi-homed server answers from its own primary address)"
                ))
            }
            None => t.outcome(ctx, server, single_at_end, &mut evidence),
        };
        out.push((outcome, what, evidence));
    }
}

/// The frames of the phone's ACKs of a last DATA (shorter than the block
/// size an OACK agreed on; without one, than 512 bytes or the socket's
/// largest DATA), by (server, phone socket): where a transfer completed.
fn completions(ctx: &Ctx<'_>, own: &[&Fact]) -> HashMap<(IpAddr, SocketAddr), Vec<u64>> {
    // The last DATA each phone socket got from each server address: block,
    // length, and the largest length seen there.
    let mut last: HashMap<(IpAddr, SocketAddr), (u16, usize, usize)> = HashMap::new();
    // The block size a server's OACK agreed on (RFC 2348).
    let mut agreed: HashMap<(IpAddr, SocketAddr), usize> = HashMap::new();
    let mut out: HashMap<(IpAddr, SocketAddr), Vec<u64>> = HashMap::new();
    for f in own {
        match &f.body {
            Body::Tftp(TftpPacket::Oack { options }) if !ctx.is_phone(&f.src_ip()) => {
                let size = (options.iter())
                    .find(|(k, _)| k.eq_ignore_ascii_case("blksize"))
                    .and_then(|(_, v)| v.trim().parse().ok());
                if let Some(size) = size {
                    agreed.insert((f.src_ip(), f.dst), size);
                }
            }
            Body::Tftp(TftpPacket::Data { block, len }) if !ctx.is_phone(&f.src_ip()) => {
                let seen = last
                    .entry((f.src_ip(), f.dst))
                    .or_insert((*block, *len, *len));
                *seen = (*block, *len, seen.2.max(*len));
            }
            Body::Tftp(TftpPacket::Ack { block }) if ctx.is_phone(&f.src_ip()) => {
                let key = (f.dst_ip(), f.src);
                // (A block as large as the largest may be a full one of a
                // larger negotiated size.)
                let short = |&(b, len, largest): &(u16, usize, usize)| {
                    let under = match agreed.get(&key) {
                        Some(&size) => len < size,
                        None => len < BLOCK || len < largest,
                    };
                    b == *block && under
                };
                if last.get(&key).is_some_and(short) {
                    out.entry(key).or_default().push(f.frame);
                }
            }
            _ => {}
        }
    }
    out
}

/// Positions (in the phone's facts) of the TFTP packets and ICMP errors of
/// each (server address, phone socket), in frame order: a group costs a
/// lookup per client port, not a scan of every later fact.
struct Exchanges {
    map: HashMap<(IpAddr, SocketAddr), Vec<usize>>,
    /// The server side's TFTP packets by the phone socket they went to.
    to_port: HashMap<SocketAddr, Vec<(IpAddr, usize)>>,
    /// (address, phone socket) the phone sent ERROR 5 to.
    unknown_tid: std::collections::HashSet<(IpAddr, SocketAddr)>,
}

impl Exchanges {
    fn index(ctx: &Ctx<'_>, own: &[&Fact]) -> Self {
        let mut map: HashMap<(IpAddr, SocketAddr), Vec<usize>> = HashMap::new();
        let mut to_port: HashMap<SocketAddr, Vec<(IpAddr, usize)>> = HashMap::new();
        let mut unknown_tid = std::collections::HashSet::new();
        for (i, f) in own.iter().enumerate() {
            if let Body::Tftp(TftpPacket::Error { code: 5, .. }) = &f.body {
                if ctx.is_phone(&f.src_ip()) {
                    unknown_tid.insert((f.dst_ip(), f.src));
                }
            }
            if matches!(f.body, Body::Tftp(_)) && !ctx.is_phone(&f.src_ip()) {
                to_port.entry(f.dst).or_default().push((f.src_ip(), i));
            }
            let key = match &f.body {
                Body::Tftp(TftpPacket::Rrq { .. } | TftpPacket::Wrq { .. }) => continue,
                Body::Tftp(_) if ctx.is_phone(&f.src_ip()) => (f.dst_ip(), f.src),
                Body::Tftp(_) => (f.src_ip(), f.dst),
                Body::Icmp(u) => (u.orig_dst.ip(), u.orig_src),
                Body::FragmentsLost { .. } if !ctx.is_phone(&f.src_ip()) => (f.src_ip(), f.dst),
                _ => continue,
            };
            map.entry(key).or_default().push(i);
        }
        Exchanges {
            map,
            to_port,
            unknown_tid,
        }
    }

    fn of(&self, server: IpAddr, port: SocketAddr) -> &[usize] {
        self.map.get(&(server, port)).map_or(&[], Vec::as_slice)
    }

    /// The phone answered packets from `ip` to its socket `port` with
    /// ERROR 5 (unknown transfer ID).
    fn refused_by_phone(&self, ip: IpAddr, port: SocketAddr) -> bool {
        self.unknown_tid.contains(&(ip, port))
    }

    /// Server packets to the phone socket `port`, with the address each
    /// came from.
    fn others(&self, port: SocketAddr) -> &[(IpAddr, usize)] {
        self.to_port.get(&port).map_or(&[], Vec::as_slice)
    }
}

/// What one group's transfer showed, after its first request.
#[derive(Default)]
struct Transfer<'a> {
    /// DATA by block: (length, cut by the snaplen); and the last DATA.
    blocks: BTreeMap<u16, (usize, bool)>,
    /// Block numbers seen since the numbers last wrapped past 65535.
    since_wrap: std::collections::BTreeSet<u16>,
    last_data: Option<(&'a Fact, u16, usize, bool)>,
    blksize: Option<usize>,
    /// The phone's ACKs: how often each block, and the last one.
    acks: BTreeMap<u16, u32>,
    last_ack: Option<(&'a Fact, u16)>,
    error: Option<(&'a Fact, u16, String)>,
    icmp: Option<&'a Fact>,
    /// The first ICMP error, when several refused the phone's requests.
    icmp_first: Option<&'a Fact>,
    /// The server's OACK (with its tsize, RFC 2349), whether the phone
    /// acknowledged it (ACK of block 0, RFC 2347), and the server's
    /// datagrams lost as IP fragments.
    oack: Option<&'a Fact>,
    tsize: Option<u64>,
    oack_acked: bool,
    /// The phone connected (TCP) to another server after the OACK.
    moved_on: bool,
    /// The phone's own ERROR (8: it refused the options, RFC 2347).
    phone_error: Option<(&'a Fact, u16, String)>,
    lost: Vec<&'a Fact>,
    /// Frames and times of the phone's requests for this file from this
    /// server.
    rrqs: Vec<(u64, crate::time::Timestamp)>,
    /// The phone sent an ACK from these ports, to whatever address.
    phone_acked: bool,
    /// Bytes and blocks of DATA received in order, block-number wraps
    /// included (retransmissions of the last block left out).
    total: usize,
    received: usize,
    /// The first DATA's frame and time.
    first_data: Option<u64>,
    first_data_ts: Option<crate::time::Timestamp>,
    /// An ICMP error about the server's DATA to the phone.
    data_refused: Option<&'a Fact>,
    /// The phone's own port unreachable for the server's DATA: it closed
    /// its socket, it gave the transfer up.
    phone_closed: Option<&'a Fact>,
}

impl<'a> Transfer<'a> {
    /// Nothing came from the server: no DATA, OACK, ERROR or ICMP error.
    fn is_silent(&self) -> bool {
        self.last_data.is_none()
            && self.oack.is_none()
            && self.error.is_none()
            && self.icmp.is_none()
    }

    fn add(&mut self, ctx: &Ctx<'_>, f: &'a Fact) {
        let from_phone = ctx.is_phone(&f.src_ip());
        match &f.body {
            Body::Tftp(TftpPacket::Data { block, len }) if !from_phone => {
                self.first_data_ts.get_or_insert(f.ts);
                // Block numbers wrap after 65535 (a file over 32 MB at 512
                // bytes a block): a block not seen since the last wrap
                // counts, a repeat does not (the last block re-sent, or
                // blocks of an RFC 7440 window sent again).
                let wrapped = (self.last_data)
                    .is_some_and(|(_, last, _, _)| *block < last && last - *block > WRAP_GAP);
                if wrapped {
                    self.since_wrap.clear();
                }
                let repeat = !self.since_wrap.insert(*block);
                if !repeat {
                    self.total = self.total.saturating_add(*len);
                    self.received = self.received.saturating_add(1);
                }
                self.blocks.insert(*block, (*len, f.truncated));
                self.last_data = Some((f, *block, *len, f.truncated));
                self.first_data.get_or_insert(f.frame);
            }
            Body::Tftp(TftpPacket::Oack { options }) if !from_phone => {
                self.oack = Some(f);
                let size = options
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("blksize"));
                self.blksize = size.and_then(|(_, v)| v.trim().parse().ok());
                let tsize = options
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("tsize"));
                self.tsize = tsize.and_then(|(_, v)| v.trim().parse().ok());
            }
            Body::Tftp(TftpPacket::Ack { block: 0 }) if from_phone => self.oack_acked = true,
            Body::Tftp(TftpPacket::Ack { block }) if from_phone && *block > 0 => {
                *self.acks.entry(*block).or_default() += 1;
                self.last_ack = Some((f, *block));
            }
            Body::Tftp(TftpPacket::Error { code, message }) if !from_phone => {
                self.error = Some((f, *code, message.clone()));
            }
            Body::Tftp(TftpPacket::Error { code, message }) => {
                self.phone_error = Some((f, *code, message.clone()));
            }
            Body::Icmp(_) => {
                self.icmp_first.get_or_insert(f);
                self.icmp = Some(f);
            }
            Body::FragmentsLost { .. } if !from_phone => self.lost.push(f),
            _ => {}
        }
    }

    /// The server's DATA never reached the phone: it acknowledged no block
    /// and asked for the file again after DATA came (RFC 1350: a client that
    /// got DATA acknowledges it), or an ICMP error (a firewall's, or the
    /// phone's) refused it. The server answers from a new port of its own,
    /// which a firewall or NAT without a TFTP helper does not let back.
    fn data_unreached(&self, server: IpAddr, evidence: &mut Vec<Evidence>) -> Option<String> {
        let (first, first_ts) = (self.first_data?, self.first_data_ts?);
        if !self.acks.is_empty() || self.last_ack.is_some() || self.oack_acked || self.phone_acked
        {
            return None;
        }
        // Requests sent again soon after the DATA (a retry, not a later
        // fetch of the same file).
        let again = (self.rrqs.iter())
            .filter(|(r, ts)| *r > first && first_ts.secs_until(ts) <= RETRY_SECS)
            .count();
        // (The phone's own ICMP after a DATA may just be its socket closed
        // once it had the file: only another host's refusal counts.)
        let refused = self.data_refused;
        if again == 0 && refused.is_none() {
            return None;
        }
        let how = match refused {
            Some(f) => {
                let (e, text) = icmp_text(f);
                evidence.push(e);
                format!("{text}; ")
            }
            None => String::new(),
        };
        let asked = match again {
            0 => String::new(),
            n => format!(
                "the phone acknowledged no block and asked again {}; ",
                crate::text::plural(n, "time", "times")
            ),
        };
        Some(format!(
            "{server}'s DATA never reached the phone ({how}{asked}the server answers from a new \
             port of its own, which a firewall or NAT without a TFTP helper does not let back)"
        ))
    }

    /// Bytes of the blocks the capture holds.
    fn bytes(&self) -> usize {
        // More blocks received in order than block numbers seen: the numbers
        // wrapped (TFTP is lock-step: only the last block is ever re-sent).
        let distinct: usize = self.blocks.values().map(|(len, _)| len).sum();
        match self.received > self.blocks.len() {
            true => self.total,
            false => distinct,
        }
    }

    fn outcome(
        &self,
        ctx: &Ctx<'_>,
        server: IpAddr,
        single_at_end: bool,
        evidence: &mut Vec<Evidence>,
    ) -> Outcome {
        let after = |f: &Fact, since: u64| f.frame > since;
        let Some((data, block, len, cut)) = self.last_data else {
            return self.without_data(ctx, server, single_at_end, evidence);
        };
        let bytes = self.bytes();
        // Without the OACK, a block larger than 512 shows a larger size.
        let largest = self.blocks.values().map(|(len, _)| *len).max().unwrap_or(0);
        let blksize = self.blksize.unwrap_or(largest.max(BLOCK));
        let text = match self.received.max(self.blocks.len()) {
            0 | 1 => format!("TFTP DATA from {server}, {bytes} bytes"),
            n => format!("TFTP DATA from {server}, {bytes} bytes in {n} blocks, the last {len}"),
        };
        evidence.push(ev(data, text));
        // What came after the last DATA.
        let error = self.error.as_ref().filter(|e| after(e.0, data.frame));
        let icmp = self.icmp.filter(|f| after(f, data.frame));
        let resent = self.acks.get(&block).copied().unwrap_or(0) > 1;
        // DATA lengths come from the UDP header: a block the snaplen cut
        // still tells whether it was the short last one.
        if let Some(lost) = self.data_unreached(server, evidence) {
            return Outcome::NoAnswer(lost);
        }
        if len < blksize && bytes == 0 {
            return Outcome::NotFound("an empty file (0 bytes): no profile".to_string());
        }
        if len < blksize {
            let cut = if cut {
                "; frames cut by the snaplen"
            } else {
                ""
            };
            return Outcome::Fetched(format!("profile downloaded ({bytes} bytes{cut})"));
        }
        let stopped = format!("transfer stopped after {bytes} bytes (block {block} was full)");
        if let Some(e) = error {
            let (e, text) = error_text(e);
            evidence.push(e);
            return Outcome::NoAnswer(format!("{stopped}: {text}"));
        }
        if let Some(f) = icmp {
            let (e, text) = icmp_text(f);
            evidence.push(e);
            return Outcome::NoAnswer(format!("{stopped}: {text}, the server is gone"));
        }
        // The phone acknowledged a block the capture has no DATA of: it got
        // it (the tap missed it, fragments included), nothing was lost.
        if let Some((f, acked)) = self.last_ack.filter(|(_, acked)| *acked > block) {
            evidence.push(ev(f, format!("TFTP ACK of block {acked} to {server}")));
            return Outcome::Fetched(format!(
                "profile downloaded as far as the capture tells ({bytes} bytes captured; the \
                 phone acknowledged block {acked}, whose DATA the capture lacks)"
            ));
        }
        if let Some(lost) = self.lost_after(server, data.frame, evidence) {
            return Outcome::NoAnswer(format!("{stopped}: {lost}"));
        }
        // The phone's own ERROR after the last DATA ends the transfer
        // (RFC 1350 section 7): it gave up, whatever the capture's end.
        let gave_up = (self.phone_error.as_ref())
            .filter(|e| after(e.0, data.frame))
            .map(|e| {
                let (e, text) = error_text(e);
                evidence.push(Evidence {
                    text: format!("{} from the phone", e.text),
                    ..e
                });
                format!("; the phone gave up and ended it ({text})")
            });
        // The phone closed its socket: its port refuses the server's DATA.
        if let Some(f) = self.phone_closed.filter(|_| gave_up.is_none()) {
            let acked = self.last_ack.map_or(0, |(_, b)| b);
            evidence.push(ev(
                f,
                "ICMP port unreachable from the phone: it closed the transfer",
            ));
            return Outcome::NoAnswer(format!(
                "transfer stopped: the phone gave up after acknowledging block {acked} (its \
                 port refused the server's next DATA, ICMP port unreachable #{}); the server \
                 sends too slowly or the path loses its DATA",
                f.frame
            ));
        }
        if resent {
            if let Some((f, _)) = self.last_ack {
                evidence.push(ev(f, format!("TFTP ACK {block} re-sent")));
            }
            let n = self.acks.get(&block).copied().unwrap_or(0);
            return Outcome::NoAnswer(format!(
                "{stopped}: the server sent no block after {block}, the phone sent its ACK {n} \
                 times{}",
                gave_up.unwrap_or_default()
            ));
        }
        if let Some(gave_up) = gave_up {
            return Outcome::NoAnswer(format!("{stopped}: nothing more came{gave_up}"));
        }
        if ctx.secs_left(&data.ts) < END_SECS {
            return Outcome::Pending(format!(
                "the capture ends during the transfer ({bytes} bytes so far)"
            ));
        }
        Outcome::NoAnswer(format!("{stopped}: nothing followed"))
    }

    /// No DATA captured: the server's ERROR or ICMP, or the phone's ACKs
    /// (the DATA missed by the capture), or nothing.
    fn without_data(
        &self,
        ctx: &Ctx<'_>,
        server: IpAddr,
        single_at_end: bool,
        evidence: &mut Vec<Evidence>,
    ) -> Outcome {
        if let Some(e) = &self.error {
            let (e, text) = error_text(e);
            evidence.push(e);
            return Outcome::NotFound(text);
        }
        if let Some(f) = self.icmp {
            // (Each request refused: the first ICMP cited too.)
            if let Some(first) = self.icmp_first.filter(|g| g.frame != f.frame) {
                evidence.push(icmp_text(first).0);
            }
            let (e, text) = icmp_text(f);
            evidence.push(e);
            return Outcome::NoAnswer(format!("{text}: no TFTP server there"));
        }
        if let Some((f, block)) = self.last_ack {
            let blocks = crate::text::plural(usize::from(block), "block", "blocks");
            evidence.push(ev(f, format!("TFTP ACK of block {block} to {server}")));
            return Outcome::Fetched(format!(
                "profile downloaded (the phone acknowledged {blocks}; the server's DATA is not \
                 in the capture)"
            ));
        }
        let oack = self.oack.map(|f| {
            let size = self
                .blksize
                .map_or(String::new(), |b| format!(", blksize {b}"));
            evidence.push(ev(f, format!("TFTP OACK from {server}{size}")));
            format!("the server acknowledged the options (#{}{size})", f.frame)
        });
        if let Some(lost) = self.lost_after(server, 0, evidence) {
            return Outcome::NoAnswer(oack.map_or(lost.clone(), |o| format!("{o}, but {lost}")));
        }
        // The capture ends right after the OACK: the phone's answer to it
        // may be just after the end.
        // (Unless it already connected elsewhere: it went on without it.)
        let oack_at_end = !self.moved_on
            && self.phone_error.is_none()
            && self.oack.is_some_and(|f| ctx.secs_left(&f.ts) < 1.0);
        if let (Some(o), false, true) = (&oack, self.oack_acked, oack_at_end) {
            return Outcome::Pending(format!("{o}; the capture ends right after it"));
        }
        // The phone never took up the transfer its OACK offered (RFC 2347:
        // it ACKs block 0 to start it).
        let waiting = single_at_end && self.phone_error.is_none();
        if let (Some(o), false, false) = (&oack, self.oack_acked, waiting) {
            return match self.tsize {
                Some(0) => Outcome::NotFound(format!(
                    "{o}, tsize 0 (an empty file): the phone did not take it up, no profile"
                )),
                _ => match &self.phone_error {
                    Some((f, code, msg)) if single_at_end => {
                        evidence.push(ev(f, format!("TFTP ERROR {code} '{msg}' from the phone")));
                        Outcome::Pending(format!(
                            "{o}, the phone refused them (ERROR {code} '{msg}', #{}); the capture \
                             ends before it asked again",
                            f.frame
                        ))
                    }
                    Some((f, code, msg)) => {
                        evidence.push(ev(f, format!("TFTP ERROR {code} '{msg}' from the phone")));
                        Outcome::NoAnswer(format!(
                            "{o}, but the phone refused them (ERROR {code} '{msg}', #{}) and \
                             took no profile",
                            f.frame
                        ))
                    }
                    None => Outcome::NoAnswer(format!(
                        "{o}, but the phone never started the transfer (no ACK of the OACK)"
                    )),
                },
            };
        }
        if single_at_end {
            return Outcome::Pending("the capture ends before the answer".to_string());
        }
        match oack {
            Some(o) => Outcome::NoAnswer(format!("{o} but no DATA followed")),
            None => Outcome::NoAnswer("no answer".to_string()),
        }
    }

    /// The server's datagrams after frame `after` that came as IP fragments
    /// never all arrived (blocks larger than the path's MTU), in words.
    fn lost_after(
        &self,
        server: IpAddr,
        after: u64,
        evidence: &mut Vec<Evidence>,
    ) -> Option<String> {
        let lost: Vec<&Fact> = self
            .lost
            .iter()
            .copied()
            .filter(|f| f.frame > after)
            .collect();
        for f in &lost {
            evidence.push(ev(f, super::lost_text(f, server)));
        }
        let first = lost.first()?;
        Some(format!(
            "its DATA came in IP fragments that never all arrived ({}, from #{}): blocks larger \
             than the path's MTU, their fragments lost on the way",
            crate::text::plural(lost.len(), "datagram", "datagrams"),
            first.frame
        ))
    }
}

/// The phone's last two sends to distinct addresses (frame, address): the
/// last frame it sent anywhere but one server, in constant time per server
/// (a capture of endless retries has as many servers as requests).
#[derive(Default)]
struct LastSent([(u64, Option<IpAddr>); 2]);

impl LastSent {
    /// Of the phone's sends that `keep` keeps.
    fn of(ctx: &Ctx<'_>, own: &[&Fact], keep: impl Fn(&Fact) -> bool) -> Self {
        let mut last = LastSent::default();
        for f in own.iter().filter(|f| ctx.is_phone(&f.src_ip()) && keep(f)) {
            let to = Some(f.dst_ip());
            match last.0 {
                [(_, ip), _] if ip == to => last.0[0].0 = f.frame,
                [newest, _] => last.0 = [(f.frame, to), newest],
            }
        }
        last
    }

    /// The last frame the phone sent to an address other than `server`.
    fn other_than(&self, server: IpAddr) -> u64 {
        match self.0 {
            [(frame, Some(ip)), _] if ip != server => frame,
            [_, (frame, _)] => frame,
        }
    }
}

/// The evidence and the words of a server's ERROR.
fn error_text((f, code, msg): &(&Fact, u16, String)) -> (Evidence, String) {
    let text = format!("ERROR {code} '{msg}'");
    (ev(f, format!("TFTP {text}")), text)
}

/// The evidence and the words of an ICMP error.
fn icmp_text(f: &Fact) -> (Evidence, String) {
    match &f.body {
        Body::Icmp(u) => {
            let words = u.kind.words();
            (
                ev(f, format!("ICMP {words} from {}", f.src_ip())),
                format!("ICMP {words}"),
            )
        }
        _ => (ev(f, "ICMP error"), "ICMP error".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::names::NameMap;
    use crate::verdict::test_support::{ctx, fact, phone};

    const PHONE: &str = "192.0.2.101:2000";
    const SERVER: &str = "192.0.2.10:3000";

    fn rrq() -> Body {
        Body::Tftp(TftpPacket::Rrq {
            filename: "CP-8851-3PCC.xml".into(),
            mode: "octet".into(),
            options: Vec::new(),
        })
    }

    fn data(block: u16, len: usize) -> Body {
        Body::Tftp(TftpPacket::Data { block, len })
    }

    fn ack(block: u16) -> Body {
        Body::Tftp(TftpPacket::Ack { block })
    }

    /// The outcome's words for the phone's packets (`true`: from the phone)
    /// at one-second steps, in a capture ending at `end` seconds.
    fn judge(packets: Vec<(bool, Body)>, end: i64) -> String {
        let mut facts = vec![fact(1, 0, PHONE, "192.0.2.10:69", rrq())];
        for (i, (from_phone, body)) in packets.into_iter().enumerate() {
            let (src, dst) = if from_phone {
                (PHONE, SERVER)
            } else {
                (SERVER, PHONE)
            };
            facts.push(fact(i as u64 + 2, i as i64 + 1, src, dst, body));
        }
        let p = phone("192.0.2.101", (0..facts.len()).collect());
        let names = NameMap::default();
        let mut out = Vec::new();
        attempts(&ctx(&facts, &p, &names, end), &mut out);
        match out.pop().map(|a| a.0) {
            Some(Outcome::Fetched(s)) => format!("fetched: {s}"),
            Some(Outcome::NotFound(s)) => format!("not found: {s}"),
            Some(Outcome::NoAnswer(s)) => format!("no answer: {s}"),
            Some(Outcome::WebPage(s)) => format!("web page: {s}"),
            Some(Outcome::Pending(s)) => format!("pending: {s}"),
            Some(Outcome::Refused(s, _) | Outcome::Hidden(s)) => format!("https: {s}"),
            None => "none".into(),
        }
    }

    #[test]
    fn block_numbers_that_wrap_count_every_block() {
        // 34,000,000 bytes in 512-byte blocks: 1..65535, then 0..871, the
        // last 128 bytes (tftp-hpa and tftpd-hpa wrap to 0).
        let mut packets = Vec::new();
        let blocks = 34_000_000 / 512;
        for n in 1..=blocks {
            packets.push((false, data((n % 65_536) as u16, 512)));
            packets.push((true, ack((n % 65_536) as u16)));
        }
        packets.push((false, data(((blocks + 1) % 65_536) as u16, 128)));
        let said = judge(packets, 200_000);
        assert_eq!(said, "fetched: profile downloaded (34000000 bytes)");
        // A re-sent last block counts once.
        let resent = vec![
            (false, data(1, 512)),
            (false, data(1, 512)),
            (false, data(2, 8)),
        ];
        assert_eq!(judge(resent, 60), "fetched: profile downloaded (520 bytes)");
        // A window's blocks sent again (RFC 7440) count once.
        let window = vec![
            (false, data(1, 512)),
            (false, data(2, 512)),
            (false, data(1, 512)),
            (false, data(2, 512)),
            (false, data(3, 8)),
        ];
        assert_eq!(
            judge(window, 60),
            "fetched: profile downloaded (1032 bytes)"
        );
    }

    #[test]
    fn an_empty_file_is_no_profile() {
        let empty = vec![(false, data(1, 0)), (true, ack(1))];
        assert_eq!(
            judge(empty, 60),
            "not found: an empty file (0 bytes): no profile"
        );
    }

    #[test]
    fn only_a_short_block_ends_a_transfer() {
        let done = vec![(false, data(1, 512)), (true, ack(1)), (false, data(2, 100))];
        assert_eq!(judge(done, 60), "fetched: profile downloaded (612 bytes)");
        let stalled = vec![
            (false, data(1, 512)),
            (true, ack(1)),
            (false, data(2, 512)),
            (true, ack(2)),
            (true, ack(2)),
        ];
        let said = judge(stalled, 60);
        assert!(
            said.starts_with("no answer: transfer stopped after 1024 bytes"),
            "{said}"
        );
        assert!(said.ends_with("the phone sent its ACK 2 times"), "{said}");
        let quiet = vec![(false, data(1, 512)), (true, ack(1))];
        assert!(judge(quiet.clone(), 60).ends_with("nothing followed"));
        assert_eq!(
            judge(quiet, 3),
            "pending: the capture ends during the transfer (512 bytes so far)"
        );
    }

    #[test]
    fn an_ack_beyond_the_captured_data_is_a_download_the_tap_missed() {
        let packets = vec![(false, data(1, 512)), (true, ack(1)), (true, ack(2))];
        let said = judge(packets, 60);
        assert!(
            said.starts_with("fetched: profile downloaded as far as"),
            "{said}"
        );
    }

    #[test]
    fn an_oack_sets_the_block_size_and_the_phones_acks_stand_for_missing_data() {
        let oack = Body::Tftp(TftpPacket::Oack {
            options: vec![("blksize".into(), "1024".into())],
        });
        let big = vec![(false, oack), (true, ack(0)), (false, data(1, 1000))];
        assert_eq!(judge(big, 60), "fetched: profile downloaded (1000 bytes)");
        let short = vec![(false, data(1, 1024)), (false, data(2, 1000))];
        assert!(judge(short, 60).starts_with("fetched"), "OACK not captured");
        let full = vec![(false, data(1, 1024))];
        assert!(
            judge(full, 60).starts_with("no answer"),
            "a full block of unknown size"
        );
        let acks_only = vec![(true, ack(1)), (true, ack(2))];
        assert!(judge(acks_only, 60).contains("the phone acknowledged 2 blocks"));
    }
}
