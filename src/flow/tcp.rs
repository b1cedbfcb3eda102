//! One direction of a TCP stream: sequence-number reassembly.
