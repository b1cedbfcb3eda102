//! SIP to the SBC inside TLS (Webex Calling, port 8934): no REGISTER is
//! visible, but the session is. Encrypted records both ways say that SIP
//! runs there, out of a capture's sight. In TLS 1.2 each side's first
//! application_data record is told from its handshake (it follows the
//! ChangeCipherSpec), so a session where the phone sent data and the SBC
//! sent none back before the session closed (the SBC closing at once, or
//! the phone giving up after a wait) is an unanswered REGISTER: a failure,
//! unless a later session carries application data both ways (a warning,
//! recovered); and one that closed with no application data either way
//! carried no SIP (a failure when the SBC closed it within moments of the
//! handshake: a phone sends its REGISTER at once, the SBC dropped it
//! before).

use std::collections::BTreeMap;

use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact};
use crate::proto::tls::TlsEvent;

/// How the summary of a registration hidden inside the SBC's TLS begins.
pub(super) const INSIDE_TLS: &str =
    "no cleartext REGISTER: SIP to the SBC would run inside the TLS session";

/// Seconds of silence after the phone's data before a close that make the
/// SBC's silence an answer (a registrar answers a REGISTER at once).
const SILENT_SECS: f64 = 5.0;

/// Seconds after the handshake within which the SBC closing an empty
/// session dropped the phone before its REGISTER (a phone left idle for
/// long may be closed on).
const DROPPED_SECS: f64 = 1.0;

/// SIP over TLS's own port (RFC 3261 section 26.2).
const SIPS_PORT: u16 = 5061;

