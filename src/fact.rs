//! fact
