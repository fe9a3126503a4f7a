//! The coordinator's state on its own: registrations refused and taken, reports as differences,
//! lost shards, and the parts it merges on the coordinator's clock.

use super::board::{Board, Phase};
use super::protocol::{
    Action, ClockOffset, Delivery, LiveReport, PROTOCOL, RefusalKind, Register, StartState, unix_ns,
};
use crate::report::json::Results;
use crate::run::{ActivityInfo, RunReport, StopReason};
use crate::stats::{Measure, Snapshot};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const HASH: &str = "sha256:aaaa";

fn template() -> RunReport {
    RunReport {
        scenario: "shop".into(),
        activities: vec![ActivityInfo {
            sequence: "main".into(),
            label: "GetRequest(/)".into(),
            timed: true,
            ..Default::default()
        }],
        sequences: vec!["main".into()],
        stats: Snapshot::new(1, 1),
        ..RunReport::default()
    }
}

fn board() -> Board {
    Board::new(2, HASH.into(), template(), Duration::from_secs(3))
}

fn register(shard: &str, scenario: &str, offset_ms: i64) -> Register {
    Register {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").into(),
        shard: shard.into(),
        scenario: scenario.into(),
        clock: ClockOffset {
            offset_ns: offset_ms * 1_000_000,
            uncertainty_ns: 1_000_000,
        },
    }
}

/// `n` successful executions of 10 ms.
fn stats(n: u64) -> Snapshot {
    let mut m = Measure::default();
    for _ in 0..n {
        m.record(Duration::from_millis(10), None, 0, 0);
    }
    Snapshot {
        activities: vec![m.clone()],
        sequences: vec![Measure::default()],
        total: m,
        ..Snapshot::default()
    }
}

