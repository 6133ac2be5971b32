//! Memory the allocators hold but the service no longer uses. Rust allocations go to mimalloc
//! (the crate's global allocator), which purges freed pages on its own after a short delay; the
//! C code in the process (SQLite) allocates with the system `malloc`, which on Linux with glibc
//! keeps freed memory in its arenas (by default up to eight per core) and hands little of it back:
//! after the projector's catch-up or a burst of requests the resident size would stay near its
//! peak. The service therefore limits glibc's arenas at start ([`limit_arenas`]) and asks both
//! allocators to return free pages every [`TRIM_EVERY`] ([`release_free_memory`]).

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

/// Return free memory to the system: mimalloc's (every Rust allocation, see the crate root)
/// and glibc's (SQLite's page caches and statements, which allocate through `malloc`); whether
/// glibc returned any.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    collect_mimalloc();
    // SAFETY: malloc_trim takes the allocator's own locks; 0 keeps no padding.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Return free memory to the system (mimalloc's; there is no glibc here).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    collect_mimalloc();
    false
}

/// Ask mimalloc to purge the free pages of every thread's heap now.
#[allow(unsafe_code)]
fn collect_mimalloc() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; `true` forces the purge.
    unsafe { libmimalloc_sys::mi_collect(true) }
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
