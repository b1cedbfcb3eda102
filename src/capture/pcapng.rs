//! pcapng files (draft-ietf-opsawg-pcapng): a sequence of sections, each a
//! Section Header Block (4.1) with its own byte order, then Interface
//! Description Blocks (4.2) and packet blocks that refer to them by index.
//!
//! Packets come from Enhanced Packet Blocks (4.3), Simple Packet Blocks
//! (4.4: interface 0, captured length bounded by the block and the snaplen,
//! no timestamp) and the obsolete Packet Block (appendix A). Timestamps
//! honour `if_tsresol` (option 9: power of 10 when the top bit is clear,
//! power of 2 when set, 10^-6 by default) and `if_tsoffset` (option 14,
//! signed seconds added to every timestamp), both read in the section's
//! byte order. Interface ids restart at 0 in every section.
//!
//! Name Resolution, systemd Journal Export and Decryption Secrets blocks
//! are skipped. Of Interface Statistics Blocks (4.6) the drop counters are
//! kept (`isb_ifdrop`, `isb_osdrop`: cumulative, the latest per interface):
//! packets the capture lost are said in a warning. Custom blocks (0x00000BAD,
//! 0x40000BAD) and unknown types are skipped by their length and counted.
//! Frame numbers follow Wireshark's, which gives a number to systemd Journal
//! Export and custom blocks too (not to the other blocks): a frame number in
//! the evidence is the one Wireshark shows.
//! Packet options (comments, flags, hashes) are ignored. A block whose
//! length is below 12, not a multiple of 4, above [`MAX_RECORD`] or
//! different from its trailing copy is malformed.

use super::endian::Endian;
use super::source::{Source, MAX_RECORD};
use super::{fill, CaptureError, Frame, InterfaceInfo, SectionInfo};
use crate::text::{agree, its};
use crate::time::Timestamp;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const NRB: u32 = 4;
const ISB: u32 = 5;
const EPB: u32 = 6;
const SJE: u32 = 9;
const DSB: u32 = 10;
const CUSTOM: u32 = 0x0000_0bad;
const CUSTOM_NO_COPY: u32 = 0x4000_0bad;

/// Byte-order magic of a Section Header Block as read little-endian.
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// Smallest SHB: type, length, magic, versions, section length, trailer.
const SHB_MIN_LEN: usize = 28;
/// Smallest block: type, length, trailing length.
const BLOCK_MIN_LEN: usize = 12;
/// Interfaces one section may describe before the file is deemed hostile.
const MAX_INTERFACES: usize = 65_536;
/// Interfaces and sections kept for [`InterfaceInfo`] / [`SectionInfo`].
const MAX_LISTED: usize = 4_096;
/// Longest name/description/application string kept from an option.
const MAX_TEXT: usize = 256;

/// How raw timestamp ticks become nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    /// ns = ticks * k (resolution 10^-e with e <= 9).
    Mul(i128),
    /// ns = ticks / k (resolution 10^-e with e > 9).
    Div(i128),
    /// ns = ticks * 10^9 >> n (resolution 2^-n).
    Shift(u32),
}

/// The part of an IDB the packet loop needs.
#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: u32,
    snaplen: u32,
    scale: Scale,
    digits: u8,
    offset_ns: i128,
}

/// Where a packet block's fields are, once validated.
struct Packet {
    block_len: usize,
    data_at: usize,
    caplen: usize,
    orig_len: u32,
    interface: u32,
    ts: Timestamp,
    linktype: u32,
}

pub(super) struct PcapngReader {
    src: Source,
    endian: Endian,
    /// Index of the current section (0 for the first SHB).
    section: u32,
    /// Section Header Blocks read so far.
    shb_count: u64,
    ifaces: Vec<Iface>,
    frames: u64,
    done: bool,
    last_ts: Timestamp,
    /// Stream offset of the last frame's captured bytes.
    data_at: u64,
    listed_ifaces: Vec<InterfaceInfo>,
    listed_sections: Vec<SectionInfo>,
    notes: Notes,
    /// Frames handed out in time order (custom blocks numbered first).
    sorted: bool,
}

