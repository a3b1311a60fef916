//! The audit trail of the back office: every call of a back-office function is an event on
//! one append-only stream — who (the admin key or an operator), which function, when, the
//! target (the path) and the change (the request, secrets redacted at the edge) — and then
//! its outcome. No route changes or deletes an entry.
//!
//! The call is journaled *before* the function runs and the outcome after, without waiting
//! in between: the journal is one ordered log, so anything the call made durable has its
//! audit entry durable before it. A crash between the two leaves a call without an outcome,
//! which reads as "outcome unknown", never an action without a record.

use serde::{Deserialize, Serialize};

use super::security::Staff;
use super::time::Timestamp;

/// Bytes of a change kept at most; longer requests are cut (bulk seeding sends megabytes).
pub const AUDIT_CHANGE_BYTES_MAX: usize = 2048;

/// One call of a back-office function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCall {
    /// Who called.
    pub by: Staff,
    /// The security function (`<resource>.<verb>`).
    pub function: String,
    /// The HTTP method.
    pub method: String,
    /// The path called: what it acts on.
    pub target: String,
    /// The request, secrets redacted, at most `AUDIT_CHANGE_BYTES_MAX` bytes.
    pub change: String,
    /// When.
    pub at: Timestamp,
}

/// An event of the audit stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditEvent {
    /// A back-office function was called (journaled before it ran).
    Called(Box<AuditCall>),
    /// How a call ended.
    Answered {
        /// The call's position in the audit stream.
        call: u64,
        /// The HTTP status answered.
        status: u16,
        /// When.
        at: Timestamp,
    },
}

impl AuditEvent {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            AuditEvent::Called(call) => call.at,
            AuditEvent::Answered { at, .. } => *at,
        }
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
#[must_use]
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    const MARK: &str = "…";
    let mut end = max.saturating_sub(MARK.len());
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut cut = text.get(..end).unwrap_or_default().to_owned();
    cut.push_str(MARK);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_change_is_cut_on_a_character_boundary() {
        assert_eq!(cut("short", 10), "short");
        let long = "é".repeat(100);
        let kept = cut(&long, 11);
        assert!(kept.len() <= 11, "{kept}");
        assert!(kept.ends_with('…'));
        assert!(kept.starts_with("éééé"));
    }
}
