//! The ASN performance cycle as events and pure deciders (filled in by the "Domain" work).
