//! Booting a kernel under QEMU (software emulation), streaming its serial
//! console live, and a watchdog that kills a silent or overlong guest.
//!
//! The guest's own exit status does not come back through QEMU: callers
//! read the markers `/init` prints (see [`crate::initramfs::marker`]).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Context, Result};
use crate::host;
use crate::kernel::Kernel;

/// Guest size, watchdog limits and extra kernel parameters.
#[derive(Clone, Debug)]
pub(crate) struct BootOptions {
    /// Virtual CPUs (`IPVS_TESTBED_SMP`, default 2).
    pub smp: u32,
    /// Memory in MiB (`IPVS_TESTBED_MEMORY`, default 2048: the initramfs
    /// holds every test and example binary, unpacked into RAM).
    pub memory_mib: u32,
    /// Kill the guest after this long without console output
    /// (`IPVS_TESTBED_IDLE_TIMEOUT` seconds, default 300).
    pub idle_timeout: Duration,
    /// Kill the guest after this long in total
    /// (`IPVS_TESTBED_TIMEOUT` seconds, default 1200).
    pub total_timeout: Duration,
    /// Appended to the kernel command line (`IPVS_TESTBED_APPEND`).
    pub append: String,
    /// QEMU's `-accel` value (`IPVS_TESTBED_ACCEL`, default [`DEFAULT_ACCEL`]).
    pub accel: String,
}

/// Single-threaded TCG: the vCPUs take turns on one host thread.
///
/// Multi-threaded TCG (QEMU 7.2) occasionally runs stale code after the
/// kernel patches its own text on another vCPU: seen as
/// `Oops: int3 ... secure_tcp_seq_and_ts_off` and a panic on 6.12, where the
/// first TCP connection flips a `DO_ONCE` static key. With one TCG thread
/// the patching is always coherent.
pub(crate) const DEFAULT_ACCEL: &str = "tcg,thread=single";

/// Kernel command line. `quiet loglevel=1` keeps kernel messages (except
/// emergencies such as panics) from interleaving with test output; the rest
/// skip work that only costs time under emulation (crypto self-tests, CPU
/// vulnerability mitigations, timer checks, audit): about 1 s of boot.
const KERNEL_PARAMS: &str = "console=ttyS0 quiet loglevel=1 panic=-1 \
    cryptomgr.notests mitigations=off tsc=reliable no_timer_check audit=0";

/// Time a panicking guest gets to reboot (and so end QEMU) by itself.
const PANIC_GRACE: Duration = Duration::from_secs(10);

impl BootOptions {
    /// Defaults, overridden by the environment variables named above.
    pub(crate) fn from_env() -> Result<Self> {
        fn num(var: &str, default: u64) -> Result<u64> {
            match std::env::var(var) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .context(|| format!("{var}={v:?} is not a number")),
                Err(_) => Ok(default),
            }
        }
        Ok(Self {
            smp: num("IPVS_TESTBED_SMP", 2)? as u32,
            memory_mib: num("IPVS_TESTBED_MEMORY", 2048)? as u32,
            idle_timeout: Duration::from_secs(num("IPVS_TESTBED_IDLE_TIMEOUT", 300)?),
            total_timeout: Duration::from_secs(num("IPVS_TESTBED_TIMEOUT", 1200)?),
            append: std::env::var("IPVS_TESTBED_APPEND").unwrap_or_default(),
            accel: std::env::var("IPVS_TESTBED_ACCEL").unwrap_or_else(|_| DEFAULT_ACCEL.to_owned()),
        })
    }
}

/// How a boot ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// QEMU exited normally (the guest powered off).
    PoweredOff,
    /// The console showed "Kernel panic".
    Panicked,
    /// No console output for the idle timeout; QEMU was killed.
    Silent(Duration),
    /// The total timeout passed; QEMU was killed.
    Overtime(Duration),
    /// QEMU itself failed.
    QemuFailed(String),
}

/// Removes ANSI escape sequences (libtest colors its output on a terminal).
pub(crate) fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte(0x40..=0x7e)
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

enum Event {
    /// Bytes from the serial console.
    Console(Vec<u8>),
    /// A line QEMU printed on its stderr.
    Qemu(String),
}