/// Counts behind [`PcapngReader::warnings`].
#[derive(Default)]
struct Notes {
    unknown_blocks: u64,
    first_unknown: Option<(u32, u64)>,
    custom_blocks: u64,
    spb_without_ts: u64,
    caplen_over_orig: u64,
    /// The first packet capturing more than its original length: frame
    /// number and byte offset of its block.
    first_over_orig: Option<(u64, u64)>,
    caplen_over_snaplen: u64,
    ts_clamped: u64,
    bad_options: u64,
    /// Interfaces whose if_tsresol or if_tsoffset has the wrong length.
    bad_time_options: u64,
    unlisted: u64,
    /// Latest ISB drop counters by (section, interface): interface, OS.
    drops: std::collections::BTreeMap<(u32, u32), (u64, u64)>,
}

impl PcapngReader {
    /// Frame numbers given so far.
    pub(super) fn frames(&self) -> u64 {
        self.frames
    }

    /// Reads the first Section Header Block; the magic has been checked.
    pub(super) fn open(src: Source) -> Result<Self, CaptureError> {
        let mut reader = PcapngReader {
            src,
            endian: Endian::Little,
            section: 0,
            shb_count: 0,
            ifaces: Vec::new(),
            frames: 0,
            done: false,
            last_ts: Timestamp::default(),
            data_at: 0,
            listed_ifaces: Vec::new(),
            listed_sections: Vec::new(),
            notes: Notes::default(),
            sorted: false,
        };
        reader.read_shb(0)?;
        Ok(reader)
    }

    pub(super) fn next(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let pkt = match self.locate() {
            Ok(Some(pkt)) => pkt,
            other => {
                self.done = true;
                return other.map(|_| None);
            }
        };
        self.frames += 1;
        self.last_ts = pkt.ts;
        self.data_at = self.src.offset() + pkt.data_at as u64;
        let block = self.src.take(pkt.block_len);
        let data = block
            .get(pkt.data_at..pkt.data_at + pkt.caplen)
            .unwrap_or(&[]);
        Ok(Some(Frame {
            number: self.frames,
            ts: pkt.ts,
            linktype: pkt.linktype,
            interface: pkt.interface,
            data,
            orig_len: pkt.orig_len,
        }))
    }

    /// Walks blocks until a packet block is buffered and validated.
    fn locate(&mut self) -> Result<Option<Packet>, CaptureError> {
        loop {
            let start = self.src.offset();
            if !fill(&mut self.src, 8, start)? {
                if self.src.window().is_empty() {
                    return Ok(None);
                }
                return Err(truncated(start, "a block header"));
            }
            let btype = self.endian.u32(self.src.window(), 0).unwrap_or(0);
            if btype == SHB {
                self.read_shb(start)?;
                continue;
            }
            if super::pcap::is_pcap_magic(btype) {
                return Err(CaptureError::Malformed {
                    offset: start,
                    what: "a pcap file header where a pcapng block should start: a pcapng and \
                           a pcap capture joined with cat (mergecap joins captures)"
                        .into(),
                });
            }
            let len = self.buffer_block(btype, start)?;
            match btype {
                EPB | PB | SPB => return self.packet(btype, len, start).map(Some),
                IDB => self.read_idb(len, start)?,
                ISB => self.read_isb(len),
                NRB | DSB => {}
                // Records in Wireshark's list: they take a frame number.
                SJE => self.frames += 1,
                CUSTOM | CUSTOM_NO_COPY => {
                    self.frames += 1;
                    self.notes.custom_blocks += 1;
                }
                other => {
                    self.notes.unknown_blocks += 1;
                    self.notes.first_unknown.get_or_insert((other, start));
                }
            }
            self.src.consume(len);
        }
    }

