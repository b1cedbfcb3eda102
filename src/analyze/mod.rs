//! The driver: one sequential pass over a capture, from frames to facts.
//!
//! Frames go through the packet decoder (with its early filter); UDP
//! datagrams go straight to the decoders ([`udp`]); TCP segments go through
//! the flow table, whose in-order bytes feed per-connection parsers
//! ([`tcp`]). Connections that carry nothing we read are switched to
//! outcome-only tracking on their first bytes, which keeps bulk HTTPS cheap.

mod collect;
mod facts;
mod link_words;
mod tcp;
mod udp;

use std::path::Path;

use serde::Serialize;

use crate::capture::{
    CaptureError, CaptureReader, Format, Reordered, MAX_FRAMES, TOO_MANY_FRAMES,
};
use crate::fact::Fact;
use crate::flow::{FlowLimits, FlowStats, FlowTable};
use crate::packet::{DecodeLimits, DecodeStats, Decoded, Decoder, LostDatagram, Transport};
use crate::text::agree;
use crate::time::Timestamp;
use collect::Collector;

/// Knobs of one analysis.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// TCP port of the SBC (Webex Calling: 8934).
    pub sbc_port: u16,
    pub decode_limits: DecodeLimits,
    pub flow_limits: FlowLimits,
    /// A large capture may use a helper thread: UDP decoding and the facts
    /// list beside the frame walk. Off when the cores are busy with other
    /// captures already (`scan`). The result is the same either way.
    pub worker_thread: bool,
    /// Say on stderr, as it happens, where a capture stopped early. Off in
    /// `scan`, which says it after the scan in path order, so that its
    /// stderr is the same whatever the thread count.
    pub log_stop: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sbc_port: 8934,
            decode_limits: DecodeLimits::default(),
            flow_limits: FlowLimits::default(),
            worker_thread: true,
            log_stop: true,
        }
    }
}

/// Reassembly and table bounds that were hit (OUTPUT.md `bounds_hit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BoundsHit {
    pub fragments: u64,
    pub tcp_buffers: u64,
    pub flows: u64,
}

/// Per-capture counters of what could not be used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub undecodable: u64,
    pub truncated_by_snaplen: u64,
    pub bounds_hit: BoundsHit,
    #[serde(skip)]
    pub decode: DecodeStats,
    #[serde(skip)]
    pub flow: FlowStats,
}

/// The warning of a capture read to its end (or cut) before any frame: a
/// header only, nothing to analyse (exit 2 when no capture has more).
pub const NO_FRAMES: &str = "the capture holds no frames";

/// What is known about one capture file.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureSummary {
    pub path: String,
    /// `None` for a file a scan could not read (see [`CaptureSummary::not_read`]).
    pub format: Option<Format>,
    pub compressed: bool,
    pub frames: u64,
    /// False when the file was cut short: the report is partial.
    pub complete: bool,
    pub stats: Stats,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub first_ts: Option<Timestamp>,
    #[serde(skip)]
    pub last_ts: Option<Timestamp>,
    /// Phones found but not shown: `--phone` matched none of them.
    #[serde(skip)]
    pub unmatched_phones: usize,
    /// Reading stopped on invalid bytes, not on the file's end.
    #[serde(skip)]
    pub broken: bool,
    /// Where and why reading stopped early (also among the warnings).
    #[serde(skip)]
    pub stopped: Option<String>,
    /// Who asked ARP for whom, and who answered.
    #[serde(skip)]
    pub arp: crate::packet::ArpLog,
}

impl CaptureSummary {
    /// A file `scan` found and could not read: listed in the JSON document
    /// with no frames, not complete, and the reason as its warning.
    pub fn not_read(path: &str, why: &str) -> Self {
        CaptureSummary {
            path: path.to_string(),
            format: None,
            compressed: false,
            frames: 0,
            complete: false,
            stats: Stats::default(),
            warnings: vec![format!("not read: {why}")],
            first_ts: None,
            last_ts: None,
            unmatched_phones: 0,
            broken: true,
            stopped: None,
            arp: Default::default(),
        }
    }

