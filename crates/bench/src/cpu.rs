//! CPU time of a process, from `/proc`: steadier than throughput on a shared machine, where
//! neighbours change how fast the same work runs but not how much of it there is.

/// Clock ticks per second of `/proc` times (`getconf CLK_TCK`; 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime of a process (`"self"` or a pid), in ticks; `None` without `/proc`.
pub fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// CPU seconds (user + system) this process has used so far; 0 without `/proc`.
pub fn own_seconds() -> f64 {
    process_ticks("self").map_or(0.0, |t| t as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_used_some_cpu() {
        let spin: u64 = (0..5_000_000u64).fold(0, |a, x| a.wrapping_add(x * x));
        assert!(spin > 0);
        assert!(super::process_ticks("self").is_some());
    }
}
