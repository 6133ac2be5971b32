//! The event store: the contract every backend honours, and the backends themselves.
