//! Running `ibmcloud` (and `curl`, for the one capture that has no CLI command) as child
//! processes: no shell, standard input closed unless a request body is given, both output
//! streams captured, and a time limit after which the child is killed.
//!
//! [`Cli`] is the seam between the capture logic and processes: the unit tests run the
//! capture logic against a table of canned outputs, the integration tests against a fake
//! `ibmcloud` script on `PATH`.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// Which program a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    Ibmcloud,
    Curl,
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Program::Ibmcloud => "ibmcloud",
            Program::Curl => "curl",
        }
    }
}

/// What a finished command left.
#[derive(Debug, Clone, Default)]
pub struct Ran {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ran {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a command did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The program is not on `PATH`.
    NotFound,
    /// It ran longer than the time limit and was killed.
    TimedOut(Duration),
    /// It could not be started or read (the OS error).
    Io(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NotFound => f.write_str("not found on PATH"),
            RunError::TimedOut(limit) => write!(
                f,
                "no answer within {} s; stopped (raise --timeout if the account is large)",
                limit.as_secs()
            ),
            RunError::Io(error) => f.write_str(error),
        }
    }
}

/// Runs one command to completion.
pub trait Cli {
    fn run(&mut self, program: Program, args: &[String], stdin: Option<&[u8]>) -> Result<Ran, RunError>;
}

/// What `ibmcloud` gets in its environment, on top of the user's: no colour codes in the
/// output, no update check or usage statistics (both can prompt or print banners), and no
/// request traces (`IBMCLOUD_TRACE=true` prints the `Authorization` header to stdout).
pub const IBMCLOUD_ENV: &[(&str, &str)] = &[
    ("IBMCLOUD_COLOR", "false"),
    ("IBMCLOUD_VERSION_CHECK", "false"),
    ("IBMCLOUD_ANALYTICS", "false"),
    ("IBMCLOUD_TRACE", "false"),
];

/// Runs real processes, found on `PATH`.
#[derive(Debug, Clone)]
pub struct ProcessCli {
    pub ibmcloud: OsString,
    pub curl: OsString,
    pub timeout: Duration,
}

impl ProcessCli {
    pub fn new(timeout: Duration) -> Self {
        ProcessCli {
            ibmcloud: "ibmcloud".into(),
            curl: "curl".into(),
            timeout,
        }
    }
}

/// Time a child's output streams get to close after it exited (a grandchild may hold them).
const DRAIN_GRACE: Duration = Duration::from_secs(5);

impl Cli for ProcessCli {
    fn run(&mut self, program: Program, args: &[String], stdin: Option<&[u8]>) -> Result<Ran, RunError> {
        let mut command = Command::new(match program {
            Program::Ibmcloud => &self.ibmcloud,
            Program::Curl => &self.curl,
        });
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if program == Program::Ibmcloud {
            command.envs(IBMCLOUD_ENV.iter().copied());
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => RunError::NotFound,
            _ => RunError::Io(format!("cannot start {}: {error}", program.name())),
        })?;

        let (sender, receiver) = mpsc::channel();
        for (stream, pipe) in [
            (
                0,
                child
                    .stdout
                    .take()
                    .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
            ),
            (
                1,
                child
                    .stderr
                    .take()
                    .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
            ),
        ] {
            let sender = sender.clone();
            thread::spawn(move || {
                let mut bytes = Vec::new();
                let result = match pipe {
                    Some(mut pipe) => pipe.read_to_end(&mut bytes).map(|_| bytes),
                    None => Ok(bytes),
                };
                let _ = sender.send((stream, result));
            });
        }
        drop(sender);
        if let (Some(body), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let body = body.to_vec();
            // A child that exits without reading is not an error of ours: ignore EPIPE.
            thread::spawn(move || {
                let _ = pipe.write_all(&body);
            });
        }

        let status = match child.wait_timeout(self.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::TimedOut(self.timeout));
            }
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Io(format!("waiting for {}: {error}", program.name())));
            }
        };

        let mut ran = Ran {
            code: status.code(),
            ..Ran::default()
        };
        let deadline = started + self.timeout + DRAIN_GRACE;
        for _ in 0..2 {
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok((0, Ok(bytes))) => ran.stdout = bytes,
                Ok((_, Ok(bytes))) => ran.stderr = bytes,
                Ok((_, Err(error))) => {
                    return Err(RunError::Io(format!(
                        "reading {}'s output: {error}",
                        program.name()
                    )));
                }
                Err(_) => return Err(RunError::TimedOut(self.timeout)),
            }
        }
        Ok(ran)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Duration) -> (ProcessCli, Vec<String>) {
        let cli = ProcessCli {
            ibmcloud: "/bin/sh".into(),
            curl: "/bin/sh".into(),
            timeout,
        };
        (cli, vec!["-c".to_owned(), script.to_owned()])
    }

    #[test]
    fn captures_both_streams_the_exit_code_and_the_environment() {
        let (mut cli, args) = sh(
            r#"echo "out $IBMCLOUD_COLOR $IBMCLOUD_TRACE"; echo err >&2; exit 3"#,
            Duration::from_secs(10),
        );
        let ran = cli.run(Program::Ibmcloud, &args, None).unwrap();
        assert_eq!(ran.code, Some(3));
        assert_eq!(ran.stdout, b"out false false\n");
        assert_eq!(ran.stderr, b"err\n");
    }

    #[test]
    fn standard_input_is_closed_unless_a_body_is_given() {
        let (mut cli, args) = sh("cat", Duration::from_secs(10));
        let ran = cli.run(Program::Curl, &args, None).unwrap();
        assert!(ran.success() && ran.stdout.is_empty());
        let ran = cli.run(Program::Curl, &args, Some(b"body")).unwrap();
        assert_eq!(ran.stdout, b"body");
    }

    #[test]
    fn a_hung_command_is_killed_at_the_time_limit() {
        let (mut cli, args) = sh("exec sleep 30", Duration::from_millis(300));
        let started = Instant::now();
        let error = cli.run(Program::Ibmcloud, &args, None).unwrap_err();
        assert_eq!(error, RunError::TimedOut(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let mut cli = ProcessCli {
            ibmcloud: "/nonexistent/ibmcloud".into(),
            ..ProcessCli::new(Duration::from_secs(1))
        };
        assert_eq!(
            cli.run(Program::Ibmcloud, &[], None).unwrap_err(),
            RunError::NotFound
        );
    }
}
