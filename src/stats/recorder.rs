//! Recording a run's measurements without a global lock: per-thread shards, merged on demand.
//!
//! ```text
//!   worker thread 1            worker thread 2             coordinator / monitor
//!   ┌───────────────┐          ┌───────────────┐
//!   │ thread-local: │          │ thread-local: │          RunRecorder::snapshot()
//!   │ run id → shard│          │ run id → shard│            locks each shard briefly,
//!   └──────┬────────┘          └──────┬────────┘            merges into a Snapshot
//!          │ lock (own shard only)    │
//!   ┌──────▼──────────────────────────▼──────┐
//!   │ RunRecorder (Arc, one per run)         │  registry: every shard, every session slot
//!   │  shards: [shard 1, shard 2, ...]       │  (shards live here, not in session tasks, so
//!   │  sessions: [t01, t02, ...]             │   aborted sessions lose nothing)
//!   └────────────────────────────────────────┘
//! ```
//!
//! Each OS thread that records for a run gets its own shard: full-resolution (3-digit) measures per
//! activity, StaticRequests URL and sequence, the run total, the per-second series and, when an intended
//! start is given, response times. The shard is found through a thread-local list keyed by the run's id
//! (unique per process), so two runs in one process never mix, and is registered in the run's registry
//! the first time the thread records for that run (one short registry lock per thread and run).
//! Recording locks only the thread's own shard, which nobody else locks except a snapshot in progress,
//! so the cost per sample does not depend on the number of sessions or threads.
//!
//! Per session there is only a small [`SessionRecorder`] slot: count, errors, bytes and a light
//! (2-digit) histogram, locked by that session alone.
//!
//! # Memory
//!
//! Histograms grow with the largest value they hold and count with 32-bit counters (see
//! [`Latency`](super::Latency)).
//!
//! - Per shard (one per recording thread): one 3-digit histogram per activity, URL and sequence
//!   actually recorded (allocated on first use): 8 KB empty, ~32 KB for latencies up to 100 ms,
//!   ~44 KB up to 1 s, ~92 KB up to 1 h. Plus the series: at most [`SERIES_MAX_ENTRIES`] light
//!   histograms (≤ ~0.4 MB for latencies under 1 s, ≤ ~0.8 MB worst case).
//! - Per session: one light (2-digit) histogram: 1 KB empty, ~6 KB up to 100 ms, ~7 KB up to 1 s.
//! - A snapshot holds one more copy of the merged measures; [`RunRecorder::finish`] moves the shards'
//!   histograms into the final snapshot instead of copying them.
//!
//! So memory grows with activities × threads, not with sessions × activities.
//!
//! # Warm-up
//!
//! A run with a warm-up (`thresholds.warmup`) records what finishes before the warm-up's end into a
//! second set of measures per shard, so the judged measures never contain it and nothing has to be
//! subtracted: exact, and one atomic load per sample. The end is fixed before the run starts
//! ([`RunRecorder::set_warmup`]) or decided while it goes ([`RunRecorder::begin_warmup`], then
//! [`RunRecorder::end_warmup`]: `warmup: auto`). The judged series counts its seconds from the
//! warm-up's end, so that its windows and clustering start where judging starts; the warm-up's series
//! counts them from the run's start. Per-session measures keep the whole run (they are not judged).

use super::measure::Measure;
use super::snapshot::{
    LIGHT_SIGFIG, ResponseTimes, SERIES_MAX_ENTRIES, Second, SessionMeasure, Snapshot, SubMeasure, coarsen,
    merge_series,
};
use crate::scenario::ErrorClass;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// [`RunRecorder::warmup_end`]'s value for a warm-up whose end is not decided yet.
const PENDING: u64 = u64::MAX;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One finished execution (an activity, a sequence pass), as handed to a recorder.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// Service time: from the actual start to the end.
    pub elapsed: Duration,
    /// The error class, if it failed.
    pub error: Option<ErrorClass>,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// The HTTP status of its response, when it had one.
    pub status: Option<u16>,
    /// When the execution was *meant* to start (the open model's arrival time). When given, the time
    /// from it to [`Sample::finished`] is also recorded, into [`Snapshot::response_time`]. The closed
    /// model passes `None`.
    pub intended: Option<Instant>,
    /// When the execution finished; `None` means "now" (read when recording). It places the sample in
    /// the per-second series and ends the response time.
    pub finished: Option<Instant>,
}

