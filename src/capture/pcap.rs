//! Legacy pcap files (draft-ietf-opsawg-pcap, "libpcap format"): a 24-byte
//! file header, then records of a 16-byte header and the captured bytes.
//!
//! Both byte orders and both timestamp resolutions (magic 0xa1b2c3d4 for
//! microseconds, 0xa1b23c4d for nanoseconds) are read. The link type is the
//! low 26 bits of the header's LinkType field; the FCS bits above it are
//! ignored, as is `thiszone` (always 0 in practice). Records whose captured
//! length exceeds the snaplen or the original length are delivered and
//! counted in the warnings. Two variants that reuse the standard magic with
//! longer record headers are recognised by where their records line up:
//! Nokia's (4 more bytes) and Red Hat 6.1's (8 more: ifindex, protocol,
//! packet type), as editcap writes them; others (IXIA) are not. Kuznetzov's
//! modified pcap has a magic of its own and the Red Hat layout: its records
//! are read with those 8 bytes skipped, or 12 when those do not line up and
//! 12 do (SuSE 6.3's ss990915 layout, which shares the magic).

use super::endian::Endian;
use super::source::{Source, MAX_RECORD};
use super::{fill, CaptureError, Frame, InterfaceInfo, SectionInfo};
use crate::text::{agree, its};
use crate::time::Timestamp;

/// File header length.
const FILE_HEADER_LEN: usize = 24;
/// The file header's magic, microsecond and nanosecond timestamps.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
/// Either magic, as a later file header (captures joined with cat) has it.
const MAGICS: [u32; 2] = [MAGIC_MICROS, MAGIC_NANOS];
/// The modified (Kuznetzov) pcap's magic: its records are longer.
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;
/// A pcapng Section Header Block's type, and its byte-order magic.
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;

/// Whether `word` is one of `magics` in either byte order.
fn either_order(word: u32, magics: &[u32]) -> bool {
    magics.iter().any(|m| word == *m || word == m.swap_bytes())
}

/// Whether 4 bytes are the pcapng byte-order magic, in either order.
fn is_pcapng_bom(b: &[u8]) -> bool {
    Endian::Little
        .u32(b, 0)
        .is_some_and(|w| either_order(w, &[PCAPNG_BOM]))
}

/// Whether a word is a pcap file's magic, in either byte order (the
/// modified pcap's too): what a pcapng reader meets at a pcap joined on.
pub(super) fn is_pcap_magic(word: u32) -> bool {
    either_order(word, &[MAGIC_MICROS, MAGIC_NANOS, MAGIC_MODIFIED])
}
/// Record header length: ts_sec, ts_usec/ts_nsec, incl_len, orig_len.
const RECORD_HEADER_LEN: usize = 16;
/// The largest snaplen libpcap and Wireshark use (libpcap's
/// MAXIMUM_SNAPLEN, Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD).
const MAX_PCAP_SNAPLEN: u32 = 262_144;

/// Mask of the link type inside the header's LinkType field (libpcap's
/// `LT_LINKTYPE`); the bits above carry FCS information.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

/// A record header, validated, whose bytes are buffered.
struct Record {
    ts_sec: u32,
    ts_frac: u32,
    caplen: usize,
    orig_len: u32,
}

pub(super) struct PcapReader {
    src: Source,
    endian: Endian,
    nanos: bool,
    version: (u16, u16),
    linktype: u32,
    snaplen: u32,
    frames: u64,
    done: bool,
    /// Stream offset of the last frame's captured bytes.
    data_at: u64,
    /// Records whose incl_len is larger than orig_len.
    caplen_over_orig: u64,
    /// The first of them: frame number and byte offset of its record.
    caplen_over_orig_first: Option<(u64, u64)>,
    /// Records whose incl_len is larger than the file's snaplen.
    caplen_over_snaplen: u64,
    /// Records whose fraction field is a whole second or more.
    fraction_overflow: u64,
    /// Byte offsets of further pcap file headers (captures concatenated).
    joined_at: Vec<u64>,
    info: [InterfaceInfo; 1],
    section: [SectionInfo; 1],
    /// Bytes after each 16-byte record header: 0, or a variant's extension.
    record_pad: usize,
    /// The magic said so (modified pcap): no variant to warn about.
    pad_by_magic: bool,
}

