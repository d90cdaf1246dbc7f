//! What `dev` shows people: colors, formats, progress lines and spinners, suggestions,
//! timestamps. Lower layers return values; these render them.

pub(crate) mod browser;
pub(crate) mod color;
pub(crate) mod format;
pub(crate) mod output;
pub(crate) mod progress;
pub(crate) mod prompt;
pub(crate) mod screen;
pub(crate) mod suggestion;
pub(crate) mod timestamp;