    /// Why nothing of a capture could be analysed although it was opened:
    /// invalid bytes before its first frame, every frame on a link type
    /// provscope does not read, or (nearly) every frame failing at the link
    /// layer: a header that names the wrong link type.
    pub fn unreadable(&self) -> Option<String> {
        // Cut short before any frame is a partial (empty) report; invalid
        // bytes before any frame leave nothing analysed.
        if self.frames == 0 && self.broken {
            // "capture cut short before its first frame: <where and what>"
            let why = self
                .warnings
                .iter()
                .find_map(|w| w.split_once("before its first frame: "));
            return Some(
                why.map_or("broken before its first frame".to_string(), |(_, w)| {
                    format!("broken before its first frame: {w}")
                }),
            );
        }
        let d = &self.stats.decode;
        if d.unsupported_linktype < self.frames {
            return link_words::mislabelled(self.frames, d);
        }
        (self.frames > 0 && d.unsupported_linktype == self.frames).then(|| {
            format!(
                "none of its {} frames is on a link type provscope reads (first: {}); it reads \
                 Ethernet (1), Linux SLL (113) and SLL2 (276), raw IP (101, 12, 14, 228, 229), \
                 loopback (0, 108), NFLOG (239)",
                self.frames,
                d.unsupported_linktype_first.unwrap_or_default()
            )
        })
    }

    /// Seconds between the first and the last frame.
    pub fn duration_secs(&self) -> f64 {
        match (self.first_ts, self.last_ts) {
            (Some(a), Some(b)) => a.secs_until(&b).max(0.0),
            _ => 0.0,
        }
    }
}

/// The fact of a UDP datagram whose fragments after the first never all
/// came, at its first fragment's frame.
fn lost_fact(l: &LostDatagram) -> Fact {
    let h = &l.head;
    Fact {
        frame: h.frame,
        ts: h.ts,
        src: std::net::SocketAddr::new(l.src, h.sport),
        dst: std::net::SocketAddr::new(l.dst, h.dport),
        l4: crate::fact::L4::Udp,
        src_mac: h.l2.src_mac,
        dst_mac: h.l2.dst_mac,
        vlan: h.l2.vlan,
        truncated: false,
        ip_id: None,
        body: crate::fact::Body::FragmentsLost {
            held_bytes: l.held_bytes,
            fragments: l.fragments,
        },
    }
}

/// Where a capture stopped: "after frame 12", or before its first one.
fn after_frame(frames: u64) -> String {
    match frames {
        0 => "before its first frame".to_string(),
        n => format!("after frame {n}"),
    }
}

/// A capture's summary and its facts in frame order.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub capture: CaptureSummary,
    pub facts: Vec<Fact>,
}

/// Opens and analyses a capture. Err only when nothing could be read.
pub fn analyze_path(path: &Path, opts: &Options) -> Result<Analysis, CaptureError> {
    let reader = CaptureReader::open(path)?;
    Ok(analyze_reader(reader, &crate::text::path_text(path), opts))
}

/// Analyses an opened capture to its end (or its first read error). A
/// capture that steps back in time is analysed again in time order when it
/// can be read again (`capture/ordered.rs`); otherwise in file order.
pub fn analyze_reader(reader: CaptureReader, path: &str, opts: &Options) -> Analysis {
    // (Only a walk that may stop stops.)
    let whole = |walked: Option<Analysis>| walked.unwrap_or_else(|| empty(path, "no walk"));
    let Some(reopen) = reader.reopen() else {
        return whole(walk(reader, path, opts, Order::File(None)));
    };
    if let Some(first) = walk(reader, path, opts, Order::UntilStepBack) {
        return first;
    }
    // Stepped back: the first walk is dropped, the capture read in time order.
    log::info!("{path}: steps back in time; read again in time order");
    match reopen.in_time_order() {
        Ok(Reordered::TimeOrder(r)) => whole(walk(r, path, opts, Order::Time)),
        Ok(Reordered::FileOrder(r, why)) => whole(walk(r, path, opts, Order::File(Some(&why)))),
        Err(e) => {
            let why = format!(
                "the capture steps back in time and could not be read again to put it in \
                 time order: {e}"
            );
            log::warn!("{path}: {why}");
            empty(path, &why)
        }
    }
}

/// The analysis of a capture that could not be read: nothing, and why.
fn empty(path: &str, why: &str) -> Analysis {
    Analysis {
        capture: CaptureSummary::not_read(path, why),
        facts: Vec::new(),
    }
}

/// The order a walk reads frames in.
#[derive(Clone, Copy)]
enum Order<'a> {
    /// File order; stop at the first frame earlier than the one before it.
    UntilStepBack,
    /// File order to the end; why the capture was not put in time order.
    File(Option<&'a str>),
    /// Time order (the reader sorted the frames).
    Time,
}

