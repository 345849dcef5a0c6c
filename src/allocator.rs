//! Tuning of the global allocator (mimalloc, set in `main.rs` and in the benchmarks).
//!
//! By default mimalloc gives freed memory back to the OS ("purges" it) after a delay, and an
//! audit that allocates and frees a lot (the account's values, each rule's temporaries) then
//! pays for the kernel to zero the same pages again on their next use: on a 100k-image account
//! that was a third of the run, as system time. regcheck is a short-lived process whose memory
//! all goes back when it exits, so it keeps what it freed instead: a slightly higher peak
//! (about 12% on the large benchmark account) for much less time.
//!
//! mimalloc also asks the kernel for transparent huge pages (`madvise(MADV_HUGEPAGE)`) on the
//! memory it reserves. Each huge page is zeroed whole (2 MiB) on its first touch: an audit of an
//! empty account touched seven of them, and a 10k-image audit spent three times more system
//! time with them than without, for the same user time (measured with `/usr/bin/time`, see the
//! bench report's notes). Measured again on a VM that returns free memory to its host: when
//! runs follow each other within a second or two, huge pages make a 10k-image audit faster
//! (0.23-0.31 s against 0.40 s), but after an idle pause, the usual case for a run at a
//! terminal or on a fresh CI machine, slower (0.48-0.68 s against 0.41-0.45 s). regcheck turns
//! them off for its process ([`no_huge_pages`]).

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` in mimalloc v3, which `libmimalloc-sys` 0.1.49 builds (and does not
/// name): the option before `mi_option_use_numa_nodes` (16). Both crates are pinned in
/// Cargo.toml; the test below fails if the index moves (it checks the option's default).
const PURGE_DELAY: mi_option_t = 15;

/// Never purge freed memory. Call before the first allocation (the binary does, from an ELF
/// constructor in `main.rs`); harmless when mimalloc is linked but not the global allocator.
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` only stores an integer in mimalloc's option table; any index
    // below `_mi_option_last` is valid, and 15 is (see `PURGE_DELAY`).
    unsafe { mi_option_set(PURGE_DELAY, -1) };
}

/// Turns off transparent huge pages for this process (Linux; elsewhere a no-op). The kernel
/// checks the setting on every page fault, so memory that mimalloc reserved (and advised as
/// huge) earlier is covered too, but not pages already faulted in: call it before the first
/// allocation, as the binary does from an ELF constructor in `main.rs`.
pub fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` takes plain integers and touches no memory of ours; a kernel
    // without it returns an error, which changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::{mi_option_get, mi_option_use_numa_nodes};

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_can_be_turned_off() {
        no_huge_pages();
        // SAFETY: reads the process's flag.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) }, 1);
    }

    #[test]
    fn purge_delay_is_the_option_before_use_numa_nodes() {
        assert_eq!(PURGE_DELAY, mi_option_use_numa_nodes - 1);
        // mimalloc v3's default purge delay is 1000 ms, unless the environment changes it.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads an integer from mimalloc's option table.
            assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, 1000);
        }
    }
}