impl Sample {
    /// A successful execution of `elapsed`, no bytes, no intended start, finished now.
    pub fn new(elapsed: Duration) -> Self {
        Sample {
            elapsed,
            ..Sample::default()
        }
    }

    /// With an error class (or none).
    pub fn with_error(mut self, error: Option<ErrorClass>) -> Self {
        self.error = error;
        self
    }

    /// With body bytes sent and received.
    pub fn with_bytes(mut self, sent: u64, received: u64) -> Self {
        self.bytes_sent = sent;
        self.bytes_received = received;
        self
    }

    /// With the HTTP status of its response.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    /// With an intended start (open model).
    pub fn with_intended(mut self, intended: Option<Instant>) -> Self {
        self.intended = intended;
        self
    }

    /// With the time it finished (instead of the time of recording).
    pub fn with_finished(mut self, finished: Instant) -> Self {
        self.finished = Some(finished);
        self
    }

    fn record_into(&self, m: &mut Measure, latency: Duration) {
        m.record(latency, self.error, self.bytes_sent, self.bytes_received);
        if let Some(status) = self.status {
            m.statuses.add(status);
        }
    }
}

/// Source of run ids; 0 is never used.
static NEXT_RUN_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's shards, by run id (usually one entry).
    static LOCAL_SHARDS: RefCell<Vec<(u64, Arc<Shard>)>> = const { RefCell::new(Vec::new()) };
}

/// The measurements of a whole run: shared by its sessions (`Arc`), recorded into per-thread shards,
/// read by merging them ([`RunRecorder::snapshot`]). See the module documentation.
#[derive(Debug)]
pub struct RunRecorder {
    id: u64,
    started: Instant,
    /// Per activity id: counted in the total, the session measures and the series.
    timed: Vec<bool>,
    sequences: usize,
    shards: Mutex<Vec<Arc<Shard>>>,
    sessions: Mutex<Vec<Arc<SessionSlot>>>,
    /// Takes samples recorded while the thread's thread-locals are being destroyed.
    orphan: Arc<Shard>,
    /// Sessions alive over time.
    gauge: Mutex<super::gauge::Gauge>,
    /// Nanoseconds from `started` at which the warm-up ends: 0 without one, [`PENDING`] while its end
    /// is not decided.
    warmup_end: AtomicU64,
}

impl RunRecorder {
    /// A recorder for a run of `timed.len()` activities (`timed[id]` false for local activities and
    /// `ignore_timing` ones, which stay out of the total, the session measures and the series) and `sequences`
    /// sequences. The run's clock (for the series) starts now.
    pub fn new(timed: Vec<bool>, sequences: usize) -> Self {
        let orphan = Arc::new(Shard::new(timed.len(), sequences));
        RunRecorder {
            id: NEXT_RUN_ID.fetch_add(1, Ordering::Relaxed),
            started: Instant::now(),
            timed,
            sequences,
            shards: Mutex::new(vec![orphan.clone()]),
            sessions: Mutex::new(Vec::new()),
            orphan,
            gauge: Mutex::default(),
            warmup_end: AtomicU64::new(0),
        }
    }

    /// Records what finishes within `length` of the run's start as warm-up (see the module
    /// documentation). Call it before anything is recorded.
    pub fn set_warmup(&self, length: Duration) {
        let nanos = u64::try_from(length.as_nanos()).unwrap_or(PENDING - 1).min(PENDING - 1);
        self.warmup_end.store(nanos, Ordering::Relaxed);
    }

    /// Records everything as warm-up until [`RunRecorder::end_warmup`] (a warm-up whose end is
    /// decided while the run goes).
    pub fn begin_warmup(&self) {
        self.warmup_end.store(PENDING, Ordering::Relaxed);
    }

