//! A file written before the migrations upgrades in place, and moves to PostgreSQL whole.
use crate::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_written_before_migrations_upgrades_and_moves_to_postgres_whole() {
    // Assemble: a copy of a database written by the release before versioned migrations:
    // six reviews, one hidden, keys, a multi-line and a non-ASCII comment.
    let dir = std::env::temp_dir().join(format!("newswire-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("reviews.db");
    std::fs::copy("tests/fixtures/reviews-before-migrations.db", &file).unwrap();
    let before = rows(&file);
    assert_eq!(before.len(), 6);

    // Action: the server opens it (and so migrates it).
    let opened = SqliteStore::open(&file).unwrap();
    assert_eq!(opened.summary().await.unwrap(), Summary::of(5, 19));
    opened.close().await;
    drop(opened);

    // Assert: every row as it was (but for keys more than a day old, which the store forgets
    // when it opens), and the schema at the newest version.
    let forgotten = store::now() - KEY_LIFETIME;
    let expected: Vec<Row> = before
        .iter()
        .cloned()
        .map(|mut row| {
            if row.6 < forgotten {
                row.1 = None;
            }
            row
        })
        .collect();
    assert_eq!(rows(&file), expected);
    let conn = rusqlite::Connection::open(&file).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version >= 2);
    // A file from a newer release is refused, not damaged.
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    assert!(matches!(
        SqliteStore::open(&file),
        Err(StoreError::TooNew(99, _))
    ));
    conn.execute_batch(&format!("PRAGMA user_version = {version}"))
        .unwrap();
    drop(conn);

    // Action: move it into PostgreSQL with the command a publisher runs.
    let cluster = pg::Cluster::start();
    let url = cluster.database("moved").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newswire-server"))
        .args(["migrate", "--from"])
        .arg(&file)
        .args(["--to", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("copied 6 reviews"));
    // Assert: the same rows, ids, keys and moderation; new ids continue after them.
    let client = connect(&url).await;
    let moved: Vec<Row> = client
        .query(
            "SELECT id, key, rating::INT8, comment, subject, page, created_at, hidden FROM reviews ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)))
        .collect();
    assert_eq!(moved, expected);
    // Each review keeps its partner site, for the console.
    let origins: Vec<String> = client
        .query("SELECT origin FROM reviews ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        origins,
        expected
            .iter()
            .map(|row| store::origin_of(&row.5))
            .collect::<Vec<_>>()
    );
    assert!(origins.contains(&"https://quay-herald.example".to_owned()));
    let store = PgStore::open(&url).await.unwrap();
    let id = store.insert(review(None, 4, "new")).await.unwrap();
    assert_eq!(id, 7);
    // Moving again into a database that holds reviews is refused.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_newswire-server"))
        .args(["migrate", "--from"])
        .arg(&file)
        .args(["--to", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds reviews"));
    let _ = std::fs::remove_dir_all(&dir);
}

type Row = (i64, Option<String>, i64, String, String, String, i64, bool);

/// Every row of the SQLite file, as stored.
fn rows(file: &std::path::Path) -> Vec<Row> {
    let conn = rusqlite::Connection::open(file).unwrap();
    let mut statement = conn
        .prepare("SELECT id, key, rating, comment, subject, page, created_at, hidden FROM reviews ORDER BY id")
        .unwrap();
    statement
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
