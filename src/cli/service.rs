//! Services that `stressor ab --a-cmd/--b-cmd` starts and stops: a shell command with `{port}` replaced
//! by a free port, run in a process group of its own, waited for until its port accepts connections,
//! and stopped with its whole group (SIGTERM, then SIGKILL) when the measurement ends, also when it
//! fails.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started service may take until its port accepts connections.
pub const READY_WITHIN: Duration = Duration::from_secs(30);
/// How long a service may take to exit after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(3);

/// A started service; stopped (with its process group) when dropped.
#[derive(Debug)]
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Service {
    /// Starts `command` (run by `sh -c`, `{port}` replaced by a free port) and waits until the port
    /// accepts connections; `what` names it in errors (`--a-cmd`).
    pub fn start(what: &str, command: &str) -> Result<Service, String> {
        if !command.contains("{port}") {
            return Err(format!(
                "{what} `{command}` has no `{{port}}`: the service must listen on the port stressor gives it (e.g. `app --port {{port}}`)"
            ));
        }
        // A port the system just handed out and nobody holds; the service binds it a moment later.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("{what}: no free port: {e}"))?
            .port();
        let line = command.replace("{port}", &port.to_string());
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&line).stdin(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::fd::AsFd as _;
            use std::os::unix::process::CommandExt as _;
            // Its output goes to stressor's stderr, out of the summary's way.
            if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
                cmd.stdout(Stdio::from(fd));
            }
            cmd.process_group(0);
        }
        let child = cmd.spawn().map_err(|e| format!("{what}: cannot run `{line}`: {e}"))?;
        let mut service = Service {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(service);
            }
            if let Ok(Some(status)) = service.child.try_wait() {
                return Err(format!(
                    "{what}: `{line}` exited ({status}) before it listened on port {port}"
                ));
            }
            if started.elapsed() > READY_WITHIN {
                return Err(format!(
                    "{what}: `{line}` did not listen on port {port} within {}s",
                    READY_WITHIN.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        #[cfg(unix)]
        {
            // The whole group: `sh -c` may have started the service as its child.
            let group = -(self.child.id() as i32);
            // SAFETY: kill(2) with a negative pid signals the process group `sh` leads; no memory is
            // involved.
            unsafe { libc::kill(group, libc::SIGTERM) };
            let until = Instant::now() + STOP_WITHIN;
            while Instant::now() < until {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    // The leader is gone; any child it left behind is signalled below too.
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // SAFETY: as above.
            unsafe { libc::kill(group, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