    /// Ends a warm-up begun with [`RunRecorder::begin_warmup`] now: what finishes from now on is
    /// judged. Returns the warm-up's length (also when it had already ended).
    pub fn end_warmup(&self) -> Duration {
        let now = u64::try_from(self.started.elapsed().as_nanos())
            .unwrap_or(PENDING - 1)
            .max(1);
        let _ = self
            .warmup_end
            .compare_exchange(PENDING, now, Ordering::Relaxed, Ordering::Relaxed);
        self.warmup_end().unwrap_or_default()
    }

    /// The warm-up's length: `None` without a warm-up, and while its end is not decided.
    pub fn warmup_end(&self) -> Option<Duration> {
        match self.warmup_end.load(Ordering::Relaxed) {
            0 | PENDING => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Whether the run has a warm-up whose end is not decided yet.
    pub fn warming_up(&self) -> bool {
        self.warmup_end.load(Ordering::Relaxed) == PENDING
    }

    /// Whether what finishes now is judged: there is no warm-up, or it is over.
    pub fn past_warmup(&self) -> bool {
        match self.warmup_end.load(Ordering::Relaxed) {
            0 => true,
            PENDING => false,
            end => u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX) >= end,
        }
    }

    /// Whether the run has a warm-up at all (decided or not).
    fn has_warmup(&self) -> bool {
        self.warmup_end.load(Ordering::Relaxed) != 0
    }

    /// Where a sample that finished at `finished` goes: whether it is warm-up, and its second in
    /// that part's series (the judged part counts from the warm-up's end).
    fn place(&self, finished: Instant) -> (bool, u64) {
        let since = u64::try_from(finished.saturating_duration_since(self.started).as_nanos()).unwrap_or(u64::MAX);
        match self.warmup_end.load(Ordering::Relaxed) {
            0 => (false, since / 1_000_000_000),
            end if since < end => (true, since / 1_000_000_000),
            end => (false, (since - end) / 1_000_000_000),
        }
    }

    /// This recorder's id, unique in the process (the key of the thread-local shards).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// When the run's clock started (second 0 of the series).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Number of activities.
    pub fn activities(&self) -> usize {
        self.timed.len()
    }

    /// Number of sequences.
    pub fn sequences(&self) -> usize {
        self.sequences
    }

    /// Number of threads that recorded so far.
    pub fn shard_count(&self) -> usize {
        lock(&self.shards).len() - 1
    }

    /// Registers a session; its slot lives in this recorder, so it survives the session's task.
    pub fn session(self: &Arc<Self>, id: impl Into<String>, user: impl Into<String>) -> SessionRecorder {
        let slot = Arc::new(SessionSlot {
            id: id.into(),
            user: user.into(),
            measure: Mutex::new(Measure::with_sigfig(LIGHT_SIGFIG)),
        });
        lock(&self.sessions).push(slot.clone());
        SessionRecorder {
            run: self.clone(),
            slot,
        }
    }

    /// `delta` sessions started (positive) or finished (negative) now: the series' `sessions`.
    pub fn sessions_changed(&self, delta: i64) {
        let second = self.started.elapsed().as_secs();
        lock(&self.gauge).change(second, delta);
    }

    /// Records one execution of activity `activity` (not counted for any session; see
    /// [`SessionRecorder::record_activity`]). Ids out of range are ignored.
    pub fn record_activity(&self, activity: usize, sample: &Sample) {
        let Some(&timed) = self.timed.get(activity) else {
            debug_assert!(false, "activity id {activity} out of range");
            return;
        };
        let needs_time = timed || sample.intended.is_some() || self.has_warmup();
        let finished = match sample.finished {
            Some(t) => t,
            None if needs_time => Instant::now(),
            None => self.started,
        };
        let (warm, second) = self.place(finished);
        let response = sample.intended.map(|i| finished.saturating_duration_since(i));
        let shape = (self.timed.len(), self.sequences);
        self.with_shard(|d| {
            let d = d.part(warm, shape);
            sample.record_into(slot(&mut d.activities, activity), sample.elapsed);
            if timed {
                sample.record_into(&mut d.total, sample.elapsed);
                d.series.record(second, sample.elapsed, sample.error.is_some());
            }
            if let Some(rt) = response {
                let r = d.response(self.timed.len(), self.sequences);
                sample.record_into(slot(&mut r.activities, activity), rt);
                if timed {
                    sample.record_into(&mut r.total, rt);
                }
            }
        });
    }

    /// Records one pass of the sequence at position `sequence` (latency = pass time). A pass in which
    /// an activity failed is recorded with that activity's error class, so that its time stays out of
    /// the sequence's (successful) latency; the sequence's errors proper are its activities'. Positions out of range are ignored.
    pub fn record_pass(&self, sequence: usize, sample: &Sample) {
        if sequence >= self.sequences {
            debug_assert!(false, "sequence position {sequence} out of range");
            return;
        }
        let finished = sample.finished.unwrap_or_else(Instant::now);
        let (warm, _) = self.place(finished);
        let response = sample.intended.map(|i| finished.saturating_duration_since(i));
        let shape = (self.timed.len(), self.sequences);
        self.with_shard(|d| {
            let d = d.part(warm, shape);
            sample.record_into(slot(&mut d.sequences, sequence), sample.elapsed);
            if let Some(rt) = response {
                let r = d.response(self.timed.len(), self.sequences);
                sample.record_into(slot(&mut r.sequences, sequence), rt);
            }
        });
    }

    /// Counts one execution of activity `activity` that a stop cut short (in the total too when the
    /// activity is timed). Ids out of range are ignored.
    pub fn record_stopped(&self, activity: usize) {
        let Some(&timed) = self.timed.get(activity) else {
            debug_assert!(false, "activity id {activity} out of range");
            return;
        };
        let (warm, _) = self.place(Instant::now());
        let shape = (self.timed.len(), self.sequences);
        self.with_shard(|d| {
            let d = d.part(warm, shape);
            slot(&mut d.activities, activity).record_stopped();
            if timed {
                d.total.record_stopped();
            }
        });
    }

    /// Counts one pass of the sequence at position `sequence` that a stop cut short.
    pub fn record_pass_stopped(&self, sequence: usize) {
        if sequence >= self.sequences {
            debug_assert!(false, "sequence position {sequence} out of range");
            return;
        }
        let (warm, _) = self.place(Instant::now());
        let shape = (self.timed.len(), self.sequences);
        self.with_shard(|d| slot(&mut d.part(warm, shape).sequences, sequence).record_stopped());
    }

    /// Records one URL of a StaticRequests activity.
    pub fn record_sub_request(&self, activity: usize, label: &str, elapsed: Duration, error: Option<ErrorClass>) {
        let (warm, _) = self.place(Instant::now());
        let shape = (self.timed.len(), self.sequences);
        self.with_shard(|d| {
            let urls = d.part(warm, shape).sub_requests.entry(activity).or_default();
            let m = match urls.get_mut(label) {
                Some(m) => m,
                None => urls.entry(label.to_string()).or_default(),
            };
            m.record(elapsed, error, 0, 0);
        });
    }

    /// Everything recorded so far, merged (for live readers: the progress line, the monitor). Locks
    /// each shard in turn while merging it, so a recording thread may wait that long (milliseconds for
    /// a thousand activities).
    pub fn snapshot(&self) -> Snapshot {
        self.collect(false, false, true)
    }

    /// Like [`RunRecorder::snapshot`] without the per-session measures (`sessions` is empty): what a
    /// check once a second needs, without copying every session's histogram.
    pub fn snapshot_without_sessions(&self) -> Snapshot {
        self.collect(false, false, false)
    }

    /// Like [`RunRecorder::snapshot`], with the measures only: the activities', sequences' and total
    /// measures and response times, without the series and the per-session measures (which grow with
    /// the run and the sessions). Cheap enough to take once a second however many sessions run (what
    /// `stressor ab` reads at the end of every round).
    pub fn measures(&self) -> Snapshot {
        let mut snap = Snapshot::new(self.timed.len(), self.sequences);
        let mut urls = BTreeMap::new();
        let shards: Vec<Arc<Shard>> = lock(&self.shards).clone();
        for shard in shards {
            lock(&shard.data).merge_measures_into(&mut snap, &mut urls);
        }
        snap
    }

    /// What the warm-up recorded, merged (`None` without a warm-up); with `drain`, moved out of the
    /// shards as [`RunRecorder::finish`] does. Its series counts seconds from the run's start.
    pub fn warmup_snapshot(&self, drain: bool) -> Option<Snapshot> {
        self.has_warmup().then(|| self.collect(true, drain, false))
    }

    /// The final snapshot: like [`RunRecorder::snapshot`], but moves the shards' measures into it
    /// instead of copying them (peak memory stays at the shards' size). The recorder is empty
    /// afterwards; later samples start from zero. Meant for the end of a run.
    pub fn finish(&self) -> Snapshot {
        self.collect(false, true, true)
    }

    /// The judged measures (or, with `warm`, the warm-up's) of every shard, merged; the per-session
    /// measures too `with_sessions` (they are the whole run's, never the warm-up's).
    fn collect(&self, warm: bool, drain: bool, with_sessions: bool) -> Snapshot {
        let mut snap = Snapshot::new(self.timed.len(), self.sequences);
        let mut urls: BTreeMap<(usize, String), Measure> = BTreeMap::new();
        let shards: Vec<Arc<Shard>> = lock(&self.shards).clone();
        for shard in shards {
            let mut guard = lock(&shard.data);
            match (warm, drain) {
                (false, true) => {
                    let mut data = std::mem::replace(&mut *guard, Shard::empty_data(self.timed.len(), self.sequences));
                    guard.warmup = data.warmup.take();
                    drop(guard);
                    data.move_into(&mut snap, &mut urls);
                }
                (false, false) => guard.merge_into(&mut snap, &mut urls),
                (true, true) => {
                    if let Some(data) = guard.warmup.take() {
                        drop(guard);
                        data.move_into(&mut snap, &mut urls);
                    }
                }
                (true, false) => {
                    if let Some(data) = &guard.warmup {
                        data.merge_into(&mut snap, &mut urls);
                    }
                }
            }
        }
        snap.sub_requests = urls
            .into_iter()
            .map(|((activity, label), measure)| SubMeasure {
                activity,
                label,
                measure,
            })
            .collect();
        // The judged series counts from the warm-up's end; the gauge, from the run's start.
        let offset = if warm {
            0
        } else {
            self.warmup_end().map_or(0, |d| d.as_secs())
        };
        lock(&self.gauge).apply(&mut snap, offset);
        if warm || !with_sessions {
            return snap;
        }
        let sessions: Vec<Arc<SessionSlot>> = lock(&self.sessions).clone();
        snap.sessions = sessions
            .iter()
            .map(|s| {
                let mut m = lock(&s.measure);
                SessionMeasure {
                    id: s.id.clone(),
                    user: s.user.clone(),
                    measure: if drain {
                        std::mem::replace(&mut *m, Measure::with_sigfig(LIGHT_SIGFIG))
                    } else {
                        m.clone()
                    },
                }
            })
            .collect();
        snap
    }

    /// Runs `f` on this thread's shard, registering one on first use.
    fn with_shard<R>(&self, f: impl FnOnce(&mut ShardData) -> R) -> R {
        let mut f = Some(f);
        let done = LOCAL_SHARDS.try_with(|cell| {
            // Only fails on re-entry, which the closures here never do; fall back to the orphan shard.
            let mut local = cell.try_borrow_mut().ok()?;
            let i = match local.iter().position(|(id, _)| *id == self.id) {
                Some(i) => i,
                None => {
                    // Shards of dropped recorders are held only here: forget them.
                    local.retain(|(_, s)| Arc::strong_count(s) > 1);
                    let shard = Arc::new(Shard::new(self.timed.len(), self.sequences));
                    lock(&self.shards).push(shard.clone());
                    local.push((self.id, shard));
                    local.len() - 1
                }
            };
            let mut data = lock(&local[i].1.data);
            f.take().map(|f| f(&mut data))
        });
        match (done, f) {
            (Ok(Some(r)), _) => r,
            (_, Some(f)) => f(&mut lock(&self.orphan.data)),
            (_, None) => unreachable!("the closure ran but returned nothing"),
        }
    }
}

impl Drop for RunRecorder {
    fn drop(&mut self) {
        // Threads may still hold this run's shards in their thread-locals: free the contents now.
        for shard in lock(&self.shards).iter() {
            *lock(&shard.data) = ShardData::default();
        }
    }
}

/// One session's handle: records into the run (its thread's shard) and into the session's own small
/// measure. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SessionRecorder {
    run: Arc<RunRecorder>,
    slot: Arc<SessionSlot>,
}