/// One walk of a capture; with [`Order::UntilStepBack`], None when it
/// stepped back (left unfinished).
fn walk(mut reader: CaptureReader, path: &str, opts: &Options, order: Order) -> Option<Analysis> {
    // (A step back past the frames that could be sorted: file order, said.)
    let mut order = order;
    let mut decoder = Decoder::new(opts.decode_limits);
    // Frames decoded to an IP packet (see `DecodeStats::ip_packets`).
    let mut ip_packets = 0u64;
    let mut table: FlowTable<tcp::ConnState> = FlowTable::new(opts.flow_limits);
    let mut tcp_side = tcp::TcpSide::new(opts.sbc_port);
    // Facts of the TCP side, on their way to the collector.
    let mut tcp_facts = Vec::new();
    let mut frames = 0u64;
    let (mut first_ts, mut last_ts) = (None::<Timestamp>, None::<Timestamp>);
    let (mut last_ns, mut backwards) = (0i64, 0u64);
    let mut warnings = Vec::new();
    let mut complete = true;
    let mut broken = false;
    let mut stopped = None;
    let mut stepped_back = false;

    let (udp_side, mut facts) = std::thread::scope(|scope| {
        let mut collect = Collector::new(udp::UdpSide::default(), facts::Facts::default());
        // The frame walk: the only loop that sees every frame.
        loop {
            // Answers lost as IP fragments, found by the last frame.
            if let Some(lost) = decoder.take_lost() {
                tcp_facts.extend(lost.iter().map(lost_fact));
                collect.facts(&mut tcp_facts);
            }
            let frame = match reader.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    complete = false;
                    broken = !matches!(e, CaptureError::Truncated { .. });
                    // Offsets into a gzip file count decompressed bytes.
                    let why = match reader.compressed() {
                        true => {
                            e.to_string()
                                .replacen("byte offset", "decompressed byte offset", 1)
                        }
                        false => e.to_string(),
                    };
                    let stop = match &e {
                        CaptureError::Malformed { offset, .. } => {
                            let mut left =
                                reader.unread_after(*offset).map_or(String::new(), |n| {
                                    format!("; the {n} bytes from there on were not read")
                                });
                            // Corrupt compressed data inflates to garbage
                            // before gzip's checksum at the member's end.
                            if reader.compressed() {
                                left.push_str(
                                    " (if `gzip -t` reports the file corrupt, that is the cause)",
                                );
                            }
                            let at = format!("{}: {why}{left}", after_frame(frames));
                            format!("capture stopped at invalid bytes {at}")
                        }
                        _ => format!("capture cut short {}: {why}", after_frame(frames)),
                    };
                    // Invalid bytes before the first frame are the
                    // capture's error (`unreadable`): one line, not two.
                    // Said as the document says it ("cut short after frame
                    // 13: ..."), which ndjson, phones only, cannot.
                    if (frames > 0 || !broken) && opts.log_stop {
                        log::warn!("{path}: {stop}");
                    }
                    warnings.push(stop.clone());
                    stopped = Some(stop);
                    break;
                }
            };
            // Frames as numbered (Wireshark numbers pcapng custom blocks too):
            // the count agrees with the evidence's frame numbers.
            frames = frame.number.max(frames + 1);
            if frames >= collect::WORKER_AFTER_FRAMES && opts.worker_thread {
                collect.start_worker(scope);
            }
            // Earliest and latest, not first and last: a badly merged
            // capture steps back in time, and is counted.
            match (first_ts, last_ts) {
                (Some(first), Some(last)) => {
                    if frame.ts.ns < last_ns {
                        backwards += 1;
                        match order {
                            Order::UntilStepBack if frames > MAX_FRAMES as u64 => {
                                order = Order::File(Some(TOO_MANY_FRAMES));
                            }
                            Order::UntilStepBack => {
                                stepped_back = true;
                                break;
                            }
                            _ => {}
                        }
                    }
                    last_ns = frame.ts.ns;
                    if frame.ts.ns < first.ns {
                        first_ts = Some(frame.ts);
                    }
                    if frame.ts.ns > last.ns {
                        last_ts = Some(frame.ts);
                    }
                }
                _ => {
                    (first_ts, last_ts, last_ns) = (Some(frame.ts), Some(frame.ts), frame.ts.ns);
                }
            }
            let (number, ts) = (frame.number, frame.ts);
            // Bulk TCP of a connection followed for its outcome only: passed
            // over before any decode.
            if let Some((src, dst)) = crate::packet::bulk_endpoints(&frame) {
                if table.passes_over(&src, &dst) {
                    continue;
                }
            }
            let Decoded::Packet(p) = decoder.decode(&frame) else {
                continue;
            };
            ip_packets += 1;
            match p.transport {
                Transport::Udp { sport, dport, .. } => collect.udp(number, ts, &p, sport, dport),
                Transport::Tcp(seg) => {
                    let (src, dst) = tcp::endpoints(&p, &seg);
                    let (mac, vlan) = (p.l2.src_mac, p.l2.vlan);
                    if p.truncated {
                        tcp_side.cut_by_snaplen(src, dst, seg.cut.is_some());
                    }
                    let mut sink = tcp_side.sink(&mut tcp_facts);
                    table.segment(number, ts, src, dst, mac, vlan, &seg, &mut sink);
                    drop(sink);
                    collect.facts(&mut tcp_facts);
                }
                Transport::IcmpUnreachable(u) if u.orig_proto == 6 => {
                    table.unreachable(number, ts, &u, p.src);
                    // A packet too big is told beside the stage it slowed.
                    if u.frag_needed() {
                        collect.unreachable(number, ts, &p, &u);
                    }
                }
                Transport::IcmpUnreachable(u) => collect.unreachable(number, ts, &p, &u),
            }
        }
        collect.finish()
    });
    if stepped_back {
        return None;
    }

    // Blocks numbered after the last packet (pcapng custom blocks) count,
    // as Wireshark counts them.
    frames = frames.max(reader.numbered());
    // End of capture: pending attempts get their outcome, facts their order.
    decoder.finish();
    if let Some(lost) = decoder.take_lost() {
        tcp_facts.extend(lost.iter().map(lost_fact));
    }
    table.finish(&mut tcp_side.sink(&mut tcp_facts));
    tcp_facts.drain(..).for_each(|f| facts.push(f));
    let facts = facts.into_sorted();
    warnings.extend(reader.warnings());
    let decode = DecodeStats {
        ip_packets,
        ..decoder.stats()
    };
    let flow = table.stats();
    let stats = Stats {
        undecodable: decode.undecodable + udp_side.malformed + tcp_side.malformed,
        truncated_by_snaplen: decode.truncated_by_snaplen,
        bounds_hit: BoundsHit {
            fragments: decode.fragments_dropped,
            tcp_buffers: flow.tcp_buffers_bound_hit,
            flows: flow.flows_bound_hit + udp_side.sessions_evicted,
        },
        decode,
        flow,
    };
    warnings.extend(stat_warnings(&stats));
    warnings.extend(step_back_warning(backwards, reader.stepped_back(), order));
    if tcp_side.lost_acked > 0 {
        let (n, what) = agree(
            tcp_side.lost_acked,
            "TCP connection lacks",
            "TCP connections lack",
        );
        warnings.push(format!(
            "{n} {what} bytes that the receiver acknowledged: the capture dropped them (an \
             overloaded SPAN port or capture host); what they carried is not judged"
        ));
    }
    if tcp_side.unrecognised > 0 {
        warnings.push(format!(
            "{} carried neither TLS, SIP, DNS nor HTTP from their start: followed for their \
             outcome (connected, refused, closed) only.",
            crate::text::plural(
                tcp_side.unrecognised as usize,
                "TCP connection",
                "TCP connections"
            )
        ));
    }
    let capture = CaptureSummary {
        path: path.to_string(),
        format: Some(reader.format()),
        compressed: reader.compressed(),
        frames,
        complete,
        stats,
        warnings,
        first_ts,
        last_ts,
        unmatched_phones: 0,
        broken,
        stopped,
        arp: decoder.take_arp(),
    };
    Some(Analysis { capture, facts })
}