/// Boots `kernel` with `initrd`, printing each console line (escape
/// sequences removed) prefixed with `[label] ` and handing it to `on_line` with the time since QEMU started.
/// `partial` receives the unterminated console text when the guest is
/// killed, for the watchdog's report.
pub(crate) fn boot(
    kernel: &Kernel,
    initrd: &Path,
    opts: &BootOptions,
    mut on_line: impl FnMut(&str, Duration),
) -> Result<(Ending, String)> {
    let qemu = host::tool(host::QEMU)?;
    let mut append = String::from(KERNEL_PARAMS);
    if !opts.append.is_empty() {
        append.push(' ');
        append.push_str(&opts.append);
    }
    let mut cmd = Command::new(qemu);
    cmd.args([
        "-accel",
        &opts.accel,
        "-cpu",
        "max",
        "-nographic",
        "-no-reboot",
        "-nic",
        "none",
    ])
    .args([
        "-smp",
        &opts.smp.to_string(),
        "-m",
        &opts.memory_mib.to_string(),
    ])
    .arg("-kernel")
    .arg(&kernel.vmlinuz)
    .arg("-initrd")
    .arg(initrd)
    .args(["-append", &append])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().context(|| format!("starting {cmd:?}"))?;

    let (tx, rx) = mpsc::channel();
    let mut stdout = child.stdout.take().expect("piped stdout");
    let tx_out = tx.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx_out.send(Event::Console(buf[..n].to_vec())).is_err() {
                break;
            }
        }
    });
    let stderr = child.stderr.take().expect("piped stderr");
    thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(|l| l.ok())
        {
            if tx.send(Event::Qemu(line)).is_err() {
                break;
            }
        }
    });

    let label = &kernel.label;
    let mut pending: Vec<u8> = Vec::new();
    let mut last_output = start;
    let mut panicked_at: Option<Instant> = None;
    let mut qemu_errors = String::new();
    let mut emit = |line: &[u8], panicked_at: &mut Option<Instant>| {
        // Firmware and libtest colors write escape sequences (even "clear
        // screen"); they must not reach the user's terminal or the parsers.
        let text = strip_ansi(&String::from_utf8_lossy(line));
        let text = text.trim_end_matches(['\r', '\n']);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "[{label}] {text}");
        let _ = out.flush();
        if text.contains("Kernel panic") && panicked_at.is_none() {
            *panicked_at = Some(Instant::now());
        }
        on_line(text, start.elapsed());
    };
    let killed = loop {
        let mut deadline = (last_output + opts.idle_timeout).min(start + opts.total_timeout);
        if let Some(t) = panicked_at {
            deadline = deadline.min(t + PANIC_GRACE);
        }
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Event::Console(bytes)) => {
                last_output = Instant::now();
                pending.extend_from_slice(&bytes);
                while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=i).collect();
                    emit(&line, &mut panicked_at);
                }
            }
            Ok(Event::Qemu(line)) => {
                eprintln!("[{label}] qemu: {line}");
                qemu_errors.push_str(&line);
                qemu_errors.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let ending = if panicked_at.is_some() {
                    Ending::Panicked
                } else if now >= start + opts.total_timeout {
                    Ending::Overtime(now - start)
                } else {
                    Ending::Silent(now - last_output)
                };
                let _ = child.kill();
                break Some(ending);
            }
        }
    };
    let status: ExitStatus = child.wait()?;
    let partial = strip_ansi(&String::from_utf8_lossy(&pending))
        .trim()
        .to_owned();
    if killed.is_none() && !partial.is_empty() {
        emit(pending.as_slice(), &mut panicked_at);
    }
    let ending = match killed {
        Some(e) => e,
        None if panicked_at.is_some() => Ending::Panicked,
        None if status.success() => Ending::PoweredOff,
        None => Ending::QemuFailed(format!("{status}: {}", qemu_errors.trim_end())),
    };
    Ok((ending, partial))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes() {
        assert_eq!(strip_ansi("\x1bc\x1b[?7l\x1b[2JBooting"), "Booting");
    }
}