impl SessionRecorder {
    /// The run's recorder.
    pub fn run(&self) -> &Arc<RunRecorder> {
        &self.run
    }

    /// The session id given at registration.
    pub fn id(&self) -> &str {
        &self.slot.id
    }

    /// Records one execution of an activity for the run and, if the activity is timed, the session.
    pub fn record_activity(&self, activity: usize, sample: &Sample) {
        self.run.record_activity(activity, sample);
        if self.run.timed.get(activity) == Some(&true) {
            sample.record_into(&mut lock(&self.slot.measure), sample.elapsed);
        }
    }

    /// Records one sequence pass (see [`RunRecorder::record_pass`]).
    pub fn record_pass(&self, sequence: usize, sample: &Sample) {
        self.run.record_pass(sequence, sample);
    }

    /// Counts an activity execution that a stop cut short, for the run and (if timed) the session.
    pub fn record_stopped(&self, activity: usize) {
        self.run.record_stopped(activity);
        if self.run.timed.get(activity) == Some(&true) {
            lock(&self.slot.measure).record_stopped();
        }
    }

    /// Counts a sequence pass that a stop cut short.
    pub fn record_pass_stopped(&self, sequence: usize) {
        self.run.record_pass_stopped(sequence);
    }

    /// Records one StaticRequests URL (see [`RunRecorder::record_sub_request`]).
    pub fn record_sub_request(&self, activity: usize, label: &str, elapsed: Duration, error: Option<ErrorClass>) {
        self.run.record_sub_request(activity, label, elapsed, error);
    }

