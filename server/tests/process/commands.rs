//! The commands and the start-up checks: `check`, `reviews export`, stores that must exist,
//! and allow-list entries that are not origins.
use crate::*;

#[test]
fn check_names_problems_and_fails_only_for_an_unusable_feed() {
    let dir = temp_dir("check");
    let feed = dir.join("feed.json");
    std::fs::write(
        &feed,
        r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [
            {"id": "a", "title": "Fine"},
            {"id": "b7", "title": "Late", "date_published": "Tuesday"}]}"#,
    )
    .unwrap();
    let out = Command::new(BIN).arg("check").arg(&feed).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(
            "item 2 (id b7): date_published \"Tuesday\" is not a date we can read, so it is left out"
        ),
        "{text}"
    );
    assert!(text.contains("usable, 2 items, 1 problems"), "{text}");
    assert!(text.contains("read as UTF-8"), "{text}");

    let rss = Command::new(BIN)
        .args(["check", "tests/fixtures/agency.rss"])
        .output()
        .unwrap();
    assert!(rss.status.success());
    // The demo's feed links relative to itself, which the server serves made absolute:
    // nothing to say about those.
    let sample = Command::new(BIN)
        .args(["check", "../www/sample-feed.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sample.stdout);
    assert!(text.contains("usable, 11 items, 0 problems"), "{text}");
    // The encoding it used, named.
    let latin = Command::new(BIN)
        .args(["check", "tests/fixtures/encodings/latin1-declared.rss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&latin.stdout);
    assert!(latin.status.success(), "{text}");
    assert!(text.contains("read as windows-1252"), "{text}");
    let unknown = Command::new(BIN)
        .args(["check", "tests/fixtures/encodings/unknown.rss"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&unknown.stdout);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text.contains("\"x-newsroom-7\", which is not one we know"),
        "{text}"
    );

    std::fs::write(&feed, "<html>Bad Gateway</html>").unwrap();
    let out = Command::new(BIN).arg("check").arg(&feed).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unusable"));
}

#[test]
fn check_gives_up_on_a_feed_host_that_never_answers() {
    // Assemble: a host that takes the connection and then says nothing.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.json", silent.local_addr().unwrap());
    // Action.
    let out = Command::new(BIN)
        .args(["check", "--timeout", "1", &url])
        .output()
        .unwrap();
    // Assert: a failure that says why, not a wait without end.
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("cannot fetch"), "{said}");
    drop(silent);
}

/// A review database in `dir`, with the table as the server makes it.
fn review_table(dir: &Path) -> (PathBuf, Connection) {
    let db = dir.join("reviews.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, key TEXT UNIQUE, rating INTEGER NOT NULL,
           comment TEXT NOT NULL, subject TEXT NOT NULL, page TEXT NOT NULL,
           created_at INTEGER NOT NULL, hidden INTEGER NOT NULL DEFAULT 0);",
    )
    .unwrap();
    (db, conn)
}

#[test]
fn export_writes_every_review_as_csv_or_json() {
    let (db, conn) = review_table(&temp_dir("export"));
    conn.execute_batch(
        "INSERT INTO reviews VALUES (1, 'a', 5, '=1+2', 's', 'https://p.example/', 1700000000, 0);
         INSERT INTO reviews VALUES (2, 'b', 2, 'said \"no\", twice', 's', 'p', 1700000001, 1);",
    )
    .unwrap();
    drop(conn);
    let csv = Command::new(BIN)
        .args(["reviews", "export", "--format", "csv", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(
        csv,
        "id,created_at,rating,hidden,subject,page,comment\r\n\
         1,1700000000,5,false,\"s\",\"https://p.example/\",\"'=1+2\"\r\n\
         2,1700000001,2,true,\"s\",\"p\",\"said \"\"no\"\", twice\"\r\n"
    );
    let json = Command::new(BIN)
        .args(["reviews", "export", "--format=json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["hidden"], true);
    let missing = Command::new(BIN)
        .args(["reviews", "export", "--db", "/nonexistent/x.db"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn an_export_cut_short_by_its_reader_ends_quietly() {
    // Assemble: enough reviews that the output fills the pipe.
    let (db, conn) = review_table(&temp_dir("export-pipe"));
    let long = "a long comment ".repeat(40);
    for n in 0..5000 {
        conn.execute(
            "INSERT INTO reviews (rating, comment, subject, page, created_at) VALUES (4, ?1, 's', 'p', ?2)",
            rusqlite::params![long, n],
        )
        .unwrap();
    }
    for format in ["csv", "json"] {
        // Action: like `| head -1`, read one line and close the pipe.
        let mut child = Command::new(BIN)
            .args(["reviews", "export", "--format", format, "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let output = child.wait_with_output().unwrap();
        // Assert: no panic, no complaint, a clean exit.
        assert!(!first.is_empty());
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{format}");
        assert!(output.status.success(), "{format}: {:?}", output.status);
    }
}

#[test]
fn commands_that_read_a_store_refuse_a_file_that_is_not_there() {
    // Assemble: a path with a typo in it.
    let dir = temp_dir("typo");
    let typo = dir.join("newswrie.db");
    // Action: the two commands that read a store.
    let export = Command::new(BIN)
        .args(["reviews", "export", "--db"])
        .arg(&typo)
        .output()
        .unwrap();
    let migrate = Command::new(BIN)
        .args(["migrate", "--from"])
        .arg(&typo)
        .args(["--to", "postgres://nobody@127.0.0.1:1/none"])
        .output()
        .unwrap();
    // Assert: each fails, says why, and creates nothing.
    for (name, out) in [("export", export), ("migrate", migrate)] {
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {said}");
        assert!(said.contains("no such file"), "{name}: {said}");
        assert!(out.stdout.is_empty(), "{name} printed no header");
    }
    assert!(!typo.exists(), "no empty database was made");
}

#[test]
fn an_allow_list_entry_that_is_not_an_origin_stops_the_start_naming_its_line() {
    // Assemble: a file whose third line has no scheme, and a flag with a path.
    let dir = temp_dir("origins");
    let file = dir.join("partners.txt");
    std::fs::write(
        &file,
        "# partners\nhttps://Radio.Example:8443/\nc.example\n",
    )
    .unwrap();
    let db = dir.join("r.db");
    // A server that starts anyway is killed after a while, and the test fails.
    let run = |flags: &[&std::ffi::OsStr]| {
        let mut child = Command::new(BIN)
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().unwrap()
    };
    // Action and assert: refused at start-up, with the place and the reason.
    let out = run(&["--allow-origins".as_ref(), file.as_os_str()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("partners.txt line 3"), "{said}");
    assert!(said.contains("\"c.example\" has no scheme"), "{said}");
    let out = run(&["--allow-origin".as_ref(), "https://d.example/news".as_ref()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--allow-origin: \"https://d.example/news\" has a path"),
        "{said}"
    );
}

#[test]
fn a_www_folder_that_is_not_there_stops_the_start_naming_it() {
    // Assemble: the README's command, run where there is no dist/.
    let dir = temp_dir("no-www");
    let missing = dir.join("dist");
    // Action: a server that starts anyway is killed after ten seconds, and the test fails.
    let mut child = Command::new(BIN)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--feed",
            "../tests/fixtures/feed.json",
            "--db",
        ])
        .arg(dir.join("r.db"))
        .arg("--www")
        .arg(&missing)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    // Assert: refused, naming the flag and the folder.
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--www") && said.contains("is not a folder"),
        "{said}"
    );
}
