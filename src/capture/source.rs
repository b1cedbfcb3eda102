//! Buffered byte source.