    /// The session's measure so far.
    pub fn measure(&self) -> Measure {
        lock(&self.slot.measure).clone()
    }
}

#[derive(Debug)]
struct SessionSlot {
    id: String,
    user: String,
    measure: Mutex<Measure>,
}

#[derive(Debug)]
struct Shard {
    data: Mutex<ShardData>,
}

impl Shard {
    fn new(activities: usize, sequences: usize) -> Self {
        Shard {
            data: Mutex::new(Shard::empty_data(activities, sequences)),
        }
    }

    fn empty_data(activities: usize, sequences: usize) -> ShardData {
        ShardData {
            activities: empty_slots(activities),
            sequences: empty_slots(sequences),
            ..ShardData::default()
        }
    }
}

/// One thread's measurements for one run. Measures are allocated on first use.
#[derive(Debug, Default)]
struct ShardData {
    activities: Vec<Option<Measure>>,
    sub_requests: BTreeMap<usize, BTreeMap<String, Measure>>,
    sequences: Vec<Option<Measure>>,
    total: Measure,
    series: Series,
    response: Option<Box<ShardResponse>>,
    /// What finished during the warm-up (only in a run with one).
    warmup: Option<Box<ShardData>>,
}

#[derive(Debug, Default)]
struct ShardResponse {
    activities: Vec<Option<Measure>>,
    sequences: Vec<Option<Measure>>,
    total: Measure,
}

