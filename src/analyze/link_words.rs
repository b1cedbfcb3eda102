//! What a capture's frames that failed at the link layer say about it.
//!
//! When all or nearly all of them fail there (19 in 20 or more, the rest
//! on link types provscope does not read), the link type in the file's
//! header is what is wrong, not the frames: nothing of the file is
//! analysed, and one line names the file's link type, what the frames
//! look like instead, and the `editcap -T` command that rewrites it. The
//! file is then handled as one whose link types provscope does not read
//! (an error line, `scan` lists it as not read, exit 2 when nothing else
//! was analysed), rather than decoded under a guessed link type: a verdict
//! built on a guess would look as sure as one built on the file. Fewer
//! failures are named in the warning on undecodable frames; frames that
//! fit their link type but carry a protocol not read (all MACsec) are no
//! wrong header and keep their own warning. Records too short to tell any
//! layout (empty ones above all) are no evidence either way and are left
//! out of the proportion, and a file any of whose frames decoded to an IP
//! packet is on the right link type; a file of nothing but such records is
//! not read, and the line says they are empty.

use crate::packet::mislabel::{linktype_name, LinkFailure};
use crate::packet::DecodeStats;

/// Why a capture of `frames` frames was not analysed, when its frames
/// failed at the link layer (all but one in 20 at most, short records left
/// out), or all of them were too short to hold anything.
pub(super) fn mislabelled(frames: u64, d: &DecodeStats) -> Option<String> {
    if d.ip_packets > 0 {
        return None;
    }
    let short = d.link_short.min(frames);
    if short > 0 && short == frames {
        return Some(all_short(frames, d));
    }
    let failed = (d.link_undecodable - d.link_short.min(d.link_undecodable)) + d.other_payload;
    let first = d.link_failed_first.filter(|f| !f.short())?;
    let frames = frames - short;
    if failed == 0 || failed + d.unsupported_linktype + frames / 20 < frames {
        return None;
    }
    // Frames of the right link type carrying a protocol not read (all
    // MACsec) are no wrong header: the warning on them says so.
    let headers_wrong = d.link_undecodable - short > failed / 2;
    if first.other_layout().is_none() && !headers_wrong {
        return None;
    }
    let count = match failed == frames {
        true => format!("none of its {frames} frames could"),
        false => format!("{failed} of its {frames} frames could not"),
    };
    let besides = match short {
        0 => String::new(),
        n => format!(" (besides {n} records too short to tell)"),
    };
    let named = format!(
        "{count} be read as {} (link type {}), the link type its header names{besides}",
        linktype_name(first.linktype),
        first.linktype
    );
    Some(match first.other_layout() {
        Some(looks) => format!(
            "{named}: the frames start with {} (frame {}: {}), so that link type looks \
             wrong; rewrite it with `editcap -T {} IN OUT`",
            looks.words(),
            first.frame,
            first.head_hex(),
            looks.editcap()
        ),
        None => format!(
            "{named}: frame {} {}, which fits no other link type provscope reads: \
             the header names the wrong link type, or the frames are damaged",
            first.frame,
            first.bytes_words(),
        ),
    })
}

/// "its 300 records are all empty (0 bytes captured)", for a capture none
/// of whose records is long enough to hold a packet.
fn all_short(records: u64, d: &DecodeStats) -> String {
    match (records, d.link_empty == records) {
        (1, true) => "its one record is empty (0 bytes captured)".to_string(),
        (1, false) => "its one record is too short to hold a packet".to_string(),
        (n, true) => format!("its {n} records are all empty (0 bytes captured)"),
        (n, false) => format!("its {n} records are all empty or too short to hold a packet"),
    }
}

/// " (3 at the link layer: frame 7, on BSD loopback (link type 0), starts
/// 45 00 ..., which looks like an IPv4 header)", for the warning on
/// undecodable frames; empty when none failed there.
pub(super) fn undecodable_note(d: &DecodeStats) -> String {
    let Some(first) = d.link_failed_first.filter(|_| d.link_undecodable > 0) else {
        return String::new();
    };
    format!(
        " ({} at the link layer: frame {}, on {} (link type {}), {}{})",
        d.link_undecodable,
        first.frame,
        linktype_name(first.linktype),
        first.linktype,
        first.bytes_words(),
        looks_like(&first)
    )
}

fn looks_like(first: &LinkFailure) -> String {
    first
        .other_layout()
        .map(|l| format!(", which looks like {}", l.words()))
        .unwrap_or_default()
}
