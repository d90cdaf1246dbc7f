//! What POSIX gives every Unix backend alike (Linux and macOS): signals, waiting for
//! children, files and their identity, the terminal, users.

pub(crate) mod files;
pub(crate) mod signals;
pub(crate) mod terminal;
pub(crate) mod users;
pub(crate) mod wait;
