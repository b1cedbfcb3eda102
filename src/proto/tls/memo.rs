//! A memo of decoded certificate chains, per thread.
//!
//! In a capture of many phones the same few servers (activation,
//! provisioning, the SBC) send the same chain thousands of times, and
//! decoding one with x509-parser costs far more than comparing its bytes.
//! The memo maps the bytes of a Certificate message to its decoded chain.
//! It is bounded in entries and in bytes and is emptied when full; a miss
//! only costs the decoding that would have happened anyway, so the result
//! never depends on it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use rustc_hash::FxHasher;

use super::CertInfo;

/// Chains remembered at once, and their total bytes.
const MAX_ENTRIES: usize = 64;
const MAX_BYTES: usize = 2 << 20;

#[derive(Default)]
struct Memo {
    /// Certificate message bytes -> decoded chain.
    chains: HashMap<Box<[u8]>, Arc<[CertInfo]>, BuildHasherDefault<FxHasher>>,
    bytes: usize,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// The chain of the Certificate message `body`: remembered, or decoded by
/// `decode` and remembered.
pub(super) fn chain(body: &[u8], decode: impl FnOnce() -> Vec<CertInfo>) -> Arc<[CertInfo]> {
    if let Some(hit) = MEMO.with(|m| m.borrow().chains.get(body).cloned()) {
        return hit;
    }
    let chain: Arc<[CertInfo]> = decode().into();
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if body.len() > MAX_BYTES {
            return;
        }
        if m.chains.len() >= MAX_ENTRIES || m.bytes + body.len() > MAX_BYTES {
            m.chains.clear();
            m.bytes = 0;
        }
        m.bytes += body.len();
        m.chains.insert(body.into(), chain.clone());
    });
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(cn: &str) -> CertInfo {
        CertInfo {
            subject_cn: Some(cn.into()),
            ..Default::default()
        }
    }

    #[test]
    fn decodes_once_per_distinct_body_and_stays_bounded() {
        let mut decoded = 0;
        for _ in 0..3 {
            chain(b"same chain", || {
                decoded += 1;
                vec![info("same")]
            });
        }
        assert_eq!(decoded, 1);
        for i in 0..(MAX_ENTRIES * 3) {
            let body = format!("chain {i}").into_bytes();
            let got = chain(&body, || vec![info(&format!("host{i}"))]);
            assert_eq!(got[0].subject_cn, Some(format!("host{i}")));
            assert!(MEMO.with(|m| m.borrow().chains.len()) <= MAX_ENTRIES);
        }
        // What was remembered last is still there, and still right.
        let last = format!("chain {}", MAX_ENTRIES * 3 - 1).into_bytes();
        let got = chain(&last, || panic!("should be remembered"));
        assert_eq!(
            got[0].subject_cn,
            Some(format!("host{}", MAX_ENTRIES * 3 - 1))
        );
    }

    #[test]
    fn a_huge_body_is_decoded_but_not_kept() {
        let body = vec![7u8; MAX_BYTES + 1];
        let got = chain(&body, || vec![info("big")]);
        assert_eq!(got.len(), 1);
        assert!(MEMO.with(|m| !m.borrow().chains.contains_key(&body[..])));
    }
}