/// What a walk says of frames earlier than the frame before them: read in
/// time order (`sorted`: how many stepped back in the file), or in file
/// order (`backwards` of them), and then why not sorted.
fn step_back_warning(backwards: u64, sorted: Option<u64>, order: Order) -> Option<String> {
    if let Some(n) = sorted.filter(|&n| n > 0) {
        let (n, what) = agree(n, "frame was", "frames were");
        return Some(format!(
            "{n} {what} earlier than the frame before {} in the file (a merged or re-ordered \
             capture, or one host's CPUs handing frames to the capture out of order): read in \
             time order, so frame numbers are those of `reordercap IN OUT`'s output, not the \
             file's.",
            if n == 1 { "it" } else { "them" }
        ));
    }
    if backwards == 0 {
        return None;
    }
    let (n, what) = agree(backwards, "frame is", "frames are");
    let not_sorted = match order {
        Order::File(Some(why)) => format!(" Not read in time order here: {why}."),
        _ => String::new(),
    };
    Some(format!(
        "{n} {what} earlier than the frame before {} (a merged or re-ordered capture, or one \
         host's CPUs handing frames to the capture out of order): the capture's span runs \
         from its earliest to its latest frame, but retries, boots and \"last attempts\" \
         follow the file's order; `reordercap` puts the frames in time order.{not_sorted}",
        if n == 1 { "it" } else { "them" }
    ))
}

