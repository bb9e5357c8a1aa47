//! Keys plugged in while the assistant waits, and a wait that is cancelled.
//! Every wait is bounded: another thread cancels it past its deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use skf::{Canceller, DeviceEvent};

use crate::common::{blank_device, library};

/// Cancels waits every 50 ms from `after` on, until dropped.
struct Watchdog {
    done: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    fn new(canceller: Canceller, after: Duration) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let thread = thread::spawn(move || {
            let deadline = Instant::now() + after;
            while !flag.load(Ordering::SeqCst) {
                if Instant::now() >= deadline {
                    canceller.cancel().unwrap();
                }
                thread::sleep(Duration::from_millis(50));
            }
        });
        Watchdog {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_key_plugged_in_is_seen_and_a_cancelled_wait_ends() {
    let library = library();
    // The library remembers the devices present from its first look.
    library.devices().unwrap();
    let watchdog = Watchdog::new(library.canceller(), Duration::from_secs(5));
    let plug = thread::spawn(|| {
        thread::sleep(Duration::from_millis(300));
        blank_device("events-new");
    });

    // Other tests plug and pull keys too: wait for this one.
    let wanted = DeviceEvent {
        name: "events-new".into(),
        inserted: true,
    };
    loop {
        match library.wait_for_event().unwrap() {
            Some(event) if event == wanted => break,
            Some(_) => continue,
            None => panic!("no arrival of events-new within 5 s"),
        }
    }
    plug.join().unwrap();
    drop(watchdog);

    // A wait with nothing to report ends when cancelled.
    let started = Instant::now();
    let _watchdog = Watchdog::new(library.canceller(), Duration::from_millis(300));
    while library.wait_for_event().unwrap().is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never cancelled"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
}
