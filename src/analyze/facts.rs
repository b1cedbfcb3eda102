//! The facts of one capture, collected in frame order without sorting them.
//!
//! Nearly every fact is pushed while its own frame is read, so the list is
//! already in frame order. The exceptions arrive late: an attempt found
//! unanswered at the end of the capture (or when its slot is reused) is dated
//! by its last SYN, long gone. Those few wait aside and are merged in at the
//! end, in place: no second copy of the list is made, unlike a stable sort,
//! whose scratch buffer is half the list (facts are large).
//!
//! The result equals a stable sort by frame of the facts in push order.

use std::net::{Ipv4Addr, SocketAddr};

use crate::fact::{Body, Fact, L4};

/// Facts in frame order, plus the late ones.
#[derive(Default)]
pub struct Facts {
    /// Non-decreasing frame numbers, in push order.
    ordered: Vec<Fact>,
    /// Facts older than the last ordered one when pushed, in push order.
    late: Vec<Fact>,
}

impl Facts {
    pub fn push(&mut self, fact: Fact) {
        match self.ordered.last() {
            Some(last) if last.frame > fact.frame => self.late.push(fact),
            _ => self.ordered.push(fact),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.ordered.len() + self.late.len()
    }

    /// All facts by frame; facts of one frame stay in push order.
    pub fn into_sorted(self) -> Vec<Fact> {
        let Facts {
            mut ordered,
            mut late,
        } = self;
        if late.is_empty() {
            return ordered;
        }
        late.sort_by_key(|f| f.frame);
        // Room at the end, then a merge from the back: each ordered fact with
        // a later frame than the last late one moves right past the free
        // slots (one swap with a placeholder), then the late fact takes the
        // last free slot. An ordered fact of the same frame was pushed before
        // it (the ordered frames only grow), so it stays ahead.
        let mut read = ordered.len();
        let mut write = read + late.len();
        ordered.extend(std::iter::repeat_with(filler).take(late.len()));
        while let Some(fact) = late.pop() {
            while read > 0 && ordered.get(read - 1).is_some_and(|f| f.frame > fact.frame) {
                ordered.swap(read - 1, write - 1);
                read -= 1;
                write -= 1;
            }
            write -= 1;
            if let Some(slot) = ordered.get_mut(write) {
                *slot = fact;
            }
        }
        ordered
    }
}

/// A placeholder that holds a slot during the merge; none is left after it.
fn filler() -> Fact {
    let nowhere = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
    Fact {
        frame: 0,
        ts: Default::default(),
        src: nowhere,
        dst: nowhere,
        l4: L4::Tcp,
        src_mac: None,
        dst_mac: None,
        vlan: None,
        truncated: false,
        ip_id: None,
        body: Body::Closed {
            conn: 0,
            from_client: false,
            rst: false,
            peer_acked: true,
            peer_silent: false,
            peer_unseen: false,
            own_unseen: false,
            tls: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fact of `frame` that remembers its push position in `conn`.
    fn fact(frame: u64, pushed: u64) -> Fact {
        Fact {
            frame,
            body: Body::Closed {
                conn: pushed,
                from_client: true,
                rst: false,
                peer_acked: true,
                peer_silent: false,
                peer_unseen: false,
                own_unseen: false,
                tls: None,
            },
            ..filler()
        }
    }

    fn key(f: &Fact) -> (u64, u64) {
        match f.body {
            Body::Closed { conn, .. } => (f.frame, conn),
            _ => (u64::MAX, u64::MAX),
        }
    }

    fn check(frames: &[u64]) {
        let mut facts = Facts::default();
        let mut want: Vec<Fact> = Vec::new();
        for (i, &frame) in frames.iter().enumerate() {
            facts.push(fact(frame, i as u64));
            want.push(fact(frame, i as u64));
        }
        want.sort_by_key(|f| f.frame);
        assert_eq!(facts.len(), frames.len());
        let got: Vec<_> = facts.into_sorted().iter().map(key).collect();
        let want: Vec<_> = want.iter().map(key).collect();
        assert_eq!(got, want, "frames {frames:?}");
    }

    #[test]
    fn in_order_facts_stay_as_pushed() {
        check(&[1, 2, 2, 3, 7, 7, 7, 9]);
        check(&[]);
    }

    #[test]
    fn late_facts_merge_like_a_stable_sort() {
        check(&[5, 6, 2, 7, 2, 1, 8, 6, 6]);
        check(&[10, 1, 1, 1]);
        check(&[3, 3, 3, 3, 2, 3, 1, 3]);
        check(&[1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn pseudo_random_orders_match_a_stable_sort() {
        let mut x = 0x9e37_79b9_u64;
        for len in 0..200 {
            let frames: Vec<u64> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly rising, some far behind, many equal.
                    if x % 5 == 0 {
                        x % (i + 1)
                    } else {
                        i / 2
                    }
                })
                .collect();
            check(&frames);
        }
    }
}