impl ShardData {
    /// This data, or (`warm`) its warm-up part, made on first use for a plan of `shape`
    /// (activities, sequences).
    fn part(&mut self, warm: bool, (activities, sequences): (usize, usize)) -> &mut ShardData {
        if !warm {
            return self;
        }
        self.warmup
            .get_or_insert_with(|| Box::new(Shard::empty_data(activities, sequences)))
    }

    fn response(&mut self, activities: usize, sequences: usize) -> &mut ShardResponse {
        self.response.get_or_insert_with(|| {
            Box::new(ShardResponse {
                activities: empty_slots(activities),
                sequences: empty_slots(sequences),
                total: Measure::default(),
            })
        })
    }

    fn merge_into(&self, snap: &mut Snapshot, urls: &mut BTreeMap<(usize, String), Measure>) {
        self.merge_measures_into(snap, urls);
        self.series.merge_into(snap);
    }

    /// `merge_into` without the series.
    fn merge_measures_into(&self, snap: &mut Snapshot, urls: &mut BTreeMap<(usize, String), Measure>) {
        merge_slots(&mut snap.activities, &self.activities);
        merge_slots(&mut snap.sequences, &self.sequences);
        for (activity, by_label) in &self.sub_requests {
            for (label, m) in by_label {
                urls.entry((*activity, label.clone())).or_default().merge(m);
            }
        }
        snap.total.merge(&self.total);
        if let Some(r) = &self.response {
            let mine = snap
                .response_time
                .get_or_insert_with(|| ResponseTimes::new(snap.activities.len(), snap.sequences.len()));
            merge_slots(&mut mine.activities, &r.activities);
            merge_slots(&mut mine.sequences, &r.sequences);
            mine.total.merge(&r.total);
        }
    }