/// Record header extensions of the variants (Nokia, Red Hat 6.1), tried
/// when standard records do not line up.
const VARIANT_PADS: [(usize, &str); 2] = [(4, "Nokia tcpdump"), (8, "Red Hat 6.1 tcpdump")];

/// Bytes after the 16-byte record header in Kuznetzov's modified pcap.
pub(super) const MODIFIED_PAD: usize = 8;

/// Bytes after the 16-byte record header in SuSE 6.3's modified pcap
/// (ss990915: ifindex, protocol, packet type, two CPU octets, 3 of pad).
const SUSE_PAD: usize = 12;

/// Records checked to tell a variant's layout.
const LAYOUT_RECORDS: usize = 4;

impl PcapReader {
    /// Frame numbers given so far.
    pub(super) fn frames(&self) -> u64 {
        self.frames
    }

    /// Reads the file header; the magic has been checked by the caller.
    pub(super) fn open(
        mut src: Source,
        big_endian: bool,
        nanos: bool,
        pad: Option<usize>,
    ) -> Result<Self, CaptureError> {
        let endian = if big_endian {
            Endian::Big
        } else {
            Endian::Little
        };
        if !fill(&mut src, FILE_HEADER_LEN, 0)? {
            return Err(CaptureError::Truncated {
                offset: 0,
                what: "the 24-byte pcap file header".into(),
            });
        }
        let head = src.window();
        let field = |at| endian.u32(head, at).unwrap_or(0);
        let version = (
            endian.u16(head, 4).unwrap_or(0),
            endian.u16(head, 6).unwrap_or(0),
        );
        let snaplen = field(16);
        let linktype = field(20) & LINKTYPE_MASK;
        src.consume(FILE_HEADER_LEN);
        let digits = if nanos { 9 } else { 6 };
        let layout = Layout {
            endian,
            snaplen,
            nanos,
        };
        // A stream that fails while looked at is read as standard: its
        // error comes where the records are read.
        // A variant is taken only when a standard record header is one the
        // reader would refuse (a length no record has) and the variant's
        // first two records line up strictly; or when the standard headers
        // are only implausible (a record longer than its original, a
        // fraction of a second or more: a misaligned header reads such
        // values, a damaged one too) and the variant's first
        // [`LAYOUT_RECORDS`] all line up strictly.
        let mut record_pad = pad.unwrap_or(0);
        // The modified magic has two layouts (Wireshark's libpcap.c tries
        // both): Kuznetzov's 24-byte record headers, and SuSE 6.3's
        // ss990915 one of 28 (two CPU octets and 3 of padding more). The
        // one whose records line up is taken.
        // Neither strictly (a damaged record among the first): the one whose
        // lengths at least line up; neither at all: not read as garbage.
        if pad == Some(MODIFIED_PAD) {
            let mut look = |pad, strict| layout.lines_up(&mut src, pad, strict);
            type Look = Result<Option<(usize, bool)>, CaptureError>;
            let fits = |r: Look| matches!(r, Ok(Some((n, whole))) if n >= 2 || whole && n >= 1);
            let (kuznetzov, suse) = (fits(look(MODIFIED_PAD, true)), fits(look(SUSE_PAD, true)));
            if !kuznetzov && !suse {
                let loose = |r: Look| matches!(r, Ok(Some(_)));
                match (
                    loose(look(MODIFIED_PAD, false)),
                    loose(look(SUSE_PAD, false)),
                ) {
                    (false, true) => record_pad = SUSE_PAD,
                    (false, false) => {
                        return Err(CaptureError::Malformed {
                            offset: FILE_HEADER_LEN as u64,
                            what: "the modified pcap magic (0xa1b2cd34), but the first records \
                                   line up neither as Kuznetzov's 24-byte record headers nor as \
                                   SuSE 6.3's 28-byte ones"
                                .into(),
                        })
                    }
                    _ => {}
                }
            } else if !kuznetzov {
                record_pad = SUSE_PAD;
            }
        }
        let need = match pad {
            // The magic said the layout: nothing to look for.
            Some(_) => None,
            None => match layout.lines_up(&mut src, 0, false) {
                Ok(None) => Some(2),
                Ok(Some(_)) if matches!(layout.lines_up(&mut src, 0, true), Ok(None)) => {
                    Some(LAYOUT_RECORDS)
                }
                _ => None,
            },
        };
        if let Some(need) = need {
            let variant = VARIANT_PADS.iter().map(|(pad, _)| *pad);
            // (A short capture lined up whole is enough.)
            record_pad = variant
                .into_iter()
                .find(|pad| match layout.lines_up(&mut src, *pad, true) {
                    Ok(Some((n, whole))) => n >= need || (whole && n >= 2),
                    _ => false,
                })
                .unwrap_or(0);
        }
        Ok(PcapReader {
            src,
            endian,
            nanos,
            version,
            linktype,
            snaplen,
            frames: 0,
            done: false,
            data_at: 0,
            caplen_over_orig: 0,
            caplen_over_orig_first: None,
            caplen_over_snaplen: 0,
            fraction_overflow: 0,
            joined_at: Vec::new(),
            info: [InterfaceInfo {
                section: 0,
                id: 0,
                linktype,
                snaplen,
                name: None,
                description: None,
                digits,
                tsoffset: 0,
            }],
            section: [SectionInfo {
                big_endian,
                hardware: None,
                os: None,
                userappl: None,
            }],
            record_pad,
            pad_by_magic: pad.is_some(),
        })
    }

