//! The driver: one sequential pass over a capture, from frames to facts.
//!
//! Frames go through the packet decoder (with its early filter); UDP
//! datagrams go straight to the decoders ([`udp`]); TCP segments go through
//! the flow table, whose in-order bytes feed per-connection parsers
//! ([`tcp`]). Connections that carry nothing we read are switched to
//! outcome-only tracking on their first bytes, which keeps bulk HTTPS cheap.

mod facts;
mod tcp;
mod udp;

use std::path::Path;

use serde::Serialize;

use crate::capture::{CaptureError, CaptureReader, Format};
use crate::fact::Fact;
use crate::flow::{FlowLimits, FlowStats, FlowTable};
use crate::packet::{DecodeLimits, DecodeStats, Decoded, Decoder, Transport};
use crate::time::Timestamp;

/// Knobs of one analysis.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// TCP port of the SBC (Webex Calling: 8934).
    pub sbc_port: u16,
    pub decode_limits: DecodeLimits,
    pub flow_limits: FlowLimits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sbc_port: 8934,
            decode_limits: DecodeLimits::default(),
            flow_limits: FlowLimits::default(),
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

/// What is known about one capture file.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureSummary {
    pub path: String,
    pub format: Format,
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
}

impl CaptureSummary {
    /// Seconds between the first and the last frame.
    pub fn duration_secs(&self) -> f64 {
        match (self.first_ts, self.last_ts) {
            (Some(a), Some(b)) => a.secs_until(&b).max(0.0),
            _ => 0.0,
        }
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
    Ok(analyze_reader(reader, &path.display().to_string(), opts))
}

/// Analyses an opened capture to its end (or its first read error).
pub fn analyze_reader(mut reader: CaptureReader, path: &str, opts: &Options) -> Analysis {
    let mut decoder = Decoder::new(opts.decode_limits);
    let mut table: FlowTable<tcp::ConnState> = FlowTable::new(opts.flow_limits);
    let mut tcp_side = tcp::TcpSide::new(opts.sbc_port);
    let mut udp_side = udp::UdpSide::default();
    let mut facts = facts::Facts::default();
    let mut frames = 0u64;
    let (mut first_ts, mut last_ts) = (None, None);
    let mut warnings = Vec::new();
    let mut complete = true;

    // The frame walk: the only loop that sees every frame.
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                complete = false;
                warnings.push(format!("capture cut short after frame {frames}: {e}"));
                log::warn!("capture: {path}: {e}");
                break;
            }
        };
        frames += 1;
        first_ts.get_or_insert(frame.ts);
        last_ts = Some(frame.ts);
        let (number, ts) = (frame.number, frame.ts);
        let Decoded::Packet(p) = decoder.decode(&frame) else {
            continue;
        };
        match p.transport {
            Transport::Udp {
                sport,
                dport,
                payload,
            } => {
                udp_side.datagram(number, ts, &p, sport, dport, payload, &mut facts);
            }
            Transport::Tcp(seg) => {
                let (src, dst) = tcp::endpoints(&p, &seg);
                let mut sink = tcp_side.sink(&mut facts);
                table.segment(
                    number,
                    ts,
                    src,
                    dst,
                    p.l2.src_mac,
                    p.l2.vlan,
                    &seg,
                    &mut sink,
                );
            }
            Transport::IcmpUnreachable(u) if u.orig_proto == 6 => {
                let mut sink = tcp_side.sink(&mut facts);
                table.unreachable(number, ts, &u, &mut sink);
            }
            Transport::IcmpUnreachable(u) => udp_side.unreachable(number, ts, &p, &u, &mut facts),
        }
    }

    // End of capture: pending attempts get their outcome, facts their order.
    decoder.finish();
    table.finish(&mut tcp_side.sink(&mut facts));
    let facts = facts.into_sorted();
    warnings.extend(reader.warnings());
    let decode = decoder.stats();
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
    let capture = CaptureSummary {
        path: path.to_string(),
        format: reader.format(),
        compressed: reader.compressed(),
        frames,
        complete,
        stats,
        warnings,
        first_ts,
        last_ts,
    };
    Analysis { capture, facts }
}

/// One sentence per counter that a reader should know about.
fn stat_warnings(s: &Stats) -> Vec<String> {
    let mut out = Vec::new();
    let d = &s.decode;
    if d.unsupported_linktype > 0 {
        out.push(format!(
            "{} frames on link types provscope does not read",
            d.unsupported_linktype
        ));
    }
    if d.fragments_incomplete > 0 {
        out.push(format!(
            "{} fragmented datagrams never completed",
            d.fragments_incomplete
        ));
    }
    if s.bounds_hit.fragments + s.bounds_hit.tcp_buffers + s.bounds_hit.flows > 0 {
        out.push(format!(
            "state bounds hit: {} fragments, {} TCP buffers, {} flows dropped; \
             some exchanges may be missing",
            s.bounds_hit.fragments, s.bounds_hit.tcp_buffers, s.bounds_hit.flows
        ));
    }
    if s.flow.overlap_conflicts > 0 {
        out.push(format!(
            "{} TCP retransmissions carried different bytes; the first copy was kept",
            s.flow.overlap_conflicts
        ));
    }
    if s.truncated_by_snaplen > 0 {
        out.push(format!(
            "{} frames cut short by the snaplen; what they hide cannot be judged",
            s.truncated_by_snaplen
        ));
    }
    out
}
