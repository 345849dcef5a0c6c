//! Starting a thread that must run at once, beside the thread that starts it.
//!
//! Linux queues a new thread on the core of the thread that creates it. While that thread keeps
//! working, the new one waits there, even with another core idle, until the scheduler next
//! balances the cores. On this project's 2-vCPU VM, a thread started by a parent that then
//! computed for 0.8 ms first ran 0.9 ms later (median); after 3 ms of the parent's work, 2.6 ms
//! later. A thread that already exists and is woken does not wait so (5-50 µs): the kernel looks
//! for an idle core then. regcheck loads an account on a new thread while the main thread plans
//! the run: the load started 0.5 ms late at 200 images, on every audit's critical path. The
//! load thread in turn starts a scan of the file and parses meanwhile: once the load ran beside
//! the main thread, that scan waited 1.9 ms behind the parse, so both start this way.
//!
//! [`spawn_beside`] narrows the new thread to the other cores the process may use, so that it
//! starts on one of them, and the thread then takes back every core: it is never left pinned.

use std::io;
use std::thread::{Builder, JoinHandle};

/// Spawns `work` as `builder` does, on another core than the calling thread's when the process
/// may use one. Where that cannot be arranged (another OS, a single allowed core, a call that
/// fails) the thread is started as [`Builder::spawn`] starts it.
pub fn spawn_beside<T, F>(builder: Builder, work: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    imp::spawn_beside(builder, work)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::mpsc;
    use std::thread::{Builder, JoinHandle};

    /// The cores this thread may run on, or `None` if the kernel will not say.
    pub(super) fn allowed() -> Option<libc::cpu_set_t> {
        // SAFETY: an all-zero `cpu_set_t` is an empty set; `sched_getaffinity` fills at most
        // `size_of::<cpu_set_t>()` bytes of it.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: `set` is valid for `size` bytes; pid 0 is the calling thread.
        (unsafe { libc::sched_getaffinity(0, size, &mut set) } == 0).then_some(set)
    }

    pub fn spawn_beside<T, F>(builder: Builder, work: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Some(all) = allowed() else {
            return builder.spawn(work);
        };
        // The new thread gets its cores back only once they were narrowed: were it to restore
        // them first, the narrowing after would pin it for good.
        let (narrowed, told) = mpsc::channel::<()>();
        let thread = builder.spawn(move || {
            if told.recv().is_ok() {
                // SAFETY: `all` is a valid set, `size_of` bytes long; pid 0 is this thread.
                unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &all) };
            }
            work()
        })?;
        // SAFETY: `sched_getcpu` takes no arguments; it returns -1 on failure.
        let here = unsafe { libc::sched_getcpu() };
        if let Ok(here) = usize::try_from(here) {
            let mut elsewhere = all;
            // SAFETY: `here` is a CPU number the kernel gave; CPU_CLR ignores one out of range.
            unsafe { libc::CPU_CLR(here, &mut elsewhere) };
            // SAFETY: CPU_COUNT reads the set.
            if unsafe { libc::CPU_COUNT(&elsewhere) } > 0 {
                // SAFETY: the thread is alive: it waits for this message (or the sender's
                // drop) before anything else, so it cannot have exited, and its handle names it
                // and no other. The set is valid. A failure leaves it where it was: only slower.
                unsafe {
                    libc::pthread_setaffinity_np(
                        thread.as_pthread_t(),
                        std::mem::size_of::<libc::cpu_set_t>(),
                        &elsewhere,
                    )
                };
                let _ = narrowed.send(());
            }
        }
        // Dropping the sender without a message tells the thread its cores were left alone.
        Ok(thread)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::thread::{Builder, JoinHandle};

    pub fn spawn_beside<T, F>(builder: Builder, work: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        builder.spawn(work)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn cores(set: Option<libc::cpu_set_t>) -> Option<i32> {
        // SAFETY: CPU_COUNT reads a valid set.
        set.map(|set| unsafe { libc::CPU_COUNT(&set) })
    }

    /// Narrowed to start elsewhere, the thread then gets back every core: nothing stays pinned.
    #[test]
    fn the_thread_runs_under_its_name_with_every_core_of_the_process() {
        let before = cores(imp::allowed());
        let (name, during) = spawn_beside(Builder::new().name("beside".to_owned()), || {
            (
                std::thread::current().name().map(str::to_owned),
                cores(imp::allowed()),
            )
        })
        .unwrap()
        .join()
        .unwrap();
        assert_eq!(name.as_deref(), Some("beside"));
        assert_eq!(during, before);
    }

    /// With one core allowed (`taskset -c 0 regcheck …`) there is nowhere else to start: the
    /// thread runs as a plain spawn would, on that core.
    #[test]
    fn with_one_allowed_core_the_thread_runs_there() {
        let outcome = std::thread::spawn(|| {
            // SAFETY: `sched_getcpu` takes no arguments.
            let here = usize::try_from(unsafe { libc::sched_getcpu() }).expect("a CPU number");
            // SAFETY: an all-zero set is empty; CPU_SET adds a CPU the kernel just named.
            let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            unsafe { libc::CPU_SET(here, &mut one) };
            // SAFETY: narrows this test thread only; `one` is a valid set.
            let narrowed =
                unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &one) };
            assert_eq!(narrowed, 0);
            spawn_beside(Builder::new(), || cores(imp::allowed()))
                .unwrap()
                .join()
                .unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(outcome, Some(1));
    }
}