    /// Checks the length of the block at the cursor and buffers all of it.
    fn buffer_block(&mut self, btype: u32, start: u64) -> Result<usize, CaptureError> {
        let raw = self.endian.u32(self.src.window(), 4).unwrap_or(0);
        let len = check_len(raw, BLOCK_MIN_LEN, btype, start)?;
        if !fill(&mut self.src, len, start)? {
            let mut what = format!("the {} of {len} bytes", block_name(btype));
            if matches!(btype, EPB | SPB | PB) {
                what.push_str(&format!(" (frame {})", self.frames.saturating_add(1)));
            }
            return Err(CaptureError::Truncated {
                offset: start,
                what,
            });
        }
        let trailer = self.endian.u32(self.src.window(), len - 4).unwrap_or(0);
        if trailer != raw {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!(
                    "{} length {raw} does not match its trailing length {trailer}",
                    block_name(btype)
                ),
            });
        }
        Ok(len)
    }

    /// Starts a new section: byte order, version, SHB options, and an empty
    /// interface table.
    fn read_shb(&mut self, start: u64) -> Result<(), CaptureError> {
        if !fill(&mut self.src, 12, start)? {
            return Err(truncated(start, "a Section Header Block"));
        }
        let magic = Endian::Little.u32(self.src.window(), 8).unwrap_or(0);
        self.endian = if magic == BYTE_ORDER_MAGIC {
            Endian::Little
        } else if magic.swap_bytes() == BYTE_ORDER_MAGIC {
            Endian::Big
        } else {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!("Section Header Block byte-order magic is {magic:#010x}"),
            });
        };
        let len = self.buffer_block(SHB, start)?;
        if len < SHB_MIN_LEN {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!("Section Header Block of {len} bytes (minimum {SHB_MIN_LEN})"),
            });
        }
        let block = self.src.window();
        let major = self.endian.u16(block, 12).unwrap_or(0);
        let minor = self.endian.u16(block, 14).unwrap_or(0);
        if major != 1 {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!("pcapng version {major}.{minor} (only 1.x is defined)"),
            });
        }
        let mut info = SectionInfo {
            big_endian: self.endian == Endian::Big,
            hardware: None,
            os: None,
            userappl: None,
        };
        let mut opts = Options::new(block.get(24..len - 4).unwrap_or(&[]), self.endian);
        for (code, value) in opts.by_ref() {
            match code {
                2 => info.hardware = Some(text(value)),
                3 => info.os = Some(text(value)),
                4 => info.userappl = Some(text(value)),
                _ => {}
            }
        }
        self.notes.bad_options += u64::from(opts.bad);
        self.shb_count += 1;
        self.section = u32::try_from(self.shb_count - 1).unwrap_or(u32::MAX);
        if self.listed_sections.len() < MAX_LISTED {
            self.listed_sections.push(info);
        } else {
            self.notes.unlisted += 1;
        }
        self.ifaces.clear();
        self.src.consume(len);
        Ok(())
    }

    /// Adds an interface to the current section's table.
    /// Interface Statistics Block: keeps its drop counters (options 5 and
    /// 7, u64 each); a block too short to hold them is skipped.
    fn read_isb(&mut self, len: usize) {
        let e = self.endian;
        let block = self.src.window();
        let Some(iface) = e.u32(block, 8) else { return };
        let mut drops = None::<(u64, u64)>;
        let mut opts = Options::new(block.get(20..len.saturating_sub(4)).unwrap_or(&[]), e);
        for (code, value) in opts.by_ref() {
            let count = || e.u64(value, 0);
            match (code, count()) {
                (5, Some(n)) => drops.get_or_insert((0, 0)).0 = n,
                (7, Some(n)) => drops.get_or_insert((0, 0)).1 = n,
                _ => {}
            }
        }
        self.notes.bad_options += u64::from(opts.bad);
        if let Some((ifdrop, osdrop)) = drops {
            let seen = self.notes.drops.entry((self.section, iface)).or_default();
            // Counters only grow; a smaller one is an older block's.
            *seen = (seen.0.max(ifdrop), seen.1.max(osdrop));
        }
    }

    fn read_idb(&mut self, len: usize, start: u64) -> Result<(), CaptureError> {
        if self.ifaces.len() >= MAX_INTERFACES {
            return Err(CaptureError::Malformed {
                offset: start,
                what: format!("more than {MAX_INTERFACES} interfaces in one section"),
            });
        }
        let e = self.endian;
        let block = self.src.window();
        let (Some(linktype), Some(snaplen)) = (e.u16(block, 8), e.u32(block, 12)) else {
            return Err(idb_too_short(len, start));
        };
        if len < 20 {
            return Err(idb_too_short(len, start));
        }
        let mut tsresol = 6u8;
        let mut tsoffset = 0i64;
        let mut bad_time = false;
        let mut name = None;
        let mut description = None;
        let mut opts = Options::new(block.get(16..len - 4).unwrap_or(&[]), e);
        for (code, value) in opts.by_ref() {
            match (code, value) {
                (2, _) => name = Some(text(value)),
                (3, _) => description = Some(text(value)),
                (9, [resol]) => tsresol = *resol,
                (14, _) if value.len() == 8 => tsoffset = e.i64(value, 0).unwrap_or(0),
                (9 | 14, _) => bad_time = true,
                _ => {}
            }
        }
        self.notes.bad_options += u64::from(opts.bad);
        self.notes.bad_time_options += u64::from(bad_time);
        let (scale, digits) = resolution(tsresol);
        let iface = Iface {
            linktype: u32::from(linktype),
            snaplen,
            scale,
            digits,
            offset_ns: i128::from(tsoffset) * 1_000_000_000,
        };
        if self.listed_ifaces.len() < MAX_LISTED {
            self.listed_ifaces.push(InterfaceInfo {
                section: self.section,
                id: self.ifaces.len() as u32,
                linktype: iface.linktype,
                snaplen,
                name,
                description,
                digits,
                tsoffset,
            });
        } else {
            self.notes.unlisted += 1;
        }
        self.ifaces.push(iface);
        Ok(())
    }

    /// Validates an EPB, SPB or PB of `len` bytes buffered at the cursor.
    fn packet(&mut self, btype: u32, len: usize, start: u64) -> Result<Packet, CaptureError> {
        let e = self.endian;
        let block = self.src.window();
        let body = len - 4;
        let frame = self.frames.saturating_add(1);
        let malformed = |what: String| CaptureError::Malformed {
            offset: start,
            what,
        };
        let short = || malformed(format!("{} of {len} bytes is too short", block_name(btype)));

        // Fixed fields: SPB has only the original length.
        let (interface, ticks, caplen, orig_len, data_at) = if btype == SPB {
            let orig_len = e.u32(block, 8).ok_or_else(short)?;
            (0, None, orig_len, orig_len, 12usize)
        } else {
            let interface = if btype == EPB {
                e.u32(block, 8)
            } else {
                e.u16(block, 8).map(u32::from)
            };
            let (Some(interface), Some(high), Some(low), Some(caplen), Some(orig_len)) = (
                interface,
                e.u32(block, 12),
                e.u32(block, 16),
                e.u32(block, 20),
                e.u32(block, 24),
            ) else {
                return Err(short());
            };
            let ticks = (u64::from(high) << 32) | u64::from(low);
            (interface, Some(ticks), caplen, orig_len, 28usize)
        };
        if body < data_at {
            return Err(short());
        }

        // The interface must have been described in this section.
        let Some(iface) = self.ifaces.get(interface as usize).copied() else {
            return Err(malformed(format!(
                "frame {frame} is on interface {interface}, but section {} describes {} \
                 interface(s)",
                self.section,
                self.ifaces.len()
            )));
        };
        let room = body.saturating_sub(data_at);
        let caplen = match ticks {
            // SPB: whatever the block and the snaplen allow.
            None => {
                let snap = if iface.snaplen == 0 {
                    u32::MAX
                } else {
                    iface.snaplen
                };
                (caplen.min(snap) as usize).min(room)
            }
            Some(_) if caplen as usize > room => {
                return Err(malformed(format!(
                    "frame {frame} claims {caplen} captured bytes but its {} has room for \
                     {room}",
                    block_name(btype)
                )));
            }
            Some(_) => caplen as usize,
        };
        if btype == EPB {
            // Options after the padded data (epb_flags, epb_hash...): not
            // used, but one that overruns the block is said.
            let options = block.get(data_at + ((caplen + 3) & !3)..body);
            if options.is_some_and(|o| !o.is_empty()) {
                let mut opts = Options::new(options.unwrap_or_default(), e);
                opts.by_ref().for_each(drop);
                self.notes.bad_options += u64::from(opts.bad);
            }
        }
        if caplen as u64 > u64::from(orig_len) {
            self.notes.caplen_over_orig += 1;
            self.notes.first_over_orig.get_or_insert((frame, start));
        }
        if iface.snaplen != 0 && caplen as u64 > u64::from(iface.snaplen) {
            self.notes.caplen_over_snaplen += 1;
        }
        let ts = match ticks {
            Some(ticks) => self.timestamp(ticks, &iface),
            None => {
                self.notes.spb_without_ts += 1;
                self.last_ts
            }
        };
        Ok(Packet {
            block_len: len,
            data_at,
            caplen,
            orig_len,
            interface,
            ts,
            linktype: iface.linktype,
        })
    }

    /// Ticks to nanoseconds since the epoch, in i128 then clamped to i64.
    #[inline]
    fn timestamp(&mut self, ticks: u64, iface: &Iface) -> Timestamp {
        let ticks = i128::from(ticks);
        let ns = match iface.scale {
            Scale::Mul(k) => ticks * k,
            Scale::Div(k) => ticks / k,
            Scale::Shift(n) => (ticks * 1_000_000_000) >> n,
        } + iface.offset_ns;
        let ns = match i64::try_from(ns) {
            Ok(ns) => ns,
            Err(_) => {
                self.notes.ts_clamped += 1;
                if ns < 0 {
                    i64::MIN
                } else {
                    i64::MAX
                }
            }
        };
        Timestamp::new(ns, iface.digits)
    }

    /// Stream offset of the last frame's captured bytes.
    pub(super) fn data_at(&self) -> u64 {
        self.data_at
    }

    pub(super) fn offset(&self) -> u64 {
        self.src.offset()
    }

    pub(super) fn section(&self) -> u32 {
        self.section
    }

    pub(super) fn interfaces(&self) -> &[InterfaceInfo] {
        &self.listed_ifaces
    }

    pub(super) fn sections(&self) -> &[SectionInfo] {
        &self.listed_sections
    }

    /// Its frames are handed out in time order (`ordered.rs`): custom
    /// blocks are numbered first, and the warnings say so.
    pub(super) fn numbered_in_time_order(&mut self) {
        self.sorted = true;
    }

    /// Simple Packet Blocks read so far (they carry no timestamp).
    pub(super) fn untimed_packets(&self) -> u64 {
        self.notes.spb_without_ts
    }

    pub(super) fn warnings(&self) -> Vec<String> {
        let n = &self.notes;
        let mut out = Vec::new();
        if let Some((btype, at)) = n.first_unknown {
            let (k, what) = agree(n.unknown_blocks, "block", "blocks");
            out.push(format!(
                "skipped {k} {what} of unknown type (the first, type {btype:#010x}, at byte \
                 offset {at})."
            ));
        }
        if n.custom_blocks > 0 {
            let (k, what) = match self.sorted {
                false => agree(
                    n.custom_blocks,
                    "custom block (it keeps its frame number, as in Wireshark)",
                    "custom blocks (they keep their frame numbers, as in Wireshark)",
                ),
                true => agree(
                    n.custom_blocks,
                    "custom block (read in time order, it takes frame number 1, as reordercap \
                     puts it first)",
                    "custom blocks (read in time order, they take the first frame numbers, as \
                     reordercap puts them first)",
                ),
            };
            out.push(format!("skipped {k} {what}."));
        }
        if n.spb_without_ts > 0 {
            let (blocks, carry) = match n.spb_without_ts {
                1 => ("Simple Packet Block", "carries"),
                _ => ("Simple Packet Blocks", "carry"),
            };
            out.push(format!(
                "{} {blocks} {carry} no timestamp; each was given the time of the packet \
                 before it.",
                n.spb_without_ts
            ));
        }
        if n.caplen_over_orig > 0 {
            let (k, verb) = agree(n.caplen_over_orig, "packet captures", "packets capture");
            let (frame, at) = n.first_over_orig.unwrap_or_default();
            out.push(format!(
                "{k} {verb} more bytes than {}original length (the first: frame {frame}, block \
                 at byte offset {at})",
                its(k)
            ));
        }
        if n.caplen_over_snaplen > 0 {
            let (k, verb) = agree(n.caplen_over_snaplen, "packet is", "packets are");
            out.push(format!(
                "{k} {verb} longer than {}interface's snaplen.",
                its(k)
            ));
        }
        if n.ts_clamped > 0 {
            let (k, verb) = agree(n.ts_clamped, "timestamp falls", "timestamps fall");
            let was = if k == 1 { "was" } else { "were" };
            out.push(format!(
                "{k} {verb} outside 1677-2262 and {was} clamped to that range."
            ));
        }
        if n.bad_options > 0 {
            let (k, verb) = agree(n.bad_options, "block has", "blocks have");
            out.push(format!(
                "{k} {verb} options that overrun the block; the rest of {}options were ignored.",
                its(k)
            ));
        }
        if n.bad_time_options > 0 {
            let (k, what) = agree(n.bad_time_options, "interface has", "interfaces have");
            out.push(format!(
                "{k} {what} an if_tsresol or if_tsoffset option of the wrong length; it was \
                 ignored (microseconds, no offset), so {} times may be wrong.",
                if k == 1 { "its" } else { "their" }
            ));
        }
        let (ifdrop, osdrop) = n.drops.values().fold((0u64, 0u64), |(a, b), (i, o)| {
            (a.saturating_add(*i), b.saturating_add(*o))
        });
        let dropped = ifdrop.saturating_add(osdrop);
        if dropped > 0 {
            let (k, what) = agree(dropped, "packet", "packets");
            out.push(format!(
                "the capture's statistics say {k} {what} were lost while capturing ({ifdrop} by \
                 the interface, {osdrop} by the operating system): a request without an answer \
                 may be a lost packet, not a silent server."
            ));
        }
        if n.unlisted > 0 {
            let (k, what) = agree(n.unlisted, "section or interface", "sections or interfaces");
            let are = if k == 1 { "is" } else { "are" };
            out.push(format!(
                "{k} {what} beyond the first {MAX_LISTED} {are} not listed."
            ));
        }
        out
    }
}

