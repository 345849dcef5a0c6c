//! Work done on several threads and handed over in order: accounts audited several at once
//! and reported in file order, a SARIF log's results written on every core and put out in the
//! order the log lists them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// `work` on each of `parts` contiguous parts of `items` (fewer when there are fewer items), each
/// on a thread of its own, the results in the parts' order. A panic in one is raised again here.
pub fn map_parts<I: Sync, R: Send>(items: &[I], parts: usize, work: impl Fn(&[I]) -> R + Sync) -> Vec<R> {
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(parts.max(1)).max(1))
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// How the worker threads are started.
#[derive(Debug, Clone, Copy)]
pub struct Workers {
    /// Their name (in profiles and panic messages).
    pub name: &'static str,
    /// Their stack size; `None` is the standard library's default.
    pub stack: Option<usize>,
}

/// Runs `work(0..count)` on `workers` threads and hands the results to `deliver` (on the calling
/// thread) in index order, each as soon as it and those before it are done. A worker starts an
/// index at most `2 × workers` past the last one delivered, so few results wait at a time.
pub fn in_order<T: Send>(
    count: usize,
    workers: usize,
    threads: &Workers,
    work: &(dyn Fn(usize) -> T + Sync),
    deliver: &mut dyn FnMut(T),
) {
    let window = 2 * workers;
    let next = AtomicUsize::new(0);
    let delivered = (Mutex::new(0usize), Condvar::new());
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, T)>();
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for _ in 0..workers.min(count) {
            let sender = sender.clone();
            let (next, delivered) = (&next, &delivered);
            let worker = move || {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    if at >= count {
                        break;
                    }
                    // Wait while this index is too far ahead of what has been delivered.
                    let (lock, moved) = delivered;
                    let mut done = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    while at >= *done + window {
                        done = moved
                            .wait(done)
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                    drop(done);
                    if sender.send((at, work(at))).is_err() {
                        break;
                    }
                }
            };
            let mut builder = std::thread::Builder::new().name(threads.name.to_owned());
            if let Some(stack) = threads.stack {
                builder = builder.stack_size(stack);
            }
            spawned += usize::from(builder.spawn_scoped(scope, worker).is_ok());
        }
        if spawned == 0 {
            // No thread could be started (a limit reached): the work is done here, in order.
            drop(sender);
            drop(receiver);
            for at in 0..count {
                deliver(work(at));
            }
            return;
        }
        drop(sender);
        let mut waiting = std::collections::BTreeMap::new();
        let mut expected = 0;
        for (at, result) in receiver {
            waiting.insert(at, result);
            while let Some(result) = waiting.remove(&expected) {
                deliver(result);
                expected += 1;
                let (lock, moved) = &delivered;
                *lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = expected;
                moved.notify_all();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_in_order_and_cover_every_item() {
        let items: Vec<usize> = (0..1001).collect();
        let sums = map_parts(&items, 3, |part| (part[0], part.len()));
        assert_eq!(sums, [(0, 334), (334, 334), (668, 333)]);
        assert_eq!(
            map_parts(&items[..2], 8, <[usize]>::len),
            [1, 1],
            "no empty parts"
        );
        assert!(map_parts(&[] as &[usize], 2, <[usize]>::len).is_empty());
    }

    const WORKERS: Workers = Workers {
        name: "test",
        stack: None,
    };

    #[test]
    fn results_come_in_order_whatever_finishes_first() {
        let mut seen = Vec::new();
        // Later indexes finish first.
        in_order(
            20,
            4,
            &WORKERS,
            &|at| {
                std::thread::sleep(std::time::Duration::from_millis((20 - at as u64) % 5));
                at
            },
            &mut |at| seen.push(at),
        );
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn workers_stay_within_a_window_of_what_was_delivered() {
        let started = AtomicUsize::new(0);
        let mut most_ahead = 0;
        in_order(
            50,
            2,
            &WORKERS,
            &|at| {
                started.fetch_max(at + 1, Ordering::SeqCst);
                at
            },
            &mut |at| {
                most_ahead = most_ahead.max(started.load(Ordering::SeqCst) - at);
                std::thread::sleep(std::time::Duration::from_micros(200));
            },
        );
        assert!(most_ahead <= 5, "a worker ran {most_ahead} ahead");
    }

    #[test]
    fn nothing_to_do_delivers_nothing() {
        let mut seen = 0;
        in_order(0, 4, &WORKERS, &|at| at, &mut |_| seen += 1);
        assert_eq!(seen, 0);
    }
}
