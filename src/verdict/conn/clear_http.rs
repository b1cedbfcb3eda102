//! Provisioning over HTTP in clear: a profile rule of `http://` sends the
//! phone to cisco.sipflash.com (by its Host header, or an address that name
//! resolved to) on plain HTTP. There is no handshake to judge, but the
//! exchange itself shows: the response's status says whether the phone got
//! its profile. Judged only when no TLS with the provisioning server was
//! seen.

use crate::fact::{Body, Fact};
use crate::phone::names::is_provisioning_name;
use crate::proto::http::HttpMessage;
use crate::verdict::{ev, Ctx, Stage, StageResult, Status};

/// A request of the phone to the provisioning server in clear.
pub(crate) fn to_provisioning(ctx: &Ctx<'_>, f: &Fact) -> bool {
    let Body::Http(HttpMessage::Request { host, .. }) = &f.body else {
        return false;
    };
    let by_host = host.as_deref().is_some_and(|h| {
        let name = h.rsplit_once(':').map_or(h, |(n, _)| n);
        is_provisioning_name(&name.to_ascii_lowercase())
    });
    ctx.is_phone(&f.src_ip()) && (by_host || ctx.names.any_name(&f.dst_ip(), is_provisioning_name))
}

/// The stage from the phone's last GET to the provisioning server in clear
/// and the response to it, if there was one.
pub(super) fn provisioning(ctx: &Ctx<'_>) -> Option<StageResult> {
    let own: Vec<&Fact> = ctx.own().collect();
    let (at, request) = own.iter().enumerate().rev().find(|(_, f)| {
        to_provisioning(ctx, f)
            && matches!(&f.body, Body::Http(HttpMessage::Request { method, .. })
                if method == "GET")
    })?;
    let Body::Http(HttpMessage::Request { target, host, .. }) = &request.body else {
        return None;
    };
    let server = host.clone().unwrap_or_else(|| request.dst.to_string());
    let asked = format!("HTTP GET {target} from {server} (in clear)");
    let mut evidence = vec![ev(request, asked.clone())];
    let response = own.get(at + 1..).unwrap_or_default().iter().find_map(|r| {
        let from_server = r.src == request.dst && r.dst == request.src;
        match &r.body {
            Body::Http(HttpMessage::Response { status, reason, .. }) if from_server => {
                Some((*r, *status, reason.clone()))
            }
            _ => None,
        }
    });
    let Some((r, status, reason)) = response else {
        let summary = format!("{asked}: no response in the capture");
        return Some(StageResult::not_seen(Stage::Provisioning, summary).evidence(evidence));
    };
    evidence.push(ev(r, format!("{status} {reason}")));
    let summary = format!("{asked}: {status} {reason}");
    let result = match status {
        200..=299 => StageResult::new(Stage::Provisioning, Status::Pass, summary),
        _ => StageResult::new(Stage::Provisioning, Status::Fail, summary).advice(format!(
            "{server} answered {status} {reason} for {target}: the phone got no profile; check \
             the profile rule the phone was given (its path) and that the device is added in \
             Control Hub; Webex provisioning normally runs over HTTPS"
        )),
    };
    Some(result.evidence(evidence))
}