    pub(super) fn next(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let rec = match self.locate() {
            Ok(Some(rec)) => rec,
            other => {
                self.done = true;
                return other.map(|_| None);
            }
        };
        self.frames += 1;
        let whole_second = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        self.fraction_overflow += u64::from(rec.ts_frac >= whole_second);
        // Both terms fit: u32 seconds * 10^9 < 4.3e18 and u32 * 1000 < 4.3e12,
        // so the sum stays below i64::MAX (9.2e18) without checks.
        let frac_ns = if self.nanos {
            i64::from(rec.ts_frac)
        } else {
            i64::from(rec.ts_frac) * 1_000
        };
        let ns = i64::from(rec.ts_sec) * 1_000_000_000 + frac_ns;
        let header = RECORD_HEADER_LEN + self.record_pad;
        self.data_at = self.src.offset() + header as u64;
        let record = self.src.take(header + rec.caplen);
        Ok(Some(Frame {
            number: self.frames,
            ts: Timestamp::new(ns, if self.nanos { 9 } else { 6 }),
            linktype: self.linktype,
            interface: 0,
            data: record.get(header..).unwrap_or(&[]),
            orig_len: rec.orig_len,
        }))
    }

    /// Buffers the next whole record and checks its header.
    fn locate(&mut self) -> Result<Option<Record>, CaptureError> {
        let start = self.src.offset();
        let frame = self.frames.saturating_add(1);
        let header = RECORD_HEADER_LEN + self.record_pad;
        if !fill(&mut self.src, header, start)? {
            if self.src.window().is_empty() {
                return Ok(None);
            }
            return Err(CaptureError::Truncated {
                offset: start,
                what: format!("the record header of frame {frame}"),
            });
        }
        let Some(&head) = self.src.window().first_chunk::<RECORD_HEADER_LEN>() else {
            return Ok(None);
        };
        // (A record's first word is its seconds: a file magic there, in
        // either byte order, is checked for a joined file.)
        let first = Endian::Little.u32(&head, 0).unwrap_or(0);
        if either_order(first, &MAGICS) && self.another_file_header(start)? {
            return self.locate();
        }
        // A modified pcap's header (its records are longer): not joinable.
        if either_order(first, &[MAGIC_MODIFIED]) {
            return Err(CaptureError::Malformed {
                offset: start,
                what: "a modified (Kuznetzov) pcap file header where a record should start: \
                       two kinds of pcap joined with cat (mergecap joins captures)"
                    .into(),
            });
        }
        // (The pcapng Section Header Block's type reads the same both ways.)
        if first == PCAPNG_SHB && head.get(8..12).is_some_and(is_pcapng_bom) {
            return Err(CaptureError::Malformed {
                offset: start,
                what: "a pcapng section header where a pcap record should start: a pcap and \
                       a pcapng capture joined with cat (mergecap joins captures)"
                    .into(),
            });
        }
        let e = self.endian;
        let word = |at: usize| e.u32(&head, at).unwrap_or(0);
        let (ts_sec, ts_frac, incl_len, orig_len) = (word(0), word(4), word(8), word(12));
        let caplen = incl_len as usize;
        if caplen > MAX_RECORD {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!(
                    "frame {frame} claims {incl_len} captured bytes (limit {MAX_RECORD}); \
                     not a pcap record"
                ),
            });
        }
        // libpcap and Wireshark never write a record over 262144 bytes
        // unless the snaplen says so: a larger claim is not a record.
        if incl_len > self.snaplen.max(MAX_PCAP_SNAPLEN) {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!(
                    "frame {frame} claims {incl_len} captured bytes, more than the file's \
                     snaplen ({}) and than libpcap ever writes ({MAX_PCAP_SNAPLEN}); not a pcap \
                     record",
                    self.snaplen
                ),
            });
        }
        if incl_len > orig_len {
            self.caplen_over_orig += 1;
            self.caplen_over_orig_first.get_or_insert((frame, start));
        }
        if self.snaplen != 0 && incl_len > self.snaplen {
            self.caplen_over_snaplen += 1;
        }
        if !fill(&mut self.src, header + caplen, start)? {
            return Err(CaptureError::Truncated {
                offset: start,
                what: format!("frame {frame} ({incl_len} captured bytes)"),
            });
        }
        Ok(Some(Record {
            ts_sec,
            ts_frac,
            caplen,
            orig_len,
        }))
    }

    /// A pcap file header where a record should start: two captures joined
    /// with `cat`. One with this file's link type is passed over, its byte
    /// order and precision taken up (the frames go on as one capture, and a
    /// warning says so); another link type stops the reading at its offset.
    fn another_file_header(&mut self, start: u64) -> Result<bool, CaptureError> {
        let head = self.src.window();
        let own = |m: u32| MAGICS.contains(&m);
        let (ours, theirs) = (self.endian.u32(head, 0), self.endian.swapped().u32(head, 0));
        let version =
            self.endian.u16(head, 4) == Some(2) || self.endian.swapped().u16(head, 4) == Some(2);
        if !(ours.is_some_and(own) || theirs.is_some_and(own)) || !version {
            return Ok(false);
        }
        if !fill(&mut self.src, FILE_HEADER_LEN, start)? {
            return Ok(false);
        }
        let head = self.src.window();
        // The joined file's own byte order and precision are taken up; its
        // frames must share the link type (one interface is described).
        let endian = match ours.is_some_and(own) {
            true => self.endian,
            false => self.endian.swapped(),
        };
        let nanos = endian.u32(head, 0) == Some(MAGIC_NANOS);
        let linktype = endian.u32(head, 20).map(|l| l & LINKTYPE_MASK);
        if linktype != Some(self.linktype) {
            return Err(CaptureError::Malformed {
                offset: start,
                what: "a second pcap file header with another link type: two captures joined \
                       with cat (mergecap joins captures)"
                    .into(),
            });
        }
        let snaplen = endian.u32(head, 16).unwrap_or(self.snaplen);
        (self.endian, self.nanos, self.snaplen) = (endian, nanos, snaplen);
        self.src.consume(FILE_HEADER_LEN);
        self.joined_at.push(start);
        Ok(true)
    }

    /// Stream offset of the last frame's captured bytes.
    pub(super) fn data_at(&self) -> u64 {
        self.data_at
    }

    pub(super) fn offset(&self) -> u64 {
        self.src.offset()
    }

    pub(super) fn interfaces(&self) -> &[InterfaceInfo] {
        &self.info
    }

    pub(super) fn sections(&self) -> &[SectionInfo] {
        &self.section
    }

    pub(super) fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let variant = VARIANT_PADS.iter().find(|(p, _)| *p == self.record_pad);
        if let (Some((pad, name)), false) = (variant, self.pad_by_magic) {
            out.push(format!(
                "the records carry {pad} bytes after the standard 16-byte header: a {name} \
                 pcap variant, read as such."
            ));
        }
        if let Some(first) = self.joined_at.first() {
            let n = self.joined_at.len() as u64;
            let (n, what) = agree(n, "more pcap file header", "more pcap file headers");
            out.push(format!(
                "{n} {what} inside the file (the first at byte offset {first}): captures joined \
                 with cat; read on as one capture (mergecap joins them properly)."
            ));
        }
        if self.version != (2, 4) {
            out.push(format!(
                "pcap header says version {}.{} ({}); read as 2.4.",
                self.version.0,
                self.version.1,
                self.endian.name()
            ));
        }
        if self.caplen_over_orig > 0 {
            let (n, verb) = agree(self.caplen_over_orig, "record captures", "records capture");
            let (frame, at) = self.caplen_over_orig_first.unwrap_or_default();
            out.push(format!(
                "{n} {verb} more bytes than {}original length (the first: frame {frame}, record \
                 at byte offset {at})",
                its(n)
            ));
        }
        if self.fraction_overflow > 0 {
            let unit = if self.nanos {
                "nanosecond"
            } else {
                "microsecond"
            };
            let (n, verb) = agree(self.fraction_overflow, "record has", "records have");
            out.push(format!(
                "{n} {verb} a {unit} field of a whole second or more (not valid pcap); read as \
                 carrying into the seconds."
            ));
        }
        if self.caplen_over_snaplen > 0 {
            let (n, verb) = agree(self.caplen_over_snaplen, "record is", "records are");
            out.push(format!(
                "{n} {verb} longer than the file's snaplen of {} bytes.",
                self.snaplen
            ));
        }
        out
    }
}

