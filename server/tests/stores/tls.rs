//! TLS to PostgreSQL, as libpq's `sslmode` says.
use crate::*;

/// Whether the session behind `url` (read with our own TLS settings) is encrypted.
async fn encrypted(url: &str) -> Result<bool, String> {
    let (config, tls, _) =
        newswire_server::store::tls::connect_settings(url).map_err(|e| e.to_string())?;
    let (client, connection) = config.connect(tls).await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_postgresql_follows_sslmode_as_libpq_does() {
    // Assemble: a certificate authority, and a certificate for `localhost` signed by it.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("newswire-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = dir.join("root.crt");
    std::fs::write(&root, ca.pem()).unwrap();
    let root = root.display().to_string();
    let cluster = pg::Cluster::start();
    let port = cluster.port;
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");

    // Action and assert: without TLS on the server, `require` is refused.
    let plain = PgStore::open(&url("127.0.0.1", "sslmode=require")).await;
    let refused = plain.err().expect("refused").to_string();
    assert!(
        refused.to_lowercase().contains("tls") || refused.contains("SSL"),
        "{refused}"
    );

    // With TLS on: verify-full with the right root and name works, and is encrypted.
    cluster.enable_tls(&cert.pem(), &key.serialize_pem());
    let full = url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    PgStore::open(&full)
        .await
        .expect("verify-full with our root");
    assert_eq!(encrypted(&full).await, Ok(true));
    // verify-full with a name the certificate does not carry is refused, saying why.
    let wrong = url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={root}"),
    );
    let refused = PgStore::open(&wrong)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("not valid for name"), "{refused}");
    // verify-ca checks the chain only; a root that did not sign it is refused.
    let chain = url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={root}"),
    );
    assert_eq!(encrypted(&chain).await, Ok(true));
    let stranger = rcgen::KeyPair::generate().unwrap();
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_root = dir.join("other.crt");
    std::fs::write(&other_root, other.self_signed(&stranger).unwrap().pem()).unwrap();
    let untrusted = url(
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={}", other_root.display()),
    );
    assert!(encrypted(&untrusted).await.is_err());
    // require encrypts without checking, as libpq does without a root.
    assert_eq!(
        encrypted(&url("127.0.0.1", "sslmode=require")).await,
        Ok(true)
    );
    // disable stays plain.
    assert_eq!(
        encrypted(&url("127.0.0.1", "sslmode=disable")).await,
        Ok(false)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
