//! Running services: `up` starts them through their keepers and watches them become ready;
//! each keeper owns one service's process tree, pumps its output into its log, restarts it
//! by its policy and ends it whole.

pub(crate) mod http;
pub(crate) mod keeper;
pub(crate) mod listeners;
pub(crate) mod log_colors;
pub(crate) mod log_file;
pub(crate) mod log_outage;
pub(crate) mod log_tail;
pub(crate) mod preflight;
pub(crate) mod probe;
pub(crate) mod pump;
pub(crate) mod readiness;
pub(crate) mod reaped;
pub(crate) mod spec;
pub(crate) mod stops;
pub(crate) mod terminate;
pub(crate) mod up;
pub(crate) mod watch;