/// Validates a block length field: at least `min`, a multiple of 4, and at
/// most [`MAX_RECORD`] (so a 4 GiB length is refused, never allocated).
fn check_len(raw: u32, min: usize, btype: u32, start: u64) -> Result<usize, CaptureError> {
    let len = raw as usize;
    if len < min || len % 4 != 0 || len > MAX_RECORD {
        return Err(CaptureError::Malformed {
            offset: start,
            what: format!(
                "{} length {raw} (must be a multiple of 4 from {min} to {MAX_RECORD})",
                block_name(btype)
            ),
        });
    }
    Ok(len)
}

fn idb_too_short(len: usize, offset: u64) -> CaptureError {
    CaptureError::Malformed {
        offset,
        what: format!("Interface Description Block of {len} bytes (minimum 20)"),
    }
}

fn truncated(offset: u64, what: &str) -> CaptureError {
    CaptureError::Truncated {
        offset,
        what: what.into(),
    }
}

fn block_name(btype: u32) -> String {
    let name = match btype {
        SHB => "Section Header Block",
        IDB => "Interface Description Block",
        PB => "Packet Block",
        SPB => "Simple Packet Block",
        NRB => "Name Resolution Block",
        ISB => "Interface Statistics Block",
        EPB => "Enhanced Packet Block",
        SJE => "systemd Journal Export Block",
        DSB => "Decryption Secrets Block",
        CUSTOM | CUSTOM_NO_COPY => "Custom Block",
        other => return format!("block of type {other:#010x}"),
    };
    name.to_string()
}

