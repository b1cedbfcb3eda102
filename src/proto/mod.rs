//! Protocol decoders: bytes in, typed facts out. One file per protocol; none
//! of them knows about phones or verdicts.

pub mod dhcp;
pub mod dns;
pub mod http;
pub mod ntp;
pub mod sip;
pub mod tftp;
pub mod tls;
