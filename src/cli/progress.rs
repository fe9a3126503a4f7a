//! What `stressor run` shows while a run is going: stop notices, and a live progress line on runs longer
//! than 2 s (indicatif), only when stderr is a terminal and not with `-q`.

use crate::run::{EventSink, RunEvent, StopReason};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// Runs shorter than this get no progress line (it would only flicker).
const SHOW_AFTER: Duration = Duration::from_secs(2);

/// The CLI's event sink.
pub struct CliEvents {
    quiet: bool,
    live: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl CliEvents {
    /// `live`: draw the progress line (stderr is a terminal and output is not quieted).
    pub fn new(quiet: bool, live: bool) -> Self {
        CliEvents {
            quiet,
            live: live && !quiet,
            bar: Mutex::new(None),
        }
    }

    fn print(&self, line: &str) {
        match self.bar.lock().ok().as_deref().and_then(Option::as_ref) {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl EventSink for CliEvents {
    fn event(&self, event: &RunEvent) {
        // The run's course for -v and the --log file; the once-a-second totals only at trace.
        match event {
            RunEvent::Tick { .. } => tracing::trace!("{event:?}"),
            _ => tracing::debug!("{event:?}"),
        }
        match event {
            RunEvent::Stopping { reason, hard } if !self.quiet => {
                let why = match reason {
                    StopReason::Interrupted => "interrupted",
                    StopReason::MaxErrors => "max_errors reached",
                    StopReason::MaxTime => "max_time reached",
                    StopReason::Requested => "stop requested",
                    StopReason::Aborted => "an abort_on_fail threshold failed",
                };
                if *hard {
                    self.print(&format!("stressor: {why}: stopping now"));
                } else {
                    self.print(&format!(
                        "stressor: {why}: no new work is started; `end` sequences run (Ctrl-C again to stop at once)"
                    ));
                }
            }
            RunEvent::Tick {
                elapsed,
                activities,
                errors,
            } if self.live && *elapsed >= SHOW_AFTER => {
                let Ok(mut guard) = self.bar.lock() else { return };
                let bar = guard.get_or_insert_with(|| {
                    let bar = ProgressBar::new_spinner();
                    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                        bar.set_style(style);
                    }
                    bar.enable_steady_tick(Duration::from_millis(200));
                    bar
                });
                let rate = *activities as f64 / elapsed.as_secs_f64().max(1e-9);
                let secs = elapsed.as_secs();
                bar.set_message(format!(
                    "{:02}:{:02} {activities} activities, {errors} errors, {rate:.0}/s",
                    secs / 60,
                    secs % 60
                ));
            }
            RunEvent::RunFinished { .. } => {
                if let Ok(mut guard) = self.bar.lock()
                    && let Some(bar) = guard.take()
                {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
    }

    fn wants_activity_events(&self) -> bool {
        false
    }
}