/// What a record header must agree with to be one.
struct Layout {
    endian: Endian,
    snaplen: u32,
    nanos: bool,
}

impl Layout {
    /// How many of the first records line up with `pad` bytes after each
    /// header, up to the stream's end, and whether they are the whole
    /// stream (it ends right after the last); `None` when a header is not one:
    /// its length beyond any record's (the reader refuses it), or with
    /// `strict`, also beyond its original length, an original length of 0
    /// or a fraction of a second or more. Only buffered bytes are looked at.
    fn lines_up(
        &self,
        src: &mut Source,
        pad: usize,
        strict: bool,
    ) -> Result<Option<(usize, bool)>, CaptureError> {
        let header = RECORD_HEADER_LEN + pad;
        let whole_second = if self.nanos { 1_000_000_000 } else { 1_000_000 };
        let mut at = 0usize;
        for n in 0..LAYOUT_RECORDS {
            if !fill(src, at + header, 0)? {
                // The end of the stream (a cut one tells nothing more).
                return Ok(Some((n, src.window().len() == at)));
            }
            let head = src.window().get(at..).unwrap_or_default();
            let e = self.endian;
            // Another file's header (captures joined with cat) ends the look.
            let joined = [e, e.swapped()]
                .iter()
                .any(|e| e.u32(head, 0).is_some_and(|m| MAGICS.contains(&m)));
            if joined {
                return Ok(Some((n, false)));
            }
            let (Some(frac), Some(incl), Some(orig)) =
                (e.u32(head, 4), e.u32(head, 8), e.u32(head, 12))
            else {
                return Ok(None);
            };
            let readable = incl <= self.snaplen.max(MAX_PCAP_SNAPLEN);
            let plausible =
                readable && (!strict || incl <= orig && orig > 0 && frac < whole_second);
            if !plausible {
                return Ok(None);
            }
            at += header + incl as usize;
            if !fill(src, at, 0)? {
                return Ok(Some((n, false)));
            }
        }
        Ok(Some((LAYOUT_RECORDS, false)))
    }
}
