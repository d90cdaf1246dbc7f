//! Color and cursor sequences taken out of a service's output on its way into the log
//! file (the terminal keeps them): a state machine that carries a sequence split across
//! two chunks.

/// Where the color-stripping state machine is, across chunk boundaries.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
  None,
  /// After ESC.
  Start,
  /// Inside `ESC [ … final`.
  Csi,
  /// Inside `ESC ] … BEL` or `ESC ] … ESC \`.
  Osc,
  /// ESC inside an OSC: the `\` after it ends it.
  OscEnd,
}

impl Escape {
  /// True when `byte` belongs to a color or cursor sequence.
  pub(crate) fn strips(&mut self, byte: u8) -> bool {
    const ESC: u8 = 0x1b;
    *self = match (*self, byte) {
      (Escape::None, ESC) => Escape::Start,
      (Escape::None, _) => return false,
      (Escape::Start, b'[') => Escape::Csi,
      (Escape::Start, b']') => Escape::Osc,
      // A two-byte sequence (ESC 7, ESC =, …).
      (Escape::Start, _) => Escape::None,
      (Escape::Csi, 0x40..=0x7e) => Escape::None,
      (Escape::Csi, _) => Escape::Csi,
      (Escape::Osc, 0x07) => Escape::None,
      (Escape::Osc, ESC) => Escape::OscEnd,
      (Escape::Osc, _) => Escape::Osc,
      (Escape::OscEnd, _) => Escape::None,
    };
    true
  }
}