/// What one TLS session with the SBC showed.
#[derive(Default)]
struct Session<'a> {
    tls12: bool,
    /// Each side's ChangeCipherSpec and first application_data record.
    ccs: [Option<&'a Fact>; 2],
    data: [Option<&'a Fact>; 2],
    /// The first close (FIN, RST or an encrypted alert) from either side.
    close: Option<&'a Fact>,
    /// The phone's first encrypted alert (its close_notify, or a refusal).
    phone_alert: Option<&'a Fact>,
    /// The capture ends with the phone's records re-sent, never
    /// acknowledged, the SBC silent since: the last send and the re-sends.
    dead: Option<(&'a Fact, u32)>,
}

/// The sip-register stage from the TLS sessions with the SBC, when the
/// phone sent no cleartext REGISTER; None without such a session.
pub fn inside_tls(ctx: &Ctx<'_>) -> Option<StageResult> {
    let mut sessions: BTreeMap<u64, Session<'_>> = BTreeMap::new();
    for f in ctx.own() {
        let (conn, from_client) = match &f.body {
            Body::Tls {
                conn, from_client, ..
            }
            | Body::Closed {
                conn, from_client, ..
            }
            | Body::Unacked {
                conn,
                from_client,
                went_silent: true,
                ..
            } => (*conn, *from_client),
            _ => continue,
        };
        let server = if from_client { f.dst } else { f.src };
        // (SIP over TLS on its own port too: RFC 3261 26.2.)
        if server.port() != ctx.sbc_port && server.port() != SIPS_PORT {
            continue;
        }
        let s = sessions.entry(conn).or_default();
        let side = usize::from(!from_client);
        match &f.body {
            Body::Tls { event, .. } => match event {
                TlsEvent::ServerHello {
                    selected_version, ..
                } => s.tls12 = *selected_version < 0x0304,
                TlsEvent::ChangeCipherSpec => {
                    s.ccs[side].get_or_insert(f);
                }
                TlsEvent::ApplicationData => {
                    s.data[side].get_or_insert(f);
                }
                TlsEvent::EncryptedAlert if s.tls12 && s.data[0].is_some() => {
                    s.close.get_or_insert(f);
                }
                TlsEvent::EncryptedAlert if from_client => {
                    s.phone_alert.get_or_insert(f);
                }
                _ => {}
            },
            Body::Unacked { resent, .. } if from_client => s.dead = Some((f, *resent)),
            Body::Unacked { .. } => {}
            _ => {
                s.close.get_or_insert(f);
            }
        }
    }
    let mut result = None;
    // The last session whose first record got nothing back, while no later
    // one carried records both ways.
    let mut unanswered_at: Option<StageResult> = None;
    for s in sessions.values() {
        // The latest session that says something decides.
        if let Some(r) = went_silent(s) {
            result = Some(r);
        } else if let Some(r) = unanswered(s) {
            unanswered_at = Some(r.clone());
            result = Some(r);
        } else if let Some(r) = carried(s) {
            result = Some(match unanswered_at.take() {
                Some(before) if s.data[1].is_some() => recovered(before, r),
                _ => r,
            });
        }
    }
    result
}

/// A session whose REGISTER went unanswered (`before`), then a later one
/// with application data both ways (`later`): the phone got past it.
fn recovered(before: StageResult, later: StageResult) -> StageResult {
    let since = later
        .evidence
        .iter()
        .map(|e| e.frame)
        .min()
        .unwrap_or_default();
    let summary = format!(
        "{}; a later TLS session (from #{since}) carried records both ways, so SIP ran again",
        before.summary
    );
    let mut evidence = before.evidence;
    evidence.extend(later.evidence);
    StageResult::new(Stage::SipRegister, Status::Warn, summary)
        .advice(before.advice.unwrap_or_default())
        .evidence(evidence)
}

/// TLS 1.2: the phone's data got nothing back before the session closed.
fn unanswered(s: &Session<'_>) -> Option<StageResult> {
    let (up, close) = (s.data[0]?, s.close?);
    let waited = up.ts.secs_until(&close.ts);
    let by_phone = matches!(
        &close.body,
        Body::Closed {
            from_client: true,
            ..
        } | Body::Tls {
            from_client: true,
            ..
        }
    );
    // (The SBC closing, however soon, is its answer; the phone's close
    // only after a wait no registrar takes.)
    // (A close before the phone's data is no answer to it.)
    let before = close.frame <= up.frame;
    if !s.tls12 || s.data[1].is_some() || before || (by_phone && waited < SILENT_SECS) {
        return None;
    }
    let by = match by_phone {
        true => "the phone gave up and closed",
        false => "the SBC closed",
    };
    let later = match waited {
        w if w >= 1.0 => format!("{w:.0} s later"),
        w if w >= 0.001 => format!("{:.0} ms later", w * 1000.0),
        _ => "at once".to_string(),
    };
    let summary = format!(
        "the phone sent its first record inside TLS to {} (#{}; SIP runs there) and the SBC sent \
         nothing back; {by} the session {later} (#{})",
        up.dst, up.frame, close.frame
    );
    let evidence = vec![
        ev(up, "the phone's first record inside TLS (its REGISTER)"),
        ev(close, "the session closes, nothing from the SBC inside it"),
    ];
    let advice = "the SBC accepts the TLS session but answers nothing inside it: it does not \
                  take the phone's REGISTER; check the line's registration for this device in \
                  Control Hub and the phone's own log (it shows the REGISTER and what came back)";
    Some(
        StageResult::new(Stage::SipRegister, Status::Fail, summary)
            .advice(advice)
            .evidence(evidence),
    )
}

/// SIP ran inside the session (records both ways), then the SBC stopped
/// acknowledging the phone's records: the capture ends with them re-sent.
fn went_silent(s: &Session<'_>) -> Option<StageResult> {
    let (last, resent) = s.dead?;
    let up = s.data[0].or(s.ccs[0])?;
    let down = s.data[1].or(s.ccs[1])?;
    let summary = format!(
        "SIP ran inside the TLS session with {} (from #{}), then the SBC stopped acknowledging \
         the phone's records: sent {} times, the last at #{}, nothing back to the capture's end",
        up.dst,
        up.frame.min(down.frame),
        resent.saturating_add(1),
        last.frame
    );
    let evidence = vec![
        ev(down, "encrypted records from the SBC: the session worked"),
        ev(last, "the phone's records re-sent, never acknowledged"),
    ];
    let advice = "the SBC, or the path to it, went away in the middle of the session: what the \
                  phone sends (a REGISTER refresh) no longer reaches it; check the firewall's \
                  or NAT's session timeouts on 8934 and the SBC's reachability (a capture beside \
                  it), and the phone's log for its re-registration";
    Some(
        StageResult::new(Stage::SipRegister, Status::Fail, summary)
            .advice(advice)
            .evidence(evidence),
    )
}

/// TLS 1.2: the SBC closed the session right after the handshake, before
/// any application data either way: the phone's REGISTER never went.
fn dropped(done: &Fact, close: &Fact) -> StageResult {
    let how = match close.body {
        Body::Closed { rst: true, .. } => "reset",
        _ => "closed",
    };
    let ms = done.ts.secs_until(&close.ts) * 1e3;
    let summary = format!(
        "the TLS handshake with {} completed (#{}), then the SBC {how} (#{}) the session {ms:.0} \
         ms later, before any application data either way: no REGISTER could go",
        close.src, done.frame, close.frame
    );
    let evidence = vec![
        ev(done, "the keys change: the handshake is done"),
        ev(
            close,
            format!("the SBC {how} the session, no application data in it"),
        ),
    ];
    let advice = "the SBC, or the TLS proxy in front of it, accepts the TLS session and drops it \
                  before any SIP: its SIP service is down or refuses this phone's address; try \
                  the SRV answer's other SBC and check the SBC's or the proxy's log";
    StageResult::new(Stage::SipRegister, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

/// Encrypted records (or a change of keys) both ways: SIP would run inside.
fn carried(s: &Session<'_>) -> Option<StageResult> {
    let up = s.data[0].or(s.ccs[0])?;
    let down = s.data[1].or(s.ccs[1])?;
    // TLS 1.2 shows application data apart from the handshake: a session
    // that closed with none either way carried no SIP.
    if let (true, [None, None], Some(close)) = (s.tls12, s.data, s.close) {
        let done = if up.frame <= down.frame { down } else { up };
        let by_sbc = matches!(
            close.body,
            Body::Closed {
                from_client: false,
                ..
            }
        );
        // (The phone's close_notify first: the SBC answered the phone's close.)
        let phone_first = s.phone_alert.is_some_and(|a| a.frame <= close.frame);
        if by_sbc && !phone_first && done.ts.secs_until(&close.ts) < DROPPED_SECS {
            return Some(dropped(done, close));
        }
        let summary = format!(
            "no cleartext REGISTER: the TLS session with {} (#{}) closed (#{}) without a \
             single application data record either way: no SIP ran in it",
            up.dst,
            up.frame.min(down.frame),
            close.frame
        );
        let evidence = vec![
            ev(
                if up.frame <= down.frame { up } else { down },
                "the keys change: the handshake is done",
            ),
            ev(close, "the session closes, no application data in it"),
        ];
        return Some(StageResult::not_seen(Stage::SipRegister, summary).evidence(evidence));
    }
    let summary = format!(
        "{INSIDE_TLS} with {} (from #{}), which a capture cannot read; the phone's own log \
         shows it",
        up.dst,
        up.frame.min(down.frame)
    );
    let text = |f: &Fact, who: &str| match &f.body {
        Body::Tls {
            event: TlsEvent::ChangeCipherSpec,
            ..
        } => format!("{who} switches to encryption (ChangeCipherSpec)"),
        _ => format!("encrypted records from {who}"),
    };
    let mut evidence: Vec<Evidence> = vec![
        ev(up, text(up, "the phone")),
        ev(down, text(down, "the SBC")),
    ];
    evidence.sort_by_key(|e| e.frame);
    Some(StageResult::not_seen(Stage::SipRegister, summary).evidence(evidence))
}
