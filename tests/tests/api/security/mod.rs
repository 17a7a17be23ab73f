//! The security review's findings, one module per class of attack (see
//! docs/security.md for the threat model). Each test is written as the
//! attacker would try it and fails for any variant of the attack, not only
//! for the request that first found it.

mod headers;
mod uploads;
