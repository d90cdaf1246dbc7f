//! The docs say only what is true: what can be checked against the program is checked here,
//! so README.md and RELIABILITY.md cannot drift from what `dev` does and what the suite has.

mod help;
mod normalise;
mod references;
mod tour;
mod tutorial;
