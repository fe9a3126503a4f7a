//! Coordinated distributed runs: a `stressor coordinate` process and shard processes (`stressor run
//! --coordinator URL`) on loopback against a built-in target server in this process — the start
//! skew, exact merging, a shard killed mid-run, stale and restarted shards, `abort_on_fail` on the
//! merged run, the merged monitor, the token, and shards that outlive their coordinator; and, where
//! the machine lets root make network namespaces, four shards as four hosts.

mod control;
mod faults;
mod support;
mod together;