/// `if_tsresol` to a tick scale and the decimal digits worth printing.
/// 10^-e gives e digits; 2^-n gives the digits of the largest power of ten
/// not above 2^n ticks per second (2^-8 -> 2, 2^-20 -> 6), as capinfos
/// reports them. Both are capped at 9.
fn resolution(tsresol: u8) -> (Scale, u8) {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        let scale = if exp <= 9 {
            Scale::Mul(10i128.pow(9 - exp))
        } else {
            Scale::Div(10i128.pow((exp - 9).min(38)))
        };
        (scale, exp.min(9) as u8)
    } else {
        let mut digits = 0u8;
        while digits < 9 && (exp >= 64 || 10u128.pow(u32::from(digits) + 1) <= 1u128 << exp) {
            digits += 1;
        }
        (Scale::Shift(exp), digits)
    }
}

/// Option TLVs (section 3.5) of a block body; stops at `opt_endofopt`, at
/// the end of the body, or at an option that overruns it (setting `bad`).
struct Options<'a> {
    rest: &'a [u8],
    endian: Endian,
    bad: bool,
}

impl<'a> Options<'a> {
    fn new(rest: &'a [u8], endian: Endian) -> Self {
        Options {
            rest,
            endian,
            bad: false,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let code = self.endian.u16(self.rest, 0)?;
        let len = usize::from(self.endian.u16(self.rest, 2)?);
        if code == 0 {
            self.rest = &[];
            return None;
        }
        let padded = (len + 3) & !3;
        let Some(value) = self.rest.get(4..4 + len) else {
            self.bad = true;
            self.rest = &[];
            return None;
        };
        self.rest = self.rest.get(4 + padded..).unwrap_or(&[]);
        Some((code, value))
    }
}

/// An option string: UTF-8 (lossy), without trailing NULs, at most
/// [`MAX_TEXT`] characters.
fn text(value: &[u8]) -> String {
    let end = value.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let s = String::from_utf8_lossy(value.get(..end).unwrap_or(&[]));
    s.chars().take(MAX_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_digits_follow_capinfos() {
        let digits = |r| resolution(r).1;
        assert_eq!(digits(6), 6);
        assert_eq!(digits(12), 9);
        assert_eq!(digits(0x80), 0);
        assert_eq!(digits(0x83), 0);
        assert_eq!(digits(0x84), 1);
        assert_eq!(digits(0x88), 2);
        assert_eq!(digits(0x94), 6);
        assert_eq!(digits(0x9e), 9);
        assert_eq!(digits(0xff), 9);
        assert_eq!(resolution(3).0, Scale::Mul(1_000_000));
        assert_eq!(resolution(12).0, Scale::Div(1_000));
        assert_eq!(resolution(0x7f).0, Scale::Div(10i128.pow(38)));
    }

    #[test]
    fn options_stop_at_end_and_flag_overruns() {
        let body = [
            2, 0, 3, 0, b'e', b't', b'h', 0, 9, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 9,
        ];
        let mut opts = Options::new(&body, Endian::Little);
        assert_eq!(opts.next(), Some((2, &b"eth"[..])));
        assert_eq!(opts.next(), Some((9, &[6][..])));
        assert_eq!(opts.next(), None);
        assert!(!opts.bad);
        let overrun = [2, 0, 200, 0, b'x'];
        let mut opts = Options::new(&overrun, Endian::Little);
        assert_eq!(opts.next(), None);
        assert!(opts.bad);
        assert_eq!(text(b"name\0\0"), "name");
    }
}