fn report(shard: &str, seq: u64, base: Option<u64>, stats: Snapshot) -> LiveReport {
    LiveReport {
        shard: shard.into(),
        seq,
        base,
        started_ns: unix_ns(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        elapsed: Duration::from_secs(seq),
        sessions: 2,
        stop: None,
        aborted: None,
        health: Default::default(),
        feeders: Vec::new(),
        stats,
        errors: Vec::new(),
    }
}

fn judge(report: RunReport) -> Results {
    crate::report::json::tests::judged(report, Vec::new())
}

#[test]
fn registrations_are_refused_for_another_scenario_version_or_count_and_after_the_start() {
    let mut b = board();
    let refused = |r: Result<_, super::protocol::Refusal>| r.expect_err("refused");
    let stale = refused(b.register(&register("1/2", "sha256:bbbb", 0)));
    assert_eq!(stale.refusal, RefusalKind::Scenario);
    assert!(
        stale
            .error
            .starts_with("shard 1/2 loaded another scenario than the coordinator (sha256:bbbb vs sha256:aaaa)"),
        "{}",
        stale.error
    );
    let mut old = register("1/2", HASH, 0);
    old.version = "0.0.1".into();
    assert_eq!(refused(b.register(&old)).refusal, RefusalKind::Version);
    assert_eq!(
        refused(b.register(&register("1/3", HASH, 0))).refusal,
        RefusalKind::Shard
    );
    assert_eq!(b.refusals().len(), 3);

    assert_eq!(b.register(&register("2/2", HASH, 0)).expect("registered").registered, 1);
    assert_eq!(b.missing(), ["1/2"]);
    assert_eq!(
        b.start_state(),
        StartState::Waiting {
            missing: vec!["1/2".into()]
        }
    );
    b.register(&register("1/2", HASH, 0)).expect("registered");
    assert!(b.missing().is_empty());

    let start_at = UNIX_EPOCH + Duration::from_secs(1_700_000_100);
    b.start(start_at, Instant::now());
    assert_eq!(
        b.start_state(),
        StartState::Start {
            start_at_ns: unix_ns(start_at)
        }
    );
    let again = refused(b.register(&register("1/2", HASH, 0)));
    assert_eq!(again.refusal, RefusalKind::Started);
    assert!(
        again
            .error
            .contains("is refused, so that its load is never added twice"),
        "{}",
        again.error
    );
}

#[test]
fn reports_add_up_as_differences_and_one_out_of_step_asks_for_everything() {
    let mut b = board();
    assert_eq!(
        b.report(report("1/2", 1, None, stats(1)), Instant::now())
            .expect_err("not started")
            .refusal,
        RefusalKind::Phase
    );
    for shard in ["1/2", "2/2"] {
        b.register(&register(shard, HASH, 0)).expect("registered");
    }
    b.start(SystemTime::now(), Instant::now());
    let now = Instant::now();
    assert_eq!(b.report(report("1/2", 1, None, stats(5)), now), Ok(Action::Continue));
    assert_eq!(b.report(report("1/2", 2, Some(1), stats(3)), now), Ok(Action::Continue));
    let resync = b
        .report(report("1/2", 4, Some(3), stats(1)), now)
        .expect_err("out of step");
    assert_eq!(resync.refusal, RefusalKind::Resync);
    let part = |b: &Board| {
        b.live_parts()
            .into_iter()
            .map(|(_, r)| r.stats.total.count)
            .collect::<Vec<_>>()
    };
    assert_eq!(part(&b), [8], "5 and then 3 more; the out-of-step report added nothing");
    // Everything again replaces what was there.
    assert_eq!(b.report(report("1/2", 5, None, stats(9)), now), Ok(Action::Continue));
    assert_eq!(part(&b), [9]);

    b.stop(StopReason::Aborted, "error_rate of the run: 50% > 10%".into());
    b.stop(StopReason::Requested, "later".into());
    assert_eq!(
        b.report(report("2/2", 1, None, stats(1)), now),
        Ok(Action::Stop {
            reason: StopReason::Aborted,
            why: "error_rate of the run: 50% > 10%".into()
        }),
        "the first decision holds"
    );
}

#[test]
fn a_silent_shard_is_lost_keeps_what_it_sent_and_is_refused_after() {
    let mut b = board();
    for shard in ["1/2", "2/2"] {
        b.register(&register(shard, HASH, 0)).expect("registered");
    }
    let started = Instant::now();
    b.start(SystemTime::now(), started);
    b.report(report("1/2", 1, None, stats(4)), started).expect("reported");
    b.report(report("2/2", 1, None, stats(6)), started + Duration::from_secs(2))
        .expect("reported");
    assert!(b.lose_silent(started + Duration::from_millis(2900)).is_empty());
    let lost = b.lose_silent(started + Duration::from_millis(3100));
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0].shard.as_str(), lost[0].why.as_str()),
        ("1/2", "no report for 3s")
    );
    assert_eq!(lost[0].last_report, Duration::from_secs(1));
    let refused = b
        .report(report("1/2", 2, Some(1), stats(1)), started)
        .expect_err("lost");
    assert_eq!(refused.refusal, RefusalKind::Lost);
    assert!(!b.done());
    let delivered = Delivery {
        shard: "2/2".into(),
        results: judge(RunReport {
            stats: stats(7),
            ..template()
        }),
    };
    b.deliver(delivered, started).expect("delivered");
    assert!(b.done());
    let parts = b.final_parts(&judge);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].1.lost[0].shard, "1/2", "the lost part says so");
    assert_eq!(parts[0].1.stats.total.count, 4, "what it had sent");
    assert_eq!(parts[0].1.shard.as_deref(), Some("1/2"));
    assert_eq!(
        parts[1].1.stats.total.count, 7,
        "the delivered results, not the live part"
    );
    assert!(matches!(b.phase(), Phase::Running { .. }));
}

#[test]
fn parts_are_placed_on_the_coordinators_clock_by_each_shards_offset() {
    let mut b = board();
    b.register(&register("1/2", HASH, 500)).expect("registered");
    b.register(&register("2/2", HASH, 0)).expect("registered");
    b.start(SystemTime::now(), Instant::now());
    b.report(report("1/2", 1, None, stats(1)), Instant::now())
        .expect("reported");
    b.report(report("2/2", 1, None, stats(1)), Instant::now())
        .expect("reported");
    let starts: Vec<SystemTime> = b
        .live_parts()
        .into_iter()
        .map(|(_, r)| r.started_at.expect("start"))
        .collect();
    let shard_start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    assert_eq!(starts, [shard_start + Duration::from_millis(500), shard_start]);
    let parts = b.final_parts(&judge);
    assert_eq!(parts[0].1.start.as_deref(), Some("2023-11-14T22:13:20.500Z"));
    assert_eq!(parts[1].1.start.as_deref(), Some("2023-11-14T22:13:20.000Z"));
}
