//! The reliability suite: each promise in RELIABILITY.md, proved against real processes,
//! sockets and signals. Bounded in time; the figures it prints go into RELIABILITY.md.

mod concurrency;
mod crash;
mod disk;
mod fuzz;
mod model;
mod orphans;
mod startup;
mod volume;
pub(crate) mod wrong_kills;
