//! gm-crypto