/// A few Ethernet types' names, for the warning above (", MACsec").
fn ethertype_name(ethertype: u16) -> &'static str {
    match ethertype {
        0x88e5 => ", MACsec",
        0x8847 => ", MPLS whose payload is neither IP nor Ethernet",
        ..=1500 => {
            ", an 802.3 length with no LLC header after it: another link type labelled \
             Ethernet?"
        }
        _ => "",
    }
}

/// One sentence per counter that a reader should know about.
fn stat_warnings(s: &Stats) -> Vec<String> {
    let mut out = Vec::new();
    let d = &s.decode;
    if s.undecodable > 0 {
        out.push(format!(
            "{} could not be decoded (malformed headers or protocol messages, or messages \
             over a size limit) and {} skipped{}; --debug says which and why",
            crate::text::plural(
                s.undecodable as usize,
                "frame or message",
                "frames or messages"
            ),
            if s.undecodable == 1 { "was" } else { "were" },
            link_words::undecodable_note(d)
        ));
    }
    if d.unsupported_linktype > 0 {
        let (n, what) = agree(
            d.unsupported_linktype,
            "frame on a link type",
            "frames on link types",
        );
        out.push(format!(
            "{n} {what} provscope does not read (first: {}); it reads Ethernet (1), Linux SLL \
             (113) and SLL2 (276), raw IP (101, 12, 14, 228, 229), loopback (0, 108), NFLOG \
             (239)",
            d.unsupported_linktype_first.unwrap_or_default()
        ));
    }
    if d.other_payload > 0 {
        let (n, what) = agree(d.other_payload, "frame carries", "frames carry");
        out.push(format!(
            "{n} {what} a protocol provscope does not read (first: Ethernet type {:#06x}{}); \
             any IP inside is not analysed",
            d.other_payload_first.unwrap_or_default(),
            ethertype_name(d.other_payload_first.unwrap_or_default())
        ));
    }
    for kind in crate::packet::Unsupported::ALL {
        let n = d
            .unsupported_tunnel
            .get(kind.index())
            .copied()
            .unwrap_or_default();
        if n > 0 {
            let (n, what) = agree(n, "frame", "frames");
            out.push(format!(
                "{n} {what} in {}, which provscope does not decode: any phone inside is not \
                 analysed; capture where the mirror starts, or send it as VXLAN to UDP 4789, \
                 GRE or ERSPAN",
                kind.words()
            ));
        }
    }
    if d.nested_too_deep > 0 {
        let (n, what) = agree(d.nested_too_deep, "frame was", "frames were");
        out.push(format!(
            "{n} {what} inside more than {} tunnels (VXLAN, GRE or ERSPAN in one another) and \
             not read: mirror the traffic fewer times over, or capture nearer the phones",
            crate::packet::MAX_TUNNELS
        ));
    }
    if d.ipv4_length_short > 0 {
        let (n, what) = agree(
            d.ipv4_length_short,
            "IPv4 packet declares",
            "IPv4 packets declare",
        );
        out.push(format!(
            "{n} {what} a total length shorter than the IP header (0 is what TCP \
             segmentation offload leaves in a capture taken on the sending host): read from \
             the bytes captured"
        ));
    }
    if d.fragments_conflicting > 0 {
        let (n, what) = agree(d.fragments_conflicting, "datagram", "datagrams");
        out.push(format!(
            "{n} fragmented {what} dropped: overlapping fragments carried different bytes \
             (a receiver discards such a datagram)"
        ));
    }
    if d.fragments_incomplete > 0 {
        let (n, what) = agree(d.fragments_incomplete, "datagram", "datagrams");
        out.push(format!("{n} fragmented {what} never completed"));
    }
    if s.bounds_hit.fragments + s.bounds_hit.tcp_buffers + s.bounds_hit.flows > 0 {
        // The first connection whose buffer was full, by its endpoints.
        let first = match s.flow.tcp_buffers_first {
            Some((client, server)) if s.bounds_hit.tcp_buffers > 0 => {
                format!(" (first {client} -> {server})")
            }
            _ => String::new(),
        };
        out.push(format!(
            "state bounds hit: {} fragments, {} TCP buffers{first}, {} flows dropped; \
             some exchanges may be missing",
            s.bounds_hit.fragments, s.bounds_hit.tcp_buffers, s.bounds_hit.flows
        ));
    }
    if s.flow.overlap_conflicts > 0 {
        // (Counted by runs of differing bytes: one re-sent segment may
        // hold several.)
        let (n, what) = agree(s.flow.overlap_conflicts, "range", "ranges");
        out.push(format!(
            "re-sent TCP segments carried different bytes in {n} {what} than the copy seen \
             first, which was kept"
        ));
    }
    if s.truncated_by_snaplen > 0 {
        let (n, what) = agree(s.truncated_by_snaplen, "frame", "frames");
        out.push(format!(
            "{n} {what} cut short by the snaplen; what they hide cannot be judged"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// The Ethernet frames of the shared cases and the repository's
    /// captures, as (ts_ns, bytes).
    fn ethernet_frames() -> Vec<(i64, Vec<u8>)> {
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/cases"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/captures"),
        ];
        let mut paths: Vec<_> = dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        let mut frames = Vec::new();
        for path in paths {
            let file = if path.is_dir() {
                path.join("capture.pcap")
            } else {
                path
            };
            let Ok(mut r) = CaptureReader::open(&file) else {
                continue;
            };
            while let Ok(Some(f)) = r.next_frame() {
                if f.linktype == 1 {
                    frames.push((f.ts.ns, f.data.to_vec()));
                }
            }
        }
        frames
    }

    /// A microsecond pcap of `frames` repeated until it holds `want` frames.
    fn repeated_pcap(frames: &[(i64, Vec<u8>)], want: usize) -> Vec<u8> {
        // Magic, version 2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET.
        let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        out.extend([2, 0, 4, 0]);
        for v in [0u32, 0, 65_535, 1] {
            out.extend(v.to_le_bytes());
        }
        for (i, (ns, data)) in frames.iter().cycle().take(want).enumerate() {
            let us = ns / 1000 + (i / frames.len()) as i64 * 60_000_000;
            let len = data.len() as u32;
            for v in [(us / 1_000_000) as u32, (us % 1_000_000) as u32, len, len] {
                out.extend(v.to_le_bytes());
            }
            out.extend(data);
        }
        out
    }

    fn analyze(bytes: &[u8], worker_thread: bool) -> Analysis {
        let reader = CaptureReader::from_reader(Box::new(Cursor::new(bytes.to_vec()))).unwrap();
        let opts = Options {
            worker_thread,
            ..Default::default()
        };
        analyze_reader(reader, "repeated.pcap", &opts)
    }

    #[test]
    fn the_worker_thread_changes_nothing() {
        let frames = ethernet_frames();
        assert!(frames.len() > 100, "too few frames: {}", frames.len());
        let want = collect::WORKER_AFTER_FRAMES as usize * 2 + frames.len() / 2;
        let bytes = repeated_pcap(&frames, want);
        let inline = analyze(&bytes, false);
        let threaded = analyze(&bytes, true);
        assert_eq!(inline.capture.frames, want as u64);
        assert!(inline.facts.len() > 1000, "{} facts", inline.facts.len());
        assert!(inline.facts.windows(2).all(|w| w[0].frame <= w[1].frame));
        assert_eq!(inline.capture.stats, threaded.capture.stats);
        assert_eq!(inline.capture.warnings, threaded.capture.warnings);
        assert_eq!(inline.facts.len(), threaded.facts.len());
        for (a, b) in inline.facts.iter().zip(&threaded.facts) {
            assert_eq!(a, b);
        }
    }

    #[test]
    fn time_that_steps_back_is_counted_and_the_span_is_earliest_to_latest() {
        let frames = ethernet_frames();
        let (t0, data) = frames[0].clone();
        // A second tap's copy, one second earlier, merged after the first.
        let merged = [
            (t0, data.clone()),
            (t0 + 2_000_000_000, data.clone()),
            (t0 - 1_000_000_000, data),
        ];
        let a = analyze(&repeated_pcap(&merged, 3), false);
        assert!(
            (a.capture.duration_secs() - 3.0).abs() < 1e-6,
            "{}",
            a.capture.duration_secs()
        );
        let w = a.capture.warnings.join(" ");
        assert!(
            w.contains("1 frame is earlier than the frame before it (a merged"),
            "{w}"
        );
    }
}