    /// Like `merge_into`, moving measures into empty places instead of copying them.
    fn move_into(self, snap: &mut Snapshot, urls: &mut BTreeMap<(usize, String), Measure>) {
        move_slots(&mut snap.activities, self.activities);
        move_slots(&mut snap.sequences, self.sequences);
        for (activity, by_label) in self.sub_requests {
            for (label, m) in by_label {
                match urls.entry((activity, label)) {
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(m);
                    }
                    std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(&m),
                }
            }
        }
        move_measure(&mut snap.total, self.total);
        self.series.merge_into(snap);
        if let Some(r) = self.response {
            let mine = snap
                .response_time
                .get_or_insert_with(|| ResponseTimes::new(snap.activities.len(), snap.sequences.len()));
            move_slots(&mut mine.activities, r.activities);
            move_slots(&mut mine.sequences, r.sequences);
            move_measure(&mut mine.total, r.total);
        }
    }
}

fn empty_slots(n: usize) -> Vec<Option<Measure>> {
    std::iter::repeat_with(|| None).take(n).collect()
}

fn slot(slots: &mut Vec<Option<Measure>>, i: usize) -> &mut Measure {
    if slots.len() <= i {
        slots.resize_with(i + 1, || None);
    }
    slots[i].get_or_insert_with(Measure::default)
}

fn merge_slots(into: &mut [Measure], slots: &[Option<Measure>]) {
    for (a, b) in into.iter_mut().zip(slots) {
        if let Some(b) = b {
            a.merge(b);
        }
    }
}

fn move_slots(into: &mut [Measure], slots: Vec<Option<Measure>>) {
    for (a, b) in into.iter_mut().zip(slots) {
        if let Some(b) = b {
            move_measure(a, b);
        }
    }
}

fn move_measure(into: &mut Measure, m: Measure) {
    if into.is_empty() {
        *into = m;
    } else {
        into.merge(&m);
    }
}

/// A shard's per-second series: at most [`SERIES_MAX_ENTRIES`] entries, the step doubling as needed.
#[derive(Debug, Default)]
struct Series {
    /// Seconds per entry (0 is read as 1).
    step: u64,
    entries: Vec<Second>,
}

impl Series {
    fn record(&mut self, second: u64, elapsed: Duration, error: bool) {
        self.step = self.step.max(1);
        while second / self.step >= SERIES_MAX_ENTRIES as u64 {
            self.entries = coarsen(&self.entries, self.step, self.step * 2);
            self.step *= 2;
        }
        let i = (second / self.step) as usize;
        if self.entries.len() <= i {
            self.entries.resize_with(i + 1, Second::default);
        }
        let e = &mut self.entries[i];
        e.requests += 1;
        if error {
            e.errors += 1;
        } else {
            e.latency.record(elapsed);
        }
    }

    fn merge_into(&self, snap: &mut Snapshot) {
        let step = self.step.max(1);
        snap.coarsen_series(step);
        if step == snap.series_step {
            merge_series(&mut snap.series, &self.entries, 0);
        } else {
            merge_series(&mut snap.series, &coarsen(&self.entries, step, snap.series_step), 0);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
