//! Memory the allocator holds but the service no longer uses. On Linux with glibc, `malloc` keeps
//! freed memory in its arenas (by default up to eight per core, one per thread that allocates
//! concurrently) and hands little of it back to the system: after the projector's catch-up or a
//! burst of requests the resident size stays near its peak although most of it is free. The
//! service therefore limits the arenas at start ([`limit_arenas`]) and asks the allocator to
//! return free pages every [`TRIM_EVERY`] ([`release_free_memory`]). Elsewhere both do nothing.

use std::time::Duration;

/// How often the service returns free memory to the system.
pub const TRIM_EVERY: Duration = Duration::from_secs(10);

/// Arenas glibc may create (its default is eight per core).
pub const ARENAS: i32 = 2;

/// Limit glibc's malloc to [`ARENAS`] arenas (best before many threads allocate).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_arenas() {
    // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX takes any positive count.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Limit the allocator's arenas (nothing to do here).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}

/// Return the free memory at the top of the heap and in free pages to the system; whether any
/// was returned.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes the allocator's own locks; 0 keeps no padding.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Return free memory to the system (nothing to do here).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

/// Return free memory every [`TRIM_EVERY`] until `stop` resolves (on a blocking thread: a trim
/// walks the whole heap).
pub async fn trim_periodically(stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(TRIM_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tick.tick() => {
                let _ = tokio::task::spawn_blocking(release_free_memory).await;
            }
        }
    }
}
