//! Typed settings, read from flags and `KINERJA_…` environment variables.
