//! Durability: not one acknowledged review lost to `kill -9` under load, and SIGTERM
//! finishes the reviews in flight.
use crate::*;

/// Rounds of the crash test; each kills the server mid-load.
const ROUNDS: usize = 10;
const CLIENTS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_acknowledged_review() {
    let dir = temp_dir("crash");
    let db = dir.join("reviews.db");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut refused = 0;
    for round in 0..ROUNDS {
        // Assemble: a server, and clients posting as fast as they can.
        let (mut child, addr) = start(&db);
        let mut clients = Vec::new();
        for client in 0..CLIENTS {
            let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
            clients.push(tokio::spawn(async move {
                let mut failures = 0;
                for n in 0.. {
                    let key = format!("r{round}-c{client}-n{n}");
                    match post(&addr, &key).await {
                        Some(201) => acknowledged.lock().unwrap().push(key),
                        Some(_) => failures += 1,
                        // The server is gone.
                        None => return failures,
                    }
                }
                failures
            }));
        }
        // Action: kill -9 at a different moment each round.
        tokio::time::sleep(Duration::from_millis(150 + 37 * round as u64)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        for client in clients {
            refused += client.await.unwrap();
        }
    }
    // Assert: every acknowledged review is on disk, and the file is sound.
    let (mut child, _addr) = start(&db);
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = Connection::open(&db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|k| !stored.contains(k))
        .collect();
    println!(
        "crash test: {ROUNDS} kills, {} reviews acknowledged, {} stored, {} lost, {refused} refused",
        acknowledged.len(),
        stored.len(),
        lost.len()
    );
    assert!(acknowledged.len() > ROUNDS * 10, "the load was real");
    assert!(lost.is_empty(), "lost {lost:?}");
    assert_eq!(refused, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_the_reviews_in_flight_and_exits_cleanly() {
    let dir = temp_dir("sigterm");
    let db = dir.join("reviews.db");
    let (mut child, addr) = start(&db);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for client in 0..8 {
        let (addr, acknowledged) = (addr.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let key = format!("t-c{client}-n{n}");
                match post(&addr, &key).await {
                    Some(201) => acknowledged.lock().unwrap().push(key),
                    Some(503) | None => return,
                    Some(other) => panic!("unexpected {other}"),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "a clean exit: {status:?}");
    for client in clients {
        client.await.unwrap();
    }
    let conn = Connection::open(&db).unwrap();
    let stored = stored_keys(&conn);
    let acknowledged = acknowledged.lock().unwrap();
    assert!(!acknowledged.is_empty());
    assert!(acknowledged.iter().all(|k| stored.contains(k)));
}
