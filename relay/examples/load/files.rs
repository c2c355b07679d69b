//! The file-descriptor check the loads share: each holds one socket per connection.

/// Fails when this process may not open `connections` sockets and `spare` more files.
pub fn check_file_limit(connections: u64, spare: u64) -> Result<(), String> {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return Ok(());
    };
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<u64>().ok());
    let needed = connections + spare;
    match soft {
        Some(soft) if soft < needed => Err(format!(
            "{connections} connections need {needed} file descriptors, but the limit is \
             {soft}: run this under `ulimit -n {needed}` (or higher)"
        )),
        _ => Ok(()),
    }
}
